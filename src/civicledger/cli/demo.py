"""The main job end to end: the example community's 2023 ledger, sealed and reported."""

from __future__ import annotations

import shlex
from datetime import date
from importlib import resources
from pathlib import Path

import click

from civicledger.cli.demo_output import (
    KEY_NOTE,
    KEYS,
    civicledger_command,
    offline_check,
    shown,
    write_key_pair,
)
from civicledger.errors import CivicLedgerError
from civicledger.reports import Report
from civicledger.reports.render.chart import MissingFontError

EXAMPLE = "community_2023"


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(demo)


def example_dir(example: str = EXAMPLE, marker: str = "events.jsonl") -> Path:
    """Where an example's files are: inside the installed package, or the checkout.

    Args:
        example: the example's folder name under ``examples/``.
        marker: a file the folder must hold.

    Raises:
        CivicLedgerError: neither place has them.
    """
    packaged = Path(str(resources.files("civicledger"))) / "_examples" / example
    checkout = Path(__file__).resolve().parents[3] / "examples" / example
    for candidate in (packaged, checkout):
        if (candidate / marker).is_file():
            return candidate
    raise CivicLedgerError(f"the example files are missing (looked in {packaged} and {checkout})")


LEDGER = "xx-community"
"""The demo ledger's name: the tutorial's, so its commands work on the demo database."""

OFFICE_KEY = "xx-community.example.org"
"""The name of the office's demo key: the signing how-to's, named like a domain it controls."""

EVIDENCE = "evidence.zip"
"""The evidence bundle of the report: what an outsider checks, offline."""

