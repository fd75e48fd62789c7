"""Redacted payloads and applied amendments: how a read shows what a redaction or correction did.

A redaction removes personal values from a stored payload but never the row: the
row keeps its payload digest, so its leaf and every proof still verify. What is
left is stored in a marked form, a JSON object whose first key (RFC 8785 sorts
``$`` before every letter) is ``"$redacted"``, listing the removed keys::

    {"$redacted":["parties"],"attendees":23,"occurred_on":"2023-05-04"}

When the whole payload goes, the stored payload is NULL. Either way the salt is
dropped too, so nobody can test guesses of a removed value against the digest.

Reads decode such a row into a :class:`RedactedPayload` (or, when only values
nested in a field were removed, the ordinary typed event) and list the removed
fields in ``RecordedEvent.redacted_fields``.
"""

from __future__ import annotations

import functools
import typing
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

import attrs
import cattrs
import orjson

from civicledger.errors import UnknownEventTypeError, ValidationError
from civicledger.events.base import Event
from civicledger.events.canonical import canonical_bytes
from civicledger.events.codec import Codec, make_converter
from civicledger.events.registry import EventRegistry

__all__ = [
    "REDACTED_KEY",
    "REDACTED_PREFIX",
    "REDACTION_EVENT_TYPE",
    "Amendment",
    "RedactedPayload",
    "decode_stored",
    "is_redacted_text",
    "payload_to_dict",
    "redact_stored",
    "stored_keys",
]

REDACTION_EVENT_TYPE = "event_redacted"
"""The stored type name of the event that records a redaction (``civicledger.corrections``)."""

REDACTED_KEY = "$redacted"
"""The key that marks a partly redacted stored payload and lists what was removed."""

_PREFIX = '{"' + REDACTED_KEY + '"'

REDACTED_PREFIX = _PREFIX.encode()
"""How the stored bytes of a partly redacted payload begin (what :func:`is_redacted_text`
looks for; verification tests its rows' bytes for it directly, once per row)."""


@attrs.frozen(kw_only=True)
class Amendment:
    """A correction or redaction that the effective view applied to a record.

    Attributes:
        kind: ``"corrected"`` (the payload was replaced) or ``"redacted"``
            (personal values were removed).
        event_id: the id of the correction or redaction event.
        position: its ledger position.
        recorded_at: when it was recorded.
        actor: who recorded it.
        reason: why, as recorded.
        fields: for a redaction, the fields removed (empty: the whole payload).
        replaced: for a correction, the payload it replaced.
    """

    kind: Literal["corrected", "redacted"]
    event_id: uuid.UUID
    position: int
    recorded_at: datetime
    actor: str
    reason: str
    fields: tuple[str, ...] = ()
    replaced: Event | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class RedactedPayload(Event):
    """The payload of an event whose personal values were redacted: what is left of it.

    Remaining fields read as attributes (``payload.attendees``); a redacted field
    raises AttributeError, so ``getattr(payload, name, default)`` gives the default.

    Attributes:
        occurred_on: the business date (kept in the envelope, so never lost).
        event_type: the stored type name of the event.
        values: the remaining fields, decoded, in the newest schema version's shape.
        redacted: the fields whose values were removed.
    """

    event_type: str
    values: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    redacted: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class does not define.
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            values = object.__getattribute__(self, "values")
        except AttributeError:
            raise AttributeError(name) from None
        if name in values:
            return values[name]
        event_type = object.__getattribute__(self, "event_type")
        raise AttributeError(f"{event_type}.{name} is not available: its value was redacted")


