"""Commands for indicators and their derivations: indicators, explain."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import output_option, pass_ledger, table, write_output

SET_HELP = "The indicator set (TOML)."


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(indicators)
    group.add_command(explain)


@click.command()
@click.option("--year", type=int, required=True, help="The report year.")
@click.option(
    "--set",
    "indicator_set",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="indicators.toml",
    show_default=True,
    help=SET_HELP,
)
@click.option("--compare", "previous", type=int, help="Compare with this earlier year.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "xlsx"]),
    default="table",
    show_default=True,
)
@output_option
@pass_ledger
def indicators(
    ledger: Any,
    year: int,
    indicator_set: Path,
    previous: int | None,
    output_format: str,
    output: Path | None,
) -> None:
    """Compute every indicator of a set for a year, with lineage.

    Example:

        civicledger indicators --year 2023 --set indicators.toml --format csv -o 2023.csv
    """
    from civicledger.reports.tables import comparison_rows, figure_rows, write_xlsx

    if previous is None:
        rows = figure_rows(ledger.indicators(indicator_set, year=year))
    else:
        from civicledger.indicators import load

        comparisons = []
        for indicator in load(indicator_set):
            comparisons.extend(ledger.compare(indicator, year, previous))
        rows = comparison_rows(comparisons)
    if output_format == "json":
        write_output(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output)
    elif output_format == "csv":
        write_output(_csv(rows), output)
    elif output_format == "xlsx":
        if output is None:
            raise click.UsageError("--format xlsx needs -o FILE.xlsx")
        write_xlsx(rows, output)
        click.echo(f"wrote {output}", err=True)
    else:
        headers = list(rows[0]) if rows else ["indicator"]
        write_output(table(headers, [list(r.values()) for r in rows]), output)


@click.command()
@click.argument("indicator_id", metavar="INDICATOR")
@click.option("--year", type=int, required=True, help="The year of the figure.")
@click.option(
    "--set",
    "indicator_set",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="indicators.toml",
    show_default=True,
    help=SET_HELP,
)
@click.option("--why-not", "why_not", metavar="EVENT_ID", help="Say why this event did not count.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "prov"]),
    default="text",
    show_default=True,
)
@output_option
@pass_ledger
def explain(
    ledger: Any,
    indicator_id: str,
    year: int,
    indicator_set: Path,
    why_not: str | None,
    language: str,
    output_format: str,
    output: Path | None,
) -> None:
    """Show how a figure was derived: definition, contributing events, arithmetic.

    Example:

        civicledger explain employment.reemployment_trainees --year 2023 --set indicators.toml
    """
    from civicledger.errors import ValidationError
    from civicledger.indicators import load

    loaded = load(indicator_set)
    if indicator_id not in loaded:
        raise ValidationError(
            f"{indicator_set}: no indicator {indicator_id!r}; known: {', '.join(loaded.ids())}"
        )
    figure = ledger.compute(loaded[indicator_id], year)
    if output_format == "json" and why_not is None:
        text = json.dumps(figure.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif output_format == "prov":
        text = figure.to_prov().serialize(format="json") + "\n"
    else:
        text = ledger.explain(figure, why_not=why_not, language=language)
    write_output(text, output)


def _csv(rows: list[dict[str, Any]]) -> str:
    from civicledger.reports.tables import write_csv

    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue()
