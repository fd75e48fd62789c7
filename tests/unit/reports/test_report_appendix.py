"""A figure with many contributions is summarised in the appendix; the JSON keeps every one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger.errors import ProjectionError, TemplateError
from civicledger.ledger import Ledger
from civicledger.projections.explain import explain
from civicledger.projections.toml import loads
from report_testkit import INDICATORS, TRAINEES, small_ledger, write_template


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The small ledger: four trainings, three mediations, three inspections."""
    return small_ledger()


TEMPLATE = """
[[sections]]
key = "a"
heading = "甲"

  [[sections.items]]
  text = "培训{employment.reemployment_trainees|exact:人}，调解{mediation.completed|exact:件}。"
"""


def _report_text(
    ledger: Ledger, folder: Path, limit: int | None
) -> tuple[str, str, dict[str, Any]]:
    setting = "" if limit is None else f"appendix_limit = {limit}\n"
    path = write_template(folder, TEMPLATE)
    text = path.read_text(encoding="utf-8").replace("[report]\n", f"[report]\n{setting}", 1)
    path.write_text(text, encoding="utf-8")
    report = ledger.report(path, year=2023)
    return report.to_markdown(), report.to_html(), json.loads(report.to_json())


def test_over_the_limit_the_appendix_summarises(ledger: Ledger, tmp_path: Path) -> None:
    """Four trainings over a limit of 3: a summary in Markdown and HTML, all four in the JSON."""
    markdown, html, data = _report_text(ledger, tmp_path, 3)
    assert "共 4 条，超过附录逐条列出的上限 3 条" in markdown
    assert "figures[].lineage.contributions" in markdown
    assert "| training_held | 2023-02 | 1 | 70 |" in markdown
    assert "贡献最大的 4 条" in markdown
    assert "超过附录逐条列出的上限 3 条" in html
    trainees = next(f for f in data["figures"] if f["indicator"].endswith("trainees"))
    assert [c["amount"] for c in trainees["lineage"]["contributions"]] == list(TRAINEES)
    # Three mediations are not over the limit: listed one by one.
    assert "共 3 条" not in markdown


def test_at_the_default_limit_small_figures_are_listed(ledger: Ledger, tmp_path: Path) -> None:
    """Without a setting the limit is 1000: the small ledger's figures are listed in full."""
    markdown, _, _ = _report_text(ledger, tmp_path, None)
    assert "超过附录逐条列出的上限" not in markdown
    assert markdown.count("| training_held |") == 4


@pytest.mark.parametrize("value", ["-1", "true", '"ten"', "1.5"])
def test_a_bad_limit_is_refused_with_its_line(ledger: Ledger, tmp_path: Path, value: str) -> None:
    """appendix_limit must be a whole number >= 0; the error names the template line."""
    path = write_template(tmp_path, TEMPLATE)
    text = path.read_text(encoding="utf-8").replace(
        "[report]\n", f"[report]\nappendix_limit = {value}\n", 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"report.toml:2: report.appendix_limit must be"):
        ledger.report(path, year=2023)


def test_explain_refuses_a_bad_limit(ledger: Ledger) -> None:
    """A negative or non-integer limit is refused."""
    figure = ledger.indicators(loads(INDICATORS), year=2023)[0]
    with pytest.raises(ProjectionError, match="limit must be"):
        explain(figure, limit=-1)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=5), st.sampled_from(["zh", "en"]))
def test_a_summary_accounts_for_every_contribution(limit: int, language: str) -> None:
    """The by-month table adds up to the count and the value; the largest come first."""
    figure = _FIGURES[0]
    text = explain(figure, language, limit=limit)  # type: ignore[arg-type]
    if len(figure.contributions) <= limit:
        assert text == explain(figure, language)  # type: ignore[arg-type]
        return
    rows = re.findall(r"^\| training_held \| (\d{4}-\d{2}) \| (\d+) \| (\d+) \|$", text, re.M)
    assert sum(int(count) for _, count, _ in rows) == len(figure.contributions)
    assert sum(int(total) for _, _, total in rows) == figure.value
    row = r"^\| (\d+) \| 2023-\d\d-\d\d \| [0-9a-f-]+ \| training_held \| (\d+) \|"
    largest = re.findall(row, text, re.M)
    amounts = [int(a) for _, a in largest]
    assert amounts == sorted((c.amount for c in figure.contributions), reverse=True)[:5]


_FIGURES = small_ledger().indicators(loads(INDICATORS), year=2023)
