"""Which event fields a pushed-down read needs, and how a SQL value becomes the typed value.

The Python engine reads fields from decoded payloads (enum members, Decimals,
dates, tuples). A pushed-down read fetches only the fields the indicators use,
straight from the stored JSON, and rebuilds exactly the values the decoder
would have produced, using the event class's annotations. A field whose type is
not handled here makes its indicator fall back to the Python engine.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import orjson

from civicledger.events.text import parse_timestamp
from civicledger.projections.fields import ENVELOPE_FIELDS
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import CountDistinct, Extreme, Latest, Sum

__all__ = ["Convert", "NotPushable", "converter_for", "indicator_fields", "payload_field"]

Convert = Callable[[Any], Any]
"""Turns the value a SQL JSON extraction returned into the field's Python value."""


class NotPushable(Exception):
    """Raised when a read cannot reproduce the Python engine exactly; the caller falls back."""


def payload_field(name: str) -> str | None:
    """The top-level payload attribute a field name reads, or None for an envelope field.

    Raises:
        NotPushable: the name is a nested path (not extracted in SQL).
    """
    if name in ENVELOPE_FIELDS:
        return None
    parts = name.split(".")
    if parts[0] == "payload" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) != 1:
        raise NotPushable(f"nested field {name!r}")
    return parts[0]


def indicator_fields(indicator: Indicator) -> frozenset[str]:
    """Every field name the indicator's filter, measure and grouping read.

    Raises:
        NotPushable: the measure or filter cannot be listed (an escape hatch).
    """
    names: set[str] = set(indicator.group_by)
    if indicator.where is not None:
        names |= indicator.where.fields()
    measure = indicator.measure
    if isinstance(measure, Sum):
        names |= measure.expression.fields()
        if measure.removed_expression is not None:
            names |= measure.removed_expression.fields()
    elif isinstance(measure, CountDistinct):
        names |= {measure.field, measure.closing_field}
    elif isinstance(measure, Latest | Extreme):
        names.add(measure.field)
    return frozenset(names)


def _strict(kind: type) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not kind:
            raise NotPushable(f"stored value {value!r} is not {kind.__name__}")
        return value

    return convert


def _bool(value: Any) -> bool:
    # SQLite's json_extract gives JSON true/false as 1/0; PostgreSQL gives bool.
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return value == 1
    raise NotPushable(f"stored value {value!r} is not a boolean")


def _decimal(value: Any) -> Decimal:
    if type(value) is not str:
        raise NotPushable(f"stored decimal {value!r} is not text")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise NotPushable(f"stored decimal {value!r} does not parse") from None


def _date(value: Any) -> date:
    if type(value) is not str:
        raise NotPushable(f"stored date {value!r} is not text")
    return date.fromisoformat(value)


def _enum(enum_type: type[enum.Enum]) -> Convert:
    members = {m.value: m for m in enum_type}

    def convert(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise NotPushable(f"{value!r} is not a {enum_type.__name__}") from None

    return convert


def _tuple(item: Convert) -> Convert:
    def convert(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str):  # SQLite returns a JSON array as its text
            value = orjson.loads(value)
        if type(value) is not list:
            raise NotPushable(f"stored value {value!r} is not a list")
        return tuple(item(v) for v in value)

    return convert


def converter_for(annotation: Any) -> Convert:
    """The converter for a field annotation, mirroring the codec's decoding.

    Raises:
        NotPushable: the annotation is of a kind not rebuilt here (value objects, mappings).
    """
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner_types = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner_types) != 1:
            raise NotPushable(f"union annotation {annotation!r}")
        inner = converter_for(inner_types[0])
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise NotPushable(f"fixed tuple annotation {annotation!r}")
        return _tuple(converter_for(args[0]))
    if annotation is bool:
        return _bool
    if annotation in (str, int):
        return _strict(annotation)
    if annotation is Decimal:
        return _decimal
    if annotation is date:
        return _date
    if annotation is datetime:
        return lambda v: parse_timestamp(v)
    if annotation is uuid.UUID:
        return lambda v: uuid.UUID(_strict(str)(v))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum(annotation)
    raise NotPushable(f"field annotation {annotation!r}")


@functools.cache
def type_hints(cls: type) -> Mapping[str, Any]:
    """An event class's resolved field annotations, resolved once per class.

    Resolving them costs milliseconds a class, and a roll-up asks for the same
    classes once per ledger.
    """
    return types.MappingProxyType(typing.get_type_hints(cls))


def class_converters(cls: type, names: Iterable[str]) -> dict[str, Convert]:
    """Converters for those of ``names`` that the event class has (others read as missing).

    Raises:
        NotPushable: a needed field's type is not rebuilt here.
    """
    hints = type_hints(cls)
    present = {a.name for a in attrs.fields(cls)}
    return {name: converter_for(hints[name]) for name in names if name in present}
