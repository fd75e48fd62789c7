"""Explanations of figures, and why an event did not count, in Chinese and English."""

from __future__ import annotations

import uuid

import pytest

from civicledger import ProjectionError
from civicledger.indicators import count_distinct, eq, latest, predicate, ratio
from civicledger.indicators import sum as sum_of
from civicledger.projections import Indicator, Period, compute_from_source, explain, why_not
from projection_testkit import (
    Body,
    GroupClosed,
    GroupOpened,
    Log,
    Meeting,
    Reading,
    Retracted,
    day,
    meeting,
)

YEAR = Period.year(2023)
COMMITTEE = Indicator(
    "t.committee",
    "委员会会议",
    "次",
    source=["ptest.meeting_held"],
    where='body == "committee" and attendees >= 5',
    description="委员会开会次数",
)


def only(log: Log, indicator: Indicator, as_of: object = None):  # type: ignore[no-untyped-def]
    """The single figure of an ungrouped indicator."""
    (figure,) = compute_from_source(log, [(indicator, YEAR)], as_of=as_of)
    return figure


@pytest.fixture
def log() -> Log:
    """Committee meetings of several kinds, and one of another type."""
    log = Log()
    log.add(meeting(10, attendees=12))  # 1 counts
    log.add(meeting(11, attendees=3))  # 2 too few attendees
    log.add(meeting(12, Body.ASSEMBLY))  # 3 wrong body
    log.add(Meeting(occurred_on=day(3, 2022), body=Body.COMMITTEE, attendees=9))  # 4 last year
    log.add(Reading(occurred_on=day(13), level=1))  # 5 another type
    log.add(meeting(14, attendees=8))  # 6 counts
    return log


def test_explanation_shows_definition_events_arithmetic_and_value(log: Log) -> None:
    """The Chinese explanation has the filter, a row per contributing event, sum and value."""
    figure = only(log, COMMITTEE)
    text = explain(figure)
    assert "t.committee" in text
    assert "委员会会议" in text
    assert 'body == "committee" and attendees >= 5' in text
    assert "ptest.meeting_held" in text
    assert f"| 1 | 2023-01-10 | {uuid.UUID(int=1)} | ptest.meeting_held | 1 |" in text
    assert f"| 6 | 2023-01-14 | {uuid.UUID(int=6)} | ptest.meeting_held | 1 |" in text
    assert "1 + 1 = 2" in text
    assert "精确值：2 次" in text
    assert "同类型但未计入的事件：3" in text


def test_english_explanation_has_the_same_facts(log: Log) -> None:
    """language='en' renders the same derivation in English."""
    text = explain(only(log, COMMITTEE), "en")
    assert "Contributing events (2)" in text
    assert "Exact value: 2 次" in text
    assert "position 6" in text


def test_explanation_of_a_ratio_shows_both_parts_and_rounding(log: Log) -> None:
    """A ratio's explanation gives the division, the rounding rule and each part's events."""
    everything = Indicator("t.all", "全部会议", "次", source=["ptest.meeting_held"])
    share = Indicator("t.share", "占比", "%", measure=ratio(COMMITTEE, everything))
    text = explain(only(log, share), "en")
    assert "t.committee (2) ÷ t.all (4) × 100 = 50.00" in text
    assert "rounded half up to 2 decimal places" in text
    assert "### numerator" in text
    assert "### denominator" in text


def test_explanation_of_an_undefined_ratio_says_why() -> None:
    """A zero denominator is explained as not defined, with the reason."""
    share = Indicator(
        "t.share",
        "占比",
        "%",
        measure=ratio(COMMITTEE, Indicator("t.all", "全部", "次", source=["x"])),
    )
    text = explain(only(Log(), share))
    assert "无定义 (the denominator t.all is 0)" in text


def test_explanation_names_a_python_filter_with_its_docstring() -> None:
    """An escape-hatch callable shows its qualified name and docstring."""

    def big_meeting(record: object) -> bool:
        """Meetings of at least ten people."""
        return True

    indicator = Indicator(
        "t.big", "大会", "次", source=["ptest.meeting_held"], where=predicate(big_meeting)
    )
    text = explain(only(Log(), indicator), "en")
    assert "big_meeting" in text
    assert "Meetings of at least ten people." in text


def test_unknown_language_is_refused(log: Log) -> None:
    """Only zh and en are offered."""
    with pytest.raises(ProjectionError, match="language"):
        explain(only(log, COMMITTEE), "fr")  # type: ignore[arg-type]


# ------------------------------------------------------------------------- why not


def reason(log: Log, indicator: Indicator, position: int, **kw: object):  # type: ignore[no-untyped-def]
    """why_not for the event at a position of the log."""
    figure = only(log, indicator, kw.pop("as_of", None))
    record = log.records[position - 1] if position <= len(log.records) else None
    return why_not(figure, uuid.UUID(int=position), record, **kw)  # type: ignore[arg-type]


def test_why_not_for_a_counted_event_says_it_counted(log: Log) -> None:
    """An event that contributed is reported as counted, with its amount."""
    answer = reason(log, COMMITTEE, 1)
    assert answer.counted
    assert answer.amount == 1
    assert "已计入" in answer.render()


