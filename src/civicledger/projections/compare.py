"""同比 and 环比: two figures of one indicator, their difference and percentage change.

The earlier period is derived from the later one by construction (the same span a
year earlier, or the preceding period of the same kind), so a comparison cannot
quietly set 1—11月 against a whole year.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, TypeAlias

import attrs

from civicledger.errors import ProjectionError
from civicledger.projections.engine import EventSource, Pushdown, compute_from_source
from civicledger.projections.figures import Figure, Number, json_value
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

__all__ = [
    "Basis",
    "Comparison",
    "change_between",
    "compare",
    "compare_figures",
    "zero_figure",
]

_CENT = Decimal("0.01")

Basis: TypeAlias = Literal["year", "period", "given"]
"""What the earlier period is: ``"year"`` 同比 (the same span a year earlier),
``"period"`` 环比 (the preceding period of the same kind), ``"given"`` named by the caller."""

_BASIS_ZH = {"year": "同比", "period": "环比", "given": "对比"}
_BASIS_EN = {
    "year": "year on year",
    "period": "against the preceding period",
    "given": "against the period named",
}


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
        basis: how the earlier period was chosen (see :data:`Basis`).
    """

    current: Figure
    previous: Figure
    difference: Number | None
    change_percent: Decimal | None
    undefined_reason: str | None = None
    basis: Basis = "given"

    @property
    def indicator(self) -> Indicator:
        """The indicator compared."""
        return self.current.indicator

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: both figures in full, the difference and the change."""
        return {
            "indicator": self.indicator.id,
            "basis": self.basis,
            "periods": {
                "current": {"key": self.current.period.key, "label": self.current.period.label},
                "previous": {"key": self.previous.period.key, "label": self.previous.period.label},
            },
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "difference": json_value(self.difference),
            "change_percent": json_value(self.change_percent),
            "undefined_reason": self.undefined_reason,
        }

    def explain(self, language: str = "zh") -> str:
        """One line naming both periods, both values and the change."""
        now, before = self.current, self.previous
        group = "".join(f"[{k}={v}]" for k, v in now.group)
        shown = {f: "—" if f.value is None else str(f.value) for f in (now, before)}
        change = "—" if self.change_percent is None else f"{self.change_percent}%"
        why = self.undefined_reason
        if language == "en":
            return (
                f"{self.indicator.id}{group}: {now.period.label_en} = {shown[now]}, "
                f"{before.period.label_en} = {shown[before]} ({_BASIS_EN[self.basis]}); "
                f"change {change}" + (f" ({why})" if why else "")
            )
        return (
            f"{self.indicator.label}（{self.indicator.id}{group}）：{now.period.label} "
            f"{shown[now]}，{before.period.label} {shown[before]}（{_BASIS_ZH[self.basis]}）；"
            f"变化 {change}" + (f"（{why}）" if why else "")
        )


def compare_figures(current: Figure, previous: Figure, basis: Basis = "given") -> Comparison:
    """Compare two figures of the same indicator (and group).

    Raises:
        ProjectionError: the figures are of different indicators or groups.
    """
    if current.indicator.id != previous.indicator.id or current.group != previous.group:
        raise ProjectionError(
            f"cannot compare {current} with {previous}: not the same indicator and group"
        )
    difference, change, reason = change_between(current.value, previous.value)
    return Comparison(current, previous, difference, change, reason, basis)


def change_between(
    current: Number | None, previous: Number | None
) -> tuple[Number | None, Decimal | None, str | None]:
    """The difference and the change in percent between two values, or why there is none.

    Returns:
        (current − previous, the change in percent rounded half up to two places, the
        reason a value is None).
    """
    if current is None or previous is None:
        which = "current" if current is None else "previous"
        return None, None, f"the {which} figure is not defined"
    difference = current - previous
    if previous == 0:
        return difference, None, "the previous figure is 0, so no percentage"
    with localcontext() as context:
        context.prec = 60
        change = (Decimal(difference) * 100 / Decimal(previous)).quantize(
            _CENT, rounding=ROUND_HALF_UP
        )
    return difference, change, None


def _period(value: int | Period, indicator: Indicator) -> Period:
    if isinstance(value, Period):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Period.year(value)
    raise ProjectionError(f"{indicator.id}: a period must be a year or a Period, not {value!r}")


def earlier_period(current: Period, against: Basis) -> Period:
    """The period ``current`` is compared with: 同比 (``"year"``) or 环比 (``"period"``).

    Raises:
        ProjectionError: ``against`` is neither, or the period has no such counterpart.
    """
    if against == "year":
        return current.previous_year()
    if against == "period":
        return current.previous()
    raise ProjectionError(f"against must be 'year' (同比) or 'period' (环比), not {against!r}")


def compare(
    indicator: Indicator,
    current: int | Period,
    previous: int | Period | None = None,
    *,
    against: Basis = "year",
    source: EventSource,
    as_of: object = None,
    pushdown: Pushdown | None = None,
) -> list[Comparison]:
    """Compare an indicator's figures for a period and an earlier one.

    Without ``previous`` the earlier period follows from ``against``: the same span
    one year earlier (同比; 2022年1—11月 against 2021年1—11月, ISO week against the
    same ISO week) or the preceding period of the same kind (环比). Both figures
    come from one pass over the store, at the same as-of point.

    Args:
        indicator: the indicator.
        current: the later period (``2023`` means the calendar year).
        previous: the earlier period, or None to derive it.
        against: ``"year"`` (同比, the default) or ``"period"`` (环比) when
            ``previous`` is None.
        source: the event store to read.
        as_of: see :func:`~civicledger.projections.engine.resolve_as_of`.
        pushdown: the store's identical fast path, if any.

    Returns:
        One comparison per group (one for an ungrouped indicator), sorted by group;
        a group missing on one side is compared with 0.

    Raises:
        ProjectionError: a period is malformed, or the computation fails.
        ValidationError: the period has no counterpart of that kind (ISO week 53 同比,
            环比 of a period up to a date).
    """
    now = _period(current, indicator)
    if previous is None:
        before, basis = earlier_period(now, against), against
    else:
        before, basis = _period(previous, indicator), "given"
    if before == now:
        raise ProjectionError(f"{indicator.id}: cannot compare {now.key} with itself")
    figures = compute_from_source(
        source, [(indicator, now), (indicator, before)], as_of=as_of, pushdown=pushdown
    )
    by_period: dict[Period, dict[tuple[tuple[str, str], ...], Figure]] = {now: {}, before: {}}
    for figure in figures:
        by_period[figure.period][figure.group] = figure
    groups = sorted(set(by_period[now]) | set(by_period[before]))
    result = []
    for group in groups:
        a = by_period[now].get(group) or zero_figure(by_period[before][group], now)
        b = by_period[before].get(group) or zero_figure(by_period[now][group], before)
        result.append(compare_figures(a, b, basis))
    return result


def zero_figure(other: Figure, period: Period) -> Figure:
    """The figure of a group seen in another period only: 0, with no events."""
    return Figure(
        indicator=other.indicator, period=period, value=0, as_of=other.as_of, group=other.group
    )
