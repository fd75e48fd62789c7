"""The transition table: which status changes are allowed, and what happens to the others."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from civicledger.catalog.followups import ProblemReopened, RectificationPlanned
from civicledger.errors import ValidationError
from civicledger.events import Event
from civicledger.followups import (
    ALLOWED_FROM,
    Change,
    FollowUpStatus,
    check_changes,
    followups,
    project,
    require_allowed,
)
from followup_testkit import identified, planned, progressed, recorded, resolved

S = FollowUpStatus
DAY0 = date(2024, 1, 10)
FAR = date(2030, 1, 1)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def path_to(status: FollowUpStatus) -> list[Event]:
    """Events that bring problem P1 to ``status`` along an allowed path."""
    events: list[Event] = [identified("P1", day(0))]
    if status in (S.IN_PROGRESS, S.BASICALLY_DONE, S.ONGOING):
        events.append(progressed("P1", day(1), status=status))
    if status in (S.DONE, S.CLOSED, S.REOPENED):
        events.append(resolved("P1", day(1)))
    if status is S.CLOSED:
        events.append(resolved("P1", day(2), S.CLOSED))
    if status is S.REOPENED:
        events.append(ProblemReopened(occurred_on=day(2), problem_id="P1", reason="回头看发现反弹"))
    return events


def move_to(status: FollowUpStatus, on: date) -> Event:
    """The event that asks for a change to ``status``."""
    if status in (S.IN_PROGRESS, S.BASICALLY_DONE, S.ONGOING):
        return progressed("P1", on, status=status)
    if status in (S.DONE, S.CLOSED):
        return resolved("P1", on, status)
    if status is S.REOPENED:
        return ProblemReopened(occurred_on=on, problem_id="P1", reason="复查")
    return identified("P1", on)


def status_of(events: list[Event]) -> FollowUpStatus:
    (row,) = followups(recorded(events), as_of=FAR)
    return row.status


@pytest.mark.parametrize("status", list(S))
def test_every_status_is_reachable_along_an_allowed_path(status: FollowUpStatus) -> None:
    """Each of the seven statuses can be reached without a rejection."""
    state = project(recorded(path_to(status)), as_of=FAR)
    assert (state.rows[0].status, state.rejected) == (status, ())


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_a_change_is_applied_exactly_when_the_table_allows_it(
    current: FollowUpStatus, target: FollowUpStatus
) -> None:
    """From every status to every status: allowed moves apply, all others are rejected."""
    events = [*path_to(current), move_to(target, day(5))]
    state = project(recorded(events), as_of=FAR)
    if current in ALLOWED_FROM[target]:
        assert (state.rows[0].status, state.rejected) == (target, ())
    else:
        assert state.rows[0].status is current
        (rejection,) = state.rejected
        assert rejection.position == len(events)


def test_a_problem_cannot_be_closed_without_being_done() -> None:
    """Closing an in-progress problem is refused, saying closed needs done."""
    state = project(
        recorded([*path_to(S.IN_PROGRESS), resolved("P1", day(3), S.CLOSED)]), as_of=FAR
    )
    (rejection,) = state.rejected
    assert "closed is allowed only from: done" in rejection.reason
    assert state.rows[0].closed_on is None


def test_a_problem_cannot_be_done_before_it_was_identified() -> None:
    """A done dated before the identification is refused, naming both dates."""
    state = project(recorded([identified("P1", day(0)), resolved("P1", day(-1))]), as_of=FAR)
    (rejection,) = state.rejected
    assert rejection.reason == f"dated {day(-1)}, before the problem was identified on {day(0)}"


def test_reopening_is_refused_unless_the_problem_is_done_or_closed() -> None:
    """回头看 cannot reopen what was never finished."""
    state = project(recorded([*path_to(S.BASICALLY_DONE), move_to(S.REOPENED, day(3))]), as_of=FAR)
    assert "reopened is allowed only from: closed, done" in state.rejected[0].reason


def test_events_of_an_unidentified_problem_are_orphans() -> None:
    """Progress on a problem never identified yields no row and one orphan."""
    state = project(recorded([progressed("P9", day(0))]), as_of=FAR)
    assert state.rows == ()
    assert [r.reason for r in state.orphans] == ["problem 'P9' has not been identified"]


def test_a_problem_cannot_be_identified_twice() -> None:
    """A second identification is refused; the first one stands."""
    state = project(
        recorded([identified("P1", day(0)), identified("P1", day(3), "其他")]), as_of=FAR
    )
    assert state.rows[0].category == "作风建设"
    assert "already identified" in state.rejected[0].reason


def test_changes_may_not_go_back_in_time() -> None:
    """A change dated before the problem's latest change is refused."""
    events = [identified("P1", day(0)), progressed("P1", day(5)), progressed("P1", day(3))]
    state = project(recorded(events), as_of=FAR)
    assert "before the problem's latest change" in state.rejected[0].reason


def test_progress_on_a_measure_never_planned_is_refused() -> None:
    """A note naming an unknown measure is refused."""
    events = [identified("P1", day(0)), progressed("P1", day(1), measure_id="M7", percent=20)]
    state = project(recorded(events), as_of=FAR)
    assert state.rejected[0].reason == "measure 'M7' has not been planned for this problem"


