"""Roll-ups of the rectification ledger as figures with lineage.

How rectification notices count (see ``docs/followups.md``):

- **total**: the follow-ups in scope (:func:`in_scope`).
- **by status**: one figure per status; the statuses are mutually exclusive, so
  the figures always add up to the total.
- **done**: follow-ups whose status is ``done`` or ``closed``. ``basically_done``
  (基本完成、持续整改) and ``ongoing`` (长期坚持) are *not* done.
- **completion rate**: done / total × 100, two decimals, rounded half up.
- **overdue**: follow-ups with a measure past its deadline and unfinished.
- **on-time rate**: of the done follow-ups that had a deadline, those done on or
  before their latest deadline, × 100.
- **average days to resolve**: over the done follow-ups, the mean of days from
  identification to (the latest) done, one decimal.
- **by category** and **by responsible unit**: the completion rate per group,
  with its done and total figures as parts. A follow-up with measures in two
  units counts in both, so unit totals may add up to more than the total.

Each figure's contributions name the events behind it: for a follow-up, the
event that set its current status (for done, the done event; for overdue, the
planning of the overdue measure; for the total, the identification).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import attrs

from civicledger.catalog.followups import PROBLEM_EVENTS, FollowUpStatus
from civicledger.errors import ProjectionError
from civicledger.followups.model import DONE_STATUSES, FollowUp, TimelineEntry
from civicledger.projections.figures import AsOf, Contribution, Figure, Number
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, Ratio, Sum
from civicledger.projections.periods import Period
from civicledger.projections.rollup_names import ROLLUP_FIGURES

FIGURE_IDS: tuple[str, ...] = tuple(f"followups.{r.name}" for r in ROLLUP_FIGURES)
"""The id of every roll-up figure (ratio parts included): report templates name them
like indicators, e.g. ``{followups.completion_rate|rate}``."""

_SOURCE = tuple(cls.__event_type__ for cls in PROBLEM_EVENTS)
_DERIVED = "Derived by civicledger.followups from the follow-up projection as of the period end. "


@attrs.frozen(kw_only=True)
class FollowUpRollup:
    """The roll-up figures of a rectification ledger for one period.

    Attributes:
        total: how many follow-ups are in scope.
        by_status: one figure per status, in the order of FollowUpStatus; they sum
            to ``total``.
        done: how many are done or closed.
        overdue: how many have an overdue measure.
        completion_rate: done / total × 100.
        on_time_rate: done on time / done with a deadline × 100.
        average_days_to_resolve: total days to resolve / done.
        by_category: the completion rate per category (group ``category``).
        by_unit: the completion rate per responsible unit (group ``unit``).
    """

    total: Figure
    by_status: tuple[Figure, ...]
    done: Figure
    overdue: Figure
    completion_rate: Figure
    on_time_rate: Figure
    average_days_to_resolve: Figure
    by_category: tuple[Figure, ...]
    by_unit: tuple[Figure, ...]

    def all_figures(self) -> list[Figure]:
        """Every figure and every ratio part, each once (by id and group)."""
        found: dict[tuple[str, tuple[tuple[str, str], ...]], Figure] = {}
        stack = list(reversed(self.figures()))
        while stack:
            figure = stack.pop()
            found.setdefault((figure.id, figure.group), figure)
            stack.extend(p for p in (figure.denominator, figure.numerator) if p is not None)
        return list(found.values())

    def figures(self) -> tuple[Figure, ...]:
        """Every figure, headline figures first."""
        return (
            self.total,
            self.done,
            self.overdue,
            self.completion_rate,
            self.on_time_rate,
            self.average_days_to_resolve,
            *self.by_status,
            *self.by_category,
            *self.by_unit,
        )

    def status_count(self, status: FollowUpStatus) -> Number | None:
        """The number of follow-ups with a status."""
        return next(f.value for f in self.by_status if f.group == (("status", str(status)),))


def in_scope(rows: Iterable[FollowUp], period: Period) -> list[FollowUp]:
    """The follow-ups a period's ledger lists: identified by its end, not finished before it.

    A follow-up done or closed before the period starts belongs to an earlier
    ledger; one still open is carried over into this one.

    Args:
        rows: follow-ups projected as of the period's end.
        period: the period.

    Returns:
        The follow-ups in scope, in their order.
    """
    day_before = period.start - timedelta(days=1)
    return [
        row
        for row in rows
        if row.identified_on <= period.end and row.status_on(day_before) not in DONE_STATUSES
    ]


def rollup(
    rows: Sequence[FollowUp], *, period: Period, as_of: AsOf | None = None
) -> FollowUpRollup:
    """Compute the roll-up figures over follow-ups.

    Args:
        rows: the follow-ups to count (typically ``in_scope(followups(...), period)``).
        period: the period the figures are for.
        as_of: the ledger prefix they were computed from; by default the highest
            position among the rows' events.

    Returns:
        The figures.

    Raises:
        ProjectionError: a row holds a change that was never recorded (no event id).
    """
    if as_of is None:
        positions = [e.position for row in rows for e in row.timeline if e.position is not None]
        as_of = AsOf(position=max(positions, default=0))
    build = _Builder(period, as_of)
    total = build.count("followups.total", "整改问题总数", rows, _identification)
    done_rows = [r for r in rows if r.status in DONE_STATUSES]
    done = build.count("followups.done", "已整改问题数", done_rows, _done_event)
    by_status = tuple(
        build.count(
            "followups.by_status",
            "各整改状态问题数",
            [r for r in rows if r.status is status],
            _status_setter,
            group=(("status", str(status)),),
        )
        for status in FollowUpStatus
    )
    overdue = build.count(
        "followups.overdue", "逾期未完成问题数", [r for r in rows if r.overdue], _overdue_planning
    )
    with_deadline = [r for r in done_rows if r.due_on is not None and r.done_on is not None]
    on_time = [r for r in with_deadline if r.done_on <= r.due_on]  # type: ignore[operator]
    return FollowUpRollup(
        total=total,
        by_status=by_status,
        done=done,
        overdue=overdue,
        completion_rate=build.ratio("followups.completion_rate", "整改完成率", done, total),
        on_time_rate=build.ratio(
            "followups.on_time_rate",
            "按期整改率",
            build.count("followups.done_on_time", "按期整改问题数", on_time, _done_event),
            build.count(
                "followups.done_with_deadline", "有时限的已整改问题数", with_deadline, _done_event
            ),
        ),
        average_days_to_resolve=build.ratio(
            "followups.average_days_to_resolve",
            "平均整改用时",
            build.days(done_rows),
            build.count("followups.resolved", "计入用时的已整改问题数", done_rows, _done_event),
            factor=1,
            decimals=1,
            unit="天",
        ),
        by_category=build.grouped("category", rows, lambda r: [r.category]),
        by_unit=build.grouped(
            "unit", rows, lambda r: list(dict.fromkeys(m.unit for m in r.measures))
        ),
    )


Picker = Callable[[FollowUp], TimelineEntry]


def _identification(row: FollowUp) -> TimelineEntry:
    return row.timeline[0]


def _status_setter(row: FollowUp) -> TimelineEntry:
    """The latest change that moved the follow-up into its current status."""
    for entry in reversed(row.timeline):
        if entry.status_before is not entry.status_after:
            return entry
    return row.timeline[0]


def _done_event(row: FollowUp) -> TimelineEntry:
    """The change that last marked the follow-up done."""
    for entry in reversed(row.timeline):
        if (
            entry.status_after is FollowUpStatus.DONE
            and entry.status_before is not entry.status_after
        ):
            return entry
    return _status_setter(row)


def _overdue_planning(row: FollowUp) -> TimelineEntry:
    """The (latest) planning of the first overdue measure."""
    measure = next(m for m in row.measures if m.overdue)
    for entry in reversed(row.timeline):
        if entry.event_type == "rectification_planned" and entry.measure_id == measure.measure_id:
            return entry
    return _status_setter(row)  # pragma: no cover - a measure is always planned by an event


class _Builder:
    def __init__(self, period: Period, as_of: AsOf) -> None:
        self.period = period
        self.as_of = as_of

    def indicator(
        self, id: str, label: str, unit: str, description: str, measure: Count | Sum
    ) -> Indicator:
        return Indicator(
            id=id,
            label=label,
            unit=unit,
            source=_SOURCE,
            measure=measure,
            period="year",
            description=_DERIVED + description,
        )

    def contribution(self, row: FollowUp, entry: TimelineEntry, amount: Number) -> Contribution:
        if entry.event_id is None or entry.position is None:
            raise ProjectionError(
                f"follow-up {row.problem_id!r}: its {entry.event_type} of {entry.on} was never "
                "recorded; roll-ups count recorded events only"
            )
        return Contribution(
            event_id=entry.event_id,
            position=entry.position,
            occurred_on=entry.on,
            type=entry.event_type,
            stream=f"problem/{row.problem_id}",
            amount=amount,
            key=row.problem_id,
        )

    def count(
        self,
        id: str,
        label: str,
        rows: Sequence[FollowUp],
        pick: Picker,
        *,
        group: tuple[tuple[str, str], ...] = (),
    ) -> Figure:
        indicator = self.indicator(
            id,
            label,
            "个",
            f"Counts one per follow-up; contributions: {pick.__doc__ or pick.__name__}",
            measure=Count(),
        )
        contributions = sorted(
            (self.contribution(r, pick(r), 1) for r in rows), key=lambda c: c.position
        )
        return Figure(
            indicator=indicator,
            period=self.period,
            value=len(rows),
            as_of=self.as_of,
            contributions=tuple(contributions),
            group=group,
        )

    def days(self, rows: Sequence[FollowUp]) -> Figure:
        indicator = self.indicator(
            "followups.days_to_resolve",
            "整改用时合计",
            "天",
            "Sums, over done follow-ups, the days from identification to the latest done.",
            measure=Sum("days_to_resolve"),
        )
        contributions = []
        for row in rows:
            assert row.done_on is not None  # every done or closed row has a done date
            days = (row.done_on - row.identified_on).days
            contributions.append(self.contribution(row, _done_event(row), days))
        contributions.sort(key=lambda c: c.position)
        return Figure(
            indicator=indicator,
            period=self.period,
            value=sum(int(c.amount) for c in contributions),
            as_of=self.as_of,
            contributions=tuple(contributions),
        )

    def ratio(
        self,
        id: str,
        label: str,
        numerator: Figure,
        denominator: Figure,
        *,
        factor: int = 100,
        decimals: int = 2,
        unit: str = "%",
        group: tuple[tuple[str, str], ...] = (),
    ) -> Figure:
        measure = Ratio(numerator.indicator, denominator.indicator, factor, decimals)
        indicator = Indicator(
            id=id,
            label=label,
            unit=unit,
            measure=measure,
            period="year",
            description=_DERIVED + f"{numerator.indicator.id} / {denominator.indicator.id}.",
        )
        value: Decimal | None = None
        reason = None
        if denominator.value:
            exact = Decimal(numerator.value or 0) * factor / Decimal(denominator.value)
            value = exact.quantize(measure.quantum(), rounding=ROUND_HALF_UP)
        else:
            reason = f"{denominator.indicator.id} is 0, so the ratio is not defined"
        return Figure(
            indicator=indicator,
            period=self.period,
            value=value,
            as_of=self.as_of,
            group=group,
            numerator=numerator,
            denominator=denominator,
            undefined_reason=reason,
        )

    def grouped(
        self, name: str, rows: Sequence[FollowUp], keys: Callable[[FollowUp], list[str]]
    ) -> tuple[Figure, ...]:
        values = sorted({k for r in rows for k in keys(r)})
        figures = []
        for value in values:
            members = [r for r in rows if value in keys(r)]
            group = ((name, value),)
            done = [r for r in members if r.status in DONE_STATUSES]
            figures.append(
                self.ratio(
                    f"followups.completion_rate_by_{name}",
                    "整改完成率",
                    self.count(
                        f"followups.done_by_{name}",
                        "已整改问题数",
                        done,
                        _status_setter,
                        group=group,
                    ),
                    self.count(
                        f"followups.total_by_{name}",
                        "整改问题数",
                        members,
                        _identification,
                        group=group,
                    ),
                    group=group,
                )
            )
        return tuple(figures)
