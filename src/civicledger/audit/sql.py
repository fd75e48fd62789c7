"""The audit layer's SQL side: raw event rows and the seals table of a SQL ledger.

Imported only for SQL stores, so auditing an in-memory ledger loads no SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, LargeBinary, select, type_coerce

from civicledger.audit.checkpoint import Seal
from civicledger.audit.cosign import Cosignature, StoredCosignature
from civicledger.audit.rows import StoredRow
from civicledger.audit.verify import StoredSeal
from civicledger.events.text import format_timestamp
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events, stored_bytes
from civicledger.store.sql.seals import SqlSealTable
from civicledger.store.sql.store import SqlStore
from civicledger.types import Position

BATCH = 2000
"""Rows read per query: memory stays flat whatever the ledger's size."""


class SqlRowSource:
    """Reads raw rows from a SQL store's events table, in keyset batches."""

    def __init__(self, store: SqlStore) -> None:
        """Read the rows of ``store``'s ledger.

        Args:
            store: the SQL store.
        """
        self._engine = store.engine
        self._ledger_id = store.ledger_id
        self._doing = f"reading the rows of ledger {store.ledger_name!r} for verification"

    @classmethod
    def on(cls, engine: Engine, ledger_id: int, ledger_name: str) -> SqlRowSource:
        """Read the rows of the ledger with row id ``ledger_id`` through ``engine``
        (a verify worker's own engine).

        Args:
            engine: an engine on the ledger's database.
            ledger_id: the ledger's row id.
            ledger_name: its name, for error messages.

        Returns:
            The row source.
        """
        source = cls.__new__(cls)
        source._engine = engine
        source._ledger_id = ledger_id
        source._doing = f"reading the rows of ledger {ledger_name!r} for verification"
        return source

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
        while start <= to_position:
            statement = (
                select(*columns)
                .where(
                    events.c.ledger_id == self._ledger_id,
                    events.c.position >= start,
                    events.c.position <= to_position,
                    *conditions,
                )
                .order_by(events.c.position)
                .limit(BATCH)
            )
            # No connection is held between batches, so an abandoned walk pins nothing.
            with translated(self._doing), self._engine.connect() as conn:
                batch = conn.execute(statement).all()
            for row in batch:
                yield _sql_row(row)
            if len(batch) < BATCH:
                return
            start = int(batch[-1].position) + 1

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


class SqlSealStorage:
    """Seals and cosignatures in the ``civicledger_seals`` and ``civicledger_cosignatures``
    tables of a SQL ledger."""

    def __init__(self, store: SqlStore) -> None:
        """Keep the seals of ``store``'s ledger in its database.

        Args:
            store: the SQL store.
        """
        self._table = SqlSealTable(store.engine, store.ledger_id, store.ledger_name)

    def add(self, seal: Seal) -> None:
        """Store a seal (one INSERT; the table's triggers forbid changing it later).

        Raises:
            StoreError: the database failed.
        """
        assert seal.sealed_at is not None  # seals made here always carry their time
        self._table.append(
            tree_size=seal.tree_size,
            root_hash=seal.root_hash,
            sealed_at=format_timestamp(seal.sealed_at),
            text=seal.text,
        )

    def stored(self) -> Iterator[StoredSeal]:
        """Yield the stored seals, oldest first.

        Raises:
            StoreError: the database failed.
        """
        for number, row in enumerate(self._table.rows(), start=1):
            yield StoredSeal(number, row.tree_size, row.root_hash, row.text)

    def add_cosignature(self, seal_number: int, cosignature: Cosignature) -> None:
        """Store a cosignature of the seal with that number (one INSERT).

        Raises:
            StoreError: the database failed.
        """
        seal_id = self._seal_ids()[seal_number - 1]
        self._table.append_cosignature(
            seal_id=seal_id,
            signer=cosignature.signer,
            cosigned_at=format_timestamp(cosignature.cosigned_at),
            verifier=cosignature.verifier.to_text(),
            signature=cosignature.line,
        )

    def stored_cosignatures(self) -> Iterator[StoredCosignature]:
        """Yield the stored cosignatures, oldest first, each naming its seal by number.

        Raises:
            StoreError: the database failed.
        """
        numbers = {seal_id: number for number, seal_id in enumerate(self._seal_ids(), start=1)}
        for number, row in enumerate(self._table.cosignature_rows(), start=1):
            yield StoredCosignature(
                number,
                numbers.get(row.seal_id),
                row.signer,
                row.cosigned_at,
                row.verifier,
                row.signature,
            )

    def _seal_ids(self) -> list[int]:
        return [row.id for row in self._table.rows()]


def _sql_row(row: Any) -> StoredRow:
    (position, stream, version, event_id, type_name, schema, occurred, recorded, actor,
     payload, salt, digest, leaf_hash, commitments) = row  # fmt: skip
    # Both drivers return int and bytes already; the checks only cost a class lookup.
    return StoredRow(
        position,
        stream,
        version,
        event_id if event_id.__class__ is uuid.UUID else uuid.UUID(bytes=bytes(event_id)),
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
