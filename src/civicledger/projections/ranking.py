"""Rankings over a grouped figure: the top N groups, with ties stated, never hidden.

"居前三位的是…" names the groups with the largest figures. When groups tie,
they share a place (competition ranking: 1, 2, 2, 4), and a tie at the last
place shown brings every tied group in, so no group is silently left out of a
place it shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from civicledger.errors import ProjectionError
from civicledger.projections.figures import Figure

__all__ = ["Placed", "rank"]


@attrs.frozen
class Placed:
    """One group's place in a ranking.

    Attributes:
        place: 1 for the largest; groups with equal values share a place.
        figure: the group's figure.
        tied: whether another group shown has the same place.
    """

    place: int
    figure: Figure
    tied: bool


def rank(figures: Sequence[Figure], n: int) -> tuple[Placed, ...]:
    """The groups placed 1 to ``n`` by value, largest first, ties sharing a place.

    Groups with equal values are ordered by their group text. Figures that are
    not defined take no place.

    Args:
        figures: the figures of one grouped indicator (one per group).
        n: how many places to show, at least 1.

    Returns:
        Every group whose place is at most ``n`` (more than ``n`` when the last
        place is shared).

    Raises:
        ProjectionError: ``n`` is not a whole number >= 1, or a figure is not grouped.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ProjectionError(f"a ranking shows at least 1 place, got {n!r}")
    for figure in figures:
        if not figure.group:
            raise ProjectionError(f"indicator {figure.id!r} is not grouped: nothing to rank")
    defined = [f for f in figures if f.value is not None]
    ordered = sorted(defined, key=lambda f: (-f.value, f.group))  # type: ignore[operator]
    placed: list[tuple[int, Figure]] = []
    for index, figure in enumerate(ordered):
        shares = placed and figure.value == placed[-1][1].value
        place = placed[-1][0] if shares else index + 1
        if place > n:
            break
        placed.append((place, figure))
    places = [p for p, _ in placed]
    return tuple(Placed(p, f, places.count(p) > 1) for p, f in placed)
