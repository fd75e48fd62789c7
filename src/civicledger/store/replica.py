"""Receiving rows another ledger recorded: check each one, then extend the tree.

A replica keeps the sender's rows exactly — positions, event ids, ``recorded_at``,
salts, digests and leaf hashes — so its leaves and roots are the sender's. The
store therefore cannot plan these rows as it plans an append (which numbers,
stamps and salts them itself); :func:`plan_receive` instead recomputes every
leaf from the row's envelope and checks it, and checks each unredacted payload
against its digest, before anything is written. Backends apply the plan under
their write lock, as they apply an append.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date

import attrs
import orjson

from civicledger.errors import HistoryMismatchError, ValidationError, VerificationError
from civicledger.events.redaction import REDACTED_KEY, is_redacted_text
from civicledger.events.text import format_timestamp, parse_timestamp
from civicledger.merkle import disclosure, leaf
from civicledger.merkle.commitments import Commitments
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.tree import Frontier, Node
from civicledger.merkle.verify import verify_consistency
from civicledger.store.rows import StoredRow


@attrs.frozen
class ReplicaRow:
    """One event row exactly as the sending ledger stores it.

    Attributes:
        position: its position in the sender's ledger.
        stream: its stream.
        stream_version: its version in the stream.
        event_id: its id.
        type: its stored type name.
        schema_version: its payload's schema version.
        occurred_on: the business date, ``YYYY-MM-DD``.
        recorded_at: when the sender recorded it, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
        actor: who recorded it.
        payload: the canonical JSON payload, the remainder of a redacted one, or None.
        salt: the salt (v1) or event secret (v2); None after a redaction.
        commitments: what a v2 redaction keeps (hashing.md §1a), or None.
        payload_digest: the payload digest the leaf commits to.
        leaf_hash: the leaf hash.
    """

    position: int
    stream: str
    stream_version: int
    event_id: uuid.UUID
    type: str
    schema_version: int
    occurred_on: str
    recorded_at: str
    actor: str
    payload: str | None
    salt: bytes | None
    commitments: str | None
    payload_digest: bytes
    leaf_hash: bytes

    def stored(self) -> StoredRow:
        """The row as a replica holds it once received, for the checks made before then."""
        return StoredRow(
            position=self.position,
            stream=self.stream,
            stream_version=self.stream_version,
            event_id=self.event_id,
            type=self.type,
            schema_version=self.schema_version,
            occurred_on=self.occurred_on,
            recorded_at=self.recorded_at,
            actor=self.actor,
            payload=None if self.payload is None else self.payload.encode("utf-8"),
            salt=self.salt,
            payload_digest=self.payload_digest,
            leaf_hash=self.leaf_hash,
            commitments=None if self.commitments is None else self.commitments.encode("utf-8"),
        )


@attrs.frozen
class ReplicaSeal:
    """A seal the sender holds, as its seals table keeps it.

    Attributes:
        tree_size: the seal's tree size.
        root_hash: its root hash.
        sealed_at: when it was made, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
        text: the whole seal text (checkpoint and signatures), kept verbatim.
    """

    tree_size: int
    root_hash: bytes
    sealed_at: str
    text: str


@attrs.frozen
class ReplicaErasure:
    """What a redaction in the sending ledger left of one row, to erase the same in a replica.

    Attributes:
        position: the row's position.
        event_id: its event id (with the leaf hash, it names the row the sender erased).
        leaf_hash: its leaf hash.
        payload: the canonical JSON remainder, or None when the whole payload went.
        commitments: what a v2 redaction keeps (hashing.md §1a), or None (v1).
    """

    position: int
    event_id: uuid.UUID
    leaf_hash: bytes
    payload: str | None
    commitments: str | None


def anchor_seal(held: Iterable[tuple[int, bytes]], since: int | None) -> tuple[int, bytes] | None:
    """The held seal a delivery's consistency proof starts from.

    Args:
        held: the receiver's seals as (tree size, root).
        since: None for the latest held seal (a push); 0 for none (a delivery from
            position 1 brings every leaf, so it is checked leaf by leaf); otherwise
            the size of the held seal a delivery file was made since.

    Returns:
        The seal as (tree size, root), or None when the proof starts from nothing.

    Raises:
        HistoryMismatchError: no held seal has the size ``since`` names.
    """
    seals = list(held)
    if since is None:
        return max(seals, default=None)
    if since == 0:
        return None
    for seal in seals:
        if seal[0] == since:
            return seal
    raise HistoryMismatchError(
        f"the delivery was made since a seal of size {since}, which this ledger does not "
        "hold; make it again since a seal the receiver holds (its latest); nothing was written",
        position=None,
    )


@attrs.frozen
class ReceivePlan:
    """What a delivery writes.

    Attributes:
        rows: the rows new to the receiver, in position order.
        nodes: the interior nodes the new leaves complete (to store as tiles).
        frontier: the frontier after the new leaves.
        roots: the root at each asked-for size among the new positions (to check seals).
    """

    rows: list[ReplicaRow]
    nodes: list[Node]
    frontier: Frontier
    roots: dict[int, bytes]


def plan_receive(
    rows: Sequence[ReplicaRow],
    *,
    origin: str,
    alg: HashAlgorithm,
    leaf_version: int,
    head: int,
    frontier: Frontier,
    stored_leaves: Mapping[int, bytes],
    held_root: Callable[[int], bytes],
    versions: Mapping[str, int],
    root: bytes,
    seal: tuple[int, bytes] | None,
    proof: Sequence[bytes],
    roots_at: Collection[int] = (),
) -> ReceivePlan:
    """Check a delivery against the receiver's state; call it under the write lock.

    Args:
        rows: consecutive rows, the first at a position <= ``head + 1``.
        origin: the ledger's origin (the sender's: a replica shares it).
        alg: the ledger's hash algorithm.
        leaf_version: the ledger's leaf format.
        head: the receiver's head now.
        frontier: the receiver's frontier now; it is advanced in place.
        stored_leaves: the receiver's leaf hashes at the delivered positions <= ``head``.
        held_root: the receiver's root at a size below its head (for a delivery that
            ends inside what is held).
        versions: the receiver's version of every stream among the new rows.
        root: the sender's root at the delivery's last position.
        seal: the receiver's latest seal as (tree size, root), if it holds one.
        proof: the sender's consistency proof from that seal's size to the last position.
        roots_at: sizes whose roots the plan reports, where they are new positions.

    Returns:
        The plan (no new rows when everything delivered is already held).

    Raises:
        HistoryMismatchError: a delivered row differs from the one held at its
            position, or the roots or the proof do not show that the delivery
            extends what the receiver holds; nothing may be written.
        ValidationError: the rows are not consecutive, or a row does not hash to
            its leaf (its envelope, payload or digest was altered).
    """
    new: list[ReplicaRow] = []
    nodes: list[Node] = []
    roots: dict[int, bytes] = {}
    current = dict(versions)
    expected = rows[0].position if rows else head + 1
    if expected < 1 or expected > head + 1:
        raise ValidationError(
            f"the delivery starts at position {expected} but the ledger's head is {head}; "
            f"it must start at or before position {head + 1}",
            field="rows",
        )
    for row in rows:
        if row.position != expected:
            raise ValidationError(
                f"the delivery jumps from position {expected - 1} to {row.position}; rows "
                "must be consecutive",
                field="rows",
            )
        expected += 1
        if row.position <= head:
            if stored_leaves.get(row.position) != row.leaf_hash:
                raise HistoryMismatchError(
                    f"position {row.position} differs from the event this ledger already "
                    f"received there; the delivery rewrites history and is refused, "
                    "nothing was written",
                    position=row.position,
                )
            continue
        check_row(row, origin=origin, alg=alg, leaf_version=leaf_version)
        actual = current.get(row.stream, 0)
        if row.stream_version != actual + 1:
            raise ValidationError(
                f"position {row.position}: stream {row.stream!r} is at version {actual} "
                f"but the row has version {row.stream_version}",
                field="stream_version",
            )
        current[row.stream] = row.stream_version
        completed = frontier.append(row.leaf_hash)
        if completed:
            nodes.extend(completed)
        if row.position in roots_at:
            roots[row.position] = frontier.root()
        new.append(row)
    size = expected - 1  # the delivery's last position: the size ``root`` is the root of
    held = frontier.root() if size >= head else held_root(size)
    if held != root:
        raise HistoryMismatchError(
            f"the sender's root at size {size} is not the root of the rows this ledger "
            f"holds with the delivery: the histories differ at or before position "
            f"{min(head, size)}; nothing was written",
            position=None,
        )
    if seal is not None and seal[0] < size:
        sealed_size, sealed_root = seal
        try:
            verify_consistency(alg, sealed_size, size, list(proof), sealed_root, root)
        except (VerificationError, ValidationError) as e:
            raise HistoryMismatchError(
                f"the consistency proof does not show that size {size} extends this "
                f"ledger's last seal (size {sealed_size}): {e}; nothing was written",
                position=None,
            ) from e
    return ReceivePlan(rows=new, nodes=nodes, frontier=frontier, roots=roots)


def check_delivery(rows: object, root: object, proof: object, seals: object) -> None:
    """Check the types of a delivery before anything is read or locked.

    Raises:
        ValidationError: naming the argument (and the index of a bad item).
    """
    for name, items, kind in (
        ("rows", rows, ReplicaRow),
        ("proof", proof, bytes),
        ("seals", seals, ReplicaSeal),
    ):
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise ValidationError(f"{name} must be a list, got {type(items).__name__}", field=name)
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise ValidationError(
                    f"{name}[{i}] is a {type(item).__name__}, not a {kind.__name__}", field=name
                )
    if not isinstance(root, bytes):
        raise ValidationError(f"root must be bytes, got {type(root).__name__}", field="root")


def check_row(row: ReplicaRow, *, origin: str, alg: HashAlgorithm, leaf_version: int) -> None:
    """Recompute a row's leaf from its envelope, and its payload digest when it has a payload.

    A redacted row (no salt) must have a redaction's shape: no payload or a payload in
    the redacted form, and commitments if and only if the leaf format is v2, where the
    remaining values with their salts and the kept digests must give the payload
    digest. Whether a recorded redaction names what is gone cannot be checked here
    (its event may come in a later batch); ``verify()`` checks it.

    Raises:
        ValidationError: the row does not hash to its leaf hash or digest, or has neither an
            intact nor a redacted shape; the message names its position.
    """
    where = f"position {row.position} (event {row.event_id})"
    try:
        recorded_at = parse_timestamp(row.recorded_at)
        if format_timestamp(recorded_at) != row.recorded_at:
            raise ValidationError(f"recorded_at {row.recorded_at!r} is not in canonical form")
        envelope = leaf.envelope_bytes(
            origin=origin,
            position=row.position,
            stream=row.stream,
            stream_version=row.stream_version,
            event_id=row.event_id,
            type=row.type,
            schema_version=row.schema_version,
            occurred_on=_date(row.occurred_on),
            recorded_at=recorded_at,
            actor=row.actor,
            payload_digest=row.payload_digest,
            hash_name=alg.name,
            version=leaf_version,
        )
    except ValidationError as e:
        raise ValidationError(f"{where}: {e.message}", field=e.field) from e
    if leaf.leaf_hash(alg, envelope) != row.leaf_hash:
        raise ValidationError(
            f"{where}: the leaf hash is not the hash of the row's envelope; the row was altered",
            field="leaf_hash",
        )
    if row.salt is None:
        _check_redacted_shape(row, where, alg, leaf_version)
        return
    if row.payload is None or is_redacted_text(row.payload) or row.commitments is not None:
        if row.commitments is not None:
            what = "the row keeps its salt and redaction commitments"
        elif row.payload is None:
            what = "the row keeps its salt but has no payload"
        else:
            what = "the row keeps its salt but its payload is in the redacted form"
        raise ValidationError(
            f"{where}: {what}; a redaction removes the salt with the values", field="salt"
        )
    data = _payload(row.payload, where)
    if leaf_version == disclosure.LEAF_V2:
        digest = disclosure.digest_of_payload(alg, row.salt, data)
    else:
        digest = leaf.payload_digest(alg, row.salt, row.payload.encode("utf-8"))
    if digest != row.payload_digest:
        raise ValidationError(
            f"{where}: the payload does not give the row's payload digest; the payload was altered",
            field="payload",
        )


def _check_redacted_shape(
    row: ReplicaRow, where: str, alg: HashAlgorithm, leaf_version: int
) -> None:
    """Refuse a row without its salt that is not in a redaction's shape: what an erasure
    leaves of a payload, and commitments exactly where the leaf format keeps them, which
    (v2) with the remainder give the row's payload digest."""
    if not is_redacted_text(row.payload):
        raise ValidationError(
            f"{where}: the salt is missing but the payload is whole; a redaction removes both",
            field="salt",
        )
    v2 = leaf_version == disclosure.LEAF_V2
    if (row.commitments is not None) != v2:
        why = "keeps no commitments" if v2 else "keeps commitments, which only leaf format v2 has"
        raise ValidationError(f"{where}: the redacted row {why}", field="commitments")
    if row.commitments is not None:
        _check_v2_remainder(row, row.commitments, where, alg)


