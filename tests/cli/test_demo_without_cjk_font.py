"""The demo on a machine without a CJK font: the report is still written, its DOCX charts
as tables, and the reader is told which font to install."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from civicledger.cli import cli
from civicledger.reports.render import chart


def test_demo_writes_the_docx_with_chart_tables_and_names_the_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chart, "_cjk_fonts", list)
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert "report.docx has its charts as tables only" in result.stderr
    assert "fonts-noto-cjk" in result.stderr
    document = docx.Document(str(tmp_path / "out" / "report.docx"))
    assert len(document.inline_shapes) == 0
    # Every chart's numbers are still there, as a table under its caption.
    captions = {p.text for p in document.paragraphs}
    assert any("月" in text for text in captions)
    assert (tmp_path / "out" / "report.html").stat().st_size > 0
