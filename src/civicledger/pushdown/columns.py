"""A figure's contributions held as compact columns, made into objects on first access.

A count or sum over a large ledger has one contribution per counted event;
holding each as a :class:`~civicledger.projections.figures.Contribution` object
costs about 200 bytes and a constructor call per event. Here they are arrays
(positions, the 16 id bytes, indexes into a shared table of day, type and
stream texts, amounts), about 45 bytes an event and no object at all, until a
reader asks for ``Figure.contributions``: then they are built once, in ledger
order, equal to those the Python engine builds. Nothing is read from the store
on access, so the figures stay usable after the ledger is closed.
"""

from __future__ import annotations

import functools
import uuid
from array import array
from datetime import date

from civicledger.projections.figures import Contribution
from civicledger.store.ids import uuid_from_bytes

__all__ = ["LineageColumns", "Texts"]

_REMOVED = "removed"
"""The note a closing event's contribution carries, as the engine writes it."""


class Texts:
    """The day, type and stream texts of one computation, each stored once."""

    __slots__ = ("index", "values")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def number(self, text: str) -> int:
        """The index of ``text``, adding it when new."""
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.values)
            self.values.append(text)
        return found


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


class LineageColumns:
    """The contributions of one figure, one array per Contribution field."""

    __slots__ = ("amounts", "days", "ids", "positions", "removed", "streams", "texts", "types")

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self.positions = array("q")
        self.ids = bytearray()
        self.days = array("l")
        self.types = array("l")
        self.streams = array("l")
        self.amounts = array("q")
        self.removed = bytearray()  # 1 where a closing event removed the amount

    def __len__(self) -> int:
        return len(self.positions)

    def add(
        self,
        position: int,
        event_id: bytes | uuid.UUID,
        day: str,
        type_name: int,
        stream: str,
        amount: int,
        removed: bool,
    ) -> None:
        """Add one contribution (``type_name``: its index in the shared texts).

        Raises:
            OverflowError: the amount does not fit in 64 bits (the caller falls back).
        """
        self.amounts.append(amount)
        self.positions.append(position)
        self.ids += event_id.bytes if isinstance(event_id, uuid.UUID) else event_id
        number = self.texts.number
        self.days.append(number(day))
        self.types.append(type_name)
        self.streams.append(number(stream))
        self.removed.append(removed)

    def contributions(self) -> tuple[Contribution, ...]:
        """The Contribution objects, in ledger order (the figure calls this on first access)."""
        values = self.texts.values
        positions = self.positions
        # Rows arrive per event type in index order; the engine lists contributions by position.
        order = sorted(range(len(positions)), key=positions.__getitem__)
        ids = bytes(self.ids)
        return tuple(
            Contribution(
                uuid_from_bytes(ids[16 * i : 16 * i + 16]),
                positions[i],
                _day(values[self.days[i]]),
                values[self.types[i]],
                values[self.streams[i]],
                self.amounts[i],
                None,
                _REMOVED if self.removed[i] else None,
            )
            for i in order
        )
