"""Follow-up roll-up figures in report templates, and stock measures that name a type twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger.errors import TemplateError, ValidationError
from civicledger.followups import FIGURE_IDS, in_scope, rollup
from civicledger.indicators import count, loads
from civicledger.projections import Indicator, Period
from civicledger.reports import Num, verify_report
from report_testkit import INDICATORS, small_ledger, write_template

BODY = r"""
[[sections]]
key = "a"
heading = "问题整改"

  [[sections.items]]
  text = '''共发现问题{followups.total|exact:个}，已整改{followups.done|exact:个}，
  整改率{followups.completion_rate|rate}。'''

  [[sections.items]]
  text = '''{{ fig('followups.by_status', status='in_progress') | exact('个') }}问题正在整改，
  逾期{followups.overdue|exact:个}，问题数{followups.total|change}。'''

  [[sections.items]]
  kind = "indicators"
  ids = ["followups.by_status"]
"""


def test_follow_up_figures_read_like_indicators_with_lineage(tmp_path: Path) -> None:
    ledger = small_ledger()
    report = ledger.report(write_template(tmp_path, BODY), year=2023)
    nums = [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]
    assert [(n.text, n.exact) for n in nums[:3]] == [("2个", "2"), ("0个", "0"), ("达0.00%", "0/2")]
    assert [(n.text, n.exact) for n in nums[3:6]] == [
        ("1个", "1"),
        ("0个", "0"),
        ("上年为0，无法计算同比", "2/0"),
    ]
    rows = ledger.followups(Period.year(2023).end)
    expected = rollup(in_scope(rows, Period.year(2023)), period=Period.year(2023))
    assert nums[0].exact == str(expected.total.value)
    entries = {e.ref: e for e in report.figures}
    total = entries[nums[0].ref or ""]
    assert total.indicator == "followups.total"
    assert total.period == "2023"
    assert len(total.lineage["contributions"]) == 2
    (table,) = [i.table for _, i in report.walk_items() if i.table is not None]
    assert len(table.rows) == 7  # one row per status
    assert verify_report(report.to_json(), ledger).ok


def test_follow_up_figures_follow_the_period(tmp_path: Path) -> None:
    """Both problems of the small ledger are identified in December: none by November."""
    ledger = small_ledger()
    body = BODY.replace("，问题数{followups.total|change}", "").replace(
        "整改率{followups.completion_rate|rate}", "整改率未定义时不写"
    )
    path = write_template(tmp_path, body)
    path.write_text(path.read_text("utf-8").replace("{{ year }}年度", "{{ period }}"), "utf-8")
    report = ledger.report(path, period="2023-01..2023-11")
    nums = [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]
    assert nums[0].exact == "0"


def test_every_roll_up_figure_id_is_listed() -> None:
    ledger = small_ledger()
    rows = ledger.followups(Period.year(2023).end)
    figures = rollup(in_scope(rows, Period.year(2023)), period=Period.year(2023)).all_figures()
    assert {f.id for f in figures} == set(FIGURE_IDS)


def test_an_indicator_cannot_take_a_follow_up_figures_id(tmp_path: Path) -> None:
    clash = INDICATORS + '\n[[indicator]]\nid = "followups.total"\nlabel = "x"\nunit = "个"\n'
    clash += 'source = ["problem_identified"]\n'
    with pytest.raises(TemplateError, match=r"'followups\.total' is the name of a follow-up"):
        small_ledger().report(write_template(tmp_path, BODY, indicators=clash), year=2023)


def test_a_type_both_source_and_removed_by_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"'ptest\.group_opened' is listed both as a source"):
        Indicator(
            "g.open",
            "组",
            "个",
            source=["ptest.group_opened"],
            measure=count(removed_by=["ptest.group_opened", "ptest.group_closed"]),
        )
    text = """
[[indicator]]
id = "org.active"
label = "在册组织"
unit = "支"
source = ["organisation_registered", "organisation_dissolved"]
measure = { count_distinct = "organisation_id", removed_by = ["organisation_dissolved"] }
state = true
"""
    with pytest.raises(ValidationError, match="'organisation_dissolved' is listed both"):
        loads(text)


def test_the_follow_up_ledger_as_of_a_period_is_as_of_its_last_day() -> None:
    ledger = small_ledger()
    assert ledger.followups("2023-01..2023-11") == []
    assert ledger.followups("2023") == ledger.followups(Period.year(2023).end)
    assert len(ledger.followups(Period.quarter(2023, 4))) == 2
    with pytest.raises(ValidationError, match="not a period"):
        ledger.followups("2023-1")
