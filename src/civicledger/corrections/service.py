"""Recording corrections, retractions and redactions: validate, append, and (for redaction) erase.

Each call checks its target against the ledger as it stands, appends one
amending event, and returns its record. The Ledger facade delegates here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs
import orjson

from civicledger.corrections.events import (
    CORRECTED,
    REDACTED,
    RETRACTED,
    EventCorrected,
    EventRedacted,
    EventRetracted,
)
from civicledger.corrections.fold import AMENDING_TYPES, CorrectionIndex
from civicledger.errors import CorrectionError
from civicledger.events import Codec, Event, RecordedEvent, canonical_bytes, default_codec
from civicledger.events.base import check_recording
from civicledger.events.fields import is_personal
from civicledger.events.redaction import stored_keys
from civicledger.store import EventStore

__all__ = [
    "CORRECTIONS_STREAM_PREFIX",
    "as_event_id",
    "correct",
    "find_event",
    "redact",
    "retract",
]

CORRECTIONS_STREAM_PREFIX = "corrections/"
"""Amending events go to ``corrections/<the target's stream>``, never to the target's stream,
so a domain stream's version (which writers check) does not move when it is corrected."""

# What "the whole payload" means for an amending event: the target id must stay readable,
# or the amendment could no longer be placed.
_WHOLE = {CORRECTED: ("replacement", "reason"), RETRACTED: ("reason",)}


