"""Derived figures: arithmetic over other figures, lineage through every operand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import ProjectionError, ValidationError
from civicledger.indicators import dumps, loads
from civicledger.projections import Derived, Indicator, Period, compute_from_source, explain
from projection_testkit import MEETING_SET, Body, Log, meeting

YEAR = Period.year(2023)

SET = (
    MEETING_SET
    + """
[[indicator]]
id = "m.others"
label = "其他会议"
unit = "次"
measure = { derived = "m.all - m.committee" }

[[indicator]]
id = "m.big_by_body"
label = "大会参会人次"
unit = "人次"
source = ["ptest.meeting_held"]
where = "attendees >= 20"
measure = { sum = "attendees" }
group_by = ["body"]

[[indicator]]
id = "m.small_by_body"
label = "小会参会人次"
unit = "人次"
measure = { derived = "m.attendees_by_body - m.big_by_body" }

[[indicator]]
id = "m.twice_others_plus_one"
label = "测试"
unit = "次"
measure = { derived = "2 * m.others + 1" }
"""
)


def _log(attendees: list[int], bodies: list[Body]) -> Log:
    log = Log()
    pairs = enumerate(zip(attendees, bodies, strict=True))
    log.extend([meeting(n + 1, body=b, attendees=a) for n, (a, b) in pairs])
    return log


def _figures(log: Log) -> dict[tuple[str, tuple[tuple[str, str], ...]], object]:
    indicator_set = loads(SET)
    figures = compute_from_source(log, [(i, YEAR) for i in indicator_set])
    return {(f.id, f.group): f for f in figures}


def test_a_difference_is_computed_and_keeps_both_operands() -> None:
    """m.others = m.all - m.committee, and its operands are the two figures."""
    log = _log([5, 30, 8], [Body.COMMITTEE, Body.ASSEMBLY, Body.ASSEMBLY])
    figures = _figures(log)
    others = figures[("m.others", ())]
    assert others.value == 2  # type: ignore[attr-defined]
    assert [o.id for o in others.operands] == ["m.all", "m.committee"]  # type: ignore[attr-defined]
    assert others.event_ids() == figures[("m.all", ())].event_ids()  # type: ignore[attr-defined]
    data = others.to_dict()  # type: ignore[attr-defined]
    assert [o["indicator"] for o in data["operands"]] == ["m.all", "m.committee"]
    assert data["definition"]["measure"] == {"derived": "m.all - m.committee"}


def test_explain_shows_the_arithmetic_and_each_operand() -> None:
    """The explanation writes the expression with each operand's value, then each derivation."""
    figures = _figures(_log([5, 30, 8], [Body.COMMITTEE, Body.ASSEMBLY, Body.ASSEMBLY]))
    text = explain(figures[("m.others", ())])  # type: ignore[arg-type]
    assert "计算：m.all (3) - m.committee (1) = 2" in text
    assert "### 运算项 m.all" in text
    assert "### 运算项 m.committee" in text
    assert "#### 指标 m.committee — 委员会会议" in text
    nested = explain(figures[("m.twice_others_plus_one", ())], "en")  # type: ignore[arg-type]
    assert "Arithmetic: 2 * m.others (2) + 1 = 5" in nested
    assert "Arithmetic: m.all (3) - m.committee (1) = 2" in nested


def test_grouped_operands_pair_up_and_a_missing_count_is_zero() -> None:
    """Groups pair by value; a sum with no event in a group is 0 there, and says so."""
    figures = _figures(_log([5, 30, 8], [Body.COMMITTEE, Body.ASSEMBLY, Body.ASSEMBLY]))
    small = figures[("m.small_by_body", (("body", "assembly"),))]
    assert small.value == 8  # type: ignore[attr-defined]
    committee = figures[("m.small_by_body", (("body", "committee"),))]
    assert committee.value == 5  # type: ignore[attr-defined]
    assert committee.notes == ("m.big_by_body has no event in this group and counts as 0",)  # type: ignore[attr-defined]
    assert [o.id for o in committee.operands] == ["m.attendees_by_body"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('measure = { derived = "m.nope - m.all" }', "names unknown indicator 'm.nope'"),
        ('measure = { derived = "m.x + 1" }', "cycle"),
        ('source = ["ptest.meeting_held"]\nmeasure = { derived = "m.all" }', "leave source"),
        ('measure = { derived = "m.all -" }', "expected a field name"),
    ],
)
def test_bad_derived_figures_are_refused_at_load(table: str, message: str) -> None:
    """Unknown operands, cycles, a source and bad expressions are refused with the reason."""
    text = SET + f'\n[[indicator]]\nid = "m.x"\nlabel = "x"\nunit = "次"\n{table}\n'
    with pytest.raises(ValidationError, match=message):
        loads(text)


def test_an_unresolved_derived_figure_is_refused_when_computed() -> None:
    """Outside a set, a derived figure needs its operand indicators."""
    lonely = Indicator("m.d", "d", "次", measure=Derived("m.a - m.b"))
    with pytest.raises(ProjectionError, match="names its operands by id only"):
        compute_from_source(Log(), [(lonely, YEAR)])


def test_derived_figures_round_trip_through_toml() -> None:
    """dumps writes measure = { derived = "…" } and loads reads an equal set."""
    indicator_set = loads(SET)
    assert loads(dumps(indicator_set)) == indicator_set


@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(list(Body))), max_size=12),
)
def test_a_differences_lineage_is_exactly_its_operands(meetings: list[tuple[int, Body]]) -> None:
    """For any ledger: value = a - b, and the events behind it are the operands' events."""
    log = _log([a for a, _ in meetings], [b for _, b in meetings])
    figures = _figures(log)
    others = figures[("m.others", ())]
    every, committee = figures[("m.all", ())], figures[("m.committee", ())]
    assert others.value == every.value - committee.value  # type: ignore[attr-defined]
    assert others.operands == (every, committee)  # type: ignore[attr-defined]
    assert others.event_ids() == every.event_ids() | committee.event_ids()  # type: ignore[attr-defined]
    for body in {b for _, b in meetings}:
        group = (("body", body.value),)
        small = figures[("m.small_by_body", group)]
        total = figures[("m.attendees_by_body", group)]
        big = figures.get(("m.big_by_body", group))
        assert small.value == total.value - (big.value if big else 0)  # type: ignore[attr-defined]
