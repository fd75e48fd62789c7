"""Periods, year-over-year comparison, validation rules and PROV export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import prov
import pytest

from civicledger import ProjectionError, ValidationError
from civicledger.indicators import eq, ratio
from civicledger.projections import (
    AsOf,
    Figure,
    Indicator,
    IndicatorSet,
    Period,
    ValidationRule,
    check_rules,
    compare,
    compare_figures,
    compute_from_source,
)
from projection_testkit import Body, Log, Meeting, meeting

MEETINGS = Indicator("t.m", "会议", "次", source=["ptest.meeting_held"])
MEETINGS_OF_COMMITTEE = Indicator(
    "t.c", "c", "次", source=["ptest.meeting_held"], where=eq("body", "committee")
)


@pytest.mark.parametrize(
    ("period", "start", "end", "label", "key"),
    [
        (Period.year(2023), date(2023, 1, 1), date(2023, 12, 31), "2023年", "2023"),
        (Period.quarter(2023, 1), date(2023, 1, 1), date(2023, 3, 31), "2023年第一季度", "2023-Q1"),
        (
            Period.quarter(2024, 4),
            date(2024, 10, 1),
            date(2024, 12, 31),
            "2024年第四季度",
            "2024-Q4",
        ),
        (Period.month(2024, 2), date(2024, 2, 1), date(2024, 2, 29), "2024年2月", "2024-02"),
        (
            Period.between(date(2023, 3, 5), date(2023, 6, 30)),
            date(2023, 3, 5),
            date(2023, 6, 30),
            "2023年3月5日至2023年6月30日",
            "2023-03-05..2023-06-30",
        ),
    ],
)
def test_periods_have_inclusive_bounds_labels_and_keys(
    period: Period, start: date, end: date, label: str, key: str
) -> None:
    """Each constructor gives its bounds, a Chinese label and a key that parses back."""
    assert (period.start, period.end, period.label, period.key) == (start, end, label, key)
    assert Period.parse(key) == period
    assert period.contains(start)
    assert period.contains(end)
    assert not period.contains(date.fromordinal(end.toordinal() + 1))


@pytest.mark.parametrize("text", ["2023-Q5", "23", "2023-13", "2023-02-30..2023-03-01", "soon"])
def test_malformed_period_text_is_refused(text: str) -> None:
    """Short forms that are not periods raise a ValidationError."""
    with pytest.raises(ValidationError):
        Period.parse(text)


def test_a_period_cannot_end_before_it_starts() -> None:
    """between() refuses an end before the start."""
    with pytest.raises(ValidationError, match="before its start"):
        Period.between(date(2023, 5, 1), date(2023, 4, 1))


def test_previous_year_keeps_the_span() -> None:
    """previous_year() of a quarter is the same quarter a year earlier."""
    assert Period.quarter(2023, 2).previous_year() == Period.quarter(2022, 2)
    assert Period.month(2024, 2).previous_year() == Period.month(2023, 2)


def two_years() -> Log:
    """Three meetings in 2023, two in 2022."""
    log = Log()
    for year, n in ((2022, 2), (2023, 3)):
        for i in range(n):
            log.add(Meeting(occurred_on=date(year, 3, 1 + i), body=Body.COMMITTEE, attendees=5))
    return log


def test_compare_gives_both_figures_difference_and_change() -> None:
    """Year over year: 3 against 2 is +1 and +50.00%, each side with its own lineage."""
    log = two_years()
    (comparison,) = compare(MEETINGS, 2023, 2022, source=log)
    assert (comparison.current.value, comparison.previous.value) == (3, 2)
    assert comparison.difference == 1
    assert comparison.change_percent == Decimal("50.00")
    assert len(comparison.current.contributions) == 3
    assert len(comparison.previous.contributions) == 2
    assert comparison.to_dict()["change_percent"] == "50.00"


def test_change_from_zero_is_not_defined() -> None:
    """A previous value of 0 gives no percentage, with a reason (never infinity or 0%)."""
    log = Log()
    log.add(meeting(1))
    (comparison,) = compare(MEETINGS, 2023, 2022, source=log)
    assert comparison.difference == 1
    assert comparison.change_percent is None
    assert comparison.undefined_reason == "the previous figure is 0, so no percentage"


def test_comparing_different_indicators_is_refused() -> None:
    """Figures of two indicators cannot be compared."""
    a = Figure(MEETINGS, Period.year(2023), 1, AsOf(0))
    b = Figure(Indicator("t.x", "x", "次", source=["x"]), Period.year(2022), 1, AsOf(0))
    with pytest.raises(ProjectionError, match="not the same indicator"):
        compare_figures(a, b)


def test_validation_rules_are_evaluated_and_reported_not_fixed() -> None:
    """A failing rule is reported with both sides; the figures keep their values."""
    log = Log()
    log.extend([meeting(1), meeting(2, Body.ASSEMBLY)])
    committee = Indicator(
        "t.c", "c", "次", source=["ptest.meeting_held"], where=eq("body", "committee")
    )
    indicator_set = IndicatorSet(
        (MEETINGS, committee),
        rules=(
            ValidationRule.parse("r.ok", "t.c <= t.m"),
            ValidationRule.parse("r.bad", "t.c + t.c > t.m"),
        ),
    )
    figures = compute_from_source(log, [(i, Period.year(2023)) for i in indicator_set])
    results = {r.rule.id: r for r in check_rules(indicator_set, figures)}
    assert (results["r.ok"].passed, results["r.ok"].left, results["r.ok"].right) == (True, 1, 2)
    assert (results["r.bad"].passed, results["r.bad"].left) == (False, 2)
    assert "FAILED" in str(results["r.bad"])
    assert [f.value for f in figures] == [2, 1]


def test_a_rule_on_an_undefined_figure_is_not_evaluated() -> None:
    """A rule over a ratio that is not defined passes nor fails: passed is None."""
    share = Indicator("t.s", "s", "%", measure=ratio(MEETINGS, MEETINGS))
    indicator_set = IndicatorSet((share,), rules=(ValidationRule.parse("r.s", "t.s <= 100"),))
    figures = compute_from_source(Log(), [(share, Period.year(2023))])
    (result,) = check_rules(indicator_set, figures)
    assert result.passed is None


def test_prov_export_round_trips_through_prov_read() -> None:
    """to_prov() gives a PROV document that prov.read parses back to an equal document."""
    log = Log()
    log.extend([meeting(1), meeting(2, Body.ASSEMBLY)])
    committee = Indicator(
        "t.c", "c", "次", source=["ptest.meeting_held"], where=eq("body", "committee")
    )
    share = Indicator("t.share", "占比", "%", measure=ratio(committee, MEETINGS))
    (figure,) = compute_from_source(log, [(share, Period.year(2023))])
    document = figure.to_prov()
    text = document.serialize(format="json")
    assert prov.read(StringIO(text), format="json") == document
    names = {str(r.identifier) for r in document.get_records()}
    assert {f"cl:event_{r.event_id}" for r in log.records} <= names
    provn = document.get_provn()
    assert "wasDerivedFrom" in provn
    assert "cl:figure_t.share_2023" in provn
