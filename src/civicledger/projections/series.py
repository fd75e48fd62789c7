"""Series: one figure of an indicator per month, quarter or ISO week of a period.

A series is a run of periods: the period is cut into steps (``by``), each step
clipped to the period, and every step gets a full figure with its lineage, all
computed in one pass over the store. Asked for, the same steps one year
earlier (同比) come with it, each step's counterpart derived by
:meth:`Period.previous_year`, so the two series line up by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from civicledger.errors import ValidationError
from civicledger.limits import LimitError
from civicledger.projections.compare import zero_figure
from civicledger.projections.engine import (
    EventSource,
    Lineage,
    Pushdown,
    Request,
    compute_from_source,
)
from civicledger.projections.figures import Figure
from civicledger.projections.filters import refers_to_period
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, Sum
from civicledger.projections.periods import Period

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["SERIES_FORMAT", "STEPS", "Series", "Step", "compute_series", "is_additive", "steps_of"]

Step: TypeAlias = Literal["month", "quarter", "week"]
STEPS: tuple[Step, ...] = ("month", "quarter", "week")

Group = tuple[tuple[str, str], ...]

SERIES_FORMAT = "civicledger-series/1"
"""The ``format`` member of a series' JSON form (:meth:`Series.to_dict`)."""


def is_additive(indicator: Indicator) -> bool:
    """Whether figures of disjoint periods add up to the figure of their union.

    True for a count or a sum of flows (not a stock, not a ratio, a latest value
    or a distinct count, and no filter that takes dates from the period): each
    event then adds the same amount to whichever period holds its date.
    """
    if not isinstance(indicator.measure, Count | Sum) or indicator.state:
        return False
    return indicator.where is None or not refers_to_period(indicator.where)


def steps_of(period: Period, by: Step, *, max_steps: int = 1_000) -> list[Period]:
    """The months, quarters or ISO weeks that touch ``period``, each clipped to it.

    A step wholly inside the period is the named period (``2023-03``, ``2023-Q1``,
    ``2023-W14``); a step cut by the period's edge is the date range of its part
    inside (``2023-01-01..2023-01-01`` for the end of ISO week 52 of 2022).

    Raises:
        ValidationError: ``by`` is not month, quarter or week.
        LimitError: the period has more than ``max_steps`` steps (the limit
            ``series_max_periods``).
    """
    if by not in STEPS:
        raise ValidationError(f"by must be one of {', '.join(STEPS)}, got {by!r}", field="by")
    steps: list[Period] = []
    whole = _first_step(period.start, by)
    while whole.start <= period.end:
        if len(steps) == max_steps:
            raise LimitError(
                f"{period.key} has more than {max_steps} {by}s; a series is limited to "
                f"{max_steps} periods (limit series_max_periods)",
                limit="series_max_periods",
            )
        if period.start <= whole.start and whole.end <= period.end:
            steps.append(whole)
        else:
            steps.append(Period.between(max(whole.start, period.start), min(whole.end, period.end)))
        if whole.end >= period.end:
            break
        whole = _first_step(whole.end + timedelta(days=1), by)
    return steps


