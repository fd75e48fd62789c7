"""The codec: events to plain data and back, and the canonical bytes that get hashed.

Payloads encode to JSON-ready dicts through one explicitly built cattrs
Converter (never the global one). Canonical bytes follow RFC 8785 (the JSON
Canonicalization Scheme). ``docs/format.md`` specifies the encoding.
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
import orjson
import rfc8785

from civicledger.errors import ValidationError
from civicledger.events.base import Event
from civicledger.events.fields import MAX_SAFE_INTEGER
from civicledger.events.registry import EventRegistry, default_registry

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def format_timestamp(value: datetime) -> str:
    """Encode a UTC timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Raises:
        ValidationError: the timestamp is naive.
    """
    if value.tzinfo is None:
        raise ValidationError(f"timestamp {value.isoformat()} has no timezone; use UTC")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Decode a timestamp written by :func:`format_timestamp`.

    Raises:
        ValidationError: the text is not in that exact form.
    """
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValidationError(f"expected a UTC timestamp YYYY-MM-DDTHH:MM:SS.ffffffZ, got {text!r}")
    try:
        # On this exact form (checked above) fromisoformat reads "Z" as UTC and is about
        # 40x faster than strptime; reads and verify() parse one timestamp per row.
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a valid UTC timestamp") from None


def parse_date(text: Any) -> date:
    """Decode a date written as ``YYYY-MM-DD``.

    Raises:
        ValidationError: the text is not a valid date in that form.
    """
    if not isinstance(text, str) or not _DATE.match(text):
        raise ValidationError(f"expected a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a calendar date") from None


def format_decimal(value: Decimal) -> str:
    """Encode a Decimal in plain notation, keeping its scale (``"1.50"``, never ``"1.5E+0"``)."""
    return format(value, "f")


def _unstructure_text(value: str) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum):
        return _unstructure_enum(value)
    return str(value)


def _unstructure_enum(value: enum.Enum) -> Any:
    return value.value


