"""Per-ledger series in set reports: charts with ``by_ledger = true`` and follow-up
figures broken down by ledger (``style = "by_ledger"``), through every renderer, the
set report's verification and its evidence bundle."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
from tests.report_testkit import small_ledger, write_template

from civicledger import Ledger, LedgerSet
from civicledger.audit import Signer
from civicledger.catalog.followups import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemResolved,
    ProblemSource,
)
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import TemplateError
from civicledger.ledgerset import LATEST_SEAL
from civicledger.reports import Report, verify_set_report
from civicledger.reports.render import chart

HEHUA, LIANHUA = "和平街道/荷花社区", "和平街道/莲花社区"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "charts"

BREAKDOWNS = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.items]]
  kind = "chart"
  chart = "line"
  by = "quarter"
  by_ledger = true
  caption = "各社区逐季调解纠纷件数"
  ids = ["mediation.completed"]

  [[sections.items]]
  kind = "chart"
  chart = "grouped_bar"
  by_ledger = true
  caption = "各社区调解情况"
  ids = ["mediation.completed", "mediation.successful"]

  [[sections.items]]
  kind = "followups"
  style = "by_ledger"
  heading = "社区"
  caption = "各社区整改完成情况"

  [[sections.items]]
  text = '''
  整改完成率{followups.completion_rate|rate}，
  其中{{ each_ledger('followups.total', 'exact:个') }}；
  莲花社区已整改{{ fig('followups.done', ledger='莲花社区') | exact('个') }}。'''
"""


def _mediation(case: str, day: date, ok: bool) -> MediationCompleted:
    outcome = MediationOutcome.WRITTEN_AGREEMENT if ok else MediationOutcome.FAILED
    return MediationCompleted(
        occurred_on=day,
        case_id=case,
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=2,
        outcome=outcome,
    )


def _street(url: str, keys: dict[str, Signer] | None = None) -> None:
    """荷花: the small ledger (3 mediations in May, two open problems); 莲花: mediations
    in three quarters and one problem found and done. Each sealed (by its key if given)."""
    with small_ledger() as template, Ledger.open(url, HEHUA) as hehua:
        for record in template.read():
            hehua.append(record.stream, [record.payload], actor="clerk")
        hehua.seal(keys[HEHUA] if keys else None)
    with Ledger.open(url, LIANHUA) as lianhua:
        days = [date(2023, 2, 1), date(2023, 7, 1), date(2023, 7, 2), date(2023, 11, 3)]
        for number, day in enumerate(days, start=1):
            lianhua.append(f"m/{number}", [_mediation(f"L-{number}", day, number != 3)], actor="x")
        found = ProblemIdentified(
            occurred_on=date(2023, 3, 1),
            problem_id="L1",
            source=ProblemSource.ANNUAL_REPORT,
            description="油烟扰民",
            category="环境",
        )
        done = ProblemResolved(
            occurred_on=date(2023, 4, 1), problem_id="L1", status=FollowUpStatus.DONE
        )
        lianhua.append("problem/L1", [found, done], actor="x")
        lianhua.seal(keys[LIANHUA] if keys else None)


@pytest.fixture
def street_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    _street(url)
    return url


def _report(url: str, folder: Path, body: str = BREAKDOWNS) -> Report:
    path = write_template(folder, body)
    with Ledger.open_many(url, prefix="和平街道/") as street:
        return street.report(path, period="2023", as_of=LATEST_SEAL)


def _tables(report: Report) -> list:
    return [item.table for _, item in report.walk_items() if item.table is not None]


