"""Issue 14: on SQLite a redacted value is gone from the database file and its WAL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger.catalog.party import HouseholdVisited

SECRET = "M-ERASE-ME-7f3a9c"


@pytest.mark.parametrize("leaf_version", [1, 2])
def test_the_erased_value_is_in_neither_the_file_nor_the_wal(
    tmp_path: Path, leaf_version: int
) -> None:
    """After redact returns (the ledger still open), grep finds the value nowhere."""
    from civicledger.store.sql import SqlStore

    path = tmp_path / "ledger.db"
    with Ledger(SqlStore.open(f"sqlite:///{path}", leaf_version=leaf_version)) as ledger:
        visits = [
            HouseholdVisited(
                occurred_on=date(2023, 5, day),
                member_id=SECRET if day == 3 else f"M-OTHER-{day}",
                household_id=f"H-{day}",
                in_person=True,
            )
            for day in range(1, 20)
        ]
        records = ledger.append("visits", visits, actor="clerk")
        files = [path, Path(f"{path}-wal")]
        assert any(SECRET.encode() in f.read_bytes() for f in files if f.exists())
        ledger.redact(records[2].event_id, fields=["member_id"], reason="request", actor="dpo")
        for f in files:
            if f.exists():
                assert SECRET.encode() not in f.read_bytes(), f.name
        assert ledger.verify().ok
        assert "M-OTHER-4" in str(list(ledger.read())[3].payload)
