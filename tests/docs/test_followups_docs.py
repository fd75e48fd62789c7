"""docs/followups.md agrees with the code: its tables, and its worked example runs."""

from __future__ import annotations

import re
from pathlib import Path

from docs_transcripts import ROOT, blocks, run_python

from civicledger.followups import ALLOWED_FROM, COLUMNS, FollowUpStatus

DOC = (Path(__file__).resolve().parents[2] / "docs" / "followups.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]


def test_the_status_table_lists_every_status_with_its_label() -> None:
    """Each status row shows the code's key and label, in the code's order."""
    rows = table_rows(section("Statuses"))
    assert [(r[0].strip("`"), r[1]) for r in rows] == [(s.value, s.label) for s in FollowUpStatus]


def test_the_transition_table_is_the_code_s_table() -> None:
    """Each 'allowed from' cell names exactly the statuses ALLOWED_FROM holds."""
    rows = table_rows(section("Transitions"))
    documented = {
        FollowUpStatus(r[0].strip("`")): {s for s in re.findall(r"[a-z_]+", r[1]) if s != "only"}
        - {"the", "starting", "status"}
        for r in rows
    }
    assert documented == {t: {str(s) for s in f} for t, f in ALLOWED_FROM.items()}


def test_the_column_table_is_the_exported_columns() -> None:
    """The spreadsheet section lists every column, header and key, in export order."""
    rows = table_rows(section("Spreadsheets: export, edit, import"))
    assert [(r[0], r[1].strip("`")) for r in rows] == [(c.header, c.key) for c in COLUMNS]
    imported = {r[1].strip("`") for r in rows if not r[2].startswith("ignored")}
    assert imported == {c.key for c in COLUMNS if c.imported}


def test_the_worked_example_runs() -> None:
    """The Python block of the worked example runs and its assertions hold."""
    page = ROOT / "docs" / "followups.md"
    (code,) = blocks(page, section="Worked example")
    run_python(code, page)
