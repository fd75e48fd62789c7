"""Reports over a set of ledgers: rolled-up figures, per-ledger breakdowns and seals."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.report_testkit import small_ledger, write_template

from civicledger import Ledger, LedgerSet, ValidationError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import SealMismatchError, TemplateError
from civicledger.ledgerset import LATEST_SEAL
from civicledger.reports import verify_set_report

OK, FAILED = MediationOutcome.WRITTEN_AGREEMENT, MediationOutcome.FAILED

STREET = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.items]]
  text = '''
  全街道调解纠纷{mediation.completed|exact:件}，
  其中{{ each_ledger('mediation.completed', 'exact:件') }}；
  调解成功率{mediation.success_rate|rate}。'''

  [[sections.items]]
  text = '''
  {% for l in ledgers %}{{ l }}成功{{ fig('mediation.successful', ledger=l) | exact('件') }}。
  {% endfor %}'''

  [[sections.items]]
  text = "调解最多的社区：{{ top('mediation.completed', 1, 'exact:件', by='ledger') }}。"

  [[sections.items]]
  kind = "indicators"
  by = "ledger"
  heading = "社区"
  caption = "各社区主要工作数据"
  ids = ["mediation.completed", "employment.reemployment_trainees"]
"""


TABLE_ONLY = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.items]]
  kind = "indicators"
  by = "ledger"
  ids = ["mediation.completed", "mediation.successful"]
"""


def mediation(case: str, outcome: MediationOutcome) -> MediationCompleted:
    return MediationCompleted(
        occurred_on=date(2023, 7, 1),
        case_id=case,
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=2,
        outcome=outcome,
    )


def street_ledgers(url: str) -> None:
    """Two communities: 荷花 has the small ledger's events, 莲花 two more mediations."""
    template = small_ledger()
    with Ledger.open(url, "和平街道/荷花社区") as hehua:
        for record in template.read():
            hehua.append(record.stream, [record.payload], actor="clerk")
        hehua.seal()
    with Ledger.open(url, "和平街道/莲花社区") as lianhua:
        lianhua.append("m/1", [mediation("L-1", OK)], actor="clerk")
        lianhua.append("m/2", [mediation("L-2", OK)], actor="clerk")
        lianhua.append("m/3", [mediation("L-3", FAILED)], actor="clerk")
        lianhua.append("m/4", [mediation("L-4", OK)], actor="clerk")
        lianhua.seal()


@pytest.fixture
def street_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    street_ledgers(url)
    return url


def test_a_set_report_rolls_up_and_breaks_down_by_ledger(street_url: str, tmp_path: Path) -> None:
    path = write_template(tmp_path, STREET)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        report = street.report(path, period="2023", as_of=LATEST_SEAL)
    text = report.to_markdown()
    # 3 + 4 mediations; 2 + 3 successful of 7.
    assert "全街道调解纠纷[7件]" in text
    assert "荷花社区[3件]" in text
    assert "莲花社区[4件]" in text
    assert "调解成功率[达71.43%]" in text
    assert "调解最多的社区：莲花社区（[4件]" in text
    (table,) = [i.table for _, i in report.walk_items() if i.table is not None]
    assert table.columns[:2] == ("序号", "社区")
    assert [row[1][0].text for row in table.rows] == ["荷花社区", "莲花社区", "合计"]
    assert [row[2][0].text for row in table.rows] == ["3", "4", "7"]
    assert [row[3][0].text for row in table.rows] == ["283", "0", "283"]
    # Every rolled-up figure is followed by its ledgers' figures, which name their events.
    entries = {e.ref: e for e in report.figures}
    rolled = entries["F1"]
    assert rolled.parts == ("F1-1", "F1-2")
    assert [entries[r].ledger for r in rolled.parts] == ["和平街道/荷花社区", "和平街道/莲花社区"]
    assert len(entries["F1-2"].lineage["contributions"]) == 4
    assert [p["ref"] for p in rolled.lineage["ledgers"]] == ["F1-1", "F1-2"]
    html = report.to_html()
    assert 'href="#F1-2"' in html
    assert "[F1-2](#f1-2)" in text
    report.to_docx(tmp_path / "street.docx")
    assert (tmp_path / "street.docx").stat().st_size > 0
    report.to_xlsx(tmp_path / "street.xlsx")
    assert (tmp_path / "street.xlsx").stat().st_size > 0


