"""Translation of SQLAlchemy and driver exceptions into civicledger's StoreError family.

Every SQL call of the store runs inside :func:`translated`, so callers never see
``sqlalchemy.exc`` or driver exceptions; the rules are a table, tested as one.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Callable, Iterator

from sqlalchemy import exc as sa_exc

from civicledger.errors import (
    CivicLedgerError,
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
)

_SQLITE_ERRORS: tuple[type[BaseException], ...] = (sa_exc.SQLAlchemyError, sqlite3.Error)


def translated_types() -> tuple[type[BaseException], ...]:
    """Exception types :func:`translated` turns into StoreError subclasses.

    psycopg's errors can escape SQLAlchemy (on LISTEN connections), so they are
    among them once psycopg is loaded. It is looked up, not imported: it is an
    optional extra that only a PostgreSQL engine loads, and importing it took a
    fifth of the start-up of every SQLite-only process (a ``verify()`` worker, the
    CLI).
    """
    error = getattr(sys.modules.get("psycopg"), "Error", None)
    if isinstance(error, type) and issubclass(error, BaseException):
        return (*_SQLITE_ERRORS, error)
    return _SQLITE_ERRORS


Rule = tuple[tuple[str, ...], Callable[[str, str], StoreError]]

# (text fragments, any of which selects the rule; how to build the error from (doing, detail)).
# First match wins; fragments are matched against the lower-cased exception text.
RULES: tuple[Rule, ...] = (
    (
        ("uq_civicledger_events_event_id", "civicledger_events.event_id"),
        lambda doing, detail: DuplicateEventError(
            f"{doing}: an event id is already stored in this ledger ({detail})"
        ),
    ),
    (
        ("uq_civicledger_events_stream_version", "civicledger_events.stream_version"),
        lambda doing, detail: ConcurrencyError(
            f"{doing}: another writer appended to the stream first ({detail}); "
            "re-read the stream, then retry"
        ),
    ),
    (
        ("append-only",),
        lambda doing, detail: StoreError(
            f"{doing}: refused by the database, recorded events are append-only "
            f"and cannot be changed or deleted ({detail})"
        ),
    ),
    (
        ("permission denied", "insufficientprivilege", "must be owner"),
        lambda doing, detail: StoreError(
            f"{doing}: the database role lacks a privilege for this ({detail}); see "
            "docs/howto/postgresql.md for what each role may do"
        ),
    ),
    (
        ("civicledger: ",),
        lambda doing, detail: StoreError(f"{doing}: refused by the database ({detail})"),
    ),
    (
        ("database is locked", "database is busy", "lock timeout", "deadlock detected"),
        lambda doing, detail: StoreError(
            f"{doing}: the database stayed locked by another writer longer than the busy "
            f"timeout; retry, or open the ledger with a longer busy_timeout ({detail})"
        ),
    ),
    (
        ("file is not a database", "malformed", "not a database", "disk image"),
        lambda doing, detail: StoreError(
            f"{doing}: the file is not a civicledger (SQLite) database or it is corrupted; "
            f"check the path, or restore it from a backup ({detail})"
        ),
    ),
    (
        ("unable to open database file", "readonly database", "read-only"),
        lambda doing, detail: StoreError(
            f"{doing}: cannot open or write the database file; check that its folder "
            f"exists and is writable ({detail})"
        ),
    ),
    (
        (
            "connection refused",
            "could not connect",
            "connection failed",
            "could not translate host",
            "server closed the connection",
            "password authentication failed",
            "no password supplied",
        ),
        lambda doing, detail: StoreError(
            f"{doing}: cannot connect to the database server; check the URL, that the "
            f"server runs, and the credentials ({detail})"
        ),
    ),
    (
        ("no such table", "undefinedtable", "does not exist", "no such column"),
        lambda doing, detail: StoreError(
            f"{doing}: the civicledger tables are missing or incomplete in this database; "
            f"open it with civicledger.Ledger.open to create them ({detail})"
        ),
    ),
    (
        ("could not parse sqlalchemy url", "can't load plugin", "no such module"),
        lambda doing, detail: StoreError(
            f"{doing}: the database URL is not valid; use e.g. sqlite:///ledger.db or "
            f"postgresql+psycopg://user@host/dbname ({detail})"
        ),
    ),
)


def translate(error: BaseException, doing: str) -> StoreError:
    """Build the civicledger error for a database exception.

    Args:
        error: the SQLAlchemy or driver exception.
        doing: what the store was doing, e.g. ``"appending to ledger 'default'"``.

    Returns:
        A StoreError (or ConcurrencyError / DuplicateEventError) saying what to do.
    """
    original = getattr(error, "orig", None) or error
    detail = " ".join(str(original).split())[:300]
    text = f"{type(original).__name__} {detail}".lower()
    for fragments, build in RULES:
        if any(fragment in text for fragment in fragments):
            return build(doing, detail)
    return StoreError(f"{doing}: the database reported an error ({detail})")


@contextlib.contextmanager
def translated(doing: str) -> Iterator[None]:
    """Run a block, turning database exceptions into StoreError subclasses (``raise … from``).

    Args:
        doing: what the block does, for the message.

    Raises:
        StoreError: the block raised a SQLAlchemy or driver exception.
    """
    try:
        yield
    except CivicLedgerError:
        raise
    except translated_types() as e:  # evaluated only when an exception arrives
        raise translate(e, doing) from e
