"""decode_row builds RecordedEvents without their constructor: it must set every field, and
a damaged row read back must raise the error that names it."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import attrs
import pytest

import civicledger.catalog as cat
from civicledger import (
    DamagedRowError,
    Ledger,
    StoreError,
    UnknownEventTypeError,
    ValidationError,
)
from civicledger.events import RecordedEvent
from civicledger.store import NewEvent


def _meeting(day: int) -> cat.MeetingHeld:
    return cat.MeetingHeld(
        occurred_on=date(2023, 3, day),
        body=cat.MeetingBody.PARTY_COMMITTEE,
        topic="讨论",
        attendees=5,
        location="服务中心",
        branch=None,
    )


def test_read_records_equal_their_constructor_built_copies(tmp_path: Path) -> None:
    """Each field of a read record is set, and the record equals one the constructor builds
    from the same values (attrs' eq compares every field; an unset slot raises)."""
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        ledger.append("meetings/party_committee", [_meeting(1), _meeting(2)], actor="clerk")
        records = list(ledger.read())
    assert len(records) == 2
    for record in records:
        values = {a.name: getattr(record, a.name) for a in attrs.fields(RecordedEvent)}
        assert RecordedEvent(**values) == record
        assert repr(RecordedEvent(**values)) == repr(record)
        assert values["corrections"] == ()
        assert values["redacted_fields"] == ()


def test_appended_records_equal_their_constructor_built_copies(tmp_path: Path) -> None:
    """An append builds its returned records slot by slot too (Plan.record): every field
    set, equal to the constructor's record and to the record read back."""
    for ledger in (Ledger.in_memory(), Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")):
        with ledger:
            appended = ledger.append("meetings/party_committee", [_meeting(1)], actor="clerk")
            appended += ledger.append_batch(
                [NewEvent(stream="meetings/party_committee", event=_meeting(2), actor="clerk")]
            )
            assert appended == list(ledger.read())
        for record in appended:
            values = {a.name: getattr(record, a.name) for a in attrs.fields(RecordedEvent)}
            assert RecordedEvent(**values) == record
            assert repr(RecordedEvent(**values)) == repr(record)
            assert hash(RecordedEvent(**values)) == hash(record)


def _damaged(tmp_path: Path, sql: str, *values: str) -> tuple[Ledger, RecordedEvent]:
    """A ledger of two meetings whose second row ``sql`` has changed (the append-only
    triggers dropped first, as only someone editing the file by hand could), and the
    record as it was read before."""
    path = tmp_path / "ledger.db"
    ledger = Ledger.open(f"sqlite:///{path}")
    ledger.append("meetings/party_committee", [_meeting(1), _meeting(2)], actor="clerk")
    second = list(ledger.read())[1]
    with sqlite3.connect(path) as db:
        triggers = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            ("civicledger_events",),
        ).fetchall()
        for (name,) in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        assert db.execute(sql + " WHERE position = 2", values).rowcount == 1
    db.close()
    return ledger, second


# The stored payload: {"attendees":5,"body":"party_committee","branch":null,
# "location":"服务中心","occurred_on":"2023-03-02","topic":"讨论"}
@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"attendees":5', '"attendees":"5"', "attendees"),  # an int field holding text
        ('"topic":', '"topic":7,"x":', "topic"),  # a text field holding a number
        ('"attendees"', '"attendance"', "attendees"),  # a field renamed: as many keys
        ('"branch":null', '"branch":3', "branch"),  # an optional text field, a number
        ('"attendees":5,', "", "attendees"),  # a field missing
        ('"body":"party_committee"', '"body":"party"', "body"),  # not in the vocabulary
        ('"occurred_on":"2023-03-02"', '"occurred_on":"2023-02-30"', "occurred_on"),
    ],
)
def test_a_mistyped_stored_payload_names_its_position_id_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    """A stored payload whose field has the wrong type, name or value: the read raises the
    full decoder's error for that field, prefixed by the row's position and event id."""
    ledger, second = _damaged(
        tmp_path, "UPDATE civicledger_events SET payload = replace(payload, ?, ?)", old, new
    )
    with ledger, pytest.raises(ValidationError) as caught:
        list(ledger.read())
    assert caught.value.message.startswith(
        f"stored event at position 2 (id {second.event_id}): meeting_held"
    )
    assert caught.value.field == field
    assert caught.value.event_id == str(second.event_id)
    assert caught.value.event_type == "meeting_held"


