"""Leaf hashing: the salted payload digest, the envelope's exact bytes, and bad input."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from civicledger.errors import ValidationError
from civicledger.merkle import (
    SALT_SIZE,
    SHA256,
    envelope_bytes,
    hash_algorithm,
    leaf_hash,
    payload_digest,
)

# The canonical payload of the example in docs/format.md.
PAYLOAD = (
    '{"attendees":12,"body":"party_committee","budget":"150.50","occurred_on":"2023-01-06",'
    '"started_at":"2023-01-06T01:30:00.000000Z","tags":["学习"],"topic":"学习党章"}'
).encode()
SALT = bytes(range(16))
DIGEST_HEX = "ad0599b63ddb27ea98dd0ecbb6e484b3da0053f764f4f99f2544b0882385fc5b"

ENVELOPE = (
    '{"actor":"张敏","event_id":"0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f","hash":"sha256",'
    '"occurred_on":"2023-01-06","origin":"civicledger.example/hehua-community",'
    '"payload_digest":"ad0599b63ddb27ea98dd0ecbb6e484b3da0053f764f4f99f2544b0882385fc5b",'
    '"position":42,"recorded_at":"2023-01-06T01:30:15.250000Z","schema_version":1,'
    '"stream":"meetings/2023","stream_version":3,"type":"meeting_held","v":1}'
).encode()
LEAF_HEX = "f9f3236bfa2d1246d41c576d2a22a4b80df8388ec137e7dbe81b4218acb0efc2"


def example(**changes: Any) -> dict[str, Any]:
    """The documented example envelope's arguments, with some replaced."""
    arguments: dict[str, Any] = {
        "origin": "civicledger.example/hehua-community",
        "position": 42,
        "stream": "meetings/2023",
        "stream_version": 3,
        "event_id": uuid.UUID("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f"),
        "type": "meeting_held",
        "schema_version": 1,
        "occurred_on": date(2023, 1, 6),
        "recorded_at": datetime(2023, 1, 6, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=8))),
        "actor": "张敏",
        "payload_digest": bytes.fromhex(DIGEST_HEX),
        "hash_name": "sha256",
    }
    arguments.update(changes)
    return arguments


def test_payload_digest_is_the_hash_of_salt_then_payload() -> None:
    """payload_digest is H(salt || payload): the documented known answer."""
    digest = payload_digest(SHA256, SALT, PAYLOAD)
    assert digest.hex() == DIGEST_HEX
    assert digest == hashlib.sha256(SALT + PAYLOAD).digest()


def test_payload_digest_changes_with_the_salt() -> None:
    """The same payload under another salt has another digest."""
    other_salt = bytes(range(1, 17))
    assert payload_digest(SHA256, other_salt, PAYLOAD) != payload_digest(SHA256, SALT, PAYLOAD)


@pytest.mark.parametrize("salt", [b"", bytes(15), bytes(17), "0" * 16, None])
def test_payload_digest_rejects_a_salt_that_is_not_16_bytes(salt: Any) -> None:
    """A salt of the wrong length or type raises ValidationError naming the salt."""
    with pytest.raises(ValidationError, match="salt must be 16 bytes") as caught:
        payload_digest(SHA256, salt, PAYLOAD)
    assert caught.value.field == "salt"
    assert SALT_SIZE == 16


def test_payload_digest_rejects_text_payloads() -> None:
    """The payload must be the canonical bytes, not a str."""
    with pytest.raises(ValidationError, match="payload bytes must be bytes"):
        payload_digest(SHA256, SALT, PAYLOAD.decode())  # type: ignore[arg-type]


def test_envelope_bytes_match_the_documented_example() -> None:
    """The example envelope encodes to exactly the bytes written in docs/hashing.md."""
    assert envelope_bytes(**example()) == ENVELOPE


def test_leaf_hash_matches_the_documented_example() -> None:
    """The example envelope's SHA-256 leaf hash is the documented literal."""
    assert leaf_hash(SHA256, ENVELOPE).hex() == LEAF_HEX
    assert leaf_hash(SHA256, ENVELOPE) == hashlib.sha256(b"\x00" + ENVELOPE).digest()


def test_sm3_envelope_names_its_algorithm() -> None:
    """An SM3 ledger's envelope says "sm3" and carries SM3's digest."""
    sm3 = hash_algorithm("sm3")
    digest = payload_digest(sm3, SALT, PAYLOAD)
    envelope = envelope_bytes(**example(payload_digest=digest, hash_name="sm3"))
    assert b'"hash":"sm3"' in envelope
    assert f'"payload_digest":"{digest.hex()}"'.encode() in envelope
    assert leaf_hash(sm3, envelope) == sm3(b"\x00" + envelope)


