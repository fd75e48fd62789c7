"""Reading a named field from a recorded event: envelope fields and payload paths.

A field name is either an envelope field (``stream``, ``type``, ``actor``,
``occurred_on``, ``position``) or a payload path (``attendees``,
``payload.attendees``, ``payload.address.city``). A payload field that shares a
name with an envelope field is reached with the ``payload.`` prefix. Values come
back normalised for comparison: vocabulary members as their stored key.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable
from typing import Any, Final

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent

__all__ = [
    "ENVELOPE_FIELDS",
    "MISSING",
    "Getter",
    "check_field_name",
    "getter",
    "normalise",
    "valid_field_name",
]

ENVELOPE_FIELDS: Final = frozenset({"stream", "type", "actor", "occurred_on", "position"})
"""Envelope fields a filter or grouping may name without the ``payload.`` prefix."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _Missing:
    """The value of a field an event does not have."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Returned for a field the event does not have (distinct from a field holding None)."""

Getter = Callable[[RecordedEvent], Any]
"""Reads one field from a recorded event (MISSING when absent)."""


def check_field_name(name: str) -> str:
    """Return ``name`` if it is a well-formed field name.

    Raises:
        ValidationError: the name is empty or not dotted identifiers.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"field name {name!r} must be identifiers separated by dots "
            "(e.g. 'attendees', 'payload.attendees', 'occurred_on')",
            field="field",
        )
    if any(part.startswith("_") for part in name.split(".")):
        # '__class__', '__doc__' … would read Python internals, never a recorded field.
        raise ValidationError(
            f"field name {name!r}: no part of a field name may start with '_'", field="field"
        )
    return name


def valid_field_name(_instance: Any, _attribute: Any, name: Any) -> None:
    """An attrs validator for field names; see :func:`check_field_name`."""
    check_field_name(name)


def normalise(value: Any) -> Any:
    """Turn a vocabulary member into its stored key; leave other values as they are."""
    if isinstance(value, enum.Enum):
        return value.value
    return value


def getter(name: str) -> Getter:
    """Build a fast reader for one field.

    Args:
        name: an envelope field or a payload path (see the module docstring).

    Returns:
        A function from a recorded event to the (normalised) value or MISSING.

    Raises:
        ValidationError: the name is malformed.
    """
    check_field_name(name)
    if name in ENVELOPE_FIELDS:
        return operator.attrgetter(name)
    parts = name.split(".")
    if parts[0] == "payload" and len(parts) > 1:
        parts = parts[1:]
    if len(parts) == 1:
        attribute = parts[0]

        def read_one(record: RecordedEvent) -> Any:
            value = getattr(record.payload, attribute, MISSING)
            if type(value) is str:
                return value
            # _value_ skips the enum's property descriptor (hot path).
            return value._value_ if isinstance(value, enum.Enum) else value

        return read_one

    path = tuple(parts)

    def read_path(record: RecordedEvent) -> Any:
        value: Any = record.payload
        for part in path:
            if value is None:
                return MISSING
            value = getattr(value, part, MISSING)
            if value is MISSING:
                return MISSING
        return normalise(value)

    return read_path
