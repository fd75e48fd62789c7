"""The rectification ledger as a spreadsheet: export to CSV/XLSX, import edited progress back.

The columns are the office's own (序号, 问题来源, 问题描述, 整改措施, 责任人,
责任单位, 整改时限, 整改进展, 整改状态, 销号日期), plus the few that make a
round trip possible (问题编号, 更新日期, ...). Each column also has an English
key; either may head the column of an imported file. :data:`COLUMNS` lists
them and says which are read back.

Import reads only the changes an office makes in such a sheet — a new progress
note, a percentage, an evidence reference, a new status, a sign-off date — and
turns each edited row into problem events. The whole file is checked first;
every bad row is reported, by its spreadsheet row number (the header is row 1),
and then nothing is produced.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from civicledger.catalog.followups import (
    PROGRESS_STATUSES,
    FollowUpStatus,
    ProblemReopened,
    ProblemResolved,
    RectificationProgressed,
)
from civicledger.errors import ValidationError
from civicledger.events import Event, RecordedEvent
from civicledger.followups.fold import Change, FollowUpFold
from civicledger.followups.model import FollowUp

LONG_TERM = "长期坚持"
"""What the 整改时限 cell says when no measure has a deadline."""

SHEET_NAME = "整改台账"
"""The worksheet name used on export (import reads this sheet, or else the first)."""


@attrs.frozen
class Column:
    """One column of the exported ledger.

    Attributes:
        key: the English key (accepted as a header on import).
        header: the Chinese header written on export.
        imported: whether import reads the column (the others are for reading only).
        meaning: what the column holds.
    """

    key: str
    header: str
    imported: bool
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", False, "running number of the row"),
    Column("problem_id", "问题编号", True, "the problem's id; identifies the row on import"),
    Column("source", "问题来源", False, "where the problem came to light (label)"),
    Column("description", "问题描述", False, "the problem"),
    Column("category", "问题类别", False, "the problem's area"),
    Column("identified_on", "发现日期", False, "when the problem was identified"),
    Column("measures", "整改措施", False, "one line per measure: '<measure id>. <description>'"),
    Column("owners", "责任人", False, "the measures' owners, joined by 、"),
    Column("units", "责任单位", False, "the measures' responsible units, joined by 、"),
    Column("due_on", "整改时限", False, f"the latest deadline, or {LONG_TERM} if none has one"),
    Column("progress", "整改进展", True, "the latest progress note; write a new one to add it"),
    Column("percent", "完成比例", True, "progress in percent (weighted over the measures)"),
    Column("evidence", "佐证材料", True, "the latest evidence reference"),
    Column("updated_on", "更新日期", True, "date of the latest change; the date of an edit"),
    Column("status", "整改状态", True, "the status label (or key); change it to change status"),
    Column("overdue", "是否逾期", False, "是 if a deadline has passed unfinished, else 否"),
    Column("closed_on", "销号日期", True, "sign-off date; filled with the status 已销号"),
)
"""Every exported column, in order."""

_BY_HEADER: Mapping[str, Column] = {c.header: c for c in COLUMNS} | {
    c.key.lower(): c for c in COLUMNS
}

STATUS_ALIASES: Mapping[str, FollowUpStatus] = {
    "已完成": FollowUpStatus.DONE,
    "完成": FollowUpStatus.DONE,
    "整改完成": FollowUpStatus.DONE,
    "基本完成": FollowUpStatus.BASICALLY_DONE,
    "持续整改": FollowUpStatus.BASICALLY_DONE,
    "整改中": FollowUpStatus.IN_PROGRESS,
    "销号": FollowUpStatus.CLOSED,
    "回头看": FollowUpStatus.REOPENED,
}
"""Other spellings of a status that import accepts, besides each status's key and label."""

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


# -- export ---------------------------------------------------------------------------


