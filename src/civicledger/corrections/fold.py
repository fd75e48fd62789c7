"""The effective view: recorded events with their corrections, retractions and redactions applied.

A pure fold over records. The amending events are few, so they are gathered
first (one read of their types, up to the as-of point); the events are then
streamed and each is amended on the way through:

- a retracted event is absent (so is a retracted correction's effect);
- a corrected event carries its latest live correction's payload (and that
  payload's ``occurred_on``), in its original position;
- a redacted event lacks the redacted fields;
- every applied amendment is listed, oldest first, in ``record.corrections``;
- the amending events themselves are not part of the view.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Protocol

import attrs
import orjson

from civicledger.deprecation import renamed_attributes
from civicledger.events import Codec, Event, RecordedEvent, default_codec
from civicledger.events.redaction import (
    Amendment,
    RedactedPayload,
    decode_text,
    is_redacted_text,
)
from civicledger.store.reading import Envelope, ReadFilter

__all__ = [
    "AMENDING_TYPES",
    "CorrectionIndex",
    "EffectiveSource",
    "effective_envelopes",
    "read_effective",
]

# The names, not the classes: this module must not register anything when imported.
AMENDING_TYPES: tuple[str, ...] = ("event_corrected", "event_retracted", "event_redacted")
"""The type names of the events the effective view applies rather than shows."""

_CORRECTED, _RETRACTED, _REDACTED = AMENDING_TYPES


class EffectiveSource(Protocol):
    """What the effective view reads from: the part of the EventStore contract it needs."""

    def read(
        self, *, types: Sequence[str] | None = None, to_position: int | None = None
    ) -> Iterator[RecordedEvent]:
        """Stream records in position order."""
        ...

    def head(self) -> int:
        """The last position recorded."""
        ...


def _target(record: RecordedEvent) -> uuid.UUID | None:
    value = getattr(record.payload, "target_event_id", None)
    return value if isinstance(value, uuid.UUID) else None


class CorrectionIndex:
    """The amending events known at one point, by the event they amend."""

    def __init__(self) -> None:
        """Start empty; :meth:`add` each amending event in position order."""
        self.corrections: dict[uuid.UUID, list[RecordedEvent]] = {}
        self.retractions: dict[uuid.UUID, RecordedEvent] = {}
        self.redactions: dict[uuid.UUID, list[RecordedEvent]] = {}
        self.targets: set[uuid.UUID] = set()  # every event amended in any way

    @classmethod
    def collect(cls, records: Iterable[RecordedEvent]) -> CorrectionIndex:
        """Index the amending events among ``records`` (others are ignored).

        Args:
            records: records in position order.

        Returns:
            The index.
        """
        index = cls()
        for record in records:
            index.add(record)
        return index

    def add(self, record: RecordedEvent) -> None:
        """Index one record if it amends another event."""
        target = _target(record)
        if target is None:
            return
        self.targets.add(target)
        if record.type == _CORRECTED:
            self.corrections.setdefault(target, []).append(record)
        elif record.type == _RETRACTED:
            self.retractions.setdefault(target, record)
        elif record.type == _REDACTED:
            self.redactions.setdefault(target, []).append(record)

    def retraction_of(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """The event that retracted ``event_id``, if any."""
        return self.retractions.get(event_id)

    def live_corrections(self, event_id: uuid.UUID) -> list[RecordedEvent]:
        """The corrections of ``event_id`` that are not themselves retracted, oldest first."""
        return [c for c in self.corrections.get(event_id, ()) if c.event_id not in self.retractions]

    def apply_all(
        self, records: Iterable[RecordedEvent], codec: Codec | None = None
    ) -> Iterator[RecordedEvent]:
        """The effective view of ``records`` (stored, in position order): each one as
        :meth:`apply` shows it, those not part of the view left out."""
        for record in records:
            amended = self.apply(record, codec)
            if amended is not None:
                yield amended

    def apply(self, record: RecordedEvent, codec: Codec | None = None) -> RecordedEvent | None:
        """The record as the effective view shows it, or None when it is not part of the view.

        Args:
            record: a stored record.
            codec: decodes correction payloads; the default codec when None.

        Returns:
            The amended record; None for a retracted event or an amending event.

        Raises:
            ValidationError: a correction's replacement cannot be decoded.
        """
        if record.type in AMENDING_TYPES:
            return None
        if record.event_id not in self.targets:
            return record  # most events: one lookup, not one per kind of amendment
        if record.event_id in self.retractions:
            return None
        corrections = self.live_corrections(record.event_id)
        redactions = self.redactions.get(record.event_id, ())
        if not corrections and not redactions:
            return record
        amendments: list[Amendment] = []
        payload = record.payload
        redacted = set(record.redacted_fields)
        for correction in corrections:
            replacement, removed = _replacement(correction, record, codec or default_codec())
            amendments.append(
                Amendment(
                    kind="corrected",
                    event_id=correction.event_id,
                    position=correction.position,
                    recorded_at=correction.recorded_at,
                    actor=correction.actor,
                    reason=str(getattr(correction.payload, "reason", "")),
                    replaced=payload,
                )
            )
            payload = replacement
            redacted = set(removed)
        for redaction in redactions:
            fields = tuple(getattr(redaction.payload, "fields", ()))
            amendments.append(
                Amendment(
                    kind="redacted",
                    event_id=redaction.event_id,
                    position=redaction.position,
                    recorded_at=redaction.recorded_at,
                    actor=redaction.actor,
                    reason=str(getattr(redaction.payload, "reason", "")),
                    fields=fields,
                )
            )
            # Applied here too, so a redaction whose erasure has not completed still hides.
            payload = _without(payload, record.type, fields or None)
            redacted |= set(_redacted_names(payload))
        amendments.sort(key=lambda a: a.position)
        return attrs.evolve(
            record,
            payload=payload,
            occurred_on=payload.occurred_on,
            corrections=tuple(amendments),
            redacted_fields=tuple(sorted(redacted)),
        )


def _replacement(
    correction: RecordedEvent, target: RecordedEvent, codec: Codec
) -> tuple[Event, tuple[str, ...]]:
    """Decode a correction's replacement payload (what a redaction left of it)."""
    payload = correction.payload
    text = getattr(payload, "replacement", None)
    type_name = str(getattr(payload, "replacement_type", target.type))
    version = getattr(payload, "replacement_schema_version", target.schema_version)
    if not isinstance(text, str):  # the whole replacement was redacted
        return decode_text(codec, target.type, target.schema_version, target.occurred_on, None)
    if is_redacted_text(text):
        return decode_text(codec, type_name, version, target.occurred_on, text)
    return codec.from_dict(type_name, version, orjson.loads(text)), ()


