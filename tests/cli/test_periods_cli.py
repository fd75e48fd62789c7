"""--period on report, indicators, explain and diff; --year as its shorthand; no default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = str(EXAMPLE / "indicators.toml")
TEMPLATE = str(EXAMPLE / "report.toml")


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--template", TEMPLATE],
        ["indicators", "--set", INDICATORS],
        ["explain", "mediation.completed", "--set", INDICATORS],
        ["diff", "--set", INDICATORS, "--seal", TEMPLATE],
    ],
    ids=["report", "indicators", "explain", "diff"],
)
def test_no_command_assumes_a_year(runner: CliRunner, example_db: Path, command: list[str]) -> None:
    code, out, err = run(runner, example_db, *command)
    assert code == 2
    assert out == ""
    assert err.startswith("civicledger: error: name the period with --period")
    assert "Traceback" not in err


def test_a_bad_period_is_one_line_naming_it(runner: CliRunner, example_db: Path) -> None:
    code, _, err = run(runner, example_db, "indicators", "--set", INDICATORS, "--period", "2023-1")
    assert code == 2
    assert err.splitlines() == [
        "civicledger: error: period '2023-1': not a period; write one of YYYY, YYYY-H1, "
        "YYYY-Q3, YYYY-MM, YYYY-Www, YYYY-MM..YYYY-MM, ..YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
    ]
    code, _, err = run(
        runner, example_db, "indicators", "--set", INDICATORS, "--period", "2023", "--year", "2023"
    )
    assert code == 2
    assert "name the period once" in err


def test_report_for_1_to_11_states_the_period(runner: CliRunner, example_db: Path) -> None:
    code, out, err = run(
        runner, example_db, "report", "--period", "2023-01..2023-11", "--template", TEMPLATE
    )
    assert code == 0, err
    assert out.startswith("# XX社区党委2023年1—11月工作报告")
    assert "统计期间：2023年1—11月（2023-01..2023-11，2023-01-01 至 2023-11-30）" in out
    assert "warning" not in err
    code, year_out, _ = run(runner, example_db, "report", "--year", "2023", "--template", TEMPLATE)
    assert year_out.startswith("# XX社区党委2023年工作报告")


def test_indicators_over_a_quarter_compared_both_ways(runner: CliRunner, example_db: Path) -> None:
    args = ["indicators", "--period", "2023-Q4", "--set", INDICATORS, "--format", "json"]
    code, out, _ = run(runner, example_db, *args)
    assert code == 0
    rows = json.loads(out)
    quarterly = [r["period"] for r in rows if r["indicator"] == "org.joint_meetings_by_quarter"]
    assert quarterly == ["2023-Q4"]
    code, out, _ = run(runner, example_db, *args, "--compare", "period")
    assert code == 0
    sessions = next(r for r in json.loads(out) if r["indicator"] == "volunteer.cleanups")
    assert (sessions["basis"], sessions["current_period"], sessions["previous_period"]) == (
        "period",
        "2023-Q4",
        "2023-Q3",
    )
    code, out, _ = run(runner, example_db, *args, "--compare", "year")
    sessions = next(r for r in json.loads(out) if r["indicator"] == "volunteer.cleanups")
    assert (sessions["basis"], sessions["previous_period"], sessions["previous"]) == (
        "year",
        "2022-Q4",
        "0",
    )


def test_explain_in_english_labels_the_period_in_english(
    runner: CliRunner, example_db: Path
) -> None:
    base = ["explain", "mediation.completed", "--set", INDICATORS, "--period", "2023-01..2023-11"]
    code, out, _ = run(runner, example_db, *base, "--language", "en")
    assert code == 0
    assert "January–November 2023 (2023-01-01 – 2023-11-30)" in out
    assert "年" not in out.split("period")[1].splitlines()[0]
    code, out, _ = run(runner, example_db, *base)
    assert "2023年1—11月 (2023-01-01 – 2023-11-30)" in out


def test_diff_takes_a_period(runner: CliRunner, example_db: Path, tmp_path: Path) -> None:
    seal_file = tmp_path / "seal.txt"
    run(runner, example_db, "seal", "-o", str(seal_file))
    code, out, err = run(
        runner,
        example_db,
        "diff",
        "--period",
        "2023-W40",
        "--set",
        INDICATORS,
        "--seal",
        str(seal_file),
    )
    assert code == 0, err
    assert out.startswith("no figure changed since the seal")


def test_followups_state_the_date_they_default_to(runner: CliRunner, example_db: Path) -> None:
    code, _, err = run(runner, example_db, "followups", "--format", "json")
    assert code == 0
    assert err.startswith("civicledger: as of ")
    assert "(today)" in err


def test_indicators_list_the_follow_up_figures_on_request(
    runner: CliRunner, example_db: Path
) -> None:
    args = ["indicators", "--period", "2023-Q4", "--set", INDICATORS, "--format", "json"]
    code, out, _ = run(runner, example_db, *args, "--followups")
    assert code == 0
    rows = {(r["indicator"], r["group"]): r for r in json.loads(out)}
    statuses = [r for (i, _), r in rows.items() if i == "followups.by_status"]
    total = rows[("followups.total", "")]
    assert sum(int(r["value"]) for r in statuses) == int(total["value"]) == 4
    assert total["period"] == "2023-Q4"
    code, _, err = run(runner, example_db, *args, "--followups", "--compare", "year")
    assert code == 2
    assert "--followups cannot be combined with --compare" in err
