"""Read commands never wait for a writer; damaged Merkle state is a named verify problem."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = str(EXAMPLE / "indicators.toml")

READ_COMMANDS = [
    ["info"],
    ["verify"],
    ["log", "--to", "3"],
    ["explain", "party.contact_members", "--year", "2023", "--set", INDICATORS],
    ["indicators", "--year", "2023", "--set", INDICATORS],
    ["report", "--year", "2023", "--template", str(EXAMPLE / "report.toml")],
    ["followups", "--on", "2023-12-31"],
]  # fmt: skip


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: a[0])
def test_a_read_command_does_not_wait_for_a_writer(example_db: Path, args: list[str]) -> None:
    """Another connection holds the write lock (BEGIN IMMEDIATE): readers go on under WAL."""
    writer = sqlite3.connect(example_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["--db", str(example_db), *args])
        elapsed = time.monotonic() - started
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert result.exit_code == 0, result.output
    assert elapsed < 20, f"{args[0]} took {elapsed:.1f}s: it waited for the writer's lock"


def test_a_writer_still_waits_for_a_writer(example_db: Path) -> None:
    """The other side of the rule: an append is refused while another writer holds the lock."""
    from civicledger import Ledger
    from civicledger.errors import StoreError

    writer = sqlite3.connect(example_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        ledger = Ledger.open(f"sqlite:///{example_db}", busy_timeout=0.2)
        with ledger, pytest.raises(StoreError, match="locked"):
            ledger.seal()
        writer.execute("ROLLBACK")
    finally:
        writer.close()


DAMAGE = {
    "frontier as text": (
        "UPDATE civicledger_ledgers SET frontier = 'garbage'",
        "frontier/root mismatch",
        "frontier",
    ),
    "tile as text": (
        "DROP TRIGGER civicledger_tiles_no_update; "
        "UPDATE civicledger_tiles SET hash = 'text' WHERE level = 8 AND node_index = 3",
        "position 1024",
        "level 8, index 3",
    ),
    "leaf hash as text": (
        "DROP TRIGGER civicledger_events_redaction_only; "
        "UPDATE civicledger_events SET leaf_hash = 'text' WHERE position = 7",
        "position 7",
        "envelope/leaf mismatch",
    ),
    "payload digest as an integer": (
        "DROP TRIGGER civicledger_events_redaction_only; "
        "UPDATE civicledger_events SET payload_digest = 12 WHERE position = 7",
        "position 7",
        "payload digest mismatch",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=list(DAMAGE))
def test_damaged_merkle_state_is_a_named_verify_problem(
    example_db: Path, damage: tuple[str, str, str]
) -> None:
    """An insider stores text in a hash column with raw SQL: verify names it (exit 1)."""
    sql, *expected = damage
    with sqlite3.connect(example_db) as connection:
        connection.executescript(sql)
    result = CliRunner().invoke(cli, ["--db", str(example_db), "verify"])
    assert result.exit_code == 1, result.output
    assert "civicledger: error" not in result.output
    for text in expected:
        assert text in result.output


def test_a_damaged_head_is_one_error_line(example_db: Path) -> None:
    with sqlite3.connect(example_db) as connection:
        connection.execute("UPDATE civicledger_ledgers SET head = 'abc'")
    result = CliRunner().invoke(cli, ["--db", str(example_db), "verify"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "civicledger: error: ledger 'default': the stored head 'abc' is not a position; "
        "the database is corrupted"
    )
