"""A ledger's Merkle tree in SQL: its stored leaf hashes and tiles, and its frontier."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, bindparam, select

from civicledger.errors import StoreError, ValidationError
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.tree import Frontier
from civicledger.store.sql.engine import DriverStatement, naming_damaged_text
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events, stored_bytes, tiles


class SqlNodeReader:
    """Reads a ledger's leaf hashes and stored Merkle nodes from the database.

    A proof makes a handful of small range reads, so each statement is compiled
    once and run through the driver (building a Core select per read cost more
    than the read itself).
    """

    def __init__(self, engine: Engine, ledger_id: int, ledger_name: str) -> None:
        """Read from ``engine`` the tree of the ledger with row id ``ledger_id``."""
        self._engine = engine
        self._ledger_id = ledger_id
        self._doing = f"reading the Merkle tree of ledger {ledger_name!r}"
        self._leaves = DriverStatement(
            select(events.c.leaf_hash)
            .where(
                events.c.ledger_id == bindparam("ledger_id"),
                events.c.position > bindparam("after"),
                events.c.position <= bindparam("last"),
            )
            .order_by(events.c.position),
            engine,
        )
        self._nodes = DriverStatement(
            select(tiles.c.hash)
            .where(
                tiles.c.ledger_id == bindparam("ledger_id"),
                tiles.c.level == bindparam("level"),
                tiles.c.node_index >= bindparam("first"),
                tiles.c.node_index < bindparam("stop"),
            )
            .order_by(tiles.c.node_index),
            engine,
        )

    def leaf_hashes(self, begin: int, end: int) -> Sequence[bytes]:
        """Leaf hashes with indexes in ``[begin, end)`` (positions ``begin + 1`` to ``end``), as
        stored: a damaged one (of another length) is the caller's to name."""
        with translated(self._doing), self._engine.connect() as conn:
            rows = naming_damaged_text(
                conn,
                lambda: self._leaves.rows(conn, ledger_id=self._ledger_id, after=begin, last=end),
            )
        return [stored_bytes(h) for (h,) in rows]

    def stored_nodes(self, level: int, begin: int, end: int) -> Sequence[bytes]:
        """Stored node hashes at ``level`` with indexes in ``[begin, end)``."""
        with translated(self._doing), self._engine.connect() as conn:
            rows = naming_damaged_text(
                conn,
                lambda: self._nodes.rows(
                    conn, ledger_id=self._ledger_id, level=level, first=begin, stop=end
                ),
            )
        return [stored_bytes(h) for (h,) in rows]


def load_frontier(alg: HashAlgorithm, data: bytes, head: int, ledger_name: str) -> Frontier:
    """The frontier stored in a ledger's row, checked against the row's head.

    Raises:
        StoreError: the frontier is unreadable or covers another number of events.
    """
    try:
        frontier = Frontier.from_bytes(alg, stored_bytes(data))
    except ValidationError as e:
        raise StoreError(
            f"ledger {ledger_name!r}: the stored Merkle frontier is unreadable "
            f"({e.message}); the database is corrupted"
        ) from e
    if frontier.size != head:
        raise StoreError(
            f"ledger {ledger_name!r}: the stored frontier covers {frontier.size} events "
            f"but the head is {head}; the database is corrupted"
        )
    return frontier