def test_a_sealed_set_report_embeds_every_seal_and_renders_again_byte_for_byte(
    street_url: str, tmp_path: Path
) -> None:
    path = write_template(tmp_path, STREET)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        first = street.report(path, period="2023", as_of=LATEST_SEAL).to_json()
        seals = {ledger.name: ledger.seals()[-1] for ledger in street}
    data = json.loads(first)
    assert data["format"] == "civicledger-rollup-report/1"
    assert "as_of" not in data
    assert [(s["name"], s["tree_size"]) for s in data["ledgers"]] == [
        ("和平街道/荷花社区", 19),
        ("和平街道/莲花社区", 4),
    ]
    assert all(s["checkpoint"] == seals[s["name"]].text for s in data["ledgers"])
    # Later events and a later seal do not change the report read at the earlier seals.
    with Ledger.open(street_url, "和平街道/莲花社区") as lianhua:
        lianhua.append("m/5", [mediation("L-5", OK)], actor="clerk")
        lianhua.seal()
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        again = street.report(path, period="2023", as_of=seals).to_json()
        assert again == first
        check = verify_set_report(first, street)
        assert check.ok, check.problems
        latest = street.report(path, period="2023", as_of=LATEST_SEAL).to_json()
        assert latest != first


def test_verify_set_report_names_the_figure_and_ledger_that_differ(
    street_url: str, tmp_path: Path
) -> None:
    path = write_template(tmp_path, STREET)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        data = json.loads(street.report(path, period="2023", as_of=LATEST_SEAL).to_json())
        data["figures"][0]["value"] = "8"
        check = verify_set_report(data, street)
        assert not check.ok
        assert any("F1" in p for p in check.problems)
        data["ledgers"][1]["name"] = "和平街道/别的社区"
        check = verify_set_report(data, street)
        assert not check.ok
        assert any("和平街道/别的社区" in p for p in check.problems)


def test_bad_input_names_the_ledger(street_url: str, tmp_path: Path) -> None:
    path = write_template(tmp_path, STREET)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        hehua_seal = street["和平街道/荷花社区"].seals()[-1]
        with pytest.raises(ValidationError, match=r"莲花社区.*another ledger"):
            street.report(path, period="2023", as_of={"和平街道/莲花社区": hehua_seal})
        with pytest.raises(ValidationError, match="和平街道/typo"):
            street.report(path, period="2023", as_of={"和平街道/typo": hehua_seal})
        with pytest.raises(ValidationError, match=r"'和平街道/莲花社区': as_of position 99"):
            street.report(path, period="2023", as_of={"和平街道/莲花社区": 99})
        bad = write_template(
            tmp_path,
            "[[sections]]\nkey='a'\nheading='a'\n[[sections.items]]\n"
            "text = \"{{ fig('mediation.completed', ledger='幸福社区') | exact }}\"\n",
        )
        with pytest.raises(TemplateError, match=r"幸福社区.*荷花社区"):
            street.report(bad, period="2023")


def test_a_tampered_ledger_refuses_a_report_at_its_seal(street_url: str, tmp_path: Path) -> None:
    """An insider rewrites a sealed event with raw SQL: the set report names the ledger."""
    path = write_template(tmp_path, STREET)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        seals = {ledger.name: ledger.seals()[-1] for ledger in street}
    _tamper(street_url.removeprefix("sqlite:///"), "和平街道/莲花社区", position=2)
    with (
        Ledger.open_many(street_url, prefix="和平街道/") as street,
        pytest.raises(SealMismatchError, match="莲花社区"),
    ):
        street.report(path, period="2023", as_of=seals)


def _tamper(db: str, ledger: str, *, position: int) -> None:
    """Overwrite a stored leaf hash, past the store's triggers."""
    with sqlite3.connect(db) as connection:
        triggers = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            ("civicledger_events",),
        ).fetchall()
        for (name,) in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute(
            "UPDATE civicledger_events SET leaf_hash = payload_digest WHERE position = ? AND "
            "ledger_id = (SELECT id FROM civicledger_ledgers WHERE name = ?)",
            (position, ledger),
        )


@pytest.mark.parametrize(
    "item",
    [
        "kind='indicators'\nby='ledger'\nids=['mediation.completed']",
        "text=\"{{ fig('mediation.completed', ledger='荷花社区') | exact }}\"",
        "text=\"{{ each_ledger('mediation.completed') }}\"",
        "text=\"{{ top('mediation.completed', by='ledger') }}\"",
    ],
)
def test_a_single_ledger_report_refuses_set_only_syntax(item: str, tmp_path: Path) -> None:
    path = write_template(
        tmp_path, f"[[sections]]\nkey='a'\nheading='a'\n[[sections.items]]\n{item}\n"
    )
    with pytest.raises(TemplateError, match="report over a set of ledgers"):
        small_ledger().report(path, period="2023")


