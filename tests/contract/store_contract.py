"""The behaviour every EventStore must have, written once and run against each backend.

Backends subclass :class:`EventStoreContract` and provide a ``make_store`` fixture:
a callable taking ``origin``, ``hash_algorithm`` and ``clock`` keywords that opens
a fresh, empty ledger.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from civicledger import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    ConcurrencyError,
    DuplicateEventError,
    Event,
    EventStore,
    NewEvent,
    ReadFilter,
    StoreError,
    UnknownEventTypeError,
    ValidationError,
)
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.leaf import envelope_bytes, leaf_hash
from civicledger.merkle.tree import STORED_LEVELS, merkle_root
from store_testkit import StepClock, count, note

MakeStore = Callable[..., EventStore]


class Unregistered(Event):
    """An Event subclass never registered with @event."""


def positions(store: EventStore, **filters: object) -> list[int]:
    return [r.position for r in store.read(**filters)]  # type: ignore[arg-type]


class EventStoreContract:
    """Behaviour every EventStore must have. Subclasses provide ``make_store``."""

    @pytest.fixture
    def store(self, make_store: MakeStore) -> EventStore:
        return make_store()

    # -- positions and versions --------------------------------------------------------

    def test_empty_store_has_head_zero_and_reads_nothing(self, store: EventStore) -> None:
        """A new ledger's head is 0 and every read is empty."""
        assert store.head() == 0
        assert list(store.read()) == []
        assert list(store.read_stream("s")) == []
        assert store.stream_version("s") == 0

    def test_append_assigns_contiguous_positions_and_stream_versions(
        self, store: EventStore
    ) -> None:
        """Positions count 1, 2, 3 across streams; versions count within each stream."""
        store.append("a", [note("1"), note("2")], actor="clerk")
        store.append("b", [note("3")], actor="clerk")
        store.append("a", [note("4")], actor="clerk")
        got = [(r.position, r.stream, r.stream_version) for r in store.read()]
        assert got == [(1, "a", 1), (2, "a", 2), (3, "b", 1), (4, "a", 3)]
        assert store.head() == 4
        assert store.stream_version("a") == 3

    def test_append_returns_what_read_returns(self, store: EventStore) -> None:
        """The records an append returns equal the records read back later."""
        returned = store.append("a", [note("x", day=3), count(7, day=4)], actor="li")
        assert list(store.read()) == returned

    def test_record_carries_envelope_fields_from_event_clock_and_call(
        self, make_store: MakeStore
    ) -> None:
        """type, schema version, occurred_on, actor and recorded_at (the clock's) are recorded."""
        clock = StepClock()
        store = make_store(clock=clock)
        (record,) = store.append("meetings", [note("x", day=32)], actor="wang")
        assert record.type == "storetest.note_taken"
        assert record.schema_version == 1
        assert record.occurred_on == date(2023, 2, 1)
        assert record.actor == "wang"
        assert record.recorded_at == clock.last
        assert record.payload == note("x", day=32)
        (stored,) = store.read()
        assert stored.recorded_at == record.recorded_at

    def test_one_timestamp_per_append(self, make_store: MakeStore) -> None:
        """All events of one append share one recorded_at; the clock is read once."""
        clock = StepClock()
        store = make_store(clock=clock)
        calls_before = clock.calls
        records = store.append("a", [note(), note(), note()], actor="x")
        assert clock.calls - calls_before == 1
        assert len({r.recorded_at for r in records}) == 1

    def test_generated_event_ids_are_time_ordered_uuid7(self, store: EventStore) -> None:
        """Ids the store makes are version-7 UUIDs that increase with position."""
        records = store.append("a", [note() for _ in range(5)], actor="x")
        records += store.append("b", [note()], actor="x")
        ids = [r.event_id for r in records]
        assert all(i.version == 7 for i in ids)
        assert ids == sorted(ids)
        assert len(set(ids)) == 6

    def test_caller_event_ids_are_kept(self, store: EventStore) -> None:
        """An event id the caller gives is the recorded event's id."""
        given = [uuid.uuid4(), uuid.uuid4()]
        records = store.append("a", [note(), note()], actor="x", event_ids=given)
        assert [r.event_id for r in records] == given
        assert [r.event_id for r in store.read()] == given

    # -- many batches, one transaction (streaming imports) ----------------------------------

    def test_append_batches_is_one_transaction_across_batches(self, store: EventStore) -> None:
        """Batches land in order with the same tree as one batch; a failure later undoes all."""
        stored = uuid.uuid4()
        store.append("a", [note("first")], actor="x", event_ids=[stored])

        def batches(fail: bool) -> Iterator[list[NewEvent]]:
            for n in range(3):
                yield [NewEvent(stream=f"s{n}", event=note(str(i)), actor="x") for i in range(4)]
            if fail:
                raise ValidationError("line 99: bad")

        with pytest.raises(ValidationError, match="line 99"):
            store.append_batches(batches(fail=True))
        assert store.head() == 1
        assert store.append_batches(batches(fail=False)) == 12
        assert [r.stream for r in store.read()][1:] == [f"s{n}" for n in range(3) for _ in range(4)]
        leaves = [r.leaf_hash for r in store.read()]
        assert store.frontier().root() == merkle_root(hash_algorithm("sha256"), leaves)
        retry = [NewEvent(stream="a", event=note("first"), actor="x", event_id=stored)]
        assert store.append_batches([retry]) == 0  # stored before the call: a retry

    def test_append_batches_refuses_an_id_twice_in_the_call(self, store: EventStore) -> None:
        twice = uuid.uuid4()
        entry = NewEvent(stream="a", event=note("x"), actor="x", event_id=twice)
        other = NewEvent(stream="b", event=note("y"), actor="x")
        for batches in ([[entry, other], [entry]], [[entry, entry]]):
            with pytest.raises(ValidationError, match=f"event_id {twice} appears twice"):
                store.append_batches(batches)
            assert store.head() == 0

    # -- optimistic concurrency ----------------------------------------------------------

    def test_conflicting_append_writes_nothing(self, store: EventStore) -> None:
        """A wrong expected version raises ConcurrencyError and writes nothing."""
        store.append("s1", [note()], expected_version=NO_STREAM, actor="x")
        with pytest.raises(ConcurrencyError):
            store.append("s1", [note(), note()], expected_version=NO_STREAM, actor="x")
        assert [r.stream_version for r in store.read_stream("s1")] == [1]
        assert store.head() == 1

    def test_concurrency_error_names_stream_expected_and_actual(self, store: EventStore) -> None:
        """The message names the stream, the expected version and the actual one."""
        store.append("mediation/7", [note(), note()], actor="x")
        with pytest.raises(ConcurrencyError) as caught:
            store.append("mediation/7", [note()], expected_version=5, actor="x")
        message = str(caught.value)
        assert "'mediation/7'" in message
        assert "expected version 5" in message
        assert "version 2" in message

    def test_exact_expected_version_appends_when_it_matches(self, store: EventStore) -> None:
        """An int expected version equal to the stream's version appends."""
        store.append("a", [note()], actor="x")
        (record,) = store.append("a", [note()], expected_version=1, actor="x")
        assert record.stream_version == 2

    def test_expected_version_zero_means_no_stream(self, store: EventStore) -> None:
        """Expected version 0 accepts a new stream and refuses an existing one."""
        store.append("a", [note()], expected_version=0, actor="x")
        with pytest.raises(ConcurrencyError):
            store.append("a", [note()], expected_version=0, actor="x")

    def test_stream_exists_refuses_a_new_stream(self, store: EventStore) -> None:
        """STREAM_EXISTS raises ConcurrencyError on a stream without events."""
        with pytest.raises(ConcurrencyError):
            store.append("new", [note()], expected_version=STREAM_EXISTS, actor="x")
        store.append("new", [note()], actor="x")
        store.append("new", [note()], expected_version=STREAM_EXISTS, actor="x")
        assert store.stream_version("new") == 2

    def test_any_appends_whatever_the_version(self, store: EventStore) -> None:
        """ANY never conflicts."""
        store.append("a", [note()], expected_version=ANY, actor="x")
        store.append("a", [note()], expected_version=ANY, actor="x")
        assert store.stream_version("a") == 2

    def test_batch_whose_third_event_conflicts_changes_nothing(self, store: EventStore) -> None:
        """A batch failing at its 3rd entry leaves head, frontier and streams unchanged."""
        store.append("a", [note()], actor="x")
        head, frontier = store.head(), store.frontier()
        batch = [
            NewEvent(stream="b", event=note(), actor="x"),
            NewEvent(stream="c", event=note(), actor="x", expected_version=NO_STREAM),
            NewEvent(stream="a", event=note(), actor="x", expected_version=NO_STREAM),
            NewEvent(stream="d", event=note(), actor="x"),
        ]
        with pytest.raises(ConcurrencyError):
            store.append_batch(batch)
        assert store.head() == head
        assert store.frontier() == frontier
        assert store.stream_version("b") == 0
        assert [r.stream for r in store.read()] == ["a"]
        # Positions are not burnt by the failure: the next append gets position 2.
        (record,) = store.append("b", [note()], actor="x")
        assert record.position == 2

    def test_batch_checks_expected_versions_against_earlier_entries(
        self, store: EventStore
    ) -> None:
        """Within a batch, an entry's expected version counts earlier entries of its stream."""
        records = store.append_batch(
            [
                NewEvent(stream="a", event=note(), actor="x", expected_version=NO_STREAM),
                NewEvent(stream="b", event=note(), actor="x", expected_version=NO_STREAM),
                NewEvent(stream="a", event=note(), actor="x", expected_version=1),
            ]
        )
        assert [(r.stream, r.stream_version, r.position) for r in records] == [
            ("a", 1, 1),
            ("b", 1, 2),
            ("a", 2, 3),
        ]

    # -- idempotency ---------------------------------------------------------------------

    def test_retry_with_same_id_returns_original_record(self, store: EventStore) -> None:
        """Resending an event with its id returns the original record, whatever the version."""
        event_id = uuid.uuid4()
        (original,) = store.append(
            "a", [note("x")], expected_version=NO_STREAM, actor="li", event_ids=[event_id]
        )
        (again,) = store.append(
            "a", [note("x")], expected_version=NO_STREAM, actor="other", event_ids=[event_id]
        )
        assert again == original
        assert store.head() == 1

    def test_retry_of_a_partly_stored_call_stores_only_the_rest(self, store: EventStore) -> None:
        """A retried call whose first event is stored appends only the missing ones."""
        ids = [uuid.uuid4(), uuid.uuid4()]
        (first,) = store.append(
            "a", [note("1")], expected_version=NO_STREAM, actor="x", event_ids=ids[:1]
        )
        records = store.append(
            "a", [note("1"), note("2")], expected_version=NO_STREAM, actor="x", event_ids=ids
        )
        assert records[0] == first
        assert (records[1].position, records[1].stream_version) == (2, 2)

    def test_same_id_with_different_payload_raises_duplicate(self, store: EventStore) -> None:
        """Reusing an id for another payload raises DuplicateEventError naming the id."""
        event_id = uuid.uuid4()
        store.append("a", [note("x")], actor="x", event_ids=[event_id])
        with pytest.raises(DuplicateEventError, match=str(event_id)):
            store.append("a", [note("y")], actor="x", event_ids=[event_id])
        assert store.head() == 1

    def test_same_id_in_another_stream_raises_duplicate(self, store: EventStore) -> None:
        """The same id and payload in another stream is not a retry: DuplicateEventError."""
        event_id = uuid.uuid4()
        store.append("a", [note("x")], actor="x", event_ids=[event_id])
        with pytest.raises(DuplicateEventError):
            store.append("b", [note("x")], actor="x", event_ids=[event_id])

    def test_same_id_with_another_type_raises_duplicate(self, store: EventStore) -> None:
        """The same id with another event type raises DuplicateEventError."""
        event_id = uuid.uuid4()
        store.append("a", [count(1)], actor="x", event_ids=[event_id])
        with pytest.raises(DuplicateEventError):
            store.append("a", [note("1")], actor="x", event_ids=[event_id])

    def test_id_repeated_in_one_batch_is_stored_once(self, store: EventStore) -> None:
        """An entry repeating an earlier entry of its batch gets that entry's record."""
        event_id = uuid.uuid4()
        records = store.append_batch(
            [
                NewEvent(stream="a", event=note("x"), actor="x", event_id=event_id),
                NewEvent(stream="a", event=note("y"), actor="x"),
                NewEvent(stream="a", event=note("x"), actor="x", event_id=event_id),
            ]
        )
        assert records[0] == records[2]
        assert store.head() == 2

    def test_id_repeated_in_one_batch_with_other_content_writes_nothing(
        self, store: EventStore
    ) -> None:
        """Two entries of a batch sharing an id but not content raise DuplicateEventError."""
        event_id = uuid.uuid4()
        with pytest.raises(DuplicateEventError, match=str(event_id)):
            store.append_batch(
                [
                    NewEvent(stream="a", event=note("x"), actor="x", event_id=event_id),
                    NewEvent(stream="a", event=note("y"), actor="x", event_id=event_id),
                ]
            )
        assert store.head() == 0

    # -- reading -------------------------------------------------------------------------

    @pytest.fixture
    def filled(self, store: EventStore) -> EventStore:
        store.append("meeting/1", [note("a", day=1), count(1, day=40)], actor="x")
        store.append("Meeting/2", [note("b", day=100)], actor="x")
        store.append("mediation/1", [count(2, day=200), note("c", day=365)], actor="x")
        store.append("meeting%/3", [note("d", day=50)], actor="x")
        return store

    def test_read_filters_by_stream(self, filled: EventStore) -> None:
        """stream= yields only that stream, in position order."""
        assert positions(filled, stream="meeting/1") == [1, 2]
        assert positions(filled, stream="nothing") == []

    def test_read_filters_by_stream_prefix_case_sensitively(self, filled: EventStore) -> None:
        """stream_prefix= matches the start of the name exactly (case and % included)."""
        assert positions(filled, stream_prefix="meeting") == [1, 2, 6]
        assert positions(filled, stream_prefix="Meeting") == [3]
        assert positions(filled, stream_prefix="meeting%") == [6]
        assert positions(filled, stream_prefix="m_") == []

    def test_read_filters_by_types(self, filled: EventStore) -> None:
        """types= yields only events of the named types."""
        assert positions(filled, types=["storetest.count_recorded"]) == [2, 4]
        assert positions(filled, types=[]) == []

    def test_read_filters_by_position_range(self, filled: EventStore) -> None:
        """from_position and to_position bound the read inclusively."""
        assert positions(filled, from_position=2, to_position=4) == [2, 3, 4]
        assert positions(filled, from_position=7) == []
        assert positions(filled, to_position=0) == []

    def test_read_filters_by_occurred_on_inclusively(self, filled: EventStore) -> None:
        """occurred_between=(first, last) includes both end dates."""
        between = (date(2023, 2, 9), date(2023, 7, 19))
        assert positions(filled, occurred_between=between) == [2, 3, 4, 6]

    def test_read_filters_combine(self, filled: EventStore) -> None:
        """Filters combine with AND."""
        got = positions(filled, stream_prefix="me", types=["storetest.note_taken"], from_position=2)
        assert got == [5, 6]

    def test_read_rejects_malformed_filters(self, store: EventStore) -> None:
        """A malformed filter raises ValidationError naming it."""
        for bad in (
            {"from_position": 0},
            {"from_position": True},
            {"to_position": -1},
            {"types": "storetest.note_taken"},
            {"occurred_between": (date(2023, 1, 1),)},
            {"stream": ""},
        ):
            with pytest.raises(ValidationError) as caught:
                list(store.read(**bad))  # type: ignore[arg-type]
            assert caught.value.field == next(iter(bad))

    def test_a_read_filter_reads_what_its_keywords_read(self, filled: EventStore) -> None:
        """read(ReadFilter(...)) and read(**the same fields) yield the same records."""
        fields = {
            "stream_prefix": "me",
            "types": ["storetest.note_taken"],
            "from_position": 2,
            "occurred_between": (date(2023, 1, 1), date(2023, 12, 31)),
        }
        by_value = [r.position for r in filled.read(ReadFilter(**fields))]  # type: ignore[arg-type]
        assert by_value == positions(filled, **fields) == [5, 6]

    def test_a_read_filter_and_keywords_together_are_refused(self, filled: EventStore) -> None:
        """A filter narrowed again by keywords is ambiguous: refused, naming the keyword."""
        with pytest.raises(ValidationError, match="not both") as caught:
            filled.read(ReadFilter(stream="meeting/1"), to_position=1)
        assert caught.value.field == "to_position"

    def test_a_malformed_read_filter_is_refused_when_made(self) -> None:
        """ReadFilter checks its fields itself, so no backend sees a bad one."""
        for bad in ({"from_position": 0}, {"types": "x"}, {"occurred_between": (1, 2)}):
            with pytest.raises(ValidationError) as caught:
                ReadFilter(**bad)  # type: ignore[arg-type]
            assert caught.value.field == next(iter(bad))

    def test_read_crosses_batch_boundaries_in_order(self, store: EventStore) -> None:
        """A read longer than one fetch batch yields every event once, in order."""
        store.append_batch(
            [NewEvent(stream=f"s{i % 3}", event=count(i), actor="x") for i in range(2345)]
        )
        got = [r.position for r in store.read()]
        assert got == list(range(1, 2346))
        assert [r.stream_version for r in store.read(stream="s1")] == list(range(1, 783))

    def test_read_covers_events_stored_when_it_started(self, store: EventStore) -> None:
        """Events appended while a read is under way are not part of it."""
        store.append("a", [note(), note()], actor="x")
        reading = store.read()
        first = next(reading)
        store.append("a", [note()], actor="x")
        assert [first.position] + [r.position for r in reading] == [1, 2]

    def test_read_stream_starts_at_from_version(self, store: EventStore) -> None:
        """read_stream yields the stream's events from from_version on."""
        store.append("a", [note("1"), note("2")], actor="x")
        store.append("b", [note("3")], actor="x")
        store.append("a", [note("4")], actor="x")
        assert [r.stream_version for r in store.read_stream("a", from_version=2)] == [2, 3]
        assert [r.position for r in store.read_stream("a")] == [1, 2, 4]

    # -- validation ----------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("call", "field"),
        [
            (lambda s: s.append("a", [note()], expected_version=-1, actor="x"), "expected_version"),
            (
                lambda s: s.append("a", [note()], expected_version=True, actor="x"),
                "expected_version",
            ),
            (lambda s: s.append("a", ["not an event"], actor="x"), "event"),
            (lambda s: s.append("a", [note()], actor="x", event_ids=[]), "event_ids"),
            (lambda s: s.append("a", [note()], actor="x", event_ids=["id"]), "event_id"),
            (lambda s: s.append("", [note()], actor="x"), "stream"),
            (lambda s: s.append("a", [note()], actor=None), "actor"),
            (lambda s: s.append("a", note(), actor="x"), "events"),
        ],
    )
    def test_invalid_append_raises_validation_error_and_writes_nothing(
        self, store: EventStore, call: Callable[[EventStore], object], field: str
    ) -> None:
        """A malformed append raises ValidationError naming the field; nothing is written."""
        store.append("a", [note()], actor="x")
        with pytest.raises(ValidationError) as caught:
            call(store)
        assert caught.value.field == field
        assert store.head() == 1

    def test_unregistered_event_type_is_refused(self, store: EventStore) -> None:
        """An event class not registered with @event cannot be appended."""
        with pytest.raises(UnknownEventTypeError):
            store.append("a", [Unregistered(occurred_on=date(2023, 1, 1))], actor="x")
        assert store.head() == 0

    def test_naive_clock_is_refused_and_nothing_written(self, make_store: MakeStore) -> None:
        """A clock returning a naive datetime raises ValidationError; nothing is written."""
        now = [datetime(2024, 1, 1, tzinfo=UTC)]
        store = make_store(clock=lambda: now[0])
        now[0] = datetime(2024, 1, 1)
        with pytest.raises(ValidationError, match="timezone"):  # naive
            store.append("a", [note()], actor="x")
        assert store.head() == 0

    def test_recorded_at_is_kept_in_utc(self, make_store: MakeStore) -> None:
        """A clock in another timezone gives recorded_at as the same instant, in UTC."""
        beijing = timezone(timedelta(hours=8))
        store = make_store(clock=lambda: datetime(2024, 1, 1, 9, 30, tzinfo=beijing))
        (record,) = store.append("a", [note()], actor="x")
        assert record.recorded_at == datetime(2024, 1, 1, 1, 30, tzinfo=UTC)
        assert record.recorded_at.tzinfo is UTC
        (stored,) = store.read()
        assert stored.recorded_at.utcoffset() == timedelta(0)

    def test_empty_append_writes_nothing(self, store: EventStore) -> None:
        """Appending no events returns an empty list and leaves the head alone."""
        assert store.append("a", [], actor="x") == []
        assert store.append_batch([]) == []
        assert store.head() == 0

    # -- Merkle tree ---------------------------------------------------------------------

    def test_leaf_hash_commits_to_the_envelope(self, make_store: MakeStore) -> None:
        """Each record's leaf hash is the hash of its envelope, with the ledger's origin."""
        origin = f"test.example.org/{uuid.uuid4().hex}"  # unique: the PostgreSQL db is shared
        store = make_store(origin=origin)
        alg = hash_algorithm(store.hash_algorithm)
        for record in store.append("a", [note("x"), count(3)], actor="zhang"):
            envelope = envelope_bytes(
                origin=origin,
                position=record.position,
                stream=record.stream,
                stream_version=record.stream_version,
                event_id=record.event_id,
                type=record.type,
                schema_version=record.schema_version,
                occurred_on=record.occurred_on,
                recorded_at=record.recorded_at,
                actor=record.actor,
                payload_digest=record.payload_digest,
                hash_name=alg.name,
                version=store.leaf_version,
            )
            assert record.leaf_hash == leaf_hash(alg, envelope)
            assert store.leaf_hash(record.position) == record.leaf_hash

    def test_equal_payloads_get_different_digests(self, store: EventStore) -> None:
        """Per-event salts make equal payloads' digests differ."""
        first, second = store.append("a", [note("same"), note("same")], actor="x")
        assert first.payload_digest != second.payload_digest

    def test_frontier_root_is_the_merkle_root_of_all_leaves(self, store: EventStore) -> None:
        """The stored frontier's root equals the RFC 9162 root over every leaf, in order."""
        alg = hash_algorithm(store.hash_algorithm)
        store.append_batch([NewEvent(stream="a", event=count(i), actor="x") for i in range(300)])
        store.append("b", [note()], actor="x")
        leaves = [r.leaf_hash for r in store.read()]
        frontier = store.frontier()
        assert frontier.size == store.head() == 301
        assert frontier.root() == merkle_root(alg, leaves)

    def test_node_reader_serves_leaves_and_stored_nodes(self, store: EventStore) -> None:
        """node_reader returns leaf hashes by index and the level-8 node over 256 leaves."""
        alg = hash_algorithm(store.hash_algorithm)
        store.append_batch([NewEvent(stream="a", event=count(i), actor="x") for i in range(600)])
        leaves = [r.leaf_hash for r in store.read()]
        reader = store.node_reader()
        assert list(reader.leaf_hashes(10, 20)) == leaves[10:20]
        assert STORED_LEVELS[0] == 8
        assert list(reader.stored_nodes(8, 0, 5)) == [
            merkle_root(alg, leaves[0:256]),
            merkle_root(alg, leaves[256:512]),
        ]

    def test_leaf_hash_of_unknown_position_raises_store_error(self, store: EventStore) -> None:
        """Asking for a leaf beyond the head raises StoreError."""
        store.append("a", [note()], actor="x")
        with pytest.raises(StoreError, match="position 2"):
            store.leaf_hash(2)

    # -- identity --------------------------------------------------------------------------

    def test_given_origin_is_kept(self, make_store: MakeStore) -> None:
        """A ledger created with an origin reports exactly that origin."""
        origin = f"records.example.org/{uuid.uuid4().hex}"
        assert make_store(origin=origin).origin == origin

    def test_generated_origins_are_unique(self, make_store: MakeStore) -> None:
        """Two ledgers created without an origin get different ones."""
        assert make_store().origin != make_store().origin

    def test_malformed_origin_is_refused(self, make_store: MakeStore) -> None:
        """An origin with spaces or a newline raises ValidationError."""
        for bad in ("has space", "two\nlines", ""):
            with pytest.raises(ValidationError):
                make_store(origin=bad)

    def test_sm3_ledger_hashes_with_sm3(self, make_store: MakeStore) -> None:
        """A ledger created with sm3 reports it and its frontier root uses SM3."""
        store = make_store(hash_algorithm="sm3")
        store.append("a", [note(), note()], actor="x")
        assert store.hash_algorithm == "sm3"
        leaves = [r.leaf_hash for r in store.read()]
        assert store.frontier().root() == merkle_root(hash_algorithm("sm3"), leaves)

    def test_closed_store_refuses_calls(self, store: EventStore) -> None:
        """After close, calls raise StoreError."""
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.head()

    # -- subscription ----------------------------------------------------------------------

    def test_subscribe_yields_stored_then_new_events_until_stopped(self, store: EventStore) -> None:
        """A subscription catches up, then yields events appended later, in order."""
        store.append("a", [note("1"), note("2")], actor="x")
        stop = threading.Event()
        seen: list[int] = []

        def append_later() -> None:
            for i in range(3):
                store.append("b", [count(i)], actor="x")

        writer = threading.Thread(target=append_later)
        for record in store.subscribe(from_position=2, poll_interval=0.05, stop=stop, timeout=10):
            seen.append(record.position)
            if record.position == 2:
                writer.start()
            if len(seen) == 4:
                stop.set()
        writer.join()
        assert seen == [2, 3, 4, 5]

    def test_subscribe_ends_after_idle_timeout(self, store: EventStore) -> None:
        """With a timeout and no appends, a subscription ends after yielding what is stored."""
        store.append("a", [note()], actor="x")
        got = [r.position for r in store.subscribe(poll_interval=0.05, timeout=0.2)]
        assert got == [1]

    # -- the parts a backend supplies (store/parts.py) ----------------------------------

    def test_position_of_finds_an_event_by_id(self, store: EventStore) -> None:
        """position_of gives an event's position, and None for an id never recorded."""
        _, second = store.append("a", [note("1"), note("2")], actor="x")
        assert store.position_of(second.event_id) == 2
        assert store.position_of(uuid.uuid4()) is None

    def test_row_source_gives_the_stored_rows_that_hash_to_their_leaves(
        self, store: EventStore
    ) -> None:
        """The row source reads every stored row, its envelope hashing to the stored leaf."""
        records = store.append("a", [note("1"), count(2)], actor="x")
        rows = list(store.row_source().rows(1, 2))
        alg = hash_algorithm(store.hash_algorithm)
        assert [r.event_id for r in rows] == [r.event_id for r in records]
        for row in rows:
            envelope = row.envelope(store.origin, alg.name, store.leaf_version)
            assert leaf_hash(alg, envelope) == row.leaf_hash
        counts = store.row_source().payloads_of_type("storetest.count_recorded", 2)
        assert list(counts) == [(2, rows[1].payload)]

    def test_the_seal_table_keeps_seals_in_order_for_every_caller(self, store: EventStore) -> None:
        """Seals appended through one seal table are read, in order, through a new one."""
        store.seal_table().append(tree_size=0, root_hash=b"a" * 32, sealed_at="t1", text="one")
        store.seal_table().append(tree_size=0, root_hash=b"b" * 32, sealed_at="t2", text="two")
        assert [(r.text, r.root_hash) for r in store.seal_table().rows()] == [
            ("one", b"a" * 32),
            ("two", b"b" * 32),
        ]

    def test_projection_positions_move_forward_by_compare_and_set(self, store: EventStore) -> None:
        """The store's projection positions refuse a save whose expected position is stale."""
        positions_ = store.projection_positions()
        positions_.save("p", None, 3, {"n": 3})
        with pytest.raises(ConcurrencyError, match="another runner moved it"):
            positions_.save("p", 1, 4, {"n": 4})
        assert store.projection_positions().load("p") == (3, {"n": 3})

    def test_sql_target_names_the_ledger_when_there_is_a_database(self, store: EventStore) -> None:
        """sql_target is None without a SQL database, else it names this ledger."""
        target = store.sql_target()
        if target is not None:
            assert target.ledger_name == store.ledger_name
        assert store.is_replica is False

    def test_seals_live_with_the_store_not_with_an_auditor(self, store: EventStore) -> None:
        """A seal made through one Auditor is listed, and verifies, through another."""
        from civicledger.audit.auditor import Auditor

        store.append("a", [note()], actor="x")
        made = Auditor(store).seal()
        other = Auditor(store)
        assert [s.text for s in other.seals()] == [made.text]
        assert other.verify().ok
