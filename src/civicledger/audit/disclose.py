"""Disclosing single payload values of an event in a leaf format v2 ledger.

A disclosure hands out the named fields' ``[salt, name, value]`` and only the
digests of the others, so its holder can check exactly those values against the
event's envelope (and, with ``ledger.prove``, against a seal) and learns nothing
else. Fields declared personal are refused unless asked for explicitly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import orjson

from civicledger.errors import ValidationError, VerificationError
from civicledger.events.fields import is_personal
from civicledger.events.redaction import REDACTED_KEY
from civicledger.merkle.commitments import Commitments
from civicledger.merkle.disclosure import LEAF_V2, Disclosure, field_digest, field_salt
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.store.base import EventStore
from civicledger.store.rows import RowSource, StoredRow
from civicledger.types import Position, parse_event_id


def disclose(
    store: EventStore,
    rows: RowSource,
    alg: HashAlgorithm,
    event_id: uuid.UUID | str,
    fields: Sequence[str],
    *,
    include_personal: bool = False,
) -> Disclosure:
    """The disclosure of some top-level payload fields of one event.

    Args:
        store: the ledger's store (its origin, leaf format and codec).
        rows: reads the event's stored row.
        alg: the ledger's hash algorithm.
        event_id: the event (a UUID or its text).
        fields: top-level payload field names, as stored.
        include_personal: disclose fields declared ``personal=True`` too.

    Returns:
        The disclosure, already checked against the stored envelope.

    Raises:
        ValidationError: the id is unknown; the ledger is leaf format v1; a field is
            not in the payload, was redacted, or is personal and not asked for.
        VerificationError: the stored row no longer matches its leaf (run verify()).
    """
    the_id = parse_event_id(event_id)
    names = _field_list(fields)
    _check_v2(store, str(the_id))
    position = rows.position_of(the_id)
    row = None if position is None else next(iter(rows.rows(position, position)), None)
    if row is None:
        raise ValidationError(
            f"no event with id {the_id} in ledger {store.origin}",
            field="event_id",
            event_id=str(the_id),
        )
    return _disclose_row(store, alg, row, names, include_personal)


def disclose_positions(
    store: EventStore,
    rows: RowSource,
    alg: HashAlgorithm,
    requests: Iterable[tuple[Position, Sequence[str]]],
    head: Position,
    *,
    include_personal: bool = False,
) -> list[Disclosure]:
    """The disclosures of many events, named by position, in the order asked.

    What :func:`disclose` does for each, reading the rows a run of nearby positions at
    a time (a position asked twice, with other fields, is read once) rather than with
    two queries per event: a report's evidence discloses hundreds of events.

    Args:
        store: the ledger's store (its origin, leaf format and codec).
        rows: reads the stored rows.
        alg: the ledger's hash algorithm.
        requests: (position, top-level field names) pairs.
        head: the ledger's head; a position past it is refused.
        include_personal: disclose fields declared ``personal=True`` too.

    Returns:
        One disclosure per request, each already checked against its stored envelope.

    Raises:
        ValidationError: a position is not one of the ledger's, the ledger is leaf
            format v1, or a field is not in the payload, was redacted, or is personal
            and not asked for; nothing is returned.
        VerificationError: a row is missing, or no longer matches its leaf (run
            verify()).
    """
    asked = [(_position(position, head, store.origin), _field_list(f)) for position, f in requests]
    if not asked:
        return []
    _check_v2(store, None)
    by_position: dict[Position, list[int]] = {}
    for index, (position, _) in enumerate(asked):
        by_position.setdefault(position, []).append(index)
    found: list[Disclosure | None] = [None] * len(asked)
    for run in _runs(sorted(by_position)):
        wanted = set(run)
        for row in rows.rows(run[0], run[-1]):
            if row.position in wanted:
                wanted.discard(row.position)
                for index in by_position[row.position]:
                    found[index] = _disclose_row(store, alg, row, asked[index][1], include_personal)
        if wanted:
            raise VerificationError(
                f"cannot disclose the event at position {min(wanted)}: its row is missing; "
                "run verify()"
            )
    return [d for d in found if d is not None]


_NEARBY = 256
"""Positions at most this far apart are read in one range: the rows between them cost
less to read and skip than another query."""


def _runs(positions: Sequence[Position]) -> Iterator[list[Position]]:
    """Sorted positions in runs, a new one starting where a gap exceeds :data:`_NEARBY`."""
    run = [positions[0]]
    for position in positions[1:]:
        if position - run[-1] > _NEARBY:
            yield run
            run = []
        run.append(position)
    yield run


def _position(value: object, head: Position, origin: str) -> Position:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= head:
        return value
    raise ValidationError(
        f"{value!r} is not a position of ledger {origin} (1 to {head})", field="position"
    )


def _check_v2(store: EventStore, event_id: str | None) -> None:
    if store.leaf_version != LEAF_V2:
        raise ValidationError(
            f"ledger {store.origin} uses leaf format v1, whose leaves commit to the whole "
            "payload at once, so single values cannot be disclosed",
            event_id=event_id,
        )


def _disclose_row(
    store: EventStore, alg: HashAlgorithm, row: StoredRow, names: list[str], include_personal: bool
) -> Disclosure:
    """The disclosure of fields of a stored row, checked against its leaf."""
    the_id = row.event_id
    values, salts, erased = _stored_fields(row, alg)
    personal = _personal_fields(store, row)
    for name in names:
        where = f"{row.type}.{name} (event {the_id})"
        if name in erased:
            raise ValidationError(
                f"{where} was redacted: its value is erased and cannot be disclosed",
                field=name,
                event_id=str(the_id),
            )
        if name not in values:
            raise ValidationError(
                f"{where}: the payload has no such field; it has "
                f"{', '.join(sorted(values) + sorted(erased))}",
                field=name,
                event_id=str(the_id),
            )
        if name in personal and not include_personal:
            raise ValidationError(
                f"{where} is declared personal, so it is not disclosed unless asked for: "
                "pass include_personal=True (CLI: --include-personal)",
                field=name,
                event_id=str(the_id),
            )
    withheld = [field_digest(alg, salts[n], n, values[n]).hex() for n in values if n not in names]
    withheld += [d.hex() for d in erased.values()]
    envelope = row.envelope(store.origin, alg.name, LEAF_V2)
    if alg.leaf(envelope) != row.leaf_hash:
        raise VerificationError(
            f"cannot disclose event {the_id}: the row at position {row.position} no longer "
            "hashes to its stored leaf; run verify()"
        )
    disclosure = Disclosure(
        hash=alg.name,
        event_id=str(the_id),
        position=row.position,
        envelope=envelope,
        disclosed=tuple((salts[n].hex(), n, values[n]) for n in sorted(names)),
        withheld=tuple(sorted(withheld)),
    )
    try:
        disclosure.verify()
    except VerificationError as e:
        raise VerificationError(
            f"{e}; the stored row at position {row.position} was changed: run verify()"
        ) from e
    return disclosure


def _field_list(fields: object) -> list[str]:
    if isinstance(fields, str) or not isinstance(fields, Sequence) or not fields:
        raise ValidationError(
            f"fields must be a non-empty list of field names, got {fields!r}", field="fields"
        )
    for name in fields:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a field name must be non-empty text, got {name!r}")
    return list(dict.fromkeys(fields))


def _stored_fields(
    row: StoredRow, alg: HashAlgorithm
) -> tuple[dict[str, Any], dict[str, bytes], dict[str, bytes]]:
    """The stored values and their salts, and the kept digests of the erased fields."""
    try:
        data = {} if row.payload is None else orjson.loads(row.payload)
        if not isinstance(data, dict):
            raise ValidationError("the stored payload is not a JSON object")
        values = {k: v for k, v in data.items() if k != REDACTED_KEY}
        if row.salt is not None:
            return values, {n: field_salt(alg, row.salt, n) for n in values}, {}
        if row.commitments is None:
            raise ValidationError("a redacted row keeps no commitments")
        kept = Commitments.parse(row.commitments, alg.digest_size)
    except (orjson.JSONDecodeError, ValidationError) as e:
        raise VerificationError(
            f"cannot disclose the event at position {row.position}: its stored row is "
            f"damaged ({e}); run verify()"
        ) from e
    # A field rewritten by a nested redaction keeps a digest but no salt: it counts as erased.
    remaining = {n: v for n, v in values.items() if n in kept.salts}
    return remaining, dict(kept.salts), dict(kept.digests)


def _personal_fields(store: EventStore, row: StoredRow) -> set[str]:
    cls = store.codec.registry.classes.get((row.type, row.schema_version))
    if cls is None:
        return set()
    return {a.name for a in attrs.fields(cls) if is_personal(a)}
