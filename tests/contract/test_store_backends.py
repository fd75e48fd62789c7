"""Run the EventStore contract against every backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from store_contract import EventStoreContract


class TestEventStore(EventStoreContract):
    """The contract on each backend (``make_store`` comes from tests/contract/conftest.py)."""
