"""The shared append pipeline, without a database."""

from __future__ import annotations

import uuid

import pytest

from civicledger import ANY, NO_STREAM, STREAM_EXISTS, ValidationError
from civicledger.store.planning import entries_for_stream
from civicledger.store.sql.dialect import append_only_ddl, configure_sqlite
from store_testkit import note


@pytest.mark.parametrize(
    ("first", "chain"),
    [
        (3, [3, 4, 5]),
        (NO_STREAM, [NO_STREAM, 1, 2]),
        (STREAM_EXISTS, [STREAM_EXISTS, STREAM_EXISTS, STREAM_EXISTS]),
        (ANY, [ANY, ANY, ANY]),
    ],
)
def test_one_stream_append_chains_expected_versions(first: object, chain: list[object]) -> None:
    """Each later event of an append expects the version its predecessor leaves."""
    entries = entries_for_stream("s", [note(), note(), note()], first, "x", None)  # type: ignore[arg-type]
    assert [e.expected_version for e in entries] == chain


def test_event_ids_are_paired_with_events() -> None:
    """The i-th id goes to the i-th event."""
    ids = [uuid.uuid4(), uuid.uuid4()]
    entries = entries_for_stream("s", [note("a"), note("b")], ANY, "x", ids)
    assert [(e.event.text, e.event_id) for e in entries] == [("a", ids[0]), ("b", ids[1])]  # type: ignore[attr-defined]


def test_event_ids_of_another_length_are_refused() -> None:
    """One id per event, or ValidationError naming event_ids."""
    with pytest.raises(ValidationError) as caught:
        entries_for_stream("s", [note()], ANY, "x", [uuid.uuid4(), uuid.uuid4()])
    assert caught.value.field == "event_ids"


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_append_only_triggers_cover_update_and_delete_of_events_and_tiles(
    dialect_name: str,
) -> None:
    """Every dialect's trigger DDL guards both tables against UPDATE and DELETE."""
    ddl = " ".join(append_only_ddl(dialect_name))
    for table in ("civicledger_events", "civicledger_tiles"):
        assert f"ON {table}" in ddl
    assert "UPDATE" in ddl
    assert "DELETE" in ddl


def test_unknown_synchronous_setting_is_refused() -> None:
    """configure_sqlite refuses a synchronous value SQLite does not know."""
    import sqlalchemy as sa

    engine = sa.create_engine("sqlite://")
    with pytest.raises(ValidationError) as caught:
        configure_sqlite(engine, synchronous="SOMETIMES", busy_timeout=1)
    assert caught.value.field == "synchronous"
