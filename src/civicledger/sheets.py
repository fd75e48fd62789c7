"""Spreadsheet cells in and out: text stays text, and hostile files are refused before loading.

Every CSV and XLSX file civicledger writes or reads goes through this module, so
one rule decides how text is protected from spreadsheet formulas:

- XLSX cells holding text are written as explicit string cells, never as
  formulas, whatever the text starts with; characters XML cannot hold are
  replaced (:func:`civicledger.text.xml_safe`).
- CSV cells follow the OWASP rule against formula injection: a text starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe (plain numbers such as ``-3`` excepted, as they are not formulas).
  A text starting with an apostrophe that would otherwise be mistaken for an
  escaped one gets one more, so reading strips exactly what writing added and
  every text comes back unchanged.

Readers check a file against :class:`~civicledger.limits.Limits` before handing
it to a parser: its size, an XLSX file's uncompressed size (from the zip
directory) and each worksheet's declared ``<dimension>`` (from a streaming parse
of its first elements); then the rows, columns and cell sizes actually read.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError, iterparse

from civicledger.errors import ValidationError
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.text import xml_safe

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "append_text_row",
    "csv_cell",
    "csv_row",
    "csv_text",
    "read_csv_rows",
    "read_xlsx_rows",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read a cell as a formula (OWASP)."""

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


# -- writing ---------------------------------------------------------------------------


def _needs_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] == "'":
        return _needs_quote(text[1:])  # an apostrophe a reader would otherwise strip
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value: object) -> object:
    """A value as a CSV cell: text that a spreadsheet would run as a formula gets an apostrophe."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """Every value of a row through :func:`csv_cell`."""
    return [csv_cell(v) for v in values]


def csv_text(cell: str) -> str:
    """Undo :func:`csv_cell`: the text a CSV cell was written from."""
    if cell.startswith("'") and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


def append_text_row(sheet: Worksheet, values: Sequence[object]) -> None:
    """Append a row to an openpyxl sheet, every text an explicit string cell (never a formula).

    Numbers and dates keep their types; text has the characters XML cannot hold replaced.
    """
    sheet.append([xml_safe(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl makes any "=..." a formula otherwise


# -- reading ---------------------------------------------------------------------------


def read_csv_rows(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[list[str]]:
    """Read a UTF-8 CSV file's rows (escaped cells restored), within the limits.

    Raises:
        LimitError: the file, a row count, a column count or a cell is too large.
        OSError, UnicodeDecodeError, csv.Error: the file cannot be read.
    """
    _check_file_size(path, limits)
    rows: list[list[str]] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            _check_row(path, len(rows) + 1, row, limits)
            rows.append([csv_text(cell) for cell in row])
    return rows


def read_xlsx_rows(
    path: Path, sheet_name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[list[Any]]:
    """Read one worksheet's cell values (the named one, else the first), within the limits.

    Before openpyxl sees the file, its size, its uncompressed size and every
    worksheet's declared dimension are checked.

    Raises:
        LimitError: a size, a declared or actual dimension, or a cell is too large.
        ValidationError: the file is not a readable XLSX workbook.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        raise ValidationError(f"{path}: not a readable XLSX workbook: {e}") from e
    try:
        sheet = (
            workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
        )
        rows: list[list[Any]] = []
        for values in sheet.iter_rows(values_only=True):
            row = list(values)
            while row and row[-1] is None:
                row.pop()  # read-only sheets pad rows to the widest one
            _check_row(path, len(rows) + 1, row, limits)
            rows.append(row)
        return rows
    except (zipfile.BadZipFile, ParseError, KeyError, ValueError, EOFError) as e:
        raise ValidationError(f"{path}: not a readable XLSX workbook: {e}") from e
    finally:
        workbook.close()


def check_xlsx(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check an XLSX file's sizes and declared dimensions without unpacking it.

    Raises:
        LimitError: the file, its uncompressed content or a declared dimension is too large.
        ValidationError: the file is not a zip archive.
    """
    _check_file_size(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > limits.sheet_max_uncompressed_bytes:
                raise limits.refusal(
                    str(path), "sheet_max_uncompressed_bytes", f"the unpacked size, {total} bytes,"
                )
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(
                    ".xml"
                ):
                    with archive.open(member) as stream:
                        _check_dimension(path, member.filename, _declared_dimension(stream), limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, EOFError) as e:
        raise ValidationError(f"{path}: not a readable XLSX workbook: {e}") from e


def _declared_dimension(stream: Any) -> str | None:
    """The ``ref`` of a worksheet's ``<dimension>``, read without parsing past the cells' start."""
    for _, element in iterparse(stream, events=("start",)):
        tag = element.tag.rpartition("}")[2]
        if tag == "dimension":
            ref: str | None = element.get("ref")
            return ref
        if tag == "sheetData":
            return None
    return None


def _check_dimension(path: Path, member: str, ref: str | None, limits: Limits) -> None:
    if not ref:
        return
    corners = [_CELL_REF.fullmatch(part.strip()) for part in ref.split(":")]
    if not all(corners):
        raise ValidationError(f"{path}: {member} declares an unreadable dimension {ref!r}")
    rows = max(int(c.group(2)) for c in corners if c is not None)
    columns = max(_column_number(c.group(1)) for c in corners if c is not None)
    where = f"{path}: {member} declares the dimension {ref}"
    if rows > limits.sheet_max_rows:
        raise limits.refusal(where, "sheet_max_rows", f"{rows} rows")
    if columns > limits.sheet_max_columns:
        raise limits.refusal(where, "sheet_max_columns", f"{columns} columns")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _check_file_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size
    if size > limits.sheet_max_file_bytes:
        raise limits.refusal(str(path), "sheet_max_file_bytes", f"the file's size, {size} bytes,")


def _check_row(path: Path, number: int, row: Sequence[Any], limits: Limits) -> None:
    if number > limits.sheet_max_rows:
        raise limits.refusal(f"{path}: row {number}", "sheet_max_rows", "the count of rows")
    if len(row) > limits.sheet_max_columns:
        raise limits.refusal(
            f"{path}: row {number}", "sheet_max_columns", f"{len(row)} columns", line=number
        )
    for column, cell in enumerate(row, start=1):
        if isinstance(cell, str) and len(cell) > limits.sheet_max_cell_chars:
            raise limits.refusal(
                f"{path}: row {number}, column {column}",
                "sheet_max_cell_chars",
                f"{len(cell)} characters",
                line=number,
            )
