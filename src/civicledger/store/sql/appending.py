"""The append path of a SQL ledger: plan under the write lock, then write rows, tiles and head.

Everything here runs inside the caller's write transaction (:class:`SqlStore` opens
it and holds the ledger's lock). The hot statements are compiled once per store and
run through the driver, because building SQLAlchemy statements per call cost more
than executing them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from civicledger.errors import CivicLedgerError, StoreError
from civicledger.events import Codec, RecordedEvent
from civicledger.events.text import format_timestamp
from civicledger.limits import Limits
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.tree import Frontier, Node
from civicledger.store.base import Clock, NewEvent
from civicledger.store.ids import UuidV7Generator, uuid_from_bytes
from civicledger.store.planning import (
    Encoded,
    Plan,
    Row,
    StoredIdentity,
    check_no_repeats,
    encode_entries,
    ids_of,
    plan_append,
    streams_of,
)
from civicledger.store.replica import ReceivePlan
from civicledger.store.sql import dialect, one_trip
from civicledger.store.sql.decoding import columns, decode_row
from civicledger.store.sql.engine import DriverStatement, naming_damaged_text
from civicledger.store.sql.ledgers import LedgerRow
from civicledger.store.sql.schema import events, ledgers, tiles
from civicledger.store.sql.tree import load_frontier

_INSERT_COLUMNS = tuple(column.name for column in events.columns)

MOVED_HEAD = "civicledger_moved_head"
"""``Connection.info`` key: the head a write transaction moved, announced after it commits."""

_REMEMBERED_STREAMS = 10_000
"""Stream versions an appender remembers for one-trip appends before it starts afresh."""

_UNPREPARED_LIMIT = 3
"""One-trip appends that may find their prepared INSERT gone, or fail to prepare it,
before a store stops trying them: behind a pooler that gives each transaction another
server session, they would cost a round trip more than the usual append every time."""

_IN_CHUNK = 500  # ids or streams per IN (...) list: well under every driver's parameter limit


class SqlAppender:
    """Appends to one ledger and writes deliveries into it, inside the caller's transaction."""

    def __init__(
        self,
        engine: Engine,
        ledger: LedgerRow,
        *,
        alg: HashAlgorithm,
        clock: Clock,
        codec: Codec,
        limits: Limits,
    ) -> None:
        """Compile the write path's statements for ``engine``'s dialect."""
        self._ledger = ledger
        self._alg = alg
        self._clock = clock
        self._codec = codec
        self._limits = limits
        self._ids = UuidV7Generator()
        self._postgres = engine.dialect.name == "postgresql"
        # The hot path: SQLite runs one compiled INSERT through the driver's executemany;
        # PostgreSQL streams the batch with COPY, one command for all its rows.
        compiled = insert(events).compile(dialect=engine.dialect)
        self._insert_sql = (
            dialect.copy_statement(engine.dialect, events) if self._postgres else str(compiled)
        )
        self._copy_types = dialect.copy_types(engine.dialect, events) if self._postgres else []
        if not self._postgres and list(compiled.positiontup or ()) != list(_INSERT_COLUMNS):
            raise StoreError(  # pragma: no cover - a guard for SQLAlchemy changing its output
                f"unexpected INSERT parameter order {compiled.positiontup}; please report this"
            )
        self._lock_head = DriverStatement(_lock_statement(engine.dialect.name), engine)
        self._stream_versions = DriverStatement(_versions_statement(engine.dialect.name), engine)
        self._move_head = DriverStatement(_move_statement(engine.dialect.name), engine)
        self._engine = engine
        self._existing_statements: dict[int, DriverStatement] = {}
        self._written: tuple[bytes, Frontier] | None = None  # the last frontier written
        # PostgreSQL: the version this appender last gave each stream, the guesses of a
        # one-trip append (the server checks each; see one_trip.py).
        self._versions: dict[str, int] = {}
        self._one_trip_texts: dict[tuple[one_trip.Shape, str], tuple[str, str]] = {}
        self._unprepared = 0  # one-trip appends whose session had lost the prepared INSERT
        self._insert_row = DriverStatement(insert(events), engine)  # PostgreSQL, one row
        self._insert_tiles = DriverStatement(
            insert(tiles).values(
                {name: bindparam(name) for name in ("ledger_id", "level", "node_index", "hash")}
            ),
            engine,
        )

    def lock(self, conn: Connection) -> tuple[int, Frontier]:
        """Take the ledger's write lock (on PostgreSQL; SQLite's is the transaction's) and
        read its head and frontier."""
        [(head, frontier_bytes)] = naming_damaged_text(
            conn, lambda: self._lock_head.rows(conn, ledger_id=self._ledger.id)
        )
        written = self._written
        if written is not None and written[0] == frontier_bytes and written[1].size == head:
            # The bytes this appender last wrote, still there: its copy of them is the
            # frontier they encode (their checksum was good when they were made).
            return head, written[1].copy()
        return head, load_frontier(self._alg, frontier_bytes, head, self._ledger.name)

    def append(self, conn: Connection, encoded: list[Encoded]) -> list[RecordedEvent]:
        """Append one batch; an entry already recorded gives back its original record."""
        head, frontier = self.lock(conn)
        plan = self._plan_and_insert(conn, encoded, head, frontier)
        self._complete(conn, plan)
        if self._postgres:
            self._remember_versions(plan.rows)
        repeats = [o.position for o in plan.outcomes if isinstance(o, StoredIdentity)]
        originals = {r.position: r for r in self.records_at(conn, repeats)}
        return [
            plan.record(o) if isinstance(o, Row) else originals[o.position] for o in plan.outcomes
        ]

    def append_in_one_trip(self, encoded: list[Encoded]) -> list[RecordedEvent] | None:
        """Append a small batch on PostgreSQL in one round trip, planned on the head,
        frontier and stream versions this appender last wrote (:mod:`.one_trip`).

        Returns:
            The records, as :meth:`append` gives them; None when this cannot be done
            here (SQLite, a large batch, nothing written yet by this appender) or the
            server refused a guess, in which case nothing was written and the caller
            appends the usual way.
        """
        written = self._written
        if (
            not self._postgres
            or written is None
            or not 0 < len(encoded) <= one_trip.MAX_ROWS
            or self._unprepared >= _UNPREPARED_LIMIT
        ):
            return None
        stored, frontier = written[0], written[1].copy()
        head = frontier.size
        remembered = self._versions
        try:
            plan = plan_append(
                encoded,
                origin=self._ledger.origin,
                alg=self._alg,
                head=head,
                frontier=frontier,
                recorded_at=self._clock(),
                ids=self._ids,
                versions={e.stream: remembered.get(e.stream, 0) for e in encoded},
                existing={},  # a stored id fails the id index: then the usual way decides
                future_date_tolerance_days=self._limits.future_date_tolerance_days,
                leaf_version=self._ledger.leaf_version,
            )
        except CivicLedgerError:
            # Judged on what this appender remembers (versions, and no stored ids): the
            # usual way judges on what is stored, and raises whatever is really wrong.
            return None
        values = self._values(format_timestamp(plan.recorded_at))
        new_frontier = plan.frontier.to_bytes()
        ledger_id = self._ledger.id
        streams_before: dict[str, int] = {}
        for row in plan.rows:
            streams_before.setdefault(row.stream, row.stream_version - 1)
        shape = one_trip.Shape(len(plan.rows), len(streams_before), len(plan.nodes))
        key = (shape, dialect._NOTIFY_SQL)
        texts = self._one_trip_texts.get(key)
        if texts is None:  # a few shapes recur: each built once (12 µs a build, measured)
            texts = one_trip.query(self._engine, shape), one_trip.prepare(self._engine, shape)
            self._one_trip_texts[key] = texts
        arguments = one_trip.params(
            ledger_id,
            [values(row) for row in plan.rows],
            list(streams_before.items()),
            [(ledger_id, n.level, n.index, n.hash) for n in plan.nodes],
            head=head,
            frontier=stored,
            new_head=plan.frontier.size,
            new_frontier=new_frontier,
        )
        first = plan.rows[0]
        committed = False
        try:
            sent = one_trip.send(
                self._engine,
                texts[0],
                arguments,
                insert=(shape.insert_name, texts[1]),
                ledger_id=ledger_id,
                first=(first.position, first.event_id),
                notifying=f"notifying subscribers of ledger {self._ledger.name!r} "
                "(the append is committed)",
            )
            committed = sent is one_trip.Sent.COMMITTED
            if sent is one_trip.Sent.NOT_PREPARED:
                self._unprepared += 1
        except StoreError:  # send raises it only when the append committed
            committed = True
            raise
        finally:
            if committed:
                self._written = (new_frontier, plan.frontier.copy())
                self._remember_versions(plan.rows)
        return [plan.record(o) for o in plan.outcomes if isinstance(o, Row)] if committed else None

    def _remember_versions(self, rows: Sequence[Row]) -> None:
        remembered = self._versions
        if len(remembered) > _REMEMBERED_STREAMS:
            remembered.clear()  # a guess is only a guess: forgetting costs a round trip
        for row in rows:
            remembered[row.stream] = row.stream_version

    def append_batches(self, conn: Connection, batches: Iterable[Sequence[NewEvent]]) -> int:
        """Append batches one at a time (none may repeat a recorded event); returns how many."""
        head, frontier = self.lock(conn)
        start = head
        appended = 0
        for entries in batches:
            encoded = encode_entries(entries, self._codec)
            if not encoded:
                continue
            plan = self._plan_and_insert(conn, encoded, head, frontier)
            check_no_repeats(encoded, plan, start)  # raising undoes the rows with the transaction
            self._complete(conn, plan)
            head, frontier = plan.head or head, plan.frontier
            appended += len(plan.rows)
        return appended

    def _plan_and_insert(
        self, conn: Connection, encoded: list[Encoded], head: int, frontier: Frontier
    ) -> Plan:
        """Plan a batch and insert its new rows as the plan makes them.

        On PostgreSQL each row goes into the COPY as soon as it is hashed, so the
        server inserts the batch while the rest of it is hashed (the server's insert
        was a third of a batch's time when it waited for the whole plan). A failure
        after some rows were sent raises out of the caller's transaction, which
        rolls them back.
        """
        versions = self.stream_versions(conn, streams_of(encoded))
        existing = self._existing(conn, ids_of(encoded))
        recorded_at = self._clock()
        with self._inserting(conn, recorded_at, one_row=len(encoded) == 1) as insert_row:
            return plan_append(
                encoded,
                origin=self._ledger.origin,
                alg=self._alg,
                head=head,
                frontier=frontier,
                recorded_at=recorded_at,
                ids=self._ids,
                versions=versions,
                existing=existing,
                future_date_tolerance_days=self._limits.future_date_tolerance_days,
                leaf_version=self._ledger.leaf_version,
                on_row=insert_row,
            )

    @contextlib.contextmanager
    def _inserting(
        self, conn: Connection, recorded_at: datetime, *, one_row: bool
    ) -> Iterator[Callable[[Row], None]]:
        """A function that inserts one new row, for the length of the block.

        PostgreSQL: into a COPY opened at the first row (a batch of repeats opens
        none) and ended with the block, or, for a batch of one entry (``one_row``:
        an append from a web request, say), by one INSERT when the block ends: an
        INSERT is one round trip, a COPY two and more to set up, and from two rows
        on COPY costs no more (measured). SQLite: into a list inserted by one
        ``executemany`` when the block ends (the driver runs in this thread, so
        there is nothing to overlap). An exception in the block inserts nothing
        more and ends a COPY as failed.
        """
        postgres = self._postgres
        # Replaced at the first row, which formats the time: plan_append checks the clock
        # before it makes any row.
        values = self._values("")

        if postgres and not one_row:
            with contextlib.ExitStack() as stack:
                copy: Any = None

                def copy_row(row: Row) -> None:
                    nonlocal copy, values
                    if copy is None:
                        values = self._values(format_timestamp(recorded_at))
                        cursor: Any = conn.connection.cursor()
                        stack.callback(cursor.close)
                        copy = stack.enter_context(
                            dialect.binary_copy(cursor, self._insert_sql, self._copy_types)
                        )
                    copy.write_row(values(row))

                yield copy_row
            return
        rows: list[Row] = []

        def keep_row(row: Row) -> None:
            nonlocal values
            if not rows:
                values = self._values(format_timestamp(recorded_at))
            rows.append(row)

        yield keep_row
        if postgres and rows:
            [row] = rows
            self._insert_row.execute(conn, **dict(zip(_INSERT_COLUMNS, values(row), strict=True)))
        elif rows:  # each row's values are made as executemany takes them, none kept
            self._insert_params(conn, map(values, rows))

    def _values(self, recorded_text: str) -> Callable[[Row], tuple[Any, ...]]:
        """A function giving a new row's driver values in table column order (the compiled
        INSERT's and COPY's), all recorded at ``recorded_text``."""
        ledger_id, postgres = self._ledger.id, self._postgres

        def values(row: Row) -> tuple[Any, ...]:
            return (
                ledger_id,
                row.position,
                row.stream,
                row.stream_version,
                row.event_id if postgres else row.event_id.bytes,
                row.type,
                row.schema_version,
                row.occurred_on.isoformat(),
                recorded_text,
                row.actor,
                row.payload.decode("utf-8"),
                row.salt,
                None,  # commitments: only a redaction writes them
                row.payload_digest,
                row.leaf_hash,
            )

        return values

    def _complete(self, conn: Connection, plan: Plan) -> None:
        """Write a plan's tiles and move the head (its rows are inserted)."""
        if plan.rows:
            self._write_tree(conn, plan.nodes, plan.frontier)

    def insert_received(self, conn: Connection, plan: ReceivePlan) -> None:
        """Write the new rows of a checked delivery, verbatim."""
        params = [
            (
                self._ledger.id,
                row.position,
                row.stream,
                row.stream_version,
                row.event_id if self._postgres else row.event_id.bytes,
                row.type,
                row.schema_version,
                row.occurred_on,
                row.recorded_at,
                row.actor,
                row.payload,
                row.salt,
                row.commitments,
                row.payload_digest,
                row.leaf_hash,
            )
            for row in plan.rows
        ]
        self._insert_params(conn, params)
        self._write_tree(conn, plan.nodes, plan.frontier)

    def _insert_params(self, conn: Connection, params: Iterable[Any]) -> None:
        """Insert event rows given as driver values in column order."""
        cursor: Any = conn.connection.cursor()
        try:
            if self._postgres:
                with dialect.binary_copy(cursor, self._insert_sql, self._copy_types) as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                cursor.executemany(self._insert_sql, params)
        finally:
            cursor.close()

    def _write_tree(self, conn: Connection, nodes: Sequence[Node], frontier: Frontier) -> None:
        """Insert the tiles new rows completed and move the head and frontier; after the
        rows, in appends and deliveries alike."""
        ledger_id = self._ledger.id
        if nodes:  # one tile per 256 events: compiled once, one executemany per batch
            self._insert_tiles.execute_many(
                conn,
                [
                    {
                        "ledger_id": ledger_id,
                        "level": n.level,
                        "node_index": n.index,
                        "hash": n.hash,
                    }
                    for n in nodes
                ],
            )
        frontier_bytes = frontier.to_bytes()
        self._move_head.execute(
            conn, ledger_id=ledger_id, new_head=frontier.size, new_frontier=frontier_bytes
        )
        # Kept to skip parsing the frontier at the next append, if nobody else wrote; a
        # copy, because append_batches goes on advancing this one.
        self._written = (frontier_bytes, frontier.copy())
        # Announced once the transaction commits (SqlStore._write).
        conn.info[MOVED_HEAD] = frontier.size

    def stream_versions(self, conn: Connection, streams: Iterable[str]) -> dict[str, int]:
        """The last version of each stream that has events."""
        ledger_id = self._ledger.id
        if self._postgres:
            # One round trip for the whole batch; each stream's max() is its own index probe.
            rows = self._stream_versions.rows(conn, ledger_id=ledger_id, streams=sorted(streams))
        else:
            # In process a statement per stream costs little, and a single IN (...) GROUP BY
            # would read every index entry of each stream, which grows with the ledger.
            rows = []
            for stream in streams:
                [(version,)] = self._stream_versions.rows(conn, ledger_id=ledger_id, stream=stream)
                rows.append((stream, version))
        return {stream: int(version) for stream, version in rows if version is not None}

    def leaves_at(self, conn: Connection, positions: Sequence[int]) -> dict[int, bytes]:
        """The stored leaf hashes at ``positions``."""
        found: dict[int, bytes] = {}
        for chunk in _chunks(positions):
            result = conn.execute(
                select(events.c.position, events.c.leaf_hash).where(
                    events.c.ledger_id == self._ledger.id, events.c.position.in_(chunk)
                )
            )
            found.update((int(p), bytes(h)) for p, h in result)
        return found

    def _existing(
        self, conn: Connection, event_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, StoredIdentity]:
        # Through the driver, compiled once per chunk length: every imported line carries
        # an id, and SQLAlchemy's per-id bind and result processing cost about 9 µs an id.
        found: dict[uuid.UUID, StoredIdentity] = {}
        for chunk in _chunks(event_ids):
            lookup = self._existing_statements.get(len(chunk))
            if lookup is None:
                lookup = DriverStatement(_existing_statement(len(chunk)), self._engine)
                self._existing_statements[len(chunk)] = lookup
            params: dict[str, Any] = {
                f"id{i}": _id_param(e, self._postgres) for i, e in enumerate(chunk)
            }
            params["ledger_id"] = self._ledger.id
            for event_id, position, stream, type_name, version, salt, digest in lookup.rows(
                conn, **params
            ):
                if not isinstance(event_id, uuid.UUID):
                    event_id = uuid_from_bytes(event_id)
                found[event_id] = StoredIdentity(
                    position=position,
                    stream=stream,
                    type=type_name,
                    schema_version=version,
                    salt=None if salt is None else bytes(salt),
                    payload_digest=bytes(digest),
                )
        return found

    def records_at(self, conn: Connection, positions: Sequence[int]) -> list[RecordedEvent]:
        """The recorded events at ``positions``, decoded, in position order."""
        records: list[RecordedEvent] = []
        for chunk in _chunks(sorted(set(positions))):
            rows = conn.execute(
                select(*columns(conn.dialect.name)).where(
                    events.c.ledger_id == self._ledger.id, events.c.position.in_(chunk)
                )
            )
            records.extend(decode_row(self._codec, row) for row in rows)
        return records


