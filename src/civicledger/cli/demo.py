"""The main job end to end: the example community's 2023 ledger, sealed and reported."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import click

from civicledger.errors import CivicLedgerError

EXAMPLE = "community_2023"


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(demo)


def example_dir() -> Path:
    """Where the example community's files are: inside the installed package, or the checkout.

    Raises:
        CivicLedgerError: neither place has them.
    """
    packaged = Path(str(resources.files("civicledger"))) / "_examples" / EXAMPLE
    checkout = Path(__file__).resolve().parents[3] / "examples" / EXAMPLE
    for candidate in (packaged, checkout):
        if (candidate / "events.jsonl").is_file():
            return candidate
    raise CivicLedgerError(f"the example files are missing (looked in {packaged} and {checkout})")


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="demo-output",
    show_default=True,
    help="Where to write the ledger and the report files.",
)
def demo(directory: Path) -> None:
    """Build the example community's 2023 ledger, seal it, and render its report.

    Writes DIR/civicledger.db (SQLite), the seal, the report as Markdown (also
    printed), HTML, DOCX and JSON, the indicator table (CSV, XLSX) and the
    rectification ledger (XLSX).

    Example:

        civicledger demo --dir demo-output
    """
    from civicledger.ledger import Ledger
    from civicledger.reports.tables import figure_rows, write_xlsx

    source = example_dir()
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "civicledger.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)

    def step(text: str) -> None:
        click.echo(f"== {text}", err=True)

    origin = "demo.civicledger.example/xx-community"
    with Ledger.open(f"sqlite:///{database}", origin=origin) as ledger:
        step(f"importing {source / 'events.jsonl'}")
        count = ledger.import_jsonl(source / "events.jsonl")
        step(f"recorded {count} events in {database}")
        seal = ledger.seal()
        (directory / "seal.txt").write_text(seal.text, encoding="utf-8")
        step(f"sealed at size {seal.tree_size}: {directory / 'seal.txt'}")

        report = ledger.report(source / "report.toml", year=2023, as_of=seal)
        markdown = report.to_markdown()
        (directory / "report.md").write_text(markdown, encoding="utf-8")
        (directory / "report.html").write_text(report.to_html(), encoding="utf-8")
        (directory / "report.json").write_text(report.to_json(), encoding="utf-8")
        report.to_docx(directory / "report.docx")

        figures = ledger.indicators(source / "indicators.toml", year=2023, as_of=seal)
        rows = figure_rows(figures)
        write_xlsx(rows, directory / "indicators.xlsx")
        _write_csv(rows, directory / "indicators.csv")
        ledger.export_followups(directory / "followups.xlsx", as_of=date(2023, 12, 31))

        verification = ledger.verify()
        if not verification.ok:
            raise CivicLedgerError(f"the new ledger does not verify:\n{verification}")

    click.echo(markdown)
    step(f"verified: {verification}".splitlines()[0])
    step(
        f"wrote report.md, report.html, report.docx, report.json, indicators.csv, "
        f"indicators.xlsx, followups.xlsx and seal.txt to {directory}"
    )


def _write_csv(rows: list[dict[str, object]], path: Path) -> None:
    from civicledger.reports.tables import write_csv

    with path.open("w", encoding="utf-8", newline="") as f:
        write_csv(rows, f)
