"""The RFC 9162 Merkle tree: the reference root, and the incremental frontier the store keeps."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence

import attrs

from civicledger.errors import ValidationError
from civicledger.merkle import native
from civicledger.merkle.hashes import HashAlgorithm

STORED_LEVELS: tuple[int, ...] = (8, 16)
"""Levels whose perfect-subtree hashes ("tiles") the store keeps, so that a proof
never rehashes more than a few hundred hashes per level band. Level 8 nodes each
cover 256 leaves, level 16 nodes 65,536."""

_STORED_MASK = sum(1 << level for level in STORED_LEVELS)
"""STORED_LEVELS as the bit mask the native fold takes."""

FRONTIER_FORMAT = 1
"""Version byte of :meth:`Frontier.to_bytes`."""

_HEADER = struct.Struct(">BB")
_SIZE = struct.Struct(">Q")
_CRC = struct.Struct(">I")


@attrs.frozen
class Node:
    """The hash of a perfect subtree: node ``(level, index)`` covers leaves
    ``[index * 2**level, (index + 1) * 2**level)``; level 0 is a leaf.

    Attributes:
        level: height above the leaves.
        index: position among the nodes of its level, from 0.
        hash: the subtree's Merkle tree hash.
    """

    level: int
    index: int
    hash: bytes = attrs.field(repr=lambda h: h.hex())

    @property
    def begin(self) -> int:
        """Index of the first leaf the node covers."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """Index one past the last leaf the node covers."""
        return (self.index + 1) << self.level


def largest_power_of_two_below(n: int) -> int:
    """The split point ``k`` of RFC 9162: the largest power of two strictly less than ``n``.

    Args:
        n: a tree size, at least 2.

    Returns:
        ``k`` with ``k < n <= 2 * k``.
    """
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(alg: HashAlgorithm, leaf_hashes: Sequence[bytes]) -> bytes:
    """Compute the Merkle tree hash (MTH) of a list of leaf hashes, RFC 9162 §2.1.1.

    A reference for tests and small inputs: it touches every leaf (O(n)). The
    empty tree's hash is ``H("")``.

    Args:
        alg: the hash algorithm.
        leaf_hashes: the leaf hashes (already ``H(0x00 || data)``), in order.

    Returns:
        The root hash.
    """
    if not leaf_hashes:
        return alg(b"")
    level = list(leaf_hashes)
    # Pairing level by level and carrying a lone last node up unchanged gives
    # the same tree as the RFC's recursive split at the largest power of two.
    node = alg.node
    while len(level) > 1:
        paired = [node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class Frontier:
    """The compact range of a tree of ``size`` leaves: the hashes of the perfect
    subtrees that make up ``[0, size)``, left to right, largest first (one per
    set bit of ``size``).

    A Frontier is mutable: :meth:`append` and :meth:`extend` change it in place.
    Use :meth:`copy` to keep a version, e.g. to roll back a failed transaction.
    """

    __slots__ = ("_alg", "_fold", "_hashes", "_node", "_size", "_width")

    def __init__(self, alg: HashAlgorithm, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Build a frontier from its parts.

        Args:
            alg: the tree's hash algorithm.
            size: the number of leaves.
            hashes: the perfect-subtree hashes, largest first, one per set bit of size.

        Raises:
            ValidationError: the size is negative or the hashes do not match it.
        """
        hashes = list(hashes)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"frontier size must be an int >= 0, got {size!r}", field="size")
        if len(hashes) != size.bit_count():
            raise ValidationError(
                f"a frontier of size {size} has {size.bit_count()} subtree hashes, "
                f"got {len(hashes)}",
                field="hashes",
            )
        for i, h in enumerate(hashes):
            _check_hash(alg, h, f"frontier hash {i}")
        self._set(alg, size, hashes)

    def _set(self, alg: HashAlgorithm, size: int, hashes: list[bytes]) -> None:
        self._alg = alg
        self._size = size
        self._hashes = hashes
        # Looked up once: append runs once per recorded event.
        self._node = alg.node
        self._width = alg.digest_size
        self._fold = native.fold_sha256 if alg.name == "sha256" else None

    @classmethod
    def _trusted(cls, alg: HashAlgorithm, size: int, hashes: list[bytes]) -> Frontier:
        """Build from parts already known to be consistent, skipping the checks."""
        frontier = cls.__new__(cls)
        frontier._set(alg, size, hashes)
        return frontier

    @classmethod
    def empty(cls, alg: HashAlgorithm) -> Frontier:
        """The frontier of the empty tree.

        Args:
            alg: the tree's hash algorithm.

        Returns:
            A frontier of size 0.
        """
        return cls(alg)

    @property
    def alg(self) -> HashAlgorithm:
        """The tree's hash algorithm."""
        return self._alg

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect-subtree hashes, largest first."""
        return tuple(self._hashes)

    def nodes(self) -> list[Node]:
        """The perfect subtrees as nodes, left to right (largest first).

        Returns:
            One Node per set bit of ``size``.
        """
        result: list[Node] = []
        begin = 0
        for level in reversed(range(self._size.bit_length())):
            if self._size >> level & 1:
                result.append(Node(level, begin >> level, self._hashes[len(result)]))
                begin += 1 << level
        return result

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Add one leaf to the right of the tree.

        Args:
            leaf_hash: the new leaf's hash (``H(0x00 || envelope)``).

        Returns:
            The nodes this append completed whose level is in STORED_LEVELS
            (at most one per stored level), for the store to keep.

        Raises:
            ValidationError: the leaf hash is not bytes of the algorithm's digest size.
        """
        if leaf_hash.__class__ is not bytes or len(leaf_hash) != self._width:
            _check_hash(self._alg, leaf_hash, "leaf hash")
        size = self._size
        hashes = self._hashes
        if self._fold is not None:  # the same merges in C (merkle.native), where built
            folded = self._fold(hashes, size, leaf_hash, _STORED_MASK)
            if folded is not None:
                self._size = size + 1
                return [Node(level, index, h) for level, index, h in folded]
        node = self._node
        completed: list[Node] = []
        h = leaf_hash
        level = 0
        # Each set low bit of the old size is a subtree of the new leaf's height:
        # merge it in, as a binary counter carries.
        while size >> level & 1:
            h = node(hashes.pop(), h)
            level += 1
            if level in STORED_LEVELS:
                completed.append(Node(level, ((size + 1) >> level) - 1, h))
        hashes.append(h)
        self._size = size + 1
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[Node]:
        """Append several leaves in order.

        Args:
            leaf_hashes: the new leaves' hashes.

        Returns:
            Every completed node at a stored level, in completion order.

        Raises:
            ValidationError: a leaf hash is malformed; the leaves before it stay appended.
        """
        completed: list[Node] = []
        for leaf_hash in leaf_hashes:
            completed.extend(self.append(leaf_hash))
        return completed

    def extend_packed(self, leaves: bytes) -> list[Node]:
        """Append leaves given as their hashes concatenated, in one native call where built
        (verification folds each batch of intact rows so).

        Args:
            leaves: the new leaves' hashes, back to back.

        Returns:
            Every completed node at a stored level, in completion order.

        Raises:
            ValidationError: the length is not a whole number of hashes.
        """
        width = self._width
        if not isinstance(leaves, bytes) or len(leaves) % width:
            what = f"{len(leaves)} bytes" if isinstance(leaves, bytes) else type(leaves).__name__
            raise ValidationError(
                f"packed leaf hashes must be bytes, a multiple of {width} long; got {what}",
                field="leaves",
            )
        if self._fold is not None and leaves:
            folded = self._fold(self._hashes, self._size, leaves, _STORED_MASK)
            if folded is not None:
                self._size += len(leaves) // width
                return [Node(level, index, h) for level, index, h in folded]
        return self.extend(leaves[at : at + width] for at in range(0, len(leaves), width))

    def root(self) -> bytes:
        """The Merkle tree hash of the current tree, in O(log n).

        Returns:
            The root hash (``H("")`` for the empty tree).
        """
        hashes = self._hashes
        if not hashes:
            return self._alg(b"")
        node = self._alg.node
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = node(left, h)
        return h

    def copy(self) -> Frontier:
        """An independent copy.

        Returns:
            A frontier equal to this one that later appends do not affect.
        """
        return Frontier._trusted(self._alg, self._size, list(self._hashes))

    def to_bytes(self) -> bytes:
        """Serialise for storage beside the ledger's head.

        Layout: format version (1 byte, 1), hash name length (1 byte), the hash
        name in ASCII, the size (8 bytes, big-endian), the subtree hashes
        largest first, then a CRC-32 of everything before it (4 bytes,
        big-endian) so storage corruption is caught on load.

        Returns:
            The encoded frontier.
        """
        name = self._alg.name.encode("ascii")
        body = (
            _HEADER.pack(FRONTIER_FORMAT, len(name))
            + name
            + _SIZE.pack(self._size)
            + b"".join(self._hashes)
        )
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def from_bytes(cls, alg: HashAlgorithm, data: bytes) -> Frontier:
        """Load a frontier written by :meth:`to_bytes`.

        Args:
            alg: the hash algorithm the ledger records; it must match the stored name.
            data: the encoded frontier.

        Returns:
            The frontier.

        Raises:
            ValidationError: the bytes are truncated, corrupt, of an unknown format
                version, or for another hash algorithm.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValidationError(
                f"frontier must be bytes, got {data.__class__.__name__}", field="frontier"
            )
        data = bytes(data)
        if len(data) < _HEADER.size + _SIZE.size + _CRC.size:
            raise ValidationError(
                f"frontier is truncated: {len(data)} bytes is shorter than any frontier",
                field="frontier",
            )
        body, (crc,) = data[: -_CRC.size], _CRC.unpack(data[-_CRC.size :])
        if zlib.crc32(body) != crc:
            raise ValidationError(
                "frontier is corrupt: its CRC-32 does not match its contents", field="frontier"
            )
        version, name_length = _HEADER.unpack_from(body)
        if version != FRONTIER_FORMAT:
            raise ValidationError(
                f"frontier format version {version} is not supported (expected {FRONTIER_FORMAT})",
                field="frontier",
            )
        offset = _HEADER.size + name_length
        name = body[_HEADER.size : offset]
        if name != alg.name.encode("ascii"):
            raise ValidationError(
                f"frontier was written for hash {name.decode('ascii', 'replace')!r}, "
                f"not {alg.name!r}",
                field="frontier",
            )
        if len(body) < offset + _SIZE.size:
            raise ValidationError("frontier is truncated before its size", field="frontier")
        (size,) = _SIZE.unpack_from(body, offset)
        offset += _SIZE.size
        width = alg.digest_size
        expected = size.bit_count() * width
        if len(body) - offset != expected:
            raise ValidationError(
                f"frontier of size {size} needs {expected} bytes of hashes, "
                f"got {len(body) - offset}",
                field="frontier",
            )
        # The length check above makes the count and sizes of the hashes right.
        hashes = [body[i : i + width] for i in range(offset, len(body), width)]
        return cls._trusted(alg, size, hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frontier):
            return NotImplemented
        return (self._alg, self._size, self._hashes) == (other._alg, other._size, other._hashes)

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable

    def __repr__(self) -> str:
        return f"Frontier({self._alg.name}, size={self._size}, root={self.root().hex()})"


def _check_hash(alg: HashAlgorithm, value: object, what: str) -> None:
    if not isinstance(value, bytes):
        raise ValidationError(f"{what} must be bytes, got {value.__class__.__name__}")
    if len(value) != alg.digest_size:
        raise ValidationError(
            f"{what} must be {alg.digest_size} bytes for {alg.name}, got {len(value)}"
        )