@pytest.mark.parametrize("status", [S.DONE, S.CLOSED])
def test_no_measure_can_be_planned_for_a_finished_problem(status: FollowUpStatus) -> None:
    """Planning on a done or closed problem is refused: reopen it first."""
    state = project(recorded([*path_to(status), planned("P1", "M1", day(4), None)]), as_of=FAR)
    assert "reopen it first" in state.rejected[0].reason


def test_a_closed_problem_accepts_only_a_reopening() -> None:
    """Even a plain note on a closed problem is refused."""
    state = project(recorded([*path_to(S.CLOSED), progressed("P1", day(4))]), as_of=FAR)
    assert "accepts only a reopening" in state.rejected[0].reason


def test_a_note_on_a_done_problem_keeps_it_done() -> None:
    """A follow-up visit note after done is accepted and leaves the status done."""
    assert status_of([*path_to(S.DONE), progressed("P1", day(4), "回访群众满意")]) is S.DONE


@pytest.mark.parametrize("status", [S.OPEN, S.REOPENED])
def test_a_plain_note_starts_work_on_an_open_or_reopened_problem(status: FollowUpStatus) -> None:
    """A note without a status moves open and reopened problems to in_progress."""
    assert status_of([*path_to(status), progressed("P1", day(4))]) is S.IN_PROGRESS


def test_a_plain_note_leaves_other_statuses_alone() -> None:
    """A note without a status keeps basically_done as it is."""
    assert status_of([*path_to(S.BASICALLY_DONE), progressed("P1", day(4))]) is S.BASICALLY_DONE


def test_reopening_clears_the_done_and_sign_off_dates() -> None:
    """After 回头看 the problem is no longer done, so it has no done or closed date."""
    (row,) = followups(recorded(path_to(S.REOPENED)), as_of=FAR)
    assert (row.done_on, row.closed_on, row.is_done) == (None, None, False)


def test_a_rejected_event_is_flagged_on_its_row_not_applied() -> None:
    """The projection lists the bad event with its id and position and ignores it."""
    events = recorded(
        [*path_to(S.OPEN), resolved("P1", day(2), S.CLOSED), progressed("P1", day(3))]
    )
    (row,) = followups(events, as_of=FAR)
    assert row.status is S.IN_PROGRESS
    (rejection,) = row.rejected
    assert (rejection.event_id, rejection.position) == (events[1].event_id, 2)
    assert [t.event_type for t in row.timeline] == [
        "problem_identified",
        "rectification_progressed",
    ]


def test_revising_a_measure_keeps_its_first_planning_date_and_progress() -> None:
    """A second plan with the same measure id revises it; the timeline says so."""
    events = [
        identified("P1", day(0)),
        planned("P1", "M1", day(1), day(30)),
        progressed("P1", day(2), measure_id="M1", percent=30),
        planned("P1", "M1", day(3), day(60), unit="社区居委会"),
    ]
    (row,) = followups(recorded(events), as_of=FAR)
    (measure,) = row.measures
    assert (measure.planned_on, measure.due_on, measure.unit, measure.percent) == (
        day(1),
        day(60),
        "社区居委会",
        30,
    )
    assert row.timeline[-1].detail.startswith("measure M1 revised")


def test_check_changes_lets_a_batch_build_on_its_own_earlier_changes() -> None:
    """Identify, plan and progress in one batch: each change sees the ones before it."""
    changes = [
        Change(event=identified("P1", day(0)), actor="a"),
        Change(event=planned("P1", "M1", day(0), None), actor="a"),
        Change(event=progressed("P1", day(1), measure_id="M1", percent=10), actor="a"),
    ]
    assert check_changes([], changes) == []


def test_require_allowed_reports_every_refused_change_and_names_it() -> None:
    """Two bad changes in a batch give one ValidationError listing both."""
    history = recorded([identified("P1", day(0))])
    changes = [
        Change(event=resolved("P1", day(1), S.CLOSED), actor="a"),
        Change(event=progressed("P2", day(1)), actor="a"),
    ]
    with pytest.raises(ValidationError) as caught:
        require_allowed(history, changes)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].event_type == "problem_resolved"
    assert "nothing was appended" in str(caught.value)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: resolved("P1", DAY0, S.IN_PROGRESS), "status"),
        (lambda: progressed("P1", DAY0, status=S.DONE), "status"),
        (lambda: progressed("P1", DAY0, percent=101), "percent"),
        (lambda: progressed("P/1", DAY0), "problem_id"),
        (lambda: planned("P1", "M1", DAY0, day(-1)), "due_on"),
        (lambda: planned("P1", "M1", DAY0, None, weight=0), "weight"),
    ],
)
def test_malformed_problem_events_are_refused_on_construction(build: object, field: str) -> None:
    """A status an event may not set, a percentage over 100, a bad id, a due date before the
    plan or a zero weight raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field


def test_measures_default_to_weight_one_and_no_deadline() -> None:
    """A measure planned without a weight or deadline weighs 1 and is long-term."""
    measure = RectificationPlanned(
        occurred_on=DAY0, problem_id="P1", measure_id="M1", description="d", owner="o", unit="u"
    )
    assert (measure.weight, measure.due_on) == (1, None)
