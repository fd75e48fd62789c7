"""Sync through a file, for offices without a network link to the receiving database.

:func:`deliver` writes what :func:`civicledger.sync.push` would send — the rows
since the last seal the receiver holds, in batches with the sender's root and a
consistency proof from that seal, the seals, and the sender's erasures — to a
delivery file (:mod:`civicledger.delivery`); :func:`receive` checks the whole
file against the replica and then feeds its batches to the same
:meth:`civicledger.store.sql.SqlStore.receive` a push uses. See
``docs/rollups.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from civicledger.audit.auditor import Auditor
from civicledger.audit.checkpoint import Seal
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
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.proofs import consistency_proof, subtree_hash
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier
from civicledger.merkle.verify import verify_consistency
from civicledger.sync import (
    BATCH,
    PushResult,
    SyncSource,
    check_batch,
    replica_row,
    sender_seals,
)
from civicledger.sync_redactions import receive_erasures, sender_erasures

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from civicledger.events import Codec
    from civicledger.store.sql import SqlStore


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
    source: SyncSource, path: str | Path, *, since: Seal | str | None = None, batch: int = BATCH
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
    check_batch(batch)
    alg = hash_algorithm(source.hash_algorithm)
    reader = source.store.node_reader()
    end = source.head()
    start, start_root, held = 0, b"", ""
    if since is not None:
        seal = since if isinstance(since, Seal) else Seal.parse(since)
        _check_own_seal(source, alg, reader, seal, end)
        start, start_root, held = seal.tree_size, seal.root_hash, seal.text
    rows = source.store.row_source()

    def batches() -> Iterator[DeliveryBatch]:
        position = start
        while position < end:
            last = min(end, position + batch)
            yield DeliveryBatch(
                [replica_row(r) for r in rows.rows(position + 1, last)],
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
    seals = [s for s in sender_seals(source, start) if s.text != held]
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
                f"{name!r} does not hold; ask the sender for a delivery since the replica's "
                f"latest seal (size {latest}); nothing was written",
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
            held_rows = target.row_source().rows(first, min(head, chunk.tree_size))
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
    source: SyncSource, alg: HashAlgorithm, reader: NodeReader, seal: Seal, end: int
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


__all__ = ["DeliveryResult", "deliver", "receive"]
