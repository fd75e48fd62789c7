"""A four-problem sample followed into 2024 projects to the expected table and roll-ups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from civicledger.events import RecordedEvent
from civicledger.followups import (
    FollowUpStatus,
    carried_over,
    followups,
    in_scope,
    rollup,
)
from civicledger.projections.periods import Period
from followup_testkit import recorded, sample_events

S = FollowUpStatus


@pytest.fixture
def events() -> list[RecordedEvent]:
    return recorded(sample_events())


def table(events: list[RecordedEvent], as_of: date) -> list[tuple[object, ...]]:
    return [
        (r.problem_id, r.status, r.percent, r.overdue, r.done_on, r.closed_on, r.carried_over)
        for r in followups(events, as_of=as_of)
    ]


def test_at_year_end_all_four_problems_are_open_and_none_is_overdue(
    events: list[RecordedEvent],
) -> None:
    """As of 2023-12-31 the four problems are identified, planned, untouched and on time."""
    assert table(events, date(2023, 12, 31)) == [
        ("2023-01", S.OPEN, None, False, None, None, False),
        ("2023-02", S.OPEN, None, False, None, None, False),
        ("2023-03", S.OPEN, None, False, None, None, False),
        ("2023-04", S.OPEN, None, False, None, None, False),
    ]


def test_at_mid_2024_the_table_shows_each_problem_s_own_course(
    events: list[RecordedEvent],
) -> None:
    """As of 2024-06-30: one ongoing, one closed, two in progress of which one is overdue."""
    assert table(events, date(2024, 6, 30)) == [
        ("2023-01", S.ONGOING, 50, False, None, None, True),
        ("2023-02", S.CLOSED, 100, False, date(2024, 5, 28), date(2024, 6, 15), True),
        ("2023-03", S.IN_PROGRESS, 60, False, None, None, True),
        ("2023-04", S.IN_PROGRESS, 50, True, None, None, True),
    ]


def test_rows_carry_source_category_and_measures(events: list[RecordedEvent]) -> None:
    """A row names its source, category, identification date and each measure's owner and unit."""
    row = followups(events, as_of=date(2024, 6, 30))[2]
    assert (row.source.label, row.category, row.identified_on) == (
        "年度工作报告",
        "组织建设",
        date(2023, 12, 20),
    )
    assert [
        (m.measure_id, m.owner, m.unit, m.due_on, m.weight, m.percent) for m in row.measures
    ] == [
        ("M1", "王某", "社区党委", date(2024, 6, 30), 2, 40),
        ("M2", "王某", "各网格党支部", date(2024, 4, 30), 1, 100),
    ]
    assert row.due_on == date(2024, 6, 30)


def test_the_overdue_flag_names_the_unfinished_measure(events: list[RecordedEvent]) -> None:
    """2023-04 is overdue because M2 passed its deadline with no progress, while M1 is finished."""
    row = followups(events, as_of=date(2024, 6, 30))[3]
    assert [(m.measure_id, m.overdue) for m in row.measures] == [("M1", False), ("M2", True)]
    assert not followups(events, as_of=date(2024, 4, 30))[3].overdue


def test_a_long_term_measure_has_no_deadline_and_is_never_overdue(
    events: list[RecordedEvent],
) -> None:
    """2023-01's M1 (长期坚持) has no due date and stays on time however late the date."""
    row = followups(events, as_of=date(2030, 1, 1))[0]
    assert [(m.measure_id, m.due_on, m.overdue) for m in row.measures] == [
        ("M1", None, False),
        ("M2", date(2024, 3, 31), False),
    ]


def test_progress_entries_and_timeline_are_dated_and_name_who_recorded_them(
    events: list[RecordedEvent],
) -> None:
    """The timeline lists every change with its date, status move and recorder."""
    row = followups(events, as_of=date(2024, 6, 30))[1]
    assert [(p.on, p.measure_id, p.percent, p.recorded_by) for p in row.progress] == [
        (date(2024, 2, 26), "M1", 100, "clerk"),
        (date(2024, 5, 20), "M2", 100, "clerk"),
    ]
    assert [(t.on, t.event_type, t.status_after) for t in row.timeline] == [
        (date(2023, 12, 20), "problem_identified", S.OPEN),
        (date(2023, 12, 28), "rectification_planned", S.OPEN),
        (date(2023, 12, 28), "rectification_planned", S.OPEN),
        (date(2024, 2, 26), "rectification_progressed", S.IN_PROGRESS),
        (date(2024, 5, 20), "rectification_progressed", S.IN_PROGRESS),
        (date(2024, 5, 28), "problem_resolved", S.DONE),
        (date(2024, 6, 15), "problem_resolved", S.CLOSED),
    ]
    assert row.evidence == ("整改报告-2023-02",)
    assert {t.recorded_by for t in row.timeline} == {"clerk"}


