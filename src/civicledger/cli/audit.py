"""Commands for tamper evidence: seal, cosign, prove, verify, keygen."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from civicledger.cli._common import (
    EXIT_CHECK_FAILED,
    ledger_set_options,
    open_source,
    output_option,
    pass_ledger,
    read_text_file,
    write_output,
)

F = TypeVar("F", bound=Callable[..., Any])


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (seal, cosign, prove, verify, verify_report, evidence, keygen):
        group.add_command(command)


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
    signer = read_text_file(key_file, "key").strip() if key_file is not None else None
    sealed = ledger.seal(signer)
    write_output(sealed.text, output)


@click.command()
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The seal to countersign (a checkpoint file); the ledger's latest seal when omitted.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The cosigner's signer key file (from `civicledger keygen`).",
)
@output_option
@pass_ledger
def cosign(ledger: Any, seal_file: Path | None, key_file: Path, output: Path | None) -> None:
    """Countersign one of the ledger's seals with another key, and store the cosignature.

    A street office countersigns the seals of the community ledgers it receives:
    its C2SP cosignature says it saw that checkpoint at that time. Prints the seal
    with every stored cosignature after its own signatures; `verify` checks them,
    and `info` lists who cosigned each seal when.

    Example:

        civicledger --ledger community-a cosign --seal seal-2023.txt --key street.key
    """
    if seal_file is not None:
        target = read_text_file(seal_file, "seal")
    else:
        seals = ledger.seals()
        if not seals:
            raise click.UsageError(
                f"ledger {ledger.name!r} has no seal to countersign; seal it first"
            )
        target = seals[-1]
    made = ledger.cosign(target, read_text_file(key_file, "key").strip())
    write_output(ledger.cosigned(made.seal).text, output)


def _file_option(
    flag: str, dest: str, help_text: str, *, required: bool = False
) -> Callable[[F], F]:
    """An option naming an existing input file, passed as a Path."""
    return click.option(
        flag,
        dest,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        required=required,
        help=help_text,
    )


@click.command()
@click.argument("event_id", required=False)
@_file_option("--seal", "seal_file", "The seal (checkpoint file) the event's proof is for.")
@_file_option(
    "--from", "from_file", "An older seal: prove that --to extends it (a consistency proof)."
)
@_file_option("--to", "to_file", "The newer seal of a consistency proof.")
@output_option
@pass_ledger
def prove(
    ledger: Any,
    event_id: str | None,
    seal_file: Path | None,
    from_file: Path | None,
    to_file: Path | None,
    output: Path | None,
) -> None:
    """Prove an event is under a seal (C2SP tlog-proof), or that one seal extends another.

    With EVENT_ID and --seal: an inclusion proof. With --from and --to: a
    civicledger-consistency-proof/1 text showing that nothing sealed in the older
    seal was changed, removed or reordered by the newer one. Check either offline
    with `civicledger verify --proof FILE`.

    Example:

        civicledger prove 7c4f7c21-1277-4a0d-9853-3f4ff8c44e8d --seal seal-2023.txt -o proof.txt

        civicledger prove --from seal-2023.txt --to seal-2024.txt -o 2023-to-2024.proof
    """
    if from_file is not None or to_file is not None:
        if from_file is None or to_file is None or event_id is not None or seal_file is not None:
            raise click.UsageError("a consistency proof takes --from and --to, and nothing else")
        older, newer = read_text_file(from_file, "seal"), read_text_file(to_file, "seal")
        write_output(ledger.prove_consistency(older, newer), output)
        return
    if event_id is None or seal_file is None:
        raise click.UsageError("give EVENT_ID and --seal, or --from and --to")
    write_output(ledger.prove(event_id, read_text_file(seal_file, "seal")), output)


@click.command()
@_file_option(
    "--seal",
    "seal_file",
    "Also check that this seal matches the ledger.",
)
@_file_option(
    "--proof",
    "proof_file",
    "Check this proof file (an event's or a consistency proof) offline instead of the ledger.",
)
@_file_option(
    "--public-key",
    "key_file",
    "A verifier key file: check seal signatures with it.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to verify with (default: the cores; 1: this process only).",
)
@click.pass_context
def verify(
    ctx: click.Context,
    seal_file: Path | None,
    proof_file: Path | None,
    key_file: Path | None,
    workers: int | None,
) -> None:
    """Check the ledger (every leaf, root and seal), or a proof file offline.

    Exit status 1 when anything does not verify. On PostgreSQL it also says which
    role it ran as, with a warning when that role could alter history.

    Example:

        civicledger verify --seal seal-2023.txt
    """
    from civicledger.audit import Seal
    from civicledger.cli._common import open_ledger
    from civicledger.errors import ValidationError, VerificationError

    public_key = read_text_file(key_file, "key").strip() if key_file is not None else None
    if proof_file is not None:
        try:
            click.echo(_check_proof(read_text_file(proof_file, "proof"), public_key))
        except VerificationError as e:
            click.echo(f"civicledger: proof does not verify: {e}", err=True)
            ctx.exit(EXIT_CHECK_FAILED)
        return
    with open_ledger(ctx) as ledger:
        report = ledger.verify(public_key, workers=workers)
        access = ledger.access()
        problems = [str(report)] if not report.ok else []
        if seal_file is not None:
            claimed = Seal.parse(read_text_file(seal_file, "seal"))
            try:
                claimed.check_ledger(ledger.origin, ledger.hash_algorithm)
            except ValidationError as e:
                raise ValidationError(f"{seal_file}: {e.message}", field="seal") from None
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


def _check_proof(text: str, public_key: str | None) -> str:
    """Check an inclusion (tlog-proof) or consistency proof text; say what it proved."""
    from civicledger.audit import CONSISTENCY_HEADER, verify_consistency_proof, verify_proof

    if text.startswith(CONSISTENCY_HEADER + "\n"):
        return f"proof ok: {verify_consistency_proof(text, public_key=public_key)}"
    verified = verify_proof(text, public_key=public_key)
    signed = f", signed by {', '.join(verified.signed_by)}" if verified.signed_by else ""
    return (
        f"proof ok: event at position {verified.position} ({verified.envelope.get('type')}) "
        f"is included in {verified.origin} at size {verified.tree_size}{signed}"
    )


@click.command("verify-report")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def verify_report(ctx: click.Context, report_file: Path) -> None:
    """Check a report's JSON against the ledger: its seal, template and every figure.
    A report over a set of ledgers is checked against every ledger it names, each at
    the seal it states (the global --ledger is then not used).

    Exit status 1 when anything differs.

    Example:

        civicledger verify-report report.json
    """
    from civicledger.cli._common import open_ledger, open_source
    from civicledger.reports import verify_report as check_report
    from civicledger.reports import verify_set_report

    text = read_text_file(report_file, "report")
    names = _set_report_ledgers(text)
    if names:
        with open_source(ctx, names, None) as (ledger_set, _):
            check = verify_set_report(text, ledger_set)
    else:
        with open_ledger(ctx) as ledger:
            check = check_report(text, ledger)
    if not check.ok:
        click.echo(str(check), err=True)
        ctx.exit(EXIT_CHECK_FAILED)
    click.echo(str(check))


def _set_report_ledgers(text: str) -> list[str]:
    """The ledgers a report over a set names; empty for any other document."""
    from civicledger.reports.render.json import ROLLUP_FORMAT

    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []  # the verifier says what is wrong with it
    if not isinstance(data, dict) or data.get("format") != ROLLUP_FORMAT:
        return []
    stated = data.get("ledgers")
    return [str(s.get("name")) for s in stated if isinstance(s, dict)] if stated else []


@click.command()
@_file_option(
    "--report",
    "report_file",
    "The published report's JSON (rendered with report --seal --format json).",
    required=True,
)
@_file_option(
    "--seal",
    "seal_file",
    "The seal the report was rendered as of (one ledger; a set report embeds its seals).",
)
@click.option(
    "--public-key",
    "key_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="An office's verifier key file: checked against its seal and put in the bundle "
    "(repeat for a set, one per ledger).",
)
@click.option(
    "--cosigner-key",
    "cosigner_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="A cosigner's verifier key file (the street's): its cosignatures of the seals are "
    "checked and it is put in the bundle; a cosignature without one is listed as not "
    "checkable (repeat for several cosigners).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The bundle to write (a .zip).",
)
@ledger_set_options
@click.pass_context
def evidence(
    ctx: click.Context,
    report_file: Path,
    seal_file: Path | None,
    key_files: tuple[Path, ...],
    cosigner_files: tuple[Path, ...],
    output: Path,
    ledger_names: tuple[str, ...],
    ledger_prefix: str | None,
) -> None:
    """Write the evidence bundle of a sealed report: envelopes, seal, keys and disclosures.

    Anyone can check it offline with examples/verify_evidence.py: every figure is
    recomputed from the disclosed values of exactly the fields its indicator reads
    (never a personal field) and compared with the report, and every cosignature of
    a seal with the cosigner's key. For a report over several ledgers (--ledger
    repeated, or --ledgers PREFIX), the bundle holds each ledger's part, and each
    rolled-up figure is checked against its ledgers' figures.

    Example:

        civicledger evidence --report report.json --seal seal.txt -o evidence.zip

        civicledger evidence --ledgers street-x/ --report street.json -o street.zip

        civicledger evidence --report r.json --seal s.txt --cosigner-key k.pub -o e.zip
    """
    keys = [read_text_file(k, "key").strip() for k in key_files]
    cosigners = [read_text_file(k, "cosigner key").strip() for k in cosigner_files]
    with open_source(ctx, ledger_names, ledger_prefix) as (source, is_set):
        if is_set:
            if seal_file is not None:
                raise click.UsageError(
                    "a report over several ledgers embeds their seals; leave out --seal"
                )
            summary = source.evidence(
                report_file, output, public_keys=keys, cosigner_keys=cosigners
            )
        else:
            if seal_file is None:
                raise click.UsageError("give --seal: the seal the report was rendered as of")
            if len(keys) > 1:
                raise click.UsageError("one ledger's bundle takes one --public-key")
            seal = read_text_file(seal_file, "seal")
            summary = source.evidence(
                report_file,
                seal,
                output,
                public_key=keys[0] if keys else None,
                cosigner_keys=cosigners,
            )
    click.echo(str(summary), err=True)


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
