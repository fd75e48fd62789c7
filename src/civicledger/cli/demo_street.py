"""``civicledger demo --street``: the example street's ledgers, each seal signed by its
community and countersigned by the street, and the street's report with its evidence."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import database_url
from civicledger.cli.demo import example_dir, write_docx
from civicledger.cli.demo_output import (
    KEY_NOTE,
    KEYS,
    civicledger_command,
    offline_check,
    shown,
    write_key_pair,
)
from civicledger.errors import CivicLedgerError, LedgerNotFoundError, ValidationError

STREET = "street_2023"
"""The example street's folder under ``examples/``."""

MANIFEST = "street.toml"
"""The file naming the street and its communities (their ledgers and events files)."""

REPORT = "street-report"
"""The stem of the street report's files."""

EVIDENCE = "street-evidence.zip"
"""The street report's evidence bundle: every community's part, checkable offline."""


def read_manifest(folder: Path) -> tuple[str, str, list[dict[str, str]]]:
    """The street's name, its origin prefix and its communities (name, slug, events path).

    Raises:
        ValidationError: the manifest lacks a field (named with the file).
    """
    path = folder / MANIFEST
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    communities = data.get("community")
    if not isinstance(communities, list) or not communities:
        raise ValidationError(f"{path}: no [[community]] listed", field="community")
    for index, community in enumerate(communities):
        for key in ("name", "slug", "events"):
            if not isinstance(community.get(key), str):
                raise ValidationError(
                    f"{path}: community {index + 1} needs a text {key!r}", field=key
                )
    return str(data["street"]), str(data["origin"]), communities


def key_names(origin: str, communities: list[dict[str, str]]) -> tuple[str, list[str]]:
    """The demo keys' names: the street's (``heping.example`` for an origin ending in
    ``/heping``) and each community's under it (``hehua.heping.example``)."""
    street = f"{origin.rstrip('/').rsplit('/', 1)[-1]}.example"
    return street, [f"{c['slug']}.{street}" for c in communities]


def street_demo(directory: Path, db: str | None, *, print_report: bool) -> None:
    """Build every community's ledger in one database, each seal signed by its community
    and countersigned by the street; render the street report as of those seals and
    write its evidence bundle.

    Args:
        directory: where the report files (and the SQLite database by default) go.
        db: the database URL or SQLite path; None for ``DIR/street.db``.
        print_report: also print the report (Markdown).

    Raises:
        CivicLedgerError: the database already holds one of the street's ledgers, the
            new ledgers or the report do not verify, or ``cryptography`` is missing.
    """
    from civicledger.audit import Signer
    from civicledger.ledger import Ledger
    from civicledger.ledgerset import LATEST_SEAL
    from civicledger.reports import verify_set_report

    folder = example_dir(STREET, MANIFEST)
    street, origin, communities = read_manifest(folder)
    directory.mkdir(parents=True, exist_ok=True)
    # Keys first (without cryptography nothing is written), their files once the
    # database is known to be new (a refused run leaves the last run's keys alone).
    street_key, community_keys = key_names(origin, communities)
    office = Signer.generate(street_key)
    signers = [Signer.generate(name) for name in community_keys]
    if db is None:
        database = directory / "street.db"
        for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            stale.unlink(missing_ok=True)
        db = str(database)
    url = database_url(db)
    names = [f"{street}/{c['name']}" for c in communities]
    try:
        with Ledger.open_many(url, prefix=f"{street}/") as existing:
            raise CivicLedgerError(
                f"the database already holds the street's ledger(s) {', '.join(existing.names)}; "
                "the demo builds them anew: give it an empty database"
            )
    except LedgerNotFoundError:
        pass  # none yet: build them

    street_pub = write_key_pair(directory, office)
    key_files = [write_key_pair(directory, signer) for signer in signers]
    counts: dict[str, int] = {}
    for community, name, signer in zip(communities, names, signers, strict=True):
        click.echo(f"== {name}: importing {community['events']}", err=True)
        with Ledger.open(url, name, origin=f"{origin}/{community['slug']}") as ledger:
            counts[name] = ledger.import_jsonl(folder / community["events"])
            ledger.cosign(ledger.seal(signer), office)
            keys = [signer.verifier().to_text(), office.verifier().to_text()]
            verification = ledger.verify(keys)
            if not verification.ok:
                raise CivicLedgerError(f"ledger {name} does not verify:\n{verification}")

    click.echo(f"== rendering the street report over {len(names)} ledgers", err=True)
    with Ledger.open_many(url, names) as ledger_set:
        # The latest seals carry the street's cosignatures, so the report names its cosigner.
        report = ledger_set.report(folder / "report.toml", year=2023, as_of=LATEST_SEAL)
        text = report.to_json()
        check = verify_set_report(text, ledger_set)
        if not check.ok:
            raise CivicLedgerError(f"the street report does not verify:\n{check}")
        click.echo(f"== writing the evidence bundle {directory / EVIDENCE}", err=True)
        ledger_set.evidence(
            text,
            directory / EVIDENCE,
            public_keys=[signer.verifier().to_text() for signer in signers],
            cosigner_keys=[office.verifier()],
        )
    markdown = report.to_markdown()
    (directory / f"{REPORT}.md").write_text(markdown, encoding="utf-8")
    (directory / f"{REPORT}.html").write_text(report.to_html(), encoding="utf-8")
    (directory / f"{REPORT}.json").write_text(text, encoding="utf-8")
    write_docx(report, directory / f"{REPORT}.docx")

    if print_report:
        click.echo(markdown)
    check_offline = offline_check(directory / EVIDENCE, key_files, [street_pub])
    _summary(directory, url, street, counts, report, check.figures_checked, check_offline)


def _summary(
    directory: Path,
    url: str,
    street: str,
    counts: dict[str, int],
    report: Any,
    figures: int,
    check_offline: str,
) -> None:
    click.echo(
        f"Built {street}: {len(counts)} community ledgers ({sum(counts.values())} events), "
        f"each seal signed by its community and countersigned by the street; the street "
        f"report's {figures} figures verified against every seal.\n"
    )
    click.echo("Ledgers:")
    for seal in report.ledgers:
        click.echo(f"  {seal.name:<12} {counts[seal.name]:>5} events, sealed at {seal.tree_size}")
    click.echo(f"\nFiles in {directory}:")
    for suffix in ("md", "html", "docx", "json"):
        click.echo(f"  {REPORT}.{suffix}")
    click.echo(f"  {EVIDENCE:<24} the report's evidence bundle, checkable offline")
    click.echo(f"  {KEYS + '/':<24} the demo key pairs (.key secret, .pub public)")
    click.echo("\n" + KEY_NOTE.format(keys=shown(directory / KEYS)))
    shown_db = shown(Path(url.removeprefix("sqlite:///"))) if url.startswith("sqlite") else url
    db = f"{civicledger_command()} --db {shown_db}"
    click.echo(
        "\nTry next:\n"
        "  # the street's figures, each community's value beside them\n"
        f"  {db} indicators --year 2023 --ledgers {street}/ \\\n"
        f"      --set {shown(example_dir() / 'indicators.toml')}\n"
        "  # the street's rectification ledger, each row naming its community\n"
        f"  {db} followups --on 2023-12-31 --ledgers {street}/\n"
        "  # as an outsider: every figure and every cosignature, offline\n"
        f"  {check_offline}"
    )