def test_all_four_problems_are_carried_over_into_2024(events: list[RecordedEvent]) -> None:
    """Every problem is still unfinished on 2023-12-31, so all four go into the 2024 outlook."""
    assert [r.problem_id for r in carried_over(events, year=2023)] == [
        "2023-01",
        "2023-02",
        "2023-03",
        "2023-04",
    ]
    assert [r.problem_id for r in carried_over(events, year=2024)] == [
        "2023-01",
        "2023-03",
        "2023-04",
    ]


def test_mid_2024_rollup_counts_only_done_and_closed_as_complete(
    events: list[RecordedEvent],
) -> None:
    """Completion is 1/4 = 25.00%: ongoing and in-progress problems are not done."""
    period = Period.year(2024)
    figures = rollup(in_scope(followups(events, as_of=date(2024, 6, 30)), period), period=period)
    assert figures.total.value == 4
    assert figures.done.value == 1
    assert figures.completion_rate.value == Decimal("25.00")
    assert figures.on_time_rate.value == Decimal("100.00")
    assert figures.average_days_to_resolve.value == Decimal("160.0")
    assert figures.overdue.value == 1
    assert {str(s): figures.status_count(s) for s in S} == {
        "open": 0,
        "in_progress": 2,
        "basically_done": 0,
        "done": 0,
        "ongoing": 1,
        "closed": 1,
        "reopened": 0,
    }


def test_rollup_figures_name_the_events_behind_them(events: list[RecordedEvent]) -> None:
    """The done figure points at 2023-02's done event; the overdue one at 2023-04's M2 plan."""
    period = Period.year(2024)
    figures = rollup(in_scope(followups(events, as_of=date(2024, 6, 30)), period), period=period)
    by_position = {r.position: r for r in events}
    (done,) = figures.done.contributions
    assert by_position[done.position].payload.status is S.DONE  # type: ignore[attr-defined]
    (overdue,) = figures.overdue.contributions
    assert (overdue.key, by_position[overdue.position].payload.measure_id) == ("2023-04", "M2")  # type: ignore[attr-defined]
    assert figures.completion_rate.numerator is figures.done
    assert figures.completion_rate.denominator is figures.total
    (days,) = figures.average_days_to_resolve.numerator.contributions  # type: ignore[union-attr]
    assert days.amount == 160


def test_rollup_by_category_and_unit_gives_a_rate_per_group(events: list[RecordedEvent]) -> None:
    """Per category and per responsible unit, the completion rate has its own done and total."""
    period = Period.year(2024)
    figures = rollup(in_scope(followups(events, as_of=date(2024, 6, 30)), period), period=period)
    assert {f.group: f.value for f in figures.by_category} == {
        (("category", "作风建设"),): Decimal("100.00"),
        (("category", "工作纪律"),): Decimal("0.00"),
        (("category", "政治建设"),): Decimal("0.00"),
        (("category", "组织建设"),): Decimal("0.00"),
    }
    committee = next(f for f in figures.by_unit if f.group == (("unit", "社区党委"),))
    assert (committee.numerator.value, committee.denominator.value) == (1, 3)  # type: ignore[union-attr]


def test_a_year_with_nothing_done_has_undefined_rates_not_zero(
    events: list[RecordedEvent],
) -> None:
    """With no done problem the on-time rate and average days are undefined, with a reason."""
    period = Period.year(2023)
    figures = rollup(in_scope(followups(events, as_of=date(2023, 12, 31)), period), period=period)
    assert figures.completion_rate.value == Decimal("0.00")
    assert figures.on_time_rate.value is None
    assert figures.on_time_rate.undefined_reason
    assert figures.average_days_to_resolve.value is None


def test_a_problem_closed_in_an_earlier_year_is_out_of_scope(events: list[RecordedEvent]) -> None:
    """2023-02, closed in 2024, is not in the 2025 ledger; the three unfinished ones are."""
    period = Period.year(2025)
    rows = in_scope(followups(events, as_of=date(2025, 12, 31)), period)
    assert [r.problem_id for r in rows] == ["2023-01", "2023-03", "2023-04"]
