"""Year over year: two figures of one indicator, their difference and percentage change."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import attrs

from civicledger.errors import ProjectionError
from civicledger.projections.engine import EventSource, compute_from_source
from civicledger.projections.figures import Figure, Number, json_value
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

__all__ = ["Comparison", "compare", "compare_figures"]

_CENT = Decimal("0.01")


@attrs.frozen
class Comparison:
    """Two figures of one indicator and how they differ.

    Attributes:
        current: the later figure (with its lineage).
        previous: the earlier figure (with its lineage).
        difference: current minus previous, or None if either is not defined.
        change_percent: (current - previous) / previous × 100, rounded half up to
            two places; None when previous is 0 or either is not defined.
        undefined_reason: why ``change_percent`` is None.
    """

    current: Figure
    previous: Figure
    difference: Number | None
    change_percent: Decimal | None
    undefined_reason: str | None = None

    @property
    def indicator(self) -> Indicator:
        """The indicator compared."""
        return self.current.indicator

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: both figures in full, the difference and the change."""
        return {
            "indicator": self.indicator.id,
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "difference": json_value(self.difference),
            "change_percent": json_value(self.change_percent),
            "undefined_reason": self.undefined_reason,
        }


def compare_figures(current: Figure, previous: Figure) -> Comparison:
    """Compare two figures of the same indicator (and group).

    Raises:
        ProjectionError: the figures are of different indicators or groups.
    """
    if current.indicator.id != previous.indicator.id or current.group != previous.group:
        raise ProjectionError(
            f"cannot compare {current} with {previous}: not the same indicator and group"
        )
    if current.value is None or previous.value is None:
        which = "current" if current.value is None else "previous"
        return Comparison(current, previous, None, None, f"the {which} figure is not defined")
    difference = current.value - previous.value
    if previous.value == 0:
        return Comparison(
            current, previous, difference, None, "the previous figure is 0, so no percentage"
        )
    with localcontext() as context:
        context.prec = 60
        change = (Decimal(difference) * 100 / Decimal(previous.value)).quantize(
            _CENT, rounding=ROUND_HALF_UP
        )
    return Comparison(current, previous, difference, change)


def _period(value: int | Period, indicator: Indicator) -> Period:
    if isinstance(value, Period):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Period.year(value)
    raise ProjectionError(f"{indicator.id}: a period must be a year or a Period, not {value!r}")


def compare(
    indicator: Indicator,
    current: int | Period,
    previous: int | Period,
    *,
    source: EventSource,
    as_of: object = None,
) -> list[Comparison]:
    """Compare an indicator's figures for two periods (years or Periods).

    Both figures come from one pass over the store, at the same as-of point.

    Args:
        indicator: the indicator.
        current: the later period (``2023`` means the calendar year).
        previous: the earlier period.
        source: the event store to read.
        as_of: see :func:`~civicledger.projections.engine.resolve_as_of`.

    Returns:
        One comparison per group (one for an ungrouped indicator), sorted by group;
        a group missing on one side is compared with 0.

    Raises:
        ProjectionError: a period is malformed, or the computation fails.
    """
    now, before = _period(current, indicator), _period(previous, indicator)
    figures = compute_from_source(source, [(indicator, now), (indicator, before)], as_of=as_of)
    by_period: dict[Period, dict[tuple[tuple[str, str], ...], Figure]] = {now: {}, before: {}}
    for figure in figures:
        by_period[figure.period][figure.group] = figure
    groups = sorted(set(by_period[now]) | set(by_period[before]))
    result = []
    for group in groups:
        a = by_period[now].get(group) or _zero(by_period[before][group], now)
        b = by_period[before].get(group) or _zero(by_period[now][group], before)
        result.append(compare_figures(a, b))
    return result


def _zero(other: Figure, period: Period) -> Figure:
    """A group seen in one period only: the other period's figure is 0, with no events."""
    return Figure(
        indicator=other.indicator, period=period, value=0, as_of=other.as_of, group=other.group
    )
