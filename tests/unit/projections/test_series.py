"""Ledger.series: steps clipped to the period, sets in one call, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger import Ledger, ValidationError
from civicledger.limits import LimitError, Limits
from civicledger.projections import Indicator, IndicatorSet, Period
from civicledger.projections.series import steps_of

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


def test_steps_cut_by_the_period_are_clipped_date_ranges() -> None:
    """A step the period cuts keeps only its part inside; whole steps keep their names."""
    steps = steps_of(Period.parse("2023-01-15..2023-03-10"), "month")
    assert [s.key for s in steps] == ["2023-01-15..2023-01-31", "2023-02", "2023-03-01..2023-03-10"]
    weeks = steps_of(Period.year(2023), "week")
    assert weeks[0].key == "2023-01-01..2023-01-01"  # Sunday, the end of ISO week 52 of 2022
    assert weeks[1].key == "2023-W01"
    assert weeks[-1].key == "2023-W52"


def test_a_grouped_series_has_every_group_in_every_step(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """Groups absent from a step appear there as 0, so each step has the same rows."""
    series = example_ledger.series(example_set["inspection.passed_by_level"], "2023", by="quarter")
    assert len(series.figures) == 4 * len(series.groups)
    for group in series.groups:
        values = [f.value for f in series.figures if f.group == group]
        assert len(values) == 4
    total = {f.group: f.value for f in example_ledger.indicators([series.indicator], period="2023")}
    for group in series.groups:
        assert sum(f.value or 0 for f in series.figures if f.group == group) == total[group]


def test_a_set_gives_one_series_per_indicator(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """Passing a set (or its file) gives the series of every indicator, in the set's order."""
    found = example_ledger.series(EXAMPLE / "indicators.toml", "2023-H1", by="quarter")
    assert [s.indicator.id for s in found] == list(example_set.ids())
    assert all(s.periods == (Period.quarter(2023, 1), Period.quarter(2023, 2)) for s in found)


def test_a_ratio_series_is_computed_but_not_additive(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """Each step of a ratio is that step's ratio; the series says its steps do not add up."""
    series = example_ledger.series(example_set["mediation.success_rate"], "2023", by="quarter")
    assert not series.additive
    assert all(f.numerator is not None for f in series.figures)


def test_an_unknown_step_is_refused_naming_by(example_ledger: Ledger) -> None:
    """by='day' is refused with the steps there are."""
    indicator = Indicator("x.meetings", "会议", "次", source="meeting_held")
    with pytest.raises(ValidationError, match="by must be one of month, quarter, week") as info:
        example_ledger.series(indicator, "2023", by="day")  # type: ignore[call-overload]
    assert info.value.field == "by"


def test_too_many_steps_are_refused_naming_the_limit() -> None:
    """A series longer than series_max_periods is refused before anything is computed."""
    ledger = Ledger.in_memory(limits=Limits(series_max_periods=12))
    indicator = Indicator("x.meetings", "会议", "次", source="meeting_held")
    assert len(ledger.series(indicator, "2023", by="month").figures) == 12
    with pytest.raises(LimitError, match="more than 12 months") as info:
        ledger.series(indicator, "2023-01..2024-01", by="month")
    assert info.value.limit == "series_max_periods"


def test_week_53_has_no_year_earlier_step(example_ledger: Ledger) -> None:
    """同比 of ISO week 53 is refused, as for a single figure, rather than approximated."""
    indicator = Indicator("x.meetings", "会议", "次", source="meeting_held")
    with pytest.raises(ValidationError, match="2020-W53 has no same week a year earlier"):
        example_ledger.series(indicator, "2020-W53", by="week", previous_year=True)


def test_a_sql_ledger_gives_the_same_series_as_memory(
    example_ledger: Ledger, example_set: IndicatorSet, ledger_url: str, ledger_name: str
) -> None:
    """The SQL pushdown (SQLite, PostgreSQL) computes every step of every indicator exactly
    as the fold does."""
    with Ledger.open(ledger_url, ledger_name) as sql:
        sql.import_jsonl(EXAMPLE / "events.jsonl")
        pushed = sql.series(example_set, "2023-01..2023-06", by="month", previous_year=True)
        folded = example_ledger.series(
            example_set, "2023-01..2023-06", by="month", previous_year=True
        )
        for a, b in zip(pushed, folded, strict=True):
            assert [(f.period, f.group, f.value) for f in a.figures] == [
                (f.period, f.group, f.value) for f in b.figures
            ]
            assert [f.event_ids() for f in a.figures] == [f.event_ids() for f in b.figures]
