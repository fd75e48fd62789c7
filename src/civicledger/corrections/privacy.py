"""Personal data: find every event that names a person, and export without personal values.

Fields declared ``field(personal=True)`` hold personal data. A search looks in
every stored payload, and inside corrections' replacement payloads, so that an
erasure request can redact every copy. An export for sharing either omits
those fields or replaces each value with a keyed pseudonym (HMAC-SHA256), the
same for equal values, so records about one person still group together.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import orjson

from civicledger.corrections.fold import AMENDING_TYPES
from civicledger.errors import ValidationError
from civicledger.events import Codec, Event, RecordedEvent, default_codec
from civicledger.events.fields import is_personal
from civicledger.events.redaction import (
    RedactedPayload,
    decode_text,
    is_redacted_text,
    payload_to_dict,
)
from civicledger.events.text import format_timestamp
from civicledger.store import EventStore

__all__ = [
    "PSEUDONYM_PREFIX",
    "PersonalDataHit",
    "export_shareable",
    "personal_data",
    "personal_fields",
    "shareable",
]

PSEUDONYM_PREFIX = "pseud:"
"""How a pseudonymised value starts in an export."""


@attrs.frozen(kw_only=True)
class PersonalDataHit:
    """An event whose personal fields name the subject searched for.

    Attributes:
        event_id: the event to redact (for a value found in a correction, the
            corrected event: redacting it redacts its corrections too).
        position: that event's position.
        type: its type name.
        stream: its stream.
        occurred_on: its business date.
        fields: the personal fields holding the subject.
        found_in: the event whose stored payload holds the value (the event itself,
            or a correction of it).
    """

    event_id: uuid.UUID
    position: int
    type: str
    stream: str
    occurred_on: date
    fields: tuple[str, ...]
    found_in: uuid.UUID


def personal_fields(cls: type[Event]) -> tuple[str, ...]:
    """The names of an event class's fields declared ``personal=True``."""
    return tuple(a.name for a in attrs.fields(cls) if is_personal(a))


def _matches(value: Any, subject: str, contains: bool) -> bool:
    if isinstance(value, str):
        return subject in value if contains else value == subject
    if isinstance(value, tuple | list):
        return any(_matches(v, subject, contains) for v in value)
    return False


def _named(
    codec: Codec, type_name: str, payload: Event, subject: str, contains: bool
) -> tuple[str, ...]:
    cls = codec.registry.newest(type_name)
    values: Mapping[str, Any] = (
        payload.values if isinstance(payload, RedactedPayload) else attrs.asdict(payload)
    )
    return tuple(
        name
        for name in personal_fields(cls)
        if name in values and _matches(values[name], subject, contains)
    )


def personal_data(
    store: EventStore, subject: str, *, contains: bool = False, codec: Codec | None = None
) -> list[PersonalDataHit]:
    """Find every event whose personal fields name ``subject``, in ledger order.

    Args:
        store: the store (one pass over all of it).
        subject: the value to look for (a name, an id number).
        contains: match values containing ``subject`` (free text), not only equal ones.
        codec: decodes correction payloads; the default codec when None.

    Returns:
        One hit per event that holds the value (a correction holding it is
        reported against the event it corrects).

    Raises:
        ValidationError: ``subject`` is empty.
    """
    if not isinstance(subject, str) or not subject.strip():
        raise ValidationError(f"subject must be non-empty text, got {subject!r}", field="subject")
    codec = codec or default_codec()
    hits: list[PersonalDataHit] = []
    positions: dict[uuid.UUID, RecordedEvent] = {}
    for record in store.read():
        if record.type not in AMENDING_TYPES:
            positions[record.event_id] = record
            fields = _named(codec, record.type, record.payload, subject, contains)
            if fields:
                hits.append(_hit(record, fields, record.event_id))
            continue
        replacement = _replacement(codec, record)
        target = positions.get(getattr(record.payload, "target_event_id", None))  # type: ignore[arg-type]
        if replacement is None or target is None:
            continue
        fields = _named(codec, target.type, replacement, subject, contains)
        if fields:
            hits.append(_hit(target, fields, record.event_id))
    return hits