def test_recorded_at_is_written_in_utc_whatever_its_zone() -> None:
    """The same instant in +08:00 and in UTC gives the same envelope."""
    in_utc = datetime(2023, 1, 6, 1, 30, 15, 250000, tzinfo=UTC)
    assert envelope_bytes(**example(recorded_at=in_utc)) == ENVELOPE


def test_recorded_at_always_has_six_fraction_digits() -> None:
    """A whole-second timestamp still writes .000000."""
    moment = datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert b'"recorded_at":"2024-02-29T23:59:59.000000Z"' in envelope_bytes(
        **example(recorded_at=moment)
    )


def test_early_years_are_padded_to_four_digits() -> None:
    """Year 999 is written 0999, keeping the fixed-width forms."""
    envelope = envelope_bytes(
        **example(occurred_on=date(999, 1, 2), recorded_at=datetime(999, 1, 2, tzinfo=UTC))
    )
    assert b'"occurred_on":"0999-01-02"' in envelope
    assert b'"recorded_at":"0999-01-02T00:00:00.000000Z"' in envelope


def test_subclasses_of_the_expected_types_are_accepted() -> None:
    """An IntEnum position or a str subclass encodes like the plain value."""

    class Pos(enum.IntEnum):
        FORTY_TWO = 42

    class Name(str):
        pass

    assert envelope_bytes(**example(position=Pos.FORTY_TWO, stream=Name("meetings/2023"))) == (
        ENVELOPE
    )


def test_naive_recorded_at_is_rejected() -> None:
    """A datetime without a timezone raises ValidationError naming recorded_at."""
    with pytest.raises(ValidationError, match="no timezone") as caught:
        envelope_bytes(**example(recorded_at=datetime(2023, 1, 6, 1, 30)))
    assert caught.value.field == "recorded_at"


def test_recorded_at_that_leaves_the_calendar_in_utc_is_rejected() -> None:
    """0001-01-01 00:00 at +08:00 falls before year 1 in UTC and is refused."""
    moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    with pytest.raises(ValidationError, match="out of range") as caught:
        envelope_bytes(**example(recorded_at=moment))
    assert caught.value.field == "recorded_at"


BAD_ARGUMENTS = [
    ("origin", "", "must not be empty"),
    ("origin", None, "must be a str"),
    ("stream", "", "must not be empty"),
    ("stream", b"meetings", "must be a str"),
    ("type", "", "must not be empty"),
    ("actor", 7, "must be a str"),
    ("position", 0, "between 1 and"),
    ("position", -1, "between 1 and"),
    ("position", 2**53, "between 1 and"),
    ("position", True, "must be an int"),
    ("position", 1.0, "must be an int"),
    ("position", "42", "must be an int"),
    ("stream_version", 0, "between 1 and"),
    ("schema_version", 0, "between 1 and"),
    ("schema_version", None, "must be an int"),
    ("event_id", "0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f", "must be a uuid.UUID"),
    ("occurred_on", "2023-01-06", "must be a datetime.date"),
    ("occurred_on", datetime(2023, 1, 6, tzinfo=UTC), "not a datetime"),
    ("recorded_at", date(2023, 1, 6), "must be a datetime"),
    ("recorded_at", "2023-01-06T01:30:15.250000Z", "must be a datetime"),
    ("hash_name", "md5", "not a supported hash algorithm"),
    ("hash_name", "SHA256", "not a supported hash algorithm"),
    ("payload_digest", bytes(31), "must be 32 bytes for sha256, got 31 bytes"),
    ("payload_digest", DIGEST_HEX, "must be 32 bytes for sha256, got a str"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_ARGUMENTS)
def test_bad_envelope_argument_is_named(field: str, value: Any, message: str) -> None:
    """Each malformed argument raises ValidationError whose field and message name it."""
    with pytest.raises(ValidationError, match=message) as caught:
        envelope_bytes(**example(**{field: value}))
    assert caught.value.field == field


@pytest.mark.parametrize("field", ["origin", "stream", "type", "actor"])
def test_unpaired_surrogate_in_text_is_rejected(field: str) -> None:
    """Text that is not valid Unicode (a lone surrogate) raises ValidationError naming it."""
    with pytest.raises(ValidationError, match="unpaired surrogate") as caught:
        envelope_bytes(**example(**{field: "x\ud800"}))
    assert caught.value.field == field