def _first_step(day: date, by: Step) -> Period:
    if by == "month":
        return Period.month(day.year, day.month)
    if by == "quarter":
        return Period.quarter(day.year, (day.month + 2) // 3)
    iso = day.isocalendar()
    return Period.week(iso.year, iso.week)


@attrs.frozen
class Series:
    """An indicator's figures step by step through a period.

    Attributes:
        indicator: the indicator.
        period: the whole period.
        by: the step: ``"month"``, ``"quarter"`` or ``"week"``.
        periods: the steps, in order, clipped to the period.
        figures: one figure per step (per step and group, for a grouped indicator:
            every group seen in any step appears in every step, 0 where absent),
            in step order, then group order.
        previous: the same figures one year earlier (each step's
            :meth:`~Period.previous_year`), in the same order; None unless asked for.
    """

    indicator: Indicator
    period: Period
    by: Step
    periods: tuple[Period, ...]
    figures: tuple[Figure, ...]
    previous: tuple[Figure, ...] | None = None

    @property
    def additive(self) -> bool:
        """Whether the steps' values add up to the period's figure (see :func:`is_additive`)."""
        return is_additive(self.indicator)

    @property
    def groups(self) -> tuple[Group, ...]:
        """The groups, in order (one empty group for an ungrouped indicator)."""
        return tuple(dict.fromkeys(f.group for f in self.figures))

    def __iter__(self) -> Iterator[Figure]:
        return iter(self.figures)

    def __len__(self) -> int:
        return len(self.figures)

    def _repr_html_(self) -> str:
        """The series in a notebook: a table of its steps (and the year before), each
        step's derivation one click away."""
        from civicledger.projections.display import figures_html

        return figures_html(self.figures, self.previous)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the series' shape and every figure in full (with lineage)."""
        return {
            "format": SERIES_FORMAT,
            "indicator": self.indicator.id,
            "label": self.indicator.label,
            "unit": self.indicator.unit,
            "period": {"key": self.period.key, "label": self.period.label},
            "by": self.by,
            "additive": self.additive,
            "figures": [f.to_dict() for f in self.figures],
            "previous": None if self.previous is None else [f.to_dict() for f in self.previous],
        }

    def to_pandas(self, *, decimals: Literal["exact", "float"] = "exact") -> pandas.DataFrame:
        """One row per step (and group), with the year-earlier value when present; needs
        the ``frames`` extra; see :func:`civicledger.frames.series_frame`."""
        from civicledger.frames import series_frame

        return series_frame(self, decimals=decimals)

    def to_arrow(self) -> pyarrow.Table:
        """The rows of :meth:`to_pandas` as an Arrow table (exact decimals); needs the
        ``frames`` extra."""
        from civicledger.frames import series_table

        return series_table(self)

    def lineage_to_pandas(
        self, *, decimals: Literal["exact", "float"] = "exact"
    ) -> pandas.DataFrame:
        """One row per contribution to each step (this year's); see
        :func:`civicledger.frames.lineage_frame`."""
        from civicledger.frames import lineage_frame

        return lineage_frame(self.figures, decimals=decimals)


def compute_series(
    source: EventSource,
    indicators: Sequence[Indicator],
    period: Period,
    by: Step,
    *,
    previous_year: bool = False,
    as_of: object = None,
    lineage: Lineage = True,
    pushdown: Pushdown | None = None,
    max_steps: int = 1_000,
) -> list[Series]:
    """Compute one series per indicator, all in one pass over the store.

    Args:
        source: the event store.
        indicators: the indicators, each giving one series.
        period: the whole period.
        by: the step (month, quarter or ISO week).
        previous_year: also compute each step one year earlier (同比).
        as_of: see :func:`~civicledger.projections.engine.resolve_as_of`.
        lineage: as for :func:`~civicledger.projections.engine.compute_from_source`.
        pushdown: the store's identical fast path, if any.
        max_steps: the most steps a series may have.

    Returns:
        The series, in the indicators' order.

    Raises:
        ValidationError: ``by`` is unknown, there are too many steps, or a step has no
            counterpart a year earlier (ISO week 53).
        ProjectionError: the computation fails.
    """
    steps = steps_of(period, by, max_steps=max_steps)
    earlier = [step.previous_year() for step in steps] if previous_year else []
    requests: list[Request] = [(i, p) for i in indicators for p in (*steps, *earlier)]
    figures = compute_from_source(source, requests, as_of=as_of, lineage=lineage, pushdown=pushdown)
    found: dict[tuple[str, Period], dict[Group, Figure]] = {}
    for figure in figures:
        found.setdefault((figure.indicator.id, figure.period), {})[figure.group] = figure
    return [
        Series(
            indicator,
            period,
            by,
            tuple(steps),
            _dense(indicator, steps, found),
            _dense(indicator, earlier, found) if previous_year else None,
        )
        for indicator in indicators
    ]


def _dense(
    indicator: Indicator,
    steps: Iterable[Period],
    found: dict[tuple[str, Period], dict[Group, Figure]],
) -> tuple[Figure, ...]:
    """Every group seen in any step, in every step (0 with no events where absent)."""
    steps = list(steps)
    by_step = [found.get((indicator.id, step), {}) for step in steps]
    groups = sorted({g for figures in by_step for g in figures})  # none: no events at all
    result: list[Figure] = []
    for step, figures in zip(steps, by_step, strict=True):
        for group in groups:
            if group in figures:
                result.append(figures[group])
            else:
                seen = next(f[group] for f in by_step if group in f)
                result.append(zero_figure(seen, step))
    return tuple(result)
