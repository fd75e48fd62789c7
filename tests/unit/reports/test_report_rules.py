"""A report states its indicator set's rules when the template asks (rules = true)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicledger.errors import TemplateError
from civicledger.ledger import Ledger
from civicledger.reports import verify_report
from report_testkit import INDICATORS, ONE_SECTION, small_ledger, write_template

RULES = """
[[rule]]
id = "mediation.successful_within_completed"
check = "mediation.successful <= mediation.completed"

[[rule]]
id = "mediation.draft_says_three_successes"
check = "mediation.successful == 3"
tolerance = "0.5"
"""


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The small ledger: three mediations, two successful."""
    return small_ledger()


def _template(folder: Path, setting: str) -> Path:
    path = write_template(folder, ONE_SECTION, indicators=INDICATORS + RULES)
    text = path.read_text(encoding="utf-8").replace("[report]\n", f"[report]\n{setting}", 1)
    path.write_text(text, encoding="utf-8")
    return path


def test_rule_outcomes_are_in_the_json_and_the_about_lines(ledger: Ledger, tmp_path: Path) -> None:
    """rules = true: every outcome in the JSON, a summary line in Markdown; it still verifies."""
    report = ledger.report(_template(tmp_path, "rules = true\n"), year=2023)
    data = json.loads(report.to_json())
    outcomes = {r["rule"]: r["passed"] for r in data["rules"]}
    assert outcomes == {
        "mediation.successful_within_completed": True,
        "mediation.draft_says_three_successes": False,
    }
    line = "数据校验：2 项规则，未通过：mediation.draft_says_three_successes"
    assert line in report.to_markdown()
    assert verify_report(report.to_json(), ledger).ok


def test_without_the_setting_the_report_keeps_its_shape(ledger: Ledger, tmp_path: Path) -> None:
    """No rules = true: no "rules" key and no 数据校验 line (existing reports are unchanged)."""
    report = ledger.report(_template(tmp_path, ""), year=2023)
    assert "rules" not in json.loads(report.to_json())
    assert "数据校验" not in report.to_markdown()


def test_a_bad_rules_setting_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """rules must be true or false."""
    with pytest.raises(TemplateError, match=r"report\.rules must be true or false"):
        ledger.report(_template(tmp_path, 'rules = "yes"\n'), year=2023)
