"""Small event types and a RecordedEvent builder shared by the projection and indicator tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from civicledger import Event, RecordedEvent, Vocabulary, event, field
from civicledger.events import EventRegistry

REGISTRY = EventRegistry()
"""A private registry, so these test types never clash with the catalog's."""


class Body(Vocabulary):
    """Who met."""

    COMMITTEE = "committee", "委员会"
    ASSEMBLY = "assembly", "大会"


@event("ptest.meeting_held", registry=REGISTRY)
class Meeting(Event):
    """A meeting with a body and an attendance."""

    body: Body
    attendees: int
    hours: Decimal = field(default=Decimal("1"))
    note: str | None = field(default=None)


@event("ptest.group_opened", registry=REGISTRY)
class GroupOpened(Event):
    """A group was set up (opens a key for stock measures)."""

    group_id: str
    kind: str
    members: tuple[str, ...] = field(default=())


@event("ptest.group_closed", registry=REGISTRY)
class GroupClosed(Event):
    """A group was closed (closes a key)."""

    group_id: str
    kind: str


@event("ptest.reading_taken", registry=REGISTRY)
class Reading(Event):
    """A measured level at a date (for latest)."""

    level: int


@event("ptest.event_retracted", registry=REGISTRY)
class Retracted(Event):
    """Stands in for the corrections issue's retraction event."""

    target_event_id: uuid.UUID
    reason: str


_BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: int, year: int = 2023) -> date:
    """The n-th day of a year (1 = 1 January)."""
    return date(year, 1, 1) + timedelta(days=n - 1)


class Log:
    """Builds RecordedEvents with consecutive positions, like a store would."""

    def __init__(self) -> None:
        self.records: list[RecordedEvent] = []

    def add(self, payload: Event, *, stream: str = "s", actor: str = "clerk") -> RecordedEvent:
        """Record one event at the next position (recorded one minute after the previous)."""
        position = len(self.records) + 1
        record = RecordedEvent(
            position=position,
            stream=stream,
            stream_version=position,
            event_id=uuid.UUID(int=position),
            type=type(payload).__event_type__,
            schema_version=1,
            occurred_on=payload.occurred_on,
            recorded_at=_BASE_TIME + timedelta(minutes=position),
            actor=actor,
            payload=payload,
            payload_digest=b"",
            leaf_hash=b"",
        )
        self.records.append(record)
        return record

    def extend(self, payloads: Iterable[Event]) -> list[RecordedEvent]:
        """Record several events."""
        return [self.add(p) for p in payloads]

    # the EventSource interface the engine and the runner read

    def read(
        self,
        *,
        types: Sequence[str] | None = None,
        from_position: int = 1,
        to_position: int | None = None,
    ) -> Iterator[RecordedEvent]:
        """Stream records in position order, filtered like EventStore.read."""
        last = len(self.records) if to_position is None else to_position
        for record in self.records[from_position - 1 : last]:
            if types is None or record.type in types:
                yield record

    def head(self) -> int:
        """The last position."""
        return len(self.records)


def meeting(n: int, body: Body = Body.COMMITTEE, attendees: int = 10, **kw: object) -> Meeting:
    """A Meeting on day n of 2023."""
    return Meeting(occurred_on=day(n), body=body, attendees=attendees, **kw)  # type: ignore[arg-type]


MEETING_SET = """
[[indicator]]
id = "m.all"
label = "会议"
unit = "次"
source = ["ptest.meeting_held"]

[[indicator]]
id = "m.committee"
label = "委员会会议"
unit = "次"
source = ["ptest.meeting_held"]
where = 'body == "committee"'

[[indicator]]
id = "m.attendees_by_body"
label = "参会人次（按机构）"
unit = "人次"
source = ["ptest.meeting_held"]
measure = { sum = "attendees" }
group_by = ["body"]
"""
"""Indicators over test meetings shared by the derived-figure and rule tests (TOML)."""
