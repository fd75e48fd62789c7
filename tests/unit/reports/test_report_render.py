"""Renderers: Markdown, HTML, JSON, DOCX and XLSX show the same computed report."""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path

import docx
import openpyxl
import pytest

from civicledger.reports import Report
from report_testkit import small_ledger, write_template

BODY = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.sections]]
  key = "civil"
  heading = "劳动保障"
  intro = "围绕就业开展工作。"

    [[sections.sections.items]]
    text = '''
    举办再就业培训{employment.reemployment_sessions|exact:次}，
    培训{employment.reemployment_trainees|approx:人}。'''

    [[sections.sections.items]]
    text = "调解成功率{mediation.success_rate|rate}，见附表。"

    [[sections.sections.items]]
    kind = "indicators"
    caption = "主要数据"
    ids = ["employment.reemployment_trainees", "mediation.completed"]

[[sections]]
key = "problems"
heading = "存在问题"

  [[sections.items]]
  kind = "followups"

  [[sections.items]]
  kind = "followups"
  style = "table"
  caption = "整改台账"
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A report with a sub-section, sentences, an indicator table and follow-ups."""
    folder = tmp_path_factory.mktemp("render")
    return small_ledger().report(write_template(folder, BODY), year=2023)


def test_markdown_links_each_number_to_its_appendix_anchor(report: Report) -> None:
    """Numbers are Markdown links whose title holds the exact value; anchors exist for each ref."""
    text = report.to_markdown()
    assert '[280余人](#f2 "精确值 283；表述规则 approx:余:precision=10+人；见 F2")' in text
    for entry in report.figures:
        assert f'<a id="{entry.ref.lower()}"></a>' in text
    assert "### （一）劳动保障" in text
    assert "一是举办再就业培训" in text


class _Links(html.parser.HTMLParser):
    """Collects number links and element ids from an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("class") == "fig":
            self.links.append(found)
        for name in ("src", "href"):
            value = found.get(name)
            if value and not value.startswith("#"):
                self.external.append(value)


def test_html_is_self_contained_and_every_number_links_to_a_derivation(report: Report) -> None:
    """No external resource; each a.fig points at an appendix section that exists."""
    parser = _Links()
    parser.feed(report.to_html())
    assert parser.external == []
    assert len(parser.links) >= 4
    for link in parser.links:
        assert link["href"] == f"#{link['data-ref']}"
        assert link["data-ref"] in parser.ids
        assert "精确值" in str(link["title"])
    trainees = next(link for link in parser.links if link["data-exact"] == "283")
    assert trainees["data-ref"] == "F2"


def test_html_appendix_shows_the_contributing_events(report: Report) -> None:
    """The derivation of 280余人 lists the four trainings' positions and amounts."""
    page = report.to_html()
    entry = page[page.index('<section class="derivation" id="F2">') :]
    entry = entry[: entry.index("</section>")]
    for amount in ("70", "71", "72"):
        assert amount in entry
    assert "283" in entry


def test_html_escapes_text(report: Report, tmp_path: Path) -> None:
    """Text from the template and the ledger is escaped, never markup."""
    body = BODY.replace("围绕就业开展工作。", "<script>alert(1)</script>")
    escaped = small_ledger().report(write_template(tmp_path, body), year=2023).to_html()
    assert "<script>alert(1)</script>" not in escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in escaped


def test_json_carries_structure_spans_and_lineage(report: Report) -> None:
    """The JSON holds every section, item, span and figure lineage, in reading order."""
    data = json.loads(report.to_json())
    assert data["format"] == "civicledger-report/2"
    sub = data["sections"][0]["sections"][0]
    assert sub["marker"] == "（一）"
    assert sub["intro"][0]["text"] == "围绕就业开展工作。"
    first = sub["items"][0]
    assert first["marker"] == "一是"
    assert first["spans"][1] == {"num": "4次", "exact": "4", "rule": "exact+次", "ref": "F1"}
    figure = data["figures"][1]
    assert figure["indicator"] == "employment.reemployment_trainees"
    assert [c["amount"] for c in figure["lineage"]["contributions"]] == [70, 71, 72, 70]
    assert "explanation" not in figure


