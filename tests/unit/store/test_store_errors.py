"""Database exceptions become civicledger errors: the translation table, rule by rule."""

from __future__ import annotations

import sqlite3
import sys

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from civicledger import (
    ConcurrencyError,
    DuplicateEventError,
    Ledger,
    SchemaMismatchError,
    StoreError,
)
from civicledger.store.sql.errors import translate, translated


def wrapped(kind: type[sa_exc.DBAPIError], message: str, orig: type[Exception]) -> Exception:
    return kind("SELECT 1", {}, orig(message))


CASES = [
    (
        wrapped(
            sa_exc.IntegrityError,
            "UNIQUE constraint failed: civicledger_events.ledger_id, civicledger_events.event_id",
            sqlite3.IntegrityError,
        ),
        DuplicateEventError,
        "already stored",
    ),
    (
        wrapped(
            sa_exc.IntegrityError,
            'duplicate key value violates unique constraint "uq_civicledger_events_event_id"',
            psycopg.errors.UniqueViolation,
        ),
        DuplicateEventError,
        "already stored",
    ),
    (
        wrapped(
            sa_exc.IntegrityError,
            "UNIQUE constraint failed: civicledger_events.ledger_id, civicledger_events.stream, "
            "civicledger_events.stream_version",
            sqlite3.IntegrityError,
        ),
        ConcurrencyError,
        "another writer",
    ),
    (
        wrapped(
            sa_exc.DatabaseError,
            "civicledger: civicledger_events is append-only; UPDATE is not allowed",
            sqlite3.IntegrityError,
        ),
        StoreError,
        "append-only",
    ),
    (
        wrapped(sa_exc.OperationalError, "database is locked", sqlite3.OperationalError),
        StoreError,
        "busy_timeout",
    ),
    (
        wrapped(sa_exc.DatabaseError, "file is not a database", sqlite3.DatabaseError),
        StoreError,
        "not a civicledger",
    ),
    (
        wrapped(sa_exc.DatabaseError, "database disk image is malformed", sqlite3.DatabaseError),
        StoreError,
        "corrupted",
    ),
    (
        wrapped(sa_exc.OperationalError, "unable to open database file", sqlite3.OperationalError),
        StoreError,
        "writable",
    ),
    (
        wrapped(
            sa_exc.OperationalError, "no such table: civicledger_events", sqlite3.OperationalError
        ),
        StoreError,
        "tables are missing",
    ),
    (
        wrapped(
            sa_exc.OperationalError,
            'connection failed: connection to server at "127.0.0.1", port 1 failed: '
            "Connection refused",
            psycopg.OperationalError,
        ),
        StoreError,
        "cannot connect",
    ),
    (
        wrapped(
            sa_exc.OperationalError,
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            'FATAL:  database "civic" does not exist',
            psycopg.OperationalError,
        ),
        StoreError,
        "cannot connect",
    ),
    (
        wrapped(
            sa_exc.ProgrammingError,
            'relation "civicledger_events" does not exist',
            psycopg.errors.UndefinedTable,
        ),
        StoreError,
        "tables are missing",
    ),
    (
        sa_exc.ArgumentError("Could not parse SQLAlchemy URL from given URL string"),
        StoreError,
        "URL is not valid",
    ),
    (
        sa_exc.NoSuchModuleError("Can't load plugin: sqlalchemy.dialects:nosuch"),
        StoreError,
        "URL is not valid",
    ),
    (sqlite3.DatabaseError("file is not a database"), StoreError, "not a civicledger"),
    (
        wrapped(sa_exc.InterfaceError, "something unexpected", sqlite3.InterfaceError),
        StoreError,
        "reported an error",
    ),
]


@pytest.mark.parametrize(("error", "expected", "fragment"), CASES)
def test_translation_table(error: Exception, expected: type[StoreError], fragment: str) -> None:
    """Each kind of database failure maps to its civicledger error with a helpful message."""
    translated_error = translate(error, "doing a thing")
    assert type(translated_error) is expected
    assert fragment in str(translated_error)
    assert str(translated_error).startswith("doing a thing: ")


def test_translated_chains_the_original() -> None:
    """translated() raises the civicledger error from the original (``raise … from e``)."""
    original = wrapped(sa_exc.OperationalError, "database is locked", sqlite3.OperationalError)
    with pytest.raises(StoreError) as caught, translated("appending"):
        raise original
    assert caught.value.__cause__ is original


def test_translated_catches_a_raw_driver_error() -> None:
    """A psycopg error that escapes SQLAlchemy (a LISTEN connection) is translated too."""
    with pytest.raises(StoreError, match="cannot connect") as caught, translated("listening"):
        raise psycopg.OperationalError("server closed the connection unexpectedly")
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)


def test_translated_lets_civicledger_errors_through() -> None:
    """An error that is already civicledger's passes through unchanged."""
    error = SchemaMismatchError("newer")
    with pytest.raises(SchemaMismatchError) as caught, translated("opening"):
        raise error
    assert caught.value is error


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot connect"),
        ("not a url", "URL is not valid"),
        ("nosuchdb://x/y", "unsupported database"),
        ("mysql://x/y", "unsupported database"),
        ("sqlite:////nonexistent-folder/x/ledger.db", "writable"),
    ],
)
def test_opening_bad_urls_raises_store_error(url: str, fragment: str) -> None:
    """A bad URL or an unreachable server raises StoreError, never a SQLAlchemy error."""
    with pytest.raises(StoreError, match=fragment):
        Ledger.open(url)


def test_a_postgresql_url_without_its_driver_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """psycopg is an optional extra; without it, the error names the extra, not a
    ModuleNotFoundError from inside SQLAlchemy."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an uninstalled module imports as
    with pytest.raises(StoreError, match=r"pip install 'civicledger\[postgres\]'"):
        Ledger.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
