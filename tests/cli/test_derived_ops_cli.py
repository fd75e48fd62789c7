"""Dividing derived figures through the CLI: values, division by zero, explanation."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"

EXTRA = """
[[indicator]]
id = "x.share"
label = "调解成功占比"
unit = "%"
measure = { derived = "share(mediation.successful, mediation.completed)" }

[[indicator]]
id = "x.none"
label = "无"
unit = "次"
source = ["meeting_held"]
where = "attendees > 1000000"

[[indicator]]
id = "x.per_none"
label = "每次"
unit = "%"
measure = { derived = "mediation.completed / x.none" }
"""


def _set(tmp_path: Path) -> str:
    path = tmp_path / "indicators.toml"
    text = (EXAMPLE / "indicators.toml").read_text(encoding="utf-8") + EXTRA
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_indicators_prints_a_share_and_an_undefined_quotient(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """The share equals the example's ratio of the same parts; dividing by 0 is not a crash."""
    args = ["--db", str(example_db), "indicators", "--year", "2023", "--set", _set(tmp_path)]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["indicator"]: r for r in json.loads(result.output)}
    assert rows["x.share"]["value"] == rows["mediation.success_rate"]["value"] is not None
    assert rows["x.per_none"]["value"] == ""  # the table leaves an undefined figure blank


def test_explain_shows_the_share_and_the_division_by_zero(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """explain writes the division with its rounding, and why a quotient is not defined."""
    indicator_set = _set(tmp_path)
    base = ["--db", str(example_db), "explain"]
    tail = ["--year", "2023", "--set", indicator_set, "--language", "en"]
    share = runner.invoke(cli, [*base, "x.share", *tail])
    assert share.exit_code == 0, share.output
    assert "Arithmetic: share(mediation.successful (" in share.output
    assert "rounded half up to 2 decimal places" in share.output
    assert "where: share(a, b) = a ÷ b × 100" in share.output
    undefined = runner.invoke(cli, [*base, "x.per_none", *tail])
    assert undefined.exit_code == 0, undefined.output
    assert "not defined (division by zero: x.none is 0)" in undefined.output
