"""Commands for indicators and their derivations: indicators, explain, series."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import (
    EXIT_CHECK_FAILED,
    as_of_option,
    chosen_period,
    ledger_point,
    ledger_set_options,
    open_source,
    output_option,
    pass_ledger,
    period_options,
    set_option,
    table,
    write_output,
)


def distinct_option(f: Any) -> Any:
    """``--distinct ledger|key``: how a roll-up counts one key found in two ledgers."""
    return click.option(
        "--distinct",
        type=click.Choice(["ledger", "key"]),
        default="ledger",
        show_default=True,
        help="With --ledger/--ledgers: count a distinct key once per ledger it is in "
        "(ledger), or once across the ledgers (key).",
    )(f)


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(indicators)
    group.add_command(explain)
    group.add_command(series)


@click.command()
@period_options
@set_option
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
@as_of_option
@distinct_option
@ledger_set_options
@output_option
@click.pass_context
def indicators(
    ctx: click.Context,
    period: str | None,
    year: int | None,
    indicator_set: Path,
    previous: str | None,
    with_followups: bool,
    check: bool,
    output_format: str,
    as_of: str | None,
    distinct: str,
    ledger_names: tuple[str, ...],
    ledger_prefix: str | None,
    output: Path | None,
) -> None:
    """Compute every indicator of a set for a period, with lineage; with --ledger
    (repeated) or --ledgers, roll each figure up across those ledgers.

    With --check the set's rules are evaluated too: one line per rule, period and
    group on stderr, and exit status 1 when any rule fails.

    Example:

        civicledger indicators --period 2023-01..2023-11 --set indicators.toml --compare year
    """
    chosen = chosen_period(period, year)
    if with_followups and previous is not None:
        raise click.UsageError("--followups cannot be combined with --compare")
    if with_followups and as_of is not None:
        raise click.UsageError("--followups describes the period's end, not a ledger point")
    point = ledger_point(as_of)
    with open_source(ctx, ledger_names, ledger_prefix) as (source, is_set):
        if is_set and (with_followups or check or point is not None):
            raise click.UsageError(
                "--followups, --check and --as-of read one ledger, not --ledger/--ledgers"
            )
        if is_set and previous is not None:
            from civicledger.indicators import load
            from civicledger.reports.tables import comparison_rows

            against, earlier = _basis(previous)
            compared = [
                c
                for indicator in load(indicator_set)
                for c in source.compare(
                    indicator, chosen, earlier, against=against, distinct=distinct
                )
            ]
            _write_rows(comparison_rows(compared), output_format, output)
        elif is_set:
            from civicledger.reports.tables import rollup_rows

            rollups = source.indicators(indicator_set, period=chosen, distinct=distinct)
            _write_rows(rollup_rows(rollups), output_format, output)
        else:
            _one_ledger(
                source,
                chosen,
                indicator_set,
                previous,
                with_followups,
                check,
                output_format,
                output,
                point,
            )


def _one_ledger(
    ledger: Any,
    chosen: Any,
    indicator_set: Path,
    previous: str | None,
    with_followups: bool,
    check: bool,
    output_format: str,
    output: Path | None,
    as_of: Any,
) -> None:
    from civicledger.reports.tables import comparison_rows, figure_rows

    if previous is None or check:
        figures = ledger.indicators(indicator_set, period=chosen, as_of=as_of)
    else:
        figures = []
    if previous is None:
        shown = list(figures)
        if with_followups:
            shown.extend(ledger.followup_rollup(period=chosen).all_figures())
        rows = figure_rows(shown)
    else:
        from civicledger.indicators import load

        against, earlier = _basis(previous)
        comparisons = []
        for indicator in load(indicator_set):
            comparisons.extend(
                ledger.compare(indicator, chosen, earlier, against=against, as_of=as_of)
            )
        rows = comparison_rows(comparisons)
    _write_rows(rows, output_format, output)
    if check:
        from civicledger.indicators import load
        from civicledger.projections import check_rules

        results = check_rules(load(indicator_set), figures)
        for result in results:
            click.echo(str(result), err=True)
        if any(result.passed is False for result in results):
            click.get_current_context().exit(EXIT_CHECK_FAILED)


def _basis(previous: str) -> tuple[Any, str | None]:
    """``--compare``'s value as (against, an earlier period or None)."""
    if previous in ("year", "period"):
        return previous, None
    return "year", previous


