"""Chart items: bars, grouped bars and lines of figures, series and 同比 pairs, drawn as SVG
in HTML (each bar or point a link to its derivation) and as a picture in DOCX, the same
bytes for the same ledger and template; each value is the figure it shows."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from civicledger import CivicLedgerError, Ledger
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import TemplateError
from civicledger.indicators import load
from civicledger.limits import Limits
from civicledger.projections import IndicatorSet
from civicledger.reports import Report, load_template, load_template_text
from civicledger.reports.model import Num, Table, plain_text
from civicledger.reports.render import chart
from report_testkit import INDICATORS, small_ledger, write_template

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
    with pytest.raises(
        TemplateError, match="chart must be one of bar, grouped_bar, line, got 'pie'"
    ) as info:
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


# -- the example report's charts ---------------------------------------------------------


@pytest.fixture(scope="module")
def example_report(example_ledger: Ledger) -> Report:
    """The example community's 2023 report, with its three charts."""
    return example_ledger.report(EXAMPLE / "report.toml", year=2023)


def _charts(report: Report) -> list[Table]:
    return [i.table for _, i in report.walk_items() if i.kind == "chart" and i.table is not None]


def _values(table: Table) -> list[list[tuple[str, str | None]]]:
    """Each row's (exact value, ref) per series; ("—", None) where a series has no figure."""
    found = []
    for _, *cells, _ in table.rows:
        row = []
        for cell in cells:
            num = next((s for s in cell if isinstance(s, Num)), None)
            row.append((num.exact, num.ref) if num else (plain_text(cell), None))
        found.append(row)
    return found


EXAMPLE_CHARTS = ("meetings_by_month", "mediation_by_month", "inspections_by_level")


@pytest.mark.parametrize(("index", "name"), list(enumerate(EXAMPLE_CHARTS)))
def test_the_example_charts_match_their_golden_svg(
    example_report: Report, example_ledger: Ledger, index: int, name: str
) -> None:
    """Each chart of the example report is the reviewed SVG, byte for byte, every time."""
    page = example_report.to_html()
    again = example_ledger.report(EXAMPLE / "report.toml", year=2023).to_html()
    assert page == again
    svgs = _svgs(page)
    assert len(svgs) == len(EXAMPLE_CHARTS)
    svg = svgs[index]
    assert "<dc:date>" not in svg
    assert not re.search(r"20\d\d-\d\d-\d\dT", svg)  # no timestamp of any kind
    if not chart._cjk_fonts():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    golden = GOLDEN / f"{name}.svg"
    if os.environ.get("CIVICLEDGER_UPDATE_GOLDEN"):
        golden.write_text(svg, encoding="utf-8")
    assert svg == golden.read_text(encoding="utf-8")


