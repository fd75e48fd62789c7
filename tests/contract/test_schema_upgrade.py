"""Older schema versions are upgraded in place when opened: version 1 (before leaf
format v2) and version 2 (before cosignatures).

Simulated from a current database by removing what version 2 added; the SQLite
fixture made by the old code itself is tested in tests/unit/merkle/test_leaf_v1_fixture.py.
The PostgreSQL case uses a database of its own, created and dropped here, so
the shared test database is never downgraded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicledger import Ledger
from civicledger.audit import Signer
from civicledger.catalog.party import HouseholdVisited
from civicledger.store.sql import SqlStore

VISIT = HouseholdVisited(
    occurred_on=date(2023, 5, 5), member_id="M-1", household_id="H-7", in_person=True
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = sa.make_url(request.getfixturevalue("postgres_url"))
    name = f"civicledger_upgrade_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _make_schema_version_1(url: str) -> None:
    engine = sa.create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        on = " ON civicledger_events" if postgres else ""
        conn.execute(sa.text(f"DROP TRIGGER civicledger_events_redaction_only{on}"))
        conn.execute(sa.text("ALTER TABLE civicledger_events DROP COLUMN commitments"))
        conn.execute(sa.text("ALTER TABLE civicledger_ledgers DROP COLUMN leaf_version"))
        conn.execute(
            sa.text("UPDATE civicledger_meta SET value = '1' WHERE key = 'schema_version'")
        )
    engine.dispose()


def test_an_old_database_is_upgraded_and_keeps_v1(own_database: str) -> None:
    """Opening adds the columns and stricter triggers; the old ledger stays v1 and verifies."""
    with Ledger(SqlStore.open(own_database, "old", leaf_version=1)) as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        ledger.redact(visit.event_id, fields=["member_id"], reason="request", actor="dpo")
        before = ledger.verify()
    _make_schema_version_1(own_database)
    with Ledger.open(own_database, "old", create=False) as ledger:
        assert ledger.store.leaf_version == 1
        after = ledger.verify()
        assert after.ok, str(after)
        assert after.root_hash == before.root_hash
        store = ledger.store
        assert isinstance(store, SqlStore)
        forged = "UPDATE civicledger_events SET commitments = '{\"digests\":{}}'"
        refused = pytest.raises(sa.exc.DatabaseError, match="only a redaction")
        with refused, store.engine.begin() as c:
            c.execute(sa.text(forged))
        with store.engine.connect() as c:
            version = c.execute(
                sa.text("SELECT value FROM civicledger_meta WHERE key = 'schema_version'")
            ).scalar_one()
        assert version == "4"
    with Ledger.open(own_database, "new") as ledger:
        assert ledger.store.leaf_version == 2


def _make_schema_version_2(url: str, *, with_seals: bool) -> None:
    """Version 2 had no cosignatures table and made the seals table on first use."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE civicledger_cosignatures"))
        if not with_seals:
            conn.execute(sa.text("DROP TABLE civicledger_seals"))
        conn.execute(
            sa.text("UPDATE civicledger_meta SET value = '2' WHERE key = 'schema_version'")
        )
    engine.dispose()


@pytest.mark.parametrize("with_seals", [True, False], ids=["sealed", "never-sealed"])
def test_a_version_2_database_gains_the_cosignature_table(
    own_database: str, with_seals: bool
) -> None:
    """Opening creates what is missing, append-only; stored seals stay and verify."""
    signer = Signer.generate("street.example")
    with Ledger.open(own_database, "old") as ledger:
        ledger.append("visits", [VISIT], actor="clerk")
        if with_seals:
            ledger.seal()
    _make_schema_version_2(own_database, with_seals=with_seals)
    with Ledger.open(own_database, "old", create=False) as ledger:
        assert len(ledger.seals()) == (1 if with_seals else 0)
        seal = ledger.seals()[0] if with_seals else ledger.seal()
        ledger.cosign(seal, signer)
        assert ledger.verify(signer.verifier()).ok
        store = ledger.store
        assert isinstance(store, SqlStore)
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as c:
            c.execute(sa.text("DELETE FROM civicledger_cosignatures"))
        with store.engine.connect() as c:
            version = c.execute(
                sa.text("SELECT value FROM civicledger_meta WHERE key = 'schema_version'")
            ).scalar_one()
        assert version == "4"