def test_a_line_chart_by_ledger_draws_each_ledgers_own_figure_per_step(
    street_url: str, tmp_path: Path
) -> None:
    report = _report(street_url, tmp_path)
    line = _tables(report)[0]
    assert line.kind == "chart.line"
    assert line.columns == ("项目", "荷花社区", "莲花社区", "单位")
    assert [row[0][0].text for row in line.rows] == ["第一季度", "第二季度", "第三季度", "第四季度"]
    values = [[row[i][0].text for row in line.rows] for i in (1, 2)]
    assert values == [["0", "3", "0", "0"], ["1", "0", "2", "1"]]
    # Each point is its ledger's figure: an appendix entry of its own under the step's
    # rolled-up figure, whose contributions are that ledger's events.
    entries = {e.ref: e for e in report.figures}
    point = line.rows[1][1][0]
    entry = entries[point.ref]
    assert entry.ledger == HEHUA
    assert entry.period == "2023-Q2"
    assert entry.value == "3"
    assert len(entry.lineage["contributions"]) == 3
    rolled = entries[point.ref.split("-")[0]]
    assert rolled.period == "2023-Q2"
    assert point.ref in rolled.parts
    assert rolled.value == "3"
    # The steps' ledger figures add up to the period's.
    assert sum(int(v) for v in values[1]) == 4


def test_a_grouped_bar_by_ledger_clusters_each_ledger(street_url: str, tmp_path: Path) -> None:
    report = _report(street_url, tmp_path)
    bars = _tables(report)[1]
    assert bars.kind == "chart.grouped_bar"
    assert bars.columns == ("项目", "调解纠纷", "调解成功", "单位")
    rows = [[cell[0].text for cell in row] for row in bars.rows]
    assert rows == [["荷花社区", "3", "2", "件"], ["莲花社区", "4", "3", "件"]]
    entries = {e.ref: e for e in report.figures}
    assert {entries[row[1][0].ref].ledger for row in bars.rows} == {HEHUA, LIANHUA}


def test_follow_up_figures_break_down_by_ledger_with_a_total_row(
    street_url: str, tmp_path: Path
) -> None:
    report = _report(street_url, tmp_path)
    table = _tables(report)[2]
    assert table.kind == "by_ledger"
    assert table.columns == (
        "序号",
        "社区",
        "整改问题总数（个）",
        "已整改问题数（个）",
        "逾期未完成问题数（个）",
        "整改完成率（%）",
    )
    rows = [[cell[0].text for cell in row[1:]] for row in table.rows]
    assert rows == [
        ["荷花社区", "2", "0", "0", "0.00"],
        ["莲花社区", "1", "1", "0", "100.00"],
        ["合计", "3", "1", "0", "33.33"],
    ]
    # Each cell drills down to its ledger's own follow-up events (their real streams).
    entries = {e.ref: e for e in report.figures}
    done = entries[table.rows[1][3][0].ref]
    assert done.ledger == LIANHUA
    assert [c["stream"] for c in done.lineage["contributions"]] == ["problem/L1"]
    total = entries[table.rows[2][2][0].ref]
    assert total.parts == (table.rows[0][2][0].ref, table.rows[1][2][0].ref)
    assert total.lineage["combined"] == "the ledgers' counts added"
    text = report.to_markdown()
    assert "整改完成率[达33.33%]" in text
    assert "其中荷花社区[2个]" in text
    assert "莲花社区已整改[1个]" in text


def test_every_renderer_shows_the_new_items(street_url: str, tmp_path: Path) -> None:
    report = _report(street_url, tmp_path)
    html = report.to_html()
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    # The line chart: a linked point per ledger per quarter, each to a ledger's entry.
    refs = re.findall(r'class="fig" data-ref="(F\d+-\d)"', svgs[0])
    assert len(refs) == 8
    assert all(f'id="{r}"' in html for r in refs)
    data = json.loads(report.to_json())
    kinds = [i["table"]["kind"] for s in data["sections"] for i in s["items"] if i.get("table")]
    assert kinds == ["chart.line", "chart.grouped_bar", "by_ledger"]
    markdown = report.to_markdown()
    assert "| 第一季度 | [0](#f" in markdown
    assert "| 2 | 莲花社区 | [1](#f" in markdown
    report.to_docx(tmp_path / "street.docx")
    report.to_xlsx(tmp_path / "street.xlsx")
    assert (tmp_path / "street.docx").stat().st_size > 0
    assert (tmp_path / "street.xlsx").stat().st_size > 0


