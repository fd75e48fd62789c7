"""The projection runner: pure folds, run from scratch, to a position, or incrementally.

A :class:`Projection` is a pure fold: an initial state and ``apply(state, event)
-> state``. The :class:`Runner` feeds it events from any store. Incremental runs
keep a :class:`ProjectionPosition` (the state and the position it covers) in the
:class:`~civicledger.store.parts.ProjectionPositions` the ledger's store
supplies (``ledger.projection_positions``); each batch's state and position are saved together in
one write that only succeeds if the stored position is still the one the batch
started from, so a crash between batches (or a second runner) can never count
an event twice or skip one.
"""

from __future__ import annotations

import abc
import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from civicledger.deprecation import renamed_attributes
from civicledger.errors import ProjectionError
from civicledger.events import RecordedEvent
from civicledger.store.parts import MemoryProjectionPositions, ProjectionPositions

__all__ = [
    "Fold",
    "Projection",
    "ProjectionPosition",
    "Runner",
    "fold",
]

S = TypeVar("S")


class Projection(abc.ABC, Generic[S]):
    """A pure fold over recorded events.

    Subclasses give a unique ``name``, ``initial()`` and ``apply()``; ``types``
    narrows the events read (None reads all). To be run incrementally, the state must
    survive ``dump`` / ``load`` to and from JSON-ready data (the defaults pass
    JSON-ready states through unchanged).
    """

    name: str = ""
    types: Sequence[str] | None = None

    @abc.abstractmethod
    def initial(self) -> S:
        """A fresh state, before any event."""

    @abc.abstractmethod
    def apply(self, state: S, record: RecordedEvent) -> S:
        """The state after one more event. Must not mutate ``state`` in place."""

    def dump(self, state: S) -> Any:
        """The state as JSON-ready data (kept with its projection position)."""
        return state

    def load(self, data: Any) -> S:
        """The state back from :meth:`dump`'s data."""
        return data  # type: ignore[no-any-return]


@attrs.frozen
class Fold(Projection[S]):
    """A projection made from two functions (and optional dump/load)."""

    name: str
    initial_state: Callable[[], S]
    step: Callable[[S, RecordedEvent], S]
    types: Sequence[str] | None = None
    dumper: Callable[[S], Any] | None = None
    loader: Callable[[Any], S] | None = None

    def initial(self) -> S:
        return self.initial_state()

    def apply(self, state: S, record: RecordedEvent) -> S:
        return self.step(state, record)

    def dump(self, state: S) -> Any:
        return self.dumper(state) if self.dumper else state

    def load(self, data: Any) -> S:
        return self.loader(data) if self.loader else data


def fold(projection: Projection[S], records: Iterable[RecordedEvent], state: S | None = None) -> S:
    """Fold events into a state (from ``projection.initial()`` unless a state is given)."""
    current = projection.initial() if state is None else state
    for record in records:
        current = projection.apply(current, record)
    return current


@attrs.frozen
class ProjectionPosition:
    """A projection's saved state and the last position it covers.

    Attributes:
        name: the projection's name.
        position: the last ledger position folded into ``state`` (0: none).
        state: the JSON-ready state data (as :meth:`Projection.dump` gives it).
    """

    name: str
    position: int
    state: Any


