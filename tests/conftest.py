"""Shared test configuration: hypothesis profiles and database locations."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# `ci` keeps the whole suite within CI's time on two cores; `dev` digs deeper.
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

POSTGRES_URL_VARIABLE = "CIVICLEDGER_TEST_POSTGRES_URL"
"""Environment variable naming the PostgreSQL server the postgres tests use."""
