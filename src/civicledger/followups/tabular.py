"""The rectification ledger as a spreadsheet: its columns, CSV/XLSX export, and reading it back.

The columns are the office's own (序号, 问题来源, 问题描述, 整改措施, 责任人,
责任单位, 整改时限, 整改进展, 整改状态, 销号日期), plus the few that make a
round trip possible (问题编号, 更新日期, ...). Each column also has an English
key; either may head the column of an imported file. :data:`COLUMNS` lists
them and says which are read back; :mod:`civicledger.followups.importing`
turns an edited sheet into events.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.followups.model import FollowUp
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.sheets import append_text_row, csv_row, read_csv_rows, read_xlsx_rows

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
            writer.writerow(csv_row(values[c.key] for c in COLUMNS))


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
    append_text_row(sheet, [c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in table:
        # Every cell is text, so Excel neither reformats dates nor drops leading zeros,
        # nor runs a description that starts with "=" as a formula.
        append_text_row(sheet, [values[c.key] for c in COLUMNS])
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


def read_table(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[SheetRow]:
    """Read a CSV or XLSX ledger sheet, headed by Chinese headers or English keys.

    Columns with other headers are ignored; rows that are entirely empty are skipped.
    Cells come back as exported: a CSV cell's protective apostrophe is removed.

    Args:
        path: a ``.csv`` or ``.xlsx`` file.
        limits: the file's bounds (size, rows, columns, cells), checked before loading.

    Returns:
        The data rows.

    Raises:
        ValidationError: the file cannot be read, has no header row, repeats a
            column, or lacks the 问题编号 (problem_id) column.
        LimitError: the file goes beyond one of the limits.
    """
    kind = _kind(path)
    try:
        if kind == "csv":
            raw = read_csv_rows(path, limits)
        else:
            raw = read_xlsx_rows(path, SHEET_NAME, limits)
    except ValidationError:
        raise
    except _UNREADABLE as e:
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


_UNREADABLE = (
    OSError,
    UnicodeDecodeError,
    csv.Error,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    EOFError,
    SyntaxError,  # xml.etree's ParseError: a damaged sheet inside the zip
    zlib.error,  # a damaged compressed member
)
"""What openpyxl and csv raise on a damaged file: each becomes one error naming the file."""


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(f"{path}: expected a .csv or .xlsx file (by its extension)")
    return suffix[1:]
