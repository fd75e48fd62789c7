"""Ledger verification: recompute every leaf and root from stored rows, list every problem.

The walk streams rows in position order and folds recomputed leaves into a
fresh frontier, so memory stays flat in the ledger's size. It checks each row
(salted payload digest, envelope against stored leaf hash), each interior node
the store kept, each seal's root at its size, and the stored frontier at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.keys import Verifier
from civicledger.audit.payloads import RedactionIndex, check_payload
from civicledger.audit.problems import Problem, ProblemKind
from civicledger.errors import CivicLedgerError, ValidationError, VerificationError
from civicledger.events.registry import EventRegistry
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Frontier, Node

if TYPE_CHECKING:
    from civicledger.audit.rows import StoredRow

MAX_PROBLEMS = 1000
"""Problems a report keeps by default; beyond it they are only counted (memory stays flat)."""

_TILE_BATCH = 64  # stored nodes compared per read


@attrs.frozen
class StoredSeal:
    """A seal as stored: the columns kept beside its text, and the text.

    Attributes:
        number: the seal's order among the ledger's seals, from 1.
        tree_size: the stored tree size column.
        root_hash: the stored root hash column.
        text: the seal text.
    """

    number: int
    tree_size: int
    root_hash: bytes
    text: str


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
        signatures_checked: whether seal signatures were checked against keys.
        problems: the problems found, by position (at most MAX_PROBLEMS).
        problems_omitted: further problems found but not kept.
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


def verify_ledger(
    *,
    origin: str,
    alg: HashAlgorithm,
    head: int,
    rows: Iterable[StoredRow],
    stored_frontier: Frontier | str | None,
    seals: Sequence[StoredSeal],
    reader: NodeReader | None = None,
    verifiers: Sequence[Verifier] = (),
    max_problems: int = MAX_PROBLEMS,
    leaf_version: int = 1,
    redactions: Iterable[StoredRow] = (),
    registry: EventRegistry | None = None,
) -> VerificationReport:
    """Check a ledger's stored rows, interior nodes, frontier and seals.

    Args:
        origin: the ledger's origin.
        alg: its hash algorithm.
        head: the number of events to verify (positions 1..head).
        rows: the stored rows with positions 1..head, in position order.
        stored_frontier: the stored frontier, or a sentence saying why it could
            not be read; None skips that check (checking a prefix against a seal).
        seals: the stored seals.
        reader: reads stored interior nodes to check them; None skips that check.
        verifiers: trusted keys to check seal signatures with; empty skips that check.
        max_problems: problems to keep in the report (the rest are counted).
        leaf_version: the ledger's leaf format (1 or 2).
        redactions: the stored rows of the ledger's ``event_redacted`` events up to
            ``head``, against which every erased value is checked.
        registry: maps the field names a redaction names to older stored keys.

    Returns:
        The report.
    """
    found = _Findings(max_problems)
    index = RedactionIndex(redactions, registry)
    parsed = _parse_seals(seals, origin, alg, head, found)
    pending = sorted(parsed, key=lambda s: s[1].tree_size)
    frontier = Frontier.empty(alg)
    tiles = _TileChecker(reader, found)
    expected = 1
    gap_at: int | None = None  # first missing position: roots past it cannot be recomputed
    checked = redacted = 0
    for row in rows:
        position = row.position
        if position < expected:
            found.add(position, ProblemKind.DUPLICATE, "a second row has this position")
            continue
        if position > expected:
            _missing(found, expected, position - 1)
            gap_at = expected if gap_at is None else gap_at
        while pending and pending[0][1].tree_size < position:
            _check_seal_root(pending.pop(0), frontier, gap_at, found)
        leaf, was_redacted = _check_row(row, origin, alg, found, leaf_version, index)
        checked += 1
        redacted += was_redacted
        completed = frontier.append(leaf)
        if gap_at is None:
            tiles.expect(completed)
        expected = position + 1
    if expected <= head:
        _missing(found, expected, head)
        gap_at = expected if gap_at is None else gap_at
    tiles.flush()
    while pending and pending[0][1].tree_size <= head:
        _check_seal_root(pending.pop(0), frontier, gap_at, found)
    root = frontier.root() if gap_at is None else None
    if stored_frontier is not None:
        _check_frontier(stored_frontier, frontier, head, gap_at, found)
    signatures_checked = bool(verifiers)
    if signatures_checked:
        for number, seal in parsed:
            _check_signatures(number, seal, verifiers, found)
    return VerificationReport(
        origin=origin,
        tree_size=head,
        root_hash=root,
        events_checked=checked,
        redacted=redacted,
        seals_checked=len(seals),
        signatures_checked=signatures_checked,
        # Stored nodes are compared in batches, so sort to read the report in ledger order.
        problems=tuple(sorted(found.kept, key=_order)),
        problems_omitted=found.omitted,
    )


def _check_row(
    row: StoredRow,
    origin: str,
    alg: HashAlgorithm,
    found: _Findings,
    leaf_version: int,
    index: RedactionIndex,
) -> tuple[bytes, bool]:
    """Check one row; return the leaf to fold into the tree and whether it is redacted."""
    position = row.position
    redacted, findings = check_payload(row, alg, leaf_version, index)
    for kind, detail in findings:
        found.add(position, kind, detail)
    try:
        envelope = row.envelope(origin, alg.name, leaf_version)
    except ValidationError as e:
        found.add(position, ProblemKind.MALFORMED, f"cannot rebuild the envelope: {e.message}")
        return _usable_leaf(row.leaf_hash, alg), redacted
    leaf = alg.leaf(envelope)
    if leaf != row.leaf_hash:
        found.add(
            position,
            ProblemKind.LEAF,
            f"the stored envelope hashes to leaf {leaf.hex()}, but the row records "
            f"{row.leaf_hash.hex()}: an envelope column (stream, type, actor, dates, "
            "digest, …) or the leaf hash was changed",
        )
    return leaf, redacted


def _usable_leaf(stored: bytes, alg: HashAlgorithm) -> bytes:
    # A row whose envelope cannot be rebuilt still takes its place in the tree,
    # so the positions after it keep their indexes.
    if len(stored) == alg.digest_size:
        return stored
    return alg.leaf(b"")


def _missing(found: _Findings, first: int, last: int) -> None:
    span = f"position {first}" if first == last else f"positions {first} to {last}"
    found.add(first, ProblemKind.MISSING, f"no stored row for {span}; rows were deleted")


class _TileChecker:
    """Compares the interior nodes a rebuilt frontier completes with the stored ones."""

    def __init__(self, reader: NodeReader | None, found: _Findings) -> None:
        self._reader = reader
        self._found = found
        self._pending: dict[int, list[Node]] = defaultdict(list)

    def expect(self, nodes: Iterable[Node]) -> None:
        if self._reader is None:
            return
        for node in nodes:
            batch = self._pending[node.level]
            batch.append(node)
            if len(batch) >= _TILE_BATCH:
                self._compare(node.level)

    def flush(self) -> None:
        for level in list(self._pending):
            self._compare(level)

    def _compare(self, level: int) -> None:
        nodes = self._pending.pop(level, [])
        if not nodes or self._reader is None:
            return
        first = nodes[0].index
        try:
            stored = list(self._reader.stored_nodes(level, first, nodes[-1].index + 1))
        except CivicLedgerError as e:
            self._found.add(nodes[0].end, ProblemKind.TILE, f"cannot read stored nodes: {e}")
            return
        for node in nodes:
            offset = node.index - first
            have = stored[offset] if offset < len(stored) else None
            if have != node.hash:
                what = "is missing" if have is None else f"is {have.hex()}"
                self._found.add(
                    node.end,
                    ProblemKind.TILE,
                    f"stored node (level {level}, index {node.index}) over positions "
                    f"{node.begin + 1} to {node.end} {what}; the rows give {node.hash.hex()}",
                )


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
            found.add(
                stored.tree_size,
                ProblemKind.SEAL,
                f"{label}'s text says size {seal.tree_size} root {seal.root_hash.hex()} but its "
                f"row says size {stored.tree_size} root {stored.root_hash.hex()}",
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
    item: tuple[int, Seal], frontier: Frontier, gap_at: int | None, found: _Findings
) -> None:
    number, seal = item
    if gap_at is not None and gap_at <= seal.tree_size:
        found.add(
            seal.tree_size,
            ProblemKind.SEAL_ROOT,
            f"seal {number}'s root cannot be recomputed: position {gap_at} is missing",
        )
        return
    root = frontier.root()
    if root != seal.root_hash:
        found.add(
            seal.tree_size,
            ProblemKind.SEAL_ROOT,
            f"seal {number} (sealed {_when(seal)}) records root {seal.root_hash.hex()}, but the "
            f"stored rows give {root.hex()} at size {seal.tree_size}",
        )


def _check_frontier(
    stored: Frontier | str, rebuilt: Frontier, head: int, gap_at: int | None, found: _Findings
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
    if gap_at is not None:
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
