"""Roll-up figures declared in an indicator set under the office's own ids (issue 15 item 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger.catalog.followups import problem_stream
from civicledger.errors import ProjectionError, ValidationError
from civicledger.followups import FIGURE_IDS
from civicledger.indicators import dumps, loads
from civicledger.projections import Figure, check_rules
from civicledger.projections.rollup_names import ROLLUP_FIGURES
from civicledger.reports import Num, verify_report
from followup_testkit import sample_events
from report_testkit import INDICATORS, small_ledger, write_template

SET = """
title = "整改"

[[indicator]]
id = "problems.total"
label = "发现问题"
unit = "个"
followups = "total"

[[indicator]]
id = "mediation.completed"
label = "调解纠纷"
unit = "件"
source = ["mediation_completed"]

[[indicator]]
id = "problems.done"
label = "已整改"
unit = "个"
followups = "done"

[[indicator]]
id = "problems.completion_rate"
label = "整改率"
unit = "%"
followups = "completion_rate"

[[indicator]]
id = "problems.by_status"
label = "各状态问题"
unit = "个"
followups = "by_status"

[[rule]]
id = "problems.statuses_add_up"
check = "problems.by_status == problems.total"

[[rule]]
id = "problems.done_within_total"
check = "problems.done <= problems.total"
"""

PERIODS = ["2023", "2023-Q4", "2023-01..2023-11", "2023-12", "2024-H1", "2024", "..2024-02-29"]


def sample_ledger() -> Ledger:
    """The test sample's four problems, followed into 2024, in an in-memory ledger."""
    ledger = Ledger.in_memory(origin="example.invalid/followup-sets")
    for event in sample_events():
        ledger.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
    return ledger


def declaring(name: str) -> str:
    return f'[[indicator]]\nid = "office.figure"\nlabel = "数"\nunit = "个"\nfollowups = "{name}"\n'


def values(figures: list[Figure]) -> list[tuple[tuple[tuple[str, str], ...], object]]:
    return [(f.group, f.value) for f in figures]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("name", [r.name for r in ROLLUP_FIGURES])
def test_each_declared_figure_equals_the_roll_up(name: str, period: str) -> None:
    """Table test: every roll-up name, over periods of every kind, gives the roll-up's figures."""
    ledger = sample_ledger()
    declared = ledger.indicators(loads(declaring(name)), period=period)
    expected = [
        f for f in ledger.followup_rollup(period=period).all_figures() if f.id == name_id(name)
    ]
    # An ungrouped figure always exists; a grouped one has none when no problem is in scope.
    assert expected or any(r.group_by for r in ROLLUP_FIGURES if r.name == name)
    assert values(declared) == values(expected)
    for figure, original in zip(declared, expected, strict=True):
        assert figure.id == "office.figure"
        assert figure.indicator.label == "数"
        assert figure.period == original.period
        assert figure.contributions == original.contributions
        parts = (figure.numerator, figure.denominator)
        originals = (original.numerator, original.denominator)
        assert [p and (p.id, p.value) for p in parts] == [p and (p.id, p.value) for p in originals]
        assert figure.as_of.position == len(sample_events())  # the ledger read, as of its head
        assert f"Declared as {name_id(name)}" in figure.indicator.description


def name_id(name: str) -> str:
    return f"followups.{name}"


def test_the_names_are_the_roll_up_figure_ids() -> None:
    assert tuple(f"followups.{r.name}" for r in ROLLUP_FIGURES) == FIGURE_IDS


def test_a_set_mixes_declared_and_counted_figures_in_its_order() -> None:
    ledger = small_ledger()
    figures = ledger.indicators(loads(SET), period="2023")
    assert [f.id for f in figures][:4] == [
        "problems.total",
        "mediation.completed",
        "problems.done",
        "problems.completion_rate",
    ]
    by_id = {(f.id, f.group): f.value for f in figures}
    assert by_id[("problems.total", ())] == 2
    assert by_id[("mediation.completed", ())] == 3
    assert by_id[("problems.by_status", (("status", "open"),))] == 1
    results = check_rules(loads(SET), figures)
    assert [(r.rule.id, r.left, r.right, r.passed) for r in results] == [
        ("problems.statuses_add_up", 2, 2, True),
        ("problems.done_within_total", 0, 2, True),
    ]


def test_a_rule_that_does_not_hold_fails() -> None:
    text = SET + '\n[[rule]]\nid = "problems.all_done"\ncheck = "problems.done == problems.total"\n'
    figures = small_ledger().indicators(loads(text), period="2023")
    failed = [r.rule.id for r in check_rules(loads(text), figures) if r.passed is False]
    assert failed == ["problems.all_done"]


def test_a_rate_by_group_is_not_summed_by_a_rule() -> None:
    text = declaring("completion_rate_by_category").replace("office.figure", "office.rates")
    text += declaring("total")
    text += '[[rule]]\nid = "r"\ncheck = "office.rates == office.figure"\n'
    figures = sample_ledger().indicators(loads(text), period="2023")
    (result,) = check_rules(loads(text), figures)
    assert result.left is None


def test_figures_as_of_an_earlier_position_see_only_that_prefix() -> None:
    ledger = sample_ledger()
    events = sample_events()
    cut = next(i for i, e in enumerate(events) if e.occurred_on > date(2024, 1, 1))
    earlier = Ledger.in_memory(origin="example.invalid/followup-sets")
    for event in events[:cut]:
        earlier.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
    text = declaring("done")
    at = ledger.indicators(loads(text), period="2024", as_of=cut)
    assert values(at) == values(earlier.indicators(loads(text), period="2024"))
    assert at[0].as_of.position == cut
    assert values(at) != values(ledger.indicators(loads(text), period="2024"))


