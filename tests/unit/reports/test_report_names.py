"""Lists of names behind a figure: order, 等N个 with a linked count, personal fields refused."""

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


@event("ntest.compound_reported", registry=REGISTRY)
class CompoundReported(Event):
    """A residential compound's renovation status, with the contact person."""

    compound: str
    status: str
    contact: str = field(personal=True)


INDICATORS = """
[[indicator]]
id = "r.done"
label = "完成改造小区"
unit = "个"
source = ["ntest.compound_reported"]
where = 'status == "done"'
measure = { count_distinct = "compound" }

[[indicator]]
id = "r.building"
label = "正在施工小区"
unit = "个"
source = ["ntest.compound_reported"]
where = 'status == "building"'
measure = { count_distinct = "compound" }

[[indicator]]
id = "r.reports"
label = "施工报告"
unit = "次"
source = ["ntest.compound_reported"]
where = 'status == "building"'
"""

REPORTS = [
    ("乙", "done"),
    ("甲", "done"),
    ("丙", "building"),
    ("丁", "building"),
    ("戊", "building"),
    ("丁", "building"),
    ("己", "building"),
    ("庚", "building"),
]


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """Two compounds done, five being built (丁 reported twice)."""
    ledger = Ledger.in_memory(origin="example.invalid/names", codec=Codec(REGISTRY))
    for n, (compound, status) in enumerate(REPORTS, start=1):
        report = CompoundReported(
            occurred_on=date(2023, 3, n), compound=compound, status=status, contact="张三"
        )
        ledger.append(f"compound/{compound}", [report], actor="clerk")
    return ledger


def _report(ledger: Ledger, folder: Path, text: str) -> Report:
    body = '[[sections]]\nkey = "a"\nheading = "甲"\n\n'
    body += f"  [[sections.items]]\n  text = '{text}'\n"
    return ledger.report(write_template(folder, body, indicators=INDICATORS), year=2023)


def _words(report: Report) -> tuple[str, list[Num]]:
    [(_, item)] = list(report.walk_items())
    nums = [s for s in item.spans if isinstance(s, Num)]
    return "".join(s.text for s in item.spans), nums


def test_all_names_then_the_count(ledger: Ledger, tmp_path: Path) -> None:
    """甲、乙2个小区完成改造: every name, in the order first recorded, then the figure."""
    text = '{{ names(fig("r.done"), "compound") }}{r.done|exact:个}小区完成改造'
    words, nums = _words(_report(ledger, tmp_path, text))
    assert words == "乙、甲2个小区完成改造"
    assert [n.exact for n in nums] == ["2"]


def test_a_long_list_is_cut_with_deng_and_a_linked_count(ledger: Ledger, tmp_path: Path) -> None:
    """丙、丁等5个: two names shown, the count of all linked to the figure's appendix entry."""
    text = '{{ names(fig("r.building"), "compound", "first", 2) }}小区正在施工'
    report = _report(ledger, tmp_path, text)
    words, [count] = _words(report)
    assert words == "丙、丁等5个小区正在施工"
    assert (count.text, count.exact, count.rule) == ("5个", "5", "names:first:exact+个")
    assert count.ref == "F1"
    assert report.figures[0].indicator == "r.building"


@pytest.mark.parametrize(
    ("order", "expected"),
    [("first", "丙、丁、戊"), ("most", "丁、丙、戊"), ("text", "丁、丙、己")],
)
def test_the_order_is_stated(ledger: Ledger, tmp_path: Path, order: str, expected: str) -> None:
    """first: as recorded; most: most events first; text: by the text."""
    text = f'{{{{ names(fig("r.reports"), "compound", "{order}", 3) }}}}'
    words, _ = _words(_report(ledger, tmp_path, text))
    assert words == expected + "等5个"


def test_a_personal_field_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """The contact person's name is personal data: listing it is refused, naming the line."""
    text = '{{ names(fig("r.done"), "contact") }}'
    with pytest.raises(TemplateError, match=r"report.toml:\d+: refused: .*contact is personal"):
        _report(ledger, tmp_path, text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{ names(fig("r.done"), "nope") }}', "has no field 'nope'"),
        ('{{ names(fig("r.done"), "compound", "random") }}', "order must be one of"),
        ('{{ names("r.done", "compound") }}', r"names\(\) takes fig"),
    ],
)
def test_bad_lists_are_refused(ledger: Ledger, tmp_path: Path, text: str, message: str) -> None:
    """An undeclared field, an unknown order or a bare id is refused."""
    with pytest.raises(TemplateError, match=message):
        _report(ledger, tmp_path, text)