def test_the_line_chart_by_ledger_svg_is_the_golden_one(street_url: str, tmp_path: Path) -> None:
    """Same bytes every time; the golden file (label positions follow Noto CJK)."""
    first = re.findall(r"<svg.*?</svg>", _report(street_url, tmp_path).to_html(), re.S)[0]
    again = re.findall(r"<svg.*?</svg>", _report(street_url, tmp_path).to_html(), re.S)[0]
    assert first == again
    if not chart._cjk_fonts():
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    golden = GOLDEN / "street_mediation_by_ledger.svg"
    if os.environ.get("CIVICLEDGER_UPDATE_GOLDEN"):
        golden.write_text(first, encoding="utf-8")
    assert first == golden.read_text(encoding="utf-8")


def test_verify_set_report_checks_the_ledger_figures_of_the_new_items(
    street_url: str, tmp_path: Path
) -> None:
    report = _report(street_url, tmp_path)
    text = report.to_json()
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        check = verify_set_report(text, street)
        assert check.ok, check.problems
        data = json.loads(text)
        entry = next(f for f in data["figures"] if f["indicator"] == "followups.done")
        part = next(f for f in data["figures"] if f["ref"] == entry["parts"][1])
        part["value"] = "2"
        check = verify_set_report(data, street)
    assert not check.ok
    assert any(part["ref"] in p for p in check.problems), check.problems


def test_the_bundle_checks_the_new_figures_offline(tmp_path: Path) -> None:
    from tests.evidence_testkit import run_verifier

    keys = {name: Signer.generate(f"{name.split('/')[1]}.example") for name in (HEHUA, LIANHUA)}
    url = f"sqlite:///{tmp_path / 'street.db'}"
    _street(url, keys)
    report = _report(url, tmp_path)
    (tmp_path / "street.json").write_text(report.to_json(), encoding="utf-8")
    with Ledger.open_many(url, prefix="和平街道/") as street:
        street.evidence(
            tmp_path / "street.json",
            tmp_path / "evidence.zip",
            public_keys=[k.verifier().to_text() for k in keys.values()],
        )
    result = run_verifier(tmp_path / "evidence.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "OK: every figure checked or partly checked"
    # A quarter's ledger figure is checked from its disclosed values, like any other.
    assert any(
        line.startswith(f"{LIANHUA}: ") and "mediation.completed = 2 (2): checked" in line
        for line in lines
    )
    done = [line for line in lines if line.startswith(f"{LIANHUA}: ") and "followups.done" in line]
    assert done
    assert "partly checked — a follow-up roll-up is folded" in done[0]
    assert any(
        re.match(r"F\d+ followups.total = 3: partly checked — the ledgers' counts added", line)
        for line in lines
    )


@pytest.mark.parametrize(
    ("item", "setting"),
    [
        ("kind='chart'\nby_ledger=true\nids=['mediation.completed']", "by_ledger"),
        ("kind='followups'\nstyle='by_ledger'", "style"),
    ],
)
def test_a_single_ledger_report_refuses_the_breakdowns_naming_line_and_setting(
    item: str, setting: str, tmp_path: Path
) -> None:
    path = write_template(
        tmp_path, f"[[sections]]\nkey='a'\nheading='a'\n\n[[sections.items]]\n{item}\n"
    )
    with pytest.raises(TemplateError, match=r"report.toml:\d+: .*report over a set") as caught:
        small_ledger().report(path, period="2023")
    assert caught.value.line == 9
    assert caught.value.field == f"a.items[0].{setting}"


@pytest.mark.parametrize(
    ("item", "setting", "message"),
    [
        ("kind='chart'\nby_ledger='yes'\nids=['mediation.completed']", "by_ledger", "true or"),
        (
            "kind='chart'\nby_ledger=true\nprevious_year=true\nids=['mediation.completed']",
            "previous_year",
            "a year earlier",
        ),
        ("kind='followups'\nstyle='by_ledger'\nselect='open'", "select", "does not take"),
        ("kind='followups'\nstyle='by_ledger'\ntext='x'", "text", "does not take"),
        ("kind='followups'\nstyle='by_ledger'\nids=['mediation.completed']", "ids", "follow-up"),
        ("kind='followups'\nstyle='by_ledger'\nids=[]", "ids", "follow-up"),
        ("kind='followups'\nstyle='table'\nids=['followups.total']", "ids", "only with"),
        ("kind='followups'\nstyle='pie'", "style", "'by_ledger'"),
        ("kind='followups'\nstyle='by_ledger'\nids=['followups.nope']", "ids", "unknown"),
    ],
)
def test_a_malformed_breakdown_item_names_its_line_and_setting(
    item: str, setting: str, message: str, tmp_path: Path
) -> None:
    path = write_template(
        tmp_path, f"[[sections]]\nkey='a'\nheading='a'\n\n[[sections.items]]\n{item}\n"
    )
    with pytest.raises(TemplateError, match=message) as caught:
        LedgerSet([small_ledger()]).report(path, period="2023")
    assert caught.value.line == 9
    assert caught.value.field == f"a.items[0].{setting}"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("chart='bar'\nids=['mediation.completed', 'mediation.successful']", "grouped_bar"),
        ("chart='bar'\nby='quarter'\nids=['mediation.completed']", "'grouped_bar' or 'line'"),
        (
            "chart='line'\nby='quarter'\nids=['mediation.completed', 'mediation.successful']",
            "one ungrouped figure",
        ),
    ],
)
def test_a_chart_by_ledger_that_cannot_be_drawn_names_its_line(
    street_url: str, item: str, message: str, tmp_path: Path
) -> None:
    head = "[[sections]]\nkey='a'\nheading='a'\n\n[[sections.items]]\n"
    body = f"{head}kind='chart'\nby_ledger=true\n{item}\n"
    with pytest.raises(TemplateError, match=message) as caught:
        _report(street_url, tmp_path, body)
    assert caught.value.line == 9