def as_event_id(value: uuid.UUID | str) -> uuid.UUID:
    """Accept an event id as a UUID or its text.

    Raises:
        CorrectionError: the text is not a UUID.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise CorrectionError(f"{value!r} is not an event id (a UUID)", field="event_id") from None


def find_event(store: EventStore, event_id: uuid.UUID) -> RecordedEvent | None:
    """The stored record of an event id, or None when the ledger has none.

    Args:
        store: the store.
        event_id: the id.

    Returns:
        The record as stored (not amended).
    """
    position = store.position_of(event_id)
    if position is None:
        return None
    return next(store.read(from_position=position, to_position=position), None)


def _target(store: EventStore, value: uuid.UUID | str, doing: str) -> RecordedEvent:
    event_id = as_event_id(value)
    record = find_event(store, event_id)
    if record is None:
        raise CorrectionError(
            f"cannot {doing} event {event_id}: the ledger has no such event",
            event_id=str(event_id),
        )
    return record


def _index(store: EventStore) -> CorrectionIndex:
    return CorrectionIndex.collect(store.read(types=list(AMENDING_TYPES)))


def _refuse_retracted(index: CorrectionIndex, record: RecordedEvent, doing: str) -> None:
    retraction = index.retraction_of(record.event_id)
    if retraction is not None:
        raise CorrectionError(
            f"cannot {doing} event {record.event_id}: it was retracted by event "
            f"{retraction.event_id} (position {retraction.position}); record a new event instead",
            event_id=str(record.event_id),
        )


def correct(
    store: EventStore,
    event_id: uuid.UUID | str,
    replacement: Event,
    *,
    reason: str,
    actor: str,
    codec: Codec | None = None,
) -> RecordedEvent:
    """Record that an event was wrong and what it should have been.

    Correcting a correction corrects the same original again (the latest live
    correction wins).

    Args:
        store: the store.
        event_id: the event to correct (or one of its corrections).
        replacement: the full corrected payload, of the same type as the event.
        reason: why (required, non-empty).
        actor: who corrects it.
        codec: encodes the replacement; the default codec when None.

    Returns:
        The record of the ``event_corrected`` event.

    Raises:
        CorrectionError: the event does not exist, is retracted or redacted, is a
            retraction or redaction, the replacement is of another type, or it
            changes nothing.
        ValidationError: the reason is empty.
    """
    codec = codec or default_codec()
    target = _target(store, event_id, "correct")
    index = _index(store)
    if target.type == CORRECTED:
        _refuse_retracted(index, target, "correct")
        root_id = getattr(target.payload, "target_event_id", None)
        if not isinstance(root_id, uuid.UUID):
            raise CorrectionError(
                f"cannot correct correction {target.event_id}: its target is unreadable",
                event_id=str(target.event_id),
            )
        target = _target(store, root_id, "correct")
    if target.type in AMENDING_TYPES:
        raise CorrectionError(
            f"cannot correct event {target.event_id}: it is a {target.type} event; "
            "only recorded facts and their corrections can be corrected",
            event_id=str(target.event_id),
        )
    _refuse_retracted(index, target, "correct")
    if index.redactions.get(target.event_id) or target.redacted_fields:
        raise CorrectionError(
            f"cannot correct event {target.event_id}: it was redacted, and a correction would "
            "record its personal values again; retract it and record a new event instead",
            event_id=str(target.event_id),
        )
    replacement_type = getattr(type(replacement), "__event_type__", None)
    if not isinstance(replacement, Event) or replacement_type is None:
        raise CorrectionError(
            f"the replacement for event {target.event_id} must be a registered civicledger "
            f"event, got {type(replacement).__name__}",
            event_id=str(target.event_id),
            field="replacement",
        )
    if replacement_type != target.type:
        raise CorrectionError(
            f"the replacement for event {target.event_id} is a {replacement_type} event, but "
            f"the event is a {target.type}; a correction keeps the type (retract it and "
            "record a new event to change the type)",
            event_id=str(target.event_id),
            field="replacement",
        )
    # The replacement is new text, held to the text rules of a recording. Its dates are
    # not judged here: the store's clock is not at hand in this layer.
    check_recording(replacement, None)
    data = codec.to_dict(replacement)
    current = index.apply(target, codec)
    if current is not None and codec.to_dict(current.payload) == data:
        raise CorrectionError(
            f"the replacement for event {target.event_id} equals its current payload; "
            "nothing to correct",
            event_id=str(target.event_id),
            field="replacement",
        )
    correction = EventCorrected(
        occurred_on=target.occurred_on,
        target_event_id=target.event_id,
        replacement=canonical_bytes(data).decode("utf-8"),
        replacement_type=target.type,
        replacement_schema_version=type(replacement).__schema_version__,
        reason=reason,
    )
    (record,) = store.append(_stream(target), [correction], actor=actor)
    return record


def retract(
    store: EventStore, event_id: uuid.UUID | str, *, reason: str, actor: str
) -> RecordedEvent:
    """Record that an event (or a correction) should not count.

    Retracting a correction undoes it: the payload before it is in effect again.

    Args:
        store: the store.
        event_id: the event or correction to retract.
        reason: why (required, non-empty).
        actor: who retracts it.

    Returns:
        The record of the ``event_retracted`` event.

    Raises:
        CorrectionError: the event does not exist, is already retracted, or is a
            retraction or redaction.
        ValidationError: the reason is empty.
    """
    target = _target(store, event_id, "retract")
    if target.type in (RETRACTED, REDACTED):
        raise CorrectionError(
            f"cannot retract event {target.event_id}: a {target.type} event cannot be retracted",
            event_id=str(target.event_id),
        )
    index = _index(store)
    retraction = index.retraction_of(target.event_id)
    if retraction is not None:
        raise CorrectionError(
            f"event {target.event_id} is already retracted by event {retraction.event_id} "
            f"(position {retraction.position})",
            event_id=str(target.event_id),
        )
    event = EventRetracted(
        occurred_on=target.occurred_on, target_event_id=target.event_id, reason=reason
    )
    (record,) = store.append(_stream(target), [event], actor=actor)
    return record


def redact(
    store: EventStore,
    event_id: uuid.UUID | str,
    *,
    fields: Sequence[str] | None,
    reason: str,
    actor: str,
    codec: Codec | None = None,
) -> RecordedEvent:
    """Record a redaction, then remove the values from storage (the event's and its corrections').

    The ``event_redacted`` event is appended first, so an interrupted erasure is
    still on record; the effective view hides the fields from then on, and
    calling again finishes the erasure.

    Args:
        store: the store.
        event_id: the event.
        fields: personal fields to remove; None removes the whole payload (of an
            amending event: everything but the id of the event it amends).
        reason: why (e.g. the erasure request's reference; no personal data).
        actor: who redacts it.
        codec: maps field names through upcasters; the default codec when None.

    Returns:
        The record of the ``event_redacted`` event.

    Raises:
        CorrectionError: the event does not exist or is a redaction; a field is not
            a personal field of its type; ``fields`` is empty.
    """
    codec = codec or default_codec()
    target = _target(store, event_id, "redact")
    if target.type == REDACTED:
        raise CorrectionError(
            f"cannot redact event {target.event_id}: redaction events hold no personal data",
            event_id=str(target.event_id),
        )
    names = _check_fields(codec, target, fields)
    index = _index(store)
    earlier = _covering_redaction(index.redactions.get(target.event_id, ()), target, names)
    if earlier is not None:
        record = earlier  # an interrupted erasure: finish it, recording nothing new
    else:
        event = EventRedacted(
            occurred_on=target.occurred_on,
            target_event_id=target.event_id,
            fields=tuple(names or ()),
            reason=reason,
        )
        (record,) = store.append(_stream(target), [event], actor=actor)
    store.redact_payload(target.event_id, names if names is not None else _WHOLE.get(target.type))
    for correction in index.corrections.get(target.event_id, ()):
        nested = _nested_keys(codec, correction, names)
        if nested:
            store.redact_payload(correction.event_id, nested)
    return record


def _covering_redaction(
    redactions: Sequence[RecordedEvent], target: RecordedEvent, names: Sequence[str] | None
) -> RecordedEvent | None:
    """The earlier redaction that already names every field asked for, if any.

    Each field is erased once, by one recorded redaction (``verify`` reports a
    second one): asking again for fields already named finishes their erasure,
    and asking for some of them along with new ones is refused.
    """
    named: dict[str, RecordedEvent] = {}
    for redaction in redactions:
        for name in getattr(redaction.payload, "fields", ()) or ("",):
            named.setdefault(name, redaction)  # "" stands for the whole payload
    if "" in named:  # the whole payload is already redacted
        return named[""]
    wanted = list(names) if names is not None else []
    again = [n for n in wanted if n in named]
    if not again:
        return None
    if len(again) == len(wanted):
        return named[again[0]]
    raise CorrectionError(
        f"{target.type}.{again[0]} of event {target.event_id} was already redacted by event "
        f"{named[again[0]].event_id} (position {named[again[0]].position}); redact the other "
        "fields on their own",
        event_type=target.type,
        event_id=str(target.event_id),
        field=again[0],
    )


def _check_fields(
    codec: Codec, target: RecordedEvent, fields: Sequence[str] | None
) -> list[str] | None:
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Sequence) or not fields:
        raise CorrectionError(
            f"fields must be a non-empty list of field names (or None for the whole payload), "
            f"got {fields!r}",
            event_id=str(target.event_id),
            field="fields",
        )
    cls = codec.registry.newest(target.type)
    declared = {a.name: a for a in attrs.fields(cls)}
    names = []
    for name in fields:
        attribute = declared.get(name)
        if attribute is None:
            raise CorrectionError(
                f"{target.type}.{name}: no such field (event {target.event_id})",
                event_type=target.type,
                event_id=str(target.event_id),
                field=name,
            )
        if not is_personal(attribute):
            raise CorrectionError(
                f"{target.type}.{name} is not declared personal, so it cannot be redacted on its "
                f"own (event {target.event_id}); redact the whole payload with fields=None",
                event_type=target.type,
                event_id=str(target.event_id),
                field=name,
            )
        names.append(name)
    return list(dict.fromkeys(names))


def _nested_keys(
    codec: Codec, correction: RecordedEvent, names: Sequence[str] | None
) -> list[str] | None:
    """The keys to remove from a correction so that its replacement loses ``names`` too."""
    payload = correction.payload
    text: Any = getattr(payload, "replacement", None)
    if not isinstance(text, str):
        return None  # its replacement is gone already
    if names is None:
        return ["replacement"]
    data = orjson.loads(text)
    keys = stored_keys(
        codec.registry,
        str(getattr(payload, "replacement_type", "")),
        int(getattr(payload, "replacement_schema_version", 1)),
        data,
        names,
    )
    return [f"replacement.{k}" for k in keys]


def _stream(target: RecordedEvent) -> str:
    return CORRECTIONS_STREAM_PREFIX + target.stream
