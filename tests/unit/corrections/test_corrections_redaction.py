"""Redaction on an in-memory ledger, and the stored-form helpers behind it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from civicledger import Event, Ledger, StoreError, ValidationError, event, field
from civicledger.corrections import RedactedPayload
from civicledger.errors import CorrectionError
from civicledger.events import Codec, EventRegistry, upcast
from civicledger.events.redaction import (
    REDACTED_KEY,
    decode_stored,
    is_redacted_text,
    redact_stored,
    stored_keys,
)
from civicledger.store import MemoryStore
from corrections_testkit import StepClock, meeting, meetings, visit


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory(clock=StepClock()) as ledger:
        yield ledger


def test_redacted_fields_are_absent_and_the_rest_remain(ledger: Ledger) -> None:
    """A read returns the event marked redacted, without the named fields' values."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    ledger.redact(record.event_id, fields=["visitor", "note"], reason="erasure #7", actor="dpo")
    (read,) = ledger.read(types=["ctest.visit_made"])
    assert read.redacted_fields == ("visitor", "note")
    assert isinstance(read.payload, RedactedPayload)
    assert read.payload.household == "H-7"
    assert read.payload.occurred_on == date(2023, 4, 2)
    assert getattr(read.payload, "visitor", "gone") == "gone"
    with pytest.raises(AttributeError, match="redacted"):
        _ = read.payload.note


def test_the_whole_payload_can_go(ledger: Ledger) -> None:
    """fields=None removes every payload value; the business date stays (it is in the envelope)."""
    (record,) = ledger.append("meetings", [meeting(12)], actor="clerk")
    ledger.redact(record.event_id, reason="erasure", actor="dpo")
    (read,) = ledger.read(types=["ctest.meeting_held"])
    assert isinstance(read.payload, RedactedPayload)
    assert read.payload.values == {}
    assert set(read.redacted_fields) == {"attendees", "topic", "chair", "names"}
    assert read.occurred_on == date(2023, 3, 1)


def test_redaction_is_recorded_as_an_event(ledger: Ledger) -> None:
    """Who, when, why and which fields: the redaction event carries them."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    redaction = ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    assert redaction.type == "event_redacted"
    assert redaction.actor == "dpo"
    assert redaction.payload.fields == ("visitor",)  # type: ignore[attr-defined]
    assert redaction.payload.target_event_id == record.event_id  # type: ignore[attr-defined]
    (effective,) = ledger.read(effective=True)
    assert [(a.kind, a.fields, a.actor) for a in effective.corrections] == [
        ("redacted", ("visitor",), "dpo")
    ]


def test_verify_stays_clean_and_counts_the_redacted_rows(ledger: Ledger) -> None:
    """Leaves commit to the payload digest, not the payload, so the tree still verifies."""
    (record, _) = ledger.append("visits", [visit(), visit("赵六")], actor="clerk")
    seal = ledger.seal()
    proof = ledger.prove(record.event_id, seal)
    ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    report = ledger.verify()
    assert report.ok, report
    assert report.redacted == 1
    assert ledger.prove(record.event_id, seal) == proof


def test_only_personal_fields_can_be_redacted_one_by_one(ledger: Ledger) -> None:
    """Naming a field that is not personal (or does not exist) is refused, naming it."""
    (record,) = ledger.append("meetings", [meeting(12)], actor="clerk")
    with pytest.raises(CorrectionError, match="attendees is not declared personal") as caught:
        ledger.redact(record.event_id, fields=["attendees"], reason="x", actor="dpo")
    assert caught.value.field == "attendees"
    with pytest.raises(CorrectionError, match="no such field"):
        ledger.redact(record.event_id, fields=["nope"], reason="x", actor="dpo")
    with pytest.raises(CorrectionError, match="non-empty list"):
        ledger.redact(record.event_id, fields=[], reason="x", actor="dpo")
    assert ledger.head() == 1


def test_redaction_events_cannot_be_redacted(ledger: Ledger) -> None:
    """A redaction event holds no personal data and stays readable."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    redaction = ledger.redact(record.event_id, fields=["visitor"], reason="x", actor="dpo")
    with pytest.raises(CorrectionError, match="redaction events hold no personal data"):
        ledger.redact(redaction.event_id, reason="x", actor="dpo")


