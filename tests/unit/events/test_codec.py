"""The codec: strict decoding with named fields, and RFC 8785 canonical bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import civicledger
from civicledger import UnknownEventTypeError, ValidationError
from civicledger.events import Codec, EventRegistry, Vocabulary, canonical_bytes, event


class Body(Vocabulary):
    PARTY_COMMITTEE = "party_committee", "党委会"


@pytest.fixture
def codec() -> Codec:
    registry = EventRegistry()

    @event("meeting_held", registry=registry)
    class MeetingHeld(civicledger.Event):
        body: Body
        topic: str
        attendees: int
        budget: Decimal | None = None
        started_at: datetime | None = None
        tags: tuple[str, ...] = ()

    return Codec(registry)


GOOD = {
    "occurred_on": "2023-01-06",
    "body": "party_committee",
    "topic": "学习党章",
    "attendees": 12,
    "budget": "150.50",
    "started_at": "2023-01-06T01:30:00.000000Z",
    "tags": ["学习"],
}


def test_known_answer_canonical_bytes_and_digest(codec: Codec) -> None:
    """One fixed event's canonical bytes and SHA-256 never change by accident."""
    payload = codec.to_dict(codec.from_dict("meeting_held", 1, GOOD))
    data = canonical_bytes(payload)
    assert (
        data
        == (
            '{"attendees":12,"body":"party_committee","budget":"150.50",'
            '"occurred_on":"2023-01-06","started_at":"2023-01-06T01:30:00.000000Z",'
            '"tags":["学习"],"topic":"学习党章"}'
        ).encode()
    )
    assert (
        hashlib.sha256(data).hexdigest()
        == "b4013f1c92a0e69f6b51afe15b74956effba1e4210097779375d0695f149ee04"
    )


def test_decoding_round_trips(codec: Codec) -> None:
    """from_dict(to_dict(x)) == x and to_dict(from_dict(d)) == d for valid data."""
    decoded = codec.from_dict("meeting_held", 1, GOOD)
    assert codec.to_dict(decoded) == GOOD
    assert decoded.started_at == datetime(2023, 1, 6, 1, 30, tzinfo=UTC)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"extra": 1}, "extra"),
        ({"topic": None}, "topic"),
        ({"attendees": 1.0}, "attendees"),
        ({"attendees": "12"}, "attendees"),
        ({"attendees": -3}, "attendees"),
        ({"body": "street_office"}, "body"),
        ({"occurred_on": "2023-02-30"}, "occurred_on"),
        ({"occurred_on": "20230106"}, "occurred_on"),
        ({"budget": 150}, "budget"),
        ({"budget": "1e3"}, "budget"),
        ({"started_at": "2023-01-06T01:30:00+08:00"}, "started_at"),
        ({"tags": "学习"}, "tags"),
    ],
)
def test_bad_data_is_refused_with_the_field_named(
    codec: Codec, change: dict[str, object], field_name: str
) -> None:
    """Each malformed payload raises ValidationError naming the type and the field."""
    with pytest.raises(ValidationError) as caught:
        codec.from_dict("meeting_held", 1, {**GOOD, **change})
    assert caught.value.field == field_name
    assert caught.value.event_type == "meeting_held"


def test_missing_field_is_named(codec: Codec) -> None:
    """A payload without a required field names that field."""
    data = {k: v for k, v in GOOD.items() if k != "attendees"}
    with pytest.raises(ValidationError) as caught:
        codec.from_dict("meeting_held", 1, data)
    assert caught.value.field == "attendees"
    assert "missing" in str(caught.value)


def test_unknown_type_and_non_object_payloads_are_refused(codec: Codec) -> None:
    """An unregistered type name or a payload that is not an object is refused."""
    with pytest.raises(UnknownEventTypeError):
        codec.from_dict("meeting_helt", 1, GOOD)
    with pytest.raises(ValidationError, match="JSON object"):
        codec.from_dict("meeting_held", 1, [GOOD])


def test_to_dict_refuses_non_events(codec: Codec) -> None:
    """Encoding something that is not an Event is a ValidationError."""
    with pytest.raises(ValidationError):
        codec.to_dict({"not": "an event"})  # type: ignore[arg-type]


def test_canonical_bytes_refuses_floats_and_sorts_keys() -> None:
    """Floats are refused; keys are sorted whatever the input order."""
    with pytest.raises(ValidationError, match="floats"):
        canonical_bytes({"a": 1.5})
    assert canonical_bytes({"b": 1, "a": [True, None]}) == b'{"a":[true,null],"b":1}'


def test_canonical_bytes_outside_the_fast_domain_uses_the_reference() -> None:
    """Non-ASCII keys and huge integers go through the RFC 8785 reference encoder."""
    assert canonical_bytes({"é": 1, "z": 2}) == '{"z":2,"é":1}'.encode()
    with pytest.raises(ValidationError):
        canonical_bytes({"n": 2**60})


def test_dates_are_plain_iso_dates() -> None:
    """A date encodes as YYYY-MM-DD (checked here because reports depend on it)."""
    assert date(2023, 1, 6).isoformat() == "2023-01-06"
