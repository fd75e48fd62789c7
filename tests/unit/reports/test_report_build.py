"""Building reports: figures phrased with their exact values, numbering, notes, absence claims,
follow-ups and indicator tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger.errors import ProjectionError, TemplateError
from civicledger.ledger import Ledger
from civicledger.reports import Num, Report, Text
from report_testkit import ONE_SECTION, small_ledger, write_template


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The small ledger, shared: reports never write to it."""
    return small_ledger()


def _report(ledger: Ledger, folder: Path, body: str) -> Report:
    return ledger.report(write_template(folder, body), year=2023)


def _one_item(text: str) -> str:
    """A one-section template body whose only item's text is ``text`` (a TOML string)."""
    return f'[[sections]]\nkey = "a"\nheading = "甲"\n\n  [[sections.items]]\n  text = {text}\n'


def _nums(report: Report) -> list[Num]:
    return [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]


def test_a_phrased_number_keeps_its_exact_value_and_rule(ledger: Ledger, tmp_path: Path) -> None:
    """280余人 carries 283 and the rule that turned it into words."""
    nums = _nums(_report(ledger, tmp_path, ONE_SECTION))
    trainees = next(n for n in nums if n.text == "280余人")
    assert trainees.exact == "283"
    assert trainees.rule == "approx:余:precision=10+人"


def test_a_rate_states_its_numerator_and_denominator(ledger: Ledger, tmp_path: Path) -> None:
    """A ratio indicator phrased as a rate keeps numerator/denominator as its exact value."""
    rate = next(n for n in _nums(_report(ledger, tmp_path, ONE_SECTION)) if n.text.startswith("达"))
    assert (rate.text, rate.exact) == ("达66.67%", "2/3")


def test_figures_are_numbered_in_order_of_first_use(ledger: Ledger, tmp_path: Path) -> None:
    """Appendix refs F1, F2 … follow the reading order, and a reused figure keeps its ref."""
    body = (
        ONE_SECTION
        + """
  [[sections.items]]
  text = "再次提到{employment.reemployment_sessions|cn:次}。"
"""
    )
    report = _report(ledger, tmp_path, body)
    assert [f.indicator for f in report.figures] == [
        "employment.reemployment_sessions",
        "employment.reemployment_trainees",
        "mediation.success_rate",
    ]
    refs = [n.ref for n in _nums(report)]
    assert refs == ["F1", "F2", "F3", "F1"]
    assert report.figures[1].lineage["value"] == 283
    assert len(report.figures[1].lineage["contributions"]) == 4


def test_items_are_enumerated_yi_shi_er_shi(ledger: Ledger, tmp_path: Path) -> None:
    """Numbered items of a section read 一是, 二是 …; sections read 一、"""
    report = _report(ledger, tmp_path, ONE_SECTION)
    section = report.sections[0]
    assert section.marker == "一、"
    assert [i.marker for i in section.items] == ["一是", "二是"]


def test_a_single_numbered_item_gets_no_marker(ledger: Ledger, tmp_path: Path) -> None:
    """一是 alone reads oddly, so one numbered item is not enumerated."""
    body = (
        '[[sections]]\nkey = "a"\nheading = "甲"\n\n  [[sections.items]]\n  text = "只有一句。"\n'
    )
    assert _report(ledger, tmp_path, body).sections[0].items[0].marker == ""


def test_plain_numbering_uses_digits(ledger: Ledger, tmp_path: Path) -> None:
    """numbering = "plain" gives 1. and (1)."""
    path = write_template(tmp_path, ONE_SECTION)
    text = path.read_text(encoding="utf-8").replace("[report]\n", '[report]\nnumbering = "plain"\n')
    path.write_text(text, encoding="utf-8")
    section = ledger.report(path, year=2023).sections[0]
    assert section.marker == "1."
    assert [i.marker for i in section.items] == ["(1)", "(2)"]