def test_a_series_chart_shows_the_series_figures(
    example_report: Report, example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """The monthly meetings line holds ledger.series' figures, each linked to an appendix
    entry of that month; the monthly values add up to the year's figure."""
    meetings = _charts(example_report)[0]
    assert meetings.kind == "chart.line"
    assert [plain_text(r[0]) for r in meetings.rows] == [f"{m}月" for m in range(1, 13)]
    entries = {e.ref: e for e in example_report.figures}
    ids = ["meetings.party_committee", "meetings.branch_general_assembly"]
    ids.append("meetings.residents_oversight_committee")
    series = example_ledger.series(example_set.select(ids), "2023", by="month")
    values = _values(meetings)
    for column, one in enumerate(series):
        assert meetings.columns[column + 1] == one.indicator.label
        for month, figure in enumerate(one.figures):
            exact, ref = values[month][column]
            assert ref is not None
            assert exact == str(figure.value)
            assert entries[ref].indicator == one.indicator.id
            assert entries[ref].period == f"2023-{month + 1:02d}"
            assert entries[ref].value == str(figure.value)
            assert len(entries[ref].lineage["contributions"]) == len(figure.contributions)
        year = example_ledger.indicators(example_set.select([one.indicator.id]), period="2023")
        assert sum(int(values[m][column][0]) for m in range(12)) == year[0].value


def test_a_grouped_bar_chart_clusters_the_groups(
    example_report: Report, example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """Inspections passed and failed, clustered by level: each bar the figure of its group."""
    inspections = _charts(example_report)[2]
    assert inspections.kind == "chart.grouped_bar"
    assert inspections.columns == ("项目", "检查通过（按级别）", "检查未通过（按级别）", "单位")
    assert [plain_text(r[0]) for r in inspections.rows] == ["市级", "区级", "街道级"]
    ids = ["inspection.passed_by_level", "inspection.failed_by_level"]
    figures = example_ledger.indicators(example_set.select(ids), period="2023")
    expected = {(f.id, dict(f.group)["level"]): str(f.value) for f in figures}
    levels = ["city", "district", "street"]
    got = {
        (ident, level): values[column][0]
        for level, values in zip(levels, _values(inspections), strict=True)
        for column, ident in enumerate(ids)
    }
    assert got == expected


def test_a_docx_holds_each_example_chart_with_its_caption(
    example_report: Report, tmp_path: Path
) -> None:
    """Read back with python-docx: one PNG per chart, each followed by its caption; the
    same report gives the same bytes."""
    import docx

    if not chart._cjk_fonts():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    first, second = tmp_path / "a.docx", tmp_path / "b.docx"
    example_report.to_docx(first)
    example_report.to_docx(second)
    assert first.read_bytes() == second.read_bytes()
    document = docx.Document(str(first))
    assert len(document.inline_shapes) == len(EXAMPLE_CHARTS)
    images = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert len(images) == len(EXAMPLE_CHARTS)
    assert all(p.blob.startswith(b"\x89PNG") for p in images)
    texts = [p.text for p in document.paragraphs]
    for table in _charts(example_report):
        assert table.caption in texts


# -- 同比: this period against the same span a year earlier ------------------------------

TWO_YEARS = """
[[sections]]
key = "compare"
heading = "同比"

  [[sections.items]]
  kind = "chart"
  previous_year = true
  ids = ["mediation.completed", "employment.reemployment_sessions"]
  caption = "{{ year }}年与上年"

  [[sections.items]]
  kind = "chart"
  chart = "line"
  by = "quarter"
  previous_year = true
  ids = ["mediation.completed"]
"""


def _two_years() -> Ledger:
    """The small report ledger with mediations in 2022 too."""
    ledger = small_ledger()
    for number, month in enumerate((2, 5, 5, 11), start=1):
        mediation = MediationCompleted(
            occurred_on=date(2022, month, 3),
            case_id=f"TJ-2022-{number}",
            dispute_kind=DisputeKind.NEIGHBOURHOOD,
            parties=2,
            outcome=MediationOutcome.ORAL_AGREEMENT,
        )
        ledger.append(f"mediation/TJ-2022-{number}", [mediation], actor="mediator")
    return ledger


def test_a_previous_year_pair_shows_both_years_figures(tmp_path: Path) -> None:
    """Bars of 2023 beside 2022 and a line per year by quarter: each value the figure of
    its span, linked to an appendix entry of that period."""
    ledger = _two_years()
    report = ledger.report(write_template(tmp_path, TWO_YEARS), year=2023)
    bars, lines = _charts(report)
    entries = {e.ref: e for e in report.figures}
    assert bars.kind == "chart.bar"
    assert bars.columns == ("项目", "2023年", "2022年", "单位")
    assert [[v for v, _ in row] for row in _values(bars)] == [["3", "4"], ["4", "0"]]
    for row in _values(bars):
        assert [entries[ref].period for _, ref in row if ref] == ["2023", "2022"]
    assert lines.kind == "chart.line"
    assert lines.columns == ("项目", "2023年", "2022年", "单位")
    series = ledger.series(
        load(tmp_path / "indicators.toml").select(["mediation.completed"]),
        "2023",
        by="quarter",
        previous_year=True,
    )[0]
    assert series.previous is not None
    got = _values(lines)
    for quarter, (now, then) in enumerate(zip(series.figures, series.previous, strict=True)):
        assert got[quarter][0][0] == str(now.value)
        assert got[quarter][1][0] == str(then.value)
        assert entries[str(got[quarter][1][1])].period == then.period.key
    assert [v for v, _ in (row[1] for row in got)] == ["1", "2", "0", "1"]
    svg = _svgs(report.to_html())[1]
    assert len(re.findall(r'class="fig" data-ref="F\d+"', svg)) == 8  # every point a link


# -- bad chart items ----------------------------------------------------------------------

_ONE_CHART = """
[[sections]]
key = "work"
heading = "工作"

  [[sections.items]]
  kind = "chart"
  {settings}
"""


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ('chart = "pie"\n  ids = ["mediation.completed"]', "chart", "chart must be one of"),
        ('chart = "line"\n  ids = ["mediation.completed"]', "by", "a line chart draws a series"),
        ('by = "day"\n  ids = ["mediation.completed"]', "by", "by must be one of month"),
        (
            'previous_year = "yes"\n  ids = ["mediation.completed"]',
            "previous_year",
            "previous_year must be true or false",
        ),
        ('colour = "red"\n  ids = ["mediation.completed"]', "colour", "does not take 'colour'"),
        ('chart = "bar"', "ids", "a chart item needs 'ids'"),
    ],
)
def test_a_bad_chart_item_is_refused_when_loaded(
    tmp_path: Path, settings: str, field: str, message: str
) -> None:
    """Each refusal names the file, the item's line and the item's field."""
    path = write_template(tmp_path, _ONE_CHART.format(settings=settings))
    with pytest.raises(TemplateError, match=message) as info:
        load_template(path)
    assert info.value.field == f"work.items[0].{field}"
    assert info.value.line == 9
    assert "report.toml:9" in str(info.value)


