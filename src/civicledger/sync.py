"""Sync: deliver a ledger's events, seals and cosignatures to a replica that cannot be made to
rewrite them.

:func:`push` opens (creating on first delivery) a replica of the sending ledger
in the target database — same origin, hash algorithm and leaf format — and sends
what it lacks, in batches. Without a network link, :mod:`civicledger.sync_file`
writes the same batches to a delivery file and applies it there. Either way the
replica's store checks every row and the roots itself
(:meth:`civicledger.store.sql.SqlStore.receive`), and the sender's erasures
follow its redactions (:mod:`civicledger.sync_redactions`); this module reads
the sender and finds, when the histories differ, the first position where they
do. See ``docs/rollups.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

import attrs

from civicledger.audit.auditor import Auditor
from civicledger.errors import HistoryMismatchError, ValidationError
from civicledger.events.redaction import REDACTION_EVENT_TYPE
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.proofs import consistency_proof, subtree_hash
from civicledger.merkle.reader import NodeReader
from civicledger.store.replica import ReplicaRow, ReplicaSeal
from civicledger.store.rows import StoredRow
from civicledger.sync_redactions import (
    check_erasures,
    damaged_row,
    receive_erasures,
    sender_erasures,
    stored_text,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from civicledger.audit import Cosignature, Seal
    from civicledger.store import EventStore
    from civicledger.store.sql import SqlStore

BATCH = 2000
"""Rows per delivery transaction: an interrupted push loses at most one batch of work."""


class SyncSource(Protocol):
    """What :func:`push` reads of the sending ledger; a :class:`civicledger.Ledger` is one."""

    @property
    def store(self) -> EventStore:
        """The ledger's store."""
        ...

    @property
    def name(self) -> str:
        """The ledger's name (the replica's, unless another is given)."""
        ...

    @property
    def origin(self) -> str:
        """The ledger's origin."""
        ...

    @property
    def hash_algorithm(self) -> str:
        """The ledger's hash algorithm."""
        ...

    def head(self) -> int:
        """The ledger's last position."""
        ...

    def seals(self) -> list[Seal]:
        """The ledger's seals, oldest first."""
        ...

    def cosignatures(self) -> list[Cosignature]:
        """The stored cosignatures of the ledger's seals, oldest first."""
        ...


@attrs.frozen
class PushResult:
    """What a push, or a received delivery file, delivered.

    Attributes:
        ledger: the replica's name in the target database.
        events: how many events were new to the replica.
        seals: how many seals were new to it.
        head: the replica's head afterwards (the sender's head).
        erasures: how many rows were erased as the sender's redactions erased them.
        cosignatures: how many cosignatures of those seals were new to it.
    """

    ledger: str
    events: int
    seals: int
    head: int
    erasures: int = 0
    cosignatures: int = 0


