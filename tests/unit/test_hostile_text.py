"""Control characters and line breaks (issue 17, item 3).

U+0001 or NUL in a note was accepted, after which every DOCX/XLSX render failed
with a traceback, forever; a line break in a note injected a Markdown heading.
Recording now refuses control characters (and line breaks in one-line fields),
naming the field; text already stored is rendered safely by every renderer.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import Event, ValidationError, event, field
from civicledger.catalog import (
    NarrativeNoteRecorded,
    ProblemIdentified,
    ProblemSource,
    RectificationProgressed,
)
from civicledger.followups import problem_stream
from civicledger.ledger import Ledger
from report_testkit import small_ledger, write_template

HOSTILE = "开展走访\x01\x00。\n# 注入的标题\n- 注入的列表\n1. 注入的编号"


def identified(**changes: object) -> ProblemIdentified:
    values: dict[str, object] = {
        "occurred_on": date(2023, 3, 1),
        "problem_id": "P1",
        "source": ProblemSource.INSPECTION,
        "description": "台账不全",
        "category": "作风建设",
    }
    return ProblemIdentified(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field_name", "message"),
    [
        ({"description": "台账\x01不全"}, "description", "control character U+0001 at position 3"),
        ({"description": "台账\x00"}, "description", "control character U+0000"),
        ({"description": "台账\r\n不全"}, "description", "control character U+000D"),
        ({"category": "作风\n建设"}, "category", "line break at position 3"),
        ({"category": "作风\x7f"}, "category", "control character U+007F"),
    ],
)
def test_recording_refuses_control_characters_naming_the_field(
    changes: dict[str, object], field_name: str, message: str
) -> None:
    """The append is refused with the event type and field named; nothing is written."""
    with Ledger.in_memory() as ledger:
        with pytest.raises(ValidationError) as caught:
            ledger.append(problem_stream("P1"), [identified(**changes)], actor="clerk")
        assert caught.value.field == field_name
        assert f"problem_identified.{field_name}: " in str(caught.value)
        assert message in str(caught.value)
        assert ledger.head() == 0


def test_multiline_fields_take_line_breaks_and_tabs() -> None:
    """A note or description may hold several lines and tabs; a one-line field a tab."""
    with Ledger.in_memory() as ledger:
        ledger.append(
            problem_stream("P1"),
            [identified(description="第一行\n第二行\t续", category="作风\t建设")],
            actor="clerk",
        )
        [record] = ledger.read()
        assert record.payload.description == "第一行\n第二行\t续"  # type: ignore[attr-defined]


@event("test.hostile_text_planned")
class _Planned(Event):
    title: str
    details: str = field(multiline=True)
    tags: tuple[str, ...] = field(default=())


def test_user_event_types_declare_multiline_fields() -> None:
    """Text fields hold one line unless declared multiline; tuple items are checked too."""
    with Ledger.in_memory() as ledger:
        ok = _Planned(occurred_on=date(2023, 1, 1), title="t", details="a\nb", tags=("x",))
        ledger.append("s", [ok], actor="clerk")
        two_lines = _Planned(occurred_on=date(2023, 1, 1), title="a\nb", details="d")
        with pytest.raises(ValidationError, match=r"\.title: contains a line break"):
            ledger.append("s", [two_lines], actor="clerk")
        control = _Planned(occurred_on=date(2023, 1, 1), title="t", details="d", tags=("x", "\x02"))
        with pytest.raises(ValidationError, match=r"\.tags\[1\]: contains the control"):
            ledger.append("s", [control], actor="clerk")


def test_imports_refuse_control_characters_by_line_and_field(tmp_path: Path) -> None:
    """A JSON Lines line and a follow-up sheet cell with U+0001 are refused, naming the field."""
    path = tmp_path / "events.jsonl"
    payload = {
        "occurred_on": "2023-03-01",
        "problem_id": "P1",
        "source": "inspection",
        "description": "台账\u0001不全",
        "category": "作风建设",
    }
    line = {
        "stream": "problem/P1",
        "type": "problem_identified",
        "schema_version": 1,
        "actor": "clerk",
        "payload": payload,
    }
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with Ledger.in_memory() as ledger:
        with pytest.raises(ValidationError, match=r"problem_identified\.description: contains"):
            ledger.import_jsonl(path)
        assert ledger.head() == 0
        ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        sheet = tmp_path / "ledger.csv"
        ledger.export_followups(sheet, on=date(2023, 12, 31))
        with sheet.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        progress = rows[0].index("整改进展")
        rows[1][progress] = "已整改\x01"
        rows[1][rows[0].index("更新日期")] = "2023-04-01"
        with sheet.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        with pytest.raises(ValidationError, match=r"rectification_progressed\.note: contains"):
            ledger.import_followups(sheet, actor="clerk")
        assert ledger.head() == 1


def old_ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """A ledger holding hostile text, as one recorded before the check existed could."""
    ledger = small_ledger()
    for cls in (NarrativeNoteRecorded, ProblemIdentified, RectificationProgressed):
        monkeypatch.setattr(cls, "__recording_checks__", ())
    ledger.append(
        "notes",
        [
            NarrativeNoteRecorded(
                occurred_on=date(2023, 10, 1),
                section="civil_affairs",
                key="hardship",
                text=HOSTILE,
                author="王某",
            )
        ],
        actor="secretary",
    )
    ledger.append(
        problem_stream("P7"),
        [
            identified(problem_id="P7", description=HOSTILE, category="作风\x0b建设"),
            RectificationProgressed(
                occurred_on=date(2023, 12, 5), problem_id="P7", note=HOSTILE, percent=10
            ),
        ],
        actor="clerk",
    )
    monkeypatch.undo()
    return ledger


TEMPLATE = """
[[sections]]
key = "civil"
heading = "民政工作"

  [[sections.items]]
  kind = "note"
  section = "civil_affairs"
  key = "hardship"

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


