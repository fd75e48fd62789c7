"""Stored event rows decoded into recorded events: the columns a read selects and their decoding."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import LargeBinary, type_coerce

from civicledger.errors import StoreError, ValidationError
from civicledger.events import Codec, RecordedEvent
from civicledger.events.fastpath import slot_setter
from civicledger.events.redaction import REDACTED_KEY, decode_text
from civicledger.events.text import parse_timestamp
from civicledger.store.ids import uuid_from_bytes
from civicledger.store.sql.schema import events

_REDACTED = '{"' + REDACTED_KEY + '"'  # how a partly redacted payload's text starts

COLUMNS = (
    events.c.position,
    events.c.stream,
    events.c.stream_version,
    # Raw driver value (bytes on SQLite, uuid on PostgreSQL): the TypeDecorator's per-row
    # processing cost more than decoding the payload; decode_row builds the UUID itself.
    type_coerce(events.c.event_id, LargeBinary).label("event_id"),
    events.c.type,
    events.c.schema_version,
    events.c.occurred_on,
    events.c.recorded_at,
    events.c.actor,
    events.c.payload,
    events.c.payload_digest,
    events.c.leaf_hash,
)
"""What a read selects, in the order :func:`decode_row` takes."""


def decode_row(codec: Codec, row: Sequence[Any]) -> RecordedEvent:
    """A recorded event from a row of :data:`COLUMNS` (driver values).

    Raises:
        ValidationError: the stored payload does not decode; the message names the
            position and event id.
        StoreError: the stored payload is not JSON.
    """
    (position, stream, version, event_id, type_name, schema, occurred, recorded, actor,
     payload, digest, leaf_hash) = row  # fmt: skip
    if not isinstance(event_id, uuid.UUID):
        event_id = uuid_from_bytes(event_id)
    redacted: tuple[str, ...] = ()
    try:
        if payload is None or payload.startswith(_REDACTED):
            event, redacted = decode_text(codec, type_name, schema, _date(occurred), payload)
        else:
            event = codec.from_stored(type_name, schema, orjson.loads(payload))
    except ValidationError as e:
        raise type(e)(
            f"stored event at position {position} (id {event_id}): {e.message}",
            event_type=type_name,
            field=e.field,
            event_id=str(event_id),
        ) from e
    except orjson.JSONDecodeError as e:
        raise StoreError(
            f"stored event at position {position} (id {event_id}) has a payload that is "
            f"not JSON; the database is corrupted ({e})"
        ) from e
    # Assigned slot by slot, as attrs' __init__ would (RecordedEvent has no validators or
    # converters), each through its slot's setter: the keyword call cost 1.3 µs a row,
    # object.__setattr__ 1.0 µs and the setters 0.6 µs. tests/unit/store/test_sql_decoding.py
    # checks that every field the constructor sets is set here.
    record = _new_record(RecordedEvent)
    _set_position(record, position)
    _set_stream(record, stream)
    _set_stream_version(record, version)
    _set_event_id(record, event_id)
    _set_type(record, type_name)
    _set_schema_version(record, schema)
    _set_occurred_on(record, _date(occurred))
    _set_recorded_at(record, _timestamp(recorded))
    _set_actor(record, actor)
    _set_payload(record, event)
    _set_payload_digest(record, digest if digest.__class__ is bytes else bytes(digest))
    _set_leaf_hash(record, leaf_hash if leaf_hash.__class__ is bytes else bytes(leaf_hash))
    _set_corrections(record, ())
    _set_redacted_fields(record, redacted)
    return record


_new_record = object.__new__
_set_position = slot_setter(RecordedEvent, "position")
_set_stream = slot_setter(RecordedEvent, "stream")
_set_stream_version = slot_setter(RecordedEvent, "stream_version")
_set_event_id = slot_setter(RecordedEvent, "event_id")
_set_type = slot_setter(RecordedEvent, "type")
_set_schema_version = slot_setter(RecordedEvent, "schema_version")
_set_occurred_on = slot_setter(RecordedEvent, "occurred_on")
_set_recorded_at = slot_setter(RecordedEvent, "recorded_at")
_set_actor = slot_setter(RecordedEvent, "actor")
_set_payload = slot_setter(RecordedEvent, "payload")
_set_payload_digest = slot_setter(RecordedEvent, "payload_digest")
_set_leaf_hash = slot_setter(RecordedEvent, "leaf_hash")
_set_corrections = slot_setter(RecordedEvent, "corrections")
_set_redacted_fields = slot_setter(RecordedEvent, "redacted_fields")


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> date:
    return date.fromisoformat(text)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    # One timestamp per append transaction, so a small cache covers long runs of rows.
    return parse_timestamp(text)