def test_the_set_round_trips_through_toml() -> None:
    assert loads(dumps(loads(SET))) == loads(SET)


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ('followups = "totl"', 6, "unknown follow-up figure 'totl'; known: total, done"),
        ("followups = 3", 6, "followups must name a roll-up figure"),
        ('followups = "total"\nsource = ["problem_identified"]', 7, "leave source out"),
        ('followups = "total"\nwhere = \'category == "x"\'', 7, "leave where out"),
        ('followups = "total"\nmeasure = { sum = "x" }', 7, "leave measure out"),
        ('followups = "total"\nstate = true', 7, "leave state out"),
        ('followups = "total"\nperiod = "month"', 7, "leave period out"),
        ('followups = "by_status"\ngroup_by = ["unit"]', 7, "grouped by status; leave group_by"),
    ],
)
def test_a_bad_declaration_is_refused_at_load_naming_the_line(
    extra: str, line: int, message: str
) -> None:
    head = 'title = "t"\n\n[[indicator]]\nid = "problems.total"\nlabel = "问题"\n'
    text = f'{head}{extra}\nunit = "个"\n'
    with pytest.raises(ValidationError, match=message) as caught:
        loads(text, source="set.toml")
    assert caught.value.line == line
    assert f"set.toml, line {line} (problems.total)" in str(caught.value)


def test_the_group_written_out_is_accepted() -> None:
    text = declaring("total_by_unit") + 'group_by = ["unit"]\n'
    assert loads(text)["office.figure"].group_by == ("unit",)
    assert loads(declaring("total_by_unit"))["office.figure"].group_by == ("unit",)


def test_a_declared_figure_is_not_a_part_of_a_ratio_nor_computed_alone() -> None:
    text = declaring("done") + declaring("total").replace("office.figure", "office.total")
    text += '[[indicator]]\nid = "office.rate"\nlabel = "率"\nunit = "%"\n'
    text += 'measure = { ratio = ["office.figure", "office.total"] }\n'
    ledger = small_ledger()
    with pytest.raises(ProjectionError, match=r"'office.figure' \(used by 'office.rate'\)"):
        ledger.indicators(loads(text), period="2023")
    with pytest.raises(ProjectionError, match=r"compute it with Ledger\.indicators"):
        ledger.compute(loads(declaring("done"))["office.figure"], "2023")


def test_the_projection_service_alone_refuses_declared_figures() -> None:
    from civicledger.projections.service import indicators

    with pytest.raises(ProjectionError, match=r"compute the set with Ledger\.indicators"):
        indicators(small_ledger().store, loads(declaring("done")), period="2023")


REPORT = r"""
[[sections]]
key = "a"
heading = "问题整改"

  [[sections.items]]
  text = '''共发现问题{problems.total|exact:个}，已整改{problems.done|exact:个}，
  整改率{problems.completion_rate|rate}，问题数{problems.total|change}。'''

  [[sections.items]]
  text = '''{{ fig('problems.by_status', status='open') | exact('个') }}问题尚未整改。'''
"""


def test_a_template_uses_the_offices_ids(tmp_path: Path) -> None:
    ledger = small_ledger()
    mediation = '[[indicator]]\nid = "mediation.completed"\nlabel = "调解纠纷"\nunit = "件"\n'
    mediation += 'source = ["mediation_completed"]\n'
    indicators = INDICATORS + SET.replace('title = "整改"', "").replace(mediation, "")
    report = ledger.report(write_template(tmp_path, REPORT, indicators=indicators), year=2023)
    nums = [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]
    rollup = ledger.followup_rollup(period="2023")
    assert [n.exact for n in nums] == [
        str(rollup.total.value),
        str(rollup.done.value),
        "0/2",
        "2/0",
        "1",
    ]
    entries = {e.ref: e for e in report.figures}
    total = entries[nums[0].ref or ""]
    assert total.indicator == "problems.total"
    assert len(total.lineage["contributions"]) == 2
    assert verify_report(report.to_json(), ledger).ok


def test_a_revision_refuses_to_recount_a_declared_figure() -> None:
    """The engine cannot recount a roll-up: a revision says so instead of counting events."""
    ledger = sample_ledger()
    seal = ledger.seal()
    published = ledger.indicators(loads(declaring("total")), period="2023", as_of=seal)
    assert published[0].indicator.followups == "total"
    with pytest.raises(ProjectionError, match="is the follow-up figure 'total'"):
        ledger.revise(published, ledger.seal())


def test_a_ledger_set_rolls_declared_figures_up_from_their_parts(tmp_path: Path) -> None:
    """Across two ledgers: counts add up, a rate is recomputed from the summed parts."""
    url = f"sqlite:///{tmp_path / 'street.db'}"
    events = sample_events()
    for name, count in (("a", len(events)), ("b", 5)):
        with Ledger.open(url, ledger=name, create=True) as ledger:
            for event in events[:count]:
                ledger.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
    text = declaring("done") + declaring("total").replace("office.figure", "office.total")
    text += declaring("completion_rate").replace("office.figure", "office.rate")
    per_ledger = []
    for name in ("a", "b"):
        with Ledger.open(url, ledger=name) as ledger:
            per_ledger.append(ledger.followup_rollup(period="2024"))
    with Ledger.open_many(url, names=["a", "b"]) as street:
        rolled = {r.id: r.value for r in street.indicators(loads(text), period="2024")}
    done = sum(r.done.value or 0 for r in per_ledger)
    total = sum(r.total.value or 0 for r in per_ledger)
    assert rolled["office.figure"] == done
    assert rolled["office.total"] == total
    assert str(rolled["office.rate"]) == f"{Decimal(done) * 100 / Decimal(total):.2f}"
