"""Checking one stored row's payload: its digest, and every erasure against a recorded redaction.

No row is exempt. An intact row's payload must hash to its digest. A redacted
row of a leaf format v2 ledger must still hash to it, from its remaining values
and salts and the digests kept for the erased fields; a v1 row cannot (v1 salts
the whole payload), so for v1 only its form is checked. Either way, every
erased field must be named by an ``event_redacted`` event recorded after the
event (an erasure needs its record), and every field such an event names must
be gone from the row (a value must not come back).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from civicledger.audit.problems import ProblemKind
from civicledger.errors import ValidationError
from civicledger.events.redaction import (
    REDACTED_KEY,
    REDACTION_EVENT_TYPE,
    is_redacted_text,
    stored_keys,
)
from civicledger.events.registry import EventRegistry
from civicledger.merkle.commitments import Commitments
from civicledger.merkle.disclosure import LEAF_V2, digest_of_payload
from civicledger.merkle.disclosure import payload_digest_v2 as combine
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.leaf import payload_digest

if TYPE_CHECKING:
    from civicledger.store.rows import StoredPayload, StoredRow

Finding = tuple[ProblemKind, str]

_WHOLE = "the whole payload"
_CORRECTION_COPY = "replacement"  # the field of a correction that holds its target's payload


@attrs.frozen
class Redaction:
    """An ``event_redacted`` event: where it is and what it names (empty: the whole payload)."""

    position: int
    fields: tuple[str, ...]

    def covers(self, name: str) -> bool:
        """Whether it names ``name`` or the whole payload."""
        return not self.fields or name in self.fields

    def what(self) -> str:
        """Its fields, for a message."""
        return ", ".join(self.fields) if self.fields else _WHOLE


class RedactionIndex:
    """The ``event_redacted`` events of a ledger, by the id of the event each names."""

    def __init__(
        self, rows: Iterable[StoredPayload], registry: EventRegistry | None = None
    ) -> None:
        """Read the redaction events from their stored payloads (a damaged one is skipped:
        its own row check reports it).

        Args:
            rows: the stored payloads of the ``event_redacted`` events.
            registry: traces the newest field names a redaction names to the keys of
                rows stored with an older schema version; names are taken as stored
                when None.
        """
        self.registry = registry
        self._by_target: dict[str, list[Redaction]] = defaultdict(list)
        for row in rows:
            data = _json(row.payload)
            if not isinstance(data, dict) or REDACTED_KEY in data:
                continue
            target, fields = data.get("target_event_id"), data.get("fields")
            if isinstance(target, str) and isinstance(fields, list):
                names = tuple(f for f in fields if isinstance(f, str))
                self._by_target[target].append(Redaction(row.position, names))

    @property
    def targets(self) -> int:
        """How many events the redactions name."""
        return len(self._by_target)

    def target_ids(self) -> frozenset[str]:
        """The ids (as text) of the events the redactions name."""
        return frozenset(self._by_target)

    def portable(self) -> RedactionIndex:
        """A copy without the registry, to send to a worker process (which checks no
        redacted row, so needs no field-name tracing)."""
        copy = RedactionIndex(())
        copy._by_target.update(self._by_target)
        return copy

    def after(self, event_id: object, position: int) -> list[Redaction]:
        """The redactions naming ``event_id`` recorded after ``position``."""
        return [r for r in self._by_target.get(str(event_id), ()) if r.position > position]


def check_payload(
    row: StoredRow, alg: HashAlgorithm, leaf_version: int, index: RedactionIndex
) -> tuple[bool, list[Finding]]:
    """Check a row's payload; return whether it is redacted, and what is wrong."""
    if row.salt is not None:
        return False, list(_check_intact(row, alg, leaf_version, index))
    found: list[Finding] = []
    if not is_redacted_text(row.payload):
        found.append(
            (
                ProblemKind.REDACTION,
                "the salt is missing but the payload is present; a redaction removes both",
            )
        )
        return False, found
    remainder = _json(row.payload) if row.payload is not None else None
    if row.payload is not None and not _redacted_form(remainder):
        found.append(
            (
                ProblemKind.MALFORMED,
                "the redacted payload is not a JSON object that lists its removed fields "
                f'under "{REDACTED_KEY}" (each once)',
            )
        )
        return True, found
    erased: set[str] | None
    if leaf_version == LEAF_V2:
        erased = _check_v2_remainder(row, alg, remainder, found)
    else:
        erased = _check_v1_remainder(row, remainder, found)
    found += _cross_check(row, remainder, erased, index)
    return True, found


