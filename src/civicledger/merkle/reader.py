"""Where proofs read hashes from: the NodeReader protocol and an in-memory implementation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from civicledger.errors import ValidationError
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.tree import STORED_LEVELS, Frontier, Node


class NodeReader(Protocol):
    """Read access to a tree's leaf hashes and stored subtree hashes.

    The store implements it over its tables; proof functions call it with
    index ranges that lie wholly inside the tree they prove, and a few calls
    per proof (the ranges are merged before reading).
    """

    def leaf_hashes(self, begin: int, end: int) -> Sequence[bytes]:
        """Return the leaf hashes with indexes in ``[begin, end)``, in order.

        The leaf index of the event at position ``p`` is ``p - 1``.
        """
        ...

    def stored_nodes(self, level: int, begin: int, end: int) -> Sequence[bytes]:
        """Return the hashes of stored nodes ``(level, i)`` for ``i`` in ``[begin, end)``.

        ``level`` is one of STORED_LEVELS; node ``(level, i)`` covers leaves
        ``[i * 2**level, (i + 1) * 2**level)``.
        """
        ...


class MemoryNodeReader:
    """An append-only in-memory tree: its leaves, its stored nodes and its frontier.

    For tests and the in-memory store. Reads outside what has been appended
    return fewer hashes than asked, which the proof functions report.
    """

    def __init__(self, alg: HashAlgorithm) -> None:
        """Start an empty tree.

        Args:
            alg: the tree's hash algorithm.
        """
        self._alg = alg
        self._leaves: list[bytes] = []
        self._nodes: dict[int, list[bytes]] = {level: [] for level in STORED_LEVELS}
        self._frontier = Frontier.empty(alg)

    @property
    def alg(self) -> HashAlgorithm:
        """The tree's hash algorithm."""
        return self._alg

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._leaves)

    @property
    def frontier(self) -> Frontier:
        """A copy of the current frontier."""
        return self._frontier.copy()

    def root(self) -> bytes:
        """The current tree's root hash.

        Returns:
            The Merkle tree hash of every leaf appended so far.
        """
        return self._frontier.root()

    def append(self, leaf_hash: bytes) -> list[Node]:
        """Append a leaf, keeping the stored nodes it completes.

        Args:
            leaf_hash: the new leaf's hash.

        Returns:
            The completed stored nodes, as :meth:`Frontier.append` returns them.

        Raises:
            ValidationError: the leaf hash is malformed (nothing is appended).
        """
        completed = self._frontier.append(leaf_hash)
        self._leaves.append(leaf_hash)
        for node in completed:
            self._keep(node)
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[Node]:
        """Append several leaves in order.

        Args:
            leaf_hashes: the new leaves' hashes.

        Returns:
            Every completed stored node, in completion order.

        Raises:
            ValidationError: a leaf hash is malformed; the leaves before it stay appended.
        """
        completed: list[Node] = []
        for leaf_hash in leaf_hashes:
            completed.extend(self.append(leaf_hash))
        return completed

    def leaf_hashes(self, begin: int, end: int) -> Sequence[bytes]:
        """Return the leaf hashes with indexes in ``[begin, end)``; see :class:`NodeReader`."""
        return self._leaves[begin:end]

    def stored_nodes(self, level: int, begin: int, end: int) -> Sequence[bytes]:
        """Return stored node hashes at ``level``, indexes ``[begin, end)``; see NodeReader.

        Raises:
            ValidationError: the level is not one of STORED_LEVELS.
        """
        nodes = self._nodes.get(level)
        if nodes is None:
            raise ValidationError(
                f"level {level} is not stored; stored levels are {STORED_LEVELS}", field="level"
            )
        return nodes[begin:end]

    def _keep(self, node: Node) -> None:
        nodes = self._nodes[node.level]
        # Nodes of one level complete left to right, so each is the next index.
        assert node.index == len(nodes), (node, len(nodes))
        nodes.append(node.hash)
