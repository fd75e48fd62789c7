"""The EventStore contract that every backend keeps, and NewEvent, one entry of a batch."""

from __future__ import annotations

import abc
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypeAlias

import attrs

from civicledger.errors import StoreError, ValidationError
from civicledger.events import Codec, Event, RecordedEvent, default_codec
from civicledger.store.reading import Envelope, ReadFilter
from civicledger.types import ANY, ExpectedVersion, Position, StreamId

if TYPE_CHECKING:
    from civicledger.merkle.reader import NodeReader
    from civicledger.merkle.tree import Frontier
    from civicledger.store.parts import ProjectionPositions, SealTable, SqlTarget
    from civicledger.store.rows import RowSource
    from civicledger.store.sql.privileges import Access

Clock: TypeAlias = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime; the store calls it once per append."""


Waiter: TypeAlias = Callable[[int, float, "threading.Event | None"], None]
"""Blocks until the head passes the given position, the seconds pass, or the event is set."""


def utc_now() -> datetime:
    """The default clock: the process clock in UTC."""
    return datetime.now(UTC)


@attrs.frozen(kw_only=True)
class NewEvent:
    """One event to append, with where it goes and who records it.

    Attributes:
        stream: the stream to append to (non-empty).
        event: the typed event payload.
        actor: who records it (free text, e.g. a clerk's user name; may be empty).
        event_id: the caller's id for the event, which makes a retry safe; a
            time-ordered UUIDv7 is made when None.
        expected_version: the version the stream must be at just before this
            event: ``ANY``, ``NO_STREAM``, ``STREAM_EXISTS`` or an exact int.
    """

    stream: StreamId
    event: Event
    actor: str
    event_id: uuid.UUID | None = None
    expected_version: ExpectedVersion = ANY


class EventStore(abc.ABC):
    """An append-only, totally ordered log of events for one ledger.

    Guarantees every backend keeps (the contract tests check each):

    - Atomic batches: an append writes all of its events or none of them.
    - Contiguous order: positions are 1, 2, 3, … with no gap and no reuse, also
      after failed appends; a reader never sees position n + 1 before n.
    - Optimistic concurrency: an expected version that does not match raises
      :class:`~civicledger.ConcurrencyError` and writes nothing.
    - Idempotent retries: an event id already stored with the same stream, type,
      schema version and payload returns the original record; with different
      content it raises :class:`~civicledger.DuplicateEventError`.
    - Append-only: there is no way to change or remove a recorded event, except
      that :meth:`redact_payload` may remove payload values (never the row, its
      envelope, digest or leaf hash), so proofs keep verifying.
    - Tamper evidence: every record carries its Merkle leaf hash; the store keeps
      the RFC 9162 frontier and interior nodes for proofs.
    """

    # -- identity -----------------------------------------------------------------

    @property
    @abc.abstractmethod
    def ledger_name(self) -> str:
        """The ledger's name inside its database (e.g. ``"default"``)."""

    @property
    @abc.abstractmethod
    def origin(self) -> str:
        """The ledger's globally unique, immutable origin, used in leaves and seals."""

    @property
    @abc.abstractmethod
    def hash_algorithm(self) -> str:
        """The name of the ledger's hash algorithm (``"sha256"`` or ``"sm3"``)."""

    @property
    def leaf_version(self) -> int:
        """The ledger's leaf format: 1 (salted whole payload) or 2 (one commitment per field).

        Chosen when the ledger is created and never changed; see ``docs/hashing.md``.
        """
        return 1

    @property
    @abc.abstractmethod
    def clock(self) -> Clock:
        """The clock that stamps ``recorded_at`` (the ledger's idea of now)."""

    def access(self) -> Access | None:
        """Which PostgreSQL role the store runs as and whether it could alter history;
        None for a backend without database roles."""
        return None

    @property
    def is_replica(self) -> bool:
        """Whether the ledger is a replica, written only by delivery from its sender (sync)."""
        return False

    @property
    def codec(self) -> Codec:
        """The codec that encodes and decodes this store's payloads (the default one here)."""
        return default_codec()

    # -- writing ------------------------------------------------------------------

    def append(
        self,
        stream: StreamId,
        events: Sequence[Event],
        *,
        expected_version: ExpectedVersion = ANY,
        actor: str,
        event_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[RecordedEvent]:
        """Append events to one stream, all or nothing.

        Args:
            stream: the stream to append to.
            events: the events, in order.
            expected_version: the stream's version before the first event.
            actor: who records the events.
            event_ids: one id per event for safe retries; generated when None.

        Returns:
            One record per event, in order (an already stored event's original record).

        Raises:
            ConcurrencyError: the stream is not at the expected version.
            DuplicateEventError: an event id is stored with different content.
            ValidationError: an argument is invalid; nothing is written.
            StoreError: the database failed; nothing is written.
        """
        from civicledger.store.planning import entries_for_stream

        return self.append_batch(
            entries_for_stream(stream, events, expected_version, actor, event_ids)
        )

    @abc.abstractmethod
    def append_batch(self, entries: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append entries to any streams in one transaction, all or nothing.

        Each entry's expected version is checked against its stream's version just
        before it (counting earlier entries of the batch).

        Args:
            entries: the events to append, in the order they get positions.

        Returns:
            One record per entry, in order. An entry whose id is already stored with
            the same content (or repeats an earlier entry of the batch) gets the
            original record and takes no new position.

        Raises:
            ConcurrencyError: an entry's stream is not at its expected version.
            DuplicateEventError: an event id is stored (or repeated) with different content.
            ValidationError: an entry is invalid; nothing is written.
            StoreError: the database failed; nothing is written.
        """

    def append_batches(self, batches: Iterable[Sequence[NewEvent]]) -> int:
        """Append batches of entries in one transaction, all or nothing.

        For input too large to hold at once, such as a JSON Lines import: the SQL
        store writes each batch as it comes, inside one transaction, so memory
        holds one batch; this default collects them and makes one ``append_batch``
        (a store in memory holds every event anyway). If ``batches`` raises while
        it is read, nothing is appended and the exception propagates.

        Unlike :meth:`append_batch`, an id that repeats an entry of the same call
        is refused; an id stored before the call is a retry, as always.

        Args:
            batches: the entries, in batches, in the order they get positions.

        Returns:
            How many events were newly appended.

        Raises:
            ValidationError: an entry is invalid, or an id appears twice; nothing
                is written.
            ConcurrencyError, DuplicateEventError, StoreError: as for :meth:`append_batch`.
        """
        entries: list[NewEvent] = []
        seen: set[uuid.UUID] = set()
        for batch in batches:  # checked as it comes, as the SQL store checks each batch
            for entry in batch:
                if entry.event_id is not None:
                    if entry.event_id in seen:
                        raise repeated_id(entry.event_id)
                    seen.add(entry.event_id)
            entries.extend(batch)
        before = self.head()
        return sum(1 for record in self.append_batch(entries) if record.position > before)

    # -- reading ------------------------------------------------------------------

    def read(
        self,
        where: ReadFilter | None = None,
        /,
        *,
        stream: StreamId | None = None,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        from_position: Position = 1,
        to_position: Position | None = None,
        occurred_between: tuple[date, date] | None = None,
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order, lazily, in batches.

        The read covers the events stored when it starts (up to ``head()`` then);
        memory use does not grow with the ledger's size.

        Args:
            where: the filter as one :class:`~civicledger.store.ReadFilter`; or give
                its fields as the keywords below (not both).
            stream: only this stream.
            stream_prefix: only streams whose names start with this text.
            types: only these type names.
            from_position: the first position to consider (inclusive).
            to_position: the last position to consider (inclusive); the head when None.
            occurred_between: only events whose ``occurred_on`` lies in this
                inclusive (first, last) date range.

        Returns:
            An iterator of records.

        Raises:
            ValidationError: a filter is malformed (raised at once, not on iteration).
            StoreError: the database failed.
        """
        wanted = ReadFilter.of(
            where,
            stream=stream,
            stream_prefix=stream_prefix,
            types=types,
            from_position=from_position,
            to_position=to_position,
            occurred_between=occurred_between,
        )
        return self.read_where(wanted)

    def read_envelopes(self, types: Sequence[str], to_position: Position) -> Iterator[Envelope]:
        """The position, type and id of each event of ``types`` up to ``to_position``, in
        position order, for readers that need no payload (a report's excluded events).

        This reads and decodes whole records; a backend that can leave the payloads
        unread overrides it.

        Raises:
            ValidationError: ``types`` is not a list of type names.
            StoreError: the database failed.
        """
        for record in self.read(types=types, to_position=to_position):
            yield Envelope(record.position, record.type, record.event_id)

    @abc.abstractmethod
    def read_where(self, wanted: ReadFilter) -> Iterator[RecordedEvent]:
        """Stream the records a checked filter selects, in position order; see :meth:`read`."""

    @abc.abstractmethod
    def read_stream(self, stream: StreamId, from_version: int = 1) -> Iterator[RecordedEvent]:
        """Stream one stream's events in version order, lazily.

        Args:
            stream: the stream.
            from_version: the first stream version to yield.

        Returns:
            An iterator of records (empty for an unknown stream).

        Raises:
            StoreError: the database failed.
        """

    @abc.abstractmethod
    def head(self) -> Position:
        """The position of the last recorded event (0 when the ledger is empty)."""

    @abc.abstractmethod
    def stream_version(self, stream: StreamId) -> int:
        """The version of a stream's last event (0 when the stream has none)."""

    # -- redaction ---------------------------------------------------------------------

    def redact_payload(self, event_id: uuid.UUID, fields: Sequence[str] | None) -> RecordedEvent:
        """Remove values from a stored payload, and its salt: the one change a stored event allows.

        The row keeps its envelope, payload digest and leaf hash, so the Merkle
        tree, seals and proofs still verify. Record the redaction as an event
        first (``civicledger.corrections`` does); this call only erases.
        Redacting what is already redacted changes nothing.

        Args:
            event_id: the event.
            fields: newest-schema field names to remove (``"field.key"`` removes a key
                of a field holding a JSON payload); None removes the whole payload.

        Returns:
            The event as reads now return it.

        Raises:
            StoreError: no such event, or this backend cannot redact.
            ValidationError: a field is not in the stored payload.
        """
        raise StoreError(f"{type(self).__name__} cannot redact stored payloads")

    # -- Merkle tree ----------------------------------------------------------------

    @abc.abstractmethod
    def frontier(self) -> Frontier:
        """The Merkle frontier of the whole ledger (size ``head()``), a private copy."""

    @abc.abstractmethod
    def node_reader(self) -> NodeReader:
        """A reader of stored leaf hashes and interior nodes, for proofs and old roots."""

    @abc.abstractmethod
    def leaf_hash(self, position: Position) -> bytes:
        """The stored leaf hash of the event at ``position``.

        Raises:
            StoreError: no event is stored at that position.
        """

    # -- parts for the layers above (see store/parts.py) -----------------------------

    @abc.abstractmethod
    def position_of(self, event_id: uuid.UUID) -> Position | None:
        """The position of the event with this id, or None when there is none."""

    @abc.abstractmethod
    def row_source(self) -> RowSource:
        """The stored rows, before any decoding, as verification reads them."""

    @abc.abstractmethod
    def seal_table(self) -> SealTable:
        """Where this ledger's seals are kept."""

    @abc.abstractmethod
    def projection_positions(self) -> ProjectionPositions:
        """Where projections over this ledger keep their positions."""

    def sql_target(self) -> SqlTarget | None:
        """The SQL database holding the ledger; None for a backend without one."""
        return None

    # -- following ----------------------------------------------------------------

    def subscribe(
        self,
        from_position: Position = 1,
        *,
        poll_interval: float = 0.5,
        stop: threading.Event | None = None,
        timeout: float | None = None,
    ) -> Iterator[RecordedEvent]:
        """Yield every event from ``from_position`` on, then wait for new ones.

        A catch-up subscription: it reads what is stored, then waits for appends
        (a notification where the backend has one, otherwise polling) and yields
        them in position order, never skipping one.

        Args:
            from_position: the first position to yield.
            poll_interval: the longest wait, in seconds, before checking for new events
                and for ``stop``.
            stop: ends the subscription when set.
            timeout: ends the subscription after this many seconds without a new event.

        Returns:
            An iterator that ends only when ``stop`` is set or ``timeout`` passes.

        Raises:
            StoreError: the database failed.
        """
        position = from_position
        idle_since = time.monotonic()
        with self._waiter() as wait:
            while stop is None or not stop.is_set():
                for record in self.read(from_position=position):
                    yield record
                    position = record.position + 1
                    idle_since = time.monotonic()
                    if stop is not None and stop.is_set():
                        return
                seconds = poll_interval
                if timeout is not None:
                    remaining = timeout - (time.monotonic() - idle_since)
                    if remaining <= 0:
                        return
                    seconds = min(seconds, remaining)
                wait(position - 1, seconds, stop)

    @contextlib.contextmanager
    def _waiter(self) -> Iterator[Waiter]:
        """Provide, for one subscription, a way to block until the head passes a position.

        The default polls: it sleeps (waking early when ``stop`` is set). Backends
        with a notification mechanism override it.
        """

        def sleep(known_head: Position, seconds: float, stop: threading.Event | None) -> None:
            if stop is not None:
                stop.wait(seconds)
            else:
                time.sleep(seconds)

        yield sleep

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for stores without resources
        """Release the store's resources (connections); the store is unusable afterwards."""


def repeated_id(event_id: uuid.UUID | None) -> ValidationError:
    """The error for an id that appears twice in one :meth:`EventStore.append_batches`."""
    return ValidationError(
        f"event_id {event_id} appears twice in this import; an id names one event",
        field="event_id",
        event_id=str(event_id),
    )
