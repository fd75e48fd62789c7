"""Typed immutable events: the base class, registration, validation and the codec."""

from civicledger.events.base import Event, Vocabulary, event, validate_fields
from civicledger.events.canonical import canonical_bytes
from civicledger.events.codec import (
    Codec,
    default_codec,
    from_dict,
    to_dict,
)
from civicledger.events.fields import field, is_estimate, is_personal
from civicledger.events.recorded import RecordedEvent
from civicledger.events.registry import EventRegistry, default_registry, upcast

__all__ = [
    "Codec",
    "Event",
    "EventRegistry",
    "RecordedEvent",
    "Vocabulary",
    "canonical_bytes",
    "default_codec",
    "default_registry",
    "event",
    "field",
    "from_dict",
    "is_estimate",
    "is_personal",
    "to_dict",
    "upcast",
    "validate_fields",
]