def test_a_later_note_supersedes_an_earlier_one_with_the_same_key(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Notes are the latest text per key in the period, in the order keys first appeared."""
    body = """
[[sections]]
key = "civil"
heading = "民政"

  [[sections.items]]
  kind = "note"
  section = "civil_affairs"
"""
    items = _report(ledger, tmp_path, body).sections[0].items
    assert [i.spans for i in items] == [
        (Text("常态走访困难家庭，一户一策落实帮扶。"),),
        (Text("完成医保参保任务。"),),
    ]
    assert items[0].lineage is not None
    assert items[0].lineage["key"] == "hardship"
    assert items[0].lineage["position"] > items[1].lineage["position"]  # type: ignore[index]


def test_a_missing_note_is_an_error_unless_optional(ledger: Ledger, tmp_path: Path) -> None:
    """A note the ledger lacks for the period is reported; optional = true skips it."""
    body = """
[[sections]]
key = "outlook"
heading = "打算"

  [[sections.items]]
  kind = "note"
  section = "outlook"
"""
    with pytest.raises(TemplateError, match="no narrative note recorded for section 'outlook'"):
        _report(ledger, tmp_path, body)
    optional = body + "  optional = true\n"
    assert _report(ledger, tmp_path, optional).sections[0].items == ()


ABSENCE = """
[[sections]]
key = "governance"
heading = "综合治理"

  [[sections.items]]
  kind = "absence"
  types = [{types}]
  text = "全年未发生此类事件。"
"""


def test_an_absence_claim_stands_when_the_ledger_shows_none(ledger: Ledger, tmp_path: Path) -> None:
    """The claim is printed with the types, period and position searched as its lineage."""
    item = (
        _report(ledger, tmp_path, ABSENCE.format(types='"problem_reopened"')).sections[0].items[0]
    )
    assert item.kind == "absence"
    assert item.lineage == {
        "kind": "absence",
        "types": ["problem_reopened"],
        "period": {"key": "2023", "start": "2023-01-01", "end": "2023-12-31"},
        "searched_up_to": ledger.head(),
        "found": [],
    }


def test_a_false_absence_claim_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """When the ledger has such events in the period, the claim is not printed."""
    with pytest.raises(ProjectionError, match="is false: the ledger has 3"):
        _report(ledger, tmp_path, ABSENCE.format(types='"mediation_completed"'))


def test_an_absence_claim_can_fall_back_to_an_otherwise_text(
    ledger: Ledger, tmp_path: Path
) -> None:
    """With an otherwise text, the count found is stated instead, with the events as lineage."""
    body = (
        ABSENCE.format(types='"mediation_completed"') + '  otherwise = "全年发生{{ found }}起。"\n'
    )
    item = _report(ledger, tmp_path, body).sections[0].items[0]
    assert item.spans == (Text("全年发生3起。"),)
    assert item.lineage is not None
    assert len(item.lineage["found"]) == 3


def test_an_absence_claim_must_name_a_registered_type(ledger: Ledger, tmp_path: Path) -> None:
    """A misspelt type would make any absence claim vacuously true, so it is refused."""
    with pytest.raises(TemplateError, match="unknown event type 'problem_reopend'"):
        _report(ledger, tmp_path, ABSENCE.format(types='"problem_reopend"'))


FOLLOWUPS = """
[[sections]]
key = "problems"
heading = "存在问题"
intro = "主要有{{ followup_count('identified') | cn('个') }}方面问题。"

  [[sections.items]]
  kind = "followups"
  select = "identified"

  [[sections.items]]
  kind = "followups"
  style = "table"
  caption = "整改台账（{{ year }}年）"
"""


def test_followups_are_listed_one_per_item_and_tabled(ledger: Ledger, tmp_path: Path) -> None:
    """Each problem identified in the year is an enumerated item; the table lists its measures."""
    section = _report(ledger, tmp_path, FOLLOWUPS).sections[0]
    assert section.intro[0].spans[1] == Num("两个", "2", "cn:个", None)
    listed = section.items[:2]
    assert [(i.marker, i.spans) for i in listed] == [
        ("一是", (Text("外出登记存在漏登。"),)),
        ("二是", (Text("支部活力不足。"),)),
    ]
    table = section.items[2].table
    assert table is not None
    assert table.caption == "整改台账（2023年）"
    assert table.columns[1:3] == ("问题", "整改措施")
    assert [c[0].text for c in table.rows[0]][5:] == ["正在整改", "60%"]


def test_open_followups_use_the_template_text(ledger: Ledger, tmp_path: Path) -> None:
    """A follow-up text sees the row as ``f`` (status label, Chinese due date)."""
    body = FOLLOWUPS.replace(
        'select = "identified"\n',
        'select = "open"\n  text = "{{ f.description }}（{{ f.status }}，{{ f.due_on_cn }}）"\n',
        1,
    )
    items = _report(ledger, tmp_path, body).sections[0].items
    assert items[0].spans == (Text("外出登记存在漏登（正在整改，2024年3月31日）"),)


def test_a_grouped_figure_must_name_its_group(ledger: Ledger, tmp_path: Path) -> None:
    """fig() of a grouped indicator needs the group; with it, the group's figure is phrased."""
    text = "市级{{ fig('inspection.passed_by_level', level='city') | exact('次') }}"
    body = f'[[sections]]\nkey = "a"\nheading = "甲"\n\n  [[sections.items]]\n  text = "{text}"\n'
    nums = _nums(_report(ledger, tmp_path, body))
    assert (nums[0].text, nums[0].exact) == ("2次", "2")
    bare = body.replace(", level='city'", "")
    with pytest.raises(TemplateError, match="is grouped; name a group"):
        _report(ledger, tmp_path, bare)


def test_rate_of_a_count_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """'rate' needs a ratio indicator; a count cannot be turned into a percentage."""
    body = _one_item('"{mediation.completed|rate}"')
    with pytest.raises(TemplateError, match="needs a ratio indicator"):
        _report(ledger, tmp_path, body)


def test_printing_a_figure_without_a_filter_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A raw {{ fig(...) }} would print a number with no phrasing rule, so it is an error."""
    body = _one_item("\"{{ fig('mediation.completed') }}\"")
    with pytest.raises(TemplateError, match="through a filter"):
        _report(ledger, tmp_path, body)


def test_indicator_table_lists_exact_values_linked_to_the_appendix(
    ledger: Ledger, tmp_path: Path
) -> None:
    """An indicators item is a table with Chinese headers; one row per group of a grouped one."""
    body = """
[[sections]]
key = "a"
heading = "甲"

  [[sections.items]]
  kind = "indicators"
  ids = ["employment.reemployment_trainees", "inspection.passed_by_level"]
"""
    report = _report(ledger, tmp_path, body)
    table = report.sections[0].items[0].table
    assert table is not None
    assert table.columns == ("序号", "指标", "编号", "分组", "数值", "单位")
    values = [(row[3][0].text, row[4][0]) for row in table.rows]
    assert [(g, n.text) for g, n in values] == [
        ("", "283"),
        ("level=city", "2"),
        ("level=district", "1"),
    ]
    assert all(isinstance(n, Num) and n.ref for _, n in values)
    assert len(report.figures) == 3


def test_only_events_up_to_as_of_count(tmp_path: Path) -> None:
    """A report as of a position ignores later events."""
    ledger = small_ledger()
    body = ONE_SECTION[: ONE_SECTION.index('  [[sections.items]]\n  text = "调解')]
    early = ledger.report(write_template(tmp_path, body), year=2023, as_of=2)
    nums = _nums(early)
    assert (nums[0].exact, nums[1].exact) == ("2", "141")
    assert early.as_of.position == 2
    assert early.as_of.checkpoint is None


def test_an_undefined_figure_is_reported_with_its_reason(tmp_path: Path) -> None:
    """A rate with no mediations yet is not printed as 0%: the error gives the reason."""
    with pytest.raises(TemplateError, match="not defined for 2023: the denominator"):
        small_ledger().report(write_template(tmp_path, ONE_SECTION), year=2023, as_of=2)


def test_change_compares_with_the_previous_year(tmp_path: Path) -> None:
    """'change' phrases this year's figure against last year's, both kept as the exact value."""
    from datetime import date

    from civicledger.catalog.vocabularies import TrainingProgramme
    from civicledger.catalog.welfare import TrainingHeld

    ledger = small_ledger()
    earlier = TrainingHeld(
        occurred_on=date(2022, 5, 5),
        programme=TrainingProgramme.REEMPLOYMENT,
        title="2022年培训",
        attendees=200,
    )
    ledger.append("training/2022", [earlier], actor="clerk")
    body = _one_item('"培训人数{employment.reemployment_trainees|change}。"')
    nums = _nums(_report(ledger, tmp_path, body))
    assert (nums[0].text, nums[0].exact) == ("同比增长41.50%", "283/200")
    assert nums[0].ref == "F1"


def test_as_of_beyond_the_head_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A position the ledger has not reached yet is a clear error, not an empty report."""
    from civicledger.errors import ValidationError

    with pytest.raises(ValidationError, match="is not within the ledger"):
        ledger.report(write_template(tmp_path, ONE_SECTION), year=2023, as_of=ledger.head() + 1)