def _redacted_names(payload: Event) -> tuple[str, ...]:
    return payload.redacted if isinstance(payload, RedactedPayload) else ()


def _without(payload: Event, type_name: str, fields: Sequence[str] | None) -> Event:
    """The payload with ``fields`` (all when None) removed, as a RedactedPayload."""
    if fields is not None:
        fields = [f for f in fields if "." not in f]  # nested keys left the stored text already
        if not fields:
            return payload
    if isinstance(payload, RedactedPayload):
        values = dict(payload.values)
        already = set(payload.redacted)
    else:
        values = {
            a.name: getattr(payload, a.name)
            for a in attrs.fields(type(payload))
            if a.name != "occurred_on"
        }
        already = set()
    names = list(values) if fields is None else list(fields)
    if isinstance(payload, RedactedPayload) and not any(n in values for n in names):
        return payload
    for name in names:
        values.pop(name, None)
    return RedactedPayload(
        occurred_on=payload.occurred_on,
        event_type=type_name,
        values=values,
        redacted=tuple(sorted(already | set(names))),
    )


def read_effective(
    source: Any,
    *,
    stream: str | None = None,
    stream_prefix: str | None = None,
    types: Sequence[str] | None = None,
    from_position: int = 1,
    to_position: int | None = None,
    occurred_between: tuple[date, date] | None = None,
    recorded_before: datetime | None = None,
    codec: Codec | None = None,
) -> Iterator[RecordedEvent]:
    """Stream the effective view of a store, with :meth:`EventStore.read`'s filters.

    Amendments recorded after ``to_position`` (or after ``recorded_before``) are
    not applied: the view is what was known then. ``occurred_between`` applies to
    the corrected business date.

    Args:
        source: an EventStore (or anything with ``read`` and ``head``).
        stream: only this stream's events.
        stream_prefix: only events of streams starting with this text.
        types: only events of these types (amending types are never shown).
        from_position: the first position shown.
        to_position: the last position known; the head when None.
        occurred_between: only events whose (corrected) date is in this range.
        recorded_before: if given, events and amendments recorded later are ignored.
        codec: decodes correction payloads; the default codec when None.

    Returns:
        An iterator of effective records.

    Raises:
        ValidationError: a filter is malformed (raised at once, not on iteration).
    """
    wanted = ReadFilter.of(
        stream=stream,
        stream_prefix=stream_prefix,
        types=types,
        from_position=from_position,
        to_position=to_position,
        occurred_between=occurred_between,
    )
    records = _effective_records(
        source,
        last=source.head() if to_position is None else to_position,
        recorded_before=recorded_before,
        codec=codec,
        types=types,
        # Only the filters given: a source may be a plain log with read(types, to_position).
        **{
            name: value
            for name, value in (
                ("stream", stream),
                ("stream_prefix", stream_prefix),
                ("from_position", None if from_position == 1 else from_position),
            )
            if value is not None
        },
    )
    if wanted.occurred_from is None:
        return records
    first, last = wanted.occurred_from, wanted.occurred_to
    assert last is not None  # ReadFilter sets both ends or neither
    return (r for r in records if first <= r.occurred_on <= last)


