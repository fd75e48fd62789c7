"""Proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) from a NodeReader, without loading the tree.

Every hash in a proof is the Merkle tree hash of a leaf range. A range splits
into perfect subtrees (one per set bit of its length); each of those is folded
from the coarsest stored level aligned with it: level 16 nodes, level 8 nodes,
or leaves. The reads for a whole proof are merged into a few contiguous ranges
per level, so an inclusion proof in a tree of a million leaves reads about
O(log n) stored nodes and at most a few hundred leaves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from civicledger.errors import ValidationError, VerificationError
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import STORED_LEVELS, largest_power_of_two_below

# Coarsest first; level 0 (the leaves) always applies.
_LEVELS_COARSE_FIRST = (*sorted(STORED_LEVELS, reverse=True), 0)

# A perfect subtree to fold: (stored level or 0, first index, end index) at that level.
_Piece = tuple[int, int, int]


def subtree_hash(alg: HashAlgorithm, reader: NodeReader, begin: int, end: int) -> bytes:
    """Compute MTH(D[begin:end]), the Merkle tree hash of a range of leaves.

    With ``begin = 0`` this is the root of the tree of size ``end``.

    Args:
        alg: the tree's hash algorithm.
        reader: where leaf and stored node hashes come from.
        begin: the first leaf index.
        end: one past the last leaf index (``begin <= end``).

    Returns:
        The range's Merkle tree hash; ``H("")`` for an empty range.

    Raises:
        ValidationError: the range is malformed.
        VerificationError: the reader returned too few hashes or malformed ones.
    """
    _check_index("begin", begin)
    _check_index("end", end)
    if begin > end:
        raise ValidationError(f"range begin {begin} is after its end {end}", field="begin")
    return _range_hashes(alg, reader, [(begin, end)])[0]


def inclusion_proof(alg: HashAlgorithm, reader: NodeReader, index: int, size: int) -> list[bytes]:
    """Generate the inclusion proof PATH(index, D[size]) of RFC 9162 §2.1.3.1.

    Args:
        alg: the tree's hash algorithm.
        reader: where leaf and stored node hashes come from.
        index: the leaf index (position - 1).
        size: the tree size the proof is for (at most the reader's size).

    Returns:
        The proof hashes, from the leaf's sibling up to the root's child.

    Raises:
        ValidationError: ``index`` is not in ``[0, size)``.
        VerificationError: the reader returned too few hashes or malformed ones.
    """
    _check_index("index", index)
    _check_index("size", size)
    if index >= size:
        raise ValidationError(f"leaf index {index} is outside a tree of size {size}", field="index")
    return _range_hashes(alg, reader, inclusion_ranges(index, size))


def consistency_proof(
    alg: HashAlgorithm, reader: NodeReader, size1: int, size2: int
) -> list[bytes]:
    """Generate the consistency proof PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1.

    Args:
        alg: the tree's hash algorithm.
        reader: where leaf and stored node hashes come from.
        size1: the older tree size, at least 1.
        size2: the newer tree size, at least size1 (at most the reader's size).

    Returns:
        The proof hashes (empty when the sizes are equal).

    Raises:
        ValidationError: the sizes are not ``0 < size1 <= size2``.
        VerificationError: the reader returned too few hashes or malformed ones.
    """
    _check_index("size1", size1)
    _check_index("size2", size2)
    if size1 == 0:
        raise ValidationError(
            "a consistency proof needs size1 >= 1: every tree extends the empty one",
            field="size1",
        )
    if size1 > size2:
        raise ValidationError(
            f"size1 {size1} is larger than size2 {size2}; a tree only grows", field="size1"
        )
    return _range_hashes(alg, reader, consistency_ranges(size1, size2))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[size]), in proof order.

    Args:
        index: the leaf index, ``0 <= index < size``.
        size: the tree size.

    Returns:
        ``(begin, end)`` pairs, deepest sibling first.
    """
    ranges = []
    begin, end = 0, size
    while end - begin > 1:
        split = begin + largest_power_of_two_below(end - begin)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin = split
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(size1, D[size2]), in proof order.

    Args:
        size1: the older size, ``0 < size1 <= size2``.
        size2: the newer size.

    Returns:
        ``(begin, end)`` pairs in the order the proof lists their hashes.
    """
    ranges = []
    begin, end, old = 0, size2, size1  # ``old`` counts leaves of the old tree from ``begin``
    complete = True  # SUBPROOF's flag b: the old tree so far is a whole subtree of the new
    while old != end - begin:
        split = begin + largest_power_of_two_below(end - begin)
        if begin + old <= split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            old -= split - begin
            begin = split
            complete = False
    if not complete:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def _range_hashes(
    alg: HashAlgorithm, reader: NodeReader, ranges: Sequence[tuple[int, int]]
) -> list[bytes]:
    """Hash each leaf range, reading every needed hash from ``reader`` in merged runs."""
    plans = [_pieces(begin, end) for begin, end in ranges]
    fetched = _fetch(alg, reader, [piece for plan in plans for piece in plan])
    node = alg.node
    result = []
    for plan in plans:
        if not plan:
            result.append(alg(b""))
            continue
        # A range's hash folds its perfect subtrees from the right: the RFC's
        # split at the largest power of two peels them off largest first.
        h = _fold_perfect(alg, fetched, plan[-1])
        for piece in reversed(plan[:-1]):
            h = node(_fold_perfect(alg, fetched, piece), h)
        result.append(h)
    return result


def _pieces(begin: int, end: int) -> list[_Piece]:
    """Split ``[begin, end)`` into perfect subtrees, largest first, each as reads at one level."""
    pieces = []
    start = begin
    length = end - begin
    for height in reversed(range(length.bit_length())):
        if not length >> height & 1:
            continue
        for level in _LEVELS_COARSE_FIRST:
            # A stored node is usable only if the subtree is at least that tall
            # and starts on that level's grid.
            if level <= height and start % (1 << level) == 0:
                first = start >> level
                pieces.append((level, first, first + (1 << (height - level))))
                break
        start += 1 << height
    return pieces


class _Fetched:
    """Hashes read from a reader: per level, sorted runs of (first index, hashes)."""

    def __init__(self) -> None:
        self.runs: dict[int, list[tuple[int, list[bytes]]]] = defaultdict(list)

    def slice(self, level: int, begin: int, end: int) -> list[bytes]:
        for first, hashes in self.runs[level]:
            if first <= begin and end <= first + len(hashes):
                return hashes[begin - first : end - first]
        raise AssertionError(f"unfetched range {level}:{begin}-{end}")  # pragma: no cover


def _fetch(alg: HashAlgorithm, reader: NodeReader, pieces: Sequence[_Piece]) -> _Fetched:
    by_level: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for level, begin, end in pieces:
        by_level[level].append((begin, end))
    fetched = _Fetched()
    for level, spans in by_level.items():
        for begin, end in _merge(spans):
            if level == 0:
                hashes = list(reader.leaf_hashes(begin, end))
                what = "leaf hash"
            else:
                hashes = list(reader.stored_nodes(level, begin, end))
                what = f"level {level} node hash"
            if len(hashes) != end - begin:
                raise VerificationError(
                    f"stored tree is incomplete: asked for {what}es [{begin}, {end}), "
                    f"got {len(hashes)} of {end - begin}"
                )
            width = alg.digest_size
            for offset, h in enumerate(hashes):
                if not isinstance(h, bytes) or len(h) != width:
                    index = begin + offset
                    at = f"index {index} (position {index + 1})" if level == 0 else f"index {index}"
                    raise VerificationError(
                        f"stored {what} at {at} is not a {width}-byte {alg.name} hash"
                    )
            fetched.runs[level].append((begin, hashes))
    return fetched


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching spans so each run is read once."""
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _fold_perfect(alg: HashAlgorithm, fetched: _Fetched, piece: _Piece) -> bytes:
    level = fetched.slice(*piece)
    node = alg.node
    while len(level) > 1:
        level = [node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def _check_index(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"{name} must be an int >= 0, got {value!r}", field=name)
