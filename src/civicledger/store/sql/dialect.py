"""What differs between SQLite and PostgreSQL: connection setup, locks, triggers, notifications.

This is the one module with SQL text: the append-only triggers, pragmas and
PostgreSQL's COPY have no SQLAlchemy Core form. Everything else the store runs is Core.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Table, event, func, select, text

from civicledger.errors import StoreError, ValidationError
from civicledger.store.sql.errors import translate
from civicledger.store.sql.schema import APPEND_ONLY_TABLES, events, ledgers

SYNCHRONOUS_SETTINGS = ("OFF", "NORMAL", "FULL", "EXTRA")
"""Values of SQLite's ``synchronous`` pragma the store accepts."""

WRITE_OPTION = "civicledger_write"
"""Connection execution option that makes the next SQLite BEGIN an IMMEDIATE one."""

DIRECT_WRITER = "civicledger_direct_writer"
"""``Connection.info`` key marking the SQLite append writer's held connection, whose
transactions are begun on the driver (``store/sql/writer.py``)."""

_SCHEMA_LOCK_KEY = 0x43_49_56_49  # "CIVI": the advisory lock key that guards schema creation


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its start (SQLite ``BEGIN IMMEDIATE``)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def configure_sqlite(engine: Engine, *, synchronous: str, busy_timeout: float) -> None:
    """Set up every new SQLite connection and take over transaction control.

    pysqlite's own transaction handling issues a deferred BEGIN late and cannot
    issue ``BEGIN IMMEDIATE``; the SQLAlchemy recipe switches it off
    (``isolation_level = None``) and emits BEGIN from the ``begin`` event. Writes
    take the database's write lock when they begin, so two writers never both
    read the head and then collide, and busy waits happen before any work.

    Args:
        engine: a SQLite engine.
        synchronous: the ``synchronous`` pragma (NORMAL is safe under WAL: a power
            cut may lose the last commits but never corrupts the database).
        busy_timeout: seconds to wait for another writer's lock before failing.

    Raises:
        ValidationError: ``synchronous`` is not a known setting.
    """
    level = synchronous.upper() if isinstance(synchronous, str) else synchronous
    if level not in SYNCHRONOUS_SETTINGS:
        raise ValidationError(
            f"synchronous must be one of {', '.join(SYNCHRONOUS_SETTINGS)}, got {synchronous!r}",
            field="synchronous",
        )
    timeout_ms = int(busy_timeout * 1000)
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {level}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        driver: Any = connection.connection.driver_connection
        if connection.info.get(DIRECT_WRITER) and driver.in_transaction:
            # The append writer (store/sql/writer.py) began this transaction on the
            # driver; a statement SQLAlchemy runs inside it joins it.
            return
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        # Straight to the driver: through exec_driver_sql, SQLAlchemy's execution context
        # cost as much as the rest of a one-event append's SQL together.
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def empty_sqlite_wal(engine: Engine, attempts: int = 50) -> None:
    """Copy a SQLite database's write-ahead log into the file and truncate the log to nothing.

    After a redaction this removes the old page versions (which hold the erased
    values) from the log; with ``secure_delete`` on, the file keeps none either.

    Raises:
        StoreError: other connections kept the log busy through every attempt.
    """
    if engine.url.database in (None, "", ":memory:"):
        return
    for _ in range(attempts):
        with engine.connect() as conn:
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return
        time.sleep(0.02)
    raise StoreError(
        "the redaction is committed, but the SQLite write-ahead log could not be emptied "
        "because other connections kept reading; the erased values may remain in the "
        "-wal file until the next checkpoint: redact again when they are done"
    )


