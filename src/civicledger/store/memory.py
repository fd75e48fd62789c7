"""The in-memory EventStore: the same contract as the SQL store, for tests and scratch work."""

from __future__ import annotations

import bisect
import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from civicledger.errors import StoreError, ValidationError
from civicledger.events import Codec, RecordedEvent, default_codec
from civicledger.events.redaction import decode_stored, redact_stored, stored_keys
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.merkle.commitments import Commitments, after_redaction
from civicledger.merkle.hashes import hash_algorithm as lookup_hash
from civicledger.merkle.reader import MemoryNodeReader, NodeReader
from civicledger.merkle.tree import Frontier
from civicledger.store.base import Clock, EventStore, NewEvent, Waiter, utc_now
from civicledger.store.identity import (
    check_leaf_version,
    check_ledger_name,
    check_origin,
    make_origin,
)
from civicledger.store.ids import UuidV7Generator
from civicledger.store.parts import MemoryProjectionPositions, MemorySealTable
from civicledger.store.planning import (
    StoredIdentity,
    encode_entries,
    ids_of,
    plan_append,
)
from civicledger.store.reading import ReadFilter
from civicledger.store.rows import MemoryRowSource
from civicledger.types import Position, StreamId


class MemoryStore(EventStore):
    """An EventStore held in process memory; gone when the process ends.

    It runs the same append pipeline as the SQL store (validation, canonical
    encoding, salted digests, leaf hashes, Merkle frontier), so it passes the
    same contract tests. Thread-safe: appends are serialised by one lock.
    """

    def __init__(
        self,
        *,
        ledger_name: str = "default",
        origin: str | None = None,
        hash_algorithm: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        limits: Limits = DEFAULT_LIMITS,
        leaf_version: int = 2,
    ) -> None:
        """Create an empty in-memory ledger.

        Args:
            ledger_name: the ledger's name.
            origin: its origin; ``civicledger.local/<name>/<random hex>`` when None.
            hash_algorithm: ``"sha256"`` (the default) or ``"sm3"``.
            clock: gives ``recorded_at``; the process clock in UTC when None.
            codec: encodes and decodes payloads; the default codec when None.
            limits: ``future_date_tolerance_days`` bounds the dates recorded.
            leaf_version: the leaf format, 2 (the default); 1 only to compare with old ledgers.

        Raises:
            ValidationError: the name, origin, hash algorithm or leaf version is not acceptable.
        """
        self._leaf_version = check_leaf_version(leaf_version)
        self._name = check_ledger_name(ledger_name)
        self._origin = check_origin(origin) if origin is not None else make_origin(self._name)
        self._alg = lookup_hash(hash_algorithm or "sha256")
        self._clock = clock or utc_now
        self._codec = codec or default_codec()
        self._limits = limits
        self._ids = UuidV7Generator()
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._records: list[RecordedEvent] = []
        # Readers see events up to _head, which moves only once a whole batch is in place.
        self._head = 0
        self._salts: list[bytes | None] = []  # None once the payload is redacted
        self._redacted: dict[int, Any] = {}  # position -> what a redaction left of the payload
        self._commitments: dict[int, Commitments] = {}  # v2: what a redacted row keeps
        self._by_id: dict[uuid.UUID, int] = {}
        self._seal_table = MemorySealTable()
        self._positions = MemoryProjectionPositions()
        self._streams: dict[str, list[int]] = {}  # stream -> positions, in version order
        self._tree = MemoryNodeReader(self._alg)
        self._closed = False

    @property
    def codec(self) -> Codec:
        """The codec the store decodes payloads with (the indicators read its event classes)."""
        return self._codec

    @property
    def ledger_name(self) -> str:
        """The ledger's name."""
        return self._name

    @property
    def origin(self) -> str:
        """The ledger's origin."""
        return self._origin

    @property
    def hash_algorithm(self) -> str:
        """The ledger's hash algorithm name."""
        return self._alg.name

    @property
    def leaf_version(self) -> int:
        """The ledger's leaf format (1 or 2)."""
        return self._leaf_version

    def append_batch(self, entries: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append entries to any streams, all or nothing; see :meth:`EventStore.append_batch`."""
        self._check_open()
        encoded = encode_entries(entries, self._codec)
        with self._lock:
            existing = {}
            for event_id in ids_of(encoded):
                position = self._by_id.get(event_id)
                if position is not None:
                    record = self._records[position - 1]
                    existing[event_id] = StoredIdentity(
                        position=position,
                        stream=record.stream,
                        type=record.type,
                        schema_version=record.schema_version,
                        salt=self._salts[position - 1],
                        payload_digest=record.payload_digest,
                    )
            plan = plan_append(
                encoded,
                origin=self._origin,
                alg=self._alg,
                head=self._head,
                frontier=self._tree.frontier,  # a copy: a failed plan leaves the tree alone
                recorded_at=self._clock(),
                ids=self._ids,
                versions={s: len(self._streams.get(s, ())) for s in {e.stream for e in encoded}},
                existing=existing,
                future_date_tolerance_days=self._limits.future_date_tolerance_days,
                leaf_version=self._leaf_version,
            )
            # Nothing below can fail on valid rows, so the append is all or nothing.
            for row in plan.rows:
                self._records.append(plan.record(row))
                self._salts.append(row.salt)
                self._by_id[row.event_id] = row.position
                self._streams.setdefault(row.stream, []).append(row.position)
                self._tree.append(row.leaf_hash)
            if plan.rows:
                self._head = len(self._records)
                self._appended.notify_all()
            return [self._records[o.position - 1] for o in plan.outcomes]

    def read_where(self, wanted: ReadFilter) -> Iterator[RecordedEvent]:
        """Stream the records a checked filter selects; see :meth:`EventStore.read`."""
        self._check_open()
        return self._read(wanted, self._head)

    def _read(self, wanted: ReadFilter, head: int) -> Iterator[RecordedEvent]:
        last = head if wanted.to_position is None else min(head, wanted.to_position)
        if wanted.stream is not None:
            positions: Sequence[int] = self._streams.get(wanted.stream, [])
            for position in list(positions):
                if wanted.from_position <= position <= last:
                    record = self._records[position - 1]
                    if wanted.matches(record):
                        yield record
            return
        for position in range(wanted.from_position, last + 1):
            record = self._records[position - 1]
            if wanted.matches(record):
                yield record

    def read_stream(self, stream: StreamId, from_version: int = 1) -> Iterator[RecordedEvent]:
        """Stream one stream's events in version order; see :meth:`EventStore.read_stream`."""
        self._check_open()
        if type(from_version) is not int or from_version < 1:
            raise ValidationError(
                f"from_version must be an int >= 1, got {from_version!r}", field="from_version"
            )
        positions = self._streams.get(stream, [])
        committed = positions[: bisect.bisect_right(positions, self._head)]
        return (self._records[p - 1] for p in committed[from_version - 1 :])

    @property
    def clock(self) -> Clock:
        """The clock that stamps ``recorded_at`` (the ledger's idea of now)."""
        return self._clock

    def head(self) -> Position:
        """The last position (0 when empty)."""
        self._check_open()
        return self._head

    def stream_version(self, stream: StreamId) -> int:
        """The version of a stream's last event (0 when it has none)."""
        self._check_open()
        # Versions are positions in the stream's list; count the committed ones.
        return bisect.bisect_right(self._streams.get(stream, []), self._head)

    def redact_payload(self, event_id: uuid.UUID, fields: Sequence[str] | None) -> RecordedEvent:
        """Remove stored payload values and the salt; see :meth:`EventStore.redact_payload`."""
        self._check_open()
        with self._lock:
            position = self._by_id.get(event_id)
            if position is None:
                raise StoreError(
                    f"cannot redact event {event_id}: ledger {self._name!r} has no such event"
                )
            record = self._records[position - 1]
            if position in self._redacted:
                data = self._redacted[position]
            else:
                data = self._codec.to_dict(record.payload)
            keys = None
            if fields is not None and data is not None:
                keys = stored_keys(
                    self._codec.registry, record.type, record.schema_version, data, fields
                )
            remaining = redact_stored(data, keys)
            payload, removed = decode_stored(
                self._codec, record.type, record.schema_version, record.occurred_on, remaining
            )
            if self._leaf_version == 2:
                self._commitments[position] = after_redaction(
                    self._alg,
                    data,
                    self._salts[position - 1],
                    self._commitments.get(position),
                    remaining,
                )
            self._redacted[position] = remaining
            self._salts[position - 1] = None
            self._records[position - 1] = attrs.evolve(
                record, payload=payload, redacted_fields=removed
            )
            return self._records[position - 1]

    def frontier(self) -> Frontier:
        """A copy of the ledger's Merkle frontier."""
        with self._lock:
            return self._tree.frontier

    def node_reader(self) -> NodeReader:
        """The ledger's leaf hashes and stored nodes."""
        return self._tree

    def leaf_hash(self, position: Position) -> bytes:
        """The leaf hash at ``position``; see :meth:`EventStore.leaf_hash`."""
        self._check_open()
        if type(position) is not int or not 1 <= position <= self._head:
            raise StoreError(
                f"no event at position {position!r} in ledger {self._name!r} (head is {self._head})"
            )
        return self._records[position - 1].leaf_hash

    def position_of(self, event_id: uuid.UUID) -> Position | None:
        """The position of the event with this id; see :class:`EventStore`."""
        return self._by_id.get(event_id)

    def row_source(self) -> MemoryRowSource:
        """The stored rows, re-encoded canonically; see :class:`EventStore`."""
        return MemoryRowSource(self)

    def seal_table(self) -> MemorySealTable:
        """The seals, kept beside the events; see :class:`EventStore`."""
        return self._seal_table

    def projection_positions(self) -> MemoryProjectionPositions:
        """Projection positions in memory; see :class:`EventStore`."""
        return self._positions

    @contextlib.contextmanager
    def _waiter(self) -> Iterator[Waiter]:
        def wait(known_head: Position, seconds: float, stop: threading.Event | None) -> None:
            with self._appended:
                self._appended.wait_for(lambda: self._head > known_head, timeout=seconds)

        yield wait

    def close(self) -> None:
        """Mark the store closed; later calls raise StoreError."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"ledger {self._name!r} is closed; open it again to use it")
