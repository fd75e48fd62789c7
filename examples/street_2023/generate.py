"""Generate the example street's generated communities as JSON Lines (deterministic).

和平街道 (the example street) oversees five communities. The first is the
example community of ``examples/community_2023`` (XX社区, its ledger as it is);
the other four are generated here, each with its own character:

- 荷花社区: a large estate of old compounds; renovation and property disputes
  keep its mediators busy, and its rectification of the renovation backlog is
  still under way.
- 莲花社区: a small new mixed-use quarter; shops everywhere, many job trainings,
  few disputes, few volunteers; residents' complaints about cooking fumes open.
- 桂花社区: a mid-sized volunteer model; a cleanup every Friday with many
  volunteers, inspections passed, no open problem.
- 梅园社区: a former village under redevelopment; labour and debt disputes,
  many failed inspections and an overdue rectification.

Each community is written to ``communities/<slug>.jsonl``; ``street.toml`` lists
the communities, their ledgers' names and files (the demo reads it). The output
depends only on the fixed seed and the characters below, so two runs write
identical bytes.

Usage::

    python examples/street_2023/generate.py
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "community_2023"))

from almanac import (
    YEAR,
    Year,
    jsonl_bytes,
    on_or_after,
    pick_days,
    split,
    weekdays_of_year,
    workdays,
)

from civicledger import catalog as c

HERE = Path(__file__).resolve().parent

SEED = 2023
"""The generator's only source of variety: same seed, same bytes."""


@attrs.frozen
class Problem:
    """A problem a community found, and how far its rectification got by year end."""

    problem_id: str
    description: str
    category: str
    measure: str
    identified: date
    due: date
    percent: int
    status: c.FollowUpStatus


@attrs.frozen
class Character:
    """What makes one generated community itself."""

    slug: str
    name: str
    compounds: int
    members: int
    households_per_member: tuple[int, int]
    trainees: tuple[int, ...]  # attendees of each free re-employment training
    mediations: int
    success: float  # share of mediations ending in an agreement
    disputes: tuple[c.DisputeKind, ...]
    cleanup_share: float  # share of Fridays with a volunteer cleanup
    volunteers: tuple[int, int]
    inspections: int
    failure: float  # share of inspections failed
    merchants: tuple[int, int]  # joined and left the merchant group over the year
    problems: tuple[Problem, ...] = ()


D = c.DisputeKind
S = c.FollowUpStatus

COMMUNITIES = (
    Character(
        slug="hehua",
        name="荷花社区",
        compounds=58,
        members=310,
        households_per_member=(10, 16),
        trainees=(52, 61),
        mediations=64,
        success=0.8,
        disputes=(D.RENOVATION, D.RENOVATION, D.PROPERTY_MANAGEMENT, D.NEIGHBOURHOOD),
        cleanup_share=0.5,
        volunteers=(15, 30),
        inspections=40,
        failure=0.15,
        merchants=(140, 21),
        problems=(
            Problem(
                "HH-2023-01",
                "老旧小区改造进度滞后，部分楼栋管网改造未按期完工",
                "民生服务",
                "按楼栋排定改造时间表，每周通报进度",
                date(2023, 5, 18),
                date(2024, 6, 30),
                55,
                S.IN_PROGRESS,
            ),
            Problem(
                "HH-2023-02",
                "物业服务投诉集中，报修响应不及时",
                "基层治理",
                "建立物业服务月评议制度",
                date(2023, 3, 9),
                date(2023, 9, 30),
                100,
                S.DONE,
            ),
        ),
    ),
    Character(
        slug="lianhua",
        name="莲花社区",
        compounds=12,
        members=95,
        households_per_member=(8, 12),
        trainees=(38, 44, 41, 47, 39, 45),
        mediations=18,
        success=0.9,
        disputes=(D.NEIGHBOURHOOD, D.LABOUR, D.OTHER),
        cleanup_share=0.25,
        volunteers=(8, 16),
        inspections=24,
        failure=0.1,
        merchants=(880, 95),
        problems=(
            Problem(
                "LH-2023-01",
                "沿街餐饮油烟扰民，居民反映较多",
                "环境整治",
                "督促商户加装油烟净化设施并定期清洗",
                date(2023, 8, 2),
                date(2024, 3, 31),
                0,
                S.OPEN,
            ),
        ),
    ),
    Character(
        slug="guihua",
        name="桂花社区",
        compounds=24,
        members=180,
        households_per_member=(9, 14),
        trainees=(46, 50, 43),
        mediations=30,
        success=0.85,
        disputes=(D.NEIGHBOURHOOD, D.FAMILY, D.PROPERTY_MANAGEMENT),
        cleanup_share=1.0,
        volunteers=(30, 60),
        inspections=36,
        failure=0.0,
        merchants=(260, 30),
    ),
    Character(
        slug="meiyuan",
        name="梅园社区",
        compounds=31,
        members=140,
        households_per_member=(12, 20),
        trainees=(66, 58, 72, 63),
        mediations=45,
        success=0.6,
        disputes=(D.LABOUR, D.DEBT, D.NEIGHBOURHOOD, D.OTHER),
        cleanup_share=0.4,
        volunteers=(10, 25),
        inspections=48,
        failure=0.35,
        merchants=(310, 64),
        problems=(
            Problem(
                "MY-2023-01",
                "背街小巷私搭乱建反弹，整治后复发",
                "环境整治",
                "建立巷长巡查制度，发现一处拆除一处",
                date(2023, 4, 20),
                date(2023, 10, 31),
                70,
                S.IN_PROGRESS,
            ),
            Problem(
                "MY-2023-02",
                "拆迁过渡安置户诉求多，矛盾排查不到位",
                "基层治理",
                "每月逐户走访过渡安置户",
                date(2023, 6, 15),
                date(2024, 2, 28),
                40,
                S.IN_PROGRESS,
            ),
            Problem(
                "MY-2023-03",
                "流动人口登记漏报",
                "基层治理",
                "出租屋逐户核查登记",
                date(2023, 2, 8),
                date(2023, 6, 30),
                100,
                S.DONE,
            ),
        ),
    ),
)
"""The generated communities, in the order the street lists them after XX社区."""


