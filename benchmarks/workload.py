"""The benchmark workload: a year of small civic events, repeated to any size.

The event mix comes from the example ledger
(``examples/community_2023/events.jsonl``) when it is present; otherwise from a
built-in mix of the
catalog's everyday events (meetings, visits, trainings, cleanups, mediations).
Every copy gets a fresh event id from the store, so repeating a year is a valid
ledger of any size.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import civicledger.catalog as cat
from civicledger.catalog import default_stream
from civicledger.events import Event


@dataclass(frozen=True)
class Workload:
    """One year's events in recording order, and where they came from."""

    source: str
    events: tuple[tuple[str, Event], ...]

    def take(self, count: int) -> list[tuple[str, Event]]:
        """The first ``count`` events of the year repeated as often as needed."""
        return list(itertools.islice(itertools.cycle(self.events), count))

    def batches(self, count: int, batch_size: int) -> Iterator[list[tuple[str, Event]]]:
        """``count`` events, repeated from the year, in batches of ``batch_size``."""
        source = itertools.islice(itertools.cycle(self.events), count)
        while batch := list(itertools.islice(source, batch_size)):
            yield batch


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "community_2023" / "events.jsonl"
"""The example community's 2023 ledger as JSON Lines (written by its generate.py)."""


@functools.cache
def load() -> Workload:
    """The example year's event mix if the example ledger is available, else the built-in mix."""
    if EXAMPLE.is_file():
        import civicledger.catalog  # noqa: F401 - registers the catalog's event types
        from civicledger.jsonl import read_jsonl

        entries = read_jsonl(EXAMPLE)
        return Workload(
            f"examples/community_2023/events.jsonl ({len(entries):,} events, repeated)",
            tuple((e.stream, e.event) for e in entries),
        )
    return Workload("built-in catalog mix (examples/community_2023 not available)", _builtin())


def _builtin() -> tuple[tuple[str, Event], ...]:
    """A plausible year of small events: about 2,000, dated across 2023."""
    start = date(2023, 1, 2)
    produced: list[Event] = []
    for day in range(0, 364):
        on = start + timedelta(days=day)
        produced.extend(_day(on, day))
    return tuple((default_stream(e), e) for e in produced)


def _day(on: date, day: int) -> Sequence[Event]:
    events: list[Event] = [
        cat.HouseholdVisited(
            occurred_on=on,
            member_id=f"m{day % 256:03d}",
            household_id=f"h{(day * 7) % 3000:04d}",
            in_person=day % 3 != 0,
        ),
        cat.KeyPersonVisited(
            occurred_on=on,
            person_id=f"p{day % 40:02d}",
            category=cat.KeyPersonCategory.COMMUNITY_CORRECTION,
            visitor=f"staff{day % 9}",
        ),
        cat.ActivityHeld(
            occurred_on=on,
            kind=list(cat.ActivityKind)[day % len(cat.ActivityKind)],
            title=f"活动{day}",
            participants=10 + day % 30,
            people_served=day % 50,
        ),
    ]
    if day % 7 == 4:
        events.append(
            cat.VolunteerCleanupHeld(
                occurred_on=on,
                area=f"小区{day % 41}",
                volunteers=12 + day % 8,
                hours=Decimal("1.5"),
            )
        )
    if day % 3 == 0:
        events.append(
            cat.MeetingHeld(
                occurred_on=on,
                body=list(cat.MeetingBody)[day % len(cat.MeetingBody)],
                topic=f"议题{day}",
                attendees=8 + day % 20,
            )
        )
    if day % 5 == 1:
        events.append(
            cat.MediationCompleted(
                occurred_on=on,
                case_id=f"2023-{day:03d}",
                dispute_kind=cat.DisputeKind.NEIGHBOURHOOD,
                parties=2,
                outcome=cat.MediationOutcome.WRITTEN_AGREEMENT
                if day % 10
                else cat.MediationOutcome.FAILED,
            )
        )
    if day % 30 == 10:
        events.append(
            cat.TrainingHeld(
                occurred_on=on,
                programme=cat.TrainingProgramme.REEMPLOYMENT,
                title=f"再就业培训{day}",
                attendees=60 + day % 20,
            )
        )
    return events
