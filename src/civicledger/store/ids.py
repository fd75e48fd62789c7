"""Time-ordered event ids (UUID version 7, RFC 9562) drawn cheaply in batches."""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid

from civicledger.events.fastpath import slot_setter

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_RAND_B_MASK = (1 << 62) - 1
_COUNTER_MAX = 0xFFF


class UuidV7Generator:
    """Makes UUIDv7 ids that sort by creation time, strictly increasing per generator.

    The 48-bit millisecond timestamp leads, so ids made later sort later and the
    unique index on event ids grows at its right edge (an append, not a random
    B-tree insert). Within one millisecond the 12-bit ``rand_a`` field is a
    counter (RFC 9562 §6.2, method 1), so a batch's ids keep the batch's order.
    Randomness for the 62-bit ``rand_b`` field is drawn once per batch.
    Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new_ids(self, count: int) -> list[uuid.UUID]:
        """Make ``count`` new ids in increasing order.

        Args:
            count: how many ids to make (0 or more).

        Returns:
            The ids, each greater than every id this generator made before.
        """
        if count <= 0:
            return []
        random_bytes = os.urandom(8 * count)
        # One unpack for the batch's rand_b values, and the loop's state in locals: this
        # runs once per new event.
        rands = struct.unpack(f">{count}Q", random_bytes)
        ids: list[uuid.UUID] = []
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                # Start the counter low but not at zero so two processes started in the
                # same millisecond are unlikely to share a prefix.
                self._counter = random_bytes[0] & 0x3F
            last_ms, counter = self._last_ms, self._counter
            prefix = (last_ms << 80) | _VERSION_7 | _VARIANT_RFC
            for rand in rands:
                counter += 1
                if counter > _COUNTER_MAX:
                    # Borrow the next millisecond rather than wrap: order beats clock accuracy.
                    last_ms += 1
                    counter = 0
                    prefix = (last_ms << 80) | _VERSION_7 | _VARIANT_RFC
                # uuid_from_int's body, inlined.
                made = _new_uuid(uuid.UUID)
                _set_int(made, prefix | (counter << 64) | (rand & _RAND_B_MASK))
                _set_is_safe(made, _UNKNOWN)
                ids.append(made)
            self._last_ms, self._counter = last_ms, counter
        return ids


_new_uuid = uuid.UUID.__new__
_set_int = slot_setter(uuid.UUID, "int")
_set_is_safe = slot_setter(uuid.UUID, "is_safe")
_UNKNOWN = uuid.SafeUUID.unknown
_int_from_bytes = int.from_bytes


def uuid_from_int(value: int) -> uuid.UUID:
    """Build a UUID from its 128-bit integer without ``uuid.UUID.__init__``'s argument parsing.

    Reading and appending make one UUID per event; the constructor's checks cost
    more than the rest of building a record. Callers pass values they know fit.

    Args:
        value: an integer in ``[0, 2**128)``.

    Returns:
        The UUID, equal to ``uuid.UUID(int=value)``.
    """
    result = _new_uuid(uuid.UUID)
    _set_int(result, value)
    _set_is_safe(result, _UNKNOWN)
    return result


def uuid_from_bytes(value: bytes) -> uuid.UUID:
    """Build a UUID from 16 big-endian bytes, as :func:`uuid_from_int` does from an int.

    Args:
        value: exactly 16 bytes.

    Returns:
        The UUID, equal to ``uuid.UUID(bytes=value)``.

    Raises:
        ValueError: the value is not 16 bytes long.
    """
    if len(value) != 16:
        raise ValueError(f"a UUID is 16 bytes, got {len(value)}")
    # uuid_from_int's body, inlined: one call fewer per row read.
    result = _new_uuid(uuid.UUID)
    _set_int(result, _int_from_bytes(value, "big"))
    _set_is_safe(result, _UNKNOWN)
    return result


def uuid7_timestamp_ms(value: uuid.UUID) -> int:
    """The Unix time in milliseconds encoded in a UUIDv7.

    Args:
        value: a version 7 UUID.

    Returns:
        Milliseconds since the Unix epoch.
    """
    return value.int >> 80