def test_every_renderer_is_safe_for_text_already_stored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Reading still works, and Markdown, HTML, JSON, DOCX, XLSX and CSV all render."""
    ledger = old_ledger(monkeypatch)
    assert any("\x01" in getattr(r.payload, "text", "") for r in ledger.read())
    report = ledger.report(write_template(tmp_path, TEMPLATE), period="2023")
    markdown = report.to_markdown()
    assert HOSTILE.split("\n")[0].replace("\x01\x00", "\ufffd\ufffd") in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert not [h for h in headings if "注入" in h]
    assert not re.search(r"^\s*(- |1\. )注入", markdown, flags=re.MULTILINE)
    page = report.to_html()
    assert "注入的标题" in page
    assert "\x01" not in page
    assert "\x00" not in page
    assert HOSTILE in _strings(json.loads(report.to_json()))
    report.to_docx(tmp_path / "report.docx")
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "report.docx")).paragraphs)
    assert "开展走访\ufffd\ufffd" in text
    report.to_xlsx(tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert any("注入的标题" in str(c.value) for row in book["整改台账"].iter_rows() for c in row)
    ledger.export_followups(tmp_path / "ledger.xlsx", on=date(2023, 12, 31))
    ledger.export_followups(tmp_path / "ledger.csv", on=date(2023, 12, 31))
    assert "注入的标题" in (tmp_path / "ledger.csv").read_text(encoding="utf-8-sig")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@given(st.text(max_size=40))
def test_markdown_keeps_any_note_inside_its_paragraph(text: str) -> None:
    """Whatever a stored text holds, it renders as one line of one paragraph."""
    from civicledger.reports.model import Item, Text
    from civicledger.reports.render.markdown import _item

    lines = _item(Item("sentence", "", (Text(text),)))
    assert len(lines) == 2
    assert lines[1] == ""
    assert "\n" not in lines[0]
    assert not re.match(r"\s*([#>+=_~-]|\d+[.)])", lines[0])


def test_a_stored_fence_cannot_close_an_explanation_block() -> None:
    """Text with a run of backticks stays inside the block it is shown in."""
    from civicledger.reports.render.markdown import _fenced

    block = _fenced("分组 x\n```\n# 注入\n````")
    assert block[0] == "`````text"
    assert block[-1] == "`````"
    assert all(not line.startswith("`````") for line in block[1:-1])


def test_a_correction_cannot_bring_control_characters_in() -> None:
    """The replacement payload of a correction is held to the same text rules."""
    with Ledger.in_memory() as ledger:
        [record] = ledger.append(problem_stream("P1"), [identified()], actor="clerk")
        with pytest.raises(ValidationError, match=r"problem_identified\.description: contains"):
            ledger.correct(
                record.event_id, identified(description="台账\x01"), reason="改", actor="clerk"
            )
        assert ledger.head() == 1
