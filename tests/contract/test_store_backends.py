"""Run the EventStore contract against every backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_contract import EventStoreContract, MakeStore

from civicledger import EventStore, Ledger


class TestMemoryStore(EventStoreContract):
    @pytest.fixture
    def make_store(self) -> Iterator[MakeStore]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> EventStore:
            ledgers.append(Ledger.in_memory(**options))
            return ledgers[-1].store

        yield make
        for ledger in ledgers:
            ledger.close()


class TestSqliteStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[MakeStore]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> EventStore:
            # Each ledger in its own file, like a fresh installation.
            path = tmp_path / f"ledger-{len(ledgers)}.db"
            ledgers.append(Ledger.open(f"sqlite:///{path}", **options))
            return ledgers[-1].store

        yield make
        for ledger in ledgers:
            ledger.close()


@pytest.mark.postgres
class TestPostgresStore(EventStoreContract):
    @pytest.fixture
    def make_store(self, postgres_url: str) -> Iterator[MakeStore]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> EventStore:
            # The database is shared with other tests: a unique ledger name isolates this one.
            name = f"test-{uuid.uuid4().hex}"
            ledgers.append(Ledger.open(postgres_url, ledger=name, **options))
            return ledgers[-1].store

        yield make
        for ledger in ledgers:
            ledger.close()