def build_year(rng: random.Random, who: Character) -> Year:
    """Every event of one community's year."""
    year = Year()
    opening = on_or_after(date(YEAR, 1, 3))
    for i in range(1, who.compounds + 1):
        year.add(
            "grid",
            c.CompoundRegistered(
                occurred_on=opening,
                compound_id=f"{who.slug.upper()}-C{i:02d}",
                name=f"{who.name.removesuffix('社区')}{i}号院",  # as compound() names it
                households=rng.randrange(60, 420),
                property_managed=rng.random() < 0.5,
            ),
        )
    households = [f"H{n:05d}" for n in range(1, 20_000)]
    rng.shuffle(households)
    for n in range(1, who.members + 1):
        count = rng.randrange(*who.households_per_member)
        taken, households = households[:count], households[count:]
        year.add(
            "party",
            c.MemberHouseholdContactAssigned(
                occurred_on=rng.choice(workdays(date(YEAR, 2, 20), date(YEAR, 3, 10))),
                member_id=f"M{n:04d}",
                in_service=rng.random() < 0.15,
                household_ids=tuple(taken),
            ),
        )
    months = sorted(rng.sample(range(2, 12), len(who.trainees)))
    for number, (month, attendees) in enumerate(zip(months, who.trainees, strict=True), 1):
        year.add(
            "service",
            c.TrainingHeld(
                occurred_on=on_or_after(date(YEAR, month, 12)),
                programme=c.TrainingProgramme.REEMPLOYMENT,
                title=f"{who.name}第{number}期再就业培训",
                attendees=attendees,
                free=True,
            ),
        )
    for n, day in enumerate(
        sorted(
            rng.choice(workdays(date(YEAR, 1, 4), date(YEAR, 12, 29)))
            for _ in range(who.mediations)
        ),
        start=1,
    ):
        outcome = (
            rng.choice([c.MediationOutcome.WRITTEN_AGREEMENT, c.MediationOutcome.ORAL_AGREEMENT])
            if rng.random() < who.success
            else c.MediationOutcome.FAILED
        )
        year.add(
            "civil",
            c.MediationCompleted(
                occurred_on=day,
                case_id=f"{who.slug.upper()}-TJ{n:03d}",
                dispute_kind=rng.choice(who.disputes),
                parties=rng.choice([2, 2, 3, 4]),
                outcome=outcome,
                opened_on=day - timedelta(days=rng.randrange(0, 20)),
            ),
        )
    for friday in weekdays_of_year(4):
        if rng.random() < who.cleanup_share:
            year.add(
                "grid",
                c.VolunteerCleanupHeld(
                    occurred_on=friday,
                    area=compound(rng, who),
                    volunteers=rng.randrange(*who.volunteers),
                    hours=Decimal(rng.choice(["1.5", "2", "2"])),
                ),
            )
    levels = [c.InspectionLevel.CITY, c.InspectionLevel.DISTRICT, c.InspectionLevel.STREET]
    for day in pick_days(rng, date(YEAR, 1, 9), date(YEAR, 12, 22), who.inspections):
        place = compound(rng, who)
        kind = c.CheckpointKind.RESIDENTIAL_COMPOUND
        level = rng.choice(levels)
        if rng.random() < who.failure:
            event: c.InspectionFailed | c.InspectionPassed = c.InspectionFailed(
                occurred_on=day,
                level=level,
                checkpoint=place,
                checkpoint_kind=kind,
                findings=("楼道堆放杂物",),
                rectify_by=day + timedelta(days=3),
            )
        else:
            event = c.InspectionPassed(
                occurred_on=day, level=level, checkpoint=place, checkpoint_kind=kind
            )
        year.add("service", event)
    merchants(rng, year, who)
    for problem in who.problems:
        rectification(year, problem)
    return year


