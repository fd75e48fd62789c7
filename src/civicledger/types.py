"""Shared type names used across civicledger's layers.

These are plain aliases and sentinels, kept in one module so every layer spells
them the same way.
"""

from __future__ import annotations

import enum
import uuid
from typing import Final, TypeAlias

Position: TypeAlias = int
"""Global, gap-free position of a recorded event in its ledger, starting at 1."""

StreamId: TypeAlias = str
"""Name of a stream (e.g. ``"mediation/2023-017"``); streams group related events."""

EventId: TypeAlias = uuid.UUID
"""Unique id of a recorded event; a retry with the same id is deduplicated."""


class StreamState(enum.Enum):
    """Expected stream states for optimistic concurrency in ``append``."""

    ANY = "any"
    """Append whatever the stream's version is."""
    NO_STREAM = "no_stream"
    """Append only if the stream has no events yet."""
    STREAM_EXISTS = "stream_exists"
    """Append only if the stream already has at least one event."""

    def __repr__(self) -> str:
        return self.name


ANY: Final = StreamState.ANY
NO_STREAM: Final = StreamState.NO_STREAM
STREAM_EXISTS: Final = StreamState.STREAM_EXISTS

ExpectedVersion: TypeAlias = int | StreamState
"""An exact stream version (the version of the stream's last event) or a StreamState."""


def parse_event_id(value: object, *, field: str = "event_id") -> EventId:
    """Accept an event id as a UUID or its text.

    Args:
        value: a ``uuid.UUID`` or a string such as ``"0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f"``.
        field: the argument's name, for the error.

    Returns:
        The UUID.

    Raises:
        ValidationError: the value is not a UUID.
    """
    from civicledger.errors import ValidationError

    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationError(f"{field} must be an event id (a UUID), got {value!r}", field=field)
