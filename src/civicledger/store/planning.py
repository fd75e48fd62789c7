"""The append pipeline every backend shares: validate, encode, check, number, hash.

Backends differ only in where state lives and how they lock; the steps that
decide what an append writes live here once, so the in-memory store and the
SQL store cannot drift apart. Encoding runs before the backend takes its lock;
planning runs under it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple

import attrs
import orjson

from civicledger.errors import (
    ConcurrencyError,
    DuplicateEventError,
    UnknownEventTypeError,
    ValidationError,
)
from civicledger.events import Codec, Event, RecordedEvent
from civicledger.events.base import check_recording
from civicledger.events.fields import RecordingDay
from civicledger.events.recorded import assemble_record
from civicledger.merkle import disclosure, leaf
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.tree import Frontier, Node
from civicledger.store.base import NewEvent, repeated_id
from civicledger.store.ids import UuidV7Generator
from civicledger.types import ANY, NO_STREAM, STREAM_EXISTS, ExpectedVersion, StreamState


def entries_for_stream(
    stream: str,
    events: Sequence[Event],
    expected_version: ExpectedVersion,
    actor: str,
    event_ids: Sequence[uuid.UUID] | None,
) -> list[NewEvent]:
    """Turn a one-stream ``append`` call into batch entries.

    The first event carries the caller's expected version; each later one
    expects the version its predecessor leaves (so a retry that resends the
    whole call, some of it already stored, still lines up).

    Raises:
        ValidationError: ``events`` is not a sequence, or ``event_ids`` has another length.
    """
    if isinstance(events, Event) or not isinstance(events, Sequence):
        raise ValidationError(
            f"events must be a list of events, got {type(events).__name__}", field="events"
        )
    if event_ids is not None and len(event_ids) != len(events):
        raise ValidationError(
            f"event_ids has {len(event_ids)} ids for {len(events)} events; give one id per event",
            field="event_ids",
        )
    _check_expected(expected_version, "expected_version")
    entries = []
    expected = expected_version
    for i, payload in enumerate(events):
        entries.append(
            NewEvent(
                stream=stream,
                event=payload,
                actor=actor,
                event_id=None if event_ids is None else event_ids[i],
                expected_version=expected,
            )
        )
        if isinstance(expected, int):
            expected += 1
        elif expected is NO_STREAM:
            expected = 1
        else:
            expected = ANY if expected is ANY else STREAM_EXISTS
    return entries


class Encoded(NamedTuple):
    """An entry after validation and encoding, before it gets a position.

    A named tuple rather than a frozen attrs class: one is built per appended event,
    and a frozen class's ``__init__`` sets its eleven fields one by one.
    """

    number: int  # the entry's index in its batch
    stream: str
    event: Event
    actor: str
    event_id: uuid.UUID | None
    expected_version: ExpectedVersion
    type: str
    schema_version: int
    occurred_on: date
    payload: bytes
    fields: dict[str, object]  # the payload as JSON data, for leaf format v2's field digests


@attrs.frozen
class StoredIdentity:
    """What an idempotency check needs to know of an event already stored."""

    position: int
    stream: str
    type: str
    schema_version: int
    salt: bytes | None
    payload_digest: bytes


class Row(NamedTuple):
    """A new event as an append writes it: its envelope fields, payload and hashes.

    The one object an append builds per new event after encoding (a named tuple:
    the cheapest to build). The :class:`RecordedEvent` an append hands back is made
    from it only where one is returned (:meth:`Plan.record`); an import, which
    returns a count, never builds one.
    """

    position: int
    stream: str
    stream_version: int
    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_on: date
    actor: str
    event: Event
    payload: bytes  # the canonical payload JSON
    salt: bytes
    payload_digest: bytes
    leaf_hash: bytes


@attrs.frozen
class Plan:
    """What an append writes, and what it returns for each entry.

    Attributes:
        rows: the new rows, in position order.
        outcomes: per entry, its new row or the already stored event it repeats.
        nodes: the interior Merkle nodes the new leaves complete (to store as tiles).
        frontier: the frontier after the new leaves.
        recorded_at: the time every new row is recorded at (UTC).
    """

    rows: list[Row]
    outcomes: list[Row | StoredIdentity]
    nodes: list[Node]
    frontier: Frontier
    recorded_at: datetime

    @property
    def head(self) -> int | None:
        """The new head, or None when nothing new is written."""
        return self.rows[-1].position if self.rows else None

    def record(self, row: Row) -> RecordedEvent:
        """The recorded event a new row hands back to the caller."""
        return assemble_record(
            row.position,
            row.stream,
            row.stream_version,
            row.event_id,
            row.type,
            row.schema_version,
            row.occurred_on,
            self.recorded_at,
            row.actor,
            row.event,
            row.payload_digest,
            row.leaf_hash,
        )


def encode_entries(entries: Sequence[NewEvent], codec: Codec) -> list[Encoded]:
    """Validate entries and encode their payloads to canonical bytes.

    Raises:
        ValidationError: an entry is malformed; the message names its index.
        UnknownEventTypeError: an event's class is not registered in the codec's registry.
    """
    if isinstance(entries, NewEvent) or not isinstance(entries, Sequence):
        raise ValidationError(
            f"entries must be a list of NewEvent, got {type(entries).__name__}", field="entries"
        )
    encoded = []
    classes = codec.registry.classes
    for i, entry in enumerate(entries):
        if not isinstance(entry, NewEvent):
            raise ValidationError(f"entry {i}: expected a NewEvent, got {type(entry).__name__}")
        if not isinstance(entry.stream, str) or not entry.stream:
            raise ValidationError(f"entry {i}: stream must be a non-empty str", field="stream")
        if not isinstance(entry.actor, str):
            raise ValidationError(f"{_where(i, entry)}: actor must be a str", field="actor")
        if entry.event_id is not None and not isinstance(entry.event_id, uuid.UUID):
            raise ValidationError(
                f"{_where(i, entry)}: event_id must be a uuid.UUID, "
                f"got {type(entry.event_id).__name__}",
                field="event_id",
            )
        if not isinstance(entry.expected_version, StreamState):
            _check_expected(entry.expected_version, f"{_where(i, entry)}: expected_version")
        payload = entry.event
        if not isinstance(payload, Event):
            raise ValidationError(
                f"{_where(i, entry)}: event must be a civicledger Event, "
                f"got {type(payload).__name__}",
                field="event",
            )
        type_name: str | None = getattr(type(payload), "__event_type__", None)
        version: int = getattr(type(payload), "__schema_version__", 0)
        if type_name is None or classes.get((type_name, version)) is not type(payload):
            shown = type_name or type(payload).__qualname__
            raise UnknownEventTypeError(
                f"{_where(i, entry)}: event type {shown!r} version {version} is not registered in "
                "the ledger's codec, so it could not be read back; register it with @event",
                event_type=shown,
            )
        data = codec.to_dict(payload)
        encoded.append(
            Encoded(
                i,
                entry.stream,
                payload,
                entry.actor,
                entry.event_id,
                entry.expected_version,
                type_name,
                version,
                payload.occurred_on,
                orjson.dumps(data, option=orjson.OPT_SORT_KEYS),
                data,
            )
        )
    return encoded


def _where(i: int, entry: NewEvent) -> str:
    """How an error names an entry (formatted only when there is an error)."""
    return f"entry {i} (stream {entry.stream!r})"


def streams_of(encoded: Iterable[Encoded]) -> set[str]:
    """The distinct streams a batch touches."""
    return {e.stream for e in encoded}


def ids_of(encoded: Iterable[Encoded]) -> list[uuid.UUID]:
    """The distinct caller-given event ids of a batch."""
    return list(dict.fromkeys(e.event_id for e in encoded if e.event_id is not None))


def plan_append(
    encoded: Sequence[Encoded],
    *,
    origin: str,
    alg: HashAlgorithm,
    head: int,
    frontier: Frontier,
    recorded_at: datetime,
    ids: UuidV7Generator,
    versions: Mapping[str, int],
    existing: Mapping[uuid.UUID, StoredIdentity],
    future_date_tolerance_days: int,
    leaf_version: int = leaf.ENVELOPE_VERSION,
    on_row: Callable[[Row], object] | None = None,
) -> Plan:
    """Decide what an append writes; call it under the ledger's write lock.

    Args:
        encoded: the batch, from :func:`encode_entries`.
        origin: the ledger's origin.
        alg: the ledger's hash algorithm.
        head: the ledger's head position now.
        frontier: the ledger's frontier now; it is advanced in place.
        recorded_at: the transaction's timestamp (timezone-aware).
        ids: the generator for ids the caller left out.
        versions: the current version of every stream in the batch (absent = 0).
        existing: already stored events among the batch's caller-given ids.
        future_date_tolerance_days: how many days after ``recorded_at``'s date a
            date that is not planned may lie.
        leaf_version: the ledger's leaf format: 1 digests the salted payload, 2 each
            field (the salt is then the event's secret; ``merkle.disclosure``).
        on_row: called with each new row as soon as it is made, after every entry
            passed the checks (the versions, ids, dates and text of the whole batch)
            and before the next row is hashed, so that a backend can send rows to
            its database while the rest are hashed. A later row's envelope may
            still fail; the caller's transaction then undoes what it sent.

    Returns:
        The plan.

    Raises:
        ConcurrencyError: an entry's stream is not at its expected version.
        DuplicateEventError: an id is stored, or repeated in the batch, with other content.
        ValidationError: the clock gave a naive timestamp, an envelope field is invalid,
            or a new event holds a control character or a date too far ahead (events
            already stored, repeated by id, are not judged again).
    """
    if not isinstance(recorded_at, datetime) or recorded_at.utcoffset() is None:
        raise ValidationError(
            f"the ledger clock returned {recorded_at!r}; it must return a datetime with a "
            "timezone (e.g. datetime.now(UTC))",
            field="recorded_at",
        )
    recorded_at = recorded_at.astimezone(UTC)  # stored and read back in UTC
    day = RecordingDay(recorded_at.date(), future_date_tolerance_days)
    current = dict(versions)
    # Per entry, no object beyond the batch's lists: an import keeps a batch alive
    # while it appends, and each object kept is one more for the cyclic collector.
    seen: dict[uuid.UUID, Encoded] = {}  # new entries with a caller-given id
    fresh: list[Encoded] = []
    fresh_versions: list[int] = []  # the stream version of each fresh entry
    outcomes: list[StoredIdentity | Encoded] = []  # an Encoded stands for its new row
    for entry in encoded:
        if entry.event_id is not None:
            earlier: Encoded | StoredIdentity | None = seen.get(entry.event_id) or existing.get(
                entry.event_id
            )
            if earlier is not None:
                _check_same_content(entry, earlier, alg, leaf_version)
                outcomes.append(earlier)
                continue
        check_recording(entry.event, day)
        actual = current.get(entry.stream, 0)
        _check_version(entry, actual)
        current[entry.stream] = actual + 1
        fresh.append(entry)
        fresh_versions.append(actual + 1)
        outcomes.append(entry)
        if entry.event_id is not None:
            seen[entry.event_id] = entry

    new_ids = iter(ids.new_ids(sum(1 for e in fresh if e.event_id is None)))
    size = leaf.SALT_SIZE
    salts = os.urandom(size * len(fresh))  # randomness drawn once for the whole batch
    rows: list[Row] = []
    nodes: list[Node] = []
    by_entry: dict[int, Row] = {}
    # Local names: this loop runs once per appended event, the pipeline's hottest code.
    leaf_of = leaf.BatchEnvelopes(
        origin=origin, recorded_at=recorded_at, hash_name=alg.name, version=leaf_version
    ).leaf_hash
    v2 = leaf_version == disclosure.LEAF_V2
    # The native digest called straight from here, not through the three Python frames
    # of _digest (which takes what it declines, and every other hash or leaf format).
    digest_text = disclosure.text_digester(alg) if v2 else None
    for n, (entry, stream_version) in enumerate(zip(fresh, fresh_versions, strict=True)):
        position = head + n + 1
        event_id = entry.event_id if entry.event_id is not None else next(new_ids)
        salt = salts[n * size : (n + 1) * size]
        payload = entry.payload
        digest = None if digest_text is None else digest_text(salt, payload)
        if digest is None:
            digest = _digest(alg, salt, entry, v2)
        stream, type_name, schema_version = entry.stream, entry.type, entry.schema_version
        occurred_on, actor = entry.occurred_on, entry.actor
        leaf_hash = leaf_of(
            position,
            stream,
            stream_version,
            event_id,
            type_name,
            schema_version,
            occurred_on,
            actor,
            digest,
        )
        row = Row(
            position,
            stream,
            stream_version,
            event_id,
            type_name,
            schema_version,
            occurred_on,
            actor,
            entry.event,
            payload,
            salt,
            digest,
            leaf_hash,
        )
        if on_row is not None:
            on_row(row)
        rows.append(row)
        by_entry[entry.number] = row
    # The batch's leaves folded into the frontier in one call (one native call where
    # built) rather than one call per leaf; nothing reads the tree before the loop ends.
    if rows:
        nodes = frontier.extend_packed(b"".join([row.leaf_hash for row in rows]))

    final: list[Row | StoredIdentity] = []
    for outcome in outcomes:
        if isinstance(outcome, Encoded):  # new, or repeating a new entry by its id
            final.append(by_entry[outcome.number])
        else:
            final.append(outcome)
    return Plan(rows=rows, outcomes=final, nodes=nodes, frontier=frontier, recorded_at=recorded_at)


def _digest(alg: HashAlgorithm, salt: bytes, entry: Encoded, v2: bool) -> bytes:
    if v2:
        return disclosure.digest_of_payload(alg, salt, entry.fields, text=entry.payload)
    return leaf.payload_digest(alg, salt, entry.payload)


def _check_expected(expected: object, where: str) -> None:
    if isinstance(expected, StreamState):
        return
    if type(expected) is not int or expected < 0:
        raise ValidationError(
            f"{where} must be ANY, NO_STREAM, STREAM_EXISTS or an int >= 0, got {expected!r}",
            field="expected_version",
        )


def _check_version(entry: Encoded, actual: int) -> None:
    expected = entry.expected_version
    if expected is ANY:
        return
    if expected is NO_STREAM:
        ok = actual == 0
    elif expected is STREAM_EXISTS:
        ok = actual > 0
    else:
        ok = actual == expected
    if not ok:
        raise ConcurrencyError(
            f"stream {entry.stream!r}: expected version {expected!r} but the stream is at "
            f"version {actual}; nothing was written — re-read the stream, then retry"
        )


def _check_same_content(
    entry: Encoded, earlier: StoredIdentity | Encoded, alg: HashAlgorithm, leaf_version: int
) -> None:
    """Raise DuplicateEventError unless ``entry`` repeats ``earlier`` exactly."""
    if isinstance(earlier, Encoded):
        other = earlier
        same = (other.stream, other.type, other.schema_version, other.payload) == (
            entry.stream,
            entry.type,
            entry.schema_version,
            entry.payload,
        )
        where = f"earlier in the same batch (entry {other.number})"
    else:
        same = (earlier.stream, earlier.type, earlier.schema_version) == (
            entry.stream,
            entry.type,
            entry.schema_version,
        )
        # Compare payloads through the stored salt and digest: no plaintext needed.
        if same and earlier.salt is not None:
            v2 = leaf_version == disclosure.LEAF_V2
            same = _digest(alg, earlier.salt, entry, v2) == earlier.payload_digest
        elif same:
            same = False  # the stored payload was redacted; sameness cannot be shown
        where = f"at position {earlier.position} (stream {earlier.stream!r}, type {earlier.type!r})"
    if not same:
        raise DuplicateEventError(
            f"event id {entry.event_id} is already used {where} with different content; "
            "give a new event a new id (a retry must resend exactly the same event)"
        )


def check_no_repeats(encoded: Sequence[Encoded], plan: Plan, start: int) -> None:
    """Refuse an id that repeats an entry of the same multi-batch append.

    :meth:`EventStore.append_batches` (an import) treats an id stored before it
    began as a retry, like every append; but an id seen earlier in the same call
    is a file that names one event twice, which an import refuses.

    Args:
        encoded: the batch's entries.
        plan: their plan.
        start: the head when the multi-batch append began.

    Raises:
        ValidationError: an entry repeats an earlier entry of the call.
    """
    seen: set[int] = set()
    for entry, outcome in zip(encoded, plan.outcomes, strict=True):
        if isinstance(outcome, StoredIdentity):
            repeated = outcome.position > start
        else:
            repeated = outcome.position in seen
            seen.add(outcome.position)
        if repeated:
            raise repeated_id(entry.event_id)
