"""Raw event rows of a SQL ledger, as verification reads them (see :mod:`civicledger.store.rows`).

Imported only for SQL stores, so auditing an in-memory ledger loads no SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import LargeBinary, bindparam, select, type_coerce

from civicledger.store.parts import SqlTarget
from civicledger.store.rows import BATCH, RowBatch, StoredPayload, StoredRow
from civicledger.store.sql.decoding import payload_column, stored_event_id
from civicledger.store.sql.engine import KeysetStatement
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events, stored_bytes
from civicledger.types import Position


class SqlRowSource:
    """Reads raw rows from a SQL store's events table, in keyset batches."""

    def __init__(self, target: SqlTarget) -> None:
        """Read the rows of a ledger in a SQL database (a verify worker passes its own engine).

        Args:
            target: the ledger's database, row id and name.
        """
        self._engine = target.engine
        self._ledger_id = target.ledger_id
        self._doing = f"reading the rows of ledger {target.ledger_name!r} for verification"

    def rows(self, from_position: Position, to_position: Position) -> Iterator[StoredRow]:
        """Yield stored rows in position order; see :class:`RowSource`.

        Raises:
            StoreError: the database failed.
        """
        for batch in self.row_batches(from_position, to_position):
            yield from map(_sql_row, batch.rows)

    def row_batches(self, from_position: Position, to_position: Position) -> Iterator[RowBatch]:
        """The rows in batches of the driver's tuples; see :class:`RowSource`.

        Raises:
            StoreError: the database failed.
        """
        sqlite = self._engine.dialect.name != "postgresql"
        # SQLite's ids are 16 raw bytes, read as they are (PostgreSQL returns UUIDs); the
        # payload as decoding.payload_column says.
        event_id = type_coerce(events.c.event_id, LargeBinary) if sqlite else events.c.event_id
        columns = (
            events.c.position,
            events.c.stream,
            events.c.stream_version,
            event_id,
            events.c.type,
            events.c.schema_version,
            events.c.occurred_on,
            events.c.recorded_at,
            events.c.actor,
            payload_column(self._engine.dialect.name),
            events.c.salt,
            events.c.payload_digest,
            events.c.leaf_hash,
            events.c.commitments,
        )
        for batch in self._keyset(columns, from_position, to_position):
            yield RowBatch(batch, _sql_row)

    def payloads_of_type(self, type_name: str, to_position: Position) -> Iterator[StoredPayload]:
        """Yield the positions and payloads of one type, in position order; see
        :class:`RowSource`. In batches, as the rows: a ledger's corrections carry whole
        payloads.

        Raises:
            StoreError: the database failed.
        """
        columns = (events.c.position, payload_column(self._engine.dialect.name))
        for batch in self._keyset(columns, 1, to_position, events.c.type == type_name):
            for position, payload in batch:
                yield StoredPayload(position, None if payload is None else stored_bytes(payload))

    def _keyset(
        self, columns: tuple[Any, ...], from_position: Position, to_position: Position, *where: Any
    ) -> Iterator[Sequence[Any]]:
        """The driver's rows of ``columns`` (the position first) in batches of BATCH, in
        position order."""
        # Fetched through the driver's cursor, as reads are: SQLAlchemy's result rows
        # cost more per row than the checks of most rows.
        statement = KeysetStatement(
            select(*columns)
            .where(
                events.c.ledger_id == self._ledger_id,
                events.c.position >= bindparam("walk_start"),
                events.c.position <= to_position,
                *where,
            )
            .order_by(events.c.position)
            .limit(BATCH),
            self._engine,
            "walk_start",
        )
        start = from_position
        while start <= to_position:
            # No connection is held between batches, so an abandoned walk pins nothing.
            with translated(self._doing), self._engine.connect() as conn:
                batch = statement.batch(conn, start)
            yield batch
            if len(batch) < BATCH:
                return
            start = int(batch[-1][0]) + 1

    def position_of(self, event_id: uuid.UUID) -> Position | None:
        """The position of an event id in this ledger; see :class:`RowSource`.

        Raises:
            StoreError: the database failed.
        """
        with translated(self._doing), self._engine.connect() as conn:
            value = conn.execute(
                select(events.c.position).where(
                    events.c.ledger_id == self._ledger_id, events.c.event_id == event_id
                )
            ).scalar_one_or_none()
        return None if value is None else int(value)


def _sql_row(row: Any) -> StoredRow:
    (position, stream, version, event_id, type_name, schema, occurred, recorded, actor,
     payload, salt, digest, leaf_hash, commitments) = row  # fmt: skip
    # Both drivers return ints, and bytes for binary columns (and SQLite for the payload,
    # read as its stored bytes): the checks mostly cost a class lookup.
    return StoredRow(
        position,
        stream,
        version,
        event_id if event_id.__class__ is uuid.UUID else stored_event_id(position, event_id),
        type_name,
        schema,
        occurred,
        recorded,
        actor,
        None if payload is None else stored_bytes(payload),
        salt if salt is None or salt.__class__ is bytes else stored_bytes(salt),
        digest if digest.__class__ is bytes else stored_bytes(digest),
        leaf_hash if leaf_hash.__class__ is bytes else stored_bytes(leaf_hash),
        None if commitments is None else stored_bytes(commitments),
    )
