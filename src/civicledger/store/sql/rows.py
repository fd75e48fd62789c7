"""Raw event rows of a SQL ledger, as verification reads them (see :mod:`civicledger.store.rows`).

Imported only for SQL stores, so auditing an in-memory ledger loads no SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import LargeBinary, bindparam, select, type_coerce

from civicledger.store.ids import uuid_from_bytes
from civicledger.store.parts import SqlTarget
from civicledger.store.rows import StoredRow
from civicledger.store.sql.engine import KeysetStatement
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events, stored_bytes
from civicledger.types import Position

BATCH = 2000
"""Rows read per query: memory stays flat whatever the ledger's size."""


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
        return self._rows(from_position, to_position, ())

    def rows_of_type(self, type_name: str, to_position: Position) -> Iterator[StoredRow]:
        """Yield the stored rows of one type, in position order; see :class:`RowSource`.

        Raises:
            StoreError: the database failed.
        """
        return self._rows(1, to_position, (events.c.type == type_name,))

    def _rows(
        self, from_position: Position, to_position: Position, conditions: tuple[Any, ...]
    ) -> Iterator[StoredRow]:
        start = from_position
        # SQLite keeps ids as 16 raw bytes: read them as bytes and build the UUIDs here,
        # skipping the column type's per-row conversion (PostgreSQL returns UUIDs).
        event_id = (
            events.c.event_id
            if self._engine.dialect.name == "postgresql"
            else type_coerce(events.c.event_id, LargeBinary)
        )
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
            events.c.payload,
            events.c.salt,
            events.c.payload_digest,
            events.c.leaf_hash,
            events.c.commitments,
        )
        # Fetched through the driver's cursor, as reads are: SQLAlchemy's result rows
        # cost more per row than building the StoredRow.
        statement = KeysetStatement(
            select(*columns)
            .where(
                events.c.ledger_id == self._ledger_id,
                events.c.position >= bindparam("walk_start"),
                events.c.position <= to_position,
                *conditions,
            )
            .order_by(events.c.position)
            .limit(BATCH),
            self._engine,
            "walk_start",
        )
        while start <= to_position:
            # No connection is held between batches, so an abandoned walk pins nothing.
            with translated(self._doing), self._engine.connect() as conn:
                batch = statement.batch(conn, start)
            for row in batch:
                yield _sql_row(row)
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
    # Both drivers return int and bytes already; the checks only cost a class lookup.
    return StoredRow(
        position,
        stream,
        version,
        event_id if event_id.__class__ is uuid.UUID else uuid_from_bytes(event_id),
        type_name,
        schema,
        occurred,
        recorded,
        actor,
        None if payload is None else payload.encode("utf-8"),
        salt if salt is None or salt.__class__ is bytes else stored_bytes(salt),
        digest if digest.__class__ is bytes else stored_bytes(digest),
        leaf_hash if leaf_hash.__class__ is bytes else stored_bytes(leaf_hash),
        None if commitments is None else commitments.encode("utf-8"),
    )
