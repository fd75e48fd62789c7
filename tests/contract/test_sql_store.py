"""What only the SQL backend promises: durability, several ledgers per database,
database-enforced append-only rows, and refusing databases it must not read."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from civicledger import (
    DuplicateEventError,
    Ledger,
    SchemaMismatchError,
    StoreError,
    ValidationError,
)
from civicledger.merkle.leaf import BatchEnvelopes
from civicledger.store import NewEvent
from civicledger.store.sql import SqlStore
from store_testkit import note


def sql_store(ledger: Ledger) -> SqlStore:
    store = ledger.store
    assert isinstance(store, SqlStore)
    return store


def test_events_survive_reopening(ledger_url: str, ledger_name: str) -> None:
    """Events, head and frontier read back the same after the ledger is closed and reopened."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        written = ledger.append("a", [note("1"), note("2")], actor="x")
        frontier = ledger.store.frontier()
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        assert list(ledger.read()) == written
        assert ledger.store.frontier() == frontier


def test_idempotency_survives_reopening(ledger_url: str, ledger_name: str) -> None:
    """After a restart a retry still returns the original record and a clash still raises."""
    event_id = uuid.uuid4()
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        (original,) = ledger.append("a", [note("x")], actor="x", event_ids=[event_id])
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        (again,) = ledger.append("a", [note("x")], actor="y", event_ids=[event_id])
        assert again == original
        with pytest.raises(DuplicateEventError):
            ledger.append("a", [note("other")], actor="x", event_ids=[event_id])
        assert ledger.head() == 1


def test_ledgers_in_one_database_number_independently(ledger_url: str) -> None:
    """Two ledgers in one database each count positions from 1 and read only their own."""
    first, second = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    with Ledger.open(ledger_url, ledger=first) as a, Ledger.open(ledger_url, ledger=second) as b:
        a.append("s", [note("a1"), note("a2")], actor="x")
        (record,) = b.append("s", [note("b1")], actor="x")
        assert record.position == 1
        assert [r.payload for r in b.read()] == [note("b1")]
        assert a.head() == 2
        assert a.origin != b.origin


def test_reopening_keeps_origin_and_hash(ledger_url: str, ledger_name: str) -> None:
    """A ledger's origin and hash algorithm are fixed at creation and reported on reopen."""
    origin = f"records.example.org/{uuid.uuid4().hex}"
    with Ledger.open(ledger_url, ledger=ledger_name, origin=origin, hash_algorithm="sm3"):
        pass
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        assert (ledger.origin, ledger.hash_algorithm) == (origin, "sm3")


def test_reopening_with_another_origin_or_hash_is_refused(
    ledger_url: str, ledger_name: str
) -> None:
    """Asking for another origin or hash algorithm than the ledger's raises ValidationError."""
    with Ledger.open(ledger_url, ledger=ledger_name):
        pass
    with pytest.raises(ValidationError, match="origin"):
        Ledger.open(ledger_url, ledger=ledger_name, origin=f"x.org/{uuid.uuid4().hex}")
    with pytest.raises(ValidationError, match="hash algorithm"):
        Ledger.open(ledger_url, ledger=ledger_name, hash_algorithm="sm3")


def test_an_origin_belongs_to_one_ledger(ledger_url: str) -> None:
    """Creating a second ledger with a taken origin raises ValidationError."""
    origin = f"records.example.org/{uuid.uuid4().hex}"
    with Ledger.open(ledger_url, ledger=f"a-{uuid.uuid4().hex}", origin=origin):
        pass
    with pytest.raises(ValidationError, match="already used"):
        Ledger.open(ledger_url, ledger=f"b-{uuid.uuid4().hex}", origin=origin)


