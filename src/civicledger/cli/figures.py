"""Commands for indicators and their derivations: indicators, explain."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import (
    EXIT_CHECK_FAILED,
    chosen_period,
    output_option,
    pass_ledger,
    period_options,
    table,
    write_output,
)

SET_HELP = "The indicator set (TOML)."


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(indicators)
    group.add_command(explain)


@click.command()
@period_options
@click.option(
    "--set",
    "indicator_set",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="indicators.toml",
    show_default=True,
    help=SET_HELP,
)
@click.option(
    "--compare",
    "previous",
    metavar="year|period|PERIOD",
    help="Compare: 'year' (同比, the same span a year earlier), 'period' (环比, the "
    "preceding period of the same kind) or an earlier period such as 2022.",
)
@click.option(
    "--followups",
    "with_followups",
    is_flag=True,
    help="Add the rectification ledger's roll-up figures (followups.total, "
    "followups.completion_rate, ...) as of the period's end.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Also evaluate the set's rules (printed on stderr); exit 1 when one fails.",
)
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
    period: str | None,
    year: int | None,
    indicator_set: Path,
    previous: str | None,
    with_followups: bool,
    check: bool,
    output_format: str,
    output: Path | None,
) -> None:
    """Compute every indicator of a set for a period, with lineage.

    With --check the set's rules are evaluated too: one line per rule, period and
    group on stderr, and exit status 1 when any rule fails.

    Example:

        civicledger indicators --period 2023-01..2023-11 --set indicators.toml --compare year
    """
    from civicledger.reports.tables import comparison_rows, figure_rows, write_xlsx

    chosen = chosen_period(period, year)
    if with_followups and previous is not None:
        raise click.UsageError("--followups cannot be combined with --compare")
    figures = ledger.indicators(indicator_set, period=chosen) if previous is None or check else []
    if previous is None:
        shown = list(figures)
        if with_followups:
            shown.extend(ledger.followup_rollup(period=chosen).all_figures())
        rows = figure_rows(shown)
    else:
        from civicledger.indicators import load

        against = previous if previous in ("year", "period") else "year"
        earlier = None if previous in ("year", "period") else previous
        comparisons = []
        for indicator in load(indicator_set):
            comparisons.extend(ledger.compare(indicator, chosen, earlier, against=against))
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
    if check:
        from civicledger.indicators import load
        from civicledger.projections import check_rules

        results = check_rules(load(indicator_set), figures)
        for result in results:
            click.echo(str(result), err=True)
        if any(result.passed is False for result in results):
            click.get_current_context().exit(EXIT_CHECK_FAILED)


@click.command()
@click.argument("indicator_id", metavar="INDICATOR")
@period_options
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
    period: str | None,
    year: int | None,
    indicator_set: Path,
    why_not: str | None,
    language: str,
    output_format: str,
    output: Path | None,
) -> None:
    """Show how a figure was derived: definition, contributing events, arithmetic.

    Example:

        civicledger explain employment.reemployment_trainees --period 2023-Q4 --set indicators.toml
    """
    from civicledger.errors import ValidationError
    from civicledger.indicators import load

    chosen = chosen_period(period, year)
    loaded = load(indicator_set)
    try:
        indicator = loaded[indicator_id]
    except ValidationError as e:
        raise ValidationError(f"{indicator_set}: {e.message}", field=e.field) from None
    if indicator.followups is not None and not indicator.group_by:
        # A roll-up declared in the set: only the ledger's indicators() counts follow-ups.
        (figure,) = ledger.indicators([indicator], period=chosen)
    else:
        figure = ledger.compute(indicator, chosen)
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
