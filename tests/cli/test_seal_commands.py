"""Seal-checking commands (issue 14): report --seal against a changed ledger,
verify-report blaming the ledger, and consistency proofs between two seals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
TEMPLATE = str(EXAMPLE / "report.toml")


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def tamper(db: Path, assignment: str, where: str) -> int:
    """``UPDATE civicledger_events SET assignment WHERE where`` with the triggers dropped
    (then restored); return the first position changed."""
    with sqlite3.connect(db) as connection:
        triggers = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
        for name, _ in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        query = f"SELECT min(position) FROM civicledger_events WHERE {where}"
        (position,) = connection.execute(query).fetchone()
        connection.execute(f"UPDATE civicledger_events SET {assignment} WHERE {where}")
        for _, sql in triggers:
            connection.execute(sql)
    return int(position)


SIXTY_EIGHT = "type = 'training_held' AND payload LIKE '%\"attendees\":68,%'"
NINETY_EIGHT = "payload = replace(payload, '\"attendees\":68', '\"attendees\":98')"


def test_report_from_a_seal_refuses_a_changed_ledger(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """After a stored value under the seal is changed, `report --seal` exits 2 naming the seal
    file and the changed position, and `verify-report` exits 1 saying the ledger no longer
    matches the seal (not that the report is wrong)."""
    seal_file = tmp_path / "seal.txt"
    report_file = tmp_path / "report.json"
    assert run(runner, example_db, "seal", "-o", str(seal_file))[0] == 0
    base = ["report", "--template", TEMPLATE, "--seal", str(seal_file), "--format", "json"]
    assert run(runner, example_db, *base, "-o", str(report_file))[0] == 0
    position = tamper(example_db, NINETY_EIGHT, SIXTY_EIGHT)
    code, out, err = run(runner, example_db, *base)
    assert code == 2
    assert out == ""
    assert f"{seal_file}: refusing to render as of this seal" in err
    assert f"position {position}:" in err
    code, out, err = run(runner, example_db, "verify-report", str(report_file))
    assert code == 1
    assert err.startswith("report NOT checked: the ledger no longer matches the seal")
    assert f"position {position}:" in err
    assert "the report says" not in err
