"""Services and campaigns: welfare, governance, environment, the four problems, the notes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from almanac import (
    HOLIDAYS,
    YEAR,
    Year,
    nth_weekday,
    on_or_after,
    pick_days,
    weekdays_of_year,
    workdays,
)
from community import GRIDS, HOUSEHOLDS, REEMPLOYMENT_ATTENDEES
from narrative import NOTE_AUTHOR, NOTES

from civicledger import catalog as c


def welfare(rng: random.Random, year: Year) -> None:
    """Trainings, job fairs, assistance reviews, insurance and allowance certification."""
    programme = c.TrainingProgramme
    reemployment = (
        (date(2023, 4, 12), "家政服务技能培训", 3),
        (date(2023, 6, 15), "电商直播技能培训", 4),
        (date(2023, 9, 20), "面点制作技能培训", 3),
        (date(2023, 11, 22), "养老护理员技能培训", 4),
    )
    for (day, title, sessions), attendees in zip(reemployment, REEMPLOYMENT_ATTENDEES, strict=True):
        year.add(
            "civil",
            c.TrainingHeld(
                occurred_on=day,
                programme=programme.REEMPLOYMENT,
                title=title,
                attendees=attendees,
                sessions=sessions,
                free=True,
                provider="区就业服务中心",
            ),
        )
    others = (
        (date(2023, 3, 29), programme.FAMILY_PLANNING_POLICY, "计生新政策解读", 35, True),
        (date(2023, 8, 16), programme.FAMILY_PLANNING_POLICY, "计生奖励扶助政策培训", 42, True),
        (date(2023, 5, 24), programme.ENTREPRENEURSHIP, "创客空间创业指导", 27, True),
        (date(2023, 10, 18), programme.VOCATIONAL_SKILLS, "电工上岗证培训", 16, False),
        (date(2023, 7, 12), programme.PARTY_EDUCATION, "党员教育专题培训", 88, True),
    )
    for day, prog, title, attendees, free in others:
        year.add(
            "civil",
            c.TrainingHeld(
                occurred_on=day, programme=prog, title=title, attendees=attendees, free=free
            ),
        )
    for day, title, employers, positions, seekers, online in (
        (date(2023, 2, 15), "春风行动招聘会", 28, 460, 352, False),
        (date(2023, 6, 7), "直播带岗专场", 12, 180, 906, True),
        (date(2023, 9, 13), "金秋招聘会", 22, 315, 241, False),
    ):
        year.add(
            "service",
            c.JobFairHeld(
                occurred_on=day,
                title=title,
                employers=employers,
                positions_offered=positions,
                job_seekers=seekers,
                online=online,
            ),
        )
    allowance = c.AssistanceScheme.MINIMUM_LIVING_ALLOWANCE
    for month in (3, 6, 9, 12):
        day = nth_weekday(month, 2, 2)
        reviewed = rng.randrange(36, 44)
        dropped = rng.randrange(0, 4)
        year.add(
            "civil",
            c.AssistanceReviewed(
                occurred_on=day,
                scheme=allowance,
                households_reviewed=reviewed,
                households_approved=reviewed - dropped,
                households_discontinued=dropped,
                publicity_starts_on=day + timedelta(days=1),
                publicity_ends_on=day + timedelta(days=7),
            ),
        )
    day = nth_weekday(5, 2, 3)
    year.add(
        "civil",
        c.AssistanceReviewed(
            occurred_on=day,
            scheme=c.AssistanceScheme.LOW_RENT_HOUSING_SUBSIDY,
            households_reviewed=11,
            households_approved=10,
            households_discontinued=1,
            publicity_starts_on=day + timedelta(days=1),
            publicity_ends_on=day + timedelta(days=7),
        ),
    )
    hardship = [f"H{rng.randrange(1, HOUSEHOLDS + 1):05d}" for _ in range(7)]
    for season in (date(2023, 1, 16), date(2023, 6, 20), date(2023, 9, 25), date(2023, 12, 20)):
        for household in hardship:
            year.add(
                "civil",
                c.AssistanceProvided(
                    occurred_on=on_or_after(season),
                    household_id=household,
                    scheme=c.AssistanceScheme.SPECIAL_HARDSHIP,
                    description="节日慰问，送米面油",
                    amount_yuan=Decimal(rng.choice(["200.00", "300.00", "500.00"])),
                ),
            )
    medical = c.InsuranceScheme.URBAN_RESIDENT_MEDICAL
    year.add(
        "civil",
        c.InsuranceEnrolmentReported(
            occurred_on=date(2023, 10, 31),
            scheme=medical,
            coverage_year=2024,
            target=1850,
            enrolled=1264,
            task_completed=False,
        ),
    )
    year.add(
        "civil",
        c.InsuranceEnrolmentReported(
            occurred_on=date(2023, 12, 20),
            scheme=medical,
            coverage_year=2024,
            target=1850,
            enrolled=1873,
            task_completed=True,
        ),
    )
    methods = [c.CertificationMethod.ONLINE_GROUP] * 17 + [c.CertificationMethod.HOME_VISIT] * 2
    methods += [c.CertificationMethod.SERVICE_COUNTER]
    for i in range(1, 313):
        method = rng.choice(methods)
        year.add(
            "civil",
            c.ElderlyAllowanceCertified(
                occurred_on=rng.choice(workdays(date(2023, 1, 16), date(2023, 11, 30))),
                resident_id=f"R{i:04d}",
                method=method,
                group_id=f"GRP-E{i % 5 + 1}"
                if method is c.CertificationMethod.ONLINE_GROUP
                else None,
            ),
        )


def governance(rng: random.Random, year: Year) -> None:
    """Mediation, key-person visits, floating-population checks and stability duty."""
    kinds = [c.DisputeKind.NEIGHBOURHOOD] * 5 + [c.DisputeKind.FAMILY] * 3
    kinds += [c.DisputeKind.PROPERTY_MANAGEMENT] * 3 + [c.DisputeKind.RENOVATION] * 2
    kinds += [c.DisputeKind.LABOUR, c.DisputeKind.DEBT, c.DisputeKind.OTHER]
    outcomes = [c.MediationOutcome.WRITTEN_AGREEMENT] * 12 + [c.MediationOutcome.ORAL_AGREEMENT] * 6
    outcomes += [c.MediationOutcome.FAILED] * 2
    mediators = ["李某华", "张某英", "赵某", "蓝胖子法律志愿服务队 刘某"]
    for n, day in enumerate(pick_days(rng, date(2023, 1, 9), date(2023, 12, 28), 46), start=1):
        year.add(
            "grid",
            c.MediationCompleted(
                occurred_on=day,
                case_id=f"TJ2023-{n:03d}",
                dispute_kind=rng.choice(kinds),
                parties=rng.choice([2, 2, 2, 3, 4]),
                outcome=rng.choice(outcomes),
                opened_on=day - timedelta(days=rng.randrange(0, 15)),
                mediator=rng.choice(mediators),
            ),
        )
    category = c.KeyPersonCategory
    people = [category.COMMUNITY_CORRECTION] * 3 + [category.RELEASED_PRISONER] * 4
    people += [category.DRUG_REHABILITATION] * 2 + [category.SEVERE_MENTAL_DISORDER] * 4
    people += [category.KEY_PETITIONER] * 2 + [category.AT_RISK_YOUTH] * 2
    people += [category.OTHER_KEY_PERSON]
    visitors = ["网格员孙某", "网格员周某", "社区民警吴某", "司法所郑某"]
    for n, person_category in enumerate(people, start=1):
        for month in range(1, 13):
            if rng.random() < 0.9:  # a visit now and then falls through and is made up later
                year.add(
                    "grid",
                    c.KeyPersonVisited(
                        occurred_on=rng.choice(
                            workdays(date(YEAR, month, 1), date(YEAR, month, 28))
                        ),
                        person_id=f"KP{n:02d}",
                        category=person_category,
                        visitor=rng.choice(visitors),
                        in_person=rng.random() < 0.85,
                    ),
                )
    for month in range(1, 13):
        for grid in GRIDS:
            year.add(
                "grid",
                c.FloatingPopulationChecked(
                    occurred_on=rng.choice(workdays(date(YEAR, month, 1), date(YEAR, month, 28))),
                    area=grid,
                    persons_checked=rng.randrange(30, 120),
                    rental_households_checked=rng.randrange(10, 40),
                    newly_registered=rng.randrange(0, 6),
                ),
            )
    for issued, occasion, start, end, plan in (
        (date(2023, 1, 16), "春节", date(2023, 1, 21), date(2023, 1, 27), True),
        (date(2023, 3, 1), "全国两会", date(2023, 3, 4), date(2023, 3, 13), True),
        (date(2023, 3, 31), "清明节", date(2023, 4, 5), date(2023, 4, 5), False),
        (date(2023, 4, 26), "劳动节", date(2023, 4, 29), date(2023, 5, 3), False),
        (date(2023, 6, 19), "端午节", date(2023, 6, 22), date(2023, 6, 24), False),
        (date(2023, 9, 25), "中秋节、国庆节", date(2023, 9, 29), date(2023, 10, 6), True),
        (date(2023, 12, 27), "元旦", date(2023, 12, 30), date(2024, 1, 1), False),
    ):
        year.add(
            "grid",
            c.StabilityDutyScheduled(
                occurred_on=issued,
                occasion=occasion,
                starts_on=start,
                ends_on=end,
                staff_on_duty=rng.randrange(8, 15),
                contingency_plan=plan,
            ),
        )


CHECKPOINTS: tuple[tuple[str, c.CheckpointKind], ...] = (
    ("新时代文明实践站", c.CheckpointKind.CIVILISATION_PRACTICE_STATION),
    ("第一新时代文明实践所", c.CheckpointKind.CIVILISATION_PRACTICE_POST),
    ("第二新时代文明实践所", c.CheckpointKind.CIVILISATION_PRACTICE_POST),
    ("育才小学", c.CheckpointKind.SCHOOL),
    ("实验中学", c.CheckpointKind.SCHOOL),
    ("兴华路商圈", c.CheckpointKind.BUSINESS_DISTRICT),
    ("朝阳街商圈", c.CheckpointKind.BUSINESS_DISTRICT),
    ("社区党群服务中心", c.CheckpointKind.COMMUNITY_OFFICE),
)
FINDINGS = ("楼道堆放杂物", "垃圾桶满溢", "公益广告破损", "非机动车乱停放", "绿化带有垃圾")


def environment(rng: random.Random, year: Year, compound_names: Sequence[str]) -> None:
    """Friday cleanups (none in the Spring Festival and National Day weeks) and inspections."""
    lanes = [f"{name}周边巷道" for name in compound_names[:12]]
    for friday in weekdays_of_year(4):
        if friday in HOLIDAYS:
            continue
        area = rng.choice(list(compound_names) + lanes)
        year.add(
            "service",
            c.VolunteerCleanupHeld(
                occurred_on=friday,
                area=area,
                volunteers=rng.randrange(18, 46),
                hours=Decimal(rng.choice(["2", "2", "1.5", "2.5"])),
            ),
        )
    places = list(CHECKPOINTS)
    places += [(name, c.CheckpointKind.RESIDENTIAL_COMPOUND) for name in compound_names]
    places += [(lane, c.CheckpointKind.BACK_LANE) for lane in lanes]
    levels = [c.InspectionLevel.CITY] * 7 + [c.InspectionLevel.DISTRICT] * 9
    levels += [c.InspectionLevel.STREET] * 4
    for monday in weekdays_of_year(0):
        if not date(2023, 3, 1) <= monday <= date(2023, 11, 30):
            continue  # the campaign's inspection season
        week = workdays(monday, monday + timedelta(days=4))
        for day in sorted(rng.sample(week, min(len(week), rng.choice([1, 2, 2, 3])))):
            level = rng.choice(levels)
            name, kind = rng.choice(places)
            if rng.random() < 0.1:
                year.add(
                    "service",
                    c.InspectionFailed(
                        occurred_on=day,
                        level=level,
                        checkpoint=name,
                        checkpoint_kind=kind,
                        findings=tuple(sorted(rng.sample(FINDINGS, rng.randrange(1, 3)))),
                        rectify_by=day + timedelta(days=3),
                    ),
                )
            else:
                year.add(
                    "service",
                    c.InspectionPassed(
                        occurred_on=day, level=level, checkpoint=name, checkpoint_kind=kind
                    ),
                )


def problems(year: Year) -> None:
    """The four problems the year-end review names, their measures and progress."""
    owner, unit = "王某华", "社区党委"
    self_review = c.ProblemSource.SELF_REVIEW
    identified = date(2023, 6, 27)  # the themed-education self-review
    plan = (
        (
            "2023-01",
            "部分干部对党章缺乏系统学习，把纪律规矩融入日常工作做得不够",
            "政治理论学习",
            (("1", "每月安排一次党章专题学习并逐人交流", None),),
        ),
        (
            "2023-02",
            "部分党员干部大局意识弱化，工作求稳怕担责",
            "作风建设",
            (
                ("1", "班子成员分片包联，逐项压实工作责任", date(2023, 12, 31)),
                ("2", "建立干部担当作为正反面案例通报制度", date(2024, 3, 31)),
            ),
        ),
        (
            "2023-03",
            "网格支部党员以退休党员为主、流动性大，支部活力不足",
            "组织建设",
            (
                ("1", "吸纳在职党员到社区报到并认领岗位", date(2023, 12, 31)),
                ("2", "为随子女居住的老党员开设线上组织生活", date(2023, 10, 31)),
            ),
        ),
        (
            "2023-04",
            "工作纪律不严，外出登记存在漏登，迎检任务重时有推诿抱怨",
            "工作纪律",
            (
                ("1", "外出登记改为当日核对、每周通报", date(2023, 9, 30)),
                ("2", "迎检任务按点位分工到人，轮班保障", date(2023, 9, 30)),
            ),
        ),
    )
    for problem_id, description, category, measures in plan:
        year.add(
            "party",
            c.ProblemIdentified(
                occurred_on=identified,
                problem_id=problem_id,
                source=self_review,
                description=description,
                category=category,
            ),
        )
        for measure_id, text, due in measures:
            year.add(
                "party",
                c.RectificationPlanned(
                    occurred_on=date(2023, 7, 4),
                    problem_id=problem_id,
                    measure_id=measure_id,
                    description=text,
                    owner=owner,
                    unit=unit,
                    due_on=due,
                ),
            )
    progress = (
        (
            date(2023, 7, 25),
            "2023-01",
            "1",
            "7月党章专题学习已开展，参学干部逐人交流体会",
            20,
            None,
        ),
        (
            date(2023, 9, 26),
            "2023-01",
            "1",
            "党章学习按月开展，纳入长期坚持",
            50,
            c.FollowUpStatus.ONGOING,
        ),
        (date(2023, 8, 29), "2023-02", "1", "班子成员包联片区已明确并公示", 60, None),
        (date(2023, 11, 28), "2023-02", "2", "案例通报制度已起草，待党委会审议", 30, None),
        (date(2023, 8, 15), "2023-03", "1", "新增在职党员报到并认领岗位", 50, None),
        (date(2023, 10, 24), "2023-03", "2", "线上组织生活已开通并试运行两期", 100, None),
        (
            date(2023, 12, 19),
            "2023-03",
            None,
            "在职党员报到持续推进，支部活力有所提升",
            80,
            c.FollowUpStatus.BASICALLY_DONE,
        ),
        (date(2023, 8, 8), "2023-04", "1", "外出登记实行当日核对", 100, None),
        (date(2023, 9, 19), "2023-04", "2", "迎检点位责任到人，排出轮班表", 100, None),
    )
    for day, problem_id, measure_id, note, percent, status in progress:
        year.add(
            "party",
            c.RectificationProgressed(
                occurred_on=day,
                problem_id=problem_id,
                measure_id=measure_id,
                note=note,
                percent=percent,
                status=status,
            ),
        )
    year.add(
        "party",
        c.ProblemResolved(
            occurred_on=date(2023, 10, 10),
            problem_id="2023-04",
            status=c.FollowUpStatus.DONE,
            note="两项措施均已落实",
            evidence="外出登记周通报（第36-40周）",
        ),
    )
    year.add(
        "party",
        c.ProblemReopened(
            occurred_on=date(2023, 12, 12),
            problem_id="2023-04",
            reason="回头看发现迎检高峰期仍有外出漏登和推诿现象",
        ),
    )


def notes(year: Year) -> None:
    """The narrative notes, written by the Party secretary."""
    for day, section, key, text in NOTES:
        year.add(
            "party",
            c.NarrativeNoteRecorded(
                occurred_on=day, section=section, key=key, text=text, author=NOTE_AUTHOR
            ),
        )
