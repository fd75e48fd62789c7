"""How the fold derives percentages, dates and carry-over from a problem's events."""

from __future__ import annotations

from datetime import date

from civicledger.followups import FollowUpStatus, followups
from followup_testkit import identified, planned, progressed, recorded, resolved

S = FollowUpStatus
FAR = date(2030, 1, 1)
D = date


def test_measure_percentages_roll_up_by_weight_rounded_half_up() -> None:
    """Weights 1 and 2 at 0% and 25% give 50/3 = 16.67, shown as 17."""
    events = [
        identified("P1", D(2024, 1, 1)),
        planned("P1", "M1", D(2024, 1, 1), None),
        planned("P1", "M2", D(2024, 1, 1), None, weight=2),
        progressed("P1", D(2024, 1, 2), measure_id="M2", percent=25),
    ]
    assert followups(recorded(events), as_of=FAR)[0].percent == 17


def test_the_latest_percentage_reported_wins() -> None:
    """A problem-level figure overrides the roll-up until a measure reports again."""
    events = [
        identified("P1", D(2024, 1, 1)),
        planned("P1", "M1", D(2024, 1, 1), None),
        progressed("P1", D(2024, 1, 2), measure_id="M1", percent=40),
        progressed("P1", D(2024, 1, 3), "总体评估", percent=70),
    ]
    assert followups(recorded(events), as_of=FAR)[0].percent == 70
    events.append(progressed("P1", D(2024, 1, 4), measure_id="M1", percent=50))
    assert followups(recorded(events), as_of=FAR)[0].percent == 50


def test_a_problem_without_any_percentage_has_none() -> None:
    """No reported percentage means no percentage, not 0%."""
    events = [identified("P1", D(2024, 1, 1)), progressed("P1", D(2024, 1, 2))]
    assert followups(recorded(events), as_of=FAR)[0].percent is None


def test_status_since_is_the_date_of_the_last_status_change() -> None:
    """Notes that keep the status do not move its start date."""
    events = [
        identified("P1", D(2024, 1, 1)),
        progressed("P1", D(2024, 1, 5)),
        progressed("P1", D(2024, 2, 1)),
    ]
    (row,) = followups(recorded(events), as_of=FAR)
    assert (row.status, row.status_since) == (S.IN_PROGRESS, D(2024, 1, 5))


def test_events_after_the_as_of_date_do_not_count() -> None:
    """As of a date, later changes and problems identified later are invisible."""
    events = [
        identified("P1", D(2024, 1, 1)),
        resolved("P1", D(2024, 3, 1)),
        identified("P2", D(2024, 4, 1)),
    ]
    (row,) = followups(recorded(events), as_of=D(2024, 2, 29))
    assert (row.problem_id, row.status, row.done_on) == ("P1", S.OPEN, None)


def test_only_problems_unfinished_at_last_year_end_are_carried_over() -> None:
    """A 2023 problem done in 2023 is not carried into 2024; one done in 2024 is."""
    events = [
        identified("P1", D(2023, 5, 1)),
        resolved("P1", D(2023, 11, 1)),
        identified("P2", D(2023, 5, 1)),
        resolved("P2", D(2024, 2, 1)),
        identified("P3", D(2024, 3, 1)),
    ]
    rows = followups(recorded(events), as_of=D(2024, 6, 30))
    assert [(r.problem_id, r.carried_over) for r in rows] == [
        ("P1", False),
        ("P2", True),
        ("P3", False),
    ]


def test_a_measure_reported_complete_is_not_overdue() -> None:
    """A measure at 100% is finished even if its problem is still in progress."""
    events = [
        identified("P1", D(2024, 1, 1)),
        planned("P1", "M1", D(2024, 1, 1), D(2024, 2, 1)),
        progressed("P1", D(2024, 1, 20), measure_id="M1", percent=100),
    ]
    (row,) = followups(recorded(events), as_of=D(2024, 6, 1))
    assert (row.status, row.overdue) == (S.IN_PROGRESS, False)


def test_a_deadline_is_met_on_its_own_day() -> None:
    """Overdue means the deadline has passed: on the due date itself it is not yet late."""
    events = [identified("P1", D(2024, 1, 1)), planned("P1", "M1", D(2024, 1, 1), D(2024, 2, 1))]
    assert not followups(recorded(events), as_of=D(2024, 2, 1))[0].overdue
    assert followups(recorded(events), as_of=D(2024, 2, 2))[0].overdue
