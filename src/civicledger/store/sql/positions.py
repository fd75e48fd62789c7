"""Projection positions in the ledger's SQL database (SQLAlchemy Core).

One row per (ledger, projection): the last position folded and the state as
JSON. A save is one compare-and-set UPDATE (or the first INSERT), so state and
position always move together and only forward. An embedding system that keeps
its read models in its own tables calls :meth:`SqlProjectionPositions.advance` on its
own connection, inside the transaction that writes those tables: the read model
and the projection position then commit, or roll back, together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from civicledger.errors import StoreError
from civicledger.store.parts import check_forward, encode_state, position_conflict
from civicledger.store.sql.dialect import WRITE_OPTION
from civicledger.store.sql.engine import naming_damaged_text
from civicledger.store.sql.errors import translated

__all__ = ["SqlProjectionPositions", "create_positions_table", "positions_table"]

_metadata = MetaData()
_BIG = BigInteger().with_variant(Integer(), "sqlite")

positions_table = Table(
    "civicledger_projection_checkpoints",
    _metadata,
    Column("ledger", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", _BIG, nullable=False),
    Column("state", Text, nullable=False),
    PrimaryKeyConstraint("ledger", "name", name="pk_civicledger_projection_checkpoints"),
)
"""The projection positions table, created on first use by :class:`SqlProjectionPositions`.

Its stored name keeps the older word "checkpoints": renaming a table in existing
databases would need a migration for no gain to the reader of the code."""


def create_positions_table(conn: Connection) -> None:
    """Create the projection positions table unless it exists."""
    _metadata.create_all(conn, tables=[positions_table], checkfirst=True)


def _stored_position(name: str, value: Any) -> int:
    if value.__class__ is int and value >= 0:
        return int(value)
    raise _damaged(name, f"the stored position {value!r} is not a position")


def _damaged(name: str, what: str) -> StoreError:
    """The error for a projection position row changed around the store."""
    return StoreError(
        f"projection position {name!r}: {what}; the database was changed around the store. "
        f"A projection is derived from the events: rebuild it (`civicledger projections "
        f"rebuild`, or Runner.rebuild)"
    )


class SqlProjectionPositions:
    """The positions of one ledger's projections, kept in its SQL database.

    Args:
        engine: the SQLAlchemy engine of the ledger's database (``store.engine``).
        ledger: the ledger's name, so several ledgers can share a database.
    """

    def __init__(self, engine: Engine, ledger: str = "default") -> None:
        self._engine = engine
        self._ledger = ledger
        with translated("creating the projection positions table"), self._writing() as conn:
            create_positions_table(conn)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at BEGIN (IMMEDIATE).

        A deferred transaction that reads and then writes can fail at once, without
        waiting, if another writer committed in between; the store's writers
        avoid that the same way.
        """
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def _key(self, name: str) -> Any:
        table = positions_table
        return (table.c.ledger == self._ledger) & (table.c.name == name)

    def load(self, name: str) -> tuple[int, Any] | None:
        """The stored (position, state), or None if the projection never ran.

        Raises:
            StoreError: the database failed, or the row holds a position or state no save
                writes (changed around the store; the message says to rebuild).
        """
        table = positions_table
        with translated(f"loading projection position {name!r}"), self._engine.connect() as conn:
            row = naming_damaged_text(
                conn,
                lambda: conn.execute(
                    select(table.c.position, table.c.state).where(self._key(name))
                ).first(),
            )
        if row is None:
            return None
        try:
            state = orjson.loads(row[1])
        except orjson.JSONDecodeError as e:
            raise _damaged(name, f"the stored state is not JSON ({e})") from e
        return _stored_position(name, row[0]), state

    def position(self, conn: Connection, name: str) -> int | None:
        """The stored position, read on the caller's connection (None if none yet)."""
        value = naming_damaged_text(
            conn,
            lambda: conn.execute(
                select(positions_table.c.position).where(self._key(name))
            ).scalar(),
        )
        return None if value is None else _stored_position(name, value)

    def save(self, name: str, expected_position: int | None, position: int, state: Any) -> None:
        """Store state and position in one transaction, only moving forward.

        Raises:
            ConcurrencyError: the stored position is not ``expected_position``, or
                ``position`` is below it.
            StoreError: the database failed.
        """
        with translated(f"saving projection position {name!r}"), self._writing() as conn:
            self.advance(conn, name, expected_position, position, state)

    def advance(
        self,
        conn: Connection,
        name: str,
        expected_position: int | None,
        position: int,
        state: Any = None,
    ) -> None:
        """Move a projection position forward on the caller's connection and transaction.

        Args:
            conn: a connection inside the caller's transaction. On SQLite, begin it
                as a write (``conn.execution_options(civicledger_write=True)``
                before ``conn.begin()``), so it holds the write lock from the start.
            name: the projection's name.
            expected_position: the position stored now (None: no row yet).
            position: the new position.
            state: the JSON-ready state to keep with it (None when the read model
                lives in the caller's own tables).

        Raises:
            ConcurrencyError: the stored position is not ``expected_position`` or
                the position would move backwards; the caller's transaction
                should then roll back.
        """
        check_forward(name, expected_position, position)
        table = positions_table
        encoded = encode_state(name, state).decode()
        if expected_position is None:
            if self.position(conn, name) is not None:
                raise position_conflict(name, None, self.position(conn, name))
            conn.execute(
                insert(table).values(
                    ledger=self._ledger, name=name, position=position, state=encoded
                )
            )
            return
        result = conn.execute(
            update(table)
            .where(self._key(name) & (table.c.position == expected_position))
            .values(position=position, state=encoded)
        )
        if result.rowcount != 1:
            raise position_conflict(name, expected_position, self.position(conn, name))

    def replace(self, name: str, position: int, state: Any) -> None:
        """Swap in a rebuilt state and position in one transaction, whatever was stored.

        Raises:
            StoreError: the database failed.
        """
        encoded = encode_state(name, state).decode()
        with translated(f"replacing projection position {name!r}"), self._writing() as conn:
            conn.execute(delete(positions_table).where(self._key(name)))
            conn.execute(
                insert(positions_table).values(
                    ledger=self._ledger, name=name, position=position, state=encoded
                )
            )

    def delete(self, name: str) -> None:
        """Forget a projection's position.

        Raises:
            StoreError: the database failed.
        """
        with translated(f"deleting projection position {name!r}"), self._writing() as conn:
            conn.execute(delete(positions_table).where(self._key(name)))
