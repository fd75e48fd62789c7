"""docs/corrections.md agrees with the code: its example runs and prints what it says."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from docs_transcripts import blocks, run_python

from civicledger import Ledger

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "corrections.md").read_text(encoding="utf-8")


def test_the_example_runs_and_prints_its_comments(capsys: pytest.CaptureFixture[str]) -> None:
    """Each value the example's comments promise is what it prints."""
    (code,) = blocks(DOCS / "corrections.md")
    run_python(code, DOCS / "corrections.md")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "41 38"
    assert out[1].startswith("attendance 2023: published 41 at position 2, now 38")
    reasons = " ".join(out[2:5])
    for words in ("recorded after", "corrected after", "retracted after"):
        assert words in reasons
    assert "revised R" in out
    assert out[-1] == "('visitor',)"


@pytest.mark.parametrize(
    "method", ["correct", "retract", "redact", "personal_data", "diff", "revise"]
)
def test_the_call_table_names_each_parameter(method: str) -> None:
    """Every parameter of each facade call appears in the table's row for it."""
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `ledger.{method}("))
    for name in inspect.signature(getattr(Ledger, method)).parameters:
        if name != "self":
            assert re.search(rf"\b{name}\b", row), (method, name)


def test_the_audit_page_has_the_redaction_section() -> None:
    """The link from this page lands on a section of docs/audit.md."""
    audit = (DOCS / "audit.md").read_text(encoding="utf-8")
    assert "## What redaction does and does not guarantee" in audit
    assert "To be completed" not in audit
