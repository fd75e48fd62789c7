"""indicators and explain over a set of ledgers: --ledger (repeated) and --ledgers PREFIX."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = str(EXAMPLE / "indicators.toml")


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def street_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example year imported into two ledgers of a street, and into one of another."""
    db = tmp_path_factory.mktemp("street") / "street.db"
    runner = CliRunner()
    for name in ("street-x/hehua", "street-x/lianhua", "street-y/other"):
        code, _, err = run(runner, db, "--ledger", name, "import", str(EXAMPLE / "events.jsonl"))
        assert code == 0, err
    return db


def figures(runner: CliRunner, db: Path, *args: str) -> list[dict[str, str]]:
    code, out, err = run(
        runner, db, "indicators", "--year", "2023", "--set", INDICATORS, "--format", "json", *args
    )
    assert code == 0, err
    rows: list[dict[str, str]] = json.loads(out)
    return rows


def test_indicators_roll_up_a_prefix_and_named_ledgers(runner: CliRunner, street_db: Path) -> None:
    """Two copies of the year: every count and sum is twice one ledger's, per ledger shown."""
    one = {
        (r["indicator"], r["period"], r["group"]): r
        for r in figures(runner, street_db, "--ledger", "street-x/hehua")
    }
    by_prefix = figures(runner, street_db, "--ledgers", "street-x/")
    named = figures(runner, street_db, "--ledger", "street-x/hehua", "--ledger", "street-x/lianhua")
    assert by_prefix == named
    doubled = 0
    for row in by_prefix:
        alone = one[(row["indicator"], row["period"], row["group"])]
        value = alone["ledgers"].removeprefix("street-x/hehua=")
        assert row["ledgers"] == f"street-x/hehua={value}; street-x/lianhua={value}"
        if not row["value"]:  # latest: not combined, in one ledger or two
            assert not alone["value"]
        elif alone["unit"] == "%":
            assert Decimal(row["value"]) == Decimal(value)  # a ratio of doubled parts
        else:
            assert Decimal(row["value"]) == 2 * Decimal(value)
            doubled += 1
    assert doubled > 5


def test_a_distinct_count_merges_keys_only_when_asked(runner: CliRunner, street_db: Path) -> None:
    args = ("--ledgers", "street-x/")
    per_ledger = figures(runner, street_db, *args)
    merged = figures(runner, street_db, *args, "--distinct", "key")
    changed = [
        (a["indicator"], a["value"], b["value"])
        for a, b in zip(per_ledger, merged, strict=True)
        if a["value"] != b["value"]
    ]
    assert changed
    for _, both, once in changed:
        assert int(both) == 2 * int(once)


def test_compare_over_a_set_doubles_both_periods(runner: CliRunner, street_db: Path) -> None:
    """--compare with --ledgers: both periods rolled up, each value and difference doubled."""
    one = {
        (r["indicator"], r["group"]): r
        for r in figures(runner, street_db, "--ledger", "street-x/hehua", "--compare", "2022")
    }
    both = figures(runner, street_db, "--ledgers", "street-x/", "--compare", "2022")
    checked = 0
    for row in both:
        alone = one[(row["indicator"], row["group"])]
        assert (row["current_period"], row["previous_period"]) == (
            alone["current_period"],
            alone["previous_period"],
        )
        assert row["change_percent"] == alone["change_percent"]  # none: no 2022 events
        if alone["current"] and alone["unit"] != "%" and "." not in alone["current"]:
            assert int(row["current"]) == 2 * int(alone["current"])
            assert int(row["difference"]) == 2 * int(alone["difference"])
            checked += 1
    assert checked > 3


def test_explain_drills_down_to_each_ledger(runner: CliRunner, street_db: Path) -> None:
    indicator = figures(runner, street_db, "--ledgers", "street-x/")[0]["indicator"]
    code, out, err = run(
        runner, street_db, "explain", indicator, "--year", "2023", "--set", INDICATORS,
        "--ledgers", "street-x/", "--language", "en",
    )  # fmt: skip
    assert code == 0, err
    assert "## Ledger street-x/hehua" in out
    assert "## Ledger street-x/lianhua" in out
    code, out, err = run(
        runner, street_db, "explain", indicator, "--year", "2023", "--set", INDICATORS,
        "--ledgers", "street-x/", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert [p["ledger"] for p in data["ledgers"]] == ["street-x/hehua", "street-x/lianhua"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ledger", "street-x/typo"), "no ledger named 'street-x/typo'"),
        (("--ledgers", "street-z/"), "street-z/"),
        (("--ledger", "street-x/hehua", "--ledgers", "street-x/"), "not both"),
        (("--ledgers", "street-x/", "--followups"), "--followups"),
    ],
)
def test_bad_sets_are_one_line_errors(
    runner: CliRunner, street_db: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = run(
        runner, street_db, "indicators", "--year", "2023", "--set", INDICATORS, *args
    )
    assert code == 2
    assert message in err


def test_push_delivers_and_a_second_push_is_a_no_op(runner: CliRunner, tmp_path: Path) -> None:
    db, street = tmp_path / "community.db", tmp_path / "street.db"
    code, _, err = run(runner, db, "--ledger", "hehua", "import", str(EXAMPLE / "events.jsonl"))
    assert code == 0, err
    assert run(runner, db, "--ledger", "hehua", "seal")[0] == 0
    args = ("--ledger", "hehua", "push", "--to", str(street), "--as", "street-x/hehua")
    code, out, err = run(runner, db, *args)
    assert code == 0, err
    assert out == "pushed 2987 events and 1 seals to 'street-x/hehua'; it now holds 2987 events\n"
    code, out, _ = run(runner, db, *args)
    assert out.startswith("pushed 0 events and 0 seals")
    code, out, err = run(runner, street, "--ledger", "street-x/hehua", "verify")
    assert code == 0, out + err
    code, _, err = run(
        runner, street, "--ledger", "street-x/hehua", "import", str(EXAMPLE / "events.jsonl")
    )
    assert code == 2
    assert "replica" in err
