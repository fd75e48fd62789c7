"""RecordedEvent: an event as the ledger stored it, with its envelope."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from civicledger.events.base import Event

if TYPE_CHECKING:
    from civicledger.events.redaction import Amendment


@attrs.frozen(kw_only=True)
class RecordedEvent:
    """An event as the store hands it back: the payload and where and when it was recorded.

    Attributes:
        position: global, gap-free position in the ledger, from 1.
        stream: the stream the event was appended to.
        stream_version: the event's version within its stream, from 1.
        event_id: the event's unique id.
        type: the stored type name.
        schema_version: the schema version the payload was stored with (the
            payload itself is upcast to the newest version).
        occurred_on: the business date (from the payload).
        recorded_at: when the ledger stored it (UTC).
        actor: who recorded it.
        payload: the typed event.
        payload_digest: the salted digest of the canonical payload that the leaf commits to.
        leaf_hash: the Merkle leaf hash of the event's envelope.
        corrections: in the effective view (``read(effective=True)``), the
            corrections and redactions applied to the event, oldest first.
        redacted_fields: the payload fields whose values were redacted (their
            values are absent from ``payload``); empty for an unredacted event.
    """

    position: int
    stream: str
    stream_version: int
    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_on: date
    recorded_at: datetime
    actor: str
    payload: Event
    payload_digest: bytes = attrs.field(repr=False)
    leaf_hash: bytes = attrs.field(repr=False)
    corrections: tuple[Amendment, ...] = attrs.field(default=(), repr=False)
    redacted_fields: tuple[str, ...] = ()