class Runner(Generic[S]):
    """Runs one projection over a store.

    Args:
        projection: the fold.
        source: an event store (anything with ``read`` and ``head``).
    """

    def __init__(self, projection: Projection[S], source: Any) -> None:
        if not projection.name:
            raise ProjectionError("a projection needs a name to be run")
        self.projection = projection
        self.source = source

    def _records(self, from_position: int, to_position: int) -> Iterator[RecordedEvent]:
        if to_position < from_position:
            return iter(())
        records: Iterator[RecordedEvent] = self.source.read(
            types=self.projection.types, from_position=from_position, to_position=to_position
        )
        return records

    def _target(self, to_position: int | None, head: int) -> int:
        if to_position is None:
            return head
        if to_position < 0 or to_position > head:
            raise ProjectionError(f"position {to_position} is outside the ledger (head {head})")
        return to_position

    def run(self, to_position: int | None = None) -> tuple[S, int]:
        """Fold from scratch up to a position (the head when None): no projection position involved.

        Returns:
            The state and the position it covers.
        """
        target = self._target(to_position, self.source.head())
        return fold(self.projection, self._records(1, target)), target

    def catch_up(
        self,
        positions: ProjectionPositions,
        *,
        batch_size: int = 1000,
        to_position: int | None = None,
    ) -> ProjectionPosition:
        """Continue from the stored projection position, saving after every batch.

        A batch is ``batch_size`` ledger positions. State and position are saved
        together; if the process dies between batches, the next call resumes at
        the last saved position with the state saved with it.

        Args:
            positions: where the projection position is kept.
            batch_size: positions per saved batch (at least 1).
            to_position: stop here (the head when None).

        Returns:
            The projection position after the last batch.

        Raises:
            ConcurrencyError: another runner moved the projection position meanwhile.
            ProjectionError: ``batch_size`` is below 1, ``to_position`` is outside the
                ledger, or the stored position is past the ledger's head.
        """
        if batch_size < 1:
            raise ProjectionError(f"batch_size must be at least 1, got {batch_size}")
        name, projection = self.projection.name, self.projection
        stored = positions.load(name)
        head: int = self.source.head()
        target = self._target(to_position, head)
        if stored is not None and stored[0] > head:
            raise ProjectionError(
                f"projection {name!r} is stored at position {stored[0]}, past the ledger's "
                f"head {head}: it was built from another ledger or its position was changed; "
                "rebuild it"
            )
        expected = stored[0] if stored is not None else None
        position = expected or 0
        state = projection.load(stored[1]) if stored is not None else projection.initial()
        if stored is None:
            positions.save(name, None, 0, projection.dump(state))
            expected = 0
        while position < target:
            end = min(position + batch_size, target)
            state = fold(projection, self._records(position + 1, end), state)
            positions.save(name, expected, end, projection.dump(state))
            expected = position = end
        return ProjectionPosition(name, position, projection.dump(state))

    def follow(
        self,
        positions: ProjectionPositions,
        *,
        batch_size: int = 1,
        stop: threading.Event | None = None,
        timeout: float | None = None,
        poll_interval: float = 0.5,
    ) -> ProjectionPosition:
        """Catch up, then keep the projection position current as events are appended (blocking).

        Uses the store's catch-up subscription (``subscribe``), saving state and
        position together every ``batch_size`` events, with the same
        compare-and-set as :meth:`catch_up`; run it in a thread or a worker.

        Args:
            positions: where the projection position is kept.
            batch_size: events per save (1: after every event).
            stop: ends the loop when set (the last batch is saved first).
            timeout: ends the loop after this many seconds without a new event.
            poll_interval: the longest wait between checks for new events and ``stop``.

        Returns:
            The projection position when the loop ends.

        Raises:
            ConcurrencyError: another runner moved the projection position meanwhile.
            ProjectionError: ``batch_size`` is below 1.
        """
        if batch_size < 1:
            raise ProjectionError(f"batch_size must be at least 1, got {batch_size}")
        current = self.catch_up(positions, batch_size=max(batch_size, 1000))
        projection, name = self.projection, self.projection.name
        state = projection.load(current.state)
        saved = position = current.position
        wanted = frozenset(projection.types) if projection.types is not None else None
        updates = self.source.subscribe(
            position + 1, poll_interval=poll_interval, stop=stop, timeout=timeout
        )
        for record in updates:
            if wanted is None or record.type in wanted:
                state = projection.apply(state, record)
            position = record.position
            if position - saved >= batch_size:
                positions.save(name, saved, position, projection.dump(state))
                saved = position
        if position != saved:
            positions.save(name, saved, position, projection.dump(state))
        return ProjectionPosition(name, position, projection.dump(state))

    def state(self, positions: ProjectionPositions) -> S | None:
        """The state stored with the projection position, or None if the projection never ran."""
        stored = positions.load(self.projection.name)
        return None if stored is None else self.projection.load(stored[1])

    def rebuild(
        self, positions: ProjectionPositions, to_position: int | None = None
    ) -> ProjectionPosition:
        """Replay from scratch into a fresh state, then swap it in with its position.

        The old projection position stays in place (and readable) until the swap.
        """
        state, position = self.run(to_position)
        data = self.projection.dump(state)
        positions.replace(self.projection.name, position, copy.deepcopy(data))
        return ProjectionPosition(self.projection.name, position, data)


__getattr__ = renamed_attributes(
    __name__,
    {
        "Checkpoint": ("civicledger.projections.ProjectionPosition", lambda: ProjectionPosition),
        "CheckpointStore": (
            "civicledger.store.parts.ProjectionPositions",
            lambda: ProjectionPositions,
        ),
        "MemoryCheckpoints": (
            "civicledger.store.parts.MemoryProjectionPositions",
            lambda: MemoryProjectionPositions,
        ),
    },
)
