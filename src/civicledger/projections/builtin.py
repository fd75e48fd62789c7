"""Projections that ship with civicledger, by name, for the CLI and for embedding systems."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

from civicledger.events import RecordedEvent
from civicledger.projections.runner import Fold, Projection


def _count_by_type_and_month(state: dict[str, int], record: RecordedEvent) -> dict[str, int]:
    key = f"{record.type}|{record.occurred_on.isoformat()[:7]}"
    counted = dict(state)
    counted[key] = counted.get(key, 0) + 1
    return counted


EVENT_COUNTS: Fold[dict[str, int]] = Fold(
    name="event_counts",
    initial_state=dict,
    step=_count_by_type_and_month,
)
"""How many events of each type occurred in each month: ``{"type|YYYY-MM": count}``."""


BUILTIN_PROJECTIONS: Mapping[str, Projection[Any]] = types.MappingProxyType(
    {EVENT_COUNTS.name: EVENT_COUNTS}
)
"""The built-in projections by name (read-only)."""
