"""Every seed-report figure, computed from the example ledger by its indicators.toml."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from civicledger import Figure, Ledger
from civicledger.indicators import load
from civicledger.projections import IndicatorSet, check_rules, explain

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"

# The exact values the example's README promises (its table of seed figures).
SEED_FIGURES: dict[str, int | Decimal] = {
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
    "volunteer.hours": Decimal("2964.5"),
    "inspection.passed": 68,
    "inspection.failed": 15,
    "mediation.completed": 46,
    "mediation.successful": 42,
    "mediation.success_rate": Decimal("91.30"),
    "governance.key_person_visits": 190,
    "governance.floating_population_checks": 48,
    "governance.floating_persons_checked": 3458,
    "governance.stability_duty_rosters": 7,
    "activities.legal_publicity": 10,
    "activities.anti_fraud_publicity": 12,
    "activities.recruitment_publicity": 4,
    "activities.care_season_minors": 6,
    "activities.care_season_youth": 5,
    "activities.care_season_elders": 6,
    "welfare.low_income_reviews": 4,
    "welfare.insurance_task_completed": 1,
    "welfare.insurance_enrolled": 1873,
    "welfare.insurance_target": 1850,
}

BY_LEVEL = {
    "inspection.passed_by_level": {"city": 28, "district": 24, "street": 16},
    "inspection.failed_by_level": {"city": 6, "district": 5, "street": 4},
}


@pytest.fixture(scope="module")
def indicator_set() -> IndicatorSet:
    """The example's indicator set."""
    return load(EXAMPLE / "indicators.toml")


@pytest.fixture(scope="module")
def figures(indicator_set: IndicatorSet) -> list[Figure]:
    """All 2023 figures of the example ledger, computed in one pass."""
    import civicledger.catalog  # noqa: F401 - registers the catalog's event types

    ledger = Ledger.in_memory()
    ledger.import_jsonl(EXAMPLE / "events.jsonl")
    return ledger.indicators(indicator_set, year=2023)


def by_id(figures: list[Figure], indicator_id: str) -> Figure:
    """The ungrouped yearly figure of an indicator."""
    (figure,) = [f for f in figures if f.indicator.id == indicator_id and f.period.key == "2023"]
    return figure


@pytest.mark.parametrize(("indicator_id", "expected"), sorted(SEED_FIGURES.items()))
def test_seed_figure_has_its_exact_value(
    figures: list[Figure], indicator_id: str, expected: int | Decimal
) -> None:
    """Each seed figure computes to the exact value the example ledger holds."""
    figure = by_id(figures, indicator_id)
    assert figure.value == expected
    assert type(figure.value) is type(expected)


@pytest.mark.parametrize("indicator_id", sorted(SEED_FIGURES))
def test_seed_figure_lineage_adds_up_to_its_value(figures: list[Figure], indicator_id: str) -> None:
    """Contributions sum to the value (for a ratio, its numerator), so each can be re-derived."""
    figure = by_id(figures, indicator_id)
    if figure.numerator is not None:
        figure = figure.numerator
    if figure.indicator.measure.name == "latest":
        assert [c.amount for c in figure.contributions] == [figure.value]
    else:
        assert sum(c.amount for c in figure.contributions) == figure.value


@pytest.mark.parametrize(("indicator_id", "levels"), sorted(BY_LEVEL.items()))
def test_inspections_break_down_by_level(
    figures: list[Figure], indicator_id: str, levels: dict[str, int]
) -> None:
    """Grouped inspection figures give one figure per level with the README's counts."""
    grouped = {f.group[0][1]: f.value for f in figures if f.indicator.id == indicator_id}
    assert grouped == levels


def test_joint_meetings_are_held_once_a_quarter(figures: list[Figure]) -> None:
    """The quarterly joint-meeting indicator gives 1 in each quarter."""
    quarterly = [f for f in figures if f.indicator.id == "org.joint_meetings_by_quarter"]
    assert [(f.period.key, f.value) for f in quarterly] == [
        ("2023-Q1", 1),
        ("2023-Q2", 1),
        ("2023-Q3", 1),
        ("2023-Q4", 1),
    ]


def test_every_validation_rule_passes_on_the_example(
    indicator_set: IndicatorSet, figures: list[Figure]
) -> None:
    """The example's validation rules all hold (and each was evaluated)."""
    results = check_rules(indicator_set, figures)
    assert {r.rule.id for r in results} == {r.id for r in indicator_set.rules}
    assert [str(r) for r in results if r.passed is not True] == []


def test_trainees_explanation_shows_the_exact_value_behind_280余(figures: list[Figure]) -> None:
    """The explanation of 280余人 lists the four trainings and the exact sum."""
    text = explain(by_id(figures, "employment.reemployment_trainees"))
    assert "68 + 75 + 71 + 69 = 283" in text
    assert text.count("| training_held |") == 4
