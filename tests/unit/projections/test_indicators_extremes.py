"""max and min measures: the extreme value, the event that holds it, ties and why-not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import ProjectionError
from civicledger.indicators import dumps, loads, max_, min_
from civicledger.projections import (
    Extreme,
    Indicator,
    IndicatorSet,
    Period,
    compute_from_source,
    explain,
    why_not,
)
from projection_testkit import Body, Log, meeting

YEAR = Period.year(2023)


def _indicator(measure: Extreme, **kw: object) -> Indicator:
    base = {"id": "t.extreme", "label": "最长会议", "unit": "小时"}
    base["source"] = ["ptest.meeting_held"]  # type: ignore[assignment]
    return Indicator(**{**base, "measure": measure, **kw})  # type: ignore[arg-type]


def _figure(log: Log, indicator: Indicator):  # type: ignore[no-untyped-def]
    (figure,) = compute_from_source(log, [(indicator, YEAR)])
    return figure


def _log(hours: list[str]) -> Log:
    log = Log()
    log.extend([meeting(n + 1, hours=Decimal(h)) for n, h in enumerate(hours)])
    return log


def test_max_names_the_event_that_holds_it() -> None:
    """The figure is the largest value and its one contribution is the event holding it."""
    log = _log(["1.5", "3", "2"])
    figure = _figure(log, _indicator(max_("hours")))
    assert figure.value == Decimal("3")
    [held] = figure.contributions
    assert (held.position, held.amount, held.note) == (2, Decimal("3"), None)
    assert figure.excluded == 2
    assert "max = 3.0 (2023-01-02, 位置 2" in explain(figure)


def test_min_takes_the_smallest_value() -> None:
    """min is the smallest value."""
    figure = _figure(_log(["1.5", "3", "0.5"]), _indicator(min_("hours")))
    assert figure.value == Decimal("0.5")
    assert figure.contributions[0].position == 3


def test_ties_name_the_earliest_and_say_how_many_share_it() -> None:
    """Several events with the extreme: the earliest is named, the note counts them."""
    figure = _figure(_log(["3", "1", "3", "3"]), _indicator(max_("hours")))
    [held] = figure.contributions
    assert held.position == 1
    assert held.note == "3 events share this max; the earliest is named"
    assert "3 events share this max" in explain(figure)


def test_no_event_leaves_the_figure_undefined() -> None:
    """Without a passing event there is no extreme: not defined, never 0."""
    figure = _figure(_log(["3"]), _indicator(max_("hours"), where="attendees > 100"))
    assert figure.value is None
    assert figure.undefined_reason == "no event in the period has this field"


def test_a_non_number_is_refused_with_the_event() -> None:
    """max of a text field fails naming the event and the measure."""
    log = Log()
    log.extend([meeting(1, body=Body.ASSEMBLY)])
    with pytest.raises(ProjectionError, match=r"max\(body\) of event .* is 'assembly'"):
        _figure(log, _indicator(max_("body")))


def test_why_not_says_another_event_holds_the_extreme() -> None:
    """An event that is not the extreme is explained with the value and the holder."""
    log = _log(["1.5", "3"])
    figure = _figure(log, _indicator(max_("hours")))
    record = log.records[0]
    answer = why_not(figure, record.event_id, record)
    assert answer.reason == "not_extreme"
    assert "不是最大值" in answer.render("zh")
    assert "is not the maximum" in answer.render("en")


def test_max_and_min_round_trip_through_toml() -> None:
    """measure = { max = "hours" } loads and dumps back."""
    indicator_set = IndicatorSet((_indicator(max_("hours")), _indicator(min_("hours"), id="t.b")))
    text = dumps(indicator_set)
    assert 'measure = { max = "hours" }' in text
    assert loads(text) == indicator_set


@given(st.lists(st.integers(0, 20), min_size=1, max_size=12), st.sampled_from(["max", "min"]))
def test_the_extreme_is_the_true_extreme_and_the_earliest_holder(
    values: list[int], kind: str
) -> None:
    """The value is max/min of the values; the named event is the first holding it."""
    log = Log()
    log.extend([meeting(n + 1, attendees=v) for n, v in enumerate(values)])
    figure = _figure(log, _indicator(Extreme(kind, "attendees")))
    best = max(values) if kind == "max" else min(values)
    assert figure.value == best
    assert figure.contributions[0].position == values.index(best) + 1
    ties = values.count(best)
    assert (figure.contributions[0].note is None) == (ties == 1)
