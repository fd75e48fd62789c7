"""A figure's contributions held as compact columns, made into objects on first access.

A count or sum over a large ledger has one contribution per counted event;
holding each as a :class:`~civicledger.projections.figures.Contribution` object
costs about 200 bytes and a constructor call per event. Here the envelope of
every row read (position, the 16 id bytes, indexes into a table of day, type
and stream texts) is stored once in a :class:`RowTable`, and each figure keeps
only row numbers, amounts and keys (:class:`LineageColumns`): a few dozen bytes
an event and no object at all until a reader asks for ``Figure.contributions``.
Then they are built once, in ledger order, equal to those the Python engine
builds. Nothing is read from the store on access, so the figures stay usable
after the ledger is closed.
"""

from __future__ import annotations

import functools
import uuid
from array import array
from datetime import date

from civicledger.projections.figures import Contribution
from civicledger.store.ids import uuid_from_bytes

__all__ = ["LineageColumns", "RowTable"]

_REMOVED = "removed"
"""The note a closing event's contribution carries, as the engine writes it."""


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


class RowTable:
    """The envelopes of the rows one computation read, each text stored once."""

    __slots__ = ("days", "ids", "index", "positions", "streams", "texts", "types")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.texts: list[str] = []
        self.positions = array("q")
        self.ids = bytearray()
        self.days = array("i")
        self.types = array("i")
        self.streams = array("i")

    def text(self, value: str) -> int:
        """The number of a text, adding it when new."""
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.texts)
            self.texts.append(value)
        return found

    def add(
        self, position: int, event_id: bytes | uuid.UUID, day: str, type_number: int, stream: str
    ) -> int:
        """Store one row's envelope (``type_number`` from :meth:`text`); returns its row number."""
        self.positions.append(position)
        self.ids += event_id.bytes if isinstance(event_id, uuid.UUID) else event_id
        self.days.append(self.text(day))
        self.types.append(type_number)
        self.streams.append(self.text(stream))
        return len(self.positions) - 1

    def contribution(
        self, row: int, amount: int, key: str | None, note: str | None
    ) -> Contribution:
        """The Contribution of a stored row."""
        texts = self.texts
        return Contribution(
            uuid_from_bytes(bytes(self.ids[16 * row : 16 * row + 16])),
            self.positions[row],
            _day(texts[self.days[row]]),
            texts[self.types[row]],
            texts[self.streams[row]],
            amount,
            key,
            note,
        )


class LineageColumns:
    """The contributions of one figure: row numbers in a :class:`RowTable`, amounts, keys."""

    __slots__ = ("amounts", "keys", "removed", "rows", "table")

    def __init__(self, table: RowTable) -> None:
        self.table = table
        self.rows = array("l")
        self.amounts = array("q")
        self.removed = bytearray()  # 1 where a closing event removed the amount
        self.keys: list[str] | None = None  # the distinct value each row brought, if any

    def __len__(self) -> int:
        return len(self.rows)

    def contributions(self) -> tuple[Contribution, ...]:
        """The Contribution objects, in ledger order (the figure calls this on first access)."""
        positions = self.table.positions
        rows = self.rows
        # Rows of several types (or read in day order) are put in position order; the sort
        # is stable, so the keys one event brought keep their order.
        order = sorted(range(len(rows)), key=lambda i: positions[rows[i]])
        keys = self.keys
        return tuple(
            self.table.contribution(
                rows[i],
                self.amounts[i],
                None if keys is None else keys[i],
                _REMOVED if self.removed[i] else None,
            )
            for i in order
        )
