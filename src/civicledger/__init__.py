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

# --- store and ledger facade (issue 3) ---
from civicledger.ledger import Ledger
from civicledger.ledgerset import LedgerSet

# --- projections and indicators (issue 6) ---
from civicledger.projections import (
    AsOf,
    Contribution,
    Figure,
    Indicator,
    IndicatorSet,
    Period,
)

# --- end projections ---
# --- store names (issue 3) ---
from civicledger.store import EventStore, MemoryStore, NewEvent, ReadFilter
from civicledger.types import ANY, NO_STREAM, STREAM_EXISTS, StreamState

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "CivicLedgerError",
    "ConcurrencyError",
    "DuplicateEventError",
    "Event",
    "EventDefinitionError",
    "LedgerNotFoundError",
    "ProjectionError",
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

# --- store and ledger facade (issue 3) ---
__all__ += ["EventStore", "Ledger", "MemoryStore", "NewEvent", "ReadFilter"]
# --- end store ---

# --- projections and indicators (issue 6) ---
__all__ += [
    "AsOf",
    "Contribution",
    "Figure",
    "Indicator",
    "IndicatorSet",
    "Period",
]
# --- end projections ---

# --- corrections (issue 10) ---
__all__ += ["CorrectionError"]
# --- end corrections ---

# --- roll-ups across ledgers (issue 19) ---
__all__ += ["HistoryMismatchError", "LedgerSet"]
# --- end roll-ups ---