@pytest.mark.parametrize("table", ["civicledger_events", "civicledger_tiles"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET ledger_id = ledger_id", "DELETE FROM {table}"]
)
def test_database_refuses_update_and_delete(
    ledger_url: str, ledger_name: str, table: str, statement: str
) -> None:
    """Raw SQL UPDATE and DELETE on event and tile rows are rejected by triggers."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        ledger.append("a", [note(str(i)) for i in range(256)], actor="x")  # completes a tile
        store = sql_store(ledger)
        sql = sa.text(statement.format(table=table) + " WHERE ledger_id = :id")
        with (
            pytest.raises(sa.exc.DatabaseError, match="append-only"),
            store.engine.begin() as conn,
        ):
            conn.execute(sql, {"id": store.ledger_id})
        assert ledger.head() == 256
        assert len(ledger.store.node_reader().stored_nodes(8, 0, 1)) == 1


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    """A database whose schema version is newer than this code's raises SchemaMismatchError."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url):
        pass
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        db.execute("UPDATE civicledger_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaMismatchError, match="newer"):
        Ledger.open(url)


def test_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """Opening a text file as a ledger raises StoreError saying it is not a database."""
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="not a civicledger"):
        Ledger.open(f"sqlite:///{path}")


def test_corrupted_database_is_refused(tmp_path: Path) -> None:
    """A database file with its pages overwritten raises StoreError, not a driver error."""
    path = tmp_path / "ledger.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.append("a", [note(str(i)) for i in range(50)], actor="x")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError), Ledger.open(f"sqlite:///{path}") as ledger:
        list(ledger.read())


def test_foreign_table_with_our_name_is_refused(tmp_path: Path) -> None:
    """A database holding a civicledger_events table not made by civicledger is refused."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE civicledger_events (x INTEGER)")
    with pytest.raises(StoreError, match="not made by civicledger"):
        Ledger.open(f"sqlite:///{path}")


def test_other_tables_in_the_database_are_left_alone(tmp_path: Path) -> None:
    """A ledger can live in an application's existing SQLite database beside its tables."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE residents (name TEXT)")
        db.execute("INSERT INTO residents VALUES ('li')")
    with Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.append("a", [note()], actor="x")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM residents").fetchall() == [("li",)]


def test_sqlite_uses_wal_and_the_requested_synchronous(tmp_path: Path) -> None:
    """SQLite connections run in WAL mode with the configured synchronous level."""
    with (
        Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", synchronous="FULL") as ledger,
        sql_store(ledger).engine.connect() as conn,
    ):
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_in_memory_sqlite_url_works(ledger_name: str) -> None:
    """sqlite:// (an in-memory database) serves a working ledger."""
    with Ledger.open("sqlite://", ledger=ledger_name) as ledger:
        ledger.append("a", [note()], actor="x")
        assert ledger.head() == 1


def test_writer_blocked_past_busy_timeout_gets_store_error(tmp_path: Path) -> None:
    """When another process holds SQLite's write lock too long, append raises StoreError."""
    path = tmp_path / "ledger.db"
    with Ledger.open(f"sqlite:///{path}", busy_timeout=0.2) as ledger:
        ledger.append("a", [note()], actor="x")
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError, match="busy_timeout"):
                ledger.append("a", [note()], actor="x")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert ledger.head() == 1
        ledger.append("a", [note()], actor="x")
        assert ledger.head() == 2


def test_opening_without_create_refuses_a_missing_ledger(ledger_url: str, ledger_name: str) -> None:
    """create=False raises LedgerNotFoundError for an unknown name and creates no ledger."""
    from civicledger.errors import LedgerNotFoundError

    with pytest.raises(LedgerNotFoundError, match="no ledger named"):
        Ledger.open(ledger_url, ledger_name, create=False)
    with Ledger.open(ledger_url, ledger_name) as created:
        assert created.head() == 0
    with Ledger.open(ledger_url, ledger_name, create=False) as reopened:
        assert reopened.origin == created.origin


def test_text_that_bulk_loading_escapes_reads_back_exactly(
    ledger_url: str, ledger_name: str
) -> None:
    """Backslashes, a literal \\N, quotes and non-ASCII text survive the batch write path
    (PostgreSQL streams rows with COPY, whose text format escapes these) and still verify."""
    awkward = ["back\\slash", "\\N", "quote \" and '", "naïve 汉字 🙂", "\\.", "end\\"]
    streams = [f"s\\{i}/\\N" for i in range(3)]
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        batch = [
            NewEvent(stream=streams[i % 3], event=note(text), actor=f"actor \\ {text}")
            for i, text in enumerate(awkward)
        ]
        written = ledger.append_batch(batch)
        assert [r.stream_version for r in written] == [1, 1, 1, 2, 2, 2]
        more = ledger.append_batch(
            [NewEvent(stream=s, event=note("again"), actor="x") for s in streams]
        )
        assert [r.stream_version for r in more] == [3, 3, 3]
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        assert list(ledger.read()) == written + more
        assert [r.payload.text for r in ledger.read()][: len(awkward)] == awkward
        assert ledger.verify().ok


def test_a_failure_after_rows_were_sent_leaves_the_ledger_as_it_was(
    ledger_url: str, ledger_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are sent to the database while the rest of the batch is hashed (PostgreSQL's
    COPY); a failure hashing a later row sends none of the batch's rows to the ledger."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        ledger.append("s", [note("a")], actor="x")
        before = (ledger.head(), ledger.store.frontier())
        original = BatchEnvelopes.leaf_hash
        calls = 0

        def fail_late(*args: Any) -> bytes:
            nonlocal calls
            calls += 1
            if calls == 400:  # hundreds of rows were sent before this one
                raise OSError("hashing failed")
            return original(*args)

        monkeypatch.setattr(BatchEnvelopes, "leaf_hash", fail_late)
        with pytest.raises(OSError, match="hashing failed"):
            ledger.append_batch(
                [NewEvent(stream=f"s{i % 7}", event=note(str(i)), actor="x") for i in range(600)]
            )
        monkeypatch.undo()
        assert (ledger.head(), ledger.store.frontier()) == before
        assert [r.payload for r in ledger.read()] == [note("a")]
        ledger.append_batch([NewEvent(stream="s", event=note("b"), actor="x")])
        assert ledger.head() == 2
        assert ledger.verify().ok