def _check_v2_remainder(row: ReplicaRow, commitments: str, where: str, alg: HashAlgorithm) -> None:
    """Refuse a redacted v2 row whose remaining values, salts and kept digests do not give
    its payload digest: the one check of a redaction that needs no redaction event."""
    try:
        remainder = None if row.payload is None else orjson.loads(row.payload)
    except orjson.JSONDecodeError as e:
        raise ValidationError(
            f"{where}: the redacted payload is not JSON ({e})", field="payload"
        ) from e
    if remainder is not None and not (
        isinstance(remainder, dict) and isinstance(remainder.get(REDACTED_KEY), list)
    ):
        raise ValidationError(
            f"{where}: the redacted payload is not an object listing its removed fields under "
            f'"{REDACTED_KEY}"',
            field="payload",
        )
    try:
        kept = Commitments.parse(commitments, alg.digest_size)
    except ValidationError as e:
        raise ValidationError(f"{where}: {e.message}", field="commitments") from e
    digests, unsalted = kept.field_digests(alg, remainder)
    if unsalted or disclosure.payload_digest_v2(alg, digests) != row.payload_digest:
        raise ValidationError(
            f"{where}: the remaining values with their salts and the kept digests do not give "
            "the row's payload digest; a remaining value, salt or kept digest was changed",
            field="payload",
        )


def _payload(text: str, where: str) -> dict[str, object]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"{where}: the payload is not JSON ({e})", field="payload") from e
    if not isinstance(data, dict) or orjson.dumps(data, option=orjson.OPT_SORT_KEYS) != (
        text.encode("utf-8")
    ):
        raise ValidationError(
            f"{where}: the payload is not a JSON object in canonical form", field="payload"
        )
    return data


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"occurred_on {text!r} is not a date", field="occurred_on") from e
