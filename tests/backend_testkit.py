"""The backends a contract suite runs on, as pytest parameters (the fixtures are in
tests/contract/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from civicledger import Ledger

MakeLedger = Callable[..., Ledger]
"""Opens a fresh ledger on the test's backend; keywords as for ``Ledger.open``."""

SQL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_BACKENDS]
