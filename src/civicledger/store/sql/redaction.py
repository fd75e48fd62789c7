"""The redaction write: the one UPDATE an event row allows (payload and salt, nothing else).

The database holds the same rule in a trigger (see :mod:`.dialect`), so an UPDATE
that touches any other column, or restores a removed payload, is refused even
when it does not come through here. On PostgreSQL the write goes through the
``civicledger_erase`` function (:mod:`.erasure`), which also requires a recorded
redaction event naming every field it removes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, func, select, update

from civicledger.errors import HistoryMismatchError, StoreError
from civicledger.events import Codec, canonical_bytes
from civicledger.events.redaction import redact_stored, stored_keys
from civicledger.merkle.commitments import Commitments, after_redaction
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.store.replica import ReplicaErasure
from civicledger.store.sql.schema import events, stored_bytes


def redact_row(
    conn: Connection,
    ledger_id: int,
    codec: Codec,
    event_id: uuid.UUID,
    fields: Sequence[str] | None,
    *,
    alg: HashAlgorithm,
    leaf_version: int,
) -> int:
    """Remove values (or the whole payload) of one stored event, and its salt.

    In a leaf format v2 ledger the row keeps, in its commitments, the salts of
    the fields left and the digests of the fields removed, so what is left still
    hashes to the leaf.

    Call it inside the ledger's write transaction.

    Args:
        conn: the connection, in a write transaction.
        ledger_id: the ledger's row id.
        codec: holds the registry whose upcasters map field names to stored keys.
        event_id: the event.
        fields: newest-version field names; None removes the whole payload.
        alg: the ledger's hash algorithm.
        leaf_version: the ledger's leaf format.

    Returns:
        The event's position.

    Raises:
        StoreError: the ledger has no such event.
        ValidationError: a field is not in the stored payload.
    """
    found = conn.execute(
        select(
            events.c.position,
            events.c.type,
            events.c.schema_version,
            events.c.payload,
            events.c.salt,
            events.c.commitments,
        ).where(events.c.ledger_id == ledger_id, events.c.event_id == event_id)
    ).one_or_none()
    if found is None:
        raise StoreError(f"cannot redact event {event_id}: the ledger has no such event")
    position, type_name, schema_version, payload, secret, kept = found
    data = None if payload is None else orjson.loads(payload)
    keys = None
    if fields is not None and data is not None:
        keys = stored_keys(codec.registry, type_name, schema_version, data, fields)
    remaining = redact_stored(data, keys)
    text = None if remaining is None else canonical_bytes(remaining).decode("utf-8")
    commitments = None
    if leaf_version == 2:
        before = None if kept is None else Commitments.parse(kept, alg.digest_size)
        secret = None if secret is None else bytes(secret)
        commitments = after_redaction(alg, data, secret, before, remaining).text()
    write_erasure(conn, ledger_id, int(position), event_id, text, commitments)
    return int(position)


def write_erasure(
    conn: Connection,
    ledger_id: int,
    position: int,
    event_id: uuid.UUID,
    payload: str | None,
    commitments: str | None,
) -> None:
    """Store what a redaction leaves of one row (its salt goes), inside a write transaction.

    Used by a redaction made here and by one a replica receives from its sender.
    """
    if conn.dialect.name == "postgresql":
        # The guard function checks, in the database, that a recorded redaction event names
        # what goes (see .erasure); an application role has no UPDATE privilege of its own.
        conn.execute(select(func.civicledger_erase(ledger_id, event_id, payload, commitments)))
    else:
        conn.execute(
            update(events)
            .where(events.c.ledger_id == ledger_id, events.c.position == position)
            .values(payload=payload, salt=None, commitments=commitments)
        )


def write_received_erasures(
    conn: Connection, ledger_id: int, erasures: Sequence[ReplicaErasure]
) -> int:
    """Store what the sender's redactions left of rows a replica holds, inside its write
    transaction; an erasure already applied is skipped.

    Returns:
        How many rows changed.

    Raises:
        HistoryMismatchError: an erasure names a row the replica does not hold.
    """
    changed = 0
    for erasure in erasures:
        held = conn.execute(
            select(events.c.event_id, events.c.leaf_hash, events.c.payload, events.c.salt).where(
                events.c.ledger_id == ledger_id, events.c.position == erasure.position
            )
        ).one_or_none()
        # The column's type already decodes the event id to a UUID on every dialect.
        if held is None or (held.event_id, stored_bytes(held.leaf_hash)) != (
            erasure.event_id,
            erasure.leaf_hash,
        ):
            raise HistoryMismatchError(
                f"a delivered redaction names event {erasure.event_id} at position "
                f"{erasure.position}, which this ledger does not hold there; nothing was erased",
                position=erasure.position,
            )
        if held.salt is None and held.payload == erasure.payload:
            continue  # applied by an earlier delivery
        write_erasure(
            conn,
            ledger_id,
            erasure.position,
            erasure.event_id,
            erasure.payload,
            erasure.commitments,
        )
        changed += 1
    return changed