def push(
    source: SyncSource,
    target_url: str | URL,
    *,
    ledger: str | None = None,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> PushResult:
    """Send the events and seals the replica lacks; create the replica on first push.

    Re-pushing is a no-op, and a push interrupted between batches resumes where
    the replica's head stopped.

    Args:
        source: the sending ledger.
        target_url: the target database (SQLite or PostgreSQL URL).
        ledger: the replica's name there; the sender's name when None.
        batch: rows per transaction.
        progress: called with the replica's head after each batch.

    Returns:
        What was delivered.

    Raises:
        HistoryMismatchError: the replica holds a history that differs from the
            sender's (naming the first differing position); nothing is written.
        ValidationError: the target ledger exists but is not a replica of this
            ledger, ``batch`` is not a positive int, or an erasure is not one the
            redaction events allow (nothing is written); or a row is refused on
            arrival (naming its position: the batches before it stay delivered).
        DamagedRowError: a row of this ledger holds a value no append writes, so it
            cannot be sent (naming its position; the batches before it stay).
        StoreError: a database failed; what was delivered before stays, and a
            later push resumes.
    """
    from civicledger.store.sql import SqlStore

    check_batch(batch)
    sender = source.store
    name = ledger if ledger is not None else source.name
    target = SqlStore.open(
        target_url,
        name,
        origin=source.origin,
        hash_algorithm=source.hash_algorithm,
        codec=sender.codec,
        leaf_version=sender.leaf_version,
        replica=True,
    )
    try:
        return _deliver(source, target, batch, progress)
    finally:
        target.close()


def _deliver(
    source: SyncSource, target: SqlStore, batch: int, progress: Callable[[int], None] | None
) -> PushResult:
    alg = hash_algorithm(source.hash_algorithm)
    reader = source.store.node_reader()
    end = source.head()
    start = target.head()
    if start > end:
        raise HistoryMismatchError(
            f"the replica {target.ledger_name!r} holds {start} events but this ledger only "
            f"{end}: from position {end + 1} it has events this ledger never sent; refused, "
            "nothing was written",
            position=end + 1,
        )
    if start:
        first = _first_difference(alg, reader, target.node_reader(), start)
        if first is not None:
            raise HistoryMismatchError(
                f"position {first} of the replica {target.ledger_name!r} differs from this "
                "ledger's: the histories diverge, so the push is refused and nothing was "
                "written",
                position=first,
            )
    seals = sender_seals(source, 0)
    rows = source.store.row_source()
    # The erasures are checked before the first batch, with the redaction events the
    # batches bring, so that one no redaction allows writes nothing at all.
    erasures = sender_erasures(source.store, end)
    coming = (r for r in rows.payloads_of_type(REDACTION_EVENT_TYPE, end) if r.position > start)
    named = {e.position for e in erasures if e.position > start}
    check_erasures(target, erasures, coming, {p: r for p in named for r in rows.rows(p, p)})
    received = Auditor(target)
    held_before = len(received.seals())
    delivered = 0
    position = start
    while True:
        last = min(end, position + batch)
        chunk = [replica_row(r) for r in rows.rows(position + 1, last)] if last > position else []
        delivered += _receive(target, received, alg, reader, chunk, last, seals)
        position = last
        if progress is not None:
            progress(position)
        if position >= end:
            break
    # Each one is checked before it is kept; the street's own cosignatures of its replica
    # stay beside them.
    cosigned = sum(received.store_cosignature(c) for c in source.cosignatures())
    return PushResult(
        ledger=target.ledger_name,
        events=delivered,
        seals=len(received.seals()) - held_before,
        head=target.head(),
        erasures=receive_erasures(target, erasures),
        cosignatures=cosigned,
    )


def _receive(
    target: SqlStore,
    received: Auditor,
    alg: HashAlgorithm,
    reader: NodeReader,
    chunk: list[ReplicaRow],
    last: int,
    seals: list[ReplicaSeal],
) -> int:
    """Deliver one batch with a proof from the replica's latest seal.

    Another push of the same ledger may deliver a newer seal between reading the
    latest seal and delivering; the batch is then refused for its proof, and is
    sent once more with a proof from the seal now latest.
    """
    for attempt in (1, 2):
        sealed = max((s.tree_size for s in received.seals()), default=0)
        try:
            return target.receive(
                chunk,
                root=subtree_hash(alg, reader, 0, last),
                proof=consistency_proof(alg, reader, sealed, last) if 0 < sealed < last else [],
                seals=[s for s in seals if s.tree_size <= last],
            )
        except HistoryMismatchError:
            latest = max((s.tree_size for s in received.seals()), default=0)
            if attempt == 2 or latest == sealed:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def sender_seals(source: SyncSource, since: int) -> list[ReplicaSeal]:
    """The sender's seals of sizes from ``since`` on, as a replica stores them."""
    return [
        ReplicaSeal(s.tree_size, s.root_hash, format_timestamp(s.sealed_at), s.text)
        for s in source.seals()
        if s.sealed_at is not None and s.tree_size >= since
    ]


def check_batch(batch: object) -> None:
    """Refuse a batch size that is not a positive int, naming it."""
    if type(batch) is not int or batch < 1:
        raise ValidationError(f"batch must be a positive int, got {batch!r}", field="batch")


def _first_difference(
    alg: HashAlgorithm, ours: NodeReader, theirs: NodeReader, size: int
) -> int | None:
    """The first position at which two trees of at least ``size`` leaves differ, or None.

    Roots of prefixes differ from the first differing leaf on, so a binary search
    over prefix roots finds it in O(log size) root computations.
    """
    if subtree_hash(alg, ours, 0, size) == subtree_hash(alg, theirs, 0, size):
        return None
    low, high = 1, size  # the prefix of `high` leaves differs
    while low < high:
        middle = (low + high) // 2
        if subtree_hash(alg, ours, 0, middle) == subtree_hash(alg, theirs, 0, middle):
            low = middle + 1
        else:
            high = middle
    return low


def replica_row(row: StoredRow) -> ReplicaRow:
    """A stored row as a replica receives it (text and bytes exactly as stored).

    Raises:
        DamagedRowError: a column holds a value no append writes and no replica row can
            carry (bytes or a number where text belongs, text where an integer does, a
            payload that is not UTF-8): the row was changed around the store. Nothing of
            it is sent; ``verify()`` names the same row.
    """
    stored_date, stored_time = row.occurred_on, row.recorded_at
    occurred = stored_date.isoformat() if isinstance(stored_date, date) else stored_date
    recorded = format_timestamp(stored_time) if isinstance(stored_time, datetime) else stored_time
    for name, value, kind in (
        ("stream", row.stream, str),
        ("stream version", row.stream_version, int),
        ("type", row.type, str),
        ("schema version", row.schema_version, int),
        ("business date", occurred, str),
        ("recording time", recorded, str),
        ("actor", row.actor, str),
    ):
        if value.__class__ is not kind:
            what = "text" if kind is str else "an integer"
            raise damaged_row(row, f"its {name} is not {what} ({value!r})")
    return ReplicaRow(
        position=row.position,
        stream=row.stream,
        stream_version=row.stream_version,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_on=occurred,
        recorded_at=recorded,
        actor=row.actor,
        payload=stored_text(row, "payload", row.payload),
        salt=row.salt,
        commitments=stored_text(row, "commitments", row.commitments),
        payload_digest=row.payload_digest,
        leaf_hash=row.leaf_hash,
    )


__all__ = ["BATCH", "PushResult", "push"]
