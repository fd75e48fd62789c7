"""Shared test configuration: hypothesis profiles and database locations."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# `ci` keeps the whole suite within CI's time on two cores; `dev` digs deeper.
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

POSTGRES_URL_VARIABLE = "CIVICLEDGER_TEST_POSTGRES_URL"
"""Environment variable naming the PostgreSQL server the postgres tests use."""


# --- database fixtures (issue 3: store) ---------------------------------------------


def _is_postgres_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("postgres") is not None or "postgres_url" in getattr(
        item, "fixturenames", ()
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, leave the PostgreSQL tests out and say so once (not once per test)."""
    if os.environ.get(POSTGRES_URL_VARIABLE):
        return
    postgres = [item for item in items if _is_postgres_test(item)]
    if postgres:
        items[:] = [item for item in items if not _is_postgres_test(item)]
        config.hook.pytest_deselected(items=postgres)
        config.stash[_POSTGRES_LEFT_OUT] = len(postgres)


_POSTGRES_LEFT_OUT = pytest.StashKey[int]()
_POSTGRES_HINT = (
    f"set {POSTGRES_URL_VARIABLE} to a server URL, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (each run creates and drops its own "
    "database there)"
)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    left_out = config.stash.get(_POSTGRES_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"PostgreSQL: {left_out} test(s) not run; {_POSTGRES_HINT}", yellow=True
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test run, created on the server and dropped at its end.

    The server is the one CIVICLEDGER_TEST_POSTGRES_URL names; its database in the
    URL is only where ``CREATE DATABASE`` runs. When the variable is set the server
    must be reachable: the tests that need it fail, they are not skipped.
    """
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        pytest.skip(f"PostgreSQL tests need a server: {_POSTGRES_HINT}")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"civicledger_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def ledger_name() -> str:
    """A ledger name no other test uses, so tests can share the run's PostgreSQL database."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each SQL backend: a fresh SQLite file, then PostgreSQL.

    Pair it with ``ledger_name``: the run's PostgreSQL database is shared between tests.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# --- end database fixtures ---
