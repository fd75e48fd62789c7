"""Reports say what offices say: estimates with 约, units a template adds, rounding per figure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from civicledger import Event, event, field
from civicledger.errors import TemplateError
from civicledger.events import Codec, EventRegistry
from civicledger.ledger import Ledger
from civicledger.reports import Num, Report
from report_testkit import write_template

REGISTRY = EventRegistry()


@event("rtest.gathering_held", registry=REGISTRY)
class GatheringHeld(Event):
    """A public gathering; its crowd is estimated, its stalls are counted."""

    title: str
    crowd: int = field(estimate=True)
    stalls: int


INDICATORS = """
[[indicator]]
id = "gathering.crowd"
label = "参与群众"
unit = "人次"
source = ["rtest.gathering_held"]
measure = { sum = "crowd" }

[[indicator]]
id = "gathering.stalls"
label = "摊位"
unit = "个"
source = ["rtest.gathering_held"]
measure = { sum = "stalls" }

[[indicator]]
id = "gathering.large"
label = "大型活动"
unit = "场"
source = ["rtest.gathering_held"]
where = "stalls >= 10"

[[indicator]]
id = "gathering.count"
label = "活动"
unit = "场"
source = ["rtest.gathering_held"]

[[indicator]]
id = "gathering.large_share"
label = "大型活动占比"
unit = "%"
measure = { ratio = ["gathering.large", "gathering.count"], factor = 100, decimals = 0 }
rounding = "half-even"

[[indicator]]
id = "gathering.crowd_per_stall"
label = "每摊位人次"
unit = "%"
measure = { ratio = ["gathering.crowd", "gathering.stalls"], factor = 100, decimals = 1 }
"""

# Eight gatherings, one of them large: 1/8 = 12.5%, a tie that half-even sends to 12.
STALLS = (12, 3, 4, 2, 5, 1, 6, 7)


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """A ledger of gatherings whose crowds were estimated."""
    ledger = Ledger.in_memory(origin="example.invalid/phrasing", codec=Codec(REGISTRY))
    for number, stalls in enumerate(STALLS, start=1):
        gathering = GatheringHeld(
            occurred_on=date(2023, number, 5), title=f"第{number}场", crowd=123, stalls=stalls
        )
        ledger.append("gatherings", [gathering], actor="clerk")
    return ledger


def _report(ledger: Ledger, folder: Path, text: str, extra: str = "") -> Report:
    body = f'{extra}\n[[sections]]\nkey = "a"\nheading = "甲"\n\n'
    body += f'  [[sections.items]]\n  text = "{text}"\n'
    return ledger.report(write_template(folder, body, indicators=INDICATORS), year=2023)


def _nums(report: Report) -> list[Num]:
    return [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]


def test_an_estimated_figure_is_said_with_yue_and_explained(ledger: Ledger, tmp_path: Path) -> None:
    """A sum over a field declared estimate=True reads 约 and its explanation says so."""
    report = _report(
        ledger, tmp_path, "参与群众{gathering.crowd|approx:人次}，摊位{gathering.stalls|exact:个}。"
    )
    crowd, stalls = _nums(report)
    assert (crowd.text, crowd.exact) == ("约980人次", "984")
    assert crowd.rule == "estimate:approx:约:precision=10+人次"
    assert (stalls.text, stalls.rule) == ("40个", "exact+个")
    entry = report.figures[0]
    assert entry.lineage["estimated"] == ["rtest.gathering_held.crowd"]
    assert "估计值" in entry.explanation
    assert "rtest.gathering_held.crowd" in entry.explanation
    assert "estimated" not in report.figures[1].lineage
    assert "估计值" not in report.figures[1].explanation


def test_a_ratio_over_an_estimate_is_an_estimate(ledger: Ledger, tmp_path: Path) -> None:
    """Estimates carry through ratio parts: the rate reads 约 and names the field."""
    report = _report(ledger, tmp_path, "{gathering.crowd_per_stall|rate:bare:1}")
    [share] = _nums(report)
    assert share.text == "约2460.0%"
    assert share.rule == "estimate:rate:bare:decimals=1:round-half-up"


def test_english_explanation_names_the_estimate(ledger: Ledger) -> None:
    """ledger.explain in English says the value rests on an estimated field."""
    from civicledger.projections.toml import loads

    figures = ledger.indicators(loads(INDICATORS), year=2023)
    crowd = next(f for f in figures if f.id == "gathering.crowd")
    assert crowd.estimated == ("rtest.gathering_held.crowd",)
    assert "Estimated: this value rests on field(s) recorded as estimates" in ledger.explain(
        crowd, language="en"
    )


def test_a_declared_rounding_mode_rounds_the_value_the_words_and_the_explanation(
    ledger: Ledger, tmp_path: Path
) -> None:
    """rounding = "half-even": 12.5% is 12 at 0 places, and the explanation says how."""
    report = _report(ledger, tmp_path, "大型活动占{gathering.large_share|rate:bare:0}。")
    [share] = _nums(report)
    assert (share.text, share.exact) == ("12%", "1/8")
    assert share.rule == "rate:bare:decimals=0:round-half-even"
    entry = report.figures[0]
    assert entry.value == "12"
    assert "四舍六入五成双保留 0 位小数" in entry.explanation
    assert entry.lineage["definition"]["rounding"] == "half-even"


def test_a_spec_may_override_the_figures_decimals_and_mode(ledger: Ledger, tmp_path: Path) -> None:
    """Decimals and a mode written in the spec win over the figure's own."""
    report = _report(ledger, tmp_path, "{gathering.large_share|rate:占:2:up}")
    assert _nums(report)[0].text == "占12.50%"


def test_a_template_adds_units_inside_the_linked_number(ledger: Ledger, tmp_path: Path) -> None:
    """A [units] table makes a new classifier usable; the unit stays in the linked number."""
    with pytest.raises(TemplateError, match="does not take '摊'"):
        _report(ledger, tmp_path, "{gathering.stalls|approx:words:摊}")
    extra = '[units]\nclassifiers = ["摊"]\nmeasures = ["立方米"]\n'
    [stalls] = _nums(_report(ledger, tmp_path, "{gathering.stalls|approx:words:摊}", extra))
    assert (stalls.text, stalls.exact) == ("40摊", "40")
    [large] = _nums(_report(ledger, tmp_path, "{gathering.count|exact:摊}", extra))
    assert large.text == "8摊"


def test_a_bad_units_table_names_the_template_line(ledger: Ledger, tmp_path: Path) -> None:
    """A malformed [units] table is refused when the template loads, with its line."""
    extra = '[units]\nclassifiers = ["约"]\n'
    with pytest.raises(TemplateError, match=r"report.toml:5: .*spec grammar"):
        _report(ledger, tmp_path, "{gathering.count|exact:场}", extra)


def test_unit_in_a_spec_is_the_indicators_own_unit(ledger: Ledger, tmp_path: Path) -> None:
    """approx:words:unit writes the indicator's unit (个) inside the linked number."""
    [stalls] = _nums(_report(ledger, tmp_path, "{gathering.stalls|exact:unit}"))
    assert (stalls.text, stalls.rule) == ("40个", "exact+个")
    [crowd] = _nums(_report(ledger, tmp_path, "{gathering.crowd|approx:unit}"))
    assert crowd.text == "约980人次"
