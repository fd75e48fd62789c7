"""Per-class encoders and stored-payload decoders, built once per event class.

cattrs' generic (un)structuring is the reference; these do the same work for the
common field types without its per-value dispatch, because encoding runs on every
append and decoding on every read (differential tests hold them to the reference).
"""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from civicledger.events.base import Event
from civicledger.events.text import format_decimal, format_timestamp


def enum_value(value: enum.Enum) -> Any:
    """An enum member as stored: its value."""
    return value.value


Encoder = Callable[[Any], Any]
"""Turns one field value into its JSON-ready form."""


def encoder_for(annotation: Any) -> Encoder | None:
    """The encoder for a field's annotation, or None when the value is already JSON-ready.

    This is the encoding cattrs' unstructuring performs (a differential test checks
    they agree), compiled once per class because encoding is on every append.
    """
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner_type] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = encoder_for(inner_type)
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = encoder_for(typing.get_args(annotation)[0])
        if item is None:
            return list
        return lambda v: [item(x) for x in v]
    if annotation is date:
        return date.isoformat
    if annotation is datetime:
        return format_timestamp
    if annotation is Decimal:
        return format_decimal
    if annotation is uuid.UUID:
        return str
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return enum_value
    if isinstance(annotation, type) and attrs.has(annotation):
        return object_encoder(annotation)
    return None


def object_encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    fields = tuple((a.name, encoder_for(hints[a.name]) or _as_is) for a in attrs.fields(cls))

    def encode_object(value: Any) -> dict[str, Any]:
        return {name: encode(getattr(value, name)) for name, encode in fields}

    return encode_object


def _as_is(value: Any) -> Any:
    return value


class NotFast(Exception):
    """Raised inside a stored-payload decoder to hand the data to the full decoder."""


Parser = Callable[[Any], Any]
"""Checks one stored JSON value's type and turns it into the field's value."""


def _expect(kind: type) -> Parser:
    def parse(value: Any) -> Any:
        if type(value) is not kind:
            raise NotFast
        return value

    return parse


def _parse_stored_date(value: Any) -> date:
    if type(value) is not str or len(value) != 10:
        raise NotFast
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotFast from None


def _enum_parser(enum_type: type[enum.Enum]) -> Parser:
    members = {m.value: m for m in enum_type}

    def parse(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise NotFast from None

    return parse


def parser_for(annotation: Any) -> Parser:
    """The stored-payload parser for a field: type checks only (see Codec.from_stored)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner_type] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = parser_for(inner_type)
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = parser_for(typing.get_args(annotation)[0])

        def parse_list(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise NotFast
            return tuple(item(v) for v in value)

        return parse_list
    if annotation in (str, int, bool):
        return _expect(annotation)
    if annotation is date:
        return _parse_stored_date
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_parser(annotation)
    # Rarer types (timestamps, decimals, UUIDs, value objects) take the full decoder.

    def parse_other(value: Any) -> Any:
        raise NotFast

    return parse_other


def stored_decoder(cls: type[Event]) -> Callable[[dict[str, Any]], Event]:
    hints = typing.get_type_hints(cls)
    fields = tuple((a.name, parser_for(hints[a.name])) for a in attrs.fields(cls))
    names = frozenset(name for name, _ in fields)
    construct = cls.__unchecked_init__

    def decode(data: dict[str, Any]) -> Event:
        if data.keys() != names:
            raise NotFast
        instance = cls.__new__(cls)
        try:
            construct(instance, **{name: parse(data[name]) for name, parse in fields})
        except (TypeError, ValueError):  # a class's own attrs validators still run
            raise NotFast from None
        return instance

    return decode
