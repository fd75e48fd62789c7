"""A small PostgreSQL append after one of the same store goes to the server as one query,
planned on what the store last wrote; the server checks every guess, and a refused guess
leaves nothing written and the append done the usual way (store/sql/one_trip.py)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from civicledger import ConcurrencyError, Ledger, StoreError, ValidationError
from civicledger.store import NewEvent
from civicledger.store.sql import SqlStore, dialect, one_trip
from civicledger.store.sql.engine import listener
from store_testkit import note

pytestmark = pytest.mark.postgres


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each one-trip append returned: True committed, False refused by the server."""
    results: list[bool] = []
    real = one_trip.send

    def spy(*args: Any, **kwargs: Any) -> one_trip.Sent:
        sent = real(*args, **kwargs)
        results.append(sent is one_trip.Sent.COMMITTED)
        return sent

    monkeypatch.setattr(one_trip, "send", spy)
    return results


def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _another_store_appends(url: str, name: str, *streams: str) -> None:
    """Another store of the same ledger appends one event to each stream, in order."""
    with Ledger.open(url, ledger=name) as theirs:
        for stream in streams:
            theirs.append(stream, [note(f"theirs on {stream}")], actor="y")


def _stored(ledger: Ledger) -> list[tuple[int, str, int]]:
    return [(r.position, r.stream, r.stream_version) for r in ledger.read()]


