"""Closed vocabularies of the civic catalog: stable ASCII keys with Chinese labels.

Stored events hold the key (``"party_committee"``); reports show the label
(``"党委会"``). Keys never change once released; labels may be reworded or
translated without touching a stored event. A new member can be added in a
later release; removing or renaming one needs a new schema version and an
upcaster for every event type that uses the vocabulary.
"""

from __future__ import annotations

from civicledger.events import Vocabulary


class MeetingBody(Vocabulary):
    """The body that held a meeting."""

    PARTY_COMMITTEE = "party_committee", "社区党委会"
    BRANCH_GENERAL_ASSEMBLY = "branch_general_assembly", "支部党员大会"
    BRANCH_CONSULTATION = "branch_consultation", "支部会商会"
    RESIDENTS_OVERSIGHT_COMMITTEE = "residents_oversight_committee", "居务监督委员会会议"
    RESIDENTS_COMMITTEE = "residents_committee", "居委会会议"
    SOCIAL_ORGANISATION_JOINT_MEETING = (
        "social_organisation_joint_meeting",
        "社会组织负责人联席会",
    )
    CONSULTATION_COUNCIL = "consultation_council", "社区协商议事会"
    MEDIATION_COMMITTEE = "mediation_committee", "人民调解委员会会议"
    OTHER = "other", "其他会议"


class ActivityKind(Vocabulary):
    """The kind of a themed activity held for members or residents."""

    PARTY_STUDY = "party_study", "党员学习活动"
    THEMED_EDUCATION = "themed_education", "主题教育"
    LEGAL_PUBLICITY = "legal_publicity", "普法宣传"
    ANTI_FRAUD_PUBLICITY = "anti_fraud_publicity", "反诈宣传"
    LEGAL_CONSULTATION = "legal_consultation", "法律咨询"
    PETITION_GUIDANCE = "petition_guidance", "依法信访宣传"
    YOUTH_CRIME_PREVENTION = "youth_crime_prevention", "预防青少年犯罪宣传"
    RECRUITMENT_PUBLICITY = "recruitment_publicity", "征兵宣传"
    CARE_SEASON_MINORS = "care_season_minors", "未成年关爱季"
    CARE_SEASON_YOUTH = "care_season_youth", "青年赋能季"
    CARE_SEASON_ELDERS = "care_season_elders", "老龄乐享季"
    BUSINESS_PROMOTION = "business_promotion", "惠企促销活动"
    POLICY_PUBLICITY = "policy_publicity", "政策宣传"
    CIVILISED_CITY_PUBLICITY = "civilised_city_publicity", "文明城市创建宣传"
    FRONTAGE_RESPONSIBILITY_CHECK = "frontage_responsibility_check", "门前三包检查"
    OTHER = "other", "其他活动"


class OrganisationKind(Vocabulary):
    """The kind of an organisation the community works with or hosts."""

    SELF_MANAGED_GROUP = "self_managed_group", "社区“三自”组织"
    SOCIAL_ORGANISATION_FEDERATION = "social_organisation_federation", "社会组织联合会"
    VOLUNTEER_TEAM = "volunteer_team", "志愿服务队"
    RESIDENTS_COUNCIL = "residents_council", "居民自治组织"
    SOCIAL_ORGANISATION = "social_organisation", "社会组织"


class ContactGroupKind(Vocabulary):
    """The purpose of a contact group (usually an instant-messaging group)."""

    MERCHANT = "merchant", "商户联系群"
    ELDERLY_ALLOWANCE_CERTIFICATION = (
        "elderly_allowance_certification",
        "高龄津贴认证群",
    )
    JOB_SEEKERS = "job_seekers", "求职招聘群"
    RESIDENTS = "residents", "居民群"
    VOLUNTEERS = "volunteers", "志愿者群"


