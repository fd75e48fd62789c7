"""Event types, an indicator and helpers shared by the corrections tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from civicledger import Event, Ledger, RecordedEvent, event, field
from civicledger.corrections.events import EventRedacted
from civicledger.projections import Indicator
from civicledger.projections.measures import Count, Sum


@event("ctest.meeting_held", version=1)
class Meeting(Event):
    """A meeting: a count to correct, a chair (personal) and attendee names (personal)."""

    attendees: int
    topic: str
    chair: str | None = field(default=None, personal=True)
    names: tuple[str, ...] = field(default=(), personal=True)


@event("ctest.visit_made", version=1)
class Visit(Event):
    """A household visit whose visitor and note are personal."""

    household: str
    visitor: str = field(personal=True)
    note: str | None = field(default=None, personal=True)


def meeting(
    attendees: int, *, month: int = 3, chair: str | None = "王五", **more: object
) -> Meeting:
    """A 2023 meeting in ``month``."""
    return Meeting(
        occurred_on=date(2023, month, 1),
        attendees=attendees,
        topic=str(more.get("topic", "环境整治")),
        chair=chair,
        names=tuple(more.get("names", ())),  # type: ignore[call-overload]
    )


def visit(visitor: str = "李四", note: str | None = "独居老人", month: int = 4) -> Visit:
    """A 2023 household visit."""
    return Visit(occurred_on=date(2023, month, 2), household="H-7", visitor=visitor, note=note)


def attendance() -> Indicator:
    """Total attendance at meetings (a sum, so corrections change the value)."""
    return Indicator(
        id="attendance",
        label="参会人次",
        source=("ctest.meeting_held",),
        measure=Sum("attendees"),
        unit="人次",
    )


def meetings() -> Indicator:
    """The number of meetings (a count, so retractions change the value)."""
    return Indicator(
        id="meetings",
        label="会议次数",
        source=("ctest.meeting_held",),
        measure=Count(),
        unit="次",
    )


class StepClock:
    """A clock that moves one hour per call, so recording times are distinct and ordered."""

    def __init__(self, start: datetime = datetime(2024, 1, 2, 9, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now


def record_redaction(ledger: Ledger, record: RecordedEvent, fields: tuple[str, ...]) -> None:
    """Append the event_redacted event for ``fields`` of ``record``, without erasing anything
    (what ``ledger.redact`` records first; tests then erase through the store or raw SQL)."""
    redaction = EventRedacted(
        occurred_on=record.occurred_on,
        target_event_id=record.event_id,
        fields=fields,
        reason="erasure request",
    )
    ledger.append("corrections/" + record.stream, [redaction], actor="dpo")