def test_a_stored_payload_that_is_not_json_is_a_corrupted_database(tmp_path: Path) -> None:
    """Broken JSON in a payload column: a StoreError naming the row's position and id."""
    ledger, second = _damaged(
        tmp_path, "UPDATE civicledger_events SET payload = substr(payload, 2)"
    )
    with ledger, pytest.raises(StoreError) as caught:
        list(ledger.read())
    assert str(caught.value).startswith(
        f"stored event at position 2 (id {second.event_id}) has a payload that is not JSON; "
        "the database is corrupted"
    )


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("UPDATE civicledger_events SET event_id = x'0102'", "has an event id that is not a UUID"),
        ("UPDATE civicledger_events SET event_id = 'text'", "has an event id that is not a UUID"),
        ("UPDATE civicledger_events SET occurred_on = 'soon'", "holds a value no event can have"),
        ("UPDATE civicledger_events SET occurred_on = '2023-02-30'", "holds a value no event"),
        ("UPDATE civicledger_events SET recorded_at = 'soon'", "holds a value no event can have"),
        (
            "UPDATE civicledger_events SET payload = CAST(x'7b2261223a22ff227d' AS TEXT)",
            "has a payload that is not JSON",  # its bytes are not UTF-8
        ),
        # Text that is not UTF-8: the driver would fail the whole batch, naming no row.
        ("UPDATE civicledger_events SET stream = CAST(x'ff' AS TEXT)", "has a stream that is"),
        ("UPDATE civicledger_events SET actor = CAST(x'ff' AS TEXT)", "has an actor that is"),
        ("UPDATE civicledger_events SET occurred_on = CAST(x'ff' AS TEXT)", "holds a value"),
        # Values of another kind than the column's.
        ("UPDATE civicledger_events SET stream = x'01'", "has a stream that is not text"),
        ("UPDATE civicledger_events SET stream_version = 'x'", "a stream version that is"),
        ("UPDATE civicledger_events SET schema_version = 1.5", "a schema version that is"),
        ("UPDATE civicledger_events SET type = x'01'", "has a type that is not text"),
    ],
)
def test_a_value_no_event_can_have_is_a_damaged_row_at_its_position(
    tmp_path: Path, sql: str, says: str
) -> None:
    """Values no append writes, stored with raw SQL: a DamagedRowError (a StoreError) that
    names the position, never a bare ValueError or TypeError."""
    ledger, _ = _damaged(tmp_path, sql)
    with ledger, pytest.raises(DamagedRowError) as caught:
        list(ledger.read())
    assert isinstance(caught.value, StoreError)
    assert caught.value.position == 2
    assert str(caught.value).startswith("stored event at position 2 ")
    assert says in str(caught.value)
    assert "; the database is corrupted" in str(caught.value)


def test_envelopes_name_an_event_id_that_is_not_a_uuid(tmp_path: Path) -> None:
    """read_envelopes (lazy lineage, evidence) reads ids without payloads: the same error."""
    ledger, second = _damaged(tmp_path, "UPDATE civicledger_events SET event_id = x'0102'")
    with ledger, pytest.raises(DamagedRowError, match="position 2 has an event id") as caught:
        list(ledger.store.read_envelopes([second.type], 2))
    assert caught.value.position == 2


def test_a_payload_retyped_as_a_blob_reads_as_its_text(tmp_path: Path) -> None:
    """SQLite lets an UPDATE store the same bytes as a BLOB: the bytes are the record, so
    the event reads back as it was (and verify() finds nothing changed)."""
    ledger, second = _damaged(
        tmp_path, "UPDATE civicledger_events SET payload = CAST(payload AS BLOB)"
    )
    with ledger:
        assert list(ledger.read())[1] == second
        assert ledger.verify().ok


def test_a_stored_row_of_an_unknown_type_names_its_position_and_id(tmp_path: Path) -> None:
    """A type name no class is registered for: UnknownEventTypeError at the row."""
    ledger, second = _damaged(tmp_path, "UPDATE civicledger_events SET type = 'meeting_hold'")
    with ledger, pytest.raises(UnknownEventTypeError) as caught:
        list(ledger.read())
    assert caught.value.message.startswith(f"stored event at position 2 (id {second.event_id}): ")
    assert "meeting_hold" in caught.value.message
    assert caught.value.event_id == str(second.event_id)


def test_the_payloads_of_one_type_are_read_in_keyset_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payloads verify and the replica sync read before a walk come in batches, in
    position order, each as the row source's own row holds it (memory stays flat however
    many corrections a ledger holds)."""
    import civicledger.store.sql.rows as sql_rows

    monkeypatch.setattr(sql_rows, "BATCH", 2)
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for day in range(1, 8):
            ledger.append("meetings/party_committee", [_meeting(day)], actor="clerk")
            ledger.append("visits", [_visit(day)], actor="clerk")
        source = ledger.store.row_source()
        meetings = list(source.payloads_of_type("meeting_held", 13))
        rows = {row.position: row.payload for row in source.rows(1, 14)}
    assert [m.position for m in meetings] == [1, 3, 5, 7, 9, 11, 13]
    assert all(m.payload == rows[m.position] for m in meetings)


def _visit(day: int) -> cat.HouseholdVisited:
    return cat.HouseholdVisited(
        occurred_on=date(2023, 3, day), member_id=f"M-{day}", household_id="H-1", in_person=True
    )