class DisputeKind(Vocabulary):
    """The kind of dispute brought to mediation."""

    NEIGHBOURHOOD = "neighbourhood", "邻里纠纷"
    FAMILY = "family", "婚姻家庭纠纷"
    PROPERTY_MANAGEMENT = "property_management", "物业纠纷"
    RENOVATION = "renovation", "老旧小区改造纠纷"
    LABOUR = "labour", "劳动争议"
    DEBT = "debt", "债务纠纷"
    OTHER = "other", "其他纠纷"


class MediationOutcome(Vocabulary):
    """How a mediation ended. Both agreements count as successful mediations."""

    WRITTEN_AGREEMENT = "written_agreement", "达成书面协议"
    ORAL_AGREEMENT = "oral_agreement", "达成口头协议"
    FAILED = "failed", "调解未成功"

    @property
    def successful(self) -> bool:
        """Whether the parties reached an agreement (written or oral)."""
        return self is not MediationOutcome.FAILED


class KeyPersonCategory(Vocabulary):
    """The category of a person under regular support and supervision (the seven kinds)."""

    COMMUNITY_CORRECTION = "community_correction", "社区矫正人员"
    RELEASED_PRISONER = "released_prisoner", "刑满释放人员"
    DRUG_REHABILITATION = "drug_rehabilitation", "社区戒毒康复人员"
    SEVERE_MENTAL_DISORDER = "severe_mental_disorder", "严重精神障碍患者"
    KEY_PETITIONER = "key_petitioner", "重点信访人员"
    AT_RISK_YOUTH = "at_risk_youth", "重点青少年"
    OTHER_KEY_PERSON = "other_key_person", "其他重点人员"


class TrainingProgramme(Vocabulary):
    """The programme a training session belongs to."""

    REEMPLOYMENT = "reemployment", "下岗失业人员再就业培训"
    ENTREPRENEURSHIP = "entrepreneurship", "创业培训"
    VOCATIONAL_SKILLS = "vocational_skills", "职业技能培训"
    FAMILY_PLANNING_POLICY = "family_planning_policy", "计生政策培训"
    PARTY_EDUCATION = "party_education", "党员教育培训"


class AssistanceScheme(Vocabulary):
    """A social assistance scheme the community administers or refers to."""

    MINIMUM_LIVING_ALLOWANCE = "minimum_living_allowance", "城镇最低生活保障"
    SPECIAL_HARDSHIP = "special_hardship", "特困人员救助供养"
    TEMPORARY_ASSISTANCE = "temporary_assistance", "临时救助"
    LOW_RENT_HOUSING_SUBSIDY = "low_rent_housing_subsidy", "廉租住房租赁补贴"


class InsuranceScheme(Vocabulary):
    """A social insurance scheme whose enrolment the community promotes."""

    URBAN_RESIDENT_MEDICAL = "urban_resident_medical", "城镇居民基本医疗保险"
    URBAN_RESIDENT_PENSION = "urban_resident_pension", "城乡居民基本养老保险"


class CertificationMethod(Vocabulary):
    """How a resident's entitlement was certified."""

    ONLINE_GROUP = "online_group", "线上群内认证"
    HOME_VISIT = "home_visit", "入户认证"
    SERVICE_COUNTER = "service_counter", "窗口认证"


class InspectionLevel(Vocabulary):
    """The level of government that carried out an inspection."""

    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"
    STREET = "street", "街道级"


class CheckpointKind(Vocabulary):
    """The kind of place inspected in the civilised-city campaign."""

    CIVILISATION_PRACTICE_STATION = "civilisation_practice_station", "新时代文明实践站"
    CIVILISATION_PRACTICE_POST = "civilisation_practice_post", "新时代文明实践所"
    SCHOOL = "school", "学校"
    BUSINESS_DISTRICT = "business_district", "商圈"
    RESIDENTIAL_COMPOUND = "residential_compound", "小区"
    BACK_LANE = "back_lane", "背街小巷"
    COMMUNITY_OFFICE = "community_office", "社区办公服务场所"
