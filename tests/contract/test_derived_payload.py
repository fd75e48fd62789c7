"""PostgreSQL's generated ``payload_json`` column (schema version 4): what the pushdown reads.

A new database has it, a version 3 database gains it when opened (plain and
hash-partitioned), figures stay identical, and ``verify`` catches an insider who
detaches it from the verified payload (``DROP EXPRESSION``, then an edit). Each
test uses a database of its own, created and dropped here.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from civicledger import Ledger
from civicledger.audit.problems import ProblemKind
from civicledger.store.sql.partitioning import partition_by_ledger

pytestmark = pytest.mark.postgres

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = EXAMPLE / "indicators.toml"
CONTACT = "member_household_contact_assigned"
GENERATED = (
    "SELECT c.relname, a.attgenerated FROM pg_attribute AS a JOIN pg_class AS c "
    "ON c.oid = a.attrelid WHERE a.attname = 'payload_json' AND NOT a.attisdropped "
    "AND c.relname LIKE 'civicledger_events%' ORDER BY c.relname"
)


@pytest.fixture
def own_database(postgres_url: str) -> Iterator[str]:
    server = sa.make_url(postgres_url)
    name = f"civicledger_derived_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _figures(ledger: Ledger) -> list[tuple[Any, ...]]:
    return [
        (f.id, f.group, f.value) for f in ledger.indicators(INDICATORS, year=2023, lineage="lazy")
    ]


def _run(url: str, *statements: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result: list[Any] = []
            for statement in statements:
                rows = conn.execute(sa.text(statement))
                result = list(rows.all()) if rows.returns_rows else []
            return result
    finally:
        engine.dispose()


def _make_schema_version_3(url: str) -> None:
    """Version 3's DDL: the events table without the generated column."""
    _run(
        url,
        "ALTER TABLE civicledger_events DROP COLUMN payload_json",
        "UPDATE civicledger_meta SET value = '3' WHERE key = 'schema_version'",
    )


