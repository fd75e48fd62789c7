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
    base = [
        "report",
        "--template",
        TEMPLATE,
        "--period",
        "2023",
        "--seal",
        str(seal_file),
        "--format",
        "json",
    ]
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


def test_prove_from_to_writes_a_consistency_proof_that_verify_checks(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """Seal, append, seal again: `prove --from --to` writes a proof `verify --proof` accepts;
    a tampered proof exits 1 naming what failed; wrong option mixes are usage errors."""
    old, new, proof = (tmp_path / name for name in ("old.txt", "new.txt", "c.proof"))
    assert run(runner, example_db, "seal", "-o", str(old))[0] == 0
    payload = '{"occurred_on": "2023-12-29", "area": "幸福巷", "volunteers": 3, "hours": "1"}'
    assert (
        run(runner, example_db, "append", "late", "volunteer_cleanup_held", "--data", payload)[0]
        == 0
    )
    assert run(runner, example_db, "seal", "-o", str(new))[0] == 0
    code, _, err = run(
        runner, example_db, "prove", "--from", str(old), "--to", str(new), "-o", str(proof)
    )
    assert code == 0, err
    code, out, err = run(runner, example_db, "verify", "--proof", str(proof))
    assert code == 0, err
    assert "extends its seal at size 2987 unchanged" in out
    lines = proof.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[3]  # a proof hash replaced by another
    proof.write_text("\n".join(lines), encoding="utf-8")
    code, _, err = run(runner, example_db, "verify", "--proof", str(proof))
    assert code == 1
    assert "is not proven to extend its seal at size 2987" in err
    for args in (["--from", str(old)], ["some-id", "--from", str(old), "--to", str(new)], []):
        code, _, err = run(runner, example_db, "prove", *args)
        assert code == 2
        assert "--from and --to" in err


def test_evidence_writes_a_bundle_the_standalone_verifier_checks(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """keygen, seal --key, report --seal --format json, evidence: the bundle verifies offline;
    a report not rendered as of the seal is refused with exit 2."""
    from evidence_testkit import run_verifier

    files = {n: tmp_path / n for n in ("seal.txt", "report.json", "evidence.zip")}
    assert runner.invoke(cli, ["keygen", "office.example", "--dir", str(tmp_path)]).exit_code == 0
    key, public = tmp_path / "office.example.key", tmp_path / "office.example.pub"
    assert run(runner, example_db, "seal", "--key", str(key), "-o", str(files["seal.txt"]))[0] == 0
    base = [
        "report",
        "--template",
        TEMPLATE,
        "--period",
        "2023",
        "--format",
        "json",
        "-o",
        str(files["report.json"]),
    ]
    assert run(runner, example_db, *base, "--seal", str(files["seal.txt"]))[0] == 0
    evidence = ["evidence", "--report", str(files["report.json"]), "--seal", str(files["seal.txt"])]
    code, _, err = run(
        runner, example_db, *evidence, "--public-key", str(public), "-o", str(files["evidence.zip"])
    )
    assert code == 0, err
    assert "F1: checked to the envelopes only" in err
    result = run_verifier(files["evidence.zip"], "--key", str(public))
    assert result.returncode == 0, result.stdout
    assert run(runner, example_db, *base)[0] == 0  # now not as of the seal
    code, _, err = run(runner, example_db, *evidence, "-o", str(tmp_path / "x.zip"))
    assert code == 2
    assert "not computed as of this seal" in err
