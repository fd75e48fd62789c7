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
