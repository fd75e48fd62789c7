"""Engines set up as the store uses them, and statements compiled once and run by the driver."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from civicledger.errors import StoreError
from civicledger.events.canonical import holds_float
from civicledger.store.sql import dialect
from civicledger.store.sql.errors import translated

_T = TypeVar("_T")


def open_engine(url: URL, *, synchronous: str = "NORMAL", busy_timeout: float = 30.0) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, set up as the store sets up its own.

    Raises:
        StoreError: the database is neither SQLite nor PostgreSQL, the URL is invalid, or
            a PostgreSQL URL's driver is not installed.
    """
    backend = url.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            # One shared connection, or each pooled connection would see its own empty database.
            options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif backend == "postgresql":
        if url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")
        # The pushdown reads payload fields as jsonb values, which psycopg would parse
        # with the standard library's json: a roll-up parses hundreds of thousands.
        options.update(json_deserializer=_json_loads)
    else:
        raise StoreError(
            f"unsupported database {backend!r}; use sqlite:///path.db or "
            "postgresql+psycopg://user@host/dbname"
        )
    with translated("opening the database"):
        try:
            engine = create_engine(url, **options)
        except ImportError as e:
            if backend != "postgresql":
                raise
            raise StoreError(  # its driver is an optional extra
                "opening the database: a postgresql URL needs the psycopg driver, which "
                "civicledger's postgres extra installs: pip install 'civicledger[postgres]' "
                f"({e})"
            ) from e
    if backend == "sqlite":
        dialect.configure_sqlite(engine, synchronous=synchronous, busy_timeout=busy_timeout)
    return engine


def _json_loads(data: bytes | str) -> Any:
    """Parse a JSON value from the server as the standard library would, through orjson.

    orjson reads an integer beyond 64 bits as a float. No payload the library writes holds
    a float (canonical JSON forbids them), so a float means a row written some other way,
    which the standard library then parses exactly, as it did before.
    """
    value = orjson.loads(data)
    if holds_float(value):
        return json.loads(data)
    return value


@contextlib.contextmanager
def listener(url: URL, ledger_id: int) -> Iterator[Any]:
    """A dedicated autocommit psycopg connection that LISTENs to a ledger's channel."""
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with translated("listening for appends"):
        connection = psycopg.connect(conninfo, autocommit=True)
    try:
        with translated("listening for appends"):
            connection.execute(dialect.listen_statement(ledger_id))
        yield connection
    finally:
        connection.close()


class DriverStatement:
    """A statement built with SQLAlchemy, compiled once, and run through the driver.

    Building and compiling a Core statement costs far more than running it for the
    one-row statements of every append, so the hot path compiles each once (still
    generated SQL, never hand-written) and passes the driver its parameters.
    """

    def __init__(self, statement: Any, engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._order: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None
        )

    def _arguments(self, params: dict[str, Any]) -> Any:
        return params if self._order is None else tuple(params[name] for name in self._order)

    def rows(self, conn: Connection, **params: Any) -> list[Any]:
        """Run on the transaction's own DBAPI connection and return every row."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, self._arguments(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def execute(self, conn: Connection, **params: Any) -> None:
        """Run on the transaction's own DBAPI connection, for its effect."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, self._arguments(params))
        finally:
            cursor.close()

    def execute_many(self, conn: Connection, params: list[dict[str, Any]]) -> None:
        """Run once per parameter set, as one driver ``executemany``, for its effect."""
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(self.sql, [self._arguments(p) for p in params])
        finally:
            cursor.close()


class KeysetStatement:
    """A batched read compiled once, whose next batch starts where the last one ended.

    Reads and verify's row walk fetch thousands of rows per batch, and SQLAlchemy's
    result rows cost more per row than the fetch itself, so they compile the SELECT
    once (with the values it binds) and run each batch on the driver's cursor,
    changing only the bound start of the key.
    """

    def __init__(self, statement: Any, engine: Engine, start_name: str) -> None:
        """Compile ``statement``, which binds its key's start as ``start_name``."""
        compiled = statement.compile(
            dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        self.sql = str(compiled)
        self._values = dict(compiled.params)
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._start_name = start_name

    def batch(self, conn: Connection, start: int) -> Sequence[Any]:
        """Every row of the batch whose key starts at ``start``, as driver tuples.

        A SQLite text that is not UTF-8 (stored by an UPDATE around the store) comes back
        as its bytes, so that the caller names the row holding it; the driver would fail
        the whole batch without saying which row.
        """
        values = self._values
        values[self._start_name] = start
        arguments = values if self._order is None else tuple(values[n] for n in self._order)
        return naming_damaged_text(conn, lambda: self._fetch(conn, arguments))

    def _fetch(self, conn: Connection, arguments: Any) -> Sequence[Any]:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, arguments)
            return cursor.fetchall()
        finally:
            cursor.close()


def naming_damaged_text(conn: Connection, fetch: Callable[[], _T]) -> _T:
    """What ``fetch()`` returns; on SQLite, if a stored text is not UTF-8 (an UPDATE around
    the store), what it returns run again with such texts as their bytes.

    Python's sqlite3 fails the whole fetch on such a text, naming no row; with the bytes,
    the caller names the row that holds them.
    """
    try:
        return fetch()
    except Exception as e:
        if conn.dialect.name != "sqlite" or _NOT_UTF8 not in str(e):
            raise
    driver = conn.connection.driver_connection
    assert driver is not None
    usual = driver.text_factory
    driver.text_factory = _text_or_bytes  # for this fetch only: slower than the usual
    try:
        return fetch()
    finally:
        driver.text_factory = usual


_NOT_UTF8 = "Could not decode to UTF-8"
"""How Python's sqlite3 says that a stored text is not UTF-8."""


def _text_or_bytes(stored: bytes) -> str | bytes:
    try:
        return stored.decode("utf-8")
    except UnicodeDecodeError:
        return stored
