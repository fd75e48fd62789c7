"""The core event types that correct, retract and redact other events.

They are ordinary events: appended, hashed and sealed like any other, so the
ledger never rewrites history; the effective view (:mod:`.fold`) applies them.
Importing this module registers them in the default registry.
"""

from __future__ import annotations

import uuid
from datetime import date

from civicledger.events import Event, EventRegistry, event, field
from civicledger.events.redaction import REDACTION_EVENT_TYPE

__all__ = [
    "CORRECTED",
    "CORRECTION_TYPES",
    "REDACTED",
    "RETRACTED",
    "EventCorrected",
    "EventRedacted",
    "EventRetracted",
    "register_correction_types",
]

CORRECTED = "event_corrected"
RETRACTED = "event_retracted"
REDACTED = REDACTION_EVENT_TYPE

CORRECTION_TYPES: tuple[str, ...] = (CORRECTED, RETRACTED, REDACTED)
"""The type names of the events that amend other events."""


@event(CORRECTED, version=1)
class EventCorrected(Event):
    """A recorded event was wrong; this replacement payload of the same type takes its place.

    ``occurred_on`` is the target's business date (so reading a period's events
    by date also finds the corrections that concern them); when the correction
    was made is its ``recorded_at``.

    Attributes:
        target_event_id: the event corrected (always the original, never a correction).
        replacement: the replacement payload, as RFC 8785 canonical JSON text.
        replacement_type: its stored type name (the target's).
        replacement_schema_version: the schema version it was encoded with.
        reason: why the correction was made.
    """

    # The target's business date, whatever it is: an amendment must be able to fix an
    # event recorded with a date far ahead, so this date is not bounded by today.
    occurred_on: date = field(planned=True)
    target_event_id: uuid.UUID
    replacement: str = field(personal=True)
    replacement_type: str
    replacement_schema_version: int
    reason: str = field(multiline=True)


@event(RETRACTED, version=1)
class EventRetracted(Event):
    """A recorded event (or a correction) should not have been recorded; it no longer counts.

    Attributes:
        target_event_id: the event retracted.
        reason: why.
    """

    occurred_on: date = field(planned=True)  # the target's, as for EventCorrected
    target_event_id: uuid.UUID
    reason: str = field(multiline=True)


@event(REDACTED, version=1)
class EventRedacted(Event):
    """Personal values of a recorded event were removed from storage.

    Attributes:
        target_event_id: the event redacted.
        fields: the fields removed; empty when the whole payload was removed.
        reason: why (e.g. the resident's erasure request reference).
    """

    occurred_on: date = field(planned=True)  # the target's, as for EventCorrected
    target_event_id: uuid.UUID
    fields: tuple[str, ...]
    reason: str = field(multiline=True)


def register_correction_types(registry: EventRegistry) -> None:
    """Register the correction types in a registry of one's own (the default has them).

    Args:
        registry: the registry a custom codec uses.
    """
    for cls in (EventCorrected, EventRetracted, EventRedacted):
        registry.register(cls)
