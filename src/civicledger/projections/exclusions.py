"""Which events did not count in a figure: the ids behind ``Figure.excluded``.

A figure's ``excluded`` is a count: the events of the types its indicator reads
(source and closing types), known at its as-of point, that did not contribute.
Published figures list those events by id, so a reader can check that nothing
was left out silently. The events are read in a separate pass (the engine keeps
no per-event state), from the same effective view the figures were computed from.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from civicledger.projections.accumulate import Group
from civicledger.projections.figures import Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

__all__ = ["FigureKey", "Placed", "excluded_events", "figure_key", "plain_figures"]

FigureKey = tuple[Indicator, Period, Group]
"""What identifies a figure among those computed together."""


class Placed(Protocol):
    """An event's position, type and id: a recorded event, or a store's envelope of one."""

    @property
    def position(self) -> int:
        """Its position."""
        ...

    @property
    def type(self) -> str:
        """Its type name."""
        ...

    @property
    def event_id(self) -> uuid.UUID:
        """Its id."""
        ...


def figure_key(figure: Figure) -> FigureKey:
    """The figure's indicator, period and group."""
    return (figure.indicator, figure.period, figure.group)


def plain_figures(figures: Iterable[Figure]) -> Iterator[Figure]:
    """Every figure that is not a ratio, with the parts of ratios in place of them."""
    for figure in figures:
        parts = [p for p in (figure.numerator, figure.denominator) if p is not None]
        if parts:
            yield from plain_figures(parts)
        else:
            yield figure


def excluded_events(
    figures: Sequence[Figure], records: Iterable[Placed]
) -> dict[FigureKey, tuple[str, ...]]:
    """The ids of the events of each figure's types that did not count in it.

    Args:
        figures: figures computed together (ratios are looked through to their parts).
        records: the effective events of every type the figures read, up to their
            as-of point, in position order (their position, type and id are read).

    Returns:
        For each plain figure (by :func:`figure_key`), the ids (as text, the form
        a report lists them in) of the events of its indicator's types that are not
        among its contributions, in position order; as many as the figure's
        ``excluded`` count.
    """
    plain = {figure_key(f): f for f in plain_figures(figures)}
    # Each record once, by type, its id written as text once: a chart's steps read the
    # same types as the period's figure, and an event counted in one month's bar is
    # left out of every other month's.
    by_type: dict[str, list[tuple[int, str]]] = {}
    for record in records:
        by_type.setdefault(record.type, []).append((record.position, str(record.event_id)))
    of_types: dict[frozenset[str], list[tuple[int, str]]] = {}
    found: dict[FigureKey, tuple[str, ...]] = {}
    for key, figure in plain.items():
        types = frozenset(figure.indicator.all_types)
        if types not in of_types:
            lists = [by_type.get(t, []) for t in sorted(types)]
            of_types[types] = lists[0] if len(lists) == 1 else list(heapq.merge(*lists))
        # Positions identify events as ids do, and compare faster.
        counted = {c.position for c in figure.contributions}
        last = figure.as_of.position
        found[key] = tuple([i for p, i in of_types[types] if p <= last and p not in counted])
    return found