def _check_intact(
    row: StoredRow, alg: HashAlgorithm, leaf_version: int, index: RedactionIndex
) -> Iterator[Finding]:
    if row.payload is None or is_redacted_text(row.payload) or row.commitments is not None:
        yield (
            ProblemKind.REDACTION,
            "the salt is present but the payload is missing or partly removed, or the row "
            "keeps redaction commitments; a redaction removes the salt with the values",
        )
        return
    try:
        if leaf_version == LEAF_V2:
            data = _json(row.payload)
            if not isinstance(data, dict):
                raise ValidationError("the stored payload is not a JSON object")
            digest = digest_of_payload(alg, row.salt or b"", data)
        else:
            digest = payload_digest(alg, row.salt or b"", row.payload)
    except ValidationError as e:
        yield ProblemKind.MALFORMED, f"payload: {e.message}"
        return
    if digest != row.payload_digest:
        yield (
            ProblemKind.PAYLOAD_DIGEST,
            f"the stored payload hashes to {digest.hex()} with its salt, but the row records "
            f"{row.payload_digest.hex()}: the payload was changed",
        )
    for redaction in index.after(row.event_id, row.position):
        yield (
            ProblemKind.UNERASED_VALUE,
            f"the event_redacted at position {redaction.position} names "
            f"{redaction.what()} of this event, but the row still holds every value: "
            "a value was restored, or the erasure never finished (redact again to finish it)",
        )


def _check_v1_remainder(
    row: StoredRow, remainder: dict[str, Any] | None, found: list[Finding]
) -> set[str] | None:
    """The erased top-level fields of a v1 row (None: the whole payload)."""
    if row.commitments is not None:
        found.append((ProblemKind.REDACTION, "a leaf format v1 row keeps v2 commitments"))
    if remainder is None:
        return None
    removed = remainder[REDACTED_KEY]
    if not removed:
        found.append(
            (
                ProblemKind.UNRECORDED_REDACTION,
                "the payload is in the redacted form but names no removed field, and its "
                "salt is gone: nothing recorded a redaction of this event",
            )
        )
    return {k for k in removed if "." not in k}


def _check_v2_remainder(
    row: StoredRow, alg: HashAlgorithm, remainder: dict[str, Any] | None, found: list[Finding]
) -> set[str]:
    """Recompute a redacted v2 row's digest; return its erased top-level fields."""
    if row.commitments is None:
        found.append(
            (
                ProblemKind.REDACTION,
                "the salt is gone but the row keeps no commitments; a v2 redaction keeps the "
                "remaining fields' salts and the erased fields' digests",
            )
        )
        return set()
    try:
        kept = Commitments.parse(row.commitments, alg.digest_size)
    except ValidationError as e:
        found.append((ProblemKind.MALFORMED, e.message))
        return set()
    values = {} if remainder is None else {k: v for k, v in remainder.items() if k != REDACTED_KEY}
    removed: list[str] = [] if remainder is None else remainder[REDACTED_KEY]
    digests, unsalted = kept.field_digests(alg, remainder)
    for name in unsalted:
        found.append(
            (
                ProblemKind.UNERASED_VALUE,
                f"field {name!r} has a value but no salt: an erased value was restored "
                "or a value added",
            )
        )
    erased = {name for name in kept.digests if name not in values}
    odd = sorted(set(kept.salts) - set(values)) + sorted(set(kept.salts) & set(kept.digests))
    if odd:
        found.append(
            (
                ProblemKind.REDACTION,
                f"the commitments keep a salt for {', '.join(odd)} without its value or beside "
                "a digest",
            )
        )
    if remainder is not None:
        listed = {k for k in removed if "." not in k}
        if listed != erased:
            found.append(
                (
                    ProblemKind.REDACTION,
                    f'"{REDACTED_KEY}" lists {sorted(listed)} but the values gone are '
                    f"{sorted(erased)}",
                )
            )
    actual = combine(alg, digests)
    if actual != row.payload_digest:
        found.append(
            (
                ProblemKind.PAYLOAD_DIGEST,
                f"the remaining values with their salts and the kept digests hash to "
                f"{actual.hex()}, but the row records {row.payload_digest.hex()}: a remaining "
                "value, salt or kept digest was changed",
            )
        )
    return erased


