"""`civicledger indicators` lists roll-up figures declared in the set under the office's ids."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from civicledger.cli import cli

SET = """
[[indicator]]
id = "problems.total"
label = "发现问题"
unit = "个"
followups = "total"

[[indicator]]
id = "problems.completion_rate"
label = "整改率"
unit = "%"
followups = "completion_rate"

[[indicator]]
id = "problems.by_category"
label = "各类问题整改率"
unit = "%"
followups = "completion_rate_by_category"

[[rule]]
id = "problems.rate_at_most_100"
check = "problems.completion_rate <= 100"
"""


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def test_indicators_lists_declared_figures_with_the_roll_ups_values(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "set.toml"
    path.write_text(SET, encoding="utf-8")
    args = ("indicators", "--period", "2023-01..2023-11", "--format", "json")
    code, out, err = run(runner, example_db, *args, "--set", str(path), "--check")
    assert code == 0, err
    mine = json.loads(out)
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    code, out, _ = run(runner, example_db, *args, "--set", str(empty), "--followups")
    rollup = {(r["indicator"], r["group"]): r["value"] for r in json.loads(out)}
    renamed = {
        "problems.total": "followups.total",
        "problems.completion_rate": "followups.completion_rate",
        "problems.by_category": "followups.completion_rate_by_category",
    }
    assert mine, "the example ledger has follow-ups"
    assert [r["indicator"] for r in mine][:2] == ["problems.total", "problems.completion_rate"]
    for row in mine:
        assert row["value"] == rollup[(renamed[row["indicator"]], row["group"])]
    assert sum(r["indicator"] == "problems.by_category" for r in mine) > 1
    assert "problems.rate_at_most_100" in err


def test_an_unknown_roll_up_name_is_refused_naming_the_line(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "set.toml"
    path.write_text(SET.replace('followups = "completion_rate"', 'followups = "rate"'), "utf-8")
    code, out, err = run(runner, example_db, "indicators", "--year", "2023", "--set", str(path))
    assert code != 0
    assert out == ""
    assert f"{path}, line 12 (problems.completion_rate)" in err
    assert "unknown follow-up figure 'rate'" in err


def test_explain_shows_a_declared_figures_derivation(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "set.toml"
    path.write_text(SET, encoding="utf-8")
    args = ("--year", "2023", "--set", str(path))
    code, out, err = run(runner, example_db, "explain", "problems.completion_rate", *args)
    assert code == 0, err
    assert out.startswith("## 指标 problems.completion_rate — 整改率")
    assert "Declared as followups.completion_rate." in out
    assert "### 分母" in out
    code, _, err = run(runner, example_db, "explain", "problems.by_category", *args)
    assert code != 0
    assert "grouped by category" in err
