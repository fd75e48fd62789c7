"""Plain-Python tallies of the example ledger's figures, independent of the projection layer.

Kept apart from the tests so that the README's values can be regenerated
(``python tests/unit/example_tally.py``) and checked by the same code.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
YEAR_END = "2023-12-31"


def load(path: Path = EXAMPLE / "events.jsonl") -> list[dict[str, Any]]:
    """Every line of a JSON Lines ledger file, decoded."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tally(lines: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Compute every figure of the seed report from the ledger's lines (2023 only)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        payload = line["payload"]
        if payload["occurred_on"][:4] == "2023":
            by_type.setdefault(line["type"], []).append(payload)

    def of(name: str, **where: Any) -> list[dict[str, Any]]:
        return [p for p in by_type.get(name, []) if all(p[k] == v for k, v in where.items())]

    contact = of("member_household_contact_assigned")
    meetings = Counter(p["body"] for p in of("meeting_held"))
    activities = Counter(p["kind"] for p in of("activity_held"))
    mediation = Counter(p["outcome"] for p in of("mediation_completed"))
    cleanups = of("volunteer_cleanup_held")
    merchant_changes = of("contact_group_membership_changed", kind="merchant")
    reemployment = of("training_held", programme="reemployment")
    passed = Counter(p["level"] for p in of("inspection_passed"))
    failed = Counter(p["level"] for p in of("inspection_failed"))
    self_managed = of("organisation_registered", kind="self_managed_group")
    completed = sum(mediation.values())
    successful = mediation["written_agreement"] + mediation["oral_agreement"]
    insurance = sorted(of("insurance_enrolment_reported"), key=lambda p: p["occurred_on"])[-1]
    return {
        "party.contact_members": len({p["member_id"] for p in contact}),
        "party.contact_members_in_service": len(
            {p["member_id"] for p in contact if p["in_service"]}
        ),
        "party.contact_households": len({h for p in contact for h in p["household_ids"]}),
        "party.household_visits": len(of("household_visited")),
        "org.self_organisations": len(self_managed)
        - len(of("organisation_dissolved", kind="self_managed_group")),
        "org.renamed": len(of("organisation_renamed")),
        "org.federations": len(
            of("organisation_registered", kind="social_organisation_federation")
        ),
        "org.joint_meetings": meetings["social_organisation_joint_meeting"],
        "meetings.party_committee": meetings["party_committee"],
        "meetings.branch_general_assembly": meetings["branch_general_assembly"],
        "meetings.residents_oversight_committee": meetings["residents_oversight_committee"],
        "employment.merchant_groups": len(of("contact_group_created", kind="merchant")),
        "employment.merchants": sum(p["joined"] - p["left"] for p in merchant_changes),
        "employment.merchants_joined": sum(p["joined"] for p in merchant_changes),
        "employment.reemployment_sessions": len(reemployment),
        "employment.reemployment_trainees": sum(p["attendees"] for p in reemployment),
        "employment.reemployment_all_free": all(p["free"] for p in reemployment),
        "employment.job_fairs": len(of("job_fair_held")),
        "elderly.certification_groups": len(
            of("contact_group_created", kind="elderly_allowance_certification")
        ),
        "elderly.certified": len(of("elderly_allowance_certified")),
        "grid.residential_compounds": len(of("compound_registered"))
        - len(of("compound_handed_over")),
        "volunteer.cleanups": len(cleanups),
        "volunteer.participants": sum(p["volunteers"] for p in cleanups),
        "volunteer.hours": str(sum(Decimal(p["hours"]) * p["volunteers"] for p in cleanups)),
        "inspection.passed": sum(passed.values()),
        "inspection.failed": sum(failed.values()),
        "inspection.passed.city": passed["city"],
        "inspection.failed.city": failed["city"],
        "inspection.passed.district": passed["district"],
        "inspection.failed.district": failed["district"],
        "inspection.passed.street": passed["street"],
        "inspection.failed.street": failed["street"],
        "mediation.completed": completed,
        "mediation.written_agreement": mediation["written_agreement"],
        "mediation.oral_agreement": mediation["oral_agreement"],
        "mediation.failed": mediation["failed"],
        "mediation.success_rate": f"{Decimal(successful * 100) / completed:.2f}%",
        "governance.key_person_visits": len(of("key_person_visited")),
        "governance.floating_population_checks": len(of("floating_population_checked")),
        "governance.persons_checked": sum(
            p["persons_checked"] for p in of("floating_population_checked")
        ),
        "governance.stability_duty_rosters": len(of("stability_duty_scheduled")),
        "activities.legal_publicity": activities["legal_publicity"],
        "activities.anti_fraud_publicity": activities["anti_fraud_publicity"],
        "activities.recruitment_publicity": activities["recruitment_publicity"],
        "activities.care_season_minors": activities["care_season_minors"],
        "activities.care_season_youth": activities["care_season_youth"],
        "activities.care_season_elders": activities["care_season_elders"],
        "activities.party_study": activities["party_study"] + activities["themed_education"],
        "welfare.low_income_reviews": len(
            of("assistance_reviewed", scheme="minimum_living_allowance")
        ),
        "welfare.insurance_task_completed": insurance["task_completed"],
        "welfare.insurance_enrolled": insurance["enrolled"],
        "followups.problems": len(of("problem_identified")),
        "followups.measures": len(of("rectification_planned")),
        "notes.narrative": len(of("narrative_note_recorded")),
        "ledger.events": sum(len(v) for v in by_type.values()),
    }


if __name__ == "__main__":
    for name, value in tally(load()).items():
        print(f"{name}\t{value}")
