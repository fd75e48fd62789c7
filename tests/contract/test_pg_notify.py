"""PostgreSQL announces each committed append on the ledger's channel, after the commit;
a refused append announces nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from civicledger import ConcurrencyError, Ledger, StoreError
from civicledger.store.sql import SqlStore, dialect
from civicledger.store.sql.engine import listener
from store_testkit import note

pytestmark = pytest.mark.postgres


def test_each_append_notifies_its_new_head(postgres_url: str, ledger_name: str) -> None:
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        with listener(store.engine.url, store.ledger_id) as notifications:
            ledger.append("s", [note("a"), note("b")], actor="x")
            ledger.append("s", [note("c")], actor="x")
            heads = [n.payload for n in notifications.notifies(timeout=5, stop_after=2)]
        assert heads == ["2", "3"]
        assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_refused_append_notifies_nothing(postgres_url: str, ledger_name: str) -> None:
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        with listener(store.engine.url, store.ledger_id) as notifications:
            with pytest.raises(ConcurrencyError):
                ledger.append("s", [note("b")], expected_version=0, actor="x")
            heard = list(notifications.notifies(timeout=0.5, stop_after=1))
        assert heard == []
        ledger.append("s", [note("c")], actor="x")  # the connection is usable afterwards
        assert ledger.head() == 2


def test_an_append_and_its_announcement_take_one_pooled_connection(
    postgres_url: str, ledger_name: str
) -> None:
    """The announcement travels with the append's commit, not on a second checkout."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        checkouts: list[object] = []
        event.listen(store.engine, "checkout", lambda *_: checkouts.append(1))
        with listener(store.engine.url, store.ledger_id) as notifications:
            ledger.append("s", [note("b")], actor="x")
            ledger.append("s", [note("c"), note("d")], actor="x")
            heads = [n.payload for n in notifications.notifies(timeout=5, stop_after=2)]
        assert heads == ["2", "4"]
        assert len(checkouts) == 2


def test_a_failed_announcement_says_the_append_is_committed(
    postgres_url: str, ledger_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When only the announcement fails (here: a payload over PostgreSQL's 8,000 bytes), the
    error says the append is committed, and it is; the next append is announced again."""
    too_long = dialect._NOTIFY_SQL.replace(
        "pg_notify(%s, %s)", "pg_notify(%s, repeat('9', 8000) || %s)"
    )
    assert too_long != dialect._NOTIFY_SQL
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        with monkeypatch.context() as patched:
            patched.setattr(dialect, "_NOTIFY_SQL", too_long)
            committed = r"notifying subscribers .*the append is committed"
            with pytest.raises(StoreError, match=committed):
                ledger.append("s", [note("a")], actor="x")
        assert [r.position for r in ledger.read()] == [1]
        with listener(store.engine.url, store.ledger_id) as notifications:
            ledger.append("s", [note("b")], actor="x")
            heads = [n.payload for n in notifications.notifies(timeout=5, stop_after=1)]
        assert heads == ["2"]


def test_a_failed_transaction_is_neither_committed_nor_announced(
    postgres_url: str, ledger_name: str
) -> None:
    """COMMIT would end a failed transaction without an error (as a rollback); the commit
    step refuses it instead, so nothing is announced for it."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        with (
            listener(store.engine.url, store.ledger_id) as notifications,
            store.engine.connect() as conn,
            conn.begin(),
        ):
            with pytest.raises(DBAPIError):
                conn.execute(text("SELECT 1 / 0"))
            with pytest.raises(StoreError, match="failed before its commit"):
                dialect.commit_and_notify(conn, store.ledger_id, 7, notifying="notifying")
            heard = list(notifications.notifies(timeout=0.5, stop_after=1))
        assert heard == []
