"""The example community's 2023 ledger: deterministic, importable, yielding the README figures."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from example_tally import EXAMPLE, load, tally

from civicledger import Ledger

GENERATOR = EXAMPLE / "generate.py"
EVENTS = EXAMPLE / "events.jsonl"

# The figures the README promises; another engineer's indicators are checked against these.
EXPECTED = {
    "party.contact_members": 256,
    "party.contact_members_in_service": 26,
    "party.contact_households": 3000,
    "org.self_organisations": 9,
    "org.renamed": 3,
    "org.federations": 1,
    "org.joint_meetings": 4,
    "meetings.party_committee": 24,
    "meetings.branch_general_assembly": 16,
    "meetings.residents_oversight_committee": 12,
    "activities.party_study": 30,
    "employment.merchant_groups": 3,
    "employment.merchants": 612,
    "employment.reemployment_sessions": 4,
    "employment.reemployment_trainees": 283,
    "employment.job_fairs": 3,
    "elderly.certification_groups": 5,
    "elderly.certified": 312,
    "grid.residential_compounds": 41,
    "volunteer.cleanups": 48,
    "volunteer.participants": 1488,
    "volunteer.hours": "2964.5",
    "inspection.passed": 68,
    "inspection.failed": 15,
    "mediation.completed": 46,
    "governance.key_person_visits": 190,
    "governance.floating_population_checks": 48,
    "governance.stability_duty_rosters": 7,
    "activities.legal_publicity": 10,
    "activities.anti_fraud_publicity": 12,
    "activities.recruitment_publicity": 4,
    "activities.care_season_minors": 6,
    "activities.care_season_youth": 5,
    "activities.care_season_elders": 6,
    "welfare.low_income_reviews": 4,
}


def _generate(output: Path) -> bytes:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(output)],
        check=True,
        capture_output=True,
    )
    return output.read_bytes()


def test_generator_writes_identical_bytes_every_run(tmp_path: Path) -> None:
    """Two runs of the generator write the same bytes, and they are the committed file."""
    first = _generate(tmp_path / "one.jsonl")
    second = _generate(tmp_path / "two.jsonl")
    assert first == second
    assert first == EVENTS.read_bytes()


def test_example_ledger_yields_the_readme_figures() -> None:
    """Plain-Python tallies of the committed ledger equal the figures the README lists."""
    figures = tally(load())
    assert {name: figures[name] for name in EXPECTED} == EXPECTED
    assert figures["employment.reemployment_all_free"] is True
    assert figures["mediation.success_rate"] == "91.30%"
    assert figures["welfare.insurance_task_completed"] is True


@pytest.mark.parametrize(("name", "value"), sorted(EXPECTED.items()))
def test_readme_lists_each_figure_with_its_exact_value(name: str, value: object) -> None:
    """The README's table has a row naming the indicator and its exact value."""
    assert f"| `{name}` | {value} |" in (EXAMPLE / "README.md").read_text(encoding="utf-8")


def test_example_ledger_spans_the_year_with_a_few_thousand_events() -> None:
    """The example holds a few thousand events, all dated in 2023, in date order."""
    dates = [line["payload"]["occurred_on"] for line in load()]
    assert 2000 <= len(dates) <= 5000
    assert dates == sorted(dates)
    assert dates[0].startswith("2023-01")
    assert dates[-1].startswith("2023-12")


def test_cleanups_fall_on_fridays_and_joint_meetings_once_a_quarter() -> None:
    """Volunteer cleanups are all on Fridays, and each quarter has exactly one joint meeting."""
    lines = load()
    cleanups = [
        date.fromisoformat(x["payload"]["occurred_on"])
        for x in lines
        if x["type"] == "volunteer_cleanup_held"
    ]
    assert {d.weekday() for d in cleanups} == {4}
    joint = [
        date.fromisoformat(x["payload"]["occurred_on"])
        for x in lines
        if x["type"] == "meeting_held"
        and x["payload"]["body"] == "social_organisation_joint_meeting"
    ]
    assert sorted((d.month - 1) // 3 for d in joint) == [0, 1, 2, 3]


def test_merchant_groups_never_count_below_zero() -> None:
    """Running membership of every contact group stays non-negative through the year."""
    sizes: dict[str, int] = {}
    for line in load():
        if line["type"] == "contact_group_membership_changed":
            group = line["payload"]["group_id"]
            sizes[group] = sizes.get(group, 0) + line["payload"]["joined"] - line["payload"]["left"]
            assert sizes[group] >= 0


def test_four_problems_stand_as_the_report_says_at_year_end() -> None:
    """The follow-up projection reads the four problems with their year-end statuses."""
    with Ledger.in_memory() as ledger:
        ledger.import_jsonl(EVENTS)
        rows = ledger.followups(on=date(2023, 12, 31))
    assert [(r.problem_id, str(r.status)) for r in rows] == [
        ("2023-01", "ongoing"),
        ("2023-02", "in_progress"),
        ("2023-03", "basically_done"),
        ("2023-04", "reopened"),
    ]
