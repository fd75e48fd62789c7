"""The PostgreSQL tests use a database of their own run, and say once when they cannot run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL_VARIABLE = "CIVICLEDGER_TEST_POSTGRES_URL"


@pytest.mark.postgres
def test_postgres_tests_run_in_a_database_of_their_own(postgres_url: str) -> None:
    """Not the server's shared database: one made for this run (and dropped at its end)."""
    import psycopg

    server = make_url(os.environ[POSTGRES_URL_VARIABLE])
    ours = make_url(postgres_url)
    assert ours.database != server.database
    assert (ours.database or "").startswith("civicledger_test_")
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as connection:
        found = connection.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (ours.database,)
        ).fetchone()
    assert found == (1,)


def test_without_a_server_the_hint_is_given_once() -> None:
    environment = {k: v for k, v in os.environ.items() if k != POSTGRES_URL_VARIABLE}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "tests/contract/test_sql_store.py"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(POSTGRES_URL_VARIABLE) == 1, result.stdout
    assert "skipped" not in result.stdout
    assert "test(s) not run" in result.stdout
