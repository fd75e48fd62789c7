"""deliver and receive: the file route of push, from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def events(tmp_path: Path) -> tuple[Path, Path]:
    """The example's first 40 events, and the next 10, as two JSON Lines files."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    first, later = tmp_path / "first.jsonl", tmp_path / "later.jsonl"
    first.write_text("".join(lines[:40]), encoding="utf-8")
    later.write_text("".join(lines[40:50]), encoding="utf-8")
    return first, later


def test_deliver_since_the_receivers_seal_and_receive_make_a_verifying_replica(
    runner: CliRunner, tmp_path: Path, events: tuple[Path, Path]
) -> None:
    db, street = tmp_path / "community.db", tmp_path / "street.db"
    hehua = ("--ledger", "hehua")
    assert run(runner, db, *hehua, "import", str(events[0]))[0] == 0
    assert run(runner, db, *hehua, "seal", "-o", str(tmp_path / "s1.txt"))[0] == 0
    code, out, err = run(runner, db, *hehua, "deliver", str(tmp_path / "1.delivery"))
    assert code == 0, err
    assert out.startswith("wrote ")
    assert out.endswith(
        "1.delivery: 40 events after position 0 (up to 40), 1 seals and 0 redacted rows\n"
    )
    receive = ("receive", str(tmp_path / "1.delivery"), "--as", "street-x/hehua")
    code, out, err = run(runner, street, *receive)
    assert code == 0, err
    assert out == (
        "received 40 events, 1 seals and 0 redactions into 'street-x/hehua'; "
        "it now holds 40 events\n"
    )
    assert run(runner, street, *receive)[1].startswith("received 0 events, 0 seals")
    assert run(runner, db, *hehua, "import", str(events[1]))[0] == 0
    assert run(runner, db, *hehua, "seal")[0] == 0
    since = ("--since-seal", str(tmp_path / "s1.txt"))
    code, out, err = run(runner, db, *hehua, "deliver", str(tmp_path / "2.delivery"), *since)
    assert code == 0, err
    assert "10 events after position 40 (up to 50)" in out
    code, out, err = run(
        runner, street, "receive", str(tmp_path / "2.delivery"), "--as", "street-x/hehua"
    )
    assert code == 0, err
    assert "it now holds 50 events" in out
    code, out, err = run(runner, street, "--ledger", "street-x/hehua", "verify")
    assert code == 0, out + err


def test_a_truncated_delivery_is_one_error_line_naming_the_file(
    runner: CliRunner, tmp_path: Path, events: tuple[Path, Path]
) -> None:
    db = tmp_path / "community.db"
    assert run(runner, db, "import", str(events[0]))[0] == 0
    assert run(runner, db, "deliver", str(tmp_path / "d.delivery"))[0] == 0
    lines = (tmp_path / "d.delivery").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "d.delivery").write_text("".join(lines[:-1]), encoding="utf-8")
    code, _, err = run(runner, tmp_path / "street.db", "receive", str(tmp_path / "d.delivery"))
    assert code == 2
    assert "d.delivery: the file ends at line" in err
    assert "truncated" in err


def test_cosignatures_travel_in_the_file_and_a_forged_one_is_refused_with_nothing_written(
    runner: CliRunner, tmp_path: Path, events: tuple[Path, Path]
) -> None:
    db, street = tmp_path / "community.db", tmp_path / "street.db"
    assert runner.invoke(cli, ["keygen", "auditor.example", "--dir", str(tmp_path)]).exit_code == 0
    witness_key, witness_pub = tmp_path / "auditor.example.key", tmp_path / "auditor.example.pub"
    assert run(runner, db, "import", str(events[0]))[0] == 0
    assert run(runner, db, "seal")[0] == 0
    assert run(runner, db, "cosign", "--key", str(witness_key))[0] == 0
    code, out, err = run(runner, db, "deliver", str(tmp_path / "d.delivery"))
    assert code == 0, err
    assert out.endswith("1 seals and 0 redacted rows, 1 cosignatures\n")

    good = (tmp_path / "d.delivery").read_text(encoding="utf-8")
    *rest, cosignature, end = good.splitlines(keepends=True)
    assert cosignature.startswith('{"cosignature":')
    # Another cosigner's name on the line: it no longer is that key's cosignature.
    forged = cosignature.replace("— auditor.example ", "— auditorx.example ")
    (tmp_path / "forged.delivery").write_text("".join([*rest, forged, end]), encoding="utf-8")
    code, out, err = run(runner, street, "receive", str(tmp_path / "forged.delivery"))
    assert code != 0
    assert f"forged.delivery, line {len(rest) + 1}: the cosignature by 'auditor.example'" in err
    assert "of the seal at size 40 cannot be read" in err
    assert "nothing was written" in err
    with sqlite3.connect(street) as check:  # no ledger was created
        assert check.execute("SELECT count(*) FROM civicledger_ledgers").fetchone() == (0,)

    code, out, err = run(runner, street, "receive", str(tmp_path / "d.delivery"))
    assert code == 0, err
    assert out == (
        "received 40 events, 1 seals and 0 redactions, 1 cosignatures into 'default'; "
        "it now holds 40 events\n"
    )
    again = run(runner, street, "receive", str(tmp_path / "d.delivery"))[1]
    assert again.startswith("received 0 events, 0 seals and 0 redactions into")
    code, out, err = run(runner, street, "verify", "--public-key", str(witness_pub))
    assert code == 0, out + err
    assert "1 cosignature" in out
    code, out, _ = run(runner, street, "info")
    assert "cosigned by auditor.example at 20" in out
