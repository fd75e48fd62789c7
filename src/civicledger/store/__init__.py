"""The append-only event store: one contract, an in-memory and a SQL backend."""

from civicledger.store.base import Clock, EventStore, NewEvent, utc_now
from civicledger.store.memory import MemoryStore
from civicledger.store.reading import ReadFilter

__all__ = ["Clock", "EventStore", "MemoryStore", "NewEvent", "ReadFilter", "utc_now"]