class _Removed:
    """Stands for a removed value while upcasters reshape a partial payload."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


def is_redacted_text(text: str | bytes | None) -> bool:
    """Whether a stored payload is absent or in the partly redacted form."""
    if text is None:
        return True
    if isinstance(text, bytes):
        return text.startswith(REDACTED_PREFIX)
    return text.startswith(_PREFIX)


def stored_keys(
    registry: EventRegistry,
    type_name: str,
    schema_version: int,
    data: Mapping[str, Any],
    fields: Sequence[str],
) -> tuple[str, ...]:
    """Map field names of the newest schema version to the keys of stored data.

    A stored row keeps the shape of the version it was written with; an upcaster
    may have renamed a field since. Each stored key is traced through the
    upcasters to the field it becomes.

    Args:
        registry: the registry with the type's classes and upcasters.
        type_name: the stored type name.
        schema_version: the stored schema version.
        data: the stored data (its keys are what can be removed).
        fields: newest-version field names.

    Returns:
        The stored keys, in the order of ``fields``.

    Raises:
        ValidationError: a field is not in the stored data (or the upcasters
            compute it rather than carrying a stored value over).
    """
    probe = {key: _Removed(key) for key in data if key != REDACTED_KEY}
    try:
        _, upcast = registry.upcast(type_name, schema_version, probe)
    except UnknownEventTypeError:
        raise
    except Exception:  # an upcaster that computes on values cannot be traced
        upcast = dict(probe) if registry.newest_version(type_name) == schema_version else {}
    already = set(data.get(REDACTED_KEY, ()))
    keys = []
    for name in fields:
        if "." in name:  # a key inside a field's JSON payload: taken as stored
            keys.append(name)
            continue
        value = upcast.get(name)
        if isinstance(value, _Removed):
            keys.append(value.key)
        elif name in already:
            keys.append(name)
        else:
            raise ValidationError(
                f"{type_name}.{name}: the stored payload (schema version {schema_version}) has "
                "no value that becomes this field; redact the whole payload instead",
                event_type=type_name,
                field=name,
            )
    return tuple(keys)


def redact_stored(data: Mapping[str, Any] | None, keys: Collection[str] | None) -> Any:
    """The stored form of a payload after removing some keys (or all of them).

    A key ``"a.b"`` removes ``b`` from the payload held as JSON text in field ``a``
    (a correction's replacement), leaving that text in the redacted form too.

    Args:
        data: the stored payload (plain or already redacted), or None when the
            whole payload is already gone.
        keys: the stored keys to remove; None removes the whole payload.

    Returns:
        The new stored data (a dict in the redacted form), or None when nothing is left.

    Raises:
        ValidationError: a key is not in the payload.
    """
    if data is None or keys is None:
        return None
    remaining = {k: v for k, v in data.items() if k != REDACTED_KEY}
    removed = set(data.get(REDACTED_KEY, ()))
    for key in keys:
        head, _, rest = key.partition(".")
        if rest:
            remaining[head] = _redact_nested(head, remaining.get(head), rest)
        elif key in remaining:
            del remaining[key]
        elif key not in removed:
            raise ValidationError(f"the stored payload has no field {key!r}", field=key)
        removed.add(key)
    if not remaining:
        return None
    return {REDACTED_KEY: sorted(removed), **remaining}


def _redact_nested(head: str, text: Any, key: str) -> str:
    if not isinstance(text, str):
        raise ValidationError(f"field {head!r} does not hold a JSON payload", field=head)
    inner = orjson.loads(text)
    redacted = redact_stored(inner, [key])
    if redacted is None:
        redacted = {REDACTED_KEY: [key]}
    return canonical_bytes(redacted).decode("utf-8")


def decode_stored(
    codec: Codec,
    type_name: str,
    schema_version: int,
    occurred_on: date,
    data: Mapping[str, Any] | None,
) -> tuple[Event, tuple[str, ...]]:
    """Decode a redacted stored payload: the typed event when every field is left.

    Args:
        codec: decodes values and holds the upcasters.
        type_name: the stored type name.
        schema_version: the stored schema version.
        occurred_on: the envelope's business date (used when the payload lost it).
        data: the stored data in the redacted form, or None when all of it is gone.

    Returns:
        The payload (a typed event or a :class:`RedactedPayload`) and the names of
        the removed fields (newest-version names; nested ones as ``"field.key"``).

    Raises:
        UnknownEventTypeError: the type or version is unknown.
        ValidationError: a remaining value cannot be decoded; the message names it.
    """
    registry = codec.registry
    cls = registry.newest(type_name)
    names = [a.name for a in attrs.fields(cls)]
    if data is None:
        everything = tuple(n for n in names if n != "occurred_on")
        return RedactedPayload(
            occurred_on=occurred_on, event_type=type_name, redacted=everything
        ), (everything)
    removed = [str(k) for k in data.get(REDACTED_KEY, ())]
    probe: dict[str, Any] = {k: v for k, v in data.items() if k != REDACTED_KEY}
    probe.update({k: _Removed(k) for k in removed if "." not in k})
    try:
        _, upcast = registry.upcast(type_name, schema_version, probe)
    except UnknownEventTypeError:
        raise
    except Exception:  # an upcaster that needs a removed value: keep what is certain
        upcast = {}
    redacted = [n for n in names if isinstance(upcast.get(n), _Removed) or n not in upcast]
    nested = tuple(k for k in removed if "." in k)
    if not redacted:
        event = codec.from_dict(type_name, registry.newest_version(type_name), upcast)
        return event, nested
    values = {}
    hints = _hints(cls)
    for name in names:
        if name in redacted:
            continue
        try:
            values[name] = _converter().structure(upcast[name], hints[name])
        except Exception as e:
            raise ValidationError(
                f"{type_name}.{name}: the remaining value of a redacted payload cannot be "
                f"decoded ({e})",
                event_type=type_name,
                field=name,
            ) from None
    day = values.pop("occurred_on", occurred_on)
    fields = tuple(n for n in redacted if n != "occurred_on") + nested
    payload = RedactedPayload(occurred_on=day, event_type=type_name, values=values, redacted=fields)
    return payload, fields


def decode_text(
    codec: Codec, type_name: str, schema_version: int, occurred_on: date, text: str | bytes | None
) -> tuple[Event, tuple[str, ...]]:
    """Decode a stored payload text of a redacted row; see :func:`decode_stored`.

    Raises:
        ValidationError: the text is not JSON or a value cannot be decoded.
    """
    if text is None:
        return decode_stored(codec, type_name, schema_version, occurred_on, None)
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"{type_name}: the redacted payload is not JSON ({e})") from e
    return decode_stored(codec, type_name, schema_version, occurred_on, data)


def payload_to_dict(codec: Codec, payload: Event) -> dict[str, Any]:
    """A payload as JSON-ready data; for a redacted one, what is left (``occurred_on`` included).

    Args:
        codec: encodes typed payloads.
        payload: a typed event or a :class:`RedactedPayload`.

    Returns:
        The fields and their encoded values (redacted fields absent).
    """
    if isinstance(payload, RedactedPayload):
        converter = _converter()
        data: dict[str, Any] = {k: converter.unstructure(v) for k, v in payload.values.items()}
        data["occurred_on"] = payload.occurred_on.isoformat()
        return data
    return codec.to_dict(payload)


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


@functools.cache
def _hints(cls: type[Event]) -> dict[str, Any]:
    return typing.get_type_hints(cls)
