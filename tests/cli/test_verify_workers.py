"""`civicledger verify --workers`: the example ledger verified in two processes, and bad counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import civicledger.audit.parallel as parallel
from civicledger.cli import cli


def test_verify_in_two_processes_says_ok(
    runner: CliRunner, example_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two workers the example year (2,987 events) is split in two and verifies."""
    monkeypatch.setattr(parallel, "EVENTS_PER_WORKER", 1000)
    result = runner.invoke(cli, ["--db", str(example_db), "verify", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(": OK")


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_a_bad_worker_count_is_refused_naming_the_option(
    runner: CliRunner, example_db: Path, value: str
) -> None:
    """A count that is not a whole number of at least 1 is a usage error naming --workers."""
    result = runner.invoke(cli, ["--db", str(example_db), "verify", "--workers", value])
    assert result.exit_code == 2
    assert "--workers" in result.stderr
