"""Redactions reach replicas: the sender's erasures, and the replica's check before it erases.

A redaction in the sending ledger appends an ``event_redacted`` event and then
erases values from stored rows (the event's, and its corrections' copies). Sync
delivers the event like any other; the erasure changes rows the replica may
already hold, so each delivery also carries what the sender's redactions left
of those rows (:class:`~civicledger.store.replica.ReplicaErasure`). The replica
stores the same remainder — the same fields gone, the same bytes left — after
checking that a redaction it holds names what goes, that no remaining value
changed, and (leaf format v2) that the remainder still hashes to the row's
digest. Its ``verify()`` then passes, and the erased values are gone from it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from civicledger.audit.payloads import RedactionIndex, check_payload
from civicledger.errors import DamagedRowError, HistoryMismatchError, ValidationError
from civicledger.events.redaction import REDACTED_KEY, REDACTION_EVENT_TYPE
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.store.replica import ReplicaErasure
from civicledger.store.rows import StoredPayload, StoredRow

if TYPE_CHECKING:
    from civicledger.store.base import EventStore
    from civicledger.store.sql import SqlStore

_CORRECTION_TYPE = "event_corrected"  # civicledger.corrections.events.CORRECTED


def sender_erasures(store: EventStore, end: int) -> list[ReplicaErasure]:
    """What the redactions recorded up to ``end`` left of the rows they erased.

    Every row a redaction named (and every correction of such a row, whose copy
    of the values goes with them) that the sender has erased is listed, however
    long ago: a replica skips the ones it already matches, so a replica that
    missed an erasure (an interrupted delivery) catches up on the next one.
    """
    rows = store.row_source()
    # The ids as the replica's check reads them (a damaged redaction row names none; the
    # sender's verify() names that row).
    targets = RedactionIndex(rows.payloads_of_type(REDACTION_EVENT_TYPE, end)).target_ids()
    positions = {rows.position_of(event_id) for event_id in filter(None, map(_uuid, targets))}
    if not positions:
        return []
    for correction in rows.payloads_of_type(_CORRECTION_TYPE, end):
        data = _json(correction.payload)
        if isinstance(data, dict) and data.get("target_event_id") in targets:
            positions.add(correction.position)
    erasures = []
    for position in sorted(p for p in positions if p is not None and p <= end):
        [row] = rows.rows(position, position)
        if row.salt is None:
            erasures.append(
                ReplicaErasure(
                    position=row.position,
                    event_id=row.event_id,
                    leaf_hash=row.leaf_hash,
                    payload=stored_text(row, "payload", row.payload),
                    commitments=stored_text(row, "commitments", row.commitments),
                )
            )
    return erasures


def stored_text(row: StoredRow, column: str, stored: bytes | None) -> str | None:
    """A payload or commitments column as the text a replica receives.

    Raises:
        DamagedRowError: the stored bytes are not UTF-8 (written around the store).
    """
    try:
        return None if stored is None else stored.decode("utf-8")
    except UnicodeDecodeError as e:
        raise damaged_row(row, f"the {column} column holds bytes that are not UTF-8 text") from e


def damaged_row(row: StoredRow, what: str) -> DamagedRowError:
    """The error refusing to send a row changed around the store."""
    return DamagedRowError(
        f"stored event at position {row.position} (id {row.event_id}) cannot be sent: "
        f"{what}; the database was changed around the store (verify() names the row), and "
        "nothing of it was sent",
        position=row.position,
    )


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def receive_erasures(target: SqlStore, erasures: Sequence[ReplicaErasure]) -> int:
    """Check the sender's erasures against the replica and apply the new ones, all or none.

    Returns:
        How many rows were erased.

    Raises:
        HistoryMismatchError: an erasure names a row the replica does not hold.
        ValidationError: an erasure is not a redaction the replica's own redaction
            events allow (naming the position and why); nothing is erased.
    """
    if not erasures:
        return 0
    new = _new_erasures(target, erasures, (), {})
    return target.receive_erasures(new) if new else 0


def check_erasures(
    target: SqlStore,
    erasures: Sequence[ReplicaErasure],
    coming_redactions: Iterable[StoredPayload],
    coming_rows: Mapping[int, StoredRow],
) -> None:
    """Before a delivery writes anything, make the checks :func:`receive_erasures` will
    make once its batches are in.

    Each erasure is checked against the row the replica holds at its position or, past
    the replica's head, the row the delivery brings there (``coming_rows``), with the
    redaction events the delivery brings (``coming_redactions``) beside the replica's
    own.

    Raises:
        HistoryMismatchError, ValidationError: as :func:`receive_erasures`, or an
            erasure names a position past the replica's head that the delivery brings
            no row for; nothing is written.
    """
    if erasures:
        _new_erasures(target, erasures, coming_redactions, coming_rows)


def _new_erasures(
    target: SqlStore,
    erasures: Sequence[ReplicaErasure],
    coming_redactions: Iterable[StoredPayload],
    coming_rows: Mapping[int, StoredRow],
) -> list[ReplicaErasure]:
    """The erasures the replica does not match yet, each checked (see receive_erasures)."""
    rows = target.row_source()
    head = target.head()
    redactions = itertools.chain(
        rows.payloads_of_type(REDACTION_EVENT_TYPE, head), coming_redactions
    )
    index = RedactionIndex(redactions, target.codec.registry)
    alg = hash_algorithm(target.hash_algorithm)
    new = []
    for erasure in erasures:
        if erasure.position > head:
            held = coming_rows.get(erasure.position)
        else:
            held = next(iter(rows.rows(erasure.position, erasure.position)), None)
        if held is None or (held.event_id, held.leaf_hash) != (
            erasure.event_id,
            erasure.leaf_hash,
        ):
            holder = (
                "this ledger does not hold there"
                if erasure.position <= head
                else "neither this ledger holds nor the delivery brings there"
            )
            raise HistoryMismatchError(
                f"a delivered redaction names event {erasure.event_id} at position "
                f"{erasure.position}, which {holder}; nothing was erased",
                position=erasure.position,
            )
        payload = None if erasure.payload is None else erasure.payload.encode("utf-8")
        commitments = None if erasure.commitments is None else erasure.commitments.encode()
        if held.salt is None and (held.payload, held.commitments) == (payload, commitments):
            continue
        erased = held._replace(payload=payload, salt=None, commitments=commitments)
        _check_erasure(held, erased, alg, target.leaf_version, index)
        new.append(erasure)
    return new


def _check_erasure(
    held: StoredRow,
    erased: StoredRow,
    alg: HashAlgorithm,
    leaf_version: int,
    index: RedactionIndex,
) -> None:
    where = f"position {held.position} (event {held.event_id})"
    if erased.payload is not None:
        remainder = _json(erased.payload)
        if not isinstance(remainder, dict) or (
            orjson.dumps(remainder, option=orjson.OPT_SORT_KEYS) != erased.payload
        ):
            raise ValidationError(
                f"{where}: the delivered redaction's payload is not a JSON object in "
                "canonical form",
                field="payload",
            )
        before = None if held.payload is None else _json(held.payload)
        if not isinstance(before, dict) or not _kept_unchanged(remainder, before):
            raise ValidationError(
                f"{where}: the delivered redaction changes or adds a value instead of only "
                "removing some; refused, nothing was erased",
                field="payload",
            )
    redacted, findings = check_payload(erased, alg, leaf_version, index)
    if not redacted or findings:
        why = "; ".join(message for _, message in findings) or "it is not a redaction"
        raise ValidationError(
            f"{where}: the delivered redaction is not one this ledger's own redaction events "
            f"allow ({why}); refused, nothing was erased",
            field="payload",
        )


def _kept_unchanged(remainder: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether every value left is the held one — or, for a field that holds a correction's
    copy of its target's payload (JSON text), that copy with keys removed — and nothing
    listed as removed before comes back."""
    removed = set(remainder.get(REDACTED_KEY, ()))
    if not set(before.get(REDACTED_KEY, ())) <= removed:
        return False
    for key, value in remainder.items():
        if key == REDACTED_KEY or (key in before and before[key] == value):
            continue
        if key not in before or not any(r.startswith(f"{key}.") for r in removed):
            return False
        inner, held = _object(value), _object(before[key])
        if inner is None or held is None or not _kept_unchanged(inner, held):
            return False
    return True


def _object(value: object) -> dict[str, Any] | None:
    """A payload object, or a payload object held as JSON text; None for anything else."""
    data = _json(value.encode("utf-8")) if isinstance(value, str) else value
    return data if isinstance(data, dict) else None


def _json(payload: bytes | None) -> object:
    if payload is None:
        return None
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None


__all__ = [
    "check_erasures",
    "damaged_row",
    "receive_erasures",
    "sender_erasures",
    "stored_text",
]
