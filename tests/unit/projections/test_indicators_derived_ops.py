"""Derived figures that divide: ``/``, ``share(a, b)`` and ``growth(a, b)``, exact and rounded
once by the indicator's mode; division by zero; cycles; how a report phrases them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import ValidationError
from civicledger.indicators import derived, dumps, loads
from civicledger.ledger import Ledger
from civicledger.projections import Figure, Indicator, Period, compute_from_source, explain
from civicledger.reports import Num
from projection_testkit import MEETING_SET, Body, Log, meeting
from report_testkit import INDICATORS, small_ledger, write_template

YEAR = Period.year(2023)
MODES = ("half-up", "half-even", "down", "up")


def _set(rounding: str = "half-up", decimals: int = 2) -> str:
    """The meeting set with a share, a growth, a quotient and (to compare) a ratio."""
    extra = ""
    for name, measure in (
        ("share", '{ derived = "share(m.committee, m.all)", decimals = %d }'),
        ("growth", '{ derived = "growth(m.committee, m.all)", decimals = %d }'),
        ("per", '{ derived = "(m.all - m.committee) / m.all * 1000", decimals = %d }'),
        ("ratio", '{ ratio = ["m.committee", "m.all"], factor = 100, decimals = %d }'),
    ):
        extra += (
            f'\n[[indicator]]\nid = "m.{name}"\nlabel = "{name}"\nunit = "%"\n'
            f'rounding = "{rounding}"\nmeasure = {measure % decimals}\n'
        )
    return MEETING_SET + extra


def _figures(bodies: list[Body], rounding: str = "half-up", decimals: int = 2) -> dict[str, Any]:
    log = Log()
    log.extend([meeting(n + 1, body=b, attendees=10) for n, b in enumerate(bodies)])
    indicator_set = loads(_set(rounding, decimals))
    figures = compute_from_source(log, [(i, YEAR) for i in indicator_set])
    return {f.id: f for f in figures if not f.group}


ONE_OF_THREE = [Body.COMMITTEE, Body.ASSEMBLY, Body.ASSEMBLY]


@pytest.mark.parametrize(
    ("rounding", "share", "growth", "per"),
    [
        ("half-up", "33.33", "-66.67", "666.67"),
        ("half-even", "33.33", "-66.67", "666.67"),
        ("down", "33.33", "-66.66", "666.66"),
        ("up", "33.34", "-66.67", "666.67"),
    ],
)
def test_division_is_exact_then_rounded_once_by_the_indicators_mode(
    rounding: str, share: str, growth: str, per: str
) -> None:
    """1 of 3: share 33.3…, growth -66.6…, (3 - 1) / 3 × 1000 = 666.6…, each by the mode."""
    figures = _figures(ONE_OF_THREE, rounding)
    assert figures["m.share"].value == Decimal(share)
    assert figures["m.growth"].value == Decimal(growth)
    assert figures["m.per"].value == Decimal(per)
    assert str(figures["m.share"].value) == share  # exactly two places, as declared


def test_decimals_are_the_declared_places() -> None:
    """decimals = 0 and 1 give 33 and 33.3 (half up)."""
    assert str(_figures(ONE_OF_THREE, decimals=0)["m.share"].value) == "33"
    assert str(_figures(ONE_OF_THREE, decimals=1)["m.share"].value) == "33.3"


@given(
    st.lists(st.sampled_from(list(Body)), min_size=1, max_size=15),
    st.sampled_from(MODES),
    st.integers(0, 3),
)
def test_a_share_equals_the_ratio_and_its_lineage_is_exactly_its_operands(
    bodies: list[Body], rounding: str, decimals: int
) -> None:
    """share(a, b) is the ratio a/b × 100 under every mode; its events are its operands'."""
    figures = _figures(bodies, rounding, decimals)
    share, ratio = figures["m.share"], figures["m.ratio"]
    every, committee = figures["m.all"], figures["m.committee"]
    assert share.value == ratio.value
    assert share.operands == (every, committee)
    for name in ("m.share", "m.growth", "m.per"):
        figure = figures[name]
        assert {o.id for o in figure.operands} == {"m.all", "m.committee"}
        assert figure.event_ids() == every.event_ids() | committee.event_ids()
        assert figure.to_dict()["operands"] == [every.to_dict(), committee.to_dict()]


def test_division_by_zero_gives_an_undefined_figure_with_a_note() -> None:
    """No meeting at all: every quotient over m.all is not defined, and explain says why."""
    figures = _figures([])
    for name in ("m.share", "m.growth", "m.per"):
        figure = figures[name]
        assert figure.value is None
        assert figure.undefined_reason == "division by zero: m.all is 0"
        assert figure.notes[-1] == "m.all is 0 here, so the quotient is not defined"
    text = explain(figures["m.share"])
    assert "精确值：无定义 (division by zero: m.all is 0)" in text
    assert figures["m.share"].to_dict()["value"] is None


