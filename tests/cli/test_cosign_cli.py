"""`civicledger cosign`: a street countersigns a community's seal; info lists it and verify
checks it, naming a forged row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from civicledger import Ledger
from civicledger.audit import Seal
from civicledger.cli import cli
from store_testkit import note


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), "--ledger", "community-a", *args])
    return result.exit_code, result.stdout, result.stderr


def keygen(runner: CliRunner, tmp_path: Path, name: str) -> tuple[Path, Path]:
    result = runner.invoke(cli, ["keygen", name, "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def community(db: Path) -> None:
    with Ledger.open(f"sqlite:///{db}", "community-a") as ledger:
        ledger.append("s", [note("a")], actor="clerk")


def test_cosign_info_and_verify(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "street.db"
    office_key, office_pub = keygen(runner, tmp_path, "community-a.example")
    street_key, _ = keygen(runner, tmp_path, "street.example")
    community(db)
    seal_file = tmp_path / "seal.txt"
    assert run(runner, db, "seal", "--key", str(office_key), "-o", str(seal_file))[0] == 0

    code, out, err = run(runner, db, "cosign", "--key", str(street_key))
    assert code == 0, err
    cosigned = Seal.parse(out)
    assert cosigned.body == Seal.parse(seal_file.read_text()).body
    assert [s.name for s in cosigned.signatures] == ["community-a.example", "street.example"]

    code, out, err = run(runner, db, "cosign", "--seal", str(seal_file), "--key", str(street_key))
    assert code != 0
    assert "already countersigned seal 1" in err

    code, out, _ = run(runner, db, "info")
    assert code == 0
    assert "seal 1 (size 1)" in out
    assert "cosigned by street.example at 20" in out

    code, out, err = run(runner, db, "verify", "--public-key", str(office_pub))
    assert code == 0, out + err
    assert "1 cosignature" in out

    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO civicledger_cosignatures "
            "(ledger_id, seal_id, signer, cosigned_at, verifier, signature) "
            "SELECT ledger_id, seal_id, signer, cosigned_at, ?, signature "
            "FROM civicledger_cosignatures",
            (office_pub.read_text().strip(),),
        )
    code, out, err = run(runner, db, "verify")
    assert code != 0
    assert (
        "cosignature 2 (by 'street.example') of seal 1: the cosignature line is signed "
        "'street.example', but its key is 'community-a.example'"
    ) in out + err


def test_cosign_without_a_seal_says_to_seal_first(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "street.db"
    street_key, _ = keygen(runner, tmp_path, "street.example")
    community(db)
    code, _, err = run(runner, db, "cosign", "--key", str(street_key))
    assert code == 2
    assert "has no seal to countersign; seal it first" in err