@pytest.mark.parametrize(
    ("settings", "period", "field", "message"),
    [
        ('ids = ["no.such"]', "2023", "ids", "unknown indicator 'no.such' in the ids of chart"),
        (
            'by = "quarter"\n  ids = ["mediation.completed"]',
            "2023-Q2",
            "by",
            "by = 'quarter' does not divide 2023-Q2 into a series",
        ),
        (
            'by = "month"\n  ids = ["mediation.completed", "employment.reemployment_sessions"]',
            "2023",
            "ids",
            "a bar chart by month shows one figure per step",
        ),
        (
            'by = "month"\n  ids = ["followups.total"]',
            "2023",
            "ids",
            "'followups.total' is a roll-up of the rectification ledger",
        ),
        (
            'chart = "grouped_bar"\n  ids = ["mediation.completed"]',
            "2023",
            "ids",
            "'mediation.completed' has no groups",
        ),
        (
            'by = "week"\n  ids = ["mediation.completed"]',
            "2023-01..2023-11",
            "by",
            "a series is limited to 20 periods",
        ),
        (
            'previous_year = true\n  ids = ["mediation.completed"]',
            "2020-W53",
            "previous_year",
            "previous_year: ",
        ),
    ],
)
def test_a_chart_item_that_cannot_be_drawn_names_the_item_and_field(
    tmp_path: Path, settings: str, period: str, field: str, message: str
) -> None:
    """Unknown indicators, a step that does not divide the period, a layout its figures do
    not fit: one error naming the template line and the item's field; the ledger is as it
    was."""
    ledger = small_ledger(limits=Limits(series_max_periods=20))
    head = ledger.head()
    path = write_template(tmp_path, _ONE_CHART.format(settings=settings))
    with pytest.raises(TemplateError, match=re.escape(message)) as info:
        ledger.report(path, period=period)
    assert info.value.field == f"work.items[0].{field}"
    assert info.value.line == 9
    assert ledger.head() == head


