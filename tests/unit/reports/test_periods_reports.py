"""Periods through the public surface: figures, 同比/环比, relative filters, reports.

The regression at the top is the case from issue 15: a 1—11月 summary whose change
was computed with a date written into the indicator's filter printed a wrong 同比.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import docx
import pytest

from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import ProjectionError, TemplateError, ValidationError
from civicledger.indicators import loads
from civicledger.ledger import Ledger
from civicledger.projections import Indicator, Period, Ratio, compare_figures, parse_filter
from civicledger.projections.toml import dumps
from civicledger.reports import Num, verify_report

# Cases closed per month: 1—11月 of 2021 make 100, of 2022 make 106 (+6.00%);
# December adds 9 in 2021 and 5 in 2022.
MONTHLY = {2021: [9] * 10 + [10, 9], 2022: [10] * 10 + [6, 5]}

PINNED = """
[[indicator]]
id = "mediation.cases"
label = "调解纠纷"
unit = "件"
source = ["mediation_completed"]
where = 'occurred_on <= 2022-11-30'
"""

PLAIN = """
[[indicator]]
id = "mediation.cases"
label = "调解纠纷"
unit = "件"
source = ["mediation_completed"]

[[indicator]]
id = "mediation.cases_by_month"
label = "调解纠纷（分月）"
unit = "件"
source = ["mediation_completed"]
period = "month"

[[indicator]]
id = "mediation.last_month"
label = "期末当月调解纠纷"
unit = "件"
source = ["mediation_completed"]
where = 'occurred_on >= period.last_month_start'
"""

PLAIN_SET = loads(PLAIN)

SUMMARY = """
[report]
title = "测试社区{{ period }}工作总结"
indicators = "indicators.toml"

[[sections]]
key = "a"
heading = "调解"

  [[sections.items]]
  text = "{{ period }}调解纠纷{mediation.cases|exact:件}，{mediation.cases|change}。"