def _cross_check(
    row: StoredRow,
    remainder: dict[str, Any] | None,
    erased: set[str] | None,
    index: RedactionIndex,
) -> Iterator[Finding]:
    """Every erasure needs a redaction recorded after the event; every named field is gone."""
    keys = set(erased or ()) | set(remainder or ())
    redactions = [
        attrs.evolve(r, fields=_as_stored(index.registry, row, keys, r.fields))
        for r in index.after(row.event_id, row.position)
    ]
    if erased is None:  # a v1 row whose whole payload is gone
        if not any(not r.fields for r in redactions):
            yield _unrecorded(_WHOLE, row)
    else:
        for name in sorted(erased):
            if not any(r.covers(name) for r in redactions) and not _covered_by_target(
                row, remainder, name, index
            ):
                yield _unrecorded(f"field {name!r}", row)
        for redaction in redactions:
            kept = [f for f in redaction.fields if f not in erased]
            if kept:
                yield (
                    ProblemKind.UNERASED_VALUE,
                    f"the event_redacted at position {redaction.position} names "
                    f"{', '.join(kept)} of this event, but the row still holds "
                    f"{'it' if len(kept) == 1 else 'them'}: a value was restored, or the "
                    "erasure never finished (redact again to finish it)",
                )
    seen: dict[str, int] = {}
    for redaction in redactions:
        for name in redaction.fields:
            if name in seen:
                yield (
                    ProblemKind.REPEATED_REDACTION,
                    f"field {name!r} of this event is named by the event_redacted at positions "
                    f"{seen[name]} and {redaction.position}: a second erasure of one field",
                )
            seen.setdefault(name, redaction.position)
    if remainder is not None:
        yield from _cross_check_nested(row, remainder, index)


def _covered_by_target(
    row: StoredRow, remainder: dict[str, Any] | None, name: str, index: RedactionIndex
) -> bool:
    """Whether an erased field of a correction is its copy of the target's payload
    (``replacement``) and a redaction of the whole target, recorded after this row, took it:
    redacting an event takes every correction's copy of it along (see
    :func:`civicledger.corrections.service.redact`)."""
    target = (remainder or {}).get("target_event_id")
    if target is None or name != _CORRECTION_COPY:
        return False
    return any(not r.fields for r in index.after(target, row.position))


def _cross_check_nested(
    row: StoredRow, remainder: dict[str, Any], index: RedactionIndex
) -> Iterator[Finding]:
    # A correction's copy of a redacted value: the redaction names the corrected event.
    target = remainder.get("target_event_id")
    for key in remainder[REDACTED_KEY]:
        name = key.partition(".")[2]
        if not name:
            continue
        if not any(r.covers(name) for r in index.after(target, row.position)):
            yield (
                ProblemKind.UNRECORDED_REDACTION,
                f"{key!r} was erased, but no event_redacted recorded after this event names "
                f"field {name!r} of the event it amends ({target})",
            )


def _as_stored(
    registry: EventRegistry | None, row: StoredRow, keys: set[str], names: tuple[str, ...]
) -> tuple[str, ...]:
    """Newest-version field names as the keys of a row stored with an older schema version."""
    if registry is None or not names:
        return names
    probe = dict.fromkeys(keys - {REDACTED_KEY})
    result = []
    for name in names:
        try:
            (key,) = stored_keys(registry, row.type, row.schema_version, probe, [name])
        except ValidationError:  # not traceable (or an unknown type): compare as named
            key = name
        result.append(key)
    return tuple(result)


def _unrecorded(what: str, row: StoredRow) -> Finding:
    return (
        ProblemKind.UNRECORDED_REDACTION,
        f"{what} was erased, but no event_redacted recorded after this event (id "
        f"{row.event_id}) names it",
    )


def _redacted_form(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    removed = data.get(REDACTED_KEY)
    return (
        isinstance(removed, list)
        and all(isinstance(k, str) for k in removed)
        and len(set(removed)) == len(removed)
    )


def _json(payload: bytes | None) -> Any:
    if payload is None:
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None


__all__ = ["REDACTION_EVENT_TYPE", "Redaction", "RedactionIndex", "check_payload"]
