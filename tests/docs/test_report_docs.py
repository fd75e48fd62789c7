"""The report docs: the tutorial runs as written; the placeholder table is what the code prints."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from docs_transcripts import blocks, run_python

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"


def test_the_tutorial_runs_from_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every code block of docs/tutorial-report.md runs in order and prints what it says."""
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        namespace: dict[str, object] = {}
        for block in blocks(DOCS / "tutorial-report.md"):
            run_python(block, DOCS / "tutorial-report.md", namespace)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert "report verified: 2 figures as of position 7" in out
    assert "免费培训[280余人](#f2" in out
    for name in (
        "report.md",
        "report.html",
        "report.json",
        "report.docx",
        "report.xlsx",
        "seal.txt",
    ):
        assert (tmp_path / name).stat().st_size > 0


def test_the_placeholder_table_matches_the_example_report() -> None:
    """Each row of the short-form table in docs/reports.md prints that text with that rule."""
    from civicledger.ledger import Ledger
    from civicledger.reports.numbers import phrase

    rows = re.findall(
        r"^\| `\{([a-z_.]+)(?:\\\|([^}]*))?\}` \| (\S+) \| `([^`]+)` \|$",
        (DOCS / "reports.md").read_text(encoding="utf-8"),
        flags=re.M,
    )
    assert len(rows) == 7
    ledger = Ledger.in_memory()
    ledger.import_jsonl(EXAMPLE / "events.jsonl")
    figures = {
        f.id: f for f in ledger.indicators(EXAMPLE / "indicators.toml", year=2023) if not f.group
    }
    for ident, spec, text, rule in rows:
        figure = figures[ident]
        spec = spec or "exact"
        if spec.startswith("rate"):
            value: object = (figure.numerator.value, figure.denominator.value)  # type: ignore[union-attr]
        else:
            value = figure.value
        result = phrase(value, spec)  # type: ignore[arg-type]
        assert (result.text, result.rule) == (text, rule), ident
