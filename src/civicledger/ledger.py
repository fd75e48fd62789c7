"""The Ledger facade: the composition root most users touch; each method delegates to a layer."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING

from civicledger.events import Codec, Event, RecordedEvent
from civicledger.store import Clock, EventStore, MemoryStore, NewEvent
from civicledger.types import ANY, ExpectedVersion, Position, StreamId

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


class Ledger:
    """An append-only, tamper-evident ledger of civic events.

    Open one with :meth:`open` (SQLite or PostgreSQL) or :meth:`in_memory`, and
    use it as a context manager::

        with Ledger.open("sqlite:///community.db", ledger="community-x") as ledger:
            ledger.append("meeting/2023-03", [meeting], actor="clerk")
            for record in ledger.read(types=["meeting_held"]):
                ...

    Every method is a line or two over a layer (``ledger.store`` is the
    :class:`~civicledger.store.EventStore`), so the layers stay usable alone.
    """

    def __init__(self, store: EventStore) -> None:
        """Wrap a store; most callers use :meth:`open` or :meth:`in_memory` instead.

        Args:
            store: the event store the ledger records into.
        """
        self._store = store

    @classmethod
    def open(
        cls,
        url: str | URL,
        ledger: str = "default",
        *,
        origin: str | None = None,
        hash_algorithm: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
        synchronous: str = "NORMAL",
        busy_timeout: float = 30.0,
    ) -> Ledger:
        """Open a ledger in a SQL database, creating the tables and the ledger on first use.

        Args:
            url: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/dbname``.
            ledger: the ledger's name; one database holds many ledgers.
            origin: a new ledger's globally unique origin (e.g.
                ``"records.example.org/community-x"``); generated when None.
            hash_algorithm: ``"sha256"`` (the default for a new ledger) or ``"sm3"``.
            clock: gives ``recorded_at`` (aware UTC datetimes); the process clock when None.
            codec: decodes payloads; the default codec (default registry) when None.
            synchronous: SQLite's ``synchronous`` pragma; ``FULL`` survives power cuts.
            busy_timeout: seconds a SQLite writer waits for another writer.

        Returns:
            The open ledger.

        Raises:
            SchemaMismatchError: the database has another civicledger schema version.
            ValidationError: a name, origin or algorithm is not acceptable.
            StoreError: the database cannot be opened or is not a civicledger database.
        """
        # Imported here so that `import civicledger` does not load SQLAlchemy.
        from civicledger.store.sql import SqlStore

        return cls(
            SqlStore.open(
                url,
                ledger,
                origin=origin,
                hash_algorithm=hash_algorithm,
                clock=clock,
                codec=codec,
                synchronous=synchronous,
                busy_timeout=busy_timeout,
            )
        )

    @classmethod
    def in_memory(
        cls,
        ledger: str = "default",
        *,
        origin: str | None = None,
        hash_algorithm: str | None = None,
        clock: Clock | None = None,
        codec: Codec | None = None,
    ) -> Ledger:
        """Open an empty ledger held in process memory (for tests and scratch work).

        Args:
            ledger: the ledger's name.
            origin: its origin; generated when None.
            hash_algorithm: ``"sha256"`` (default) or ``"sm3"``.
            clock: gives ``recorded_at``; the process clock when None.
            codec: decodes payloads; the default codec when None.

        Returns:
            The ledger.

        Raises:
            ValidationError: a name, origin or algorithm is not acceptable.
        """
        return cls(
            MemoryStore(
                ledger_name=ledger,
                origin=origin,
                hash_algorithm=hash_algorithm,
                clock=clock,
                codec=codec,
            )
        )

    @property
    def store(self) -> EventStore:
        """The underlying event store."""
        return self._store

    @property
    def name(self) -> str:
        """The ledger's name."""
        return self._store.ledger_name

    @property
    def origin(self) -> str:
        """The ledger's globally unique origin."""
        return self._store.origin

    @property
    def hash_algorithm(self) -> str:
        """The ledger's hash algorithm name."""
        return self._store.hash_algorithm

    def close(self) -> None:
        """Release the ledger's connections; it cannot be used afterwards."""
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recording and reading (store, issue 3) ---------------------------------------

    def append(
        self,
        stream: StreamId,
        events: Sequence[Event],
        *,
        expected_version: ExpectedVersion = ANY,
        actor: str,
        event_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[RecordedEvent]:
        """Append events to one stream, all or nothing; see :meth:`EventStore.append`."""
        return self._store.append(
            stream, events, expected_version=expected_version, actor=actor, event_ids=event_ids
        )

    def append_batch(self, entries: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append to many streams in one transaction; see :meth:`EventStore.append_batch`."""
        return self._store.append_batch(entries)

    def read(
        self,
        *,
        stream: StreamId | None = None,
        stream_prefix: str | None = None,
        types: Sequence[str] | None = None,
        from_position: Position = 1,
        to_position: Position | None = None,
        occurred_between: tuple[date, date] | None = None,
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order; see :meth:`EventStore.read`."""
        return self._store.read(
            stream=stream,
            stream_prefix=stream_prefix,
            types=types,
            from_position=from_position,
            to_position=to_position,
            occurred_between=occurred_between,
        )

    def read_stream(self, stream: StreamId, from_version: int = 1) -> Iterator[RecordedEvent]:
        """Stream one stream's events in version order; see :meth:`EventStore.read_stream`."""
        return self._store.read_stream(stream, from_version)

    def head(self) -> Position:
        """The position of the last recorded event (0 when empty)."""
        return self._store.head()

    def subscribe(
        self,
        from_position: Position = 1,
        *,
        poll_interval: float = 0.5,
        stop: threading.Event | None = None,
        timeout: float | None = None,
    ) -> Iterator[RecordedEvent]:
        """Follow the ledger from a position; see :meth:`EventStore.subscribe`."""
        return self._store.subscribe(
            from_position, poll_interval=poll_interval, stop=stop, timeout=timeout
        )

    # =====================================================================================
    # Other layers add their methods below, each in its own block, each a line or two
    # that calls its layer (keep the logic in the layer, not here):
    #   - audit (issue 4): seal, prove, inclusion_proof, consistency_proof, verify
    #   - import/export: import_jsonl, export_jsonl
    #   - corrections (issue 10): correct, retract, redact
    #   - projections and reports: compute, indicators, explain, report, followups
    # =====================================================================================
