"""PostgreSQL announces each committed append on the ledger's channel, after the commit;
a refused append announces nothing."""

from __future__ import annotations

import pytest

from civicledger import ConcurrencyError, Ledger
from civicledger.store.sql import SqlStore
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
