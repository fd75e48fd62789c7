"""Columns of plain Python values made into typed Arrow tables, and those into pandas.

Every table in this package is built the same way: rows of plain values (ints,
Decimals, dates, aware datetimes, text, booleans, lists, None) are gathered per
column, each column gets one Arrow type, and pandas frames are converted from
the Arrow table, so the two forms cannot disagree.
"""

from __future__ import annotations

import enum
import importlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from civicledger.errors import CivicLedgerError

if TYPE_CHECKING:
    import pandas
    import pyarrow

Decimals: TypeAlias = Literal["exact", "float"]
"""How a pandas frame holds decimal values: ``"exact"`` as :class:`~decimal.Decimal`
objects (object dtype), ``"float"`` converted to float64."""

EXTRA = "frames"


def _require(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise CivicLedgerError(
            f"{what} need {module}: install the extra with pip install 'civicledger[{EXTRA}]'"
        ) from e


def require_arrow() -> Any:
    """The pyarrow module, or an error naming the extra that installs it.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    return _require("pyarrow", "tables")


def require_pandas() -> Any:
    """The pandas module, or an error naming the extra that installs it.

    Raises:
        CivicLedgerError: pandas is not installed.
    """
    return _require("pandas", "DataFrames")


def plain(value: Any) -> Any:
    """A value as a table cell: vocabularies by their stored key, ids as text, lists of
    scalars as lists, anything structured as its JSON text."""
    if value is None or isinstance(value, bool | int | Decimal | str | date):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, tuple | list | frozenset):
        items = [plain(v) for v in value]
        if all(not isinstance(v, list | dict) for v in items):
            return items
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)


def _jsonable(value: Any) -> Any:
    if attrs.has(type(value)):
        return {a.name: _jsonable(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)  # dates, datetimes, ids: their ISO or canonical text


def column_type(values: Sequence[Any]) -> Any:
    """The Arrow type of a column of plain values (text when the values disagree)."""
    pa = require_arrow()
    present = [v for v in values if v is not None]
    if not present:
        return pa.string()
    kinds = {_kind(v) for v in present}
    if kinds == {"int"}:
        return pa.int64()
    if kinds <= {"int", "decimal"}:
        return _decimal_type(present)
    if len(kinds) == 1:
        (kind,) = kinds
        if kind == "list":
            return pa.list_(pa.string())
        return {
            "bool": pa.bool_(),
            "date": pa.date32(),
            "datetime": pa.timestamp("us", tz="UTC"),
            "text": pa.string(),
        }[kind]
    return pa.string()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "list"
    return "text"


def _decimal_type(values: Sequence[int | Decimal]) -> Any:
    """decimal128(38, scale) holding every value exactly (decimal256 for longer ones)."""
    pa = require_arrow()
    scale, whole = 0, 1
    for value in values:
        _, digits, exponent = Decimal(value).as_tuple()
        assert isinstance(exponent, int)  # figures are finite
        scale = max(scale, -exponent)
        whole = max(whole, len(digits) + exponent)
    if whole + scale <= 38:
        return pa.decimal128(38, scale)
    return pa.decimal256(76, scale)


def _cell(value: Any, arrow_type: Any) -> Any:
    pa = require_arrow()
    if value is None:
        return None
    if pa.types.is_decimal(arrow_type):
        return Decimal(value)
    if pa.types.is_string(arrow_type) and not isinstance(value, str):
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, default=str)
        return value.isoformat() if isinstance(value, date) else str(value)
    if pa.types.is_list(arrow_type):
        return [v if isinstance(v, str) else str(v) for v in value]
    return value


def _declared(kind: str) -> Any:
    pa = require_arrow()
    return {
        "int": pa.int64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "text": pa.string(),
        "list": pa.list_(pa.string()),
        "datetime": pa.timestamp("us", tz="UTC"),
    }[kind]


def arrow_table(
    columns: Iterable[str], rows: Sequence[Mapping[str, Any]], kinds: Mapping[str, str]
) -> pyarrow.Table:
    """An Arrow table with one typed column per name (missing cells are null).

    Args:
        columns: the column names, in order.
        rows: the rows, each a mapping of column name to plain value.
        kinds: the declared kind (int, bool, date, datetime, text, list) of some
            columns, so an empty or all-null column keeps its type; the others
            are typed by their values (see :func:`column_type`).
    """
    pa = require_arrow()
    arrays, names = [], []
    for name in columns:
        values = [row.get(name) for row in rows]
        arrow_type = _declared(kinds[name]) if name in kinds else column_type(values)
        arrays.append(pa.array([_cell(v, arrow_type) for v in values], type=arrow_type))
        names.append(name)
    table: pyarrow.Table = pa.Table.from_arrays(arrays, names=names)
    return table


def to_pandas(table: pyarrow.Table, decimals: Decimals = "exact") -> pandas.DataFrame:
    """A pandas frame of an Arrow table: dates as datetime64, integers as nullable Int64,
    booleans as nullable boolean, decimals exact (object) or as float64.

    Raises:
        ValidationError: ``decimals`` is neither ``"exact"`` nor ``"float"``.
    """
    from civicledger.errors import ValidationError

    if decimals not in ("exact", "float"):
        raise ValidationError(
            f"decimals must be 'exact' or 'float', got {decimals!r}", field="decimals"
        )
    pa = require_arrow()
    pd = require_pandas()
    if decimals == "float":
        for index, column in enumerate(table.schema):
            if pa.types.is_decimal(column.type):
                table = table.set_column(index, column.name, table.column(index).cast(pa.float64()))
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(date_as_object=False, types_mapper=mapping.get)
