"""The community's standing work: compounds, organisations, meetings, activities, party contact."""

from __future__ import annotations

import random
from datetime import date

from almanac import YEAR, Year, nth_weekday, on_or_after, pick_days, split, workdays

from civicledger import catalog as c

MEMBERS = 256
MEMBERS_IN_SERVICE = 26
HOUSEHOLDS = 3000
REEMPLOYMENT_ATTENDEES = (68, 75, 71, 69)  # 283 → "280余"
MERCHANTS_JOINED = (236, 208, 191)  # 635 joined …
MERCHANTS_LEFT = (9, 8, 6)  # … 23 left: 612 at year end → "600余"
GRIDS = ("第一网格", "第二网格", "第三网格", "第四网格")
BRANCHES = tuple(f"{grid}党支部" for grid in GRIDS)


def compounds(rng: random.Random, year: Year) -> list[str]:
    """42 compounds on the opening register; one handed to a neighbour in July (41 remain)."""
    stems = ["建设", "文化", "和平", "团结", "光明", "育才", "锦绣", "康宁", "民主", "朝阳", "兴华"]
    suffixes = ["家属院", "小区", "花园", "苑"]
    names = [f"{stem}{suffix}" for suffix in suffixes for stem in stems][:42]
    opening = on_or_after(date(YEAR, 1, 3))
    for i, name in enumerate(names, start=1):
        year.add(
            "grid",
            c.CompoundRegistered(
                occurred_on=opening,
                compound_id=f"C{i:02d}",
                name=name,
                households=rng.randrange(60, 420),
                property_managed=rng.random() < 0.4,
            ),
        )
    year.add(
        "grid",
        c.CompoundHandedOver(
            occurred_on=date(YEAR, 7, 14),
            compound_id="C42",
            name=names[41],
            handed_to="YY社区",
            reason="街道调整社区管辖边界",
        ),
    )
    return names[:41]


def organisations(year: Year) -> None:
    """Ten self-managed groups, one dissolved, three renamed; the 乐助会 federation; councils."""
    groups = ["模特队", "二胡班", "舞蹈队", "太极拳队", "合唱团"]
    groups += ["书画社", "象棋社", "腰鼓队", "编织社", "乒乓球队"]
    opening = on_or_after(date(YEAR, 1, 3))
    kind = c.OrganisationKind.SELF_MANAGED_GROUP
    for i, name in enumerate(groups, start=1):
        year.add(
            "party",
            c.OrganisationRegistered(
                occurred_on=opening,
                organisation_id=f"ORG-{i:02d}",
                kind=kind,
                name=name,
                members=12 + 3 * i,
            ),
        )
    year.add(
        "party",
        c.OrganisationDissolved(
            occurred_on=date(YEAR, 2, 10),
            organisation_id="ORG-09",
            kind=kind,
            name="编织社",
            reason="骨干成员随子女迁居，队伍无法正常活动",
        ),
    )
    remaining = tuple(f"ORG-{i:02d}" for i in range(1, 11) if i != 9)
    year.add(
        "party",
        c.OrganisationRegistered(
            occurred_on=date(YEAR, 2, 17),
            organisation_id="FED-01",
            kind=c.OrganisationKind.SOCIAL_ORGANISATION_FEDERATION,
            name="乐助会",
            members=len(remaining),
            member_organisation_ids=remaining,
        ),
    )
    for day, org_id, name in (
        (date(YEAR, 2, 24), "COUNCIL-01", "社区红白理事会"),
        (date(YEAR, 2, 24), "COUNCIL-02", "社区协商议事会"),
    ):
        year.add(
            "party",
            c.OrganisationRegistered(
                occurred_on=day,
                organisation_id=org_id,
                kind=c.OrganisationKind.RESIDENTS_COUNCIL,
                name=name,
            ),
        )
    year.add(
        "grid",
        c.OrganisationRegistered(
            occurred_on=date(YEAR, 3, 3),
            organisation_id="VOL-01",
            kind=c.OrganisationKind.VOLUNTEER_TEAM,
            name="蓝胖子法律志愿服务队",
            members=14,
        ),
    )
    renamings = (
        ("ORG-01", "模特队", "文明风尚宣传队"),
        ("ORG-02", "二胡班", "邻里和音调解队"),
        ("ORG-03", "舞蹈队", "楼院环境巡查队"),
    )
    for org_id, old, new in renamings:
        year.add(
            "party",
            c.OrganisationRenamed(
                occurred_on=date(YEAR, 5, 12),
                organisation_id=org_id,
                kind=kind,
                name=new,
                previous_name=old,
                reason="由文体娱乐转向参与社区治理",
            ),
        )