def _hit(record: RecordedEvent, fields: tuple[str, ...], found_in: uuid.UUID) -> PersonalDataHit:
    return PersonalDataHit(
        event_id=record.event_id,
        position=record.position,
        type=record.type,
        stream=record.stream,
        occurred_on=record.occurred_on,
        fields=fields,
        found_in=found_in,
    )


def _replacement(codec: Codec, correction: RecordedEvent) -> Event | None:
    payload = correction.payload
    text = getattr(payload, "replacement", None)
    if not isinstance(text, str):
        return None
    type_name = str(getattr(payload, "replacement_type", ""))
    version = int(getattr(payload, "replacement_schema_version", 1))
    if is_redacted_text(text):
        event, _ = decode_text(codec, type_name, version, correction.occurred_on, text)
        return event
    return codec.from_dict(type_name, version, orjson.loads(text))


def pseudonym(key: bytes, value: str) -> str:
    """A keyed pseudonym of a value: equal values give equal pseudonyms under one key.

    Args:
        key: a secret of at least 16 bytes, kept apart from the export.
        value: the personal value.

    Returns:
        ``"pseud:"`` and 16 hex digits of HMAC-SHA256(key, value).
    """
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def _pseudonymised(key: bytes, value: Any) -> Any:
    if isinstance(value, list):
        return [_pseudonymised(key, v) for v in value]
    if value is None:
        return None
    return pseudonym(key, str(value))


def shareable(
    record: RecordedEvent, *, key: bytes | None = None, codec: Codec | None = None
) -> dict[str, Any]:
    """One record as JSON-ready data without personal values.

    Args:
        record: the record (usually from the effective view).
        key: pseudonymise personal values with this key; omit them when None.
        codec: encodes payloads; the default codec when None.

    Returns:
        The envelope fields and the payload, personal fields omitted or pseudonymised,
        with ``redacted`` listing what a redaction removed.

    Raises:
        ValidationError: the key is shorter than 16 bytes.
    """
    if key is not None and (not isinstance(key, bytes) or len(key) < 16):
        raise ValidationError("a pseudonym key must be at least 16 bytes", field="key")
    codec = codec or default_codec()
    cls = codec.registry.newest(record.type)
    data = payload_to_dict(codec, record.payload)
    for name in personal_fields(cls):
        if name in data:
            if key is None:
                del data[name]
            else:
                data[name] = _pseudonymised(key, data[name])
    return {
        "position": record.position,
        "event_id": str(record.event_id),
        "stream": record.stream,
        "type": record.type,
        "occurred_on": record.occurred_on.isoformat(),
        "recorded_at": format_timestamp(record.recorded_at),
        "payload": data,
        "redacted": list(record.redacted_fields),
        "corrected": [str(a.event_id) for a in record.corrections if a.kind == "corrected"],
    }


def export_shareable(
    records: Iterable[RecordedEvent], path: str | Path, *, key: bytes | None = None
) -> int:
    """Write records as JSON Lines without personal values (for sharing, not for re-import).

    Args:
        records: the records, e.g. ``ledger.read(effective=True)``.
        path: the file to write (replaced if it exists).
        key: pseudonymise personal values with this key; omit them when None.

    Returns:
        How many records were written.

    Raises:
        ValidationError: the key is shorter than 16 bytes.
    """
    count = 0
    with Path(path).open("wb") as out:
        for line in _lines(records, key):
            out.write(line)
            count += 1
    return count


def _lines(records: Iterable[RecordedEvent], key: bytes | None) -> Iterator[bytes]:
    codec = default_codec()
    for record in records:
        yield orjson.dumps(shareable(record, key=key, codec=codec)) + b"\n"