def lock_schema(connection: Connection) -> None:
    """Serialise schema creation between processes (inside the creating transaction).

    SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock; on
    PostgreSQL a transaction-scoped advisory lock does the same job.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))


def append_only_ddl(dialect_name: str) -> list[str]:
    """The statements that make event and tile rows immutable in the database.

    Event rows allow exactly one kind of UPDATE, a redaction: the salt becomes
    NULL and the payload becomes NULL or a text starting ``{"$redacted"``; in a
    leaf format v2 ledger the commitments become a text starting ``{"digests":``
    (in a v1 ledger they stay NULL); every other column keeps its value, and a
    NULL payload stays NULL. Any other UPDATE, every DELETE (and TRUNCATE) is
    refused; tiles are immutable.

    Args:
        dialect_name: ``"sqlite"`` or ``"postgresql"``.

    Returns:
        DDL statements, safe to run again.
    """
    statements: list[str] = []
    if dialect_name == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION civicledger_reject_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
            "'civicledger: % is append-only; % is not allowed', TG_TABLE_NAME, TG_OP; "
            "END $$"
        )
        statements.append(_PG_REDACTION_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            changes = "DELETE" if table == events.name else "UPDATE OR DELETE"
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE {changes} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION civicledger_reject_change()"
            )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION civicledger_reject_change()"
            )
        statements.append(
            f"CREATE OR REPLACE TRIGGER {REDACTION_TRIGGER} BEFORE UPDATE ON {events.name} "
            "FOR EACH ROW EXECUTE FUNCTION civicledger_redaction_only()"
        )
        return statements
    # Databases made before redaction refuse every UPDATE; the redaction trigger replaces that,
    # and an older (looser) redaction trigger is replaced by this one.
    statements.append(f"DROP TRIGGER IF EXISTS {events.name}_no_update")
    statements.append(f"DROP TRIGGER IF EXISTS {REDACTION_TRIGGER}")
    statements.append(
        f"CREATE TRIGGER {REDACTION_TRIGGER} BEFORE UPDATE ON {events.name} "
        f"WHEN NOT ({_unchanged_sqlite()} AND {_redaction_form('substr')}) "
        f"BEGIN SELECT RAISE(ABORT, '{_REDACTION_MESSAGE}'); END"
    )
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            if table == events.name and operation == "UPDATE":
                continue
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} "
                f"BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                f"'civicledger: {table} is append-only; {operation} is not allowed'); END"
            )
    return statements


# -- redaction: the one UPDATE an event row allows ----------------------------------------

REDACTION_TRIGGER = "civicledger_events_redaction_only"
"""The trigger that lets an UPDATE of an event row through only when it is a redaction."""

_REDACTED_PREFIX = '{"$redacted"'  # 12 characters; see civicledger.events.redaction
_COMMITMENTS_PREFIX = '{"digests":'  # 11 characters; see civicledger.merkle.commitments
_REDACTION_MESSAGE = (
    "civicledger: civicledger_events is append-only; only a redaction may change a row, "
    "and only its payload, salt and commitments"
)


def _redaction_form(substr: str) -> str:
    """The SQL condition that NEW is a redaction of OLD (payload, salt, commitments)."""
    version = f"(SELECT leaf_version FROM {ledgers.name} WHERE id = NEW.ledger_id)"
    return (
        "NEW.salt IS NULL AND (NEW.payload IS NULL OR (OLD.payload IS NOT NULL AND "
        f"{substr}(NEW.payload, 1, 12) = '{_REDACTED_PREFIX}')) AND "
        f"(CASE WHEN {version} = 2 THEN (NEW.commitments IS NOT NULL AND "
        f"{substr}(NEW.commitments, 1, 11) = '{_COMMITMENTS_PREFIX}') "
        "ELSE NEW.commitments IS NULL END)"
    )


def leaf_v2_upgrade_ddl(dialect_name: str) -> list[str]:
    """The statements that add leaf format v2's columns to a schema version 1 database.

    Its ledgers keep leaf format v1 (the column's default); new ledgers are v2.
    """
    exists = "IF NOT EXISTS " if dialect_name == "postgresql" else ""
    return [
        f"ALTER TABLE {ledgers.name} ADD COLUMN {exists}leaf_version SMALLINT NOT NULL DEFAULT 1",
        f"ALTER TABLE {events.name} ADD COLUMN {exists}commitments TEXT",
    ]


_FIXED_COLUMNS = (
    "ledger_id",
    "position",
    "stream",
    "stream_version",
    "event_id",
    "type",
    "schema_version",
    "occurred_on",
    "recorded_at",
    "actor",
    "payload_digest",
    "leaf_hash",
)


def _unchanged_sqlite() -> str:
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _FIXED_COLUMNS)


_PG_REDACTION_FUNCTION = (
    "CREATE OR REPLACE FUNCTION civicledger_redaction_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"IF ({', '.join('NEW.' + c for c in _FIXED_COLUMNS)}) IS NOT DISTINCT FROM "
    f"({', '.join('OLD.' + c for c in _FIXED_COLUMNS)}) AND {_redaction_form('substr')} "
    "THEN RETURN NEW; END IF; "
    f"RAISE EXCEPTION '{_REDACTION_MESSAGE}'; END $$"
)


def has_redaction_trigger(connection: Connection) -> bool:
    """Whether the database already has the redaction trigger (databases made before it do not)."""
    if connection.dialect.name == "postgresql":
        query = "SELECT count(*) FROM pg_trigger WHERE tgname = :name"
    else:
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :name"
    return bool(connection.execute(text(query), {"name": REDACTION_TRIGGER}).scalar_one())


def notify_channel(ledger_id: int) -> str:
    """The PostgreSQL LISTEN/NOTIFY channel on which a ledger announces appends."""
    return f"civicledger_ledger_{int(ledger_id)}"


def commit_and_notify(conn: Connection, ledger_id: int, head: int, *, notifying: str) -> None:
    """Commit the PostgreSQL write transaction on ``conn`` and announce its new head.

    The announcement is a transaction of its own, sent with the ``COMMIT`` in one
    round trip (psycopg's pipeline mode). The server runs it only once the commit
    has succeeded: after an error, the rest of a pipeline is skipped. Not inside the
    append's transaction: PostgreSQL serialises the commits of all transactions that
    NOTIFY (one lock for the whole server, held through the commit's WAL flush),
    which would make appends to different ledgers wait for each other. The announcing
    transaction does not wait for its own flush, so it holds that lock only for a
    moment; a notification lost in a crash delays a subscriber until its next poll.
    Where psycopg has no pipeline mode (libpq before 14), the two go one after the
    other.

    Args:
        conn: the connection, inside the write transaction (SQLAlchemy's commit then
            finds nothing left to commit).
        ledger_id: the ledger whose channel hears of the head.
        head: the committed head.
        notifying: what the announcement does, for the message when only it fails.

    Raises:
        StoreError: the transaction had failed before its commit (nothing is committed
            or announced), or it committed and only the announcement failed.
        psycopg.Error: the commit failed; nothing is committed or announced.
    """
    import psycopg

    driver: Any = conn.connection.driver_connection
    if driver.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        # COMMIT would roll a failed transaction back without an error, and then announce.
        raise StoreError(
            "the write transaction failed before its commit; nothing is committed or announced"
        )
    commit, notify = driver.cursor(), driver.cursor()
    pipelined = driver.pipeline() if _has_pipeline() else contextlib.nullcontext()
    try:
        with pipelined:
            commit.execute("COMMIT")
            notify.execute(_NOTIFY_SQL, (notify_channel(ledger_id), str(head)))
        driver.commit()  # without a pipeline psycopg began a transaction for the announcement
    except psycopg.Error as error:
        if commit.statusmessage != "COMMIT":
            raise
        raise translate(error, notifying) from error
    finally:
        commit.close()
        notify.close()


_NOTIFY_SQL = "SELECT set_config('synchronous_commit', 'off', true), pg_notify(%s, %s)"
"""Announce a head (channel, head as text) without waiting for the WAL flush of doing so."""


@functools.cache
def _has_pipeline() -> bool:
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


def listen_statement(ledger_id: int) -> str:
    """The LISTEN statement for a ledger's channel (the channel is built from an int)."""
    return f"LISTEN {notify_channel(ledger_id)}"


def copy_statement(connection_dialect: Dialect, table: Table) -> str:
    """PostgreSQL's binary ``COPY … FROM STDIN`` into every column of ``table``, in column
    order; the rows' values are written with :func:`copy_types`."""
    quote = connection_dialect.identifier_preparer
    columns = quoted_columns(connection_dialect, table)
    return f"COPY {quote.format_table(table)} ({columns}) FROM STDIN (FORMAT BINARY)"


def quoted_columns(connection_dialect: Dialect, table: Table) -> str:
    """Every column of ``table`` in column order, quoted for the dialect and joined by
    commas: the column list of a hand-written ``COPY`` or ``INSERT``."""
    quote = connection_dialect.identifier_preparer
    return ", ".join(quote.format_column(column) for column in table.columns)


@contextlib.contextmanager
def binary_copy(cursor: Any, statement: str, types: list[str]) -> Iterator[Any]:
    """A binary ``COPY … FROM STDIN`` (:func:`copy_statement`) on a psycopg cursor, its
    values written as ``types`` (:func:`copy_types`): the driver's ``Copy`` for the block.

    psycopg picks a binary COPY's dumpers by type, and for ``bytea`` the one
    registered last is that of its DB-API ``Binary`` wrapper, written in Python.
    Registering the driver's own bytes dumper again on this cursor puts its C
    version back: the same bytes on the wire, and about half a microsecond less
    client time a row for the three hash columns (measured on the events table).
    """
    from psycopg.types.string import BytesBinaryDumper

    cursor.adapters.register_dumper(bytes, BytesBinaryDumper)
    with cursor.copy(statement) as copy:
        copy.set_types(types)
        yield copy


def copy_types(connection_dialect: Dialect, table: Table) -> list[str]:
    """The PostgreSQL type of each column of ``table``, in column order, without length
    (``VARCHAR(200)`` is ``varchar``): what a binary COPY's ``set_types`` takes.

    Binary, because the driver then writes bytes, UUIDs and integers as they are
    (text COPY hex-encoded every hash for the server to decode): about a third less
    client time per row and less server time, measured on the events table.
    """
    return [
        column.type.compile(dialect=connection_dialect).split("(")[0].lower()
        for column in table.columns
    ]
