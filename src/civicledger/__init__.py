"""civicledger: event-sourced civic record keeping.

Record what a community office does as immutable events in an append-only,
tamper-evident ledger, and project them into reports whose every figure can be
traced to the events behind it.
"""

from civicledger._version import __version__
from civicledger.errors import (
    CivicLedgerError,
    ConcurrencyError,
    CorrectionError,
    DamagedRowError,
    DuplicateEventError,
    EventDefinitionError,
    HistoryMismatchError,
    LedgerNotFoundError,
    ProjectionError,
    SchemaMismatchError,
    StoreError,
    UnknownEventTypeError,
    ValidationError,
    VerificationError,
)
from civicledger.events import (
    Event,
    RecordedEvent,
    Vocabulary,
    event,
    field,
    upcast,
)
from civicledger.ledger import Ledger
from civicledger.ledgerset import LedgerSet
from civicledger.projections import (
    AsOf,
    Contribution,
    Figure,
    Indicator,
    IndicatorSet,
    Period,
)
from civicledger.store import EventStore, MemoryStore, NewEvent, ReadFilter
from civicledger.types import ANY, NO_STREAM, STREAM_EXISTS, StreamState

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AsOf",
    "CivicLedgerError",
    "ConcurrencyError",
    "Contribution",
    "CorrectionError",
    "DamagedRowError",
    "DuplicateEventError",
    "Event",
    "EventDefinitionError",
    "EventStore",
    "Figure",
    "HistoryMismatchError",
    "Indicator",
    "IndicatorSet",
    "Ledger",
    "LedgerNotFoundError",
    "LedgerSet",
    "MemoryStore",
    "NewEvent",
    "Period",
    "ProjectionError",
    "ReadFilter",
    "RecordedEvent",
    "SchemaMismatchError",
    "StoreError",
    "StreamState",
    "UnknownEventTypeError",
    "ValidationError",
    "VerificationError",
    "Vocabulary",
    "__version__",
    "event",
    "field",
    "upcast",
]
