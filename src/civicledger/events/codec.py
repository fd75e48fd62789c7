"""The codec: events to JSON-ready dicts and back, upcasting stored data on the way.

Payloads encode through one explicitly built cattrs Converter (never the global
one), which is also the reference the per-class fast paths (``fastpath``) are held
to. ``docs/format.md`` specifies the encoding; the bytes that get hashed are in
``canonical``, the text forms of dates, timestamps and decimals in ``text``.
"""

from __future__ import annotations

import enum
import functools
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import orjson

from civicledger.errors import ValidationError
from civicledger.events.base import Event
from civicledger.events.fastpath import (
    Decoder,
    NotFast,
    enum_value,
    new_decoder,
    object_encoder,
    stored_decoder,
)
from civicledger.events.registry import EventRegistry, default_registry
from civicledger.events.text import (
    format_decimal,
    format_timestamp,
    parse_date,
    parse_decimal,
    parse_timestamp,
)


def _unstructure_text(value: str) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum):
        return enum_value(value)
    return str(value)


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
    return parse_decimal(value)


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
    converter.register_unstructure_hook(enum.Enum, enum_value)
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


@attrs.frozen
class _FastDecoders:
    """A type version's fast decoders: for recorded payloads and for new ones."""

    stored: Decoder
    new: Decoder


@attrs.define
class _DecoderCache:
    """Fast decoders by (type name, schema version), None where that version is not the
    newest (its data must be upcast) or is unknown; valid for one registry generation."""

    generation: int = -1
    by_version: dict[tuple[str, int], _FastDecoders | None] = attrs.field(factory=dict)


@attrs.frozen
class Codec:
    """Encodes events to dicts and decodes stored dicts (upcasting them first)."""

    registry: EventRegistry
    _fast: cattrs.Converter = attrs.field(factory=make_converter)
    _detailed: cattrs.Converter = attrs.field(factory=lambda: make_converter(detailed=True))
    _encoders: dict[type, Callable[[Any], dict[str, Any]]] = attrs.field(factory=dict)
    _decoders: _DecoderCache = attrs.field(factory=_DecoderCache)

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
            encode = self._encoders.setdefault(cls, object_encoder(cls))
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

        Data in the newest schema version whose fields are of the common types (text,
        integers, booleans, dates, timestamps, decimals, vocabularies, lists and
        optionals of those) is decoded by a per-class decoder that makes the
        reference converter's type checks and then builds the event through its
        checking constructor; anything else, and anything that decoder refuses, goes
        through :meth:`reference_from_dict`, so the result and every error are the same.

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
        if type(data) is dict and type(type_name) is str and type(schema_version) is int:
            fast = self._fast_decoders(type_name, schema_version)
            if fast is not None:
                try:
                    return fast.new(data)
                except NotFast:
                    pass
        return self.reference_from_dict(type_name, schema_version, data)

    def reference_from_dict(self, type_name: str, schema_version: int, data: Any) -> Event:
        """Decode through the cattrs converter: the reference the fast decoders are held to.

        Same arguments, result and errors as :meth:`from_dict`.
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
        if type(data) is dict:
            cache = self._decoders
            # The cache looked up here, not through _fast_decoders: one call fewer per row.
            fast = cache.by_version.get((type_name, schema_version))
            if fast is None or cache.generation != self.registry.generation:
                fast = self._fast_decoders(type_name, schema_version)
            if fast is not None:
                try:
                    return fast.stored(data)
                except NotFast:
                    pass
        return self.from_dict(type_name, schema_version, data)

    def _fast_decoders(self, type_name: str, schema_version: int) -> _FastDecoders | None:
        """The fast decoders of a type version, or None when its data needs the reference
        (an older version to upcast, an unknown type); cached per registry generation."""
        cache = self._decoders
        if cache.generation != self.registry.generation:
            cache.by_version.clear()
            cache.generation = self.registry.generation
        key = (type_name, schema_version)
        try:
            return cache.by_version[key]
        except KeyError:
            pass
        cls = self.registry.classes.get(key)
        fast = None
        if cls is not None and self.registry.newest_version(type_name) == schema_version:
            fast = _FastDecoders(stored=stored_decoder(cls), new=new_decoder(cls))
        cache.by_version[key] = fast
        return fast

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
