"""Finding a person's data across the ledger, and exporting without personal values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from civicledger import Ledger, ValidationError
from civicledger.corrections.privacy import (
    PSEUDONYM_PREFIX,
    export_shareable,
    personal_fields,
    pseudonym,
    shareable,
)
from corrections_testkit import Meeting, StepClock, meeting, visit

KEY = b"0123456789abcdef-secret"


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory(clock=StepClock()) as ledger:
        yield ledger


def test_personal_fields_are_read_from_the_declarations() -> None:
    """field(personal=True) marks them."""
    assert personal_fields(Meeting) == ("chair", "names")


def test_personal_data_finds_every_event_naming_the_subject(ledger: Ledger) -> None:
    """Single values and list items both match; other people's events do not."""
    records = ledger.append(
        "m",
        [meeting(3, chair="王五"), meeting(4, chair="赵六", names=("王五", "钱七")), meeting(5)],
        actor="clerk",
    )
    ledger.append("v", [visit(visitor="赵六")], actor="clerk")
    hits = ledger.personal_data("王五")
    assert [(h.event_id, h.fields) for h in hits] == [
        (records[0].event_id, ("chair",)),
        (records[1].event_id, ("names",)),
        (records[2].event_id, ("chair",)),
    ]


def test_contains_matches_inside_free_text(ledger: Ledger) -> None:
    """contains=True finds a name mentioned in a personal note."""
    (record,) = ledger.append("v", [visit(note="与王五同住")], actor="clerk")
    assert ledger.personal_data("王五") == []
    (hit,) = ledger.personal_data("王五", contains=True)
    assert (hit.event_id, hit.fields) == (record.event_id, ("note",))


def test_a_value_only_in_a_correction_is_reported_against_the_corrected_event(
    ledger: Ledger,
) -> None:
    """The hit names the event to redact and the correction that holds the value."""
    (record,) = ledger.append("v", [visit(visitor="李四")], actor="clerk")
    correction = ledger.correct(record.event_id, visit(visitor="孙八"), reason="x", actor="a")
    (hit,) = ledger.personal_data("孙八")
    assert (hit.event_id, hit.found_in, hit.fields) == (
        record.event_id,
        correction.event_id,
        ("visitor",),
    )


def test_after_redaction_the_subject_is_no_longer_found(ledger: Ledger) -> None:
    """Redacting every hit leaves nothing to find, in events or their corrections."""
    (record,) = ledger.append("v", [visit(visitor="李四")], actor="clerk")
    ledger.correct(record.event_id, visit(visitor="李四", note="改"), reason="x", actor="a")
    for hit in ledger.personal_data("李四"):
        ledger.redact(hit.event_id, fields=list(hit.fields), reason="erasure", actor="dpo")
    assert ledger.personal_data("李四") == []


def test_an_empty_subject_is_refused(ledger: Ledger) -> None:
    """Searching for nothing would match nothing useful."""
    with pytest.raises(ValidationError, match="subject"):
        ledger.personal_data(" ")


def test_shareable_omits_personal_fields_by_default(ledger: Ledger) -> None:
    """Without a key the personal fields are simply absent."""
    (record,) = ledger.append("m", [meeting(3, chair="王五", names=("甲",))], actor="clerk")
    data = shareable(record)
    assert "chair" not in data["payload"]
    assert "names" not in data["payload"]
    assert data["payload"]["attendees"] == 3


def test_pseudonyms_are_keyed_and_stable(ledger: Ledger) -> None:
    """Equal values give equal pseudonyms under one key; lists are pseudonymised item by item."""
    records = ledger.append(
        "m", [meeting(3, chair="王五", names=("甲", "乙")), meeting(4, chair="王五")], actor="c"
    )
    first, second = (shareable(r, key=KEY)["payload"] for r in records)
    assert first["chair"] == second["chair"] == pseudonym(KEY, "王五")
    assert first["chair"].startswith(PSEUDONYM_PREFIX)
    assert first["names"] == [pseudonym(KEY, "甲"), pseudonym(KEY, "乙")]
    assert pseudonym(b"another-key-of-16+", "王五") != first["chair"]


def test_a_short_key_is_refused(ledger: Ledger) -> None:
    """A pseudonym key must be long enough to resist guessing."""
    (record,) = ledger.append("m", [meeting(3)], actor="clerk")
    with pytest.raises(ValidationError, match="16 bytes"):
        shareable(record, key=b"short")


def test_export_writes_the_effective_view_without_personal_values(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The export holds corrected values, no retracted events, and no names."""
    (a, b) = ledger.append("m", [meeting(32, chair="王五"), meeting(8)], actor="clerk")
    ledger.correct(a.event_id, meeting(23, chair="王五"), reason="typo", actor="c")
    ledger.retract(b.event_id, reason="dup", actor="c")
    path = tmp_path / "share.jsonl"
    assert export_shareable(ledger.read(effective=True), path) == 1
    text = path.read_text(encoding="utf-8")
    assert "王五" not in text
    (line,) = [orjson.loads(x) for x in text.splitlines()]
    assert line["payload"]["attendees"] == 23
    assert line["corrected"] != []


def test_a_redacted_record_exports_what_is_left(ledger: Ledger) -> None:
    """Redacted records export their remaining values and name the redacted fields."""
    (record,) = ledger.append("v", [visit()], actor="clerk")
    ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    (effective,) = ledger.read(effective=True)
    data = shareable(effective, key=KEY)
    assert data["payload"]["household"] == "H-7"
    assert data["payload"]["note"] == pseudonym(KEY, "独居老人")
    assert data["redacted"] == ["visitor"]


def test_a_redacted_ledger_refuses_a_jsonl_export_clearly(ledger: Ledger, tmp_path: Path) -> None:
    """JSON Lines re-records events in full, so a redacted event is refused by id, no file left."""
    (record,) = ledger.append("v", [visit()], actor="clerk")
    ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    target = tmp_path / "all.jsonl"
    with pytest.raises(
        ValidationError, match=f"event {record.event_id} at position 1 was redacted"
    ):
        ledger.export_jsonl(target)
    assert not target.exists()
