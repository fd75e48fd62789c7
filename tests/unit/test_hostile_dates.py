"""Dates from the future (issue 17, item 4).

A follow-up update dated 2999-12-31 was accepted and then blocked every real
edit of that problem (later updates must not precede it). Dates after the
ledger clock's today plus ``future_date_tolerance_days`` are now refused,
unless the field is declared planned (a deadline).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger import Event, ValidationError, event, field
from civicledger.catalog import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemSource,
    RectificationPlanned,
    RectificationProgressed,
)
from civicledger.cli import cli
from civicledger.followups import problem_stream
from civicledger.ledger import Ledger
from civicledger.limits import Limits

NOW = datetime(2024, 3, 15, 9, 30, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def identified() -> ProblemIdentified:
    return ProblemIdentified(
        occurred_on=date(2024, 1, 5),
        problem_id="P1",
        source=ProblemSource.INSPECTION,
        description="台账不全",
        category="作风建设",
    )


def progressed(on: date, note: str = "已建立制度") -> RectificationProgressed:
    return RectificationProgressed(
        occurred_on=on, problem_id="P1", note=note, status=FollowUpStatus.IN_PROGRESS
    )


def test_a_follow_up_update_dated_2999_is_refused_and_real_edits_go_on() -> None:
    """The error names the field, the date and today's date; the next real update records."""
    with Ledger.in_memory(clock=fixed_clock) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        with pytest.raises(ValidationError) as caught:
            ledger.append(problem_stream("P1"), [progressed(date(2999, 12, 31))], actor="clerk")
        message = str(caught.value)
        assert caught.value.field == "occurred_on"
        assert message.startswith("rectification_progressed.occurred_on: 2999-12-31")
        assert "today is 2024-03-15" in message
        assert "future_date_tolerance_days" in message
        assert ledger.head() == 1
        ledger.append(problem_stream("P1"), [progressed(date(2024, 3, 15))], actor="clerk")
        assert ledger.head() == 2


def test_the_tolerance_is_a_setting() -> None:
    """Today plus one day passes by default, two days do not; a larger tolerance allows them."""
    with Ledger.in_memory(clock=fixed_clock) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        ledger.append(problem_stream("P1"), [progressed(date(2024, 3, 16))], actor="clerk")
        with pytest.raises(ValidationError, match="2024-03-17 is in the future"):
            ledger.append(problem_stream("P1"), [progressed(date(2024, 3, 17))], actor="clerk")
    limits = Limits(future_date_tolerance_days=7)
    with Ledger.in_memory(clock=fixed_clock, limits=limits) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        ledger.append(problem_stream("P1"), [progressed(date(2024, 3, 22))], actor="clerk")
        with pytest.raises(ValidationError, match="at most 7 day"):
            ledger.append(problem_stream("P1"), [progressed(date(2024, 3, 23))], actor="clerk")


def test_sql_ledgers_use_their_clock_too(tmp_path: Path) -> None:
    """The SQL store bounds dates by its own injected clock."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    with Ledger.open(url, clock=fixed_clock) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        with pytest.raises(ValidationError, match="today is 2024-03-15"):
            ledger.append(problem_stream("P1"), [progressed(date(2025, 1, 1))], actor="clerk")
        assert ledger.head() == 1


def test_planned_deadlines_may_lie_ahead() -> None:
    """A measure's deadline is planned: it may be years ahead; its occurred_on may not."""
    with Ledger.in_memory(clock=fixed_clock) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        plan = RectificationPlanned(
            occurred_on=date(2024, 3, 1),
            problem_id="P1",
            measure_id="M1",
            description="建立长效机制",
            owner="赵某",
            unit="社区居委会",
            due_on=date(2030, 12, 31),
        )
        ledger.append(problem_stream("P1"), [plan], actor="clerk")
        assert ledger.head() == 2


@event("test.hostile_dates_meeting_planned")
class _MeetingPlanned(Event):
    """An event type whose business date is itself a plan."""

    occurred_on: date = field(planned=True)
    topic: str
    decided_on: date | None = field(default=None)


def test_event_types_declare_planned_dates() -> None:
    """A redeclared planned occurred_on may lie ahead; other date fields are still bounded."""
    with Ledger.in_memory(clock=fixed_clock) as ledger:
        ledger.append("m", [_MeetingPlanned(occurred_on=date(2025, 1, 1), topic="换届")], actor="a")
        late = _MeetingPlanned(
            occurred_on=date(2025, 1, 1), topic="换届", decided_on=date(2026, 1, 1)
        )
        with pytest.raises(ValidationError, match=r"\.decided_on: 2026-01-01 is in the future"):
            ledger.append("m", [late], actor="a")


def test_a_future_update_in_an_edited_sheet_is_refused(tmp_path: Path) -> None:
    """A 更新日期 of 2999-12-31 in an imported sheet records nothing."""
    with Ledger.in_memory(clock=fixed_clock) as ledger:
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        sheet = tmp_path / "ledger.csv"
        ledger.export_followups(sheet, on=date(2024, 3, 15))
        with sheet.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        rows[1][rows[0].index("整改进展")] = "已整改"
        rows[1][rows[0].index("更新日期")] = "2999-12-31"
        with sheet.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        with pytest.raises(ValidationError, match="2999-12-31 is in the future"):
            ledger.import_followups(sheet, actor="clerk")
        assert ledger.head() == 1


def test_the_cli_refuses_a_future_date_in_one_line(tmp_path: Path) -> None:
    """`append` with a date far ahead exits 2 with one error line naming the field."""
    db = str(tmp_path / "office.db")
    payload = {
        "occurred_on": "2999-12-31",
        "problem_id": "P1",
        "source": "inspection",
        "description": "台账不全",
        "category": "作风建设",
    }
    result = CliRunner().invoke(
        cli,
        ["--db", db, "append", "problem/P1", "problem_identified", "--data", json.dumps(payload)],
    )
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("civicledger: error: problem_identified.occurred_on: 2999-12-31")
    assert f"today is {datetime.now(UTC).date().isoformat()}" in line