def test_explain_shows_the_division_its_rounding_and_each_operand() -> None:
    """The arithmetic with operand values and the rounding, the forms spelt out, the operands."""
    figures = _figures(ONE_OF_THREE, "down")
    text = explain(figures["m.growth"])
    assert "计算：growth(m.committee (1), m.all (3)) = -66.66, 舍去保留 2 位小数" in text
    assert "其中：growth(a, b) = (a − b) ÷ b × 100" in text
    assert "### 运算项 m.all" in text
    assert "### 运算项 m.committee" in text
    english = explain(figures["m.per"], "en")
    assert (
        "Arithmetic: (m.all (3) - m.committee (1)) / m.all (3) * 1000 = 666.66, "
        "rounded down (toward zero) to 2 decimal places"
    ) in english


def test_a_cycle_between_derived_figures_is_refused_naming_both() -> None:
    """m.x uses m.y and m.y uses m.x: the set does not load, and the message names both."""
    text = MEETING_SET + (
        '\n[[indicator]]\nid = "m.x"\nlabel = "x"\nunit = "%"\n'
        'measure = { derived = "share(m.y, m.all)" }\n'
        '\n[[indicator]]\nid = "m.y"\nlabel = "y"\nunit = "%"\n'
        'measure = { derived = "m.x / 2" }\n'
    )
    with pytest.raises(ValidationError, match="cycle") as error:
        loads(text)
    assert "m.x -> m.y -> m.x" in str(error.value)


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ('{ sum = "attendees / 2" }', "'/' divides figures only in a derived figure"),
        ('{ sum = "share(attendees, attendees)" }', "unknown form 'share'"),
        ('{ derived = "mean(m.all, m.committee)" }', r"unknown form 'mean' \(known: share"),
        ('{ derived = "share(m.all)" }', "expected ','"),
        ('{ derived = "growth(m.all, m.committee, 1)" }', "expected '\\)'"),
        ('{ derived = "m.all / " }', "expected a field name"),
        ('{ derived = "m.all / m.committee", decimals = -1 }', "derived decimals must be"),
        ('{ derived = "m.all / m.committee", decimals = "2" }', "derived decimals must be"),
        ('{ derived = "m.all / m.committee", decimals = 11 }', "from 0 to 10, got 11"),
        ('{ derived = "m.all / m.committee", decimals = true }', "derived decimals must be"),
        ('{ derived = "m.all", places = 2 }', "places"),
    ],
)
def test_bad_division_is_refused_at_load(measure: str, message: str) -> None:
    """Division outside derived figures, unknown forms, wrong arguments and decimals."""
    source = 'source = ["ptest.meeting_held"]\n' if "sum" in measure else ""
    text = MEETING_SET + f'\n[[indicator]]\nid = "m.x"\nlabel = "x"\nunit = "%"\n{source}'
    with pytest.raises(ValidationError, match=message):
        loads(text + f"measure = {measure}\n")


def test_dividing_figures_round_trip_through_toml_and_python() -> None:
    """dumps writes decimals only when not the default; Python builds the same measure."""
    indicator_set = loads(_set("half-even", 1))
    again = dumps(indicator_set)
    assert 'derived = "share(m.committee, m.all)", decimals = 1' in again
    assert loads(again) == indicator_set
    assert loads(dumps(loads(_set()))) == loads(_set())
    every, committee = (i for i in loads(MEETING_SET) if i.id in ("m.all", "m.committee"))
    share = Indicator(
        "m.s", "s", "%", measure=derived("share(m.committee, m.all)", every, committee)
    )
    log = Log()
    log.extend([meeting(1, body=Body.COMMITTEE)])
    [figure] = compute_from_source(log, [(share, YEAR)])
    assert isinstance(figure, Figure)
    assert figure.value == Decimal("100.00")


REPORT_SET = (
    INDICATORS
    + """
[[indicator]]
id = "mediation.success_share"
label = "调解成功占比"
unit = "%"
measure = { derived = "share(mediation.successful, mediation.completed)" }

[[indicator]]
id = "mediation.growth"
label = "调解增长"
unit = "%"
measure = { derived = "growth(mediation.completed, mediation.successful)" }
"""
)


def test_a_report_phrases_share_as_a_rate_and_growth_as_a_change(tmp_path: Path) -> None:
    """{share|rate} reads 达66.67% over its operands; {growth|change} reads 同比增长50.00%."""
    body = (
        '[[sections]]\nkey = "a"\nheading = "甲"\n\n  [[sections.items]]\n'
        '  text = "成功率{mediation.success_share|rate}，{mediation.growth|change}。"\n'
    )
    ledger: Ledger = small_ledger()
    report = ledger.report(write_template(tmp_path, body, indicators=REPORT_SET), year=2023)
    nums = [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]
    assert [(n.text, n.exact) for n in nums] == [("达66.67%", "2/3"), ("同比增长50.00%", "3/2")]


def test_a_rule_cannot_divide() -> None:
    """Rules compare figures with + - *; '/' belongs to derived figures and is refused."""
    text = MEETING_SET + '\n[[rule]]\nid = "r"\ncheck = "m.committee / m.all <= 1"\n'
    with pytest.raises(ValidationError, match="'/' divides figures only in a derived figure"):
        loads(text)
