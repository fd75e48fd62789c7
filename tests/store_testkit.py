"""Event types and helpers shared by the store tests (contract, property, concurrency)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from civicledger import Event, event


@event("storetest.note_taken", version=1)
class NoteTaken(Event):
    """A short note: the simplest event for store tests."""

    text: str


@event("storetest.count_recorded", version=1)
class CountRecorded(Event):
    """A counted quantity, so tests can tell payloads apart by number."""

    count: int


def note(text: str = "met the residents", day: int = 1) -> NoteTaken:
    """A NoteTaken on day ``day`` of 2023 (1 = 1 January)."""
    return NoteTaken(occurred_on=date(2023, 1, 1) + timedelta(days=day - 1), text=text)


def count(n: int, day: int = 1) -> CountRecorded:
    """A CountRecorded of ``n`` on day ``day`` of 2023."""
    return CountRecorded(occurred_on=date(2023, 1, 1) + timedelta(days=day - 1), count=n)


class StepClock:
    """A test clock: each call returns a time one second after the previous one."""

    def __init__(self, start: datetime = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)):
        self.now = start
        self.last = start
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        current = self.last = self.now
        self.now += timedelta(seconds=1)
        return current