def test_the_chart_items_of_the_reports_page_draw_the_example_year(
    example_ledger: Ledger,
) -> None:
    """Every chart item shown in docs/reports.md loads and draws from the example ledger."""
    page = (EXAMPLE.parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    charts = page[page.index("## Charts") : page.index("## Sealed reports")]
    blocks = re.findall(r"```toml\n(.*?)```", charts, flags=re.S)
    items = [i for b in blocks for i in re.split(r"\n\s*\n", b) if "kind" in i]
    assert len(items) >= 4
    for item in items:
        body = item.replace("[[sections.sections.items]]", "[[sections.items]]")
        text = '[report]\ntitle = "t"\nindicators = "indicators.toml"\n\n'
        text += f'[[sections]]\nkey = "s"\nheading = "h"\n\n{body}'
        report = example_ledger.report(_template(text), period="2023")
        (table,) = _charts(report)
        assert table.rows
        assert len(_svgs(report.to_html())) == 1


def test_a_grouped_bar_of_two_group_fields_clusters_by_the_first(tmp_path: Path) -> None:
    """Grouped by level, then checkpoint: a cluster per level, a bar per checkpoint; a
    checkpoint not inspected at a level has no bar there (shown as —, no link)."""
    indicators = INDICATORS + (
        '\n[[indicator]]\nid = "inspection.by_level_and_place"\nlabel = "检查通过"\n'
        'unit = "次"\nsource = ["inspection_passed"]\ngroup_by = ["level", "checkpoint"]\n'
    )
    body = _ONE_CHART.format(
        settings='chart = "grouped_bar"\n  ids = ["inspection.by_level_and_place"]'
    )
    report = small_ledger().report(write_template(tmp_path, body, indicators=indicators), year=2023)
    (table,) = _charts(report)
    assert table.columns == ("项目", "点位0", "点位1", "点位2", "单位")
    assert [plain_text(r[0]) for r in table.rows] == ["市级", "区级"]
    values = [[v for v, _ in row] for row in _values(table)]
    assert values == [["1", "1", "—"], ["—", "—", "1"]]
    svg = _svgs(report.to_html())[0]
    assert len(re.findall(r'class="fig" data-ref="F\d+"', svg)) == 3


# -- a series' appendix entries -------------------------------------------------------------

_SERIES = """\
[report]
title = "逐月数据"
indicators = "indicators.toml"
{limit}

[[sections]]
key = "work"
heading = "工作"

  [[sections.items]]
  kind = "indicators"
  ids = ["elderly.certified", "governance.key_person_visits"]

  [[sections.items]]
  kind = "chart"
  chart = "line"
  by = "month"
  ids = ["elderly.certified", "governance.key_person_visits"]
"""


def _entry_text(markdown: str, ref: str) -> str:
    """The Markdown appendix entry of one figure."""
    start = markdown.index(f'<a id="{ref.lower()}"></a>')
    end = markdown.find('<a id="', start + 1)
    return markdown[start : end if end != -1 else None]


@pytest.mark.parametrize(
    ("setting", "year_limit", "step_limit", "counts"),
    [("", 1000, 20, (11, 15)), ("appendix_limit = 10", 10, 10, (25, 1))],
)
def test_a_steps_entry_summarises_its_events_above_twenty(
    example_ledger: Ledger,
    setting: str,
    year_limit: int,
    step_limit: int,
    counts: tuple[int, int],
) -> None:
    """A chart's month lists its events one by one up to 20 (or a lower appendix_limit) and
    summarises more, so the series does not list the year's events again; the year's
    figures keep the template's limit, and the JSON lists every step's events."""
    from civicledger.reports import verify_report

    template = load_template_text(_SERIES.format(limit=setting), path=EXAMPLE / "series.toml")
    report = example_ledger.report(template, period="2023")
    markdown = report.to_markdown()
    data = {f["ref"]: f for f in json.loads(report.to_json())["figures"]}
    summarised = listed = 0
    for entry in report.figures:
        contributions = entry.lineage["contributions"]
        assert len(data[entry.ref]["lineage"]["contributions"]) == len(contributions)
        text = _entry_text(markdown, entry.ref)
        ids = [c["event_id"] for c in contributions]
        if len(ids) > (year_limit if entry.period == "2023" else step_limit):
            summarised += 1
            assert "以下为摘要" in text, entry.ref
            assert sum(i in text for i in ids) <= 7  # the first, last and largest
        else:
            listed += 1
            assert all(i in text for i in ids), entry.ref
    # elderly.certified has 21 to 36 events in each month but December, the
    # key_person_visits 14 to 18; the year's figures 312 and 191.
    assert (summarised, listed) == counts
    assert verify_report(report.to_json(), example_ledger).ok