def test_a_one_ledger_bundle_checks_follow_up_figures_against_the_seal(tmp_path: Path) -> None:
    """Follow-up figures failed a bundle (KeyError) before: now each names its counted
    events, the auditor checks them against the envelopes and the value against them, and
    a bundle naming another event fails."""
    from tests.evidence_testkit import rewrite, run_verifier

    office = Signer.generate("example.invalid/office")
    body = "[[sections]]\nkey='a'\nheading='a'\n\n[[sections.items]]\n"
    body += "text = '问题{followups.total|exact:个}，完成率{followups.completion_rate|rate}。'\n"
    template = write_template(tmp_path, body)
    with small_ledger() as ledger:
        seal = ledger.seal(office)
        report = ledger.report(template, period="2023", as_of=seal)
        (tmp_path / "report.json").write_text(report.to_json(), encoding="utf-8")
        ledger.evidence(
            tmp_path / "report.json",
            seal,
            tmp_path / "evidence.zip",
            public_key=office.verifier().to_text(),
        )
    result = run_verifier(tmp_path / "evidence.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "F1 followups.total = 2: partly checked — a follow-up roll-up" in result.stdout

    def another_event(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        manifest["figures"][0]["events"][0]["position"] += 1
        files["manifest.json"] = json.dumps(manifest).encode()

    forged = rewrite(tmp_path / "evidence.zip", tmp_path / "forged.zip", another_event)
    result = run_verifier(forged)
    assert result.returncode == 1
    assert "F1 followups.total: FAILED — followups.total: the bundle names other events" in (
        result.stdout
    )


def test_a_set_reports_chart_against_the_year_before_draws_the_rolled_up_year(
    street_url: str, tmp_path: Path
) -> None:
    """A chart of the whole period with previous_year = true computes the year before in
    every ledger (it showed — for it before), and the report still verifies."""
    head = "[[sections]]\nkey='a'\nheading='a'\n\n[[sections.items]]\n"
    body = f"{head}kind='chart'\nprevious_year=true\nids=['mediation.completed']\n"
    report = _report(street_url, tmp_path, body)
    (table,) = _tables(report)
    assert table.columns == ("项目", "2023年", "2022年", "单位")
    assert [cell[0].text for cell in table.rows[0]] == ["调解纠纷", "7", "0", "件"]
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        check = verify_set_report(report.to_json(), street)
    assert check.ok, check.problems