def test_why_not_names_the_failed_clause_and_the_events_value(log: Log) -> None:
    """A filter failure names the clause and the event's value of its field."""
    answer = reason(log, COMMITTEE, 2)
    assert (answer.reason, answer.clause, answer.field, answer.value) == (
        "filter_failed",
        "attendees >= 5",
        "attendees",
        3,
    )
    assert "不满足筛选条件 attendees >= 5（该事件的 attendees 为 3）" in answer.render()
    assert "fails the filter clause attendees >= 5 (its attendees is 3)" in answer.render("en")
    assert reason(log, COMMITTEE, 3).clause == 'body == "committee"'


def test_why_not_outside_the_period(log: Log) -> None:
    """An event dated outside the period is reported with the period's bounds."""
    answer = reason(log, COMMITTEE, 4)
    assert answer.reason == "outside_period"
    assert "2022-01-03" in answer.render()
    assert "2023-01-01" in answer.render()


def test_why_not_wrong_type(log: Log) -> None:
    """An event of another type is reported with the indicator's source types."""
    answer = reason(log, COMMITTEE, 5)
    assert answer.reason == "wrong_type"
    assert "ptest.reading_taken" in answer.render("en")


def test_why_not_recorded_after_the_as_of_position(log: Log) -> None:
    """An event recorded after the as-of position is reported as such."""
    answer = reason(log, COMMITTEE, 6, as_of=5)
    assert answer.reason == "recorded_after"
    assert "position 5" in answer.render("en")


def test_why_not_recorded_after_the_as_of_time(log: Log) -> None:
    """An event recorded after an as-of datetime names both times."""
    cut = log.records[4].recorded_at
    answer = reason(log, COMMITTEE, 6, as_of=cut)
    assert answer.reason == "recorded_after"
    assert "after the cut-off" in answer.render("en")


def test_why_not_retracted(log: Log) -> None:
    """A retracted event is reported with the retracting event."""
    retraction = log.add(
        Retracted(occurred_on=day(20), target_event_id=uuid.UUID(int=1), reason="duplicate")
    )
    answer = reason(log, COMMITTEE, 1, retracted_by=retraction)
    assert answer.reason == "retracted"
    assert str(retraction.event_id) in answer.render()


def test_why_not_event_not_found(log: Log) -> None:
    """An id that is not in the ledger is reported as not found."""
    answer = reason(log, COMMITTEE, 99)
    assert answer.reason == "not_found"
    assert "没有事件" in answer.render()


def test_why_not_duplicate_value_for_count_distinct() -> None:
    """A repeated value names the event that counted it first."""
    log = Log()
    log.add(GroupOpened(occurred_on=day(1), group_id="g1", kind="a"))
    log.add(GroupOpened(occurred_on=day(2), group_id="g1", kind="a"))
    indicator = Indicator(
        "t.g", "群", "个", source=["ptest.group_opened"], measure=count_distinct("group_id")
    )
    answer = reason(log, indicator, 2)
    assert (answer.reason, answer.value, answer.other) == ("duplicate", "g1", uuid.UUID(int=1))


def test_why_not_closing_event_for_a_key_that_was_not_open() -> None:
    """Closing a key that was never counted changes nothing, and says so."""
    log = Log()
    log.add(GroupOpened(occurred_on=day(1), group_id="g1", kind="a"))
    log.add(GroupClosed(occurred_on=day(2), group_id="g9", kind="a"))
    indicator = Indicator(
        "t.g",
        "群",
        "个",
        source=["ptest.group_opened"],
        state=True,
        measure=count_distinct("group_id", removed_by=["ptest.group_closed"]),
    )
    answer = reason(log, indicator, 2)
    assert (answer.reason, answer.value) == ("not_open", "g9")


def test_why_not_superseded_for_latest() -> None:
    """An older reading is superseded by the latest one."""
    log = Log()
    log.add(Reading(occurred_on=day(1), level=1))
    log.add(Reading(occurred_on=day(2), level=2))
    indicator = Indicator(
        "t.l", "水位", "米", source=["ptest.reading_taken"], measure=latest("level")
    )
    answer = reason(log, indicator, 1)
    assert (answer.reason, answer.other) == ("superseded", uuid.UUID(int=2))


def test_why_not_other_group() -> None:
    """An event of another group is reported with its group."""
    log = Log()
    log.add(meeting(1, Body.ASSEMBLY))
    log.add(meeting(2))
    grouped = Indicator("t.m", "会", "次", source=["ptest.meeting_held"], group_by=["body"])
    figures = compute_from_source(log, [(grouped, YEAR)])
    committee = next(f for f in figures if f.group == (("body", "committee"),))
    answer = why_not(committee, uuid.UUID(int=1), log.records[0])
    assert (answer.reason, answer.value) == ("other_group", "body=assembly")


def test_why_not_in_a_ratio_looks_into_its_parts(log: Log) -> None:
    """For a ratio, the reason concerns the part whose type the event has."""
    share = Indicator(
        "t.share",
        "占比",
        "%",
        measure=ratio(
            COMMITTEE,
            Indicator(
                "t.all", "全部", "次", source=["ptest.meeting_held"], where=eq("body", "committee")
            ),
        ),
    )
    answer = reason(log, share, 2)
    assert answer.reason == "filter_failed"


def test_why_not_missing_value_for_a_sum() -> None:
    """A sum over a field the event lacks reports the missing field."""
    log = Log()
    log.add(meeting(1))
    indicator = Indicator(
        "t.s", "和", "人", source=["ptest.meeting_held"], measure=sum_of("nobody")
    )
    answer = reason(log, indicator, 1)
    assert (answer.reason, answer.field) == ("missing_value", "nobody")
