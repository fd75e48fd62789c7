"""Properties of figures over periods: additive figures add up over any partition of a
period, and a 同比 comparison is exactly the two figures computed on their own."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger.projections import (
    Count,
    Indicator,
    Period,
    Sum,
    compare,
    compare_figures,
    compute_from_source,
)
from projection_testkit import Body, Log, Meeting

FIRST, LAST = date(2021, 1, 1), date(2023, 12, 31)
SPAN = (LAST - FIRST).days

COUNT = Indicator("p.count", "会议", "次", source=["ptest.meeting_held"])
ATTENDANCE = Indicator(
    "p.attendance", "参会", "人次", source=["ptest.meeting_held"], measure=Sum("attendees")
)
COMMITTEE_LAST_MONTH = Indicator(
    "p.committee_last_month",
    "期末当月委员会会议",
    "次",
    source=["ptest.meeting_held"],
    where='body == "committee" and occurred_on >= period.last_month_start',
    measure=Count(),
)

meetings = st.lists(
    st.builds(
        Meeting,
        occurred_on=st.dates(FIRST, LAST),
        body=st.sampled_from(list(Body)),
        attendees=st.integers(0, 50),
    ),
    max_size=40,
)


def _log(events: list[Meeting]) -> Log:
    log = Log()
    log.extend(events)
    return log


@st.composite
def partitioned(draw: st.DrawFn) -> tuple[Period, list[Period]]:
    """A date range within 2022-2023 and a partition of it into consecutive ranges."""
    start = draw(st.dates(date(2022, 1, 1), date(2023, 12, 1)))
    end = draw(st.dates(start, LAST))
    days = (end - start).days
    cuts = sorted(set(draw(st.lists(st.integers(1, max(days, 1)), max_size=6))))
    bounds = [start + timedelta(days=c) for c in cuts if c <= days]
    parts, first = [], start
    for cut in bounds:
        parts.append(Period.between(first, cut - timedelta(days=1)))
        first = cut
    parts.append(Period.between(first, end))
    return Period.between(start, end), parts


@settings(max_examples=60, deadline=None)
@given(meetings, partitioned())
def test_an_additive_figure_is_the_sum_over_any_partition(
    events: list[Meeting], split: tuple[Period, list[Period]]
) -> None:
    whole, parts = split
    log = _log(events)
    for indicator in (COUNT, ATTENDANCE):
        (total,) = compute_from_source(log, [(indicator, whole)])
        pieces = compute_from_source(log, [(indicator, p) for p in parts])
        assert total.value == sum(p.value or 0 for p in pieces)
        assert total.event_ids() == frozenset().union(*(p.event_ids() for p in pieces))


_periods = st.one_of(
    st.builds(Period.year, st.integers(2022, 2023)),
    st.builds(Period.half, st.integers(2022, 2023), st.integers(1, 2)),
    st.builds(Period.quarter, st.integers(2022, 2023), st.integers(1, 4)),
    st.builds(Period.month, st.integers(2022, 2023), st.integers(1, 12)),
    st.builds(Period.week, st.integers(2022, 2023), st.integers(1, 52)),
    st.builds(
        lambda y, a, b: Period.months(y, min(a, b), max(a, b)),
        st.integers(2022, 2023),
        st.integers(1, 12),
        st.integers(1, 12),
    ),
    st.builds(Period.to_date, st.dates(date(2022, 1, 1), LAST)),
    st.builds(
        lambda a, b: Period.between(min(a, b), max(a, b)),
        st.dates(date(2022, 1, 1), LAST),
        st.dates(date(2022, 1, 1), LAST),
    ),
)


@settings(max_examples=60, deadline=None)
@given(meetings, _periods, st.sampled_from([COUNT, ATTENDANCE, COMMITTEE_LAST_MONTH]))
def test_year_on_year_is_the_two_figures_computed_alone(
    events: list[Meeting], period: Period, indicator: Indicator
) -> None:
    log = _log(events)
    (comparison,) = compare(indicator, period, source=log)
    (now,) = compute_from_source(log, [(indicator, period)])
    (before,) = compute_from_source(log, [(indicator, period.previous_year())])
    assert comparison.previous.period == period.previous_year()
    assert comparison.current.period == period
    expected = compare_figures(now, before, "year")
    assert (comparison.current.value, comparison.previous.value) == (now.value, before.value)
    assert comparison.change_percent == expected.change_percent
    assert comparison.difference == expected.difference
