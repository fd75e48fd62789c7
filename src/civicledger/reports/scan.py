"""One streaming pass over a report's events: narrative notes, problem events, absence hits."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from civicledger.catalog.followups import PROBLEM_EVENTS
from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.events import RecordedEvent
from civicledger.projections import Period

__all__ = ["Scan", "scan_events", "scanned_types"]

_PROBLEM_TYPES = frozenset(cls.__event_type__ for cls in PROBLEM_EVENTS)
_NOTE_TYPE: str = NarrativeNoteRecorded.__event_type__


@attrs.frozen
class Scan:
    """What a report needs from the events besides figures.

    Attributes:
        notes: the latest note per (section, key) dated in the period, keys in the
            order they first appeared.
        problems: every problem event (any date: the follow-up fold needs the history).
        hits: for each type an absence claim names, its events dated in the period.
    """

    notes: dict[tuple[str, str], RecordedEvent]
    problems: list[RecordedEvent]
    hits: dict[str, list[RecordedEvent]]


def scanned_types(absence_types: Iterable[str]) -> list[str]:
    """Every event type :func:`scan_events` looks at, so a caller can read only those."""
    return sorted({*_PROBLEM_TYPES, _NOTE_TYPE, *absence_types})


def scan_events(
    records: Iterable[RecordedEvent], period: Period, absence_types: Iterable[str]
) -> Scan:
    """Read the events once, keeping only what the report uses.

    Args:
        records: recorded events in position order (already cut at the as-of position).
        period: the report's period (by ``occurred_on``).
        absence_types: the event types absence claims name.

    Returns:
        The notes, problem events and absence hits.
    """
    notes: dict[tuple[str, str], RecordedEvent] = {}
    problems: list[RecordedEvent] = []
    hits: dict[str, list[RecordedEvent]] = {name: [] for name in absence_types}
    for record in records:
        if record.type in _PROBLEM_TYPES:
            problems.append(record)
        if not period.contains(record.occurred_on):
            continue
        if record.type == _NOTE_TYPE and isinstance(record.payload, NarrativeNoteRecorded):
            key = (record.payload.section, record.payload.key)
            existing = notes.get(key)
            # A later note with the same key supersedes the text; the key keeps the
            # place it first took in the section's order (dicts keep insertion order).
            if existing is None or record.position > existing.position:
                notes[key] = record
        if record.type in hits:
            hits[record.type].append(record)
    return Scan(notes, problems, hits)