FILES = (
    ("civicledger.db", f"the ledger (SQLite; ledger name {LEDGER})"),
    ("seal.txt", "the seal: origin, size, root hash, and the office's signature"),
    ("report.md", "the 2023 work report, as of the seal (also .html, .docx and .json)"),
    (EVIDENCE, "the report's evidence bundle: every figure checkable offline"),
    (f"{KEYS}/", f"the office's demo key pair ({OFFICE_KEY}.key secret, .pub public)"),
    ("indicators.csv", "every figure of the indicator set (also .xlsx)"),
    ("followups.xlsx", "the rectification ledger (整改台账)"),
)


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="demo-output",
    show_default=True,
    help="Where to write the ledger and the report files.",
)
@click.option("--print", "print_report", is_flag=True, help="Also print the report (Markdown).")
@click.option(
    "--street",
    is_flag=True,
    help="Build the example street instead: five community ledgers and the street's report.",
)
@click.option(
    "--db",
    "street_db",
    metavar="URL",
    help="With --street: the database for the ledgers (default: DIR/street.db, SQLite), "
    "e.g. postgresql+psycopg://user@host/db; it must not hold the street's ledgers yet.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    directory: Path,
    print_report: bool,
    street: bool,
    street_db: str | None,
) -> None:
    """Build the example community's 2023 ledger, seal it, and render its report.

    Writes DIR/civicledger.db (SQLite, ledger xx-community, the tutorial's), the
    seal signed with a demo key (DIR/keys/), the report as of it as Markdown, HTML,
    DOCX and JSON, its evidence bundle (evidence.zip), the indicator table (CSV,
    XLSX) and the rectification ledger (XLSX); then prints a summary, the files
    and commands to try next, among them the offline check of the bundle
    (examples/verify_evidence.py). --print also prints the report.

    With --street: builds the example street (和平街道), one ledger per community
    (the example community and four generated ones) in one database; each
    community signs its seal and the street countersigns it (demo keys in
    DIR/keys/); renders the street's report as of those seals (street-report.md,
    .html, .docx, .json), every figure rolled up with each community's figure
    behind it, and its evidence bundle (street-evidence.zip).

    Example:

        civicledger demo --dir demo-output

        civicledger demo --street --dir street-output
    """
    if street:
        from civicledger.cli.demo_street import street_demo

        root_db = ctx.find_root().params.get("db")
        street_demo(directory, street_db or root_db, print_report=print_report)
        return
    if street_db is not None:
        raise click.UsageError("--db chooses the street's database; it needs --street")
    from civicledger.audit import Signer
    from civicledger.ledger import Ledger
    from civicledger.reports.tables import figure_rows, write_xlsx

    source = example_dir()
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "civicledger.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)

    def step(text: str) -> None:
        click.echo(f"== {text}", err=True)

    office = Signer.generate(OFFICE_KEY)  # first: without cryptography, nothing is written
    public_key = write_key_pair(directory, office)
    origin = "demo.civicledger.example/xx-community"
    with Ledger.open(f"sqlite:///{database}", ledger=LEDGER, origin=origin) as ledger:
        step(f"importing {source / 'events.jsonl'}")
        count = ledger.import_jsonl(source / "events.jsonl")
        seal = ledger.seal(office)
        (directory / "seal.txt").write_text(seal.text, encoding="utf-8")

        report = ledger.report(source / "report.toml", year=2023, as_of=seal)
        markdown = report.to_markdown()
        (directory / "report.md").write_text(markdown, encoding="utf-8")
        (directory / "report.html").write_text(report.to_html(), encoding="utf-8")
        (directory / "report.json").write_text(report.to_json(), encoding="utf-8")
        write_docx(report, directory / "report.docx")

        figures = ledger.indicators(source / "indicators.toml", year=2023, as_of=seal)
        rows = figure_rows(figures)
        write_xlsx(rows, directory / "indicators.xlsx")
        _write_csv(rows, directory / "indicators.csv")
        ledger.export_followups(directory / "followups.xlsx", on=date(2023, 12, 31))

        verification = ledger.verify([office.verifier().to_text()])
        if not verification.ok:
            raise CivicLedgerError(f"the new ledger does not verify:\n{verification}")
        step(f"writing the evidence bundle {directory / EVIDENCE}")
        ledger.evidence(
            report, seal, directory / EVIDENCE, public_key=public_key.read_text("utf-8")
        )

    if print_report:
        click.echo(markdown)
    click.echo(
        f"Built the example community's 2023 ledger: {count} events, sealed at size "
        f"{seal.tree_size} and signed, verified OK; its indicator set gives "
        f"{len(figures)} figures.\n"
    )
    click.echo(f"Files in {directory}:")
    for name, what in FILES:
        click.echo(f"  {name:<16} {what}")
    click.echo("\n" + KEY_NOTE.format(keys=shown(directory / KEYS)))
    db = f"{civicledger_command()} --db {shown(database)} --ledger {LEDGER}"
    click.echo(
        "\nTry next:\n"
        "  # how a figure was derived, event by event\n"
        f"  {db} explain employment.reemployment_trainees --year 2023 \\\n"
        f"      --set {shown(source / 'indicators.toml')}\n"
        "  # recompute every hash and check the seal and its signature\n"
        f"  {db} verify --seal {shown(directory / 'seal.txt')} \\\n"
        f"      --public-key {shown(public_key)}\n"
        "  # as an outsider: every figure of the report against the signed seal, offline\n"
        f"  {offline_check(directory / EVIDENCE, [public_key])}\n"
        "  # the report in a browser: every number links to its derivation\n"
        f"  python3 -m webbrowser {shlex.quote((directory / 'report.html').resolve().as_uri())}"
    )


def write_docx(report: Report, path: Path) -> None:
    """Write the report's DOCX; where no CJK font is installed, with the charts as their
    tables alone and a note on standard error, so the demo runs on any machine."""
    try:
        report.to_docx(path)
    except MissingFontError as e:
        report.to_docx(path, pictures=False)
        click.echo(f"note: {path.name} has its charts as tables only: {e}", err=True)


def _write_csv(rows: list[dict[str, object]], path: Path) -> None:
    from civicledger.reports.tables import write_csv

    with path.open("w", encoding="utf-8", newline="") as f:
        write_csv(rows, f)