def test_small_appends_after_the_first_go_in_one_query_and_verify(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """Singles and small batches across a completed tile (256 leaves) come back as read,
    and the ledger verifies."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        returned = ledger.append("a", [note("first")], actor="x")  # nothing remembered yet
        assert sends == []
        for n in range(300):
            stream = ("a", "b", "c")[n % 3]
            size = 1 + n % 4
            returned += ledger.append(stream, [note(f"{n}-{i}") for i in range(size)], actor="x")
        assert sends
        assert all(sends)
        assert returned == list(ledger.read())
        report = ledger.verify()
        assert report.ok, report
        versions: dict[str, int] = {}
        for _, stream, version in _stored(ledger):
            versions[stream] = versions.get(stream, 0) + 1
            assert version == versions[stream]


def test_another_writer_in_between_is_refused_by_the_server_and_appended_after_it(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    with Ledger.open(postgres_url, ledger=ledger_name) as mine:
        mine.append("s", [note("a")], actor="x")
        # The position and version this store would guess, and one more.
        _another_store_appends(postgres_url, ledger_name, "s", "t")
        [record] = mine.append("s", [note("d")], actor="x")
        assert sends[-1] is False  # refused by the server; appended the usual way
        assert (record.position, record.stream_version) == (4, 3)
        assert _stored(mine) == [(1, "s", 1), (2, "s", 2), (3, "t", 1), (4, "s", 3)]
        mine.append("s", [note("e")], actor="x")
        assert sends[-1] is True  # remembered again
        assert mine.verify().ok


def test_a_stream_another_writer_moved_is_refused_even_where_the_position_is_free(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """The stream check, not only the primary key: another store appended to 't' and this
    one plans on its own (stale) knowledge of 't' at the right position."""
    with Ledger.open(postgres_url, ledger=ledger_name) as mine:
        mine.append("t", [note("a")], actor="x")
        _another_store_appends(postgres_url, ledger_name, "t")
        mine.append("u", [note("c")], actor="x")  # usual way: the head moved under it
        assert sends[-1] is False
        [record] = mine.append("t", [note("d")], actor="x")  # remembers 't' at 1, it is at 2
        assert sends[-1] is False
        assert record.stream_version == 3
        assert mine.verify().ok


def test_an_expected_version_is_judged_on_the_stored_stream(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    with Ledger.open(postgres_url, ledger=ledger_name) as mine:
        mine.append("s", [note("a")], actor="x")
        _another_store_appends(postgres_url, ledger_name, "s")
        # Right by the stored stream (version 2), wrong by what this store remembers (1).
        [record] = mine.append("s", [note("c")], expected_version=2, actor="x")
        assert record.stream_version == 3
        with pytest.raises(ConcurrencyError, match="expected version 1"):
            mine.append("s", [note("d")], expected_version=1, actor="x")
        assert mine.head() == 3


def test_a_repeated_event_id_gives_back_the_original(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        ledger.append("s", [note("a")], actor="x")
        entry = NewEvent(stream="s", event=note("b"), actor="x", event_id=uuid.uuid4())
        [original] = ledger.append_batch([entry])
        assert sends[-1] is True
        [again] = ledger.append_batch([entry])
        assert sends[-1] is False  # the id index refused it; the usual way found the original
        assert again == original
        assert ledger.head() == 2


_PLANT_NEXT_ROW = (
    "INSERT INTO civicledger_events SELECT ledger_id, position + 1, stream, stream_version + 1, "
    "gen_random_uuid(), type, schema_version, occurred_on, recorded_at, actor, payload, salt, "
    "commitments, payload_digest, leaf_hash FROM civicledger_events "
    "WHERE ledger_id = {0} AND position = 2"
)


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        ("UPDATE civicledger_ledgers SET frontier = '\\x00'::bytea WHERE id = {0}", "frontier"),
        ("UPDATE civicledger_ledgers SET head = 1 WHERE id = {0}", "the head is 1"),
        (_PLANT_NEXT_ROW, r"position.*=\(\d+, 3\) already exists"),
    ],
    ids=["frontier", "head lowered", "row planted at the next position"],
)
def test_a_ledger_changed_in_the_database_is_never_written_over(
    postgres_url: str, ledger_name: str, sends: list[bool], damage: str, named: str
) -> None:
    """An insider's change to what a store remembers fails the one query's checks; the
    usual way then reads the ledger and refuses, naming what it found, as it does for a
    store that remembers nothing."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        ledger.append("s", [note("a")], actor="x")
        ledger.append("s", [note("b")], actor="x")
        store = ledger.store
        assert isinstance(store, SqlStore)
        _sql(postgres_url, damage.format(store.ledger_id))
        sends.clear()
        with pytest.raises(StoreError, match=named):
            ledger.append("s", [note("refused")], actor="x")
        assert sends == [False]
        engine = create_engine(postgres_url)
        try:
            with engine.connect() as conn:
                written = conn.execute(
                    text(
                        "SELECT count(*) FROM civicledger_events "
                        "WHERE ledger_id = :ledger AND payload LIKE '%refused%'"
                    ),
                    {"ledger": store.ledger_id},
                ).scalar_one()
        finally:
            engine.dispose()
        assert written == 0


def test_a_failed_announcement_after_a_one_trip_commit_says_it_is_committed(
    postgres_url: str, ledger_name: str, sends: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    too_long = dialect._NOTIFY_SQL.replace(
        "pg_notify(%s, %s)", "pg_notify(%s, repeat('9', 8000) || %s)"
    )
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        with monkeypatch.context() as patched:
            patched.setattr(dialect, "_NOTIFY_SQL", too_long)
            with pytest.raises(StoreError, match=r"notifying .*the append is committed"):
                ledger.append("s", [note("b")], actor="x")
        assert [r.position for r in ledger.read()] == [1, 2]
        with listener(store.engine.url, store.ledger_id) as notifications:
            ledger.append("s", [note("c")], actor="x")
            heads = [n.payload for n in notifications.notifies(timeout=5, stop_after=1)]
        assert heads == ["3"]
        assert sends[-1] is True


def test_pooled_connections_go_back_in_transaction_mode(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """A one-trip append runs its connection in autocommit; the pool never gets it so."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        ledger.append("s", [note("b")], actor="x")  # committed in one trip
        _another_store_appends(postgres_url, ledger_name, "s")
        ledger.append("s", [note("d")], actor="x")  # refused, then the usual way
        assert sends == [True, False]
        with store.engine.connect() as conn:
            assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]


def test_two_stores_interleaving_small_appends_keep_a_ledger_that_verifies(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """Random interleavings of two stores' singles and small batches on shared streams:
    positions, stream versions and the tree come out as if one store wrote them all."""
    chooser = random.Random(20261204)
    with (
        Ledger.open(postgres_url, ledger=ledger_name) as first,
        Ledger.open(postgres_url, ledger=ledger_name) as second,
    ):
        for n in range(120):
            writer = chooser.choice((first, second))
            stream = chooser.choice("pqr")
            batch = [note(f"{n}-{i}") for i in range(chooser.randint(1, 3))]
            writer.append(stream, batch, actor="x")
        assert True in sends
        assert False in sends
        stored = _stored(first)
        assert [p for p, _, _ in stored] == list(range(1, len(stored) + 1))
        versions: dict[str, int] = {}
        for _, stream, version in stored:
            versions[stream] = versions.get(stream, 0) + 1
            assert version == versions[stream]
        report = first.verify()
        assert report.ok, report.problems


def test_a_batch_over_several_streams_checks_each_and_repeats_within_it_come_back_once(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    def entry(stream: str, name: str, event_id: uuid.UUID | None = None) -> NewEvent:
        return NewEvent(stream=stream, event=note(name), actor="x", event_id=event_id)

    with Ledger.open(postgres_url, ledger=ledger_name) as earlier:
        earlier.append("q", [note("a"), note("b")], actor="y")  # 'q' is at 2
    with Ledger.open(postgres_url, ledger=ledger_name) as mine:
        mine.append("p", [note("c")], actor="x")  # the usual way: now it remembers the head
        # 'q' is not remembered, so it is guessed new: the server's check of that second
        # stream refuses the whole batch, and the usual way gives 'q' its version 3.
        records = mine.append_batch([entry("p", "d"), entry("q", "e")])
        assert sends == [False]
        assert [r.stream_version for r in records] == [2, 3]
        # Up to MAX_ROWS entries over both streams, one repeating another, in one query.
        repeated = entry("p", "f", uuid.uuid4())
        batch = [repeated, entry("q", "g"), repeated]
        batch += [entry("p", f"h{i}") for i in range(one_trip.MAX_ROWS - 3)]
        records = mine.append_batch(batch)
        assert sends == [False, True]
        assert records[0] == records[2]
        assert mine.head() == 5 + one_trip.MAX_ROWS - 1
        mine.append_batch([entry("r", f"i{i}") for i in range(one_trip.MAX_ROWS + 1)])
        assert len(sends) == 2  # a batch over MAX_ROWS goes by COPY
        assert mine.verify().ok


def test_a_version_remembered_too_high_is_refused_rather_than_leaving_a_gap(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """No index catches a stream version past the stored one plus one; the query's own
    check does. (A store remembers versions before its commit; one that then failed
    would remember too high.)"""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        ledger.append("p", [note("a")], actor="x")
        ledger.store._appender._versions["p"] = 7  # type: ignore[attr-defined]
        [record] = ledger.append("p", [note("b")], actor="x")
        assert sends == [False]
        assert record.stream_version == 2
        assert _stored(ledger) == [(1, "p", 1), (2, "p", 2)]


def test_a_connection_that_lost_its_prepared_insert_prepares_it_again(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """The rows' INSERT is prepared once per connection; a session that no longer has it
    (DEALLOCATE, or a pooler handing over another session) refuses, and the next append
    prepares it again."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        ledger.append("s", [note("b")], actor="x")
        assert store.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
        raw = store.engine.raw_connection()
        raw.driver_connection.execute("DEALLOCATE ALL")  # type: ignore[union-attr]
        raw.driver_connection.commit()  # type: ignore[union-attr]
        raw.close()
        ledger.append("s", [note("c")], actor="x")
        ledger.append("s", [note("d")], actor="x")
        assert sends == [True, False, True]
        assert [r.stream_version for r in ledger.read()] == [1, 2, 3, 4]


def test_a_store_whose_sessions_keep_losing_the_prepared_insert_stops_trying(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """What a pooler that gives each transaction another session looks like: after three
    appends that found the statement gone, the store appends the usual way only."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        store = ledger.store
        assert isinstance(store, SqlStore)
        ledger.append("s", [note("a")], actor="x")
        name = one_trip.Shape(rows=1, streams=1, tiles=0).insert_name
        for n in range(5):
            raw = store.engine.raw_connection()  # the store's one pooled connection
            raw.driver_connection.execute("DEALLOCATE ALL")  # type: ignore[union-attr]
            raw.driver_connection.commit()  # type: ignore[union-attr]
            raw.info[one_trip._PREPARED] = {name}  # prepared, as far as the store knows
            raw.close()
            ledger.append("s", [note(f"b{n}")], actor="x")
        assert sends == [False, False, False]
        assert ledger.head() == 6
        assert ledger.verify().ok


def test_an_entry_refused_in_planning_is_judged_the_usual_way(
    postgres_url: str, ledger_name: str, sends: list[bool]
) -> None:
    """A one-trip plan knows no stored ids and only remembered versions, so whatever it
    refuses goes to the usual path, whose error is the one raised (and nothing is sent)."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        ledger.append("s", [note("a")], actor="x")
        with pytest.raises(ValidationError, match="control character"):
            ledger.append("s", [note("bad\x07")], actor="x")
        assert sends == []
        assert ledger.head() == 1


def test_a_store_that_cannot_prepare_the_insert_stops_trying(
    postgres_url: str, ledger_name: str, sends: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PREPARE the server refuses (here: a broken one) costs a round trip three times;
    each append still goes through, the usual way."""
    real = one_trip.prepare
    monkeypatch.setattr(
        one_trip, "prepare", lambda *a: real(*a).replace(" AS INSERT", " AS NONSENSE")
    )
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:
        for n in range(6):
            ledger.append("s", [note(f"a{n}")], actor="x")
        assert sends == [False, False, False]
        assert [r.stream_version for r in ledger.read()] == [1, 2, 3, 4, 5, 6]
