"""Ledger verification: recompute every leaf and root from stored rows, list every problem.

The walk streams rows in position order and folds recomputed leaves into a
fresh frontier, so memory stays flat in the ledger's size. It checks each row
(salted payload digest, envelope against stored leaf hash), each interior node
the store kept, each seal's root at its size, and the stored frontier at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.cosign import StoredCosignature, check_stored
from civicledger.audit.keys import Verifier
from civicledger.audit.payloads import RedactionIndex, check_payload
from civicledger.audit.problems import Problem, ProblemKind
from civicledger.audit.tiles import TileChecker
from civicledger.audit.walk import WALK_LEVEL, Gap, RangeWalk, SealPoint, walk_range
from civicledger.errors import ValidationError, VerificationError
from civicledger.events.registry import EventRegistry
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier, Node

if TYPE_CHECKING:
    from civicledger.store.rows import RowBatch, StoredPayload

MAX_PROBLEMS = 1000
"""Problems a report keeps by default; beyond it they are only counted (memory stays flat)."""


def default_workers() -> int:
    """The default number of processes ``verify()`` uses: the machine's cores."""
    return os.cpu_count() or 1


def check_workers(workers: object) -> int:
    """The number of verify processes asked for, checked; None means the cores.

    Raises:
        ValidationError: it is not an int of at least 1.
    """
    if workers is None:
        return default_workers()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValidationError(f"workers must be an int >= 1, got {workers!r}", field="workers")
    return workers


@attrs.frozen
class StoredSeal:
    """A seal as stored: the columns kept beside its text, and the text.

    Attributes:
        number: the seal's order among the ledger's seals, from 1.
        tree_size: the stored tree size column (None: it holds no integer).
        root_hash: the stored root hash column.
        text: the seal text.
        sealed_at: the stored time column (compared with the text's time when both
            are there).
    """

    number: int
    tree_size: int | None
    root_hash: bytes
    text: str
    sealed_at: str | None = None


@attrs.frozen
class VerificationReport:
    """The result of ``ledger.verify()``: what was checked and every problem found.

    Attributes:
        origin: the ledger's origin.
        tree_size: the number of events verified (the head when verification began).
        root_hash: the root recomputed from the rows (None when rows are missing).
        events_checked: rows read and checked.
        redacted: rows whose payload was redacted (in a v2 ledger their remainder
            is still checked against the digest; in a v1 ledger only their form).
        seals_checked: seals read and checked.
        cosignatures_checked: cosignatures of seals read and checked.
        signatures_checked: whether seal signatures were checked against keys.
        problems: the problems found, by position (at most MAX_PROBLEMS).
        problems_omitted: further problems found but not kept.
        ranges: the ranges of positions walked, ``(first, last)`` each; with more
            than one, all but the first were walked by worker processes.
    """

    origin: str
    tree_size: int
    root_hash: bytes | None = attrs.field(repr=lambda h: h.hex() if h else "None")
    events_checked: int
    redacted: int
    seals_checked: int
    signatures_checked: bool
    problems: tuple[Problem, ...]
    problems_omitted: int = 0
    ranges: tuple[tuple[int, int], ...] = ()
    cosignatures_checked: int = 0

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems and not self.problems_omitted

    def __str__(self) -> str:
        signatures = "signatures checked" if self.signatures_checked else "signatures not checked"
        head = (
            f"ledger {self.origin}: {self.events_checked} of {self.tree_size} events, "
            f"{self.seals_checked} seal{'s' if self.seals_checked != 1 else ''} ({signatures})"
        )
        if self.cosignatures_checked:
            plural = "s" if self.cosignatures_checked != 1 else ""
            head += f", {self.cosignatures_checked} cosignature{plural}"
        if self.redacted:
            head += f", {self.redacted} redacted"
        if self.ok:
            root = self.root_hash.hex() if self.root_hash else "-"
            return f"{head}: OK\nroot (hex) {root}"
        count = len(self.problems) + self.problems_omitted
        lines = [f"{head}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {p}" for p in self.problems]
        if self.problems_omitted:
            lines.append(f"  … and {self.problems_omitted} more")
        return "\n".join(lines)


