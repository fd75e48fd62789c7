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
after the ledger is closed. A figure written out as JSON takes its contributions'
dicts straight from the columns (:meth:`LineageColumns.contribution_dicts`).
"""

from __future__ import annotations

import functools
import uuid
from array import array
from datetime import date
from typing import Any

from civicledger.projections.figures import Contribution
from civicledger.store.ids import uuid_from_bytes

__all__ = ["LineageColumns", "RowTable"]

_REMOVED = "removed"
"""The note a closing event's contribution carries, as the engine writes it."""


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


@functools.lru_cache(maxsize=4096)
def _day_text(text: str) -> str:
    """The day as ``Contribution.to_dict`` writes it (the stored text need not be that form)."""
    return _day(text).isoformat()


def _id_text(raw: bytes | bytearray) -> str:
    """16 id bytes as ``str(uuid.UUID(bytes=raw))`` writes them, without the UUID object."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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

    def __call__(self) -> tuple[Contribution, ...]:
        """The Contribution objects: what a figure calls on first access to them."""
        return self.contributions()

    def _order(self) -> list[int]:
        """The indexes of the contributions in ledger order."""
        positions = self.table.positions
        rows = self.rows
        # Rows of several types (or read in day order) are put in position order; the sort
        # is stable, so the keys one event brought keep their order.
        return sorted(range(len(rows)), key=lambda i: positions[rows[i]])

    def contributions(self) -> tuple[Contribution, ...]:
        """The Contribution objects, in ledger order."""
        rows = self.rows
        order = self._order()
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

    def contribution_dicts(self) -> list[dict[str, Any]]:
        """What ``Contribution.to_dict`` gives for each contribution, in ledger order,
        written from the columns: a large figure's JSON lineage without building (and
        taking apart again) an object, a UUID and a date per event.
        """
        table = self.table
        ids, positions, texts = table.ids, table.positions, table.texts
        days, types, streams = table.days, table.types, table.streams
        rows, amounts, removed, keys = self.rows, self.amounts, self.removed, self.keys
        dicts = []
        for i in self._order():
            row = rows[i]
            dicts.append(
                {
                    "event_id": _id_text(ids[16 * row : 16 * row + 16]),
                    "position": positions[row],
                    "occurred_on": _day_text(texts[days[row]]),
                    "type": texts[types[row]],
                    "stream": texts[streams[row]],
                    "amount": amounts[i],  # an int: Contribution.to_dict keeps ints as they are
                    "key": None if keys is None else keys[i],
                    "note": _REMOVED if removed[i] else None,
                }
            )
        return dicts
