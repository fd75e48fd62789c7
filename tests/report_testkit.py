"""Shared fixtures for the report tests: a small ledger, an indicator set and template writers."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

from civicledger.catalog.environment import InspectionPassed
from civicledger.catalog.followups import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemSource,
    RectificationPlanned,
    RectificationProgressed,
)
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.catalog.vocabularies import (
    CheckpointKind,
    DisputeKind,
    InspectionLevel,
    MediationOutcome,
    TrainingProgramme,
)
from civicledger.catalog.welfare import TrainingHeld
from civicledger.ledger import Ledger
from civicledger.limits import Limits

INDICATORS = """
[[indicator]]
id = "employment.reemployment_trainees"
label = "再就业培训人数"
unit = "人"
source = ["training_held"]
where = 'programme == "reemployment"'
measure = { sum = "attendees" }

[[indicator]]
id = "employment.reemployment_sessions"
label = "再就业培训次数"
unit = "次"
source = ["training_held"]
where = 'programme == "reemployment"'

[[indicator]]
id = "mediation.completed"
label = "调解纠纷"
unit = "件"
source = ["mediation_completed"]

[[indicator]]
id = "mediation.successful"
label = "调解成功"
unit = "件"
source = ["mediation_completed"]
where = 'outcome in ["written_agreement", "oral_agreement"]'

[[indicator]]
id = "mediation.success_rate"
label = "调解成功率"
unit = "%"
measure = { ratio = ["mediation.successful", "mediation.completed"], factor = 100, decimals = 2 }

[[indicator]]
id = "inspection.passed_by_level"
label = "检查通过（按级别）"
unit = "次"
source = ["inspection_passed"]
group_by = ["level"]
"""
"""A small indicator set: a sum, a count, a ratio and a grouped count."""

TRAINEES = (70, 71, 72, 70)
"""Attendees of the four re-employment trainings: 283 in all, which reads 280余."""


def trainings() -> list[TrainingHeld]:
    """The four re-employment trainings of 2023 (283 trainees)."""
    return [
        TrainingHeld(
            occurred_on=date(2023, 2 * number, 10),
            programme=TrainingProgramme.REEMPLOYMENT,
            title=f"第{number}期再就业培训",
            attendees=attendees,
        )
        for number, attendees in enumerate(TRAINEES, start=1)
    ]


def small_ledger(hash_algorithm: str = "sha256", *, limits: Limits | None = None) -> Ledger:
    """An in-memory ledger with trainings, mediations, inspections, notes and two problems."""
    ledger = Ledger.in_memory(
        origin="example.invalid/report-tests", hash_algorithm=hash_algorithm, limits=limits
    )
    for number, training in enumerate(trainings(), start=1):
        ledger.append(f"training/2023-{number}", [training], actor="clerk")
    outcomes = [MediationOutcome.WRITTEN_AGREEMENT, MediationOutcome.ORAL_AGREEMENT]
    outcomes += [MediationOutcome.FAILED]
    for number, outcome in enumerate(outcomes, start=1):
        mediation = MediationCompleted(
            occurred_on=date(2023, 5, number),
            case_id=f"TJ-{number}",
            dispute_kind=DisputeKind.NEIGHBOURHOOD,
            parties=2,
            outcome=outcome,
        )
        ledger.append(f"mediation/TJ-{number}", [mediation], actor="mediator")
    for number, level in enumerate(
        [InspectionLevel.CITY, InspectionLevel.CITY, InspectionLevel.DISTRICT]
    ):
        inspection = InspectionPassed(
            occurred_on=date(2023, 6, number + 1),
            level=level,
            checkpoint=f"点位{number}",
            checkpoint_kind=next(iter(CheckpointKind)),
        )
        ledger.append("inspections", [inspection], actor="grid")
    notes = [
        (date(2023, 3, 1), "civil_affairs", "hardship", "常态走访困难家庭。"),
        (date(2023, 4, 1), "civil_affairs", "insurance", "完成医保参保任务。"),
        (date(2023, 9, 1), "civil_affairs", "hardship", "常态走访困难家庭，一户一策落实帮扶。"),
        (date(2022, 9, 1), "outlook", "old", "上一年的打算，不属于本期。"),
    ]
    for day, section, key, text in notes:
        note = NarrativeNoteRecorded(
            occurred_on=day, section=section, key=key, text=text, author="王某"
        )
        ledger.append("notes", [note], actor="secretary")
    problems = [("P1", "外出登记存在漏登"), ("P2", "支部活力不足。")]
    for problem_id, description in problems:
        stream = f"problem/{problem_id}"
        events = [
            ProblemIdentified(
                occurred_on=date(2023, 12, 1),
                problem_id=problem_id,
                source=ProblemSource.ANNUAL_REPORT,
                description=description,
                category="作风建设",
            ),
            RectificationPlanned(
                occurred_on=date(2023, 12, 2),
                problem_id=problem_id,
                measure_id="M1",
                description="每周抽查登记本",
                owner="赵某",
                unit="社区居委会",
                due_on=date(2024, 3, 31),
            ),
        ]
        ledger.append(stream, events, actor="secretary")
    ledger.append(
        "problem/P1",
        [
            RectificationProgressed(
                occurred_on=date(2023, 12, 20),
                problem_id="P1",
                note="已建立抽查制度",
                measure_id="M1",
                percent=60,
                status=FollowUpStatus.IN_PROGRESS,
            )
        ],
        actor="secretary",
    )
    return ledger


def write_template(folder: Path, body: str, *, indicators: str = INDICATORS) -> Path:
    """Write a template (and its indicator set) into a folder and return the template's path.

    Args:
        folder: where to write ``report.toml`` and ``indicators.toml``.
        body: the template text after the ``[report]`` table (dedented).
        indicators: the indicator set's text.

    Returns:
        The path of ``report.toml``.
    """
    (folder / "indicators.toml").write_text(indicators, encoding="utf-8")
    head = '[report]\ntitle = "测试社区{{ year }}年度工作报告"\nindicators = "indicators.toml"\n\n'
    path = folder / "report.toml"
    path.write_text(head + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


ONE_SECTION = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.items]]
  text = '''
  举办再就业培训{employment.reemployment_sessions|exact:次}，
  培训{employment.reemployment_trainees|approx:人}。'''

  [[sections.items]]
  text = "调解成功率{mediation.success_rate|rate}。"
"""
"""A minimal template body with two numbered sentences."""

EXACT_RATE = Decimal("66.67")
"""The success rate of the small ledger's mediations: 2 of 3."""
