"""Incremental projection with random batches and crashes equals a full rebuild."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger import Event, RecordedEvent
from civicledger.projections import Fold, Runner
from civicledger.store.parts import MemoryProjectionPositions
from projection_testkit import Body, GroupClosed, GroupOpened, Log, Meeting


def step(state: dict[str, Any], record: RecordedEvent) -> dict[str, Any]:
    """Count meetings per body, sum attendees, and keep the set of open groups (pure)."""
    payload = record.payload
    if isinstance(payload, Meeting):
        per_body = dict(state["per_body"])
        per_body[payload.body.value] = per_body.get(payload.body.value, 0) + 1
        return {**state, "per_body": per_body, "attendees": state["attendees"] + payload.attendees}
    if isinstance(payload, GroupOpened):
        return {**state, "open": sorted({*state["open"], payload.group_id})}
    if isinstance(payload, GroupClosed):
        return {**state, "open": [g for g in state["open"] if g != payload.group_id]}
    return state


PROJECTION = Fold(
    name="test.summary",
    initial_state=lambda: {"per_body": {}, "attendees": 0, "open": []},
    step=step,
)

EVENTS = st.lists(
    st.one_of(
        st.builds(
            Meeting,
            occurred_on=st.just(date(2023, 1, 1)),
            body=st.sampled_from(list(Body)),
            attendees=st.integers(0, 30),
        ),
        st.builds(
            GroupOpened,
            occurred_on=st.just(date(2023, 1, 1)),
            group_id=st.sampled_from("abc"),
            kind=st.just("k"),
        ),
        st.builds(
            GroupClosed,
            occurred_on=st.just(date(2023, 1, 1)),
            group_id=st.sampled_from("abc"),
            kind=st.just("k"),
        ),
    ),
    max_size=40,
)


class Crash(Exception):
    """A simulated process death."""


class CrashingSource:
    """A store whose reads die after a given number of records (then recover)."""

    def __init__(self, log: Log, crash_after: int | None) -> None:
        self.log = log
        self.remaining = crash_after

    def head(self) -> int:
        return self.log.head()

    def read(self, **kwargs: Any) -> Iterator[RecordedEvent]:
        for record in self.log.read(**kwargs):
            if self.remaining is not None:
                if self.remaining == 0:
                    self.remaining = None
                    raise Crash
                self.remaining -= 1
            yield record


@given(
    EVENTS,
    st.lists(st.tuples(st.integers(1, 7), st.none() | st.integers(0, 15)), min_size=1, max_size=6),
    st.integers(0, 40),
)
def test_incremental_with_crashes_equals_full_rebuild(
    events: list[Event], runs: list[tuple[int, int | None]], appended_before: int
) -> None:
    """Runs with random batch sizes, some dying mid-batch, end at the rebuilt state."""
    log = Log()
    checkpoints = MemoryProjectionPositions()
    split = min(appended_before, len(events))
    log.extend(events[:split])
    for index, (batch_size, crash_after) in enumerate(runs):
        if index == len(runs) // 2:
            log.extend(events[split:])  # new events arrive between runs
        source = CrashingSource(log, crash_after)
        try:
            Runner(PROJECTION, source).catch_up(checkpoints, batch_size=batch_size)
        except Crash:
            stored = checkpoints.load(PROJECTION.name)
            # A crash loses at most the unsaved batch: the checkpoint is consistent.
            assert stored is not None
            position, state = stored
            assert state == Runner(PROJECTION, log).run(position)[0]
    final = Runner(PROJECTION, log).catch_up(checkpoints, batch_size=3)
    rebuilt, head = Runner(PROJECTION, log).run()
    assert final.position == head == log.head()
    assert final.state == rebuilt


@given(EVENTS, st.integers(0, 40))
def test_rebuild_swaps_in_the_full_replay(events: list[Event], cut: int) -> None:
    """rebuild() replaces whatever checkpoint was stored with a replay from scratch."""
    log = Log()
    log.extend(events)
    checkpoints = MemoryProjectionPositions()
    checkpoints.replace(
        PROJECTION.name, 0, {"per_body": {"bogus": 99}, "attendees": -1, "open": []}
    )
    target = min(cut, log.head())
    rebuilt = Runner(PROJECTION, log).rebuild(checkpoints, target)
    assert checkpoints.load(PROJECTION.name) == (target, rebuilt.state)
    assert rebuilt.state == Runner(PROJECTION, log).run(target)[0]


@settings(max_examples=15)
@given(
    EVENTS,
    st.lists(st.tuples(st.integers(1, 7), st.none() | st.integers(0, 15)), min_size=1, max_size=4),
)
def test_incremental_with_sql_checkpoints_equals_full_rebuild(
    events: list[Event], runs: list[tuple[int, int | None]]
) -> None:
    """The same property with checkpoints in SQLite: crashes lose nothing, count nothing twice."""
    from civicledger.store.sql.positions import SqlProjectionPositions

    with tempfile.TemporaryDirectory() as directory:
        engine = sqlalchemy.create_engine(f"sqlite:///{directory}/checkpoints.db")
        try:
            checkpoints = SqlProjectionPositions(engine)
            log = Log()
            log.extend(events)
            for batch_size, crash_after in runs:
                try:
                    Runner(PROJECTION, CrashingSource(log, crash_after)).catch_up(
                        checkpoints, batch_size=batch_size
                    )
                except Crash:
                    position, state = checkpoints.load(PROJECTION.name) or (0, None)
                    assert state == Runner(PROJECTION, log).run(position)[0]
            final = Runner(PROJECTION, log).catch_up(checkpoints, batch_size=5)
            assert (final.position, final.state) == (log.head(), Runner(PROJECTION, log).run()[0])
        finally:
            engine.dispose()