def test_grouped_figures_break_down_by_ledger_for_a_named_group(
    street_url: str, tmp_path: Path
) -> None:
    body = """
[[sections]]
key = "a"
heading = "迎检"

  [[sections.items]]
  text = "市级检查通过：{{ each_ledger('inspection.passed_by_level', 'exact:次', level='city') }}。"

  [[sections.items]]
  text = "{{ top('inspection.passed_by_level', 1, by='ledger', level='city') }}"
"""
    path = write_template(tmp_path, body)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        text = street.report(path, period="2023").to_markdown()
    # Only 荷花社区 has city inspections: 莲花社区 has no figure in that group.
    assert "市级检查通过：荷花社区[2次]" in text
    assert "荷花社区（[2]" in text


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.booleans(), max_size=5), min_size=1, max_size=4))
def test_a_set_reports_total_row_is_the_sum_of_its_ledger_rows(
    communities: list[list[bool]],
) -> None:
    ledgers = []
    for number, outcomes in enumerate(communities):
        ledger = Ledger.in_memory(f"street/c{number}")
        for case, ok in enumerate(outcomes):
            ledger.append(f"m/{case}", [mediation(f"C{case}", OK if ok else FAILED)], actor="x")
        ledgers.append(ledger)
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(Path(folder), TABLE_ONLY)
        report = LedgerSet(ledgers).report(path, period="2023")
    (table,) = [i.table for _, i in report.walk_items() if i.table is not None]
    counts = [int(row[2][0].text) for row in table.rows]
    assert counts[:-1] == [len(o) for o in communities]
    assert counts[-1] == sum(counts[:-1])


FOLLOWUPS = """
[[sections]]
key = "followups"
heading = "整改"

  [[sections.items]]
  kind = "followups"
  style = "table"
  heading = "社区"
"""


def test_equal_problem_ids_in_two_ledgers_stay_two_problems(
    street_url: str, tmp_path: Path
) -> None:
    """Both communities call a problem P1: the street's table lists both, each naming its
    community, and the JSON rows carry the ledger."""
    from civicledger.catalog.followups import ProblemIdentified, ProblemSource

    with Ledger.open(street_url, "和平街道/莲花社区") as lianhua:
        problem = ProblemIdentified(
            occurred_on=date(2023, 12, 3),
            problem_id="P1",
            source=ProblemSource.SELF_REVIEW,
            description="楼道照明不足",
            category="民生服务",
        )
        lianhua.append("problem/P1", [problem], actor="secretary")
    path = write_template(tmp_path, FOLLOWUPS)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        report = street.report(path, period="2023")
        rows = street.followups("2023")
    (table,) = [i.table for _, i in report.walk_items() if i.table is not None]
    assert table.columns[:3] == ("序号", "社区", "问题")
    assert [(row[1][0].text, row[2][0].text) for row in table.rows] == [
        ("荷花社区", "外出登记存在漏登"),
        ("荷花社区", "支部活力不足。"),
        ("莲花社区", "楼道照明不足"),
    ]
    data = json.loads(report.to_json())
    assert [(r["ledger"], r["problem_id"]) for r in data["followups"]] == [
        ("荷花社区", "荷花社区/P1"),
        ("荷花社区", "荷花社区/P2"),
        ("莲花社区", "莲花社区/P1"),
    ]
    assert [(r.ledger, r.followup.problem_id) for r in rows] == [
        ("和平街道/荷花社区", "P1"),
        ("和平街道/荷花社区", "P2"),
        ("和平街道/莲花社区", "P1"),
    ]


def test_an_absence_claim_searches_every_ledger_up_to_its_own_seal(
    street_url: str, tmp_path: Path
) -> None:
    body = """
[[sections]]
key = "a"
heading = "安全"

  [[sections.items]]
  kind = "absence"
  types = ["inspection_failed"]
  text = "全年各社区迎检未出现不合格。"
"""
    path = write_template(tmp_path, body)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        report = street.report(path, period="2023", as_of=LATEST_SEAL)
    ((_, item),) = report.walk_items()
    assert item.lineage is not None
    assert item.lineage["searched_up_to"] == {"和平街道/荷花社区": 19, "和平街道/莲花社区": 4}
    assert item.lineage["found"] == []


def test_two_ledgers_holding_one_note_are_refused_naming_both(
    street_url: str, tmp_path: Path
) -> None:
    from civicledger.catalog.notes import NarrativeNoteRecorded

    body = """
[[sections]]
key = "civil"
heading = "民政"

  [[sections.items]]
  kind = "note"
  section = "civil_affairs"
"""
    path = write_template(tmp_path, body)
    with Ledger.open_many(street_url, prefix="和平街道/") as street:
        report = street.report(path, period="2023")  # the notes of 荷花社区 alone
        assert "一户一策" in report.to_markdown()
    with Ledger.open(street_url, "和平街道/莲花社区") as lianhua:
        note = NarrativeNoteRecorded(
            occurred_on=date(2023, 6, 1),
            section="civil_affairs",
            key="hardship",
            text="走访困难家庭。",
            author="李某",
        )
        lianhua.append("notes", [note], actor="secretary")
    with (
        Ledger.open_many(street_url, prefix="和平街道/") as street,
        pytest.raises(ValidationError, match=r"荷花社区.*莲花社区.*hardship"),
    ):
        street.report(path, period="2023")
