"""Which events did not count in a figure: the ids behind ``Figure.excluded``.

A figure's ``excluded`` is a count: the events of the types its indicator reads
(source and closing types), known at its as-of point, that did not contribute.
Published figures list those events by id, so a reader can check that nothing
was left out silently. The events are read in a separate pass (the engine keeps
no per-event state), from the same effective view the figures were computed from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence

from civicledger.events import RecordedEvent
from civicledger.projections.accumulate import Group
from civicledger.projections.figures import Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

__all__ = ["FigureKey", "excluded_events", "figure_key", "plain_figures"]

FigureKey = tuple[Indicator, Period, Group]
"""What identifies a figure among those computed together."""


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
    figures: Sequence[Figure], records: Iterable[RecordedEvent]
) -> dict[FigureKey, tuple[uuid.UUID, ...]]:
    """The ids of the events of each figure's types that did not count in it.

    Args:
        figures: figures computed together (ratios are looked through to their parts).
        records: the effective events of every type the figures read, up to their
            as-of point, in position order.

    Returns:
        For each plain figure (by :func:`figure_key`), the ids of the events of
        its indicator's types that are not among its contributions, in position
        order; as many as the figure's ``excluded`` count.
    """
    plain = {figure_key(f): f for f in plain_figures(figures)}
    counted = {key: {c.event_id for c in f.contributions} for key, f in plain.items()}
    readers: dict[str, list[FigureKey]] = {}
    for key, figure in plain.items():
        for type_name in figure.indicator.all_types:
            readers.setdefault(type_name, []).append(key)
    found: dict[FigureKey, list[uuid.UUID]] = {key: [] for key in plain}
    for record in records:
        for key in readers.get(record.type, ()):
            if record.position <= plain[key].as_of.position and record.event_id not in counted[key]:
                found[key].append(record.event_id)
    return {key: tuple(ids) for key, ids in found.items()}
