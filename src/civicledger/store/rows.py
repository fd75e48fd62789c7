"""Stored event rows as verification reads them: every column, before any decoding.

Verification must recompute leaves from what is *stored* (the payload text as
written, the salt, the digest), not from the typed events a read returns (which
are upcast and would hide a damaged payload), so it reads the rows itself.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from civicledger.events import RecordedEvent
from civicledger.events.canonical import canonical_bytes
from civicledger.events.text import parse_date, parse_timestamp
from civicledger.merkle.leaf import envelope_bytes
from civicledger.types import Position

if TYPE_CHECKING:
    from civicledger.store.memory import MemoryStore


class StoredRow(NamedTuple):
    """One stored event row, as raw as the backend keeps it.

    ``occurred_on`` and ``recorded_at`` are the stored text on SQL backends
    (a damaged value must be reported, not crash the read); ``payload`` and
    ``salt`` are None after a redaction. A named tuple: verification builds one
    per event, and a tuple is the cheapest immutable record to build.
    """

    position: int
    stream: str
    stream_version: int
    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_on: date | str
    recorded_at: datetime | str
    actor: str
    payload: bytes | None
    salt: bytes | None
    payload_digest: bytes
    leaf_hash: bytes
    commitments: bytes | None = None  # leaf format v2, after a redaction

    def occurred_date(self) -> date:
        """The business date, parsed when stored as text.

        Raises:
            ValidationError: the stored text is not a date.
        """
        if isinstance(self.occurred_on, str):
            return _date(self.occurred_on)
        return self.occurred_on

    def recorded_time(self) -> datetime:
        """The recording time, parsed when stored as text.

        Raises:
            ValidationError: the stored text is not a UTC timestamp.
        """
        if isinstance(self.recorded_at, str):
            return _timestamp(self.recorded_at)
        return self.recorded_at

    def envelope(self, origin: str, hash_name: str, version: int = 1) -> bytes:
        """The canonical envelope this row's leaf commits to (see docs/hashing.md).

        ``version`` is the ledger's leaf format (the envelope's ``"v"``).

        Raises:
            ValidationError: a stored value cannot be part of an envelope.
        """
        return envelope_bytes(
            origin=origin,
            position=self.position,
            stream=self.stream,
            stream_version=self.stream_version,
            event_id=self.event_id,
            type=self.type,
            schema_version=self.schema_version,
            occurred_on=self.occurred_date(),
            recorded_at=self.recorded_time(),
            actor=self.actor,
            payload_digest=self.payload_digest,
            hash_name=hash_name,
            version=version,
        )


class StoredPayload(NamedTuple):
    """An event's position and stored payload bytes (None after a redaction): all that
    the redaction and correction events are read for, before a walk."""

    position: int
    payload: bytes | None


BATCH = 2000
"""Rows per batch a row source reads: memory stays flat whatever the ledger's size."""


class RowBatch(NamedTuple):
    """Rows read together, before any conversion: verification checks most rows straight
    from what the backend returned (``merkle.native``), and makes a StoredRow only of a
    row it must look at closely.

    Attributes:
        rows: tuples in StoredRow's field order, holding the backend's own values (SQLite's
            event ids are 16 bytes, its payloads bytes; PostgreSQL's payloads are str).
        stored: makes the StoredRow of one of them.
    """

    rows: Sequence[tuple[Any, ...]]
    stored: Callable[[Any], StoredRow]


def batched(rows: Iterable[StoredRow], size: int = BATCH) -> Iterator[RowBatch]:
    """StoredRows as batches of at most ``size`` (rows that need no conversion)."""
    source = iter(rows)
    while batch := list(itertools.islice(source, size)):
        yield RowBatch(batch, _itself)


def _itself(row: StoredRow) -> StoredRow:
    return row


class RowSource(Protocol):
    """Where the audit layer reads raw rows and finds events by id."""

    def rows(self, from_position: Position, to_position: Position) -> Iterator[StoredRow]:
        """Yield the stored rows with positions in ``[from_position, to_position]``, in order.

        Missing positions are simply absent; the caller detects the gap.
        """
        ...

    def row_batches(self, from_position: Position, to_position: Position) -> Iterator[RowBatch]:
        """The same rows as :meth:`rows`, in batches as the backend returns them."""
        ...

    def payloads_of_type(self, type_name: str, to_position: Position) -> Iterator[StoredPayload]:
        """Yield the positions and payloads of one type's events up to ``to_position``, in
        position order. Only those two columns are read: another column an insider
        damaged cannot stop the read (the walk names that row at its position)."""
        ...

    def position_of(self, event_id: uuid.UUID) -> Position | None:
        """The position of the event with this id, or None when there is none."""
        ...


class MemoryRowSource:
    """Reads rows from an in-memory store, re-encoding each payload canonically.

    The in-memory store keeps typed events, never upcast, so their canonical
    bytes are the bytes that were digested at append time.
    """

    def __init__(self, store: MemoryStore) -> None:
        """Read the rows of ``store``.

        Args:
            store: the in-memory store.
        """
        self._store = store

    def rows(self, from_position: Position, to_position: Position) -> Iterator[StoredRow]:
        """Yield rows in position order; see :class:`RowSource`."""
        return self._rows(self._store.read(from_position=from_position, to_position=to_position))

    def row_batches(self, from_position: Position, to_position: Position) -> Iterator[RowBatch]:
        """The rows in batches; see :class:`RowSource`."""
        return batched(self.rows(from_position, to_position))

    def payloads_of_type(self, type_name: str, to_position: Position) -> Iterator[StoredPayload]:
        """Yield the positions and payloads of one type; see :class:`RowSource`."""
        for row in self._rows(self._store.read(types=[type_name], to_position=to_position)):
            yield StoredPayload(row.position, row.payload)

    def _rows(self, records: Iterable[RecordedEvent]) -> Iterator[StoredRow]:
        store = self._store
        # The salts, remainders and codec have no public accessor on the in-memory
        # store (the SQL store has its columns); reading them here keeps it unchanged.
        salts = store._salts
        codec = store._codec
        for record in records:
            position = record.position
            kept = store._commitments.get(position)
            if salts[position - 1] is not None:
                payload: bytes | None = canonical_bytes(codec.to_dict(record.payload))
            else:  # redacted: what is left of the payload, in its stored form
                remainder = store._redacted.get(position)
                payload = None if remainder is None else canonical_bytes(remainder)
            yield StoredRow(
                position=record.position,
                stream=record.stream,
                stream_version=record.stream_version,
                event_id=record.event_id,
                type=record.type,
                schema_version=record.schema_version,
                occurred_on=record.occurred_on,
                recorded_at=record.recorded_at,
                actor=record.actor,
                payload=payload,
                salt=salts[position - 1],
                payload_digest=record.payload_digest,
                leaf_hash=record.leaf_hash,
                commitments=None if kept is None else kept.text().encode("utf-8"),
            )

    def position_of(self, event_id: uuid.UUID) -> Position | None:
        """The position of an event id; see :class:`RowSource`."""
        return self._store._by_id.get(event_id)


# Rows of one append share one timestamp and a ledger has few distinct dates, so
# parsing through small caches keeps verification from re-parsing the same text.
_date = functools.lru_cache(maxsize=4096)(parse_date)
_timestamp = functools.lru_cache(maxsize=1024)(parse_timestamp)
