"""Sync: deliver a ledger's events and seals to a replica that cannot be made to rewrite them.

:func:`push` opens (creating on first delivery) a replica of the sending ledger
in the target database — same origin, hash algorithm and leaf format — and sends
what it lacks, in batches. Without a network link, :func:`deliver` writes the
same batches to a delivery file (:mod:`civicledger.delivery`) since the last
seal the receiver holds, and :func:`receive` applies it there. Either way the
replica's store checks every row and the roots itself
(:meth:`civicledger.store.sql.SqlStore.receive`), and the sender's erasures
follow its redactions (:mod:`civicledger.sync_redactions`); this module reads
the sender and finds, when the histories differ, the first position where they
do. See ``docs/rollups.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from civicledger.audit.auditor import Auditor
from civicledger.audit.checkpoint import Seal
from civicledger.audit.rows import StoredRow, row_source
from civicledger.delivery import (
    Delivery,
    DeliveryBatch,
    DeliveryHeader,
    read_delivery,
    write_delivery,
)
from civicledger.errors import (
    HistoryMismatchError,
    LedgerNotFoundError,
    ValidationError,
    VerificationError,
)
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.proofs import consistency_proof, subtree_hash
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier
from civicledger.merkle.verify import verify_consistency
from civicledger.store.replica import ReplicaRow, ReplicaSeal
from civicledger.sync_redactions import receive_erasures, sender_erasures

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from civicledger.events import Codec
    from civicledger.ledger import Ledger
    from civicledger.store.sql import SqlStore

BATCH = 2000
"""Rows per delivery transaction: an interrupted push loses at most one batch of work."""


@attrs.frozen
class PushResult:
    """What a push, or a received delivery file, delivered.

    Attributes:
        ledger: the replica's name in the target database.
        events: how many events were new to the replica.
        seals: how many seals were new to it.
        head: the replica's head afterwards (the sender's head).
        erasures: how many rows were erased as the sender's redactions erased them.
    """

    ledger: str
    events: int
    seals: int
    head: int
    erasures: int = 0


def push(
    source: Ledger,
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
            ledger, or ``batch`` is not a positive int.
        StoreError: a database failed; what was delivered before stays, and a
            later push resumes.
    """
    from civicledger.store.sql import SqlStore

    _check_batch(batch)
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
    source: Ledger, target: SqlStore, batch: int, progress: Callable[[int], None] | None
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
    seals = _seals(source, 0)
    rows = row_source(source.store)
    received = Auditor(target)
    held_before = len(received.seals())
    delivered = 0
    position = start
    while True:
        last = min(end, position + batch)
        chunk = [_replica_row(r) for r in rows.rows(position + 1, last)] if last > position else []
        delivered += _receive(target, received, alg, reader, chunk, last, seals)
        position = last
        if progress is not None:
            progress(position)
        if position >= end:
            break
    return PushResult(
        ledger=target.ledger_name,
        events=delivered,
        seals=len(received.seals()) - held_before,
        head=target.head(),
        erasures=receive_erasures(target, sender_erasures(source.store, end)),
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


@attrs.frozen
class DeliveryResult:
    """What a delivery file holds.

    Attributes:
        path: the file.
        events: how many events it carries.
        seals: how many seals.
        erasures: how many erased rows (the sender's redactions).
        since: the tree size of the seal it was made since (0: from the first event).
        head: the sender's head it brings the receiver to.
    """

    path: Path
    events: int
    seals: int
    erasures: int
    since: int
    head: int


def deliver(
    source: Ledger, path: str | Path, *, since: Seal | str | None = None, batch: int = BATCH
) -> DeliveryResult:
    """Write a delivery file: what a replica holding the seal ``since`` lacks.

    Args:
        source: the sending ledger.
        path: the file to write (replaced only once it is whole).
        since: the last seal the receiver holds (a Seal or its text); None for
            everything from the first event (a first delivery).
        batch: rows per batch; the receiver applies each in one transaction.

    Returns:
        What the file holds.

    Raises:
        ValidationError: ``since`` is not a seal of this ledger (another origin, or
            a root this ledger never had at that size), or ``batch`` is not a
            positive int.
        OSError: the file cannot be written.
    """
    _check_batch(batch)
    alg = hash_algorithm(source.hash_algorithm)
    reader = source.store.node_reader()
    end = source.head()
    start, start_root, held = 0, b"", ""
    if since is not None:
        seal = since if isinstance(since, Seal) else Seal.parse(since)
        _check_own_seal(source, alg, reader, seal, end)
        start, start_root, held = seal.tree_size, seal.root_hash, seal.text
    rows = row_source(source.store)

    def batches() -> Iterator[DeliveryBatch]:
        position = start
        while position < end:
            last = min(end, position + batch)
            yield DeliveryBatch(
                [_replica_row(r) for r in rows.rows(position + 1, last)],
                last,
                subtree_hash(alg, reader, 0, last),
                consistency_proof(alg, reader, start, last) if start else [],
            )
            position = last

    header = DeliveryHeader(
        ledger=source.name,
        origin=source.origin,
        hash_algorithm=source.hash_algorithm,
        leaf_version=source.store.leaf_version,
        since_size=start,
        since_root=start_root,
        tree_size=end,
        root_hash=subtree_hash(alg, reader, 0, end),
    )
    seals = [s for s in _seals(source, start) if s.text != held]
    erasures = sender_erasures(source.store, end)
    target = Path(path)
    events = write_delivery(target, header, seals, batches(), erasures)
    return DeliveryResult(target, events, len(seals), len(erasures), start, end)


def receive(
    path: str | Path,
    target_url: str | URL,
    *,
    ledger: str | None = None,
    codec: Codec | None = None,
    progress: Callable[[int], None] | None = None,
) -> PushResult:
    """Apply a delivery file to a replica, with the guarantees of :func:`push`.

    The whole file is checked first (every line, every row against its leaf);
    then its batches are applied, each in one transaction, so an interrupted
    receive resumes when the same file is received again, and receiving it again
    changes nothing.

    Args:
        path: the delivery file.
        target_url: the receiving database (SQLite or PostgreSQL URL).
        ledger: the replica's name there; the sender's name (in the file) when None.
        codec: decodes payloads (its registry traces redacted field names); the
            default codec when None.
        progress: called with the replica's head after each batch.

    Returns:
        What was new to the replica.

    Raises:
        ValidationError: the file is damaged or truncated (naming the line and
            position), or the target ledger is not a replica of the file's ledger.
        HistoryMismatchError: the replica does not hold the seal the file was
            made since, or holds a history that differs (naming the first
            differing position); nothing is written.
        LedgerNotFoundError: the file continues from a seal, but the replica does
            not exist yet.
        StoreError: a database failed; what was applied stays, and receiving the
            file again resumes.
    """
    from civicledger.store.sql import SqlStore

    delivery = read_delivery(Path(path))
    header = delivery.header
    name = ledger if ledger is not None else header.ledger

    def open_replica(create: bool) -> SqlStore:
        return SqlStore.open(
            target_url,
            name,
            origin=header.origin,
            hash_algorithm=header.hash_algorithm,
            codec=codec,
            leaf_version=header.leaf_version,
            replica=True,
            create=create,
        )

    try:
        target = open_replica(create=False)
    except LedgerNotFoundError as e:
        if header.since_size:
            raise LedgerNotFoundError(
                f"{path} continues ledger {header.ledger!r} from its seal of size "
                f"{header.since_size}, but the database holds no replica {name!r} yet: "
                f"receive a first delivery (made without a seal) first ({e})"
            ) from e
        _check_against_replica(delivery, None)  # a first delivery: checked before creating
        target = open_replica(create=True)
    try:
        received = Auditor(target)
        held_seals = received.seals()
        if header.since_size and not any(
            (s.tree_size, s.root_hash) == (header.since_size, header.since_root) for s in held_seals
        ):
            latest = max((s.tree_size for s in held_seals), default=0)
            raise HistoryMismatchError(
                f"{path} was made since a seal of size {header.since_size} that replica "
                f"{name!r} does not hold (its latest seal has size {latest}); ask the sender "
                "for a delivery since that one; nothing was written",
                position=None,
            )
        _check_against_replica(delivery, target)
        seals = delivery.seals
        events = 0
        # A file without new events still brings seals (of the size it was made since).
        empty = DeliveryBatch([], header.tree_size, header.root_hash, [])
        for chunk in delivery.batches() if delivery.events else iter([empty]):
            events += target.receive(
                chunk.rows,
                root=chunk.root_hash,
                proof=chunk.proof,
                seals=[s for s in seals if s.tree_size <= chunk.tree_size],
                since=header.since_size,
            )
            if progress is not None:
                progress(chunk.tree_size)
        return PushResult(
            ledger=target.ledger_name,
            events=events,
            seals=len(received.seals()) - len(held_seals),
            head=target.head(),
            erasures=receive_erasures(target, delivery.erasures),
        )
    finally:
        target.close()


def _check_against_replica(delivery: Delivery, target: SqlStore | None) -> None:
    """Check every batch of a delivery against the replica before anything is written.

    Rows the replica holds must be its rows (else the first differing position is
    named); from the seal the file was made since, the rows must give each
    batch's root, and each batch's proof must extend that seal. So a file that was
    altered anywhere, or whose history differs, writes nothing.
    """
    header = delivery.header
    head = 0 if target is None else target.head()
    if target is not None and head > header.tree_size:
        raise HistoryMismatchError(
            f"the replica {target.ledger_name!r} holds {head} events but the delivery only "
            f"{header.tree_size}: from position {header.tree_size + 1} it has events the "
            "sender never sent; refused, nothing was written",
            position=header.tree_size + 1,
        )
    alg = hash_algorithm(header.hash_algorithm)
    frontier = (
        Frontier.empty(alg)
        if target is None
        else _frontier_at(alg, target.node_reader(), header.since_size)
    )
    for chunk in delivery.batches():
        first = chunk.rows[0].position
        if target is not None and first <= head:
            held_rows = row_source(target).rows(first, min(head, chunk.tree_size))
            for ours, theirs in zip(held_rows, chunk.rows, strict=False):
                if ours.leaf_hash != theirs.leaf_hash:
                    raise HistoryMismatchError(
                        f"position {theirs.position} of the replica {target.ledger_name!r} "
                        "differs from the delivery's: the histories diverge, so the delivery "
                        "is refused and nothing was written",
                        position=theirs.position,
                    )
        frontier.extend(r.leaf_hash for r in chunk.rows)
        where = f"{delivery.path}: the batch ending at position {chunk.tree_size}"
        if frontier.root() != chunk.root_hash:
            raise ValidationError(
                f"{where} gives a root its rows do not give; the file was altered, nothing "
                "was written",
                field="root_hash",
            )
        if header.since_size:
            try:
                verify_consistency(
                    alg,
                    header.since_size,
                    chunk.tree_size,
                    chunk.proof,
                    header.since_root,
                    chunk.root_hash,
                )
            except (VerificationError, ValidationError) as e:
                raise ValidationError(
                    f"{where} has a proof that does not extend the seal of size "
                    f"{header.since_size} ({e}); the file was altered, nothing was written",
                    field="proof",
                ) from e


def _frontier_at(alg: HashAlgorithm, reader: NodeReader, size: int) -> Frontier:
    """The frontier of a tree's first ``size`` leaves: one subtree per set bit, largest first."""
    hashes, start = [], 0
    for bit in reversed(range(size.bit_length())):
        width = 1 << bit
        if size & width:
            hashes.append(subtree_hash(alg, reader, start, start + width))
            start += width
    return Frontier(alg, size, hashes)


def _check_own_seal(
    source: Ledger, alg: HashAlgorithm, reader: NodeReader, seal: Seal, end: int
) -> None:
    if seal.origin != source.origin:
        raise ValidationError(
            f"the seal is of {seal.origin!r}, not of this ledger ({source.origin!r})",
            field="since",
        )
    if seal.tree_size > end or subtree_hash(alg, reader, 0, seal.tree_size) != seal.root_hash:
        raise ValidationError(
            f"the seal of size {seal.tree_size} is not a state of this ledger (it has "
            f"{end} events, and its root at that size differs): the receiver holds a "
            "history this ledger did not make",
            field="since",
        )


def _seals(source: Ledger, since: int) -> list[ReplicaSeal]:
    return [
        ReplicaSeal(s.tree_size, s.root_hash, format_timestamp(s.sealed_at), s.text)
        for s in source.seals()
        if s.sealed_at is not None and s.tree_size >= since
    ]


def _check_batch(batch: object) -> None:
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


def _replica_row(row: StoredRow) -> ReplicaRow:
    occurred = row.occurred_on
    recorded = row.recorded_at
    return ReplicaRow(
        position=row.position,
        stream=row.stream,
        stream_version=row.stream_version,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_on=occurred.isoformat() if isinstance(occurred, date) else occurred,
        recorded_at=format_timestamp(recorded) if isinstance(recorded, datetime) else recorded,
        actor=row.actor,
        payload=None if row.payload is None else row.payload.decode("utf-8"),
        salt=row.salt,
        commitments=None if row.commitments is None else row.commitments.decode("utf-8"),
        payload_digest=row.payload_digest,
        leaf_hash=row.leaf_hash,
    )


__all__ = ["BATCH", "DeliveryResult", "PushResult", "deliver", "push", "receive"]
