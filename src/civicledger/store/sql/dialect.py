"""What differs between SQLite and PostgreSQL: connection setup, locks, triggers, notifications.

This is the one module with SQL text: the append-only triggers and pragmas have
no SQLAlchemy Core form. Everything else the store runs is Core.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select

from civicledger.errors import ValidationError
from civicledger.store.sql.schema import APPEND_ONLY_TABLES

SYNCHRONOUS_SETTINGS = ("OFF", "NORMAL", "FULL", "EXTRA")
"""Values of SQLite's ``synchronous`` pragma the store accepts."""

WRITE_OPTION = "civicledger_write"
"""Connection execution option that makes the next SQLite BEGIN an IMMEDIATE one."""

_SCHEMA_LOCK_KEY = 0x43_49_56_49  # "CIVI": the advisory lock key that guards schema creation


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
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def lock_schema(connection: Connection) -> None:
    """Serialise schema creation between processes (inside the creating transaction).

    SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock; on
    PostgreSQL a transaction-scoped advisory lock does the same job.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))


def append_only_ddl(dialect_name: str) -> list[str]:
    """The statements that make event and tile rows immutable in the database.

    Issue 10's redaction will loosen exactly the events UPDATE trigger (payload
    and salt only), so every definition lives here.

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
        for table in APPEND_ONLY_TABLES:
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION civicledger_reject_change()"
            )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION civicledger_reject_change()"
            )
        return statements
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} "
                f"BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                f"'civicledger: {table} is append-only; {operation} is not allowed'); END"
            )
    return statements


def notify_channel(ledger_id: int) -> str:
    """The PostgreSQL LISTEN/NOTIFY channel on which a ledger announces appends."""
    return f"civicledger_ledger_{int(ledger_id)}"


def notify_append(connection: Connection, ledger_id: int, head: int) -> None:
    """Announce a new head to listeners; PostgreSQL delivers it when the transaction commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_notify(notify_channel(ledger_id), str(head))))


def listen_statement(ledger_id: int) -> str:
    """The LISTEN statement for a ledger's channel (the channel is built from an int)."""
    return f"LISTEN {notify_channel(ledger_id)}"
