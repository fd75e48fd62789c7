"""Commands that render the year's deliverables: report, followups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import (
    chosen_period,
    ledger_set_options,
    open_source,
    output_option,
    pass_ledger,
    period_options,
    read_text_file,
    table,
    write_output,
)
from civicledger.cli.figures import distinct_option


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(report)
    group.add_command(followups)


@click.command()
@period_options
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="report.toml",
    show_default=True,
    help="The report template (TOML).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "html", "json", "docx", "xlsx"]),
    default="md",
    show_default=True,
)
@click.option(
    "--seal",
    "seal_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Render as of this seal (a checkpoint file): exactly the events it covers. With "
    "--ledger/--ledgers, one per ledger (matched by origin; repeatable).",
)
@click.option(
    "--latest-seals",
    is_flag=True,
    help="With --ledger/--ledgers: read every ledger at its latest seal.",
)
@distinct_option
@ledger_set_options
@output_option
@click.pass_context
def report(
    ctx: click.Context,
    period: str | None,
    year: int | None,
    template: Path,
    output_format: str,
    seal_files: tuple[Path, ...],
    latest_seals: bool,
    distinct: str,
    ledger_names: tuple[str, ...],
    ledger_prefix: str | None,
    output: Path | None,
) -> None:
    """Render a period's work report from the ledger, every figure computed; with
    --ledger (repeated) or --ledgers, a report over those ledgers, each figure rolled
    up and each ledger's own figure available to the template.

    The period is named, never assumed: --period 2023-01..2023-11 for 1—11月,
    --period 2023-Q4, or --year 2023 for the calendar year.

    Example:

        civicledger report --period 2023-01..2023-11 --template report.toml -o report.md

        civicledger report --year 2023 --ledgers street-x/ --latest-seals --format json
    """
    from civicledger.errors import SealMismatchError

    chosen = chosen_period(period, year)
    with open_source(ctx, ledger_names, ledger_prefix) as (source, is_set):
        if is_set:
            as_of = _set_seals(source, seal_files, latest_seals)
            rendered = source.report(template, period=chosen, as_of=as_of, distinct=distinct)
        else:
            if len(seal_files) > 1 or latest_seals:
                raise click.UsageError(
                    "one ledger is rendered as of one --seal; --latest-seals and several "
                    "seals need --ledger/--ledgers"
                )
            seal_file = seal_files[0] if seal_files else None
            try:
                rendered = source.report(template, period=chosen, as_of=_seal(seal_file))
            except SealMismatchError as e:
                raise SealMismatchError(
                    f"{seal_file}: refusing to render as of this seal: {e}",
                    tree_size=e.tree_size,
                    position=e.position,
                ) from e
    for warning in rendered.warnings:
        click.echo(f"civicledger: warning: {warning}", err=True)
    if output_format in ("docx", "xlsx"):
        if output is None:
            raise click.UsageError(f"--format {output_format} needs -o FILE.{output_format}")
        getattr(rendered, f"to_{output_format}")(output)
        click.echo(f"wrote {output}", err=True)
        return
    text = {"md": rendered.to_markdown, "html": rendered.to_html, "json": rendered.to_json}[
        output_format
    ]()
    write_output(text, output)


@click.group(invoke_without_command=True)
@click.option(
    "--on",
    "--as-of",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date the rows describe (default: today by the ledger's clock, stated on "
    "standard error); --as-of is its former name.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
)
@ledger_set_options
@output_option
@click.pass_context
def followups(
    ctx: click.Context,
    on: Any,
    output_format: str,
    ledger_names: tuple[str, ...],
    ledger_prefix: str | None,
    output: Path | None,
) -> None:
    """Show the rectification ledger (整改台账) on a date, or import edits to it; with
    --ledger (repeated) or --ledgers, every ledger's rows, each naming its ledger.

    Example:

        civicledger followups --on 2023-12-31 --format xlsx -o 整改台账.xlsx
    """
    if ctx.invoked_subcommand is not None:
        return
    day = on.date() if on is not None else None
    if ledger_names or ledger_prefix is not None:
        _set_followups(ctx, ledger_names, ledger_prefix, day, output_format, output)
        return
    from civicledger.cli._common import open_ledger

    with open_ledger(ctx) as ledger:
        if day is None:
            day = ledger.today()
            click.echo(f"civicledger: as of {day.isoformat()} (today)", err=True)
        if output_format == "xlsx" or (output_format == "csv" and output is not None):
            if output is None:
                raise click.UsageError("--format xlsx needs -o FILE.xlsx")
            ledger.export_followups(output, on=day)
            click.echo(f"wrote {output}", err=True)
            return
        if output_format == "csv":
            import tempfile

            with tempfile.TemporaryDirectory() as folder:
                sheet = Path(folder) / "followups.csv"
                ledger.export_followups(sheet, on=day)
                click.echo(sheet.read_text(encoding="utf-8"), nl=False)
            return
        rows = ledger.followups(on=day)
    if output_format == "json":
        from civicledger.followups import table_rows

        text = json.dumps(table_rows(rows), ensure_ascii=False, indent=2) + "\n"
        write_output(text, output)
        return
    headers = ["problem", "status", "overdue", "identified_on", "description"]
    lines = [
        (r.problem_id, r.status.label, "yes" if r.overdue else "", r.identified_on, r.description)
        for r in rows
    ]
    write_output(table(headers, lines), output)


@followups.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who records the changes.")
@pass_ledger
def followups_import(ledger: Any, path: Path, actor: str) -> None:
    """Record the progress and status changes made in an edited CSV/XLSX sheet, all or nothing.

    Example:

        civicledger followups import 整改台账.xlsx --actor party-office
    """
    recorded = ledger.import_followups(path, actor=actor)
    click.echo(f"recorded {len(recorded)} changes from {path}")


def _set_followups(
    ctx: click.Context,
    names: tuple[str, ...],
    prefix: str | None,
    day: Any,
    output_format: str,
    output: Path | None,
) -> None:
    """``followups --ledger/--ledgers``: the set's rows, each naming its ledger."""
    if output_format in ("csv", "xlsx"):
        raise click.UsageError(
            f"--format {output_format} writes one ledger's editable sheet; "
            "with --ledger/--ledgers use table or json"
        )
    with open_source(ctx, names, prefix) as (ledger_set, _):
        if day is None:
            day = ledger_set.ledgers[0].today()
            click.echo(f"civicledger: as of {day.isoformat()} (today)", err=True)
        rows = ledger_set.followups(day)
    if output_format == "json":
        from civicledger.followups import table_rows

        data = [
            {"ledger": row.ledger, **fields}
            for row, fields in zip(rows, table_rows(r.followup for r in rows), strict=True)
        ]
        write_output(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)
        return
    headers = ["ledger", "problem", "status", "overdue", "identified_on", "description"]
    lines = [
        (
            row.ledger,
            r.problem_id,
            r.status.label,
            "yes" if r.overdue else "",
            r.identified_on,
            r.description,
        )
        for row in rows
        for r in (row.followup,)
    ]
    write_output(table(headers, lines), output)


def _set_seals(ledger_set: Any, seal_files: tuple[Path, ...], latest: bool) -> Any:
    """What a set report is read at: each ledger's latest seal, the seal files given
    (each matched to the ledger whose origin it names), or every ledger's head."""
    from civicledger.errors import ValidationError
    from civicledger.ledgerset import LATEST_SEAL

    if latest and seal_files:
        raise click.UsageError("give --seal files or --latest-seals, not both")
    if latest:
        return LATEST_SEAL
    if not seal_files:
        return None
    by_origin = {ledger.origin: ledger.name for ledger in ledger_set}
    chosen: dict[str, Any] = {}
    for path in seal_files:
        seal = _seal(path)
        name = by_origin.get(seal.origin)
        if name is None:
            raise ValidationError(
                f"{path}: the seal is for {seal.origin}, which is no ledger of the set "
                f"({', '.join(ledger_set.names)})",
                field="seal",
            )
        if name in chosen:
            raise ValidationError(f"{path}: a second seal for ledger {name!r}", field="seal")
        chosen[name] = seal
    return chosen


def _seal(seal_file: Path | None) -> Any:
    if seal_file is None:
        return None
    from civicledger.audit import Seal

    return Seal.parse(read_text_file(seal_file, "seal"))
