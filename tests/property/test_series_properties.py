"""Series: steps tile the period, additive series sum to the period's figure, lineage splits."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from civicledger.projections import Indicator, Period, Sum
from civicledger.projections.engine import compute_from_source
from civicledger.projections.series import STEPS, compute_series, steps_of
from civicledger.testing.strategies import PERIOD_KINDS, periods
from projection_testkit import Body, Log, Meeting

DAYS = st.dates(date(2021, 1, 1), date(2024, 12, 31))


# Periods around the ledgers the tests build (2022–2024), of every kind a series cuts.
SERIES_PERIODS = periods(2022, 2024, kinds=tuple(k for k in PERIOD_KINDS if k != "to_date"))


INDICATORS = st.sampled_from(
    [
        Indicator("t.meetings", "会议", "次", source="ptest.meeting_held"),
        Indicator(
            "t.attendees", "人次", "人", source="ptest.meeting_held", measure=Sum("attendees")
        ),
        Indicator("t.by_body", "会议", "次", source="ptest.meeting_held", group_by="body"),
        Indicator(
            "t.committee_hours",
            "时长",
            "小时",
            source="ptest.meeting_held",
            where="body == 'committee'",
            measure=Sum("hours"),
        ),
    ]
)


@st.composite
def logs(draw: st.DrawFn) -> Log:
    """A few meetings on random days from 2021 to 2024."""
    log = Log()
    for _ in range(draw(st.integers(0, 25))):
        log.add(
            Meeting(
                occurred_on=draw(DAYS),
                body=draw(st.sampled_from(list(Body))),
                attendees=draw(st.integers(0, 50)),
            )
        )
    return log


@given(SERIES_PERIODS, st.sampled_from(STEPS))
def test_steps_tile_the_period_without_gaps_or_overlaps(period: Period, by: str) -> None:
    """The steps start at the period's start, end at its end, and each begins the day after
    the last one ended."""
    steps = steps_of(period, by)  # type: ignore[arg-type]
    assert steps[0].start == period.start
    assert steps[-1].end == period.end
    for before, after in itertools.pairwise(steps):
        assert after.start == before.end + timedelta(days=1)


@given(logs(), SERIES_PERIODS, st.sampled_from(STEPS), INDICATORS)
def test_an_additive_series_sums_to_the_periods_figure(
    log: Log, period: Period, by: str, indicator: Indicator
) -> None:
    """For every group, the steps' values add up to the period's value, and the steps'
    contributions are exactly the period's, each event in the step holding its date."""
    (series,) = compute_series(log, [indicator], period, by)  # type: ignore[arg-type]
    assert series.additive
    whole = {f.group: f for f in compute_from_source(log, [(indicator, period)])}
    for group in set(whole) | set(series.groups):
        steps = [f for f in series.figures if f.group == group]
        assert len(steps) == len(series.periods)
        assert sum(f.value or 0 for f in steps) == (whole[group].value if group in whole else 0)
        ids = [c.event_id for f in steps for c in f.contributions]
        expected = [c.event_id for c in whole[group].contributions] if group in whole else []
        assert sorted(ids) == sorted(expected)
        for figure in steps:
            assert all(figure.period.contains(c.occurred_on) for c in figure.contributions)


@given(logs(), SERIES_PERIODS, st.sampled_from(["month", "quarter"]))
def test_the_year_earlier_series_lines_up_step_by_step(log: Log, period: Period, by: str) -> None:
    """Each step's year-earlier figure is that step's 同比 period, in the same order."""
    indicator = Indicator("t.meetings", "会议", "次", source="ptest.meeting_held")
    (series,) = compute_series(log, [indicator], period, by, previous_year=True)  # type: ignore[arg-type]
    assert series.previous is not None
    assert [f.period for f in series.previous] == [p.previous_year() for p in series.periods]
    for figure in series.previous:
        (alone,) = compute_from_source(log, [(indicator, figure.period)])
        assert figure.value == alone.value


def test_a_stock_or_distinct_count_is_not_additive() -> None:
    """A stock's steps need not add up, and the series says so."""
    stock = Indicator("t.stock", "会议", "次", source="ptest.meeting_held", state=True)
    (series,) = compute_series(Log(), [stock], Period.year(2023), "quarter")
    assert not series.additive
