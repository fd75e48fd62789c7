"""Chart items: a bar per figure, drawn as SVG in HTML (each bar a link to its derivation)
and as a picture in DOCX, the same bytes for the same ledger and template."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from civicledger import CivicLedgerError, Ledger
from civicledger.errors import TemplateError
from civicledger.reports import Report, load_template_text
from civicledger.reports.render import chart

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"
GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "charts"

TEMPLATE = """\
[report]
title = "检查情况"
indicators = "indicators.toml"

[[sections]]
key = "inspection"
heading = "检查"

  [[sections.items]]
  kind = "chart"
  ids = ["inspection.passed_by_level"]
  caption = "各级检查通过次数"

  [[sections.items]]
  kind = "chart"
  chart = "bar"
  ids = ["meetings.party_committee", "meetings.branch_general_assembly"]
"""


def _template(text: str = TEMPLATE) -> object:
    return load_template_text(text, path=EXAMPLE / "charts.toml")


@pytest.fixture(scope="module")
def report(example_ledger: Ledger) -> Report:
    """The chart template's report of the example year."""
    return example_ledger.report(_template(), period="2023")


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def test_each_bar_links_to_its_figures_derivation(report: Report) -> None:
    """Every bar is an a.fig link whose ref is the appendix entry of that bar's figure."""
    page = report.to_html()
    first, second = _svgs(page)
    refs = re.findall(r'class="fig" data-ref="(F\d+)"', first)
    entries = {e.ref: e for e in report.figures}
    assert len(refs) == 3
    assert {entries[r].indicator for r in refs} == {"inspection.passed_by_level"}
    assert sorted(entries[r].value for r in refs) == ["16", "24", "28"]
    assert all(f'<section class="derivation" id="{r}">' in page for r in refs)
    assert len(re.findall(r'class="fig" data-ref="F\d+"', second)) == 2


def test_the_svg_has_no_date_and_is_the_same_every_time(
    report: Report, example_ledger: Ledger
) -> None:
    """Rendering twice gives the same bytes; no timestamp; the golden SVG is what we get
    (label positions follow the font's metrics, so the golden file assumes Noto CJK)."""
    again = example_ledger.report(_template(), period="2023")
    assert report.to_html() == again.to_html()
    svg = _svgs(report.to_html())[0]
    assert "<dc:date>" not in svg
    if not chart._cjk_fonts():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    golden = GOLDEN / "inspection_by_level.svg"
    if os.environ.get("CIVICLEDGER_UPDATE_GOLDEN"):
        golden.write_text(svg, encoding="utf-8")
    assert svg == golden.read_text(encoding="utf-8")


def test_two_charts_on_a_page_share_no_id(report: Report) -> None:
    """Ids inside each SVG are distinct from the other chart's."""
    first, second = (set(re.findall(r'id="([^"]+)"', s)) for s in _svgs(report.to_html()))
    assert first
    assert not first & second


def test_a_docx_holds_each_chart_as_a_picture(report: Report, tmp_path: Path) -> None:
    """The Word document has one inline PNG picture per chart, and the chart's numbers."""
    import docx

    if not chart._cjk_fonts():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    path = tmp_path / "r.docx"
    report.to_docx(path)
    document = docx.Document(str(path))
    assert len(document.inline_shapes) == 2
    images = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert all(p.blob.startswith(b"\x89PNG") for p in images)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "28" in cells


def test_json_and_markdown_keep_the_charts_numbers(report: Report) -> None:
    """Renderers that do not draw show the chart's table, each number linked."""
    data = json.loads(report.to_json())
    kinds = [i["table"]["kind"] for s in data["sections"] for i in s["items"] if i.get("table")]
    assert kinds == ["chart.bar", "chart.bar"]
    assert "各级检查通过次数" in report.to_markdown()


def test_an_unknown_chart_style_is_refused_naming_the_field() -> None:
    """chart = "pie" is a template error at its line naming the setting."""
    with pytest.raises(TemplateError, match="chart must be one of bar, got 'pie'") as info:
        _template(TEMPLATE.replace('chart = "bar"', 'chart = "pie"'))
    assert info.value.field is not None
    assert info.value.field.endswith(".chart")
    with pytest.raises(TemplateError, match="a chart item needs 'ids'"):
        _template(TEMPLATE.replace('ids = ["inspection.passed_by_level"]', ""))


def test_without_a_cjk_font_the_png_names_the_font(
    report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DOCX with Chinese chart labels and no CJK font is refused, naming what to install."""
    monkeypatch.setattr(chart, "_cjk_fonts", list)
    with pytest.raises(CivicLedgerError, match="apt-get install fonts-noto-cjk"):
        report.to_docx(tmp_path / "r.docx")


def test_without_matplotlib_the_error_names_the_extra(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawing without matplotlib is one error naming the charts extra."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(CivicLedgerError, match=r"pip install 'civicledger\[charts\]'"):
        report.to_html()


def test_a_report_with_charts_verifies_against_its_ledger(
    report: Report, example_ledger: Ledger
) -> None:
    """verify_report rebuilds the charts' tables from the template and finds them equal."""
    from civicledger.reports import verify_report

    check = verify_report(report.to_json(), example_ledger)
    assert check.ok, check.problems


def test_an_undefined_figure_is_an_unlinked_empty_bar() -> None:
    """A figure with no value draws no bar height and no link; the others keep theirs."""
    from civicledger.reports.model import Num, Table, Text

    table = Table(
        "chart.bar",
        "",
        ("项目", "数值", "单位"),
        (
            ((Text("a"),), (Text("未定义（the previous figure is 0）"),), (Text("%"),)),
            ((Text("b"),), (Num("50", "50", "exact", "F2"),), (Text("%"),)),
        ),
    )
    svg = chart.chart_svg(table, "t")
    assert re.findall(r'data-ref="(F\d+)"', svg) == ["F2"]