def meetings(rng: random.Random, year: Year) -> None:
    """Regular meetings of the party committee, branches, oversight and other bodies."""
    body = c.MeetingBody
    for month in range(1, 13):
        for n in (1, 3):
            year.add(
                "party",
                c.MeetingHeld(
                    occurred_on=nth_weekday(month, 1, n),
                    body=body.PARTY_COMMITTEE,
                    topic=rng.choice(
                        ["研究部署月度重点工作", "专题研究党建工作", "讨论党员发展与管理"]
                    ),
                    attendees=rng.randrange(5, 8),
                    location="社区党群服务中心",
                ),
            )
        year.add(
            "party",
            c.MeetingHeld(
                occurred_on=nth_weekday(month, 3, 2),
                body=body.RESIDENTS_OVERSIGHT_COMMITTEE,
                topic="监督居务公开和惠民资金使用",
                attendees=rng.randrange(4, 7),
            ),
        )
        year.add(
            "grid",
            c.MeetingHeld(
                occurred_on=nth_weekday(month, 0, 1),
                body=body.RESIDENTS_COMMITTEE,
                topic="安排居委会月度工作",
                attendees=rng.randrange(6, 10),
            ),
        )
        for i, branch in enumerate(BRANCHES):
            if month % 3 == 0:
                year.add(
                    "party",
                    c.MeetingHeld(
                        occurred_on=nth_weekday(month, 2, 2 + i % 2),
                        body=body.BRANCH_GENERAL_ASSEMBLY,
                        topic="支部党员大会：学习与组织生活",
                        attendees=rng.randrange(45, 66),
                        branch=branch,
                    ),
                )
            if month % 2 == 0:
                year.add(
                    "party",
                    c.MeetingHeld(
                        occurred_on=nth_weekday(month, 3, 3 + i % 2),
                        body=body.BRANCH_CONSULTATION,
                        topic="会商联户走访中收集的居民诉求",
                        attendees=rng.randrange(6, 12),
                        branch=branch,
                    ),
                )
    joint_topics = ("社团发展规划", "吸纳新成员", "年度活动安排", "社团年度总结")
    for quarter, topic in enumerate(joint_topics):
        year.add(
            "party",
            c.MeetingHeld(
                occurred_on=nth_weekday(3 * quarter + 3, 4, 3),
                body=body.SOCIAL_ORGANISATION_JOINT_MEETING,
                topic=f"社会组织负责人联席会：{topic}",
                attendees=rng.randrange(10, 14),
                location="社区党群服务中心",
            ),
        )
    for month in (2, 4, 6, 8, 10, 12):
        year.add(
            "grid",
            c.MeetingHeld(
                occurred_on=nth_weekday(month, 1, 4),
                body=body.CONSULTATION_COUNCIL,
                topic=rng.choice(["小区停车秩序协商", "老旧小区改造意见征集", "物业服务议题协商"]),
                attendees=rng.randrange(12, 25),
            ),
        )
    for month in (3, 6, 9, 12):
        year.add(
            "grid",
            c.MeetingHeld(
                occurred_on=nth_weekday(month, 0, 2),
                body=body.MEDIATION_COMMITTEE,
                topic="人民调解委员会季度例会",
                attendees=rng.randrange(5, 9),
            ),
        )


