"""civicledger series: one figure per month, quarter or week, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = str(EXAMPLE / "indicators.toml")


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def test_series_by_quarter_as_csv_sums_to_the_year(runner: CliRunner, example_db: Path) -> None:
    """Four quarterly rows whose values add up to the yearly figure the indicators command shows."""
    args = ["--set", INDICATORS, "--period", "2023", "--format", "csv"]
    code, out, err = run(runner, example_db, "series", "volunteer.hours", "--by", "quarter", *args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["period"] for r in rows] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    code, out, err = run(runner, example_db, "indicators", *args)
    (year,) = [r for r in csv.DictReader(io.StringIO(out)) if r["indicator"] == "volunteer.hours"]
    assert sum(Decimal(r["value"]) for r in rows) == Decimal(year["value"])


def test_series_json_carries_lineage_and_the_year_before(
    runner: CliRunner, example_db: Path
) -> None:
    """--format json gives every figure with its contributions, and --previous-year the
    2022 months in the same order."""
    code, out, err = run(
        runner, example_db, "series", "volunteer.cleanups", "--set", INDICATORS,
        "--period", "2023-01..2023-03", "--previous-year", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "civicledger-series/1"
    assert data["by"] == "month"
    assert [f["period"]["key"] for f in data["figures"]] == ["2023-01", "2023-02", "2023-03"]
    assert [f["period"]["key"] for f in data["previous"]] == ["2022-01", "2022-02", "2022-03"]
    assert all(len(f["contributions"]) == f["value"] for f in data["figures"])


def test_series_refuses_an_unknown_step_and_indicator(runner: CliRunner, example_db: Path) -> None:
    """A wrong --by is a usage error; an unknown indicator names the ids the set has."""
    code, _, err = run(
        runner, example_db, "series", "volunteer.hours", "--set", INDICATORS,
        "--period", "2023", "--by", "day",
    )  # fmt: skip
    assert code == 2
    assert "'day' is not one of 'month', 'quarter', 'week'" in err
    code, _, err = run(runner, example_db, "series", "nope", "--set", INDICATORS, "--year", "2023")
    assert code == 2
    assert "no indicator 'nope' in this set" in err
    assert "Traceback" not in err
