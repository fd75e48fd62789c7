"""The example community's narrative notes: statements its 2023 report needs that no figure yields.

Each note is (date, section, key, text). The wording is the example's own; the
facts follow the community's year as the generator records it.
"""

from __future__ import annotations

from datetime import date

NOTE_AUTHOR = "王某华"
"""The (fictitious) Party committee secretary who writes and answers for the notes."""

NOTES: tuple[tuple[date, str, str, str], ...] = (
    (
        date(2023, 1, 10),
        "party_building",
        "first_responsibility",
        "党委书记作为抓基层党建的第一责任人，亲自部署、亲自过问，班子成员按分工各负其责。",
    ),
    (
        date(2023, 4, 18),
        "party_building",
        "discipline",
        "结合主题教育和党的XX大精神学习，对照纪律规矩查找差距，引导党员把政策法规作为日常言行的准绳。",
    ),
    (
        date(2023, 2, 14),
        "five_star_branch",
        "mechanism",
        "探索“一核心一重心三靶心”机制：以支部过硬为核心，以共建共享为重心，"
        "以平安法治、宜业兴业、幸福和谐为三个靶心，推动五星支部创建落地见效。",
    ),
    (
        date(2023, 2, 14),
        "five_star_branch",
        "team_roles",
        "班子成员分工明确、彼此补位，每项工作都定目标、排计划、抓落实、有考核。",
    ),
    (
        date(2023, 2, 21),
        "five_star_branch",
        "contact_campaign",
        "推行“党员联户、干部包片、支部会商”，由党员分片联系居民户，干部包片兜底，支部定期会商难题。",
    ),
    (
        date(2023, 5, 16),
        "five_star_branch",
        "self_to_autonomy",
        "引导文体类“自乐”队伍转为服务型“自治”队伍：重新命名后的队伍主动认领楼院事务，"
        "在老旧小区改造、物业纠纷化解和小区微治理中出力，居民的获得感明显增强。",
    ),
    (
        date(2023, 6, 20),
        "five_star_branch",
        "four_officials",
        "邀请法官、检察官、警官、律师定期进社区，提供普法、反诈、调解和法律咨询服务。",
    ),
    (
        date(2023, 3, 21),
        "five_star_branch",
        "employment_platform",
        "建成创客空间和就业再就业大讲堂，搭建求职招聘平台，把岗位信息直接送到求职居民手中。",
    ),
    (
        date(2023, 8, 22),
        "five_star_branch",
        "one_stop_service",
        "依托需求、资源、项目“三项清单”按需配置服务，形成托育与养老一站式融合的服务模式。",
    ),
    (
        date(2023, 3, 7),
        "governance",
        "mediation_system",
        "健全人民调解委员会、红白理事会和协商议事会制度，组建蓝胖子法律志愿服务队，"
        "把化解矛盾、防止激化放在调解工作的首位。",
    ),
    (
        date(2023, 4, 11),
        "governance",
        "petition_guidance",
        "向居民讲清申诉、信访等依法表达诉求的途径，减少集体访和越级访。",
    ),
    (
        date(2023, 3, 14),
        "governance",
        "key_person_register",
        "为七类重点人员逐人建立管理台账，安排专人定期走访帮教。",
    ),
    (
        date(2023, 9, 12),
        "governance",
        "recruitment",
        "通过标语、横幅和上门宣传开展国防教育，鼓励适龄青年报名参军，向部队输送合格青年。",
    ),
    (
        date(2023, 6, 13),
        "civil_affairs",
        "hardship",
        "社区干部常态走访困难家庭，摸清实际困难，一户一策落实帮扶。",
    ),
    (
        date(2023, 6, 13),
        "civil_affairs",
        "low_income_dynamic",
        "低保实行动态管理、应保尽保：设固定政策宣传栏，评议全程民主、结果张榜公示，"
        "同时落实最低收入家庭廉租住房租赁补贴。",
    ),
    (
        date(2023, 12, 19),
        "civil_affairs",
        "insurance",
        "通过居民群、小区通知等线上线下渠道宣传城镇居民医保，按办事处要求完成参保任务。",
    ),
    (
        date(2023, 7, 18),
        "civil_affairs",
        "family_planning",
        "围绕居民关心的计生新政策开展宣传和培训，各项扶助奖励政策逐项兑现到人。",
    ),
    (
        date(2023, 7, 18),
        "civil_affairs",
        "elderly_allowance",
        "针对老年人政策知晓难的问题，按网格建立高龄津贴认证群，让老人在家即可完成认证。",
    ),
    (
        date(2023, 4, 4),
        "social_affairs",
        "civilised_city",
        "以创建国家文明城市为抓手，悬挂横幅、发放资料，让创建要求进楼入户。",
    ),
    (
        date(2023, 4, 4),
        "social_affairs",
        "frontage",
        "压实沿街商户门前三包责任，门前环境卫生有人管、管到位。",
    ),
    (
        date(2023, 11, 28),
        "social_affairs",
        "cleanup_effect",
        "周五义务劳动把每条巷道、每个家属院责任到人，辖区环境明显改观，居民普遍认可。",
    ),
    (
        date(2023, 12, 26),
        "outlook",
        "2024",
        "2024年，社区将保持干事创业的紧迫感和责任感，在工作标准、工作效率和创先争优上求实效，"
        "用心用力用情服务居民，持续提升群众的幸福感和满意度。",
    ),
)
