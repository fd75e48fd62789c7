"""Random appends, conflicts, retries and reads on the memory and SQL stores side by side:
SQLite, and PostgreSQL written by two stores in turn."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from civicledger import ANY, NO_STREAM, STREAM_EXISTS, CivicLedgerError, Ledger, NewEvent
from civicledger.events import RecordedEvent
from store_testkit import count, note

STREAMS = ["meeting/1", "meeting/2", "mediation/1", "Meeting/3"]
ID_POOL = [uuid.UUID(int=i + 1) for i in range(6)]  # a small pool, so ids get reused

events = st.one_of(
    st.builds(note, st.sampled_from(["a", "b"]), st.integers(1, 365)),
    st.builds(count, st.integers(0, 3), st.integers(1, 365)),
)
expected_versions = st.one_of(st.sampled_from([ANY, NO_STREAM, STREAM_EXISTS]), st.integers(0, 4))
event_ids = st.one_of(st.none(), st.sampled_from(ID_POOL))
entries = st.builds(
    NewEvent,
    stream=st.sampled_from(STREAMS),
    event=events,
    actor=st.sampled_from(["li", "wang"]),
    event_id=event_ids,
    expected_version=expected_versions,
)


def comparable(record: RecordedEvent) -> tuple[Any, ...]:
    """What two stores must agree on (generated ids, times and salted digests differ)."""
    supplied = record.event_id if record.event_id in ID_POOL else None
    return (
        record.position,
        record.stream,
        record.stream_version,
        supplied,
        record.type,
        record.schema_version,
        record.occurred_on,
        record.actor,
        record.payload,
    )


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("ok", [comparable(r) for r in call()])
    except CivicLedgerError as e:
        return ("error", type(e).__name__)


class StoresAgree(RuleBasedStateMachine):
    """The memory store is the model; the SQL store must behave identically."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp()
        self.memory = Ledger.in_memory()
        # Durability is not under test here; skipping fsyncs keeps the test fast.
        self.sql: Any = Ledger.open(f"sqlite:///{self.folder}/ledger.db", synchronous="OFF")

    def teardown(self) -> None:
        self.memory.close()
        self.sql.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(
        stream=st.sampled_from(STREAMS),
        payloads=st.lists(events, max_size=3),
        expected=expected_versions,
        ids=st.one_of(st.none(), st.lists(st.sampled_from(ID_POOL), min_size=3, max_size=3)),
    )
    def append(self, stream: str, payloads: list[Any], expected: Any, ids: Any) -> None:
        given = None if ids is None else ids[: len(payloads)]
        results = [
            outcome(
                lambda ledger=ledger: ledger.append(
                    stream, payloads, expected_version=expected, actor="li", event_ids=given
                )
            )
            for ledger in (self.memory, self.sql)
        ]
        assert results[0] == results[1]

    @rule(batch=st.lists(entries, min_size=1, max_size=4))
    def append_batch(self, batch: list[NewEvent]) -> None:
        first = outcome(lambda: self.memory.append_batch(batch))
        second = outcome(lambda: self.sql.append_batch(batch))
        assert first == second

    @rule(
        stream=st.one_of(st.none(), st.sampled_from(STREAMS)),
        prefix=st.one_of(st.none(), st.sampled_from(["meeting", "me", "M", ""])),
        types=st.one_of(
            st.none(),
            st.lists(
                st.sampled_from(["storetest.note_taken", "storetest.count_recorded"]),
                max_size=2,
            ),
        ),
        from_position=st.integers(1, 12),
        to_position=st.one_of(st.none(), st.integers(0, 12)),
        between=st.one_of(
            st.none(),
            st.tuples(st.integers(1, 365), st.integers(1, 365)).map(
                lambda p: (date.fromordinal(date(2022, 12, 31).toordinal() + p[0]),
                           date.fromordinal(date(2022, 12, 31).toordinal() + p[1]))
            ),
        ),
    )  # fmt: skip
    def read(
        self,
        stream: str | None,
        prefix: str | None,
        types: list[str] | None,
        from_position: int,
        to_position: int | None,
        between: tuple[date, date] | None,
    ) -> None:
        filters: dict[str, Any] = {
            "stream": stream,
            "stream_prefix": prefix,
            "types": types,
            "from_position": from_position,
            "to_position": to_position,
            "occurred_between": between,
        }
        got = [
            [comparable(r) for r in ledger.read(**filters)] for ledger in (self.memory, self.sql)
        ]
        assert got[0] == got[1]

    @rule(stream=st.sampled_from(STREAMS), from_version=st.integers(1, 4))
    def read_stream(self, stream: str, from_version: int) -> None:
        got = [
            [comparable(r) for r in ledger.read_stream(stream, from_version)]
            for ledger in (self.memory, self.sql)
        ]
        assert got[0] == got[1]

    @invariant()
    def positions_and_stream_versions_are_contiguous(self) -> None:
        head = self.memory.head()
        assert self.sql.head() == head
        assert self.sql.store.frontier().size == head
        records = list(self.sql.read())
        assert [r.position for r in records] == list(range(1, head + 1))
        for stream in STREAMS:
            versions = [r.stream_version for r in records if r.stream == stream]
            assert versions == list(range(1, len(versions) + 1))


StoresAgree.TestCase.settings = settings(
    settings.get_profile("ci"), stateful_step_count=12, max_examples=settings().max_examples
)
test_memory_and_sqlite_stores_agree = StoresAgree.TestCase


class TwoStores:
    """Two stores of one PostgreSQL ledger; each call goes to the one whose turn it is.

    A store plans a small append on what it last wrote (store/sql/one_trip.py), so the
    other one writing in between is what a wrong guess looks like.
    """

    def __init__(self, url: str, name: str) -> None:
        self.ledgers = [Ledger.open(url, ledger=name), Ledger.open(url, ledger=name)]
        self.turn = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledgers[self.turn], name)

    def close(self) -> None:
        for ledger in self.ledgers:
            ledger.close()


class StoresAgreeOnPostgres(StoresAgree):
    """The same rules against two PostgreSQL stores taking turns at random."""

    def __init__(self, url: str) -> None:
        RuleBasedStateMachine.__init__(self)
        self.memory = Ledger.in_memory()
        self.sql = TwoStores(url, f"test-{uuid.uuid4().hex}")

    def teardown(self) -> None:
        self.memory.close()
        self.sql.close()  # the run's database, and its ledgers, go with the session

    @rule()
    def other_store_takes_its_turn(self) -> None:
        self.sql.turn ^= 1


@pytest.mark.postgres
def test_memory_and_two_postgres_stores_agree(postgres_url: str) -> None:
    run_state_machine_as_test(
        lambda: StoresAgreeOnPostgres(postgres_url),
        # More steps than on SQLite: a guess goes wrong only when the stores take turns
        # between two appends of the same one.
        settings=settings(
            settings.get_profile("ci"),
            stateful_step_count=30,
            max_examples=settings().max_examples,
        ),
    )