def table_rows(rows: Iterable[FollowUp]) -> list[dict[str, str]]:
    """Lay follow-ups out as spreadsheet rows, keyed by column key.

    Args:
        rows: the follow-ups, in the order to list them.

    Returns:
        One dict per follow-up with a text value for every column in :data:`COLUMNS`.
    """
    table = []
    for seq, row in enumerate(rows, start=1):
        notes = row.progress
        deadlines = row.due_on.isoformat() if row.due_on else (LONG_TERM if row.measures else "")
        table.append(
            {
                "seq": str(seq),
                "problem_id": row.problem_id,
                "source": row.source.label,
                "description": row.description,
                "category": row.category,
                "identified_on": row.identified_on.isoformat(),
                "measures": "\n".join(f"{m.measure_id}. {m.description}" for m in row.measures),
                "owners": "、".join(dict.fromkeys(m.owner for m in row.measures)),
                "units": "、".join(dict.fromkeys(m.unit for m in row.measures)),
                "due_on": deadlines,
                "progress": notes[-1].note if notes else "",
                "percent": "" if row.percent is None else str(row.percent),
                "evidence": row.evidence[-1] if row.evidence else "",
                "updated_on": row.timeline[-1].on.isoformat(),
                "status": row.status.label,
                "overdue": "是" if row.overdue else "否",
                "closed_on": row.closed_on.isoformat() if row.closed_on else "",
            }
        )
    return table


def write_csv(path: Path, rows: Iterable[FollowUp]) -> None:
    """Write follow-ups as CSV with the Chinese headers, in UTF-8 with a BOM for Excel.

    Args:
        path: the file to write (replaced if it exists).
        rows: the follow-ups.
    """
    table = table_rows(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.header for c in COLUMNS])
        for values in table:
            writer.writerow([values[c.key] for c in COLUMNS])


