"""UUIDv7 event ids: version, variant, time order."""

from __future__ import annotations

import time
import uuid

import pytest

from civicledger.store.ids import (
    UuidV7Generator,
    uuid7_timestamp_ms,
    uuid_from_bytes,
    uuid_from_int,
)


def test_ids_are_version_7_with_rfc_variant() -> None:
    """Every id has version 7 and the RFC 9562 variant."""
    for value in UuidV7Generator().new_ids(100):
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_ids_strictly_increase_within_and_across_batches() -> None:
    """Ids of one generator increase, even thousands within one millisecond."""
    generator = UuidV7Generator()
    ids = generator.new_ids(10_000) + generator.new_ids(3) + generator.new_ids(1)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_id_timestamp_is_the_current_time() -> None:
    """The id's millisecond timestamp is the time it was made (within a second)."""
    before = time.time_ns() // 1_000_000
    (value,) = UuidV7Generator().new_ids(1)
    assert before <= uuid7_timestamp_ms(value) <= before + 1000


def test_zero_ids_asked_gives_none() -> None:
    """Asking for no ids returns an empty list."""
    assert UuidV7Generator().new_ids(0) == []


def test_fast_uuid_construction_equals_the_standard_one() -> None:
    """uuid_from_bytes and uuid_from_int build UUIDs equal (and hashing equal) to uuid.UUID's."""
    for value in [uuid.uuid4() for _ in range(50)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]:
        fast = uuid_from_bytes(value.bytes)
        assert fast == value
        assert hash(fast) == hash(value)
        assert str(fast) == str(value)
        assert uuid_from_int(value.int) == value


def test_fast_uuid_refuses_wrong_length() -> None:
    """Bytes that are not 16 long raise ValueError."""
    with pytest.raises(ValueError, match="16 bytes"):
        uuid_from_bytes(b"\x00" * 15)