class EnvelopeSource(Protocol):
    """What :func:`effective_envelopes` reads from (an EventStore has it)."""

    def read(
        self, *, types: Sequence[str] | None = None, to_position: int | None = None
    ) -> Iterator[RecordedEvent]:
        """Stream records in position order."""
        ...

    def read_envelopes(self, types: Sequence[str], to_position: int) -> Iterator[Envelope]:
        """Stream the position, type and id of events of some types, in position order."""
        ...


def effective_envelopes(
    source: EnvelopeSource, *, types: Sequence[str], to_position: int
) -> Iterator[Envelope]:
    """The position, type and id of the effective view's events of ``types`` up to
    ``to_position``, in position order, without decoding their payloads.

    They are the events :func:`read_effective` yields for the same types: a correction
    or a redaction changes an event's payload, never its position, type or id, so
    only the retracted events (and the amending events themselves) are left out.

    Raises:
        ValidationError: ``types`` is not a list of type names.
    """
    shown = [t for t in types if t not in AMENDING_TYPES]
    amending = source.read(types=list(AMENDING_TYPES), to_position=to_position)
    index = CorrectionIndex.collect(amending)
    if not shown:
        return iter(())
    envelopes = source.read_envelopes(shown, to_position)
    retracted = index.retractions
    return (e for e in envelopes if e.event_id not in retracted) if retracted else envelopes


def _effective_records(
    source: Any,
    *,
    last: int,
    recorded_before: datetime | None,
    codec: Codec | None,
    types: Sequence[str] | None,
    **filters: Any,
) -> Iterator[RecordedEvent]:
    def known(records: Iterable[RecordedEvent]) -> Iterator[RecordedEvent]:
        for record in records:
            if recorded_before is None or record.recorded_at <= recorded_before:
                yield record

    amending = list(known(source.read(types=list(AMENDING_TYPES), to_position=last)))
    shown = None if types is None else [t for t in types if t not in AMENDING_TYPES]
    if shown is not None and not shown:
        return
    records = source.read(types=shown, to_position=last, **filters)
    if not amending:
        # Nothing known amends anything, so the view is the stored records as they are.
        # An amending record can be among them (types=None) only if recorded after the
        # cut, which drops it. Passed straight through: the view's generators and test
        # per record cost about 5 % of a Python-streamed indicator set (performance.md).
        yield from records if recorded_before is None else known(records)
        return
    index = CorrectionIndex.collect(amending)
    yield from index.apply_all(known(records), codec)


def _deprecated_effective(
    records: Iterable[RecordedEvent], index: CorrectionIndex, codec: Codec | None = None
) -> Iterator[RecordedEvent]:
    return index.apply_all(records, codec)


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
