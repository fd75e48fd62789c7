"""SQLite appends run through one held connection with BEGIN IMMEDIATE / COMMIT sent to the
driver: same results, same checks, and a failed append leaves the ledger as it was."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from civicledger import ConcurrencyError, DuplicateEventError, Ledger, StoreError
from civicledger.store import NewEvent
from civicledger.store.sql import SqlStore
from civicledger.store.sql.appending import SqlAppender
from civicledger.store.sql.writer import sqlite_writer
from store_testkit import note


def sql_store(ledger: Ledger) -> SqlStore:
    store = ledger.store
    assert isinstance(store, SqlStore)
    return store


def test_appends_share_one_held_connection(tmp_path: Path) -> None:
    """Every append uses the same checked-out connection; closing the ledger returns it."""
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        engine = sql_store(ledger).engine
        for i in range(5):
            ledger.append("s", [note(str(i))], actor="x")
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert [e.position for e in ledger.read()] == [1, 2, 3, 4, 5]
        assert ledger.verify().ok
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_in_memory_ledgers_keep_sqlalchemy_transactions() -> None:
    """One shared in-memory connection: no held writer there."""
    with Ledger.open("sqlite://") as ledger:
        assert sqlite_writer(sql_store(ledger).engine) is None
        ledger.append("s", [note("a")], actor="x")
        assert ledger.head() == 1


def test_a_refused_append_leaves_the_ledger_and_connection_usable(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        ledger.append("s", [note("a")], actor="x")
        before = ledger.store.frontier()
        with pytest.raises(ConcurrencyError):
            ledger.append("s", [note("b")], expected_version=0, actor="x")
        assert ledger.head() == 1
        assert ledger.store.frontier() == before
        ledger.append("s", [note("c")], expected_version=1, actor="x")
        assert [e.payload for e in ledger.read()] == [note("a"), note("c")]


def test_a_failure_after_the_rows_are_written_rolls_all_of_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are inserted, then moving the head fails: nothing of the append stays."""
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        ledger.append("s", [note("a")], actor="x")
        original = SqlAppender._write_tree

        def write_then_fail(self: SqlAppender, *args: object) -> None:
            original(self, *args)  # type: ignore[arg-type]
            raise OSError("disk vanished")  # after the rows, tiles and head are written

        monkeypatch.setattr(SqlAppender, "_write_tree", write_then_fail)
        with pytest.raises(OSError, match="disk vanished"):
            ledger.append_batch(
                [NewEvent(stream="s", event=note(str(i)), actor="x") for i in range(300)]
            )
        monkeypatch.undo()
        assert ledger.head() == 1
        assert len(list(ledger.read())) == 1
        ledger.append("s", [note("b")], actor="x")
        assert ledger.head() == 2
        assert ledger.verify().ok


def test_idempotent_retries_run_their_lookups_inside_the_same_transaction(tmp_path: Path) -> None:
    """Caller-given ids make the append run SQLAlchemy statements; they join the driver's
    transaction, which commits once, and a conflicting retry changes nothing."""
    ids = [uuid.uuid4(), uuid.uuid4()]
    entries = [
        NewEvent(stream="s", event=note(t), actor="x", event_id=i)
        for t, i in zip("ab", ids, strict=True)
    ]
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        first = ledger.append_batch(entries)
        again = ledger.append_batch([*entries, NewEvent(stream="s", event=note("c"), actor="x")])
        assert again[:2] == first
        assert again[2].position == 3
        with pytest.raises(DuplicateEventError):
            ledger.append_batch([NewEvent(stream="t", event=note("x"), actor="x", event_id=ids[0])])
        assert ledger.head() == 3
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:  # all of it was committed
        assert [e.event_id for e in ledger.read()][:2] == ids
        assert ledger.verify().ok


def test_ledgers_of_one_database_share_the_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    for name in ("one", "two"):
        with Ledger.open(url, ledger=name):
            pass
    stores = SqlStore.open_many(url, ["one", "two"])
    try:
        for i in range(20):  # more ledgers' appends than the pool would lend connections
            stores[i % 2].append_batch([NewEvent(stream="s", event=note(str(i)), actor="x")])
        assert stores[0].engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert stores[0].head() == stores[1].head() == 10
    finally:
        for store in stores:
            store.close()


def test_a_closed_ledger_refuses_appends(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'l.db'}")
    ledger.append("s", [note("a")], actor="x")
    ledger.close()
    with pytest.raises(StoreError):
        ledger.append("s", [note("b")], actor="x")


def test_appends_alternating_between_two_stores_read_each_others_frontier(tmp_path: Path) -> None:
    """Each store remembers the frontier it wrote; after the other store's append the stored
    bytes differ, so it parses them again and the tree stays whole."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Ledger.open(url) as one, Ledger.open(url) as two:
        for i in range(40):
            (one if i % 3 else two).append("s", [note(str(i))], actor="x")
        assert one.store.frontier() == two.store.frontier()
        assert one.head() == 40
        assert one.verify().ok
        assert two.verify().ok