def test_redacting_again_adds_fields_and_repeating_changes_nothing(ledger: Ledger) -> None:
    """A second redaction removes more; repeating one is harmless."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    ledger.redact(record.event_id, fields=["note"], reason="a", actor="dpo")
    ledger.redact(record.event_id, fields=["note"], reason="a again", actor="dpo")
    ledger.redact(record.event_id, fields=["visitor"], reason="b", actor="dpo")
    (read,) = ledger.read(types=["ctest.visit_made"])
    assert sorted(read.redacted_fields) == ["note", "visitor"]
    assert ledger.verify().ok


def test_a_redacted_event_cannot_be_corrected(ledger: Ledger) -> None:
    """A correction would record the erased values again, so it is refused."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    with pytest.raises(CorrectionError, match="it was redacted"):
        ledger.correct(record.event_id, visit("王五"), reason="x", actor="a")


def test_redaction_reaches_the_copies_in_corrections(ledger: Ledger) -> None:
    """A correction's replacement holds the personal values too; redaction removes them there."""
    (record,) = ledger.append("visits", [visit()], actor="clerk")
    correction = ledger.correct(record.event_id, visit(note="已搬走"), reason="x", actor="a")
    ledger.redact(record.event_id, fields=["visitor", "note"], reason="erasure", actor="dpo")
    raw = {r.event_id: r for r in ledger.read()}
    stored = raw[correction.event_id]
    assert sorted(stored.redacted_fields) == ["replacement.note", "replacement.visitor"]
    assert "李四" not in stored.payload.replacement  # type: ignore[attr-defined]
    assert "已搬走" not in stored.payload.replacement  # type: ignore[attr-defined]
    (effective,) = ledger.read(effective=True)
    assert isinstance(effective.payload, RedactedPayload)
    assert effective.payload.household == "H-7"
    assert sorted(effective.redacted_fields) == ["note", "visitor"]
    assert ledger.verify().ok


