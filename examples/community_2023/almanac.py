"""The example's calendar and the collector every part of the year adds its events to."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

import attrs

from civicledger import catalog as c
from civicledger.events import Event, default_codec
from civicledger.jsonl import encode_line

YEAR = 2023

# Public holidays and the weekend days worked in exchange (the 2023 State Council calendar).
HOLIDAYS = frozenset(
    [date(2023, 1, 1), date(2023, 1, 2), date(2023, 4, 5), date(2023, 6, 22), date(2023, 6, 23)]
    + [date(2023, 1, 21) + timedelta(days=i) for i in range(7)]
    + [date(2023, 4, 29) + timedelta(days=i) for i in range(5)]
    + [date(2023, 9, 29) + timedelta(days=i) for i in range(8)]
)
MAKEUP_WORKDAYS = frozenset(
    date.fromisoformat(day)
    for day in (
        *("2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06"),
        *("2023-06-25", "2023-10-07", "2023-10-08"),
    )
)


ACTORS = {
    "party": "party-office",
    "grid": "grid-office",
    "civil": "civil-affairs-office",
    "service": "service-centre",
}


@attrs.define
class Draft:
    """An event waiting for its place in the ledger."""

    order: int
    actor: str
    event: Event


class Year:
    """Collects the year's events; sorted by date (then by recording order) at the end."""

    def __init__(self) -> None:
        self.drafts: list[Draft] = []

    def add(self, actor: str, event: Event) -> None:
        self.drafts.append(Draft(len(self.drafts), ACTORS[actor], event))

    def in_order(self) -> list[Draft]:
        return sorted(self.drafts, key=lambda d: (d.event.occurred_on, d.order))


def is_workday(day: date) -> bool:
    """Whether the community office works on this day."""
    return day in MAKEUP_WORKDAYS or (day.weekday() < 5 and day not in HOLIDAYS)


def workdays(start: date, end: date) -> list[date]:
    """Every working day from start to end, inclusive."""
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return [d for d in days if is_workday(d)]


def on_or_after(day: date) -> date:
    """The first working day on or after a date."""
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def weekdays_of_year(weekday: int) -> Iterator[date]:
    """Every date of the year that falls on a weekday (0 = Monday)."""
    day = date(YEAR, 1, 1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while day.year == YEAR:
        yield day
        day += timedelta(days=7)


def nth_weekday(month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month (n from 1)."""
    day = date(YEAR, month, 1)
    day += timedelta(days=(weekday - day.weekday()) % 7 + 7 * (n - 1))
    return on_or_after(day)


def pick_days(rng: random.Random, start: date, end: date, count: int) -> list[date]:
    """Count distinct working days between start and end, in date order."""
    return sorted(rng.sample(workdays(start, end), count))


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split a total into parts that are each at least zero and sum exactly to it."""
    cuts = sorted(rng.randrange(0, total + 1) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def jsonl_bytes(rng: random.Random, drafts: Iterable[Draft]) -> bytes:
    """Drafted events as JSON Lines bytes (canonical JSON, one event per line), each with
    an event id drawn from ``rng`` so the file is the same on every run."""
    codec = default_codec()
    lines = []
    for draft in drafts:
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        lines.append(
            encode_line(
                stream=c.default_stream(draft.event),
                type_name=type(draft.event).__event_type__,
                schema_version=type(draft.event).__schema_version__,
                event_id=event_id,
                actor=draft.actor,
                payload=codec.to_dict(draft.event),
            )
            + b"\n"
        )
    return b"".join(lines)
