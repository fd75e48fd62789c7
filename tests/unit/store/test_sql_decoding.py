"""decode_row builds RecordedEvents without their constructor: it must set every field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs

import civicledger.catalog as cat
from civicledger import Ledger
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
