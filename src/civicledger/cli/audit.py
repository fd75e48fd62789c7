"""Commands for tamper evidence: seal, prove, verify, keygen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import EXIT_CHECK_FAILED, output_option, pass_ledger, write_output


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (seal, prove, verify, verify_report, keygen):
        group.add_command(command)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@click.command()
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign with this signer key file (from `civicledger keygen`).",
)
@output_option
@pass_ledger
def seal(ledger: Any, key_file: Path | None, output: Path | None) -> None:
    """Seal the ledger's current state as a checkpoint (signed when a key is given).

    Example:

        civicledger seal --key office.key -o seal-2023.txt
    """
    signer = _read(key_file).strip() if key_file is not None else None
    sealed = ledger.seal(signer)
    write_output(sealed.text, output)


@click.command()
@click.argument("event_id")
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The seal (checkpoint file) the proof is for.",
)
@output_option
@pass_ledger
def prove(ledger: Any, event_id: str, seal_file: Path, output: Path | None) -> None:
    """Write a proof that an event is included under a seal (C2SP tlog-proof).

    Example:

        civicledger prove 7c4f7c21-1277-4a0d-9853-3f4ff8c44e8d --seal seal-2023.txt -o proof.txt
    """
    write_output(ledger.prove(event_id, _read(seal_file)), output)


@click.command()
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check that this seal matches the ledger.",
)
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check this proof file offline instead of the ledger.",
)
@click.option(
    "--public-key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A verifier key file: check seal signatures with it.",
)
@click.pass_context
def verify(
    ctx: click.Context, seal_file: Path | None, proof_file: Path | None, key_file: Path | None
) -> None:
    """Check the ledger (every leaf, root and seal), or a proof file offline.

    Exit status 1 when anything does not verify. On PostgreSQL it also says which
    role it ran as, with a warning when that role could alter history.

    Example:

        civicledger verify --seal seal-2023.txt
    """
    from civicledger.audit import Seal, verify_proof
    from civicledger.cli._common import open_ledger
    from civicledger.errors import VerificationError

    public_key = _read(key_file).strip() if key_file is not None else None
    if proof_file is not None:
        try:
            verified = verify_proof(_read(proof_file), public_key=public_key)
        except VerificationError as e:
            click.echo(f"civicledger: proof does not verify: {e}", err=True)
            ctx.exit(EXIT_CHECK_FAILED)
        signed = f", signed by {', '.join(verified.signed_by)}" if verified.signed_by else ""
        click.echo(
            f"proof ok: event at position {verified.position} ({verified.envelope.get('type')}) "
            f"is included in {verified.origin} at size {verified.tree_size}{signed}"
        )
        return
    with open_ledger(ctx) as ledger:
        report = ledger.verify(public_key)
        access = ledger.access()
        problems = [str(report)] if not report.ok else []
        if seal_file is not None:
            claimed = Seal.parse(_read(seal_file))
            stored = {s.text for s in ledger.seals()}
            if claimed.text not in stored:
                problems.append(f"{seal_file}: this seal is not among the ledger's stored seals")
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        ctx.exit(EXIT_CHECK_FAILED)
    click.echo(str(report))
    if access is not None and access.could_alter_history:
        click.echo(f"civicledger: warning: {access}", err=True)
    elif access is not None:
        click.echo(str(access))


@click.command("verify-report")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def verify_report(ctx: click.Context, report_file: Path) -> None:
    """Check a report's JSON against the ledger: its seal, template and every figure.

    Exit status 1 when anything differs.

    Example:

        civicledger verify-report report.json
    """
    from civicledger.cli._common import open_ledger
    from civicledger.reports import verify_report as check_report

    with open_ledger(ctx) as ledger:
        check = check_report(_read(report_file), ledger)
    if not check.ok:
        click.echo(str(check), err=True)
        ctx.exit(EXIT_CHECK_FAILED)
    click.echo(str(check))


@click.command()
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Where to write NAME.key (secret) and NAME.pub (to share).",
)
def keygen(name: str, directory: Path) -> None:
    """Make an Ed25519 signing key for seals: NAME.key (keep secret) and NAME.pub.

    Example:

        civicledger keygen xx-community.example.org --dir keys
    """
    from civicledger.audit import generate_key

    signer_text, verifier_text = generate_key(name)
    directory.mkdir(parents=True, exist_ok=True)
    secret = directory / f"{_file_stem(name)}.key"
    public = directory / f"{_file_stem(name)}.pub"
    if secret.exists():
        raise click.UsageError(f"{secret} exists; refusing to overwrite a key")
    secret.write_text(signer_text + "\n", encoding="utf-8")
    secret.chmod(0o600)
    public.write_text(verifier_text + "\n", encoding="utf-8")
    click.echo(f"wrote {secret} (secret) and {public} (public)")


def _file_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