A = c.ActivityKind
# fmt: off
ACTIVITY_PLAN: tuple[tuple[c.ActivityKind, str, str, str, int, str], ...] = (
    # kind, title, first day, last day (MM-DD), how many, recorded by
    (A.PARTY_STUDY, "党员两小时", "01-03", "12-29", 12, "party"),
    (A.PARTY_STUDY, "青年伴读", "02-01", "12-15", 8, "party"),
    (A.THEMED_EDUCATION, "主题教育专题学习", "04-03", "08-31", 6, "party"),
    (A.PARTY_STUDY, "学习党的XX大精神", "01-09", "06-30", 4, "party"),
    (A.LEGAL_PUBLICITY, "普法宣传进小区", "01-09", "12-22", 10, "grid"),
    (A.ANTI_FRAUD_PUBLICITY, "反诈宣传", "01-09", "12-22", 12, "grid"),
    (A.LEGAL_CONSULTATION, "四官进社区法律咨询", "01-09", "12-22", 12, "grid"),
    (A.PETITION_GUIDANCE, "依法信访宣传", "03-01", "11-30", 4, "grid"),
    (A.YOUTH_CRIME_PREVENTION, "预防青少年犯罪讲座", "03-01", "12-15", 3, "grid"),
    (A.RECRUITMENT_PUBLICITY, "征兵宣传", "02-13", "03-31", 2, "grid"),
    (A.RECRUITMENT_PUBLICITY, "征兵宣传", "07-03", "08-25", 2, "grid"),
    (A.CARE_SEASON_YOUTH, "青年赋能季", "04-10", "05-31", 5, "party"),
    (A.CARE_SEASON_MINORS, "未成年关爱季", "07-03", "08-31", 6, "party"),
    (A.CARE_SEASON_ELDERS, "老龄乐享季", "09-11", "10-31", 6, "party"),
    (A.BUSINESS_PROMOTION, "新春大集", "01-13", "01-13", 1, "service"),
    (A.BUSINESS_PROMOTION, "直播惠企", "03-01", "11-30", 4, "service"),
    (A.POLICY_PUBLICITY, "低保政策宣传", "02-01", "11-30", 4, "civil"),
    (A.POLICY_PUBLICITY, "城镇居民医保参保宣传", "09-01", "12-15", 6, "civil"),
    (A.POLICY_PUBLICITY, "计生新政策宣传", "03-01", "10-31", 3, "civil"),
    (A.POLICY_PUBLICITY, "高龄津贴认证宣传", "01-09", "06-30", 2, "civil"),
    (A.CIVILISED_CITY_PUBLICITY, "文明城市创建宣传", "03-01", "11-30", 8, "service"),
    (A.FRONTAGE_RESPONSIBILITY_CHECK, "门前三包检查", "01-09", "12-22", 12, "service"),
)
# fmt: on


def _day(month_day: str) -> date:
    return date.fromisoformat(f"{YEAR}-{month_day}")


def activities(rng: random.Random, year: Year) -> None:
    """Themed activities spread over their seasons."""
    for kind, title, first, last, count, actor in ACTIVITY_PLAN:
        for day in pick_days(rng, _day(first), _day(last), count):
            participants = rng.randrange(15, 60)
            year.add(
                actor,
                c.ActivityHeld(
                    occurred_on=day,
                    kind=kind,
                    title=title,
                    participants=participants,
                    people_served=participants + rng.randrange(0, 200),
                ),
            )


