"""Shared test configuration: hypothesis profiles and database locations."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

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


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL URL from CIVICLEDGER_TEST_POSTGRES_URL; the test skips when it is unset.

    When it is set the server must be reachable: tests that cannot connect fail.
    """
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need a server: set {POSTGRES_URL_VARIABLE}, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    return url


@pytest.fixture
def ledger_name() -> str:
    """A ledger name no other test uses, so tests can share one PostgreSQL database."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each SQL backend: a fresh SQLite file, then PostgreSQL.

    Pair it with ``ledger_name``: the PostgreSQL database is shared between tests.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


# --- end database fixtures ---
