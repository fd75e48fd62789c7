"""One verification walk over a range of positions: rows checked, leaves folded, level-8 tiles.

``verify()`` splits the ledger into ranges whose first leaf index is a multiple
of 256 (:data:`RANGE_ALIGNMENT`) and walks each one, in this process or in a
worker process. A walk starts a fresh frontier at its first position: because
the range starts on a level-8 boundary, the level-8 nodes it completes are the
ledger's own (shifted by the range's start), and so are the perfect subtrees
below level 8 at any size inside the range. The caller folds the level-8 hashes
of every range, in order, into the tree above them (checking the level-16
tiles on the way) and joins that with a walk's low subtrees to get the frontier
at a seal's size or at the head (RFC 9162 subtree hashes compose).

A walk records what it finds in the order a single pass would find it, with
markers where the caller must act: a :class:`Gap` of missing positions, a
:class:`SealPoint` where a seal's root is due, and a :class:`Deferred` redacted
row (a worker process has no event registry, which checking a redaction may
need, so it hands such rows back).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from civicledger.audit.intact import IntactRows
from civicledger.audit.payloads import RedactionIndex, check_payload
from civicledger.audit.problems import Problem, ProblemKind
from civicledger.audit.tiles import AddProblem, TileChecker
from civicledger.errors import DamagedRowError, ValidationError
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier, Node
from civicledger.store.rows import StoredRow

if TYPE_CHECKING:
    from civicledger.store.rows import RowBatch

WALK_LEVEL = 8
"""The level of the stored nodes a walk checks and returns (the lower of STORED_LEVELS)."""

RANGE_ALIGNMENT = 1 << WALK_LEVEL
"""Every range but the first starts after a multiple of this many leaves."""


@attrs.frozen
class Gap:
    """Positions ``first`` to ``last`` have no row."""

    first: int
    last: int


@attrs.frozen
class SealPoint:
    """A seal of ``tree_size`` is due here; ``low`` are the walk's subtree hashes below
    level 8 at that size (meaningless when a position up to it is missing)."""

    tree_size: int
    low: tuple[bytes, ...]


@attrs.frozen
class Deferred:
    """A redacted row whose payload the caller checks (a worker has no registry)."""

    row: StoredRow


Entry = Problem | Gap | SealPoint | Deferred


@attrs.define
class RangeWalk:
    """What a walk over positions ``first`` to ``last`` found.

    Attributes:
        first: the range's first position (one past a multiple of RANGE_ALIGNMENT).
        last: its last position.
        entries: problems and markers, in the order a single pass finds them.
        omitted: problems found beyond the limit, only counted.
        checked: rows read and checked.
        redacted: redacted rows checked here (deferred ones are counted by the caller).
        gapped: whether a position in the range is missing.
        level8: the hashes of the level-8 nodes completed before any missing position.
        low: the subtree hashes below level 8 at the end of the range.
    """

    first: int
    last: int
    entries: list[Entry] = attrs.field(factory=list)
    omitted: int = 0
    checked: int = 0
    redacted: int = 0
    gapped: bool = False
    level8: list[bytes] = attrs.field(factory=list)
    low: tuple[bytes, ...] = ()


class _Entries:
    """Keeps problems up to a limit (counting the rest) and every marker."""

    def __init__(self, walk: RangeWalk, limit: int) -> None:
        self._walk = walk
        self._limit = limit
        self._kept = 0

    def add(self, position: int | None, kind: ProblemKind, detail: str) -> None:
        if self._kept < self._limit:
            self._walk.entries.append(Problem(position, kind, detail))
            self._kept += 1
        else:
            self._walk.omitted += 1

    def mark(self, entry: Gap | SealPoint | Deferred) -> None:
        self._walk.entries.append(entry)


def walk_range(
    batches: Iterable[RowBatch],
    *,
    first: int,
    last: int,
    origin: str,
    alg: HashAlgorithm,
    leaf_version: int,
    index: RedactionIndex,
    reader: NodeReader | None,
    seal_sizes: Sequence[int],
    max_problems: int,
    defer_redacted: bool,
) -> RangeWalk:
    """Check the rows with positions ``first`` to ``last`` and fold their leaves.

    Args:
        batches: the stored rows of the range, in position order.
        first: the range's first position; ``first - 1`` is a multiple of RANGE_ALIGNMENT.
        last: its last position.
        origin: the ledger's origin.
        alg: its hash algorithm.
        leaf_version: its leaf format.
        index: the ledger's redactions.
        reader: reads the stored level-8 nodes to compare; None skips that check.
        seal_sizes: the sizes of the seals due in this walk, ascending.
        max_problems: problems to keep (the rest are counted).
        defer_redacted: hand redacted rows back instead of checking their payload.

    Returns:
        The walk.
    """
    if (first - 1) % RANGE_ALIGNMENT:
        raise ValidationError(f"a verification range cannot start at position {first}")
    walker = _Walker(
        RangeWalk(first, last), origin, alg, leaf_version, index, reader, seal_sizes, max_problems
    )
    for rows, stored in batches:
        at, end = 0, len(rows)
        while at < end:
            # Most rows are intact: the native module checks a run of them in one call, up
            # to the next seal due. The row that ends the run takes the full row steps.
            at += walker.run(rows, at)
            if at < end:
                try:
                    row = stored(rows[at])
                except DamagedRowError as e:  # a value no row can hold: named, not raised
                    walker.damaged(StoredRow(*rows[at]), e)
                else:
                    walker.row(row, defer_redacted)
                at += 1
    return walker.finish()


class _Walker:
    """The state of one walk: where it is, the frontier, what it found."""

    def __init__(
        self,
        walk: RangeWalk,
        origin: str,
        alg: HashAlgorithm,
        leaf_version: int,
        index: RedactionIndex,
        reader: NodeReader | None,
        seal_sizes: Sequence[int],
        max_problems: int,
    ) -> None:
        self.walk = walk
        self.found = _Entries(walk, max_problems)
        self.shift = (walk.first - 1) >> WALK_LEVEL
        self.tiles = TileChecker(reader, self.found.add)
        self.pending = list(seal_sizes)
        self.frontier = Frontier.empty(alg)
        self.intact = IntactRows(origin, alg, leaf_version, index)
        self.expected = walk.first
        self.origin, self.alg, self.leaf_version, self.index = origin, alg, leaf_version, index

    def run(self, rows: Sequence[Any], at: int) -> int:
        """Check and fold the run of intact rows from ``rows[at]``; how many it held."""
        pending = self.pending
        leaves = self.intact.run(rows, at, self.expected, pending[0] if pending else self.walk.last)
        if not leaves:
            return 0
        count = len(leaves) // self.alg.digest_size
        self._fold(self.frontier.extend_packed(leaves))
        self.walk.checked += count
        self.expected += count
        return count

    def row(self, row: StoredRow, defer_redacted: bool) -> None:
        """Check one row, naming what is wrong with it, and fold its leaf."""
        walk, found, position = self.walk, self.found, row.position
        if not self._arrive(position):
            return
        leaf = self.intact.leaf(row)
        if leaf is None:  # something is off: the full checks say what
            if defer_redacted and row.salt is None:
                found.mark(Deferred(row))
            else:
                redacted, findings = check_payload(row, self.alg, self.leaf_version, self.index)
                walk.redacted += redacted
                for kind, detail in findings:
                    found.add(position, kind, detail)
            leaf = check_envelope(row, self.origin, self.alg, self.leaf_version, found.add)
        walk.checked += 1
        self._fold(self.frontier.append(leaf))
        self.expected = position + 1

    def damaged(self, raw: StoredRow, error: DamagedRowError) -> None:
        """Name a row the row source could not read, and fold its stored leaf in its place
        (so the positions after it keep their indexes)."""
        if not self._arrive(error.position):
            return
        self.found.add(error.position, ProblemKind.MALFORMED, str(error))
        self.walk.checked += 1
        self._fold(self.frontier.append(_usable_leaf(raw.leaf_hash, self.alg)))
        self.expected = error.position + 1

    def _arrive(self, position: int) -> bool:
        """Note a gap before a row at ``position`` and the seals due before it; False for
        a second row at a position already checked (named as a duplicate)."""
        if position < self.expected:
            self.found.add(position, ProblemKind.DUPLICATE, "a second row has this position")
            return False
        if position > self.expected:
            self.found.mark(Gap(self.expected, position - 1))
            self.walk.gapped = True
        while self.pending and self.pending[0] < position:
            self.found.mark(SealPoint(self.pending.pop(0), _low(self.frontier)))
        return True

    def finish(self) -> RangeWalk:
        """Mark the gap at the end, compare the last tiles; the walk."""
        walk = self.walk
        if self.expected <= walk.last:
            self.found.mark(Gap(self.expected, walk.last))
            walk.gapped = True
        self.tiles.flush()
        walk.low = _low(self.frontier)
        for size in self.pending:
            self.found.mark(SealPoint(size, walk.low))
        return walk

    def _fold(self, nodes: list[Node]) -> None:
        """Keep the level-8 nodes the rows completed, while no position is missing."""
        walk = self.walk
        for node in nodes:
            if node.level == WALK_LEVEL and not walk.gapped:
                walk.level8.append(node.hash)
                self.tiles.expect([Node(WALK_LEVEL, node.index + self.shift, node.hash)])


def check_envelope(
    row: StoredRow, origin: str, alg: HashAlgorithm, leaf_version: int, add: AddProblem
) -> bytes:
    """Rebuild a row's envelope and compare its leaf; return the leaf to fold into the tree."""
    position = row.position
    try:
        envelope = row.envelope(origin, alg.name, leaf_version)
    except ValidationError as e:
        add(position, ProblemKind.MALFORMED, f"cannot rebuild the envelope: {e.message}")
        return _usable_leaf(row.leaf_hash, alg)
    leaf = alg.leaf(envelope)
    if leaf != row.leaf_hash:
        add(
            position,
            ProblemKind.LEAF,
            f"the stored envelope hashes to leaf {leaf.hex()}, but the row records "
            f"{row.leaf_hash.hex()}: an envelope column (stream, type, actor, dates, "
            "digest, …) or the leaf hash was changed",
        )
    return leaf


def _usable_leaf(stored: object, alg: HashAlgorithm) -> bytes:
    # A row whose envelope cannot be rebuilt still takes its place in the tree,
    # so the positions after it keep their indexes.
    if isinstance(stored, bytes) and len(stored) == alg.digest_size:
        return stored
    return alg.leaf(b"")


def _low(frontier: Frontier) -> tuple[bytes, ...]:
    """The frontier's subtree hashes below WALK_LEVEL (its last ones, one per low set bit)."""
    count = (frontier.size % RANGE_ALIGNMENT).bit_count()
    hashes = frontier.hashes
    return hashes[len(hashes) - count :]


__all__ = ["RANGE_ALIGNMENT", "Deferred", "Gap", "RangeWalk", "SealPoint", "walk_range"]
