"""Ledger sets: figures rolled up across ledgers, with each ledger's figure and events behind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger import Ledger, LedgerNotFoundError, LedgerSet, ProjectionError, ValidationError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.indicators import count, count_distinct, derived, in_, latest, max_, min_, ratio
from civicledger.indicators import sum as ind_sum
from civicledger.projections import Indicator

COMPLETED = Indicator("m.completed", "调解", "件", source=["mediation_completed"], measure=count())
PARTIES = Indicator(
    "m.parties", "当事人", "人", source=["mediation_completed"], measure=ind_sum("parties")
)
CASES = Indicator(
    "m.cases", "案件", "件", source=["mediation_completed"], measure=count_distinct("case_id")
)
SUCCESSFUL = Indicator(
    "m.successful",
    "调解成功",
    "件",
    source=["mediation_completed"],
    where=in_("outcome", ["written_agreement", "oral_agreement"]),
)
RATE = Indicator("m.rate", "调解成功率", "%", measure=ratio(SUCCESSFUL, COMPLETED))
LAST = Indicator(
    "m.last", "最近当事人", "人", source=["mediation_completed"], measure=latest("parties")
)
BY_OUTCOME = Indicator(
    "m.by_outcome", "按结果", "件", source=["mediation_completed"], group_by=["outcome"]
)
ALL = [COMPLETED, PARTIES, CASES, SUCCESSFUL, RATE, LAST, BY_OUTCOME]


def mediation(
    case: str, outcome: MediationOutcome, parties: int = 2, day: date = date(2023, 5, 1)
) -> MediationCompleted:
    return MediationCompleted(
        occurred_on=day,
        case_id=case,
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=parties,
        outcome=outcome,
    )


OK, FAILED = MediationOutcome.WRITTEN_AGREEMENT, MediationOutcome.FAILED


def fill(ledger: Ledger, cases: list[tuple[str, MediationOutcome, int]]) -> None:
    if cases:
        ledger.append("m", [mediation(c, o, p) for c, o, p in cases], actor="clerk")


@pytest.fixture
def street() -> LedgerSet:
    """Two communities: case A appears in both (another household each time)."""
    hehua, lianhua = Ledger.in_memory("street/hehua"), Ledger.in_memory("street/lianhua")
    fill(hehua, [("A", OK, 2), ("B", FAILED, 3)])
    fill(lianhua, [("A", OK, 4), ("C", OK, 2), ("D", OK, 5)])
    return LedgerSet([hehua, lianhua])


def test_counts_and_sums_add_up_and_keep_each_ledgers_figure(street: LedgerSet) -> None:
    """count and sum add; each part names its ledger, origin and as-of position."""
    rollups = {r.id: r for r in street.indicators(ALL, period="2023")}
    assert rollups["m.completed"].value == 5
    assert rollups["m.completed"].by_ledger() == {"street/hehua": 2, "street/lianhua": 3}
    assert rollups["m.parties"].value == 16
    part = rollups["m.parties"].parts[1]
    assert (part.ledger, part.origin) == ("street/lianhua", street["street/lianhua"].origin)
    assert part.figure.as_of.position == 3
    assert len(rollups["m.completed"].event_ids()) == 5


def test_distinct_counts_qualify_keys_by_ledger_unless_asked_to_merge(street: LedgerSet) -> None:
    """Case A in two ledgers counts twice by default, once with distinct='key'."""
    assert street.compute(CASES, "2023").value == 5
    merged = street.compute(CASES, "2023", distinct="key")
    assert merged.value == 4
    assert "once" in merged.combined
    with pytest.raises(ProjectionError, match="distinct"):
        street.compute(CASES, "2023", distinct="household")  # type: ignore[arg-type]


def test_a_ratio_is_recomputed_from_the_rolled_up_parts(street: LedgerSet) -> None:
    """4 successful of 5: 80.0, not the average of 50 % and 100 %."""
    rate = street.compute(RATE, "2023")
    assert rate.value == Decimal("80.0")
    assert "m.successful (4) ÷ m.completed (5) × 100 = 80.00" in street.explain(rate)
    assert rate.numerator is not None
    assert rate.numerator.value == 4
    assert rate.denominator is not None
    assert rate.denominator.value == 5


def test_latest_is_not_combined_and_says_why(street: LedgerSet) -> None:
    last = street.compute(LAST, "2023")
    assert last.value is None
    assert last.undefined_reason is not None
    assert "breakdown" in last.undefined_reason
    assert set(last.by_ledger()) == {"street/hehua", "street/lianhua"}


def test_groups_are_combined_by_value_and_a_ledger_without_a_group_has_no_part(
    street: LedgerSet,
) -> None:
    groups = {dict(r.group)["outcome"]: r for r in street.indicators([BY_OUTCOME], period=2023)}
    assert groups["written_agreement"].value == 4
    assert groups["failed"].value == 1
    assert [p.ledger for p in groups["failed"].parts] == ["street/hehua"]


def test_explain_drills_from_the_rollup_to_each_ledger_to_its_events(street: LedgerSet) -> None:
    rollup = street.compute(COMPLETED, "2023")
    text = street.explain(rollup, language="en")
    assert "2 + 3 = 5" in text
    for ledger in street:
        assert f"## Ledger {ledger.name}" in text
        assert ledger.origin in text
        for record in ledger.read():
            assert str(record.event_id) in text
    assert "汇总方式：各账本计数相加" in street.explain(rollup)
    assert rollup.to_dict()["ledgers"][0]["figure"]["value"] == 2


def test_as_of_reads_each_ledger_at_its_seal_or_a_named_point(street: LedgerSet) -> None:
    hehua, lianhua = street.ledgers
    hehua.seal()
    lianhua.seal()
    fill(lianhua, [("E", OK, 1)])
    sealed = street.compute(COMPLETED, "2023", as_of="latest-seal")
    assert sealed.value == 5
    assert sealed.parts[1].figure.as_of.seal_root == lianhua.seals()[-1].root_hash.hex()
    assert street.compute(COMPLETED, "2023").value == 6
    assert street.compute(COMPLETED, "2023", as_of={"street/hehua": 1}).value == 5
    with pytest.raises(ValidationError, match="street/nowhere"):
        street.compute(COMPLETED, "2023", as_of={"street/nowhere": 1})
    with pytest.raises(ProjectionError, match="mapping"):
        street.compute(COMPLETED, "2023", as_of=3)


def test_an_unsealed_ledger_cannot_be_read_at_its_seal(street: LedgerSet) -> None:
    with pytest.raises(ValidationError, match=r"street/hehua.*no seal"):
        street.compute(COMPLETED, "2023", as_of="latest-seal")


def test_a_set_refuses_no_ledgers_and_ledgers_it_cannot_tell_apart() -> None:
    with pytest.raises(ValidationError, match="non-empty"):
        LedgerSet([])
    same = Ledger.in_memory("x")
    with pytest.raises(ValidationError, match="name"):
        LedgerSet([same, Ledger.in_memory("x")])
    with pytest.raises(ValidationError, match=r"ledgers\[1\]"):
        LedgerSet([same, "y"])  # type: ignore[list-item]


def test_compare_rolls_up_both_periods_and_compares_the_totals() -> None:
    """同比 of a street: each period rolled up, the change from the totals; a group present
    in one year only is compared with 0."""
    hehua, lianhua = Ledger.in_memory("street/hehua"), Ledger.in_memory("street/lianhua")
    hehua.append(
        "m",
        [mediation("A", OK, 2, date(2022, 3, 1)), mediation("B", FAILED, 2, date(2023, 3, 1))],
        actor="clerk",
    )
    lianhua.append(
        "m",
        [mediation(c, OK, 2, date(2022 + n % 2, 3, 1)) for n, c in enumerate("CDEFG")],
        actor="clerk",
    )
    street = LedgerSet([hehua, lianhua])
    (total,) = street.compare(COMPLETED, 2023)
    assert (total.current.value, total.previous.value) == (3, 4)
    assert (total.difference, total.change_percent, total.basis) == (-1, Decimal("-25.00"), "year")
    assert total.current.by_ledger() == {"street/hehua": 1, "street/lianhua": 2}
    by_group = {dict(c.current.group)["outcome"]: c for c in street.compare(BY_OUTCOME, 2023)}
    assert (by_group["failed"].current.value, by_group["failed"].previous.value) == (1, 0)
    assert by_group["failed"].previous.parts == ()
    assert by_group["failed"].undefined_reason == "the previous figure is 0, so no percentage"
    (given,) = street.compare(COMPLETED, 2023, 2022)
    assert given.basis == "given"
    assert given.to_dict()["current"]["ledgers"][0]["ledger"] == "street/hehua"
    with pytest.raises(ProjectionError, match="itself"):
        street.compare(COMPLETED, 2023, 2023)


def test_open_many_by_names_or_prefix_shares_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    for name, cases in (
        ("street-x/hehua", [("A", OK, 2)]),
        ("street-x/lianhua", [("B", OK, 3), ("C", FAILED, 1)]),
        ("street-y/other", [("Z", OK, 9)]),
    ):
        with Ledger.open(url, name) as ledger:
            fill(ledger, cases)
    with Ledger.open_many(url, prefix="street-x/") as street:
        assert street.names == ("street-x/hehua", "street-x/lianhua")
        assert street.compute(PARTIES, "2023").value == 6
    with Ledger.open_many(url, ["street-y/other", "street-x/hehua"]) as chosen:
        assert chosen.compute(COMPLETED, 2023).by_ledger() == {
            "street-y/other": 1,
            "street-x/hehua": 1,
        }
    with pytest.raises(LedgerNotFoundError, match="street-z"):
        Ledger.open_many(url, prefix="street-z/")
    with pytest.raises(LedgerNotFoundError, match="street-x/typo"):
        Ledger.open_many(url, ["street-x/hehua", "street-x/typo"])
    with pytest.raises(ValidationError, match="not both"):
        Ledger.open_many(url, ["street-x/hehua"], prefix="street-x/")
    with pytest.raises(ValidationError, match="twice"):
        Ledger.open_many(url, ["street-x/hehua", "street-x/hehua"])
    with Ledger.open_many(url, prefix="") as everything:  # nothing was created by the typos
        assert len(everything) == 3


CASE = st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from([OK, FAILED]), st.integers(0, 30))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CASE, max_size=6), min_size=1, max_size=4))
def test_rollups_of_additive_measures_equal_the_sum_of_the_ledgers_figures(
    communities: list[list[tuple[str, MediationOutcome, int]]],
) -> None:
    """count, sum, per-ledger distinct count and every group: the roll-up is the ledgers' sum."""
    ledgers = []
    for n, cases in enumerate(communities):
        ledger = Ledger.in_memory(f"c{n}")
        fill(ledger, cases)
        ledgers.append(ledger)
    street = LedgerSet(ledgers)
    additive = [COMPLETED, PARTIES, CASES, SUCCESSFUL, BY_OUTCOME]
    for rollup in street.indicators(additive, period=2023):
        alone = [
            f.value
            for ledger in ledgers
            for f in ledger.indicators([rollup.indicator], period=2023)
            if f.group == rollup.group
        ]
        assert rollup.value == sum(v for v in alone if v is not None)
        assert rollup.value == sum(v for v in rollup.by_ledger().values() if v is not None)
    everything = [c for cases in communities for c in cases]
    merged = street.compute(CASES, 2023, distinct="key")
    assert merged.value == len({case for case, _, _ in everything})


