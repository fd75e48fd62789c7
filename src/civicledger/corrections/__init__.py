"""Corrections, retractions and redactions as events, and the effective view that applies them.

Importing this package registers nothing: the event types register when
:mod:`civicledger.corrections.events` is imported (the Ledger does that on open).
"""

from civicledger.corrections.fold import (
    AMENDING_TYPES,
    CorrectionIndex,
    effective,
    effective_read,
)
from civicledger.events.redaction import Amendment, RedactedPayload

__all__ = [
    "AMENDING_TYPES",
    "Amendment",
    "CorrectionIndex",
    "RedactedPayload",
    "effective",
    "effective_read",
]
