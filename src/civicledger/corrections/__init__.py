"""Corrections, retractions and redactions as events, and the effective view that applies them.

Importing this package registers nothing: the event types register when
:mod:`civicledger.corrections.events` is imported (the Ledger does that on open).
"""

from civicledger.corrections.fold import (
    AMENDING_TYPES,
    CorrectionIndex,
    _deprecated_effective,
    read_effective,
)
from civicledger.deprecation import renamed_attributes
from civicledger.events.redaction import Amendment, RedactedPayload

__all__ = [
    "AMENDING_TYPES",
    "Amendment",
    "CorrectionIndex",
    "RedactedPayload",
    "read_effective",
]

__getattr__ = renamed_attributes(
    __name__,
    {
        "effective": (
            "civicledger.corrections.CorrectionIndex.apply_all",
            lambda: _deprecated_effective,
        ),
        "effective_read": ("civicledger.corrections.read_effective", lambda: read_effective),
    },
)