def _lock_statement(dialect_name: str) -> Any:
    """Read a ledger's head and frontier, locking its row until the transaction ends.

    PostgreSQL goes through the guard function (``SELECT … FOR UPDATE`` would need
    ``UPDATE`` privilege); SQLite's ``BEGIN IMMEDIATE`` already holds the lock.
    """
    if dialect_name == "postgresql":
        locked = func.civicledger_lock_ledger(bindparam("ledger_id")).table_valued(
            "head", "frontier"
        )
        return select(locked.c.head, locked.c.frontier)
    return select(ledgers.c.head, ledgers.c.frontier).where(ledgers.c.id == bindparam("ledger_id"))


def _move_statement(dialect_name: str) -> Any:
    """Move a ledger's head and frontier (PostgreSQL: through the checking guard function)."""
    if dialect_name == "postgresql":
        return select(
            func.civicledger_advance_head(
                bindparam("ledger_id"), bindparam("new_head"), bindparam("new_frontier")
            )
        )
    return (
        update(ledgers)
        .where(ledgers.c.id == bindparam("ledger_id"))
        .values(head=bindparam("new_head"), frontier=bindparam("new_frontier"))
    )


def _versions_statement(dialect_name: str) -> Any:
    """The last version of one stream (SQLite), or of each stream in an array (PostgreSQL)."""
    if dialect_name == "postgresql":
        streams = (
            func.unnest(bindparam("streams", type_=ARRAY(String))).table_valued("stream")
        ).render_derived()
        return select(streams.c.stream, _last_version(streams.c.stream).scalar_subquery())
    return _last_version(bindparam("stream"))


def _last_version(stream: Any) -> Select[Any]:
    return select(func.max(events.c.stream_version)).where(
        events.c.ledger_id == bindparam("ledger_id"), events.c.stream == stream
    )


def _existing_statement(count: int) -> Any:
    """The stored identities of ``count`` event ids (bound as ``id0`` … and ``ledger_id``)."""
    return select(
        events.c.event_id,  # raw from the driver: 16 bytes on SQLite, a uuid on PostgreSQL
        events.c.position,
        events.c.stream,
        events.c.type,
        events.c.schema_version,
        events.c.salt,
        events.c.payload_digest,
    ).where(
        events.c.ledger_id == bindparam("ledger_id"),
        events.c.event_id.in_([bindparam(f"id{i}") for i in range(count)]),
    )


def _id_param(event_id: uuid.UUID, postgres: bool) -> Any:
    """An event id as the driver stores it: a uuid on PostgreSQL, 16 bytes on SQLite."""
    return event_id if postgres else event_id.bytes


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