def write_xlsx(path: Path, rows: Iterable[FollowUp]) -> None:
    """Write follow-ups as an XLSX workbook, one sheet named 整改台账, with Chinese headers.

    Args:
        path: the file to write (replaced if it exists).
        rows: the follow-ups.
    """
    from openpyxl import Workbook  # imported here: only XLSX users pay for it
    from openpyxl.styles import Alignment, Font

    table = table_rows(rows)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has an active sheet
    sheet.title = SHEET_NAME
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in table:
        # Every cell is text, so Excel neither reformats dates nor drops leading zeros.
        sheet.append([values[c.key] for c in COLUMNS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    workbook.save(path)


def write_table(path: Path, rows: Iterable[FollowUp]) -> None:
    """Write follow-ups as CSV or XLSX, chosen by the file's extension.

    Args:
        path: a ``.csv`` or ``.xlsx`` file.
        rows: the follow-ups.

    Raises:
        ValidationError: the extension is neither.
    """
    kind = _kind(path)
    (write_csv if kind == "csv" else write_xlsx)(path, rows)


# -- import ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SheetRow:
    """One data row of an imported sheet.

    Attributes:
        row: its spreadsheet row number (the header is row 1).
        values: its cells by column key, stripped, as text ('' for empty); dates
            and numbers from XLSX cells are kept as they are.
    """

    row: int
    values: Mapping[str, Any]


def read_table(path: Path) -> list[SheetRow]:
    """Read a CSV or XLSX ledger sheet, headed by Chinese headers or English keys.

    Columns with other headers are ignored; rows that are entirely empty are skipped.

    Args:
        path: a ``.csv`` or ``.xlsx`` file.

    Returns:
        The data rows.

    Raises:
        ValidationError: the file cannot be read, has no header row, repeats a
            column, or lacks the 问题编号 (problem_id) column.
    """
    kind = _kind(path)
    try:
        raw = _read_csv(path) if kind == "csv" else _read_xlsx(path)
    except ValidationError:
        raise
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError) as e:
        raise ValidationError(f"{path}: cannot read the {kind.upper()} file: {e}") from e
    if not raw:
        raise ValidationError(f"{path}: the file is empty; expected a header row", line=1)
    header, *body = raw
    keys: list[str | None] = []
    for cell in header:
        text = "" if cell is None else str(cell).strip()
        column = _BY_HEADER.get(text) or _BY_HEADER.get(text.lower())
        if column is not None and column.key in keys:
            raise ValidationError(
                f"{path}: row 1: column {text!r} appears twice", line=1, field=column.key
            )
        keys.append(column.key if column else None)
    if "problem_id" not in keys:
        raise ValidationError(
            f"{path}: row 1: no 问题编号 (problem_id) column; it identifies each problem",
            line=1,
            field="problem_id",
        )
    rows = []
    for number, cells in enumerate(body, start=2):
        values: dict[str, Any] = {}
        for key, cell in zip(keys, cells, strict=False):
            if key is not None:
                values[key] = cell.strip() if isinstance(cell, str) else cell
        if any(v not in (None, "") for v in values.values()):
            rows.append(SheetRow(row=number, values=values))
    return rows


def _read_csv(path: Path) -> list[list[Any]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [list(r) for r in csv.reader(f)]


def _read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        raise ValidationError(f"{path}: not a readable XLSX workbook: {e}") from e
    try:
        sheet = (
            workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        )
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def plan_import(
    sheet: Sequence[SheetRow],
    history: Iterable[RecordedEvent],
    *,
    actor: str,
    source: str = "the file",
) -> list[Change]:
    """Turn the edited rows of a ledger sheet into problem events, checking every row first.

    A row changes nothing unless it differs from the ledger: a 整改进展 note
    other than the latest one becomes a progress note (with 完成比例 and
    佐证材料 if they changed too); a new 整改状态 becomes a status change, dated
    by 更新日期 (a sign-off by 销号日期 if given). An unchanged row, such as
    every row of a fresh export, yields nothing.

    Args:
        sheet: the rows, as read by :func:`read_table`.
        history: the ledger's recorded events, in ledger order.
        actor: who records the changes.
        source: how error messages name the file.

    Returns:
        The changes, in row order, ready to append as one batch.

    Raises:
        ValidationError: one or more rows are bad (an unknown problem id, a
            disallowed status change, a date before identification or before the
            problem's latest change, a malformed date, status or percentage, a
            repeated problem); ``problems`` holds one error per bad row, each with
            its ``line`` (row number) and ``field``.
    """
    fold = FollowUpFold()
    for recorded in history:
        fold.apply(recorded.payload, actor=recorded.actor)
    current = {row.problem_id: row for row in fold.rows(date.max)}
    errors: list[ValidationError] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for sheet_row in sheet:
        try:
            events = _row_events(sheet_row, current, seen)
        except _RowError as e:
            errors.append(_error(source, sheet_row.row, e.field, e.message))
            continue
        for payload in events:
            rejection = fold.apply(payload, actor=actor)
            if rejection is not None:
                field = "updated_on" if "dated" in rejection.reason else "status"
                errors.append(_error(source, sheet_row.row, field, rejection.reason))
                break
            changes.append(Change(event=payload, actor=actor))
    if errors:
        raise ValidationError(
            f"{source}: {len(errors)} bad row(s); nothing was imported:\n"
            + "\n".join(e.message for e in errors),
            problems=errors,
        )
    return changes


def read_changes(path: Path, history: Iterable[RecordedEvent], *, actor: str) -> list[Change]:
    """Read an edited ledger sheet (CSV or XLSX) and plan the events it asks for.

    Args:
        path: the ``.csv`` or ``.xlsx`` file.
        history: the ledger's recorded events, in ledger order.
        actor: who records the changes.

    Returns:
        The changes to append as one batch (empty when nothing was edited).

    Raises:
        ValidationError: the file cannot be read, or any row is bad (every bad
            row is listed in ``problems``).
    """
    return plan_import(read_table(path), history, actor=actor, source=str(path))


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _error(source: str, row: int, field: str, message: str) -> ValidationError:
    header = next(c.header for c in COLUMNS if c.key == field)
    return ValidationError(
        f"{source}: row {row}, {header} ({field}): {message}", line=row, field=field
    )


def _row_events(
    sheet_row: SheetRow, current: Mapping[str, FollowUp], seen: dict[str, int]
) -> list[Event]:
    """The events one edited row asks for (none if it is unchanged)."""
    values = sheet_row.values
    problem_id = _text(values.get("problem_id"))
    if not problem_id:
        raise _RowError("problem_id", "empty; every row must name its problem")
    if problem_id in seen:
        raise _RowError("problem_id", f"{problem_id!r} is already on row {seen[problem_id]}")
    seen[problem_id] = sheet_row.row
    row = current.get(problem_id)
    if row is None:
        raise _RowError("problem_id", f"unknown problem {problem_id!r}; it is not in the ledger")
    # Parse every imported cell first, so a malformed one is reported even if unused.
    updated_on = _date(values.get("updated_on"), "updated_on")
    closed_on = _date(values.get("closed_on"), "closed_on")
    percent = _percent(values.get("percent"))
    status = _status(values.get("status"))
    note = _text(values.get("progress"))
    evidence = _text(values.get("evidence"))

    latest_note = row.progress[-1].note if row.progress else ""
    target = status if "status" in values and status is not None and status != row.status else None
    resolving = target in (FollowUpStatus.DONE, FollowUpStatus.CLOSED)
    new_note = "progress" in values and note != latest_note
    # Done means 100%: a percentage typed alongside a resolution is not a separate change.
    new_percent = "percent" in values and percent != row.percent and not resolving
    latest_evidence = row.evidence[-1] if row.evidence else ""
    new_evidence = "evidence" in values and bool(evidence) and evidence != latest_evidence
    if "closed_on" in values and closed_on != row.closed_on and status is not FollowUpStatus.CLOSED:
        raise _RowError("closed_on", "a sign-off date needs the status 已销号 (closed)")
    if not (new_note or new_percent or new_evidence or target):
        return []
    if updated_on is None:
        raise _RowError("updated_on", "the row was edited, so give the date of the change")
    if new_note and not note:
        raise _RowError("progress", "a progress note cannot be blanked; write a new one instead")
    if target is FollowUpStatus.OPEN:
        raise _RowError(
            "status",
            f"status cannot change from {row.status} ({row.status.label}) to open (未整改); "
            "open is only the starting status",
        )
    if target is FollowUpStatus.REOPENED:
        if not new_note:
            raise _RowError("progress", "reopening needs the re-inspection finding in 整改进展")
        return [ProblemReopened(occurred_on=updated_on, problem_id=problem_id, reason=note)]
    if not new_note and (new_percent or (new_evidence and not resolving)):
        raise _RowError(
            "progress", "a new 完成比例 or 佐证材料 needs a new 整改进展 note saying what was done"
        )
    if not new_note and target in PROGRESS_STATUSES:
        raise _RowError("progress", "a status change needs a 整改进展 note saying what was done")

    events: list[Event] = []
    if new_note:
        events.append(
            RectificationProgressed(
                occurred_on=updated_on,
                problem_id=problem_id,
                note=note,
                percent=percent if new_percent else None,
                evidence=evidence if new_evidence else None,
                status=target if target in PROGRESS_STATUSES else None,
            )
        )
    if resolving:
        assert target is not None
        on = closed_on if target is FollowUpStatus.CLOSED and closed_on else updated_on
        events.append(
            ProblemResolved(
                occurred_on=on,
                problem_id=problem_id,
                status=target,
                evidence=evidence if new_evidence and not new_note else None,
            )
        )
    return events


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _date(value: Any, field: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for form in _DATE_FORMS:
        if match := form.match(text):
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise _RowError(field, f"{text!r} is not a date; write it as YYYY-MM-DD")


def _percent(value: Any) -> int | None:
    text = _text(value).removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise _RowError("percent", f"{_text(value)!r} is not a whole percentage from 0 to 100")
    return int(number)


def _status(value: Any) -> FollowUpStatus | None:
    text = _text(value)
    if not text:
        return None
    for status in FollowUpStatus:
        if text in (status.label, status.value) or text.lower() == status.value:
            return status
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text]
    known = "、".join(s.label for s in FollowUpStatus)
    raise _RowError("status", f"unknown status {text!r}; use one of {known}")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(f"{path}: expected a .csv or .xlsx file (by its extension)")
    return suffix[1:]
