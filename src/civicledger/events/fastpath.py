"""Per-class encoders and stored-payload decoders, built once per event class.

cattrs' generic (un)structuring is the reference; these do the same work for the
common field types without its per-value dispatch, because encoding runs on every
append, stored decoding on every read and new decoding on every imported line
(differential tests hold them to the reference). A decoder that meets anything the
reference would refuse, or a rarer field type, raises NotFast and the reference
decodes instead, so every error message is the reference's.
"""

from __future__ import annotations

import enum
import functools
import inspect
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.events.base import Event, validate_fields
from civicledger.events.text import (
    format_decimal,
    format_timestamp,
    parse_date,
    parse_decimal,
    parse_timestamp,
)


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
    """The encoder of an attrs class's instances: a dict of every field, encoded.

    Generated once per class as one dict display, as attrs and cattrs generate
    theirs: a comprehension over (name, encoder) pairs read each field with
    ``getattr`` and called a function for it, even for the fields stored as they
    are, which took half of an event's encoding time.
    """
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {}
    items = []
    for i, field in enumerate(attrs.fields(cls)):
        value = f"value.{field.name}"  # attrs field names are identifiers
        encode = encoder_for(hints[field.name])
        if encode is not None:
            namespace[f"encode_{i}"] = encode
            value = f"encode_{i}({value})"
        items.append(f"{field.name!r}: {value}")
    source = f"def encode_object(value):\n    return {{{', '.join(items)}}}\n"
    exec(compile(source, f"<encoder of {cls.__qualname__}>", "exec"), namespace)
    encode_object: Callable[[Any], dict[str, Any]] = namespace["encode_object"]
    return encode_object


def slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The function that sets one slot of ``cls``'s instances, bypassing frozen classes' guard.

    It is the slot's own descriptor, so ``setter(instance, value)`` does what
    ``object.__setattr__(instance, name, value)`` does without looking the name up
    through the class each time: about 40 ns a field against 65. Decoders that build
    thousands of objects a second (every read record, its payload, its id) set their
    fields through these.

    Raises:
        TypeError: ``name`` is not a slot of ``cls`` (or of a base class).
    """
    descriptor = inspect.getattr_static(cls, name, None)
    if type(descriptor) is not types.MemberDescriptorType:
        raise TypeError(f"{cls.__qualname__}.{name} is not a slot")
    setter: Callable[[Any, Any], None] = descriptor.__set__
    return setter


class NotFast(Exception):
    """Raised inside a fast decoder to hand the data to the full decoder."""


Parser = Callable[[Any], Any]
"""Checks one JSON value's type and turns it into the field's value."""

Decoder = Callable[[dict[str, Any]], Event]
"""Turns a payload dict into an event, or raises NotFast."""


def _expect(kind: type) -> Parser:
    def parse(value: Any) -> Any:
        if type(value) is not kind:
            raise NotFast
        return value

    return parse


@functools.lru_cache(maxsize=4096)
def _parse_date(value: str) -> date:
    # Dates repeat (a year has 365), so most parses are a cache hit.
    try:
        return parse_date(value)
    except ValidationError:
        raise NotFast from None


def _parse_date_value(value: Any) -> date:
    if type(value) is not str:
        raise NotFast
    return _parse_date(value)


def _parse_decimal(value: Any) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError:
        raise NotFast from None


def _parse_timestamp(value: Any) -> datetime:
    try:
        return parse_timestamp(value)
    except ValidationError:
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
    """The parser of one field's JSON value: the reference converter's type checks and
    conversions (the same text forms, through the same functions in ``text``), minus
    its error messages: anything it would refuse raises NotFast instead."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [inner_type] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = parser_for(inner_type)
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item_type = typing.get_args(annotation)[0]
        if item_type in (str, int, bool):
            return _plain_list_parser(item_type)
        item = parser_for(item_type)

        def parse_list(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise NotFast
            return tuple([item(v) for v in value])

        return parse_list
    if annotation in (str, int, bool):
        return _expect(annotation)
    if annotation is date:
        return _parse_date_value
    if annotation is Decimal:
        return _parse_decimal
    if annotation is datetime:
        return _parse_timestamp
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_parser(annotation)
    # Rarer types (UUIDs, value objects) take the full decoder.

    def parse_other(value: Any) -> Any:
        raise NotFast

    return parse_other


def _plain_list_parser(item_type: type) -> Parser:
    """The parser of a list of texts, integers or booleans: each item's type checked in
    the loop (as ``_expect`` does) rather than by a call per item (a member's dozen
    household ids)."""

    def parse_plain_list(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise NotFast
        for item in value:
            if type(item) is not item_type:
                raise NotFast
        return tuple(value)

    return parse_plain_list


def _field_parsers(cls: type[Event]) -> tuple[tuple[str, Parser], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((a.name, parser_for(hints[a.name])) for a in attrs.fields(cls))


def _assigning_decoder(cls: type[Event], fields: tuple[tuple[str, Parser], ...]) -> Decoder:
    """A decoder for a class whose attrs ``__init__`` only assigns (``_init_only_assigns``):
    it sets the same slots itself, which saves the keyword arguments, as costly as the
    parsing. No checks beyond the parsers' own; callers add what their path needs.

    Like attrs' own ``__init__``, it is compiled per class from generated source, one
    statement per field: a text, integer or boolean field costs a type check and a slot
    assignment, not a loop step and a parser call; the other fields call their parser.
    Reading a payload of five fields took 0.9 µs this way against 1.4 µs in a loop.
    """
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {"NotFast": NotFast, "new": cls.__new__, "cls": cls}
    body: list[str] = []
    for i, (name, parse) in enumerate(fields):
        namespace[f"set_{i}"] = slot_setter(cls, name)
        plain, optional = _plain_type(hints[name])
        if plain is None:
            namespace[f"parse_{i}"] = parse
            body.append(f"set_{i}(instance, parse_{i}(data[{name!r}]))")
            continue
        namespace[f"type_{i}"] = plain
        wrong = f"type(value) is not type_{i}"
        body += [
            f"value = data[{name!r}]",
            f"if {'value is not None and ' if optional else ''}{wrong}:",
            "    raise NotFast",
            f"set_{i}(instance, value)",
        ]
    source = "\n".join(
        [
            "def assign_fields(data):",
            # As many keys as fields, and each field's name found: the keys are the fields
            # (cheaper than comparing the key set, which hashes every key again).
            f"    if len(data) != {len(fields)}:",
            "        raise NotFast",
            "    instance = new(cls)",
            "    try:",
            *(f"        {line}" for line in body),
            "    except KeyError:",
            "        raise NotFast from None",
            "    return instance",
        ]
    )
    exec(compile(source, f"<civicledger decoder of {cls.__qualname__}>", "exec"), namespace)
    decoder: Decoder = namespace["assign_fields"]
    return decoder


def _plain_type(annotation: Any) -> tuple[type | None, bool]:
    """The JSON type whose values a field of this annotation takes as they are (text,
    integers, booleans: ``_expect``'s check), and whether None is taken too; (None, False)
    for every other annotation, whose values go through their parser."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        [annotation] = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = True
    if annotation in (str, int, bool):
        return annotation, optional
    return None, False


def stored_decoder(cls: type[Event]) -> Decoder:
    """The decoder of payloads the store recorded: type checks only (see Codec.from_stored)."""
    fields = _field_parsers(cls)
    if _init_only_assigns(cls):
        return _assigning_decoder(cls, fields)
    names = frozenset(name for name, _ in fields)
    new = cls.__new__
    construct = cls.__unchecked_init__

    def construct_unchecked(data: dict[str, Any]) -> Event:
        if data.keys() != names:
            raise NotFast
        instance = new(cls)
        try:
            construct(instance, **{name: parse(data[name]) for name, parse in fields})
        except (TypeError, ValueError):  # a class's own attrs validators still run
            raise NotFast from None
        return instance

    return construct_unchecked


def new_decoder(cls: type[Event]) -> Decoder:
    """The decoder of new payloads (imports, ``from_dict``): the reference converter's
    type checks, then the class's own constructor with every field check.

    Any refusal raises NotFast, so that the reference converter, which names the
    field, reports it: this decoder never makes an error of its own.
    """
    fields = _field_parsers(cls)
    if _init_only_assigns(cls) and _checking_init_wraps(cls):
        # What the checking constructor does for such a class, without its keyword
        # arguments: assign every field, then run the class's field checks.
        assign_fields = _assigning_decoder(cls, fields)

        def assign_then_check(data: dict[str, Any]) -> Event:
            instance = assign_fields(data)
            try:
                validate_fields(instance)
            except Exception:  # the reference turns any failure into a ValidationError
                raise NotFast from None
            return instance

        return assign_then_check
    names = frozenset(name for name, _ in fields)

    def construct_checked(data: dict[str, Any]) -> Event:
        if data.keys() != names:
            raise NotFast
        kwargs = {name: parse(data[name]) for name, parse in fields}
        try:
            return cls(**kwargs)
        except Exception:  # the reference turns any failure into a ValidationError
            raise NotFast from None

    return construct_checked


def _checking_init_wraps(cls: type) -> bool:
    """Whether the class's ``__init__`` is ``@event``'s checking wrapper around the unchecked
    one, so that it means: the unchecked ``__init__``, then ``validate_fields``."""
    wrapped = getattr(cls.__dict__.get("__init__"), "__wrapped__", None)
    return wrapped is not None and wrapped is getattr(cls, "__unchecked_init__", None)


def _init_only_assigns(cls: type) -> bool:
    """Whether the class's unchecked ``__init__`` is attrs' own and only assigns its arguments
    (no validators, converters, defaults to fill or init hooks), each to a slot."""
    init = getattr(cls, "__unchecked_init__", None)
    code = getattr(init, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    if any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")):
        return False
    if "_attrs_cached_hash" in getattr(cls, "__slots__", ()):
        return False  # cache_hash=True: attrs' __init__ also clears the cached hash
    return all(
        a.init
        and a.validator is None
        and a.converter is None
        and a.alias == a.name
        and type(inspect.getattr_static(cls, a.name, None)) is types.MemberDescriptorType
        for a in attrs.fields(cls)
    )
