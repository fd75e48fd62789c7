"""Fixtures for command-line tests: a runner and an imported example ledger."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def example_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example year imported once per session; tests copy it."""
    path = tmp_path_factory.mktemp("example") / "example.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "import", str(EXAMPLE / "events.jsonl")])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def example_db(example_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the imported example ledger."""
    path = tmp_path / "example.db"
    shutil.copy(example_db_template, path)
    return path