def compound(rng: random.Random, who: Character) -> str:
    """One of the community's compounds, by name (荷花12号院)."""
    return f"{who.name.removesuffix('社区')}{rng.randrange(1, who.compounds + 1)}号院"


def merchants(rng: random.Random, year: Year, who: Character) -> None:
    """The merchant contact group: created in January, joins and leaves counted monthly."""
    group_id = f"{who.slug.upper()}-MG"
    kind = c.ContactGroupKind.MERCHANT
    created = on_or_after(date(YEAR, 1, 16))
    year.add(
        "service",
        c.ContactGroupCreated(
            occurred_on=created, group_id=group_id, kind=kind, name=f"{who.name}商户群"
        ),
    )
    joined, left = who.merchants
    # Leaving waits a month, so the group never counts fewer members than zero.
    joins, leaves = split(rng, joined, 12), [0, *split(rng, left, 11)]
    for month, (j, lft) in enumerate(zip(joins, leaves, strict=True), start=1):
        year.add(
            "service",
            c.ContactGroupMembershipChanged(
                occurred_on=on_or_after(max(date(YEAR, month, 25), created)),
                group_id=group_id,
                kind=kind,
                joined=j,
                left=lft,
            ),
        )


def rectification(year: Year, problem: Problem) -> None:
    """A problem, its one measure and its progress at year end."""
    year.add(
        "party",
        c.ProblemIdentified(
            occurred_on=problem.identified,
            problem_id=problem.problem_id,
            source=c.ProblemSource.RESIDENT_COMPLAINT,
            description=problem.description,
            category=problem.category,
        ),
    )
    year.add(
        "party",
        c.RectificationPlanned(
            occurred_on=problem.identified + timedelta(days=7),
            problem_id=problem.problem_id,
            measure_id="M1",
            description=problem.measure,
            owner="社区党委书记",
            unit="社区党委",
            due_on=problem.due,
        ),
    )
    progressed = problem.identified + timedelta(days=60)
    if problem.status is S.DONE:
        year.add(
            "party",
            c.ProblemResolved(
                occurred_on=progressed,
                problem_id=problem.problem_id,
                status=S.DONE,
                note="整改措施已落实",
            ),
        )
    elif problem.status is not S.OPEN:
        year.add(
            "party",
            c.RectificationProgressed(
                occurred_on=progressed,
                problem_id=problem.problem_id,
                measure_id="M1",
                note="按计划推进",
                percent=problem.percent,
                status=problem.status,
            ),
        )


def render(rng: random.Random, who: Character) -> bytes:
    """One community's ledger as JSON Lines bytes (canonical JSON, one event per line)."""
    return jsonl_bytes(rng, build_year(rng, who).in_order())


def main(argv: Sequence[str] | None = None) -> int:
    """Write every generated community; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=HERE / "communities",
        help="the folder to write <slug>.jsonl files into",
    )
    args = parser.parse_args(argv)
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    for who in COMMUNITIES:
        data = render(rng, who)
        (output / f"{who.slug}.jsonl").write_bytes(data)
        events = data.count(b"\n")
        print(f"wrote {events} events of {who.name} to {output / who.slug}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