class _Findings:
    """Collects problems up to a limit, counting the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.omitted = 0

    def add(self, position: int | None, kind: ProblemKind, detail: str) -> None:
        if len(self.kept) < self.limit:
            self.kept.append(Problem(position, kind, detail))
        else:
            self.omitted += 1


Walker = Callable[[Sequence[int], RedactionIndex, int], list[RangeWalk]]
"""Walks positions 1 to the head in ranges (``audit.parallel``): given the seal sizes
due, the redactions and the problem limit, returns the walks in position order."""


def verify_ledger(
    *,
    origin: str,
    alg: HashAlgorithm,
    head: int,
    batches: Iterable[RowBatch],
    stored_frontier: Frontier | str | None,
    seals: Sequence[StoredSeal],
    cosignatures: Sequence[StoredCosignature] = (),
    reader: NodeReader | None = None,
    verifiers: Sequence[Verifier] = (),
    max_problems: int = MAX_PROBLEMS,
    leaf_version: int = 1,
    redactions: Iterable[StoredPayload] = (),
    registry: EventRegistry | None = None,
    walker: Walker | None = None,
) -> VerificationReport:
    """Check a ledger's stored rows, interior nodes, frontier and seals.

    Args:
        origin: the ledger's origin.
        alg: its hash algorithm.
        head: the number of events to verify (positions 1..head).
        batches: the stored rows with positions 1..head, in position order, in batches
            (not read when a walker is given).
        stored_frontier: the stored frontier, or a sentence saying why it could
            not be read; None skips that check (checking a prefix against a seal).
        seals: the stored seals.
        cosignatures: the stored cosignatures of those seals; each is always checked,
            and one by a key named like a trusted key must be by that key.
        reader: reads stored interior nodes to check them; None skips that check.
        verifiers: trusted keys to check seal signatures with; empty skips that check.
        max_problems: problems to keep in the report (the rest are counted).
        leaf_version: the ledger's leaf format (1 or 2).
        redactions: the stored payloads of the ledger's ``event_redacted`` events up to
            ``head``, against which every erased value is checked.
        registry: maps the field names a redaction names to older stored keys.
        walker: walks the rows in several ranges (in worker processes); None walks
            ``batches`` in one range here.

    Returns:
        The report.
    """
    found = _Findings(max_problems)
    index = RedactionIndex(redactions, registry)
    parsed = _parse_seals(seals, origin, alg, head, found)
    pending = sorted(parsed, key=lambda s: s[1].tree_size)
    sizes = [seal.tree_size for _, seal in pending]
    if walker is None:
        walks = [
            walk_range(
                batches,
                first=1,
                last=head,
                origin=origin,
                alg=alg,
                leaf_version=leaf_version,
                index=index,
                reader=reader,
                seal_sizes=sizes,
                max_problems=max_problems,
                defer_redacted=False,
            )
        ]
    else:
        walks = walker(sizes, index, max_problems)
    joined = _Joined(alg, reader, found)
    for walk in walks:
        joined.take(walk, pending, leaf_version, index)
    joined.tree.advance(len(joined.tree.level8))
    joined.tree.tiles.flush()
    rebuilt = None if joined.gap_at is not None else joined.tree.at(head, walks[-1].low)
    if stored_frontier is not None:
        _check_frontier(stored_frontier, rebuilt, head, found)
    signatures_checked = bool(verifiers)
    if signatures_checked:
        for number, seal in parsed:
            _check_signatures(number, seal, verifiers, found)
    for size, detail in check_stored(cosignatures, dict(parsed), verifiers):
        found.add(size, ProblemKind.COSIGNATURE, detail)
    return VerificationReport(
        origin=origin,
        tree_size=head,
        root_hash=None if rebuilt is None else rebuilt.root(),
        events_checked=joined.checked,
        redacted=joined.redacted,
        seals_checked=len(seals),
        signatures_checked=signatures_checked,
        # Stored nodes are compared in batches, so sort to read the report in ledger order.
        problems=tuple(sorted(found.kept, key=_order)),
        problems_omitted=found.omitted,
        ranges=tuple((w.first, w.last) for w in walks),
        cosignatures_checked=len(cosignatures),
    )


class _Tree:
    """The tree above level 8, folded from the walks' level-8 hashes in order; it checks
    the level-16 nodes it completes and gives the frontier at any size."""

    def __init__(self, alg: HashAlgorithm, reader: NodeReader | None, found: _Findings) -> None:
        self.alg = alg
        self.level8: list[bytes] = []
        self.top = Frontier.empty(alg)  # its leaves are level-8 nodes
        self.tiles = TileChecker(reader, found.add)

    def advance(self, count: int) -> None:
        """Fold the first ``count`` level-8 hashes."""
        top = self.top
        while top.size < count:
            for node in top.append(self.level8[top.size]):
                if node.level == WALK_LEVEL:  # a level-8 node of level-8 nodes: level 16
                    self.tiles.expect([Node(2 * WALK_LEVEL, node.index, node.hash)])

    def at(self, size: int, low: Sequence[bytes]) -> Frontier:
        """The frontier at ``size`` leaves, whose subtrees below level 8 are ``low``."""
        self.advance(size >> WALK_LEVEL)
        return Frontier(self.alg, size, [*self.top.hashes, *low])


class _Joined:
    """Joins walks in position order: their problems, gaps, seal roots and deferred rows."""

    def __init__(self, alg: HashAlgorithm, reader: NodeReader | None, found: _Findings) -> None:
        self.alg = alg
        self.found = found
        self.tree = _Tree(alg, reader, found)
        self.gap_at: int | None = None  # first missing position: roots past it cannot be rebuilt
        self.checked = self.redacted = 0
        self._last_gap: tuple[Gap, int | None] | None = None  # and its slot in found.kept

    def take(
        self,
        walk: RangeWalk,
        pending: list[tuple[int, Seal]],
        leaf_version: int,
        index: RedactionIndex,
    ) -> None:
        found = self.found
        # A single pass stops comparing stored nodes at the first missing position.
        after_gap = self.gap_at is not None
        if not after_gap:
            self.tree.level8 += walk.level8
        for entry in walk.entries:
            if isinstance(entry, Problem):
                if not (after_gap and entry.kind is ProblemKind.TILE):
                    found.add(entry.position, entry.kind, entry.detail)
            elif isinstance(entry, Gap):
                self._gap(entry)
            elif isinstance(entry, SealPoint):
                _check_seal_root(pending.pop(0), entry, self.tree, self.gap_at, found)
            else:
                redacted, findings = check_payload(entry.row, self.alg, leaf_version, index)
                self.redacted += redacted
                for kind, detail in findings:
                    found.add(entry.row.position, kind, detail)
        found.omitted += walk.omitted
        self.checked += walk.checked
        self.redacted += walk.redacted

    def _gap(self, gap: Gap) -> None:
        # A gap across the boundary of two ranges is one gap.
        if self._last_gap is not None and self._last_gap[0].last + 1 == gap.first:
            previous, slot = self._last_gap
            gap = Gap(previous.first, gap.last)
            if slot is None:
                return  # it was beyond the limit, and counted then
            self.found.kept[slot] = _missing(gap.first, gap.last)
            self._last_gap = (gap, slot)
            return
        slot = len(self.found.kept) if len(self.found.kept) < self.found.limit else None
        problem = _missing(gap.first, gap.last)
        self.found.add(problem.position, problem.kind, problem.detail)
        self._last_gap = (gap, slot)
        self.gap_at = gap.first if self.gap_at is None else self.gap_at


def _missing(first: int, last: int) -> Problem:
    span = f"position {first}" if first == last else f"positions {first} to {last}"
    return Problem(first, ProblemKind.MISSING, f"no stored row for {span}; rows were deleted")


def _parse_seals(
    seals: Sequence[StoredSeal], origin: str, alg: HashAlgorithm, head: int, found: _Findings
) -> list[tuple[int, Seal]]:
    parsed = []
    for stored in seals:
        label = f"seal {stored.number}"
        try:
            seal = Seal.parse(stored.text)
        except ValidationError as e:
            found.add(stored.tree_size, ProblemKind.SEAL, f"{label} cannot be read: {e.message}")
            continue
        if seal.origin != origin or seal.hash_name != alg.name:
            found.add(
                seal.tree_size,
                ProblemKind.SEAL,
                f"{label} is for {seal.origin} ({seal.hash_name}), not this ledger "
                f"{origin} ({alg.name})",
            )
            continue
        if (seal.tree_size, seal.root_hash) != (stored.tree_size, stored.root_hash):
            size = "no number" if stored.tree_size is None else stored.tree_size
            found.add(
                seal.tree_size,
                ProblemKind.SEAL,
                f"{label}'s text says size {seal.tree_size} root {seal.root_hash.hex()} but its "
                f"row says size {size} root {stored.root_hash.hex()}",
            )
        if seal.sealed_at is not None and stored.sealed_at is not None:
            stamp = format_timestamp(seal.sealed_at)
            if stamp != stored.sealed_at:
                found.add(
                    seal.tree_size,
                    ProblemKind.SEAL,
                    f"{label}'s text says it was sealed at {stamp} but its row says "
                    f"{stored.sealed_at!r}",
                )
        if seal.tree_size > head:
            found.add(
                seal.tree_size,
                ProblemKind.SEAL,
                f"{label} covers {seal.tree_size} events but the ledger has only {head}",
            )
            continue
        parsed.append((stored.number, seal))
    return parsed


def _check_seal_root(
    item: tuple[int, Seal], point: SealPoint, tree: _Tree, gap_at: int | None, found: _Findings
) -> None:
    number, seal = item
    if gap_at is not None and gap_at <= seal.tree_size:
        found.add(
            seal.tree_size,
            ProblemKind.SEAL_ROOT,
            f"seal {number}'s root cannot be recomputed: position {gap_at} is missing",
        )
        return
    root = tree.at(point.tree_size, point.low).root()
    if root != seal.root_hash:
        found.add(
            seal.tree_size,
            ProblemKind.SEAL_ROOT,
            f"seal {number} (sealed {_when(seal)}) records root {seal.root_hash.hex()}, but the "
            f"stored rows give {root.hex()} at size {seal.tree_size}",
        )


def _check_frontier(
    stored: Frontier | str, rebuilt: Frontier | None, head: int, found: _Findings
) -> None:
    if isinstance(stored, str):
        found.add(head, ProblemKind.ROOT, f"the stored frontier cannot be read: {stored}")
        return
    if stored.size != head:
        found.add(
            head,
            ProblemKind.ROOT,
            f"the stored frontier covers {stored.size} events but the head is {head}",
        )
        return
    if rebuilt is None:
        return  # the missing rows are already reported; there is no rebuilt root to compare
    if stored.hashes != rebuilt.hashes:
        found.add(
            head,
            ProblemKind.ROOT,
            f"the stored frontier's root is {stored.root().hex()}, but the stored rows give "
            f"{rebuilt.root().hex()}",
        )


def _check_signatures(
    number: int, seal: Seal, verifiers: Sequence[Verifier], found: _Findings
) -> None:
    if not seal.signatures:
        return
    try:
        seal.verify(list(verifiers))
    except VerificationError as e:
        found.add(seal.tree_size, ProblemKind.SEAL_SIGNATURE, f"seal {number}: {e}")


def _order(problem: Problem) -> tuple[bool, int]:
    return (problem.position is None, problem.position or 0)


def _when(seal: Seal) -> str:
    return seal.sealed_at.isoformat() if seal.sealed_at else "at an unknown time"