def _filled(url: str) -> list[tuple[Any, ...]]:
    """The example ledger "street" (computed by the pushdown) and "erased", where a redaction
    rewrote a payload (and the database its parsed copy); the figures of "street"."""
    lines = (EXAMPLE / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    with tempfile.TemporaryDirectory() as folder, Ledger.open(url, "erased") as ledger:
        few = Path(folder) / "few.jsonl"
        few.write_text("".join(lines[:20]), encoding="utf-8")
        ledger.import_jsonl(few)
        (first,) = [r for r in ledger.read() if r.position == 2]
        ledger.redact(first.event_id, fields=None, reason="request", actor="dpo")
    with Ledger.open(url, "street") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        return _figures(ledger)


def _verified(url: str) -> None:
    for name in ("street", "erased"):
        with Ledger.open(url, name, create=False) as ledger:
            report = ledger.verify()
            assert report.ok, str(report)


def test_a_new_database_reads_the_generated_column(own_database: str) -> None:
    """The pushdown's queries name payload_json; appends (COPY) cannot and do not write it."""
    _filled(own_database)
    assert _run(own_database, GENERATED) == [("civicledger_events", "s")]
    _verified(own_database)
    (redacted,) = _run(
        own_database,
        "SELECT coalesce(payload_json ? 'name', false) FROM civicledger_events WHERE position = 2 "
        "AND ledger_id = (SELECT id FROM civicledger_ledgers WHERE name = 'erased')",
    )
    assert redacted == (False,)
    with pytest.raises(sa.exc.DatabaseError, match="generated column"):
        _run(own_database, "UPDATE civicledger_events SET payload_json = '{}' WHERE position = 2")


@pytest.mark.parametrize("partitions", [None, 3], ids=["plain", "partitioned"])
def test_a_version_3_database_gains_the_column_with_identical_figures(
    own_database: str, partitions: int | None
) -> None:
    """Opening a version 3 database adds the column (to every partition); figures and
    verification are those of before."""
    if partitions is not None:
        partition_by_ledger(own_database, partitions)
    figures = _filled(own_database)
    _make_schema_version_3(own_database)
    assert _run(own_database, GENERATED) == []
    _verified(own_database)
    with Ledger.open(own_database, "street", create=False) as ledger:
        assert _figures(ledger) == figures
    found = _run(own_database, GENERATED)
    tables = 1 + (partitions or 0)  # events and its partitions
    assert len(found) == tables
    assert {g for _, g in found} == {"s"}
    (version,) = _run(
        own_database, "SELECT value FROM civicledger_meta WHERE key = 'schema_version'"
    )
    assert version == ("4",)


def test_an_edited_derived_column_is_named_by_verify(own_database: str) -> None:
    """DROP EXPRESSION then an UPDATE changes figures but not the payload: verify names
    the detached column and the first edited position."""
    figures = _filled(own_database)
    _run(
        own_database,
        "ALTER TABLE civicledger_events ALTER COLUMN payload_json DROP EXPRESSION",
        "ALTER TABLE civicledger_events DISABLE TRIGGER USER",
        'UPDATE civicledger_events SET payload_json = payload_json || \'{"member_id": "M1"}\' '
        f"WHERE type = '{CONTACT}'",
        "ALTER TABLE civicledger_events ENABLE TRIGGER USER",
    )
    (first,) = _run(
        own_database,
        f"SELECT min(position) FROM civicledger_events WHERE type = '{CONTACT}'",
    )
    with Ledger.open(own_database, "street", create=False) as ledger:
        assert _figures(ledger) != figures  # the attack works on figures...
        report = ledger.verify()
    assert not report.ok  # ...and verify sees it
    derived = [(p.position, p.detail) for p in report.problems if p.kind == ProblemKind.DERIVED]
    assert derived[0][0] is None
    assert "no longer generated" in derived[0][1]
    assert derived[1][0] == first[0]


def test_a_detached_but_unchanged_column_is_still_reported(own_database: str) -> None:
    """Dropping the expression alone (values still right) leaves the column writable."""
    _filled(own_database)
    _run(own_database, "ALTER TABLE civicledger_events ALTER COLUMN payload_json DROP EXPRESSION")
    with Ledger.open(own_database, "street", create=False) as ledger:
        problems = [(p.position, p.kind) for p in ledger.verify().problems]
    assert problems == [(None, ProblemKind.DERIVED)]


def test_a_dropped_column_is_reported(own_database: str) -> None:
    _filled(own_database)
    _run(own_database, "ALTER TABLE civicledger_events DROP COLUMN payload_json")
    with Ledger.open(own_database, "street", create=False) as ledger:
        problems = ledger.verify().problems
    assert [(p.position, p.kind) for p in problems] == [(None, ProblemKind.DERIVED)]
    assert "no payload_json column" in problems[0].detail


def test_a_payload_that_is_not_json_does_not_stop_verify(own_database: str) -> None:
    """With the expression dropped, a payload can hold any text: verify still reports."""
    _filled(own_database)
    _run(
        own_database,
        "ALTER TABLE civicledger_events ALTER COLUMN payload_json DROP EXPRESSION",
        "ALTER TABLE civicledger_events DISABLE TRIGGER USER",
        "UPDATE civicledger_events SET payload = 'not json' WHERE position = 5 "
        "AND ledger_id = (SELECT id FROM civicledger_ledgers WHERE name = 'street')",
        "ALTER TABLE civicledger_events ENABLE TRIGGER USER",
    )
    with Ledger.open(own_database, "street", create=False) as ledger:
        problems = ledger.verify().problems
    assert (5, ProblemKind.MALFORMED) in [(p.position, p.kind) for p in problems]
    derived = [p.detail for p in problems if p.kind == ProblemKind.DERIVED]
    assert len(derived) == 2
    assert "is not JSON" in derived[1]


@pytest.mark.parametrize(
    "text",
    [
        '{"count": 3, "name": "社区", "ids": ["a", "b"], "ok": true, "none": null}',
        '{"amount": "12.50", "nested": {"list": [1, 2, {"x": -7}]}}',
        # beyond 64 bits: no payload the library writes holds one, a raw SQL row could
        '{"big": 123456789012345678901234567890}',
    ],
)
def test_the_stores_engine_parses_jsonb_as_the_standard_library_does(
    postgres_url: str, text: str
) -> None:
    import json

    from civicledger.store.sql.engine import open_engine

    engine = open_engine(sa.make_url(postgres_url))
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT CAST(:t AS jsonb)"), {"t": text}).scalar_one()
    finally:
        engine.dispose()
    assert value == json.loads(text)
