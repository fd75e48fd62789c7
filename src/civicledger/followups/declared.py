"""Roll-up figures under an office's own ids: what ``followups = "..."`` in an indicator
set computes to (see ``docs/indicators.md``).

The projections layer loads such declarations but cannot count follow-ups (they
are a layer above it); the ledger facade hands :class:`DeclaredRollups` to
:func:`civicledger.projections.service.indicators`, which calls it for each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from civicledger.events import RecordedEvent
from civicledger.followups.fold import followups
from civicledger.followups.rollups import FollowUpRollup, in_scope, rollup
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

__all__ = ["DeclaredRollups", "declared_figures"]


def declared_figures(indicator: Indicator, figures: FollowUpRollup) -> list[Figure]:
    """The roll-up figures an indicator declares, under its id, label and unit.

    Args:
        indicator: an indicator with ``followups`` set (``"completion_rate"``).
        figures: the roll-up of the period.

    Returns:
        One figure, or one per group for a grouped roll-up (``by_status``...), with
        the roll-up's value, period, as-of point and lineage.
    """
    wanted = f"followups.{indicator.followups}"
    found = []
    for figure in figures.all_figures():
        if figure.id != wanted:
            continue
        described = f"Declared as {wanted}. {indicator.description or figure.indicator.description}"
        # The roll-up's measure (explain shows how it was counted) under the office's id;
        # ``followups`` stays set, so the engine refuses to recount it (e.g. in a revision).
        renamed = attrs.evolve(
            figure.indicator,
            id=indicator.id,
            label=indicator.label,
            unit=indicator.unit,
            description=described.strip(),
            followups=indicator.followups,
        )
        found.append(attrs.evolve(figure, indicator=renamed))
    return found


class DeclaredRollups:
    """Computes declared roll-up figures from the problem events known at one as-of point.

    One roll-up per period, shared by every declaration of the set.
    """

    def __init__(self, read: Callable[[], Iterable[RecordedEvent]], as_of: AsOf) -> None:
        """Args:
        read: the problem events known at ``as_of``, corrections applied (read again
            for each period).
        as_of: the ledger prefix the figures are stamped with.
        """
        self._read = read
        self._as_of = as_of
        self._rollups: dict[Period, FollowUpRollup] = {}

    def __call__(self, indicator: Indicator, period: Period) -> list[Figure]:
        """The figures ``indicator`` declares, as of ``period``'s end."""
        if period not in self._rollups:
            rows = followups(self._read(), as_of=period.end)
            self._rollups[period] = rollup(in_scope(rows, period), period=period, as_of=self._as_of)
        return declared_figures(indicator, self._rollups[period])
