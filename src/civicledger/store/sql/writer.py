"""SQLite appends through one held connection, with the transaction sent to the driver.

A one-event append's SQL is a handful of one-row statements, so the work around
them showed: checking a connection out of the pool and back in, and SQLAlchemy's
transaction bookkeeping, cost about as much as the statements and SQLite's own
commit. A SQLite database has one writer at a time anyway (``BEGIN IMMEDIATE``
takes its write lock), so a store keeps one connection for appends (the stores
of one ``SqlStore.open_many`` share it), and an append sends ``BEGIN IMMEDIATE``
and ``COMMIT`` (or ``ROLLBACK``) to the driver itself. The durability is the
connection's ``synchronous`` setting, as for every other connection of the
engine; nothing about the transaction changes but who sends its two statements.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool

from civicledger.store.sql import dialect


class SqliteWriter:
    """An append connection of an engine, checked out once and used under a lock."""

    def __init__(self, engine: Engine) -> None:
        """Wrap ``engine`` (a SQLite file database); the connection opens on first use."""
        self._engine = engine
        self._lock = threading.Lock()  # the ledgers of one engine share the connection
        self._connection: Connection | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction begun with ``BEGIN IMMEDIATE`` on the held connection.

        It commits when the block ends and rolls back when it raises. A statement run
        through SQLAlchemy inside it (the rare idempotency lookups) joins it: the
        ``begin`` listener sends no second BEGIN to a driver already in a transaction
        (``dialect.configure_sqlite``), and SQLAlchemy's commit or rollback then ends
        the one transaction there is. If a rollback fails, the connection is closed
        and never used again.
        """
        with self._lock:
            conn = self._connection
            if conn is None or conn.closed or conn.invalidated:
                conn = self._connection = self._engine.connect()
                conn.info[dialect.DIRECT_WRITER] = True
            driver: Any = conn.connection.driver_connection
            driver.execute("BEGIN IMMEDIATE")  # waits for other processes' writers
            try:
                yield conn
                if conn.in_transaction():
                    conn.commit()  # SQLAlchemy joined the transaction: it ends it
                else:
                    driver.commit()
            except BaseException:
                self._roll_back(conn, driver)
                raise

    def _roll_back(self, conn: Connection, driver: Any) -> None:
        """Roll back whatever is open; if even that fails, close the connection (the next
        append opens a fresh one) rather than use it again."""
        try:
            if conn.in_transaction():
                conn.rollback()
            elif driver.in_transaction:
                driver.rollback()
        except Exception:
            self._connection = None
            with contextlib.suppress(Exception):
                _release(conn)

    def close(self) -> None:
        """Close the held connection, if any (before the engine's pool is disposed)."""
        with self._lock:
            conn, self._connection = self._connection, None
            if conn is not None:
                _release(conn)


def _release(conn: Connection) -> None:
    """Unmark the connection and hand it back to the pool (which resets it)."""
    conn.info.pop(dialect.DIRECT_WRITER, None)
    conn.close()


def sqlite_writer(engine: Engine) -> SqliteWriter | None:
    """An append writer for a SQLite file database's engine; None for other engines.

    Only an engine with a queue pool (every SQLite file database the store opens):
    an in-memory database has one connection that every user shares (a static
    pool), so it keeps SQLAlchemy's transactions, as PostgreSQL does. Stores that
    share an engine should share its writer (``SqlStore.open_many`` does), or each
    holds a connection of the pool.
    """
    if engine.dialect.name != "sqlite" or not isinstance(engine.pool, QueuePool):
        return None
    return SqliteWriter(engine)
