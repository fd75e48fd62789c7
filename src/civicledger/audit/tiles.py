"""Comparing the interior nodes a rebuilt tree completes with the nodes the store kept."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from civicledger.audit.problems import ProblemKind
from civicledger.errors import CivicLedgerError
from civicledger.merkle.reader import NodeReader
from civicledger.merkle.tree import Node

TILE_BATCH = 64
"""Stored nodes compared per read."""

AddProblem = Callable[[int | None, ProblemKind, str], None]


class TileChecker:
    """Compares rebuilt nodes with the stored ones, TILE_BATCH of a level per read."""

    def __init__(self, reader: NodeReader | None, add: AddProblem) -> None:
        """Compare through ``reader`` (None: compare nothing), reporting through ``add``."""
        self._reader = reader
        self._add = add
        self._pending: dict[int, list[Node]] = defaultdict(list)

    def expect(self, nodes: Iterable[Node]) -> None:
        """Queue nodes the rows give, comparing a level's batch once it is full."""
        if self._reader is None:
            return
        for node in nodes:
            batch = self._pending[node.level]
            batch.append(node)
            if len(batch) >= TILE_BATCH:
                self._compare(node.level)

    def flush(self) -> None:
        """Compare every queued node."""
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
            self._add(nodes[0].end, ProblemKind.TILE, f"cannot read stored nodes: {e}")
            return
        for node in nodes:
            offset = node.index - first
            have = stored[offset] if offset < len(stored) else None
            if have != node.hash:
                what = "is missing" if have is None else f"is {have.hex()}"
                self._add(
                    node.end,
                    ProblemKind.TILE,
                    f"stored node (level {level}, index {node.index}) over positions "
                    f"{node.begin + 1} to {node.end} {what}; the rows give {node.hash.hex()}",
                )
