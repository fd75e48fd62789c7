"""The append-only event store: one contract, an in-memory and a SQL backend."""

from civicledger.store.base import Clock, EventStore, NewEvent, utc_now
from civicledger.store.memory import MemoryStore

__all__ = ["Clock", "EventStore", "MemoryStore", "NewEvent", "utc_now"]
