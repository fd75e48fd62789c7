"""Stored event rows decoded into recorded events: the columns a read selects and their decoding."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import LargeBinary, cast, type_coerce

from civicledger.errors import DamagedRowError, ValidationError
from civicledger.events import Codec, RecordedEvent
from civicledger.events.recorded import assemble_record
from civicledger.events.redaction import REDACTED_KEY, decode_text
from civicledger.events.text import parse_timestamp
from civicledger.store.ids import uuid_from_bytes
from civicledger.store.sql.schema import events, stored_bytes

_REDACTED = '{"' + REDACTED_KEY + '"'  # how a partly redacted payload's text starts
_REDACTED_BYTES = _REDACTED.encode()

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
"""What a read selects, in the order :func:`decode_row` takes (see :func:`columns`)."""

_STORED_PAYLOAD = cast(events.c.payload, LargeBinary).label("payload")

_SQLITE_COLUMNS = tuple(_STORED_PAYLOAD if c is events.c.payload else c for c in COLUMNS)


def columns(dialect_name: str) -> tuple[Any, ...]:
    """:data:`COLUMNS` as ``dialect_name`` reads them (the payload: :func:`payload_column`)."""
    return _SQLITE_COLUMNS if dialect_name == "sqlite" else COLUMNS


def payload_column(dialect_name: str) -> Any:
    """The payload column as reads and verification select it: SQLite's as its stored
    bytes, which orjson and the hashes take as they are (no text object in between), and
    which reach the checks even when they are not UTF-8, so that those name the row;
    PostgreSQL's as its text."""
    return _STORED_PAYLOAD if dialect_name == "sqlite" else events.c.payload


def decode_row(codec: Codec, row: Sequence[Any]) -> RecordedEvent:
    """A recorded event from a row of :data:`COLUMNS` (driver values).

    Raises:
        ValidationError: the stored payload does not decode; the message names the
            position and event id.
        DamagedRowError: a stored value is one no event can have (an id that is not a
            UUID, a payload that is not UTF-8 JSON, a date that is not a date), so the
            database was changed around the store; the message names the position.
    """
    (position, stream, version, event_id, type_name, schema, occurred, recorded, actor,
     payload, digest, leaf_hash) = row  # fmt: skip
    if not isinstance(event_id, uuid.UUID):
        event_id = stored_event_id(position, event_id)
    if not (
        stream.__class__ is str
        and type_name.__class__ is str
        and actor.__class__ is str
        and version.__class__ is int
        and schema.__class__ is int
    ):  # SQLite keeps whatever an UPDATE stores, of any type
        raise _wrong_kind(position, event_id, row)
    try:
        if payload.__class__ is bytes and payload.startswith(_REDACTED_BYTES):
            payload = payload.decode()  # SQLite's stored bytes; decode_text takes text
        redacted: tuple[str, ...] = ()
        if payload is None or (payload.__class__ is str and payload.startswith(_REDACTED)):
            event, redacted = decode_text(codec, type_name, schema, _date(occurred), payload)
        else:
            event = codec.from_stored(type_name, schema, orjson.loads(payload))
        return assemble_record(
            position,
            stream,
            version,
            event_id,
            type_name,
            schema,
            _date(occurred),
            _timestamp(recorded),
            actor,
            event,
            digest if digest.__class__ is bytes else stored_bytes(digest),
            leaf_hash if leaf_hash.__class__ is bytes else stored_bytes(leaf_hash),
            redacted,
        )
    except ValidationError as e:
        raise type(e)(
            f"stored event at position {position} (id {event_id}): {e.message}",
            event_type=type_name,
            field=e.field,
            event_id=str(event_id),
        ) from e
    except (orjson.JSONDecodeError, UnicodeDecodeError) as e:
        raise _damaged(position, event_id, "has a payload that is not JSON", e) from e
    except (TypeError, ValueError) as e:
        raise _damaged(position, event_id, "holds a value no event can have", e) from e


def stored_event_id(position: int, value: Any) -> uuid.UUID:
    """The UUID of the 16 bytes SQLite keeps for an event id.

    Raises:
        DamagedRowError: the column holds anything else (an UPDATE around the store).
    """
    try:
        return uuid_from_bytes(value)
    except (TypeError, ValueError) as e:
        raise _damaged(position, None, "has an event id that is not a UUID", e) from e


_KINDS = (
    (1, "a stream", str),
    (2, "a stream version", int),
    (4, "a type", str),
    (5, "a schema version", int),
    (8, "an actor", str),
)
"""The columns of :data:`COLUMNS` that hold one kind of value: (index, name, kind)."""


def _wrong_kind(position: int, event_id: uuid.UUID, row: Sequence[Any]) -> DamagedRowError:
    """The error naming the first column of ``row`` whose value is of the wrong kind."""
    index, name, kind = next(k for k in _KINDS if row[k[0]].__class__ is not k[2])
    what = "text" if kind is str else "an integer"
    return _damaged(
        position, event_id, f"has {name} that is not {what}", TypeError(repr(row[index]))
    )


def _damaged(
    position: int, event_id: uuid.UUID | None, what: str, cause: Exception
) -> DamagedRowError:
    """The error naming a row that holds ``what`` no append writes."""
    row = f"{position}" if event_id is None else f"{position} (id {event_id})"
    return DamagedRowError(
        f"stored event at position {row} {what}; the database is corrupted ({cause})",
        position=position,
    )


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> date:
    return date.fromisoformat(text)


@functools.lru_cache(maxsize=1024)
def _timestamp(text: str) -> datetime:
    # One timestamp per append transaction, so a small cache covers long runs of rows.
    try:
        return parse_timestamp(text)
    except ValidationError as e:  # no append stores it: a damaged row, as a bad date is
        raise ValueError(e.message) from None