"""


def _cases_ledger() -> Ledger:
    ledger = Ledger.in_memory(origin="example.invalid/periods")
    number = 0
    for year, counts in MONTHLY.items():
        for month, count in enumerate(counts, start=1):
            for n in range(count):
                number += 1
                case = MediationCompleted(
                    occurred_on=date(year, month, 1 + n),
                    case_id=f"TJ-{number}",
                    dispute_kind=DisputeKind.NEIGHBOURHOOD,
                    parties=2,
                    outcome=MediationOutcome.WRITTEN_AGREEMENT,
                )
                ledger.append(f"mediation/TJ-{number}", [case], actor="mediator")
    return ledger


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return _cases_ledger()


def _template(folder: Path, indicators: str, body: str = SUMMARY) -> Path:
    (folder / "indicators.toml").write_text(textwrap.dedent(indicators), encoding="utf-8")
    path = folder / "report.toml"
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def _nums(ledger: Ledger, template: Path, period: str) -> list[Num]:
    report = ledger.report(template, period=period)
    return [s for _, item in report.walk_items() for s in item.spans if isinstance(s, Num)]


# -- the regression of issue 15 ---------------------------------------------------------


def test_the_pinned_filter_gave_a_wrong_change(ledger: Ledger) -> None:
    """What the workaround computed: 1—11月 of 2022 against all of 2021."""
    (pinned,) = loads(PINNED)
    now = ledger.compute(pinned, 2022)
    before = ledger.compute(pinned, 2021)
    assert (now.value, before.value) == (106, 109)
    assert compare_figures(now, before).change_percent == Decimal("-2.75")


def test_a_change_over_a_pinned_date_is_refused_naming_indicator_and_filter(
    ledger: Ledger, tmp_path: Path
) -> None:
    template = _template(tmp_path, PINNED)
    with pytest.raises(TemplateError) as raised:
        ledger.report(template, year=2022)
    message = str(raised.value)
    assert "report.toml:10" in message
    assert "'mediation.cases'" in message
    assert "occurred_on <= 2022-11-30" in message


def test_the_summary_over_1_11_compares_with_last_years_1_11(
    ledger: Ledger, tmp_path: Path
) -> None:
    template = _template(tmp_path, PLAIN)
    count, change = _nums(ledger, template, "2022-01..2022-11")
    assert (count.text, count.exact) == ("106件", "106")
    assert (change.text, change.exact) == ("同比增长6.00%", "106/100")
    report = ledger.report(template, period="2022-01..2022-11")
    assert report.title == "测试社区2022年1—11月工作总结"
    assert "2022年调解" not in report.to_markdown()


def test_a_filter_relative_to_the_period_moves_with_it(ledger: Ledger, tmp_path: Path) -> None:
    relative = PINNED.replace("2022-11-30", "period.end")
    template = _template(tmp_path, relative)
    count, change = _nums(ledger, template, "2022-01..2022-11")
    assert (count.exact, change.exact) == ("106", "106/100")


def test_compare_defaults_to_the_same_span_a_year_earlier(ledger: Ledger) -> None:
    cases = loads(PLAIN)["mediation.cases"]
    (comparison,) = ledger.compare(cases, "2022-01..2022-11")
    assert comparison.basis == "year"
    assert comparison.previous.period == Period.parse("2021-01..2021-11")
    assert (comparison.current.value, comparison.previous.value) == (106, 100)
    assert comparison.change_percent == Decimal("6.00")
    data = comparison.to_dict()
    assert data["periods"] == {
        "current": {"key": "2022-01..2022-11", "label": "2022年1—11月"},
        "previous": {"key": "2021-01..2021-11", "label": "2021年1—11月"},
    }
    assert data["previous"]["period"]["end"] == "2021-11-30"
    assert "2022年1—11月 106，2021年1—11月 100（同比）" in comparison.explain()
    assert "January–November 2021 = 100 (year on year)" in comparison.explain("en")


def test_compare_with_the_preceding_period(ledger: Ledger) -> None:
    cases = loads(PLAIN)["mediation.cases"]
    (comparison,) = ledger.compare(cases, "2022-01", against="period")
    assert comparison.basis == "period"
    assert comparison.previous.period == Period.month(2021, 12)
    assert (comparison.current.value, comparison.previous.value) == (10, 9)
    (given,) = ledger.compare(cases, 2022, 2020)
    assert given.basis == "given"
    assert given.previous.value == 0


def test_compare_refuses_what_has_no_counterpart(ledger: Ledger) -> None:
    cases = loads(PLAIN)["mediation.cases"]
    with pytest.raises(ValidationError, match="2019 has 52 ISO weeks"):
        ledger.compare(cases, "2020-W53")
    with pytest.raises(ValidationError, match="no preceding period of the same kind"):
        ledger.compare(cases, "..2022-10-31", against="period")
    with pytest.raises(ProjectionError, match="with itself"):
        ledger.compare(cases, "2022", "2022")
    with pytest.raises(ProjectionError, match="'year'"):
        ledger.compare(cases, "2022", against="decade")  # type: ignore[arg-type]


# -- figures take a period --------------------------------------------------------------


def test_every_figure_call_takes_any_period(ledger: Ledger) -> None:
    cases = loads(PLAIN)["mediation.cases"]
    assert ledger.compute(cases, "2022-Q4").value == 21
    assert ledger.compute(cases, "..2022-10-31").value == 100
    assert ledger.compute(cases, Period.half(2021, 2)).value == 9 * 4 + 10 + 9
    assert ledger.compute(cases, "2022-W01").period.label == "2022年第1周"
    figures = ledger.indicators(PLAIN_SET, period="2022-Q4")
    monthly = [f.period.key for f in figures if f.id == "mediation.cases_by_month"]
    assert monthly == ["2022-10", "2022-11", "2022-12"]


def test_a_period_is_named_once_and_never_assumed(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="name the period"):
        ledger.indicators(PLAIN_SET)
    with pytest.raises(ValidationError, match="name the period once"):
        ledger.indicators(PLAIN_SET, period="2022", year=2022)
    with pytest.raises(ValidationError, match="name the period"):
        ledger.report(Path("report.toml"))
    with pytest.raises(ValidationError, match="not a period"):
        ledger.indicators(PLAIN_SET, period="2022-1")
    assert ledger.indicators(PLAIN_SET, year=2022) == ledger.indicators(PLAIN_SET, period=2022)


def test_relative_filters_read_print_save_and_bind() -> None:
    where = parse_filter("occurred_on >= period.last_month_start and occurred_on <= period.end")
    assert str(where) == "occurred_on >= period.last_month_start and occurred_on <= period.end"
    saved = dumps(PLAIN_SET)
    assert "period.last_month_start" in saved
    assert loads(saved) == PLAIN_SET
    last = PLAIN_SET["mediation.last_month"]
    bound = last.for_period(Period.parse("2022-01..2022-11"))
    assert str(bound.where) == "occurred_on >= 2022-11-01"
    plain = PLAIN_SET["mediation.cases"]
    assert plain.for_period(Period.year(2022)) is plain
    with pytest.raises(ValidationError, match=r"'period\.middle' is not a period date"):
        parse_filter("occurred_on <= period.middle")
    with pytest.raises(ProjectionError, match="takes a date from the period"):
        last.where.compile()  # type: ignore[union-attr]


def test_a_relative_filter_counts_the_periods_last_month(ledger: Ledger) -> None:
    last = PLAIN_SET["mediation.last_month"]
    figure = ledger.compute(last, "2022-01..2022-11")
    assert figure.value == 6
    assert figure.to_dict()["definition"]["where"] == "occurred_on >= 2022-11-01"
    (comparison,) = ledger.compare(last, "2022-01..2022-11")
    assert comparison.previous.value == 10  # November 2021, not the same absolute date


def test_a_ratio_binds_its_parts_to_the_period() -> None:
    share = Indicator(
        "m.share",
        "末月占比",
        "%",
        measure=Ratio(PLAIN_SET["mediation.last_month"], PLAIN_SET["mediation.cases"]),
    )
    bound = share.for_period(Period.month(2022, 3))
    assert isinstance(bound.measure, Ratio)
    numerator = bound.measure.numerator
    assert isinstance(numerator, Indicator)
    assert str(numerator.where) == "occurred_on >= 2022-03-01"


# -- reports state their period ---------------------------------------------------------


def test_a_partial_year_report_cannot_print_the_year(ledger: Ledger, tmp_path: Path) -> None:
    body = SUMMARY.replace("测试社区{{ period }}工作总结", "测试社区{{ year }}年工作总结")
    template = _template(tmp_path, PLAIN, body)
    assert ledger.report(template, year=2022).title == "测试社区2022年工作总结"
    with pytest.raises(TemplateError, match=r"this report covers 2022年1—11月 .*\{\{ period \}\}"):
        ledger.report(template, period="2022-01..2022-11")


def test_a_report_states_its_period_in_header_about_and_json(
    ledger: Ledger, tmp_path: Path
) -> None:
    report = ledger.report(_template(tmp_path, PLAIN), period="2022-Q4")
    assert (report.period, report.period_label) == ("2022-Q4", "2022年第四季度")
    assert (report.period_start, report.period_end) == ("2022-10-01", "2022-12-31")
    assert report.period_label_en == "Q4 2022"
    assert "统计期间：2022年第四季度（2022-Q4，2022-10-01 至 2022-12-31）" in report.to_markdown()
    assert '"label": "2022年第四季度"' in report.to_json()
    assert report.warnings == ()
    assert '"warnings"' not in report.to_json()
    assert '<meta name="civicledger-period" content="2022-Q4" data-label="2022年第四季度"' in (
        report.to_html()
    )
    report.to_docx(tmp_path / "q4.docx")
    subject = docx.Document(str(tmp_path / "q4.docx")).core_properties.subject
    assert subject == "统计期间：2022年第四季度（2022-Q4，2022-10-01 至 2022-12-31）"


def test_a_period_the_ledger_only_partly_covers_warns(tmp_path: Path) -> None:
    ledger = Ledger.in_memory(
        origin="example.invalid/periods", clock=lambda: datetime(2022, 10, 15, 9, tzinfo=UTC)
    )
    case = MediationCompleted(
        occurred_on=date(2022, 10, 14),
        case_id="TJ-1",
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=2,
        outcome=MediationOutcome.ORAL_AGREEMENT,
    )
    ledger.append("mediation/TJ-1", [case], actor="mediator")
    template = _template(tmp_path, PLAIN, SUMMARY.replace("，{mediation.cases|change}", ""))
    report = ledger.report(template, period="2022-01..2022-11")
    (warning,) = report.warnings
    assert "2022年10月15日" in warning
    assert "2022年11月30日" in warning
    assert "2022-10-15" in warning
    assert "注意：账本最后记录的日期为2022年10月15日" in report.to_markdown()
    assert '"warnings"' in report.to_json()
    assert ledger.report(template, period="2022-Q3").warnings == ()


def test_a_report_for_any_period_verifies_against_its_ledger(
    ledger: Ledger, tmp_path: Path
) -> None:
    for period in ("2022-01..2022-11", "2022-W10", "..2022-06-30"):
        report = ledger.report(_template(tmp_path, PLAIN), period=period)
        check = verify_report(report.to_json(), ledger)
        assert check.ok, check.problems


def test_followups_default_to_today_by_the_ledgers_clock() -> None:
    ledger = Ledger.in_memory(clock=lambda: datetime(2022, 3, 4, 23, tzinfo=UTC))
    assert ledger.today() == date(2022, 3, 4)
    assert ledger.followups() == []
