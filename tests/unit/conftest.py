"""Fixtures shared by unit tests: the example year, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger.indicators import load
from civicledger.projections import IndicatorSet

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"


@pytest.fixture(scope="module")
def example_set() -> IndicatorSet:
    """The example's indicator set."""
    return load(EXAMPLE / "indicators.toml")


@pytest.fixture(scope="module")
def example_ledger() -> Ledger:
    """The example year in memory (tests only read it)."""
    ledger = Ledger.in_memory()
    ledger.import_jsonl(EXAMPLE / "events.jsonl")
    return ledger