def party_contact(rng: random.Random, year: Year) -> None:
    """256 members (26 in service) take 3000 households; three hand theirs over mid-year."""
    members = [f"M{i:04d}" for i in range(1, MEMBERS + 1)]
    in_service = set(rng.sample(members, MEMBERS_IN_SERVICE))
    households = [f"H{i:05d}" for i in range(1, HOUSEHOLDS + 1)]
    rng.shuffle(households)
    # In-service members take fewer households (they work in the day); retired ones take more.
    shares = {m: (6 if m in in_service else 12) for m in members}
    spare = HOUSEHOLDS - sum(shares.values())
    retired = [m for m in members if m not in in_service]
    for m in rng.sample(retired, abs(spare)):
        shares[m] += 1 if spare > 0 else -1
    care: dict[str, list[str]] = {}
    cursor = 0
    for member in members:
        care[member] = households[cursor : cursor + shares[member]]
        cursor += shares[member]
        year.add(
            "party",
            c.MemberHouseholdContactAssigned(
                occurred_on=rng.choice(workdays(date(YEAR, 2, 20), date(YEAR, 3, 10))),
                member_id=member,
                in_service=member in in_service,
                household_ids=tuple(care[member]),
                branch=BRANCHES[int(member[1:]) % 4],
            ),
        )
    for leaving in rng.sample(retired, 3):
        day = rng.choice(workdays(date(YEAR, 6, 1), date(YEAR, 8, 31)))
        year.add(
            "party",
            c.MemberHouseholdContactEnded(
                occurred_on=day,
                member_id=leaving,
                household_ids=tuple(care[leaving]),
                reason="随子女异地居住，联户工作移交本支部其他党员",
            ),
        )
        taker = rng.choice([m for m in retired if m != leaving])
        year.add(
            "party",
            c.MemberHouseholdContactAssigned(
                occurred_on=day,
                member_id=taker,
                in_service=False,
                household_ids=tuple(care[leaving]),
                branch=BRANCHES[int(taker[1:]) % 4],
            ),
        )
        care[taker] = care[taker] + care.pop(leaving)
    concerns = ["楼道灯损坏", "咨询医保缴费", "反映噪音扰民", "咨询高龄津贴认证", "下水道堵塞"]
    concerns += ["希望增设休闲座椅", "咨询再就业培训", "反映车辆乱停"]
    for member, cared in care.items():
        for day in pick_days(rng, date(YEAR, 3, 13), date(YEAR, 12, 29), rng.randrange(4, 9)):
            year.add(
                "party",
                c.HouseholdVisited(
                    occurred_on=day,
                    member_id=member,
                    household_id=rng.choice(cared),
                    in_person=rng.random() < 0.7,
                    concern=rng.choice(concerns) if rng.random() < 0.15 else None,
                ),
            )


def contact_groups(rng: random.Random, year: Year) -> None:
    """Three merchant groups (612 merchants at year end), five certification groups, job seekers."""
    kind = c.ContactGroupKind
    plans: list[tuple[str, c.ContactGroupKind, str, date, int, int]] = []
    for i, (joined, left) in enumerate(zip(MERCHANTS_JOINED, MERCHANTS_LEFT, strict=True), 1):
        plans.append(
            (f"GRP-M{i}", kind.MERCHANT, f"商户联系群{i}", date(YEAR, 3, 6 + i), joined, left)
        )
    for i, grid in enumerate((*GRIDS, "中心片区"), start=1):
        plans.append(
            (
                f"GRP-E{i}",
                kind.ELDERLY_ALLOWANCE_CERTIFICATION,
                f"{grid}高龄津贴认证群",
                date(YEAR, 1, 9 + i),
                rng.randrange(55, 80),
                rng.randrange(0, 4),
            )
        )
    plans.append(("GRP-J1", kind.JOB_SEEKERS, "求职招聘平台群", date(YEAR, 3, 21), 318, 27))
    for group_id, group_kind, name, created, joined, left in plans:
        created = on_or_after(created)
        year.add(
            "service",
            c.ContactGroupCreated(
                occurred_on=created,
                group_id=group_id,
                kind=group_kind,
                name=name,
                platform="微信群",
            ),
        )
        months = list(range(created.month, 13))
        joins = split(rng, joined, len(months))
        leaves = split(rng, left, len(months))
        size = owed = 0
        for month, j, lft in zip(months, joins, leaves, strict=True):
            # Nobody can leave before joining: a departure waits until the group is big enough.
            owed += lft
            lft, owed = min(owed, size + j), owed - min(owed, size + j)
            if month == 12:
                lft, owed = lft + owed, 0
            size += j - lft
            if j or lft:
                year.add(
                    "service",
                    c.ContactGroupMembershipChanged(
                        occurred_on=on_or_after(max(date(YEAR, month, 25), created)),
                        group_id=group_id,
                        kind=group_kind,
                        joined=j,
                        left=lft,
                    ),
                )