def _write_rows(rows: list[dict[str, Any]], output_format: str, output: Path | None) -> None:
    from civicledger.reports.tables import write_xlsx

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
@period_options
@set_option
@click.option("--why-not", "why_not", metavar="EVENT_ID", help="Say why this event did not count.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "prov"]),
    default="text",
    show_default=True,
)
@distinct_option
@ledger_set_options
@output_option
@click.pass_context
def explain(
    ctx: click.Context,
    indicator_id: str,
    period: str | None,
    year: int | None,
    indicator_set: Path,
    why_not: str | None,
    language: str,
    output_format: str,
    distinct: str,
    ledger_names: tuple[str, ...],
    ledger_prefix: str | None,
    output: Path | None,
) -> None:
    """Show how a figure was derived: definition, contributing events, arithmetic; with
    --ledger (repeated) or --ledgers, from the roll-up to each ledger's figure and events.

    Example:

        civicledger explain employment.reemployment_trainees --period 2023-Q4 --set indicators.toml
    """
    chosen = chosen_period(period, year)
    indicator = _load_indicator(indicator_set, indicator_id)
    with open_source(ctx, ledger_names, ledger_prefix) as (source, is_set):
        if is_set:
            if why_not is not None or output_format == "prov":
                raise click.UsageError(
                    "--why-not and --format prov explain one ledger's figure: name it with "
                    "the global --ledger"
                )
            rollup = source.compute(indicator, chosen, distinct=distinct)
            if output_format == "json":
                text = json.dumps(rollup.to_dict(), ensure_ascii=False, indent=2) + "\n"
            else:
                text = source.explain(rollup, language=language)
            write_output(text, output)
            return
        if indicator.followups is not None and not indicator.group_by:
            # A roll-up declared in the set: only the ledger's indicators() counts follow-ups.
            (figure,) = source.indicators([indicator], period=chosen)
        else:
            figure = source.compute(indicator, chosen)
        if output_format == "json" and why_not is None:
            text = json.dumps(figure.to_dict(), ensure_ascii=False, indent=2) + "\n"
        elif output_format == "prov":
            text = figure.to_prov().serialize(format="json") + "\n"
        else:
            text = source.explain(figure, why_not=why_not, language=language)
    write_output(text, output)


@click.command()
@click.argument("indicator_id", metavar="INDICATOR")
@period_options
@click.option(
    "--by",
    type=click.Choice(["month", "quarter", "week"]),
    default="month",
    show_default=True,
    help="The step: one figure per month, quarter or ISO week, clipped to the period.",
)
@click.option(
    "--previous-year",
    is_flag=True,
    help="Add each step's figure one year earlier (同比), step by step.",
)
@set_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="json gives every figure in full, with its lineage.",
)
@output_option
@pass_ledger
def series(
    ledger: Any,
    indicator_id: str,
    period: str | None,
    year: int | None,
    by: str,
    previous_year: bool,
    indicator_set: Path,
    output_format: str,
    output: Path | None,
) -> None:
    """Compute an indicator step by step through a period: one figure per month, quarter or week.

    Example:

        civicledger series volunteer.hours --period 2023 --by month --set indicators.toml
    """
    from civicledger.reports.tables import series_rows

    loaded = _load_indicator(indicator_set, indicator_id)
    found = ledger.series(loaded, chosen_period(period, year), by=by, previous_year=previous_year)
    if output_format == "json":
        write_output(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) + "\n", output)
        return
    _write_rows(series_rows(found), output_format, output)


def _load_indicator(indicator_set: Path, indicator_id: str) -> Any:
    """The indicator of that id in the set file, or an error naming the ids most like it."""
    from civicledger.errors import ValidationError
    from civicledger.indicators import load

    loaded = load(indicator_set)
    try:
        return loaded[indicator_id]
    except ValidationError as e:
        raise ValidationError(f"{indicator_set}: {e.message}", field=e.field) from None


def _csv(rows: list[dict[str, Any]]) -> str:
    from civicledger.reports.tables import write_csv

    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue()
