"""The example ledger's four problems (二、存在问题) project to the expected follow-up table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from civicledger.followups import PROBLEM_TYPES, FollowUpStatus, carried_over, project
from civicledger.ledger import Ledger

S = FollowUpStatus
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023" / "events.jsonl"


@pytest.fixture(scope="module")
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory() as ledger:
        ledger.import_jsonl(EXAMPLE)
        yield ledger


def table(ledger: Ledger, as_of: date) -> list[tuple[object, ...]]:
    return [
        (
            r.problem_id,
            r.status,
            r.percent,
            r.overdue,
            tuple(m.measure_id for m in r.measures if m.overdue),
            r.carried_over,
        )
        for r in ledger.followups(as_of)
    ]


def test_the_example_records_its_problems_without_breaking_a_rule(ledger: Ledger) -> None:
    """Every problem event of the example ledger is accepted by the transition table."""
    state = project(ledger.read(types=PROBLEM_TYPES), as_of=date(2024, 6, 30))
    assert len(state.rows) == 4
    assert state.rejected == ()


def test_at_2023_year_end_each_problem_has_its_own_status(ledger: Ledger) -> None:
    """On 2023-12-31: ongoing, in progress, basically done, and reopened by 回头看; none late."""
    assert table(ledger, date(2023, 12, 31)) == [
        ("2023-01", S.ONGOING, 50, False, (), False),
        ("2023-02", S.IN_PROGRESS, 45, False, (), False),
        ("2023-03", S.BASICALLY_DONE, 80, False, (), False),
        ("2023-04", S.REOPENED, 100, False, (), False),
    ]


def test_by_mid_2024_the_unfinished_deadlines_have_passed(ledger: Ledger) -> None:
    """On 2024-06-30, with nothing recorded since, 2023-02 and 2023-03 are overdue."""
    assert table(ledger, date(2024, 6, 30)) == [
        ("2023-01", S.ONGOING, 50, False, (), True),
        ("2023-02", S.IN_PROGRESS, 45, True, ("1", "2"), True),
        ("2023-03", S.BASICALLY_DONE, 80, True, ("1",), True),
        ("2023-04", S.REOPENED, 100, False, (), True),
    ]


def test_all_four_problems_go_into_the_2024_outlook(ledger: Ledger) -> None:
    """None of the four is done or closed at 2023-12-31, so all are carried over."""
    rows = carried_over(ledger.read(types=PROBLEM_TYPES), year=2023)
    assert [r.problem_id for r in rows] == ["2023-01", "2023-02", "2023-03", "2023-04"]


def test_the_reopened_problem_shows_its_round_trip_in_the_timeline(ledger: Ledger) -> None:
    """2023-04 was done on 2023-10-10 and reopened on 2023-12-12; the done date is cleared."""
    row = ledger.followups(date(2023, 12, 31))[3]
    moves = [(t.on, t.status_after) for t in row.timeline if t.status_before is not t.status_after]
    assert moves[-2:] == [(date(2023, 10, 10), S.DONE), (date(2023, 12, 12), S.REOPENED)]
    assert row.done_on is None


def test_the_2023_rollup_reports_no_problem_as_complete(ledger: Ledger) -> None:
    """Basically done and reopened do not count: completion 0/4, with rates defined or explained."""
    figures = ledger.followup_rollup(2023)
    assert (figures.total.value, figures.done.value) == (4, 0)
    assert figures.completion_rate.value == Decimal("0.00")
    assert figures.on_time_rate.value is None
    assert figures.status_count(S.BASICALLY_DONE) == 1