def test_a_derived_figure_is_worked_out_again_over_the_rolled_up_operands(
    street: LedgerSet,
) -> None:
    """share(successful, completed) is 4 of 5 across the street, not a sum of 50 and 100."""
    share = Indicator(
        "m.share", "成功占比", "%", measure=derived("share(m.successful, m.completed)", *ALL[:4])
    )
    rolled = street.compute(share, "2023")
    assert rolled.value == street.compute(RATE, "2023").value == Decimal("80.00")
    assert rolled.by_ledger() == {"street/hehua": Decimal("50.00"), "street/lianhua": 100}
    assert "share(m.successful (4), m.completed (5)) = 80.00" in street.explain(rolled)
    assert len(rolled.event_ids()) == 5
    nothing = Indicator("m.none", "无", "件", source=["mediation_completed"], where="parties > 99")
    per = Indicator(
        "m.per", "每", "件", measure=derived("m.completed / m.none", COMPLETED, nothing)
    )
    undefined = street.compute(per, "2023")
    assert undefined.value is None
    assert undefined.undefined_reason is not None
    assert "m.none" in undefined.undefined_reason


def test_max_and_min_take_the_extreme_of_the_ledgers(street: LedgerSet) -> None:
    """The most parties in one mediation across the street is 5 (lianhua), the fewest 2."""
    most = Indicator(
        "m.most", "最多", "人", source=["mediation_completed"], measure=max_("parties")
    )
    fewest = Indicator(
        "m.few", "最少", "人", source=["mediation_completed"], measure=min_("parties")
    )
    rolled_most, rolled_fewest = street.compute(most, "2023"), street.compute(fewest, "2023")
    assert (rolled_most.value, rolled_fewest.value) == (5, 2)
    assert rolled_most.by_ledger() == {"street/hehua": 3, "street/lianhua": 5}
    assert "max(3, 5) = 5" in street.explain(rolled_most)
