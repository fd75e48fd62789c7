"""The amending commands: correct, retract, redact, personal-data, diff, log --effective."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = str(EXAMPLE / "indicators.toml")
TRAINING = "training_held"


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def reemployment_training(runner: CliRunner, db: Path) -> dict[str, object]:
    """The first re-employment training in the log (it counts in the trainee figure)."""
    out = run(runner, db, "log", "--type", TRAINING, "--format", "jsonl")[1]
    lines = [json.loads(line) for line in out.splitlines()]
    found: dict[str, object] = next(
        line for line in lines if line["payload"]["programme"] == "reemployment"
    )
    return found


def trainees(runner: CliRunner, db: Path) -> str:
    out = run(runner, db, "indicators", "--year", "2023", "--set", INDICATORS, "--format", "json")[
        1
    ]
    rows = {r["indicator"]: r["value"] for r in json.loads(out)}
    return str(rows["employment.reemployment_trainees"])


def test_correct_changes_the_figure_and_diff_explains_it(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """A corrected attendance changes the figure; diff names the correction."""
    seal = tmp_path / "seal.txt"
    run(runner, example_db, "seal", "-o", str(seal))
    training = reemployment_training(runner, example_db)
    payload = dict(training["payload"])  # type: ignore[call-overload]
    payload["attendees"] = payload["attendees"] - 10
    code, out, err = run(
        runner,
        example_db,
        "correct",
        str(training["event_id"]),
        "--data",
        json.dumps(payload, ensure_ascii=False),
        "--reason",
        "counted twice",
    )
    assert code == 0, err
    assert "recorded correction" in out
    assert trainees(runner, example_db) == "273"
    code, out, _ = run(
        runner, example_db, "diff", "--year", "2023", "--set", INDICATORS, "--seal", str(seal)
    )
    assert code == 0
    assert "employment.reemployment_trainees" in out
    assert "corrected" in out


def test_retract_leaves_the_event_out_of_the_effective_log(
    runner: CliRunner, example_db: Path
) -> None:
    """A retracted event disappears from log --effective and from the figures."""
    training = reemployment_training(runner, example_db)
    code, _, err = run(runner, example_db, "retract", str(training["event_id"]), "--reason", "dup")
    assert code == 0, err
    effective = run(runner, example_db, "log", "--type", TRAINING, "--effective")[1]
    assert str(training["event_id"]) not in effective
    assert str(training["event_id"]) in run(runner, example_db, "log", "--type", TRAINING)[1]
    assert int(trainees(runner, example_db)) < 283


def test_redact_erases_personal_data_and_the_ledger_still_verifies(
    runner: CliRunner, example_db: Path
) -> None:
    """personal-data finds the mediator; redact erases it from storage; verify stays OK."""
    code, out, _ = run(
        runner, example_db, "personal-data", "刘某", "--contains", "--format", "json"
    )
    assert code == 0
    hits = json.loads(out)
    assert hits
    assert hits[0]["fields"] == "mediator"
    event_id = hits[0]["event_id"]
    code, _, err = run(
        runner, example_db, "redact", event_id, "--field", "mediator", "--reason", "erasure request"
    )
    assert code == 0, err
    with sqlite3.connect(example_db) as connection:
        stored = connection.execute(
            "SELECT payload FROM civicledger_events WHERE position = ?", (hits[0]["position"],)
        ).fetchone()[0]
    assert "刘某" not in str(stored)
    code, out, _ = run(runner, example_db, "verify")
    assert code == 0
    assert "OK" in out


def test_amending_an_unknown_event_is_one_clear_error(runner: CliRunner, example_db: Path) -> None:
    """correct/retract/redact of an id the ledger lacks, or a malformed id, exit 2 naming it."""
    missing = "00000000-0000-4000-8000-000000000000"
    for args in (
        ["correct", missing, "--data", "{}", "--reason", "x"],
        ["retract", missing, "--reason", "x"],
        ["redact", missing, "--reason", "x"],
        ["retract", "not-a-uuid", "--reason", "x"],
    ):
        code, _, err = run(runner, example_db, *args)
        assert code == 2, args
        assert err.startswith("civicledger: error: "), args
        assert len(err.strip().splitlines()) == 1, err