def test_docx_has_headings_numbered_paragraphs_and_tables(report: Report, tmp_path: Path) -> None:
    """Read back with python-docx: title, headings with markers, 一是 paragraphs, tables."""
    path = tmp_path / "report.docx"
    report.to_docx(path)
    document = docx.Document(str(path))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[:4] == [
        "测试社区2023年度工作报告",
        "一、工作开展情况",
        "（一）劳动保障",
        "二、存在问题",
    ]
    texts = [p.text for p in document.paragraphs]
    assert "一是举办再就业培训4次，培训280余人。" in texts
    assert "二是调解成功率达66.67%，见附表。" in texts
    tables = document.tables
    assert [c.text for c in tables[0].rows[0].cells] == [
        "序号",
        "指标",
        "编号",
        "分组",
        "数值",
        "单位",
    ]
    assert tables[0].rows[1].cells[4].text == "283"
    assert tables[1].rows[1].cells[5].text == "正在整改"
    assert tables[-1].rows[0].cells[0].text == "编号"  # the appendix
    assert document.core_properties.title == "测试社区2023年度工作报告"


def test_xlsx_has_figure_and_followup_sheets_with_chinese_headers(
    report: Report, tmp_path: Path
) -> None:
    """Read back with openpyxl: 指标 and 整改台账 sheets, whole numbers as numbers."""
    path = tmp_path / "report.xlsx"
    report.to_xlsx(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["指标", "整改台账", "说明"]
    figures = list(book["指标"].iter_rows(values_only=True))
    assert figures[0][:3] == ("编号", "指标编号", "指标名称")
    trainees = next(row for row in figures if row[1] == "employment.reemployment_trainees")
    assert trainees[5] == 283
    assert trainees[7] == 4
    rate = next(row for row in figures if row[1] == "mediation.success_rate")
    assert rate[5] == "66.67"  # decimals stay exact text, never a float
    followups = list(book["整改台账"].iter_rows(values_only=True))
    assert followups[0][0] == "问题编号"
    assert followups[0][8] == "整改状态"
    assert [row[0] for row in followups[1:]] == ["P1", "P2"]
    assert followups[1][9] == 60


def test_office_files_carry_no_clock_time(report: Report, tmp_path: Path) -> None:
    """DOCX and XLSX metadata dates are the period's end, and zip entries have a fixed time."""
    import zipfile

    for suffix, write in (("docx", Report.to_docx), ("xlsx", Report.to_xlsx)):
        path = tmp_path / f"r.{suffix}"
        write(report, path)
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            core = archive.read("docProps/core.xml").decode()
        assert re.findall(r"<dcterms:modified[^>]*>([^<]*)<", core) == ["2023-12-31T00:00:00Z"]


def test_verify_report_refuses_what_is_not_a_report() -> None:
    """Text that is not a civicledger report's JSON is a ValidationError naming the problem."""
    from civicledger.errors import ValidationError
    from civicledger.reports import verify_report

    ledger = small_ledger()
    with pytest.raises(ValidationError, match="not valid JSON"):
        verify_report("{not json", ledger)
    with pytest.raises(ValidationError, match="format must be"):
        verify_report('{"format": "something-else"}', ledger)


def test_verify_report_checks_an_unsealed_report_as_of_its_position(tmp_path: Path) -> None:
    """A report without a seal is checked as of its position; other events do not pass."""
    from civicledger.reports import verify_report

    ledger = small_ledger()
    published = ledger.report(write_template(tmp_path, BODY), year=2023).to_json()
    check = verify_report(published, ledger)
    assert check.ok, str(check)
    assert check.position == ledger.head()
    lookalike = verify_report(published, small_ledger())  # same facts, other event ids
    assert not lookalike.ok
    assert "lineage differs at lineage.contributions[0].event_id" in lookalike.problems[0]