def test_whole_redaction_of_a_correction_keeps_its_target(ledger: Ledger) -> None:
    """Redacting a correction wholly keeps the id of the event it corrects, so it still places."""
    (record,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    correction = ledger.correct(record.event_id, meeting(23), reason="x", actor="a")
    ledger.redact(correction.event_id, reason="erasure", actor="dpo")
    (effective,) = ledger.read(effective=True)
    assert isinstance(effective.payload, RedactedPayload)
    assert effective.corrections[0].event_id == correction.event_id


def test_figures_that_need_no_redacted_field_are_unchanged(ledger: Ledger) -> None:
    """A count does not read the redacted chair, so redaction leaves it alone."""
    (record, _) = ledger.append("meetings", [meeting(12), meeting(8)], actor="clerk")
    ledger.redact(record.event_id, fields=["chair", "names"], reason="erasure", actor="dpo")
    (figure,) = ledger.indicators([meetings()], year=2023)
    assert figure.value == 2


def test_a_store_without_redaction_says_so() -> None:
    """The contract's default refuses: a third-party store must opt in."""
    from civicledger.store import EventStore

    class Minimal(MemoryStore):
        redact_payload = EventStore.redact_payload

    store = Minimal()
    (record,) = store.append("visits", [visit()], actor="clerk")
    with pytest.raises(StoreError, match="cannot redact"):
        store.redact_payload(record.event_id, ["visitor"])


# -- the stored form --------------------------------------------------------------------


def test_the_redacted_form_starts_with_its_marker() -> None:
    """A partly redacted payload lists what was removed under the $redacted key."""
    data = {"household": "H-7", "visitor": "李四", "occurred_on": "2023-04-02"}
    remaining = redact_stored(data, ["visitor"])
    assert remaining == {REDACTED_KEY: ["visitor"], "household": "H-7", "occurred_on": "2023-04-02"}
    from civicledger.events import canonical_bytes

    assert is_redacted_text(canonical_bytes(remaining))
    assert is_redacted_text(None)
    assert not is_redacted_text('{"household":"H-7"}')


def test_removing_every_key_leaves_nothing() -> None:
    """When nothing remains the stored payload becomes NULL."""
    assert redact_stored({"a": 1}, ["a"]) is None
    assert redact_stored({"a": 1}, None) is None
    assert redact_stored(None, ["a"]) is None


def test_removing_an_absent_key_is_refused() -> None:
    """A key neither present nor already removed is an error naming it."""
    with pytest.raises(ValidationError, match="no field 'b'"):
        redact_stored({"a": 1}, ["b"])


def test_a_nested_key_is_removed_from_the_json_text_it_lives_in() -> None:
    """'replacement.visitor' edits the replacement text into the redacted form."""
    data = {"replacement": '{"household":"H-7","visitor":"李四"}', "reason": "x"}
    remaining = redact_stored(data, ["replacement.visitor"])
    assert remaining is not None
    assert remaining["replacement"] == '{"$redacted":["visitor"],"household":"H-7"}'
    assert remaining[REDACTED_KEY] == ["replacement.visitor"]


# -- field names through upcasters --------------------------------------------------------

_REGISTRY = EventRegistry()


@event("rtest.visit", version=1, registry=_REGISTRY)
class VisitV1(Event):
    """Version 1: the visitor is called ``name``."""

    name: str = field(personal=True)
    household: str


@event("rtest.visit", version=2, registry=_REGISTRY)
class VisitV2(Event):
    """Version 2: ``name`` became ``visitor``."""

    visitor: str = field(personal=True)
    household: str


@upcast("rtest.visit", from_version=1, registry=_REGISTRY)
def _rename(data: dict[str, Any]) -> dict[str, Any]:
    data["visitor"] = data.pop("name")
    return data


def test_a_newest_field_name_maps_to_the_stored_key() -> None:
    """Redacting 'visitor' on a version 1 row removes its stored key 'name'."""
    data = {"name": "李四", "household": "H-7", "occurred_on": "2023-04-02"}
    assert stored_keys(_REGISTRY, "rtest.visit", 1, data, ["visitor"]) == ("name",)
    with pytest.raises(ValidationError, match=r"rtest\.visit\.nope"):
        stored_keys(_REGISTRY, "rtest.visit", 1, data, ["nope"])


def test_a_redacted_version_1_row_decodes_in_the_version_2_shape() -> None:
    """Upcasters run over what is left, and the removed field is named in the new shape."""
    codec = Codec(_REGISTRY)
    remaining = redact_stored(
        {"name": "李四", "household": "H-7", "occurred_on": "2023-04-02"}, ["name"]
    )
    payload, removed = decode_stored(codec, "rtest.visit", 1, date(2023, 4, 2), remaining)
    assert removed == ("visitor",)
    assert isinstance(payload, RedactedPayload)
    assert payload.values == {"household": "H-7"}
    assert payload.occurred_on == date(2023, 4, 2)


def test_a_nested_only_redaction_decodes_to_the_typed_event() -> None:
    """When every field is still there, the read gives the ordinary typed event."""
    codec = Codec(_REGISTRY)
    data = {REDACTED_KEY: ["x.y"], "visitor": "v", "household": "H", "occurred_on": "2023-01-01"}
    payload, removed = decode_stored(codec, "rtest.visit", 2, date(2023, 1, 1), data)
    assert payload == VisitV2(occurred_on=date(2023, 1, 1), visitor="v", household="H")
    assert removed == ("x.y",)


def test_a_figure_that_needed_a_redacted_field_says_so_instead_of_failing(
    ledger: Ledger,
) -> None:
    """Counting distinct visitors skips the redacted visit and its explanation names it."""
    from civicledger.projections import CountDistinct, Indicator

    (gone, _) = ledger.append("visits", [visit("李四"), visit("赵六")], actor="clerk")
    ledger.redact(gone.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    visitors = Indicator(
        id="visitors",
        label="走访人数",
        unit="人",
        source=("ctest.visit_made",),
        measure=CountDistinct("visitor"),
    )
    (figure,) = ledger.indicators([visitors], year=2023)
    assert figure.value == 1
    explanation = ledger.explain(figure, language="en")
    assert "redacted" in explanation
    assert str(gone.event_id) in explanation


def test_payload_to_dict_gives_what_is_left_of_a_redacted_payload(ledger: Ledger) -> None:
    """Typed payloads encode as usual; a redacted one gives its remaining values and date."""
    from civicledger.events import default_codec
    from civicledger.events.redaction import payload_to_dict

    (record,) = ledger.append("visits", [visit()], actor="clerk")
    assert payload_to_dict(default_codec(), record.payload)["visitor"] == "李四"
    ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
    (read,) = ledger.read(types=["ctest.visit_made"])
    assert payload_to_dict(default_codec(), read.payload) == {
        "household": "H-7",
        "note": "独居老人",
        "occurred_on": "2023-04-02",
    }


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_redacting_a_corrected_event_whole_keeps_the_ledger_verified(
    backend: str, tmp_path: Any
) -> None:
    """A whole redaction also erases each correction's copy of the payload (its
    ``replacement``); verify accepts that copy's erasure on the strength of the target's
    redaction instead of naming it unrecorded."""
    opened = (
        Ledger.in_memory(clock=StepClock())
        if backend == "memory"
        else Ledger.open(f"sqlite:///{tmp_path / 'l.db'}", "community", clock=StepClock())
    )
    with opened as ledger:
        first, second = (
            ledger.append(f"party/contact/{n}", [visit(n)], actor="clerk")[0] for n in ("a", "b")
        )
        ledger.correct(second.event_id, visit("c"), reason="wrong member", actor="clerk")
        ledger.redact(second.event_id, reason="privacy request", actor="clerk")
        report = ledger.verify()
        assert report.ok, [str(p) for p in report.problems]
        assert first.event_id != second.event_id
