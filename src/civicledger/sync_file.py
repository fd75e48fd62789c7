"""Sync through a file, for offices without a network link to the receiving database.

:func:`deliver` writes what :func:`civicledger.sync.push` would send — the rows
since the last seal the receiver holds, in batches with the sender's root and a
consistency proof from that seal, the seals, the sender's erasures and the
cosignatures of its seals — to a delivery file (:mod:`civicledger.delivery`);
:func:`receive` checks the whole file against the replica, and every
cosignature as push and verify do, and then feeds its batches to the same
:meth:`civicledger.store.sql.SqlStore.receive` a push uses and keeps the
cosignatures as push keeps them. See ``docs/rollups.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from civicledger.audit.auditor import Auditor
from civicledger.audit.checkpoint import Seal
from civicledger.audit.cosign import Cosignature
from civicledger.delivery import (
    Delivery,
    DeliveryBatch,
    DeliveryCosignature,
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
from civicledger.events.redaction import REDACTION_EVENT_TYPE
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.proofs import consistency_proof, subtree_hash
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier
from civicledger.merkle.verify import verify_consistency
from civicledger.store.rows import StoredPayload, StoredRow
from civicledger.sync import (
    BATCH,
    PushResult,
    SyncSource,
    check_batch,
    replica_row,
    sender_seals,
)
from civicledger.sync_redactions import check_erasures, receive_erasures, sender_erasures

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
        cosignatures: how many cosignatures of the sender's seals it carries.
    """

    path: Path
    events: int
    seals: int
    erasures: int
    since: int
    head: int
    cosignatures: int = 0


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
    # Every cosignature, as push sends them: the receiver may lack one of a seal it
    # received long ago (cosigned since), and skips those it holds.
    cosignatures = [
        DeliveryCosignature(
            c.seal.tree_size,
            c.seal.root_hash,
            format_timestamp(c.seal.sealed_at),
            c.verifier.to_text(),
            c.line,
        )
        for c in source.cosignatures()
        if c.seal.sealed_at is not None  # a seal without its time is not delivered either
    ]
    target = Path(path)
    events = write_delivery(target, header, seals, batches(), erasures, cosignatures)
    return DeliveryResult(target, events, len(seals), len(erasures), start, end, len(cosignatures))


def receive(
    path: str | Path,
    target_url: str | URL,
    *,
    ledger: str | None = None,
    codec: Codec | None = None,
    progress: Callable[[int], None] | None = None,
) -> PushResult:
    """Apply a delivery file to a replica, with the guarantees of :func:`push`.

    The whole file is checked first (every line, every row against its leaf,
    every cosignature against the seal it names, every erasure against the row the
    replica holds or the file brings, and the redaction events); then its batches
    are applied, each in one transaction, then its cosignatures are kept
    (append-only, each once), so an interrupted receive resumes when the same file
    is received again, and receiving it again changes nothing.

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
            position), a cosignature names a seal neither the file nor the replica
            holds or cannot be read (naming the line, seal and cosigner), an erasure
            is not one the redaction events allow (naming the position), or the
            target ledger is not a replica of the file's ledger; nothing is written.
        VerificationError: a cosignature does not verify (naming the line, seal
            and cosigner); nothing is written.
        HistoryMismatchError: the replica does not hold the seal the file was
            made since, or holds a history that differs (naming the first
            differing position), or an erasure names a row it does not hold;
            nothing is written.
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
        # A first delivery: checked before the replica is created.
        _check_against_replica(delivery, None)
        _delivered_cosignatures(delivery, [])
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
        try:
            check_erasures(target, delivery.erasures, *_coming(delivery, target.head()))
        except HistoryMismatchError as e:
            raise HistoryMismatchError(f"{path}: {e}", position=e.position) from e
        except ValidationError as e:
            raise ValidationError(f"{path}: {e.message}", field=e.field) from e
        cosignatures = _delivered_cosignatures(delivery, held_seals)
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
        # Checked above; kept as push keeps them (each checked again by the store's auditor).
        cosigned = sum(received.store_cosignature(c) for c in cosignatures)
        return PushResult(
            ledger=target.ledger_name,
            events=events,
            seals=len(received.seals()) - len(held_seals),
            head=target.head(),
            erasures=receive_erasures(target, delivery.erasures),
            cosignatures=cosigned,
        )
    finally:
        target.close()


def _coming(delivery: Delivery, head: int) -> tuple[list[StoredPayload], dict[int, StoredRow]]:
    """The redaction events a delivery brings past the replica's head, and the rows it
    brings at the positions its erasures name (the file is read again only when it
    carries erasures)."""
    redactions: list[StoredPayload] = []
    named_rows: dict[int, StoredRow] = {}
    if not delivery.erasures:
        return redactions, named_rows
    named = {e.position for e in delivery.erasures if e.position > head}
    for chunk in delivery.batches():
        for row in chunk.rows:
            if row.position > head and row.type == REDACTION_EVENT_TYPE:
                redactions.append(StoredPayload(row.position, row.stored().payload))
            if row.position in named:
                named_rows[row.position] = row.stored()
    return redactions, named_rows


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


def _delivered_cosignatures(delivery: Delivery, held: Sequence[Seal]) -> list[Cosignature]:
    """Read and check every cosignature a delivery carries, before anything is written.

    Each must name a seal the file brings or the replica holds (by its size, root
    and time), and is then read and verified exactly as push and verify do
    (:meth:`Cosignature.parse`, then :meth:`Cosignature.check`).

    Raises:
        ValidationError: a cosignature names an unknown seal or cannot be read,
            naming the line, the seal's size and the cosigner.
        VerificationError: a cosignature does not verify, named likewise.
    """
    if not delivery.cosignatures:
        return []
    # By what a cosignature line names: a held seal, or the text of one the file brings.
    seals: dict[tuple[int, bytes, str], Seal | str] = {
        (s.tree_size, s.root_hash, format_timestamp(s.sealed_at)): s
        for s in held
        if s.sealed_at is not None
    }
    for brought in delivery.seals:
        seals.setdefault((brought.tree_size, brought.root_hash, brought.sealed_at), brought.text)
    result = []
    for line in delivery.cosignatures:
        where = f"{delivery.path}, line {line.line}"
        held_or_text = seals.get((line.tree_size, line.root_hash, line.sealed_at))
        if held_or_text is None:
            raise ValidationError(
                f"{where}: the cosignature by {line.signer!r} names a seal of size "
                f"{line.tree_size} (root {line.root_hash.hex()}, sealed at {line.sealed_at}) "
                "that neither the file nor the replica holds; refused, nothing was written",
                field="cosignature",
            )
        seal = Seal.parse(held_or_text) if isinstance(held_or_text, str) else held_or_text
        try:
            cosignature = Cosignature.parse(seal, line.verifier, line.signature)
            cosignature.check()
        except ValidationError as e:
            raise ValidationError(
                f"{where}: the cosignature by {line.signer!r} of the seal at size "
                f"{line.tree_size} cannot be read ({e.message}); refused, nothing was written",
                field="cosignature",
            ) from e
        except VerificationError as e:
            raise VerificationError(f"{where}: {e}; refused, nothing was written") from e
        result.append(cosignature)
    return result


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