def _strict(expected: type, label: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not expected:
            raise ValueError(f"expected {label}, got {value!r}")
        return value

    return structure


def _structure_text(value: Any, target: Any) -> Any:
    # A str-based enum dispatches here too (str comes first in its MRO).
    if target is not str and isinstance(target, type) and issubclass(target, enum.Enum):
        return _structure_enum(value, target)
    if type(value) is not str:
        raise ValueError(f"expected text, got {value!r}")
    return value


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise ValueError(f"expected a decimal number as a string like '12.50', got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None


def _structure_enum(value: Any, enum_type: type[enum.Enum]) -> enum.Enum:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValueError(f"unknown value {value!r}; allowed: {allowed}") from None


def _structure_uuid(value: Any, _: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise ValueError(f"expected a UUID string, got {value!r}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID") from None


def _is_variadic_tuple(annotation: Any) -> bool:
    return typing.get_origin(annotation) is tuple


def _tuple_hook(converter: cattrs.Converter) -> Callable[[Any, Any], tuple[Any, ...]]:
    def structure_tuple(value: Any, annotation: Any) -> tuple[Any, ...]:
        # cattrs would accept any iterable (a string becomes a tuple of letters).
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        (item_type, _) = typing.get_args(annotation)
        return tuple(converter.structure(item, item_type) for item in value)

    return structure_tuple


def make_converter(*, detailed: bool = False) -> cattrs.Converter:
    """Build the converter that encodes payloads and decodes them strictly.

    Args:
        detailed: collect every problem with its path (slower; used to explain
            a failure after the fast converter refused the data).

    Returns:
        A new cattrs Converter; nothing is shared with cattrs' global converter.
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook(datetime, format_timestamp)
    converter.register_unstructure_hook(Decimal, format_decimal)
    converter.register_unstructure_hook(uuid.UUID, str)
    # A str-based enum would otherwise pass through as str: its MRO puts str first.
    converter.register_unstructure_hook(str, _unstructure_text)
    converter.register_unstructure_hook(enum.Enum, _unstructure_enum)
    converter.register_structure_hook(str, _structure_text)
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(float, _refuse_float)
    converter.register_structure_hook(date, lambda v, _: _value_error(parse_date, v))
    converter.register_structure_hook(datetime, lambda v, _: _value_error(parse_timestamp, v))
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(uuid.UUID, _structure_uuid)
    converter.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
    )
    converter.register_structure_hook_func(_is_variadic_tuple, _tuple_hook(converter))
    return converter


def _refuse_float(value: Any, _: Any) -> None:
    raise ValueError("floats are not allowed in payloads; use an integer or a decimal string")


def _value_error(parse: Callable[[Any], Any], value: Any) -> Any:
    # cattrs reports ValueErrors with their path; ours carry the same message.
    try:
        return parse(value)
    except ValidationError as e:
        raise ValueError(e.message) from None


Encoder = Callable[[Any], Any]
"""Turns one field value into its JSON-ready form."""


def _encoder_for(annotation: Any) -> Encoder | None:
    """The encoder for a field's annotation, or None when the value is already JSON-ready.

    This is the encoding cattrs' unstructuring performs (a differential test checks
    they agree), compiled once per class because encoding is on every append.
    """
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner_type] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = _encoder_for(inner_type)
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = _encoder_for(typing.get_args(annotation)[0])
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
        return _unstructure_enum
    if isinstance(annotation, type) and attrs.has(annotation):
        return _object_encoder(annotation)
    return None


def _object_encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    fields = tuple((a.name, _encoder_for(hints[a.name]) or _as_is) for a in attrs.fields(cls))

    def encode_object(value: Any) -> dict[str, Any]:
        return {name: encode(getattr(value, name)) for name, encode in fields}

    return encode_object


def _as_is(value: Any) -> Any:
    return value


class _NotFast(Exception):
    """Raised inside a stored-payload decoder to hand the data to the full decoder."""


Parser = Callable[[Any], Any]
"""Checks one stored JSON value's type and turns it into the field's value."""


def _expect(kind: type) -> Parser:
    def parse(value: Any) -> Any:
        if type(value) is not kind:
            raise _NotFast
        return value

    return parse


def _parse_stored_date(value: Any) -> date:
    if type(value) is not str or len(value) != 10:
        raise _NotFast
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _NotFast from None


def _enum_parser(enum_type: type[enum.Enum]) -> Parser:
    members = {m.value: m for m in enum_type}

    def parse(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise _NotFast from None

    return parse


def _parser_for(annotation: Any) -> Parser:
    """The stored-payload parser for a field: type checks only (see Codec.from_stored)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner_type] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = _parser_for(inner_type)
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = _parser_for(typing.get_args(annotation)[0])

        def parse_list(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _NotFast
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
        raise _NotFast

    return parse_other


def _stored_decoder(cls: type[Event]) -> Callable[[dict[str, Any]], Event]:
    hints = typing.get_type_hints(cls)
    fields = tuple((a.name, _parser_for(hints[a.name])) for a in attrs.fields(cls))
    names = frozenset(name for name, _ in fields)
    construct = cls.__unchecked_init__

    def decode(data: dict[str, Any]) -> Event:
        if data.keys() != names:
            raise _NotFast
        instance = cls.__new__(cls)
        try:
            construct(instance, **{name: parse(data[name]) for name, parse in fields})
        except (TypeError, ValueError):  # a class's own attrs validators still run
            raise _NotFast from None
        return instance

    return decode


@attrs.frozen
class Codec:
    """Encodes events to dicts and decodes stored dicts (upcasting them first)."""

    registry: EventRegistry
    _fast: cattrs.Converter = attrs.field(factory=make_converter)
    _detailed: cattrs.Converter = attrs.field(factory=lambda: make_converter(detailed=True))
    _encoders: dict[type, Callable[[Any], dict[str, Any]]] = attrs.field(factory=dict)
    _decoders: dict[type, Callable[[dict[str, Any]], Event]] = attrs.field(factory=dict)

    def to_dict(self, event: Event) -> dict[str, Any]:
        """Encode an event's payload as a JSON-ready dict (every field present).

        Raises:
            ValidationError: the object is not an Event.
        """
        cls = type(event)
        encode = self._encoders.get(cls)
        if encode is None:
            if not isinstance(event, Event):
                raise ValidationError(f"expected an Event, got {cls.__name__}")
            encode = self._encoders.setdefault(cls, _object_encoder(cls))
        return encode(event)

    def payload_bytes(self, event: Event) -> bytes:
        """The canonical bytes of an event's payload: what the store keeps and digests.

        An encoded payload is always inside the fast path's domain (field names are
        ASCII, texts are valid, integers are safe and floats cannot be declared), so
        this skips the domain check that :func:`canonical_bytes` makes.

        Raises:
            ValidationError: the object is not an Event.
        """
        return orjson.dumps(self.to_dict(event), option=orjson.OPT_SORT_KEYS)

    def reference_dict(self, event: Event) -> dict[str, Any]:
        """Encode with cattrs' generic unstructuring: the reference ``to_dict`` is held to."""
        data: dict[str, Any] = self._fast.unstructure(event)
        return data

    def from_dict(self, type_name: str, schema_version: int, data: Any) -> Event:
        """Decode stored data into an instance of the type's newest class.

        Args:
            type_name: the stored type name.
            schema_version: the schema version the data was written with.
            data: the decoded JSON object.

        Returns:
            The event, upcast to the newest schema version.

        Raises:
            UnknownEventTypeError: the type or version is unknown.
            ValidationError: a field is missing, extra or invalid; the message names it.
        """
        if not isinstance(data, dict):
            raise ValidationError(
                f"{type_name}: payload must be a JSON object, got {type(data).__name__}",
                event_type=type_name,
            )
        version, data = self.registry.upcast(type_name, schema_version, data)
        cls = self.registry.classes[(type_name, version)]
        try:
            event: Event = self._fast.structure(data, cls)
            return event
        except ValidationError:
            raise
        except Exception:  # cattrs raises many kinds; explain with the detailed converter
            raise self._explain(type_name, cls, data) from None

    def from_stored(self, type_name: str, schema_version: int, data: Any) -> Event:
        """Decode a payload the store recorded: like :meth:`from_dict`, but faster.

        A payload read back from the ledger was checked field by field when it was
        recorded, and the leaf hash proves it unchanged, so when it is already in
        the newest schema version only the JSON types are checked here (a string
        where text belongs, a valid date, a known enum value); the constraints
        (non-negative counts, non-empty text, dates in order) are not re-run.
        Anything else — an older version to upcast, a missing, extra or mistyped
        field, a rarer field type — goes through :meth:`from_dict`, which checks
        everything and names the field.

        Raises:
            UnknownEventTypeError: the type or version is unknown.
            ValidationError: the payload does not decode; the message names the field.
        """
        cls = self.registry.classes.get((type_name, schema_version))
        if cls is not None and isinstance(data, dict):
            decode = self._decoders.get(cls)
            if decode is None:
                decode = self._decoders.setdefault(cls, _stored_decoder(cls))
            if self.registry.newest_version(type_name) == schema_version:
                try:
                    return decode(data)
                except _NotFast:
                    pass
        return self.from_dict(type_name, schema_version, data)

    def _explain(self, type_name: str, cls: type[Event], data: dict[str, Any]) -> ValidationError:
        try:
            self._detailed.structure(data, cls)
        except ValidationError as e:
            return e
        except cattrs.ClassValidationError as group:
            return _first_problem(type_name, group)
        except Exception as e:
            return ValidationError(f"{type_name}: {e}", event_type=type_name)
        return ValidationError(f"{type_name}: payload could not be decoded", event_type=type_name)


def _first_problem(type_name: str, group: cattrs.ClassValidationError) -> ValidationError:
    """Name the field of the first problem cattrs found (missing, extra or invalid)."""
    for exc in group.exceptions:
        if isinstance(exc, cattrs.ForbiddenExtraKeysError):
            extra = sorted(exc.extra_fields)
            return ValidationError(
                f"{type_name}.{extra[0]}: unknown field(s) {', '.join(extra)}",
                event_type=type_name,
                field=extra[0],
            )
        notes = [n for n in getattr(exc, "__notes__", []) if isinstance(n, str)]
        field_name = next((n.split("@ attribute ")[-1] for n in notes if "@ attribute " in n), None)
        if field_name is None:
            notes_any = getattr(exc, "__notes__", [])
            field_name = next((getattr(n, "name", None) for n in notes_any), None)
        if isinstance(exc, KeyError):
            detail = "missing required field"
        elif isinstance(exc, cattrs.ClassValidationError):
            inner = _first_problem(type_name, exc)
            inner_field = f"{field_name}.{inner.field}" if field_name else inner.field
            return ValidationError(
                inner.message.replace(f"{type_name}.{inner.field}", f"{type_name}.{inner_field}"),
                event_type=type_name,
                field=inner_field,
            )
        else:
            detail = str(exc)
        return ValidationError(
            f"{type_name}.{field_name}: {detail}", event_type=type_name, field=field_name
        )
    return ValidationError(f"{type_name}: {group}", event_type=type_name)


@functools.cache
def default_codec() -> Codec:
    """The codec over the default registry, built on first use."""
    return Codec(default_registry())


def to_dict(event: Event) -> dict[str, Any]:
    """Encode an event's payload with the default codec; see :meth:`Codec.to_dict`."""
    return default_codec().to_dict(event)


def from_dict(type_name: str, schema_version: int, data: Any) -> Event:
    """Decode a payload with the default codec; see :meth:`Codec.from_dict`."""
    return default_codec().from_dict(type_name, schema_version, data)


def canonical_bytes(obj: Any) -> bytes:
    """Encode a JSON value as RFC 8785 canonical bytes.

    Encoded payloads (ASCII keys; text, integers within ±(2**53 - 1), booleans,
    null, lists and objects) take a fast path through orjson, whose output is
    identical there (a differential test checks it); anything else goes through
    the reference encoder.

    Args:
        obj: a JSON value (dict, list, str, int, bool or None).

    Returns:
        The canonical UTF-8 bytes.

    Raises:
        ValidationError: the value holds a float or something JSON cannot hold.
    """
    if _in_fast_domain(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as e:  # e.g. an unpaired surrogate in a string
            raise ValidationError(f"cannot encode as canonical JSON: {e}") from e
    if _holds_float(obj):
        raise ValidationError("floats are not allowed in canonical JSON; use int or Decimal text")
    try:
        return rfc8785.dumps(obj)
    except Exception as e:
        raise ValidationError(f"cannot encode as canonical JSON: {e}") from e


def _in_fast_domain(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        return all(type(k) is str and k.isascii() and _in_fast_domain(v) for k, v in value.items())
    if kind is list:
        return all(_in_fast_domain(v) for v in value)
    return False


def _holds_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_float(v) for v in value)
    return False
