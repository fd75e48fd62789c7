"""Sync: a replica keeps the sender's rows exactly and refuses any history that differs."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from civicledger import Ledger, StoreError, ValidationError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import HistoryMismatchError
from civicledger.store.replica import ReplicaRow
from civicledger.store.sql import SqlStore


def mediation(case: str) -> MediationCompleted:
    return MediationCompleted(
        occurred_on=date(2023, 5, 1),
        case_id=case,
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=2,
        outcome=MediationOutcome.FAILED,
    )


def record(ledger: Ledger, *cases: str) -> None:
    ledger.append("m", [mediation(c) for c in cases], actor="clerk")


def rows_of(path: Path, ledger: str) -> list[tuple[object, ...]]:
    """Every stored column of a ledger's events, read with raw SQL."""
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT position, stream, stream_version, event_id, type, schema_version, "
            "occurred_on, recorded_at, actor, payload, salt, commitments, payload_digest, "
            "leaf_hash FROM civicledger_events e JOIN civicledger_ledgers l ON l.id = e.ledger_id "
            "WHERE l.name = ? ORDER BY position",
            (ledger,),
        ).fetchall()


@pytest.fixture
def sender(tmp_path: Path) -> Ledger:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua")
    record(ledger, *"ABCDEFG")
    ledger.seal()
    return ledger


def test_a_push_copies_rows_and_seals_exactly_and_repeats_as_a_no_op(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    first = sender.push(f"sqlite:///{street}", ledger="street-x/hehua", batch=3)
    assert (first.events, first.seals, first.head) == (7, 1, 7)
    record(sender, "H")
    sender.seal()
    assert sender.push(f"sqlite:///{street}", ledger="street-x/hehua").events == 1
    again = sender.push(f"sqlite:///{street}", ledger="street-x/hehua")
    assert (again.events, again.seals) == (0, 0)
    assert rows_of(street, "street-x/hehua") == rows_of(tmp_path / "community.db", "hehua")
    with Ledger.open(f"sqlite:///{street}", "street-x/hehua", create=False) as replica:
        assert replica.origin == sender.origin
        assert [s.text for s in replica.seals()] == [s.text for s in sender.seals()]
        assert replica.store.frontier().root() == sender.store.frontier().root()
        assert replica.verify().ok


def test_a_replica_is_written_only_by_sync(sender: Ledger, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    sender.push(url)
    with Ledger.open(url, "hehua", create=False) as replica:
        with pytest.raises(StoreError, match="replica"):
            record(replica, "X")
        with pytest.raises(StoreError, match="replica"):
            replica.seal()
        assert replica.head() == 7
    with Ledger.open(url, "own") as own:
        record(own, "Z")
    with pytest.raises(ValidationError, match="records its own events"):
        sender.push(url, ledger="own")


def test_a_diverging_history_is_refused_naming_the_first_position(
    sender: Ledger, tmp_path: Path
) -> None:
    """Another ledger claiming the same origin, with other events: refused, nothing written."""
    url = f"sqlite:///{tmp_path / 'street.db'}"
    sender.push(url)
    before = rows_of(tmp_path / "street.db", "hehua")
    impostor = Ledger.in_memory("hehua", origin=sender.origin)
    record(impostor, *"ABCDEFGHIJ")  # same cases, but other ids, times and salts
    with pytest.raises(HistoryMismatchError, match="position 1 ") as caught:
        impostor.push(url)
    assert caught.value.position == 1
    shorter = Ledger.in_memory("hehua", origin=sender.origin)
    record(shorter, "A")
    with pytest.raises(HistoryMismatchError) as caught:
        shorter.push(url)
    assert caught.value.position == 2
    assert rows_of(tmp_path / "street.db", "hehua") == before


def test_a_row_altered_in_the_senders_database_is_refused(sender: Ledger, tmp_path: Path) -> None:
    """An insider edits a payload under the triggers: the replica recomputes the digest."""
    community = tmp_path / "community.db"
    with sqlite3.connect(community) as db:
        db.execute("DROP TRIGGER civicledger_events_redaction_only")
        db.execute(
            "UPDATE civicledger_events SET payload = replace(payload, '\"D\"', '\"Q\"') "
            "WHERE position = 4"
        )
    url = f"sqlite:///{tmp_path / 'street.db'}"
    with pytest.raises(ValidationError, match=r"position 4 .*payload"):
        sender.push(url, batch=100)
    with Ledger.open(url, "hehua", create=False) as replica:
        assert replica.head() == 0


def test_the_store_refuses_rows_that_skip_or_do_not_continue(
    sender: Ledger, tmp_path: Path
) -> None:
    from civicledger.merkle.hashes import hash_algorithm
    from civicledger.merkle.proofs import subtree_hash
    from civicledger.sync import replica_row

    target = SqlStore.open(
        f"sqlite:///{tmp_path / 'street.db'}", "hehua", origin=sender.origin, replica=True
    )
    rows = [replica_row(r) for r in sender.store.row_source().rows(1, 7)]
    alg = hash_algorithm("sha256")
    root = subtree_hash(alg, sender.store.node_reader(), 0, 7)
    with pytest.raises(ValidationError, match=r"rows\[1\] is a str"):
        target.receive([rows[0], "row"], root=root)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="root must be bytes"):
        target.receive(rows, root=root.hex())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must start at or before position 1"):
        target.receive(rows[2:], root=root)
    with pytest.raises(ValidationError, match="jumps from position 2 to 4"):
        target.receive(rows[:2] + rows[3:], root=root)
    with pytest.raises(HistoryMismatchError, match="root"):
        target.receive(rows[:6], root=root)  # the root of 7 is not the root of 6
    assert target.head() == 0
    assert target.receive(rows, root=root) == 7
    assert target.receive(rows, root=root) == 0
    # A delivery inside what is held (a slower, concurrent push) is a no-op when it agrees...
    four = subtree_hash(alg, sender.store.node_reader(), 0, 4)
    assert target.receive(rows[1:4], root=four) == 0
    # ...and refused when its root is not the held root at its size.
    with pytest.raises(HistoryMismatchError, match="size 4"):
        target.receive(rows[1:4], root=root)
    target.close()
    with pytest.raises(StoreError, match="only a replica receives"):
        SqlStore.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua").receive(rows, root=root)


def test_an_interrupted_push_resumes_to_the_same_state(
    sender: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = SqlStore.receive

    def failing(self: SqlStore, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StoreError("the network went away")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlStore, "receive", failing)
    url = f"sqlite:///{tmp_path / 'street.db'}"
    with pytest.raises(StoreError, match="network"):
        sender.push(url, batch=2)
    with Ledger.open(url, "hehua", create=False) as replica:
        assert replica.head() == 4
    resumed = sender.push(url, batch=2)
    assert resumed.events == 3
    assert rows_of(tmp_path / "street.db", "hehua") == rows_of(tmp_path / "community.db", "hehua")


def test_communities_pushed_to_a_street_database_roll_up_there(
    tmp_path: Path, ledger_url: str, ledger_name: str
) -> None:
    """On SQLite and PostgreSQL: two communities push, the street rolls them up, a replica
    keeps every row, and an impostor's history is refused."""
    from civicledger.indicators import count
    from civicledger.projections import Indicator
    from civicledger.sync import replica_row

    completed = Indicator(
        "m.completed", "调解", "件", source=["mediation_completed"], measure=count()
    )
    communities = []
    for n, cases in enumerate(("AB", "CDE")):
        community = Ledger.open(f"sqlite:///{tmp_path / f'c{n}.db'}", f"c{n}")
        record(community, *cases)
        community.seal()
        assert community.push(ledger_url, ledger=f"{ledger_name}/c{n}", batch=2).events == len(
            cases
        )
        communities.append(community)
    with Ledger.open_many(ledger_url, prefix=f"{ledger_name}/") as street:
        rollup = street.compute(completed, 2023)
        assert rollup.by_ledger() == {f"{ledger_name}/c0": 2, f"{ledger_name}/c1": 3}
        for community, replica in zip(communities, street, strict=True):
            assert replica.origin == community.origin
            ours = [replica_row(r) for r in community.store.row_source().rows(1, 5)]
            assert [replica_row(r) for r in replica.store.row_source().rows(1, 5)] == ours
            assert replica.verify().ok
    impostor = Ledger.in_memory("c0", origin=communities[0].origin)
    record(impostor, "A", "B", "X")
    with pytest.raises(HistoryMismatchError) as caught:
        impostor.push(ledger_url, ledger=f"{ledger_name}/c0")
    assert caught.value.position == 1


def test_an_empty_ledger_pushes_an_empty_replica(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", "new") as empty:
        url = f"sqlite:///{tmp_path / 'street.db'}"
        assert (empty.push(url).events, empty.push(url).head) == (0, 0)
        record(empty, "A")
        assert empty.push(url).head == 1


def test_redacted_rows_and_leaf_format_v1_ledgers_are_delivered_verbatim(tmp_path: Path) -> None:
    """A redaction made before the push travels as the row holds it, and verifies there;
    a v1 ledger gets a v1 replica."""
    from civicledger.catalog import KeyPersonCategory, KeyPersonVisited

    url = f"sqlite:///{tmp_path / 'street.db'}"
    with Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", "c") as community:
        (visit,) = community.append(
            "v",
            [
                KeyPersonVisited(
                    occurred_on=date(2023, 4, 2),
                    person_id="KP-7",
                    category=KeyPersonCategory.COMMUNITY_CORRECTION,
                    visitor="李四",
                )
            ],
            actor="clerk",
        )
        community.redact(visit.event_id, fields=["visitor"], reason="erasure", actor="dpo")
        community.push(url)
    assert rows_of(tmp_path / "street.db", "c") == rows_of(tmp_path / "c.db", "c")
    with Ledger.open(url, "c", create=False) as replica:
        assert replica.verify().ok
        assert next(replica.read()).redacted_fields == ("visitor",)
    old = Ledger(SqlStore.open(f"sqlite:///{tmp_path / 'c.db'}", "old", leaf_version=1))
    record(old, "A", "B")
    old.seal()
    old.push(url)
    old.close()
    with Ledger.open(url, "old", create=False) as replica:
        assert replica.store.leaf_version == 1
        assert replica.verify().ok


def test_two_pushes_of_one_ledger_at_once_leave_one_exact_replica(
    tmp_path: Path, ledger_url: str, ledger_name: str
) -> None:
    """Concurrent pushes queue on the replica's write lock; each skips what the other
    delivered, and the replica ends identical to the sender."""
    import threading

    from civicledger.sync import replica_row

    path = tmp_path / "c.db"
    with Ledger.open(f"sqlite:///{path}", "c") as community:
        for n in range(20):
            record(community, f"K{n}")
        community.seal()
        origin = community.origin
    errors: list[BaseException] = []

    def push() -> None:
        try:
            with Ledger.open(f"sqlite:///{path}", "c", create=False) as sender:
                sender.push(ledger_url, ledger=ledger_name, batch=3)
        except BaseException as e:  # reported below, with the other thread's
            errors.append(e)

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with (
        Ledger.open(f"sqlite:///{path}", "c", create=False) as sender,
        Ledger.open(ledger_url, ledger_name, create=False) as replica,
    ):
        assert replica.origin == origin
        assert [replica_row(r) for r in replica.store.row_source().rows(1, 20)] == [
            replica_row(r) for r in sender.store.row_source().rows(1, 20)
        ]
        assert len(replica.seals()) == 1
        assert replica.verify().ok


def test_a_batch_whose_seal_was_just_superseded_is_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another push delivers a newer seal between reading the latest seal and delivering:
    the replica refuses the stale proof, and the batch goes again with a fresh one."""
    from civicledger.events.text import format_timestamp
    from civicledger.merkle.hashes import hash_algorithm
    from civicledger.merkle.proofs import consistency_proof, subtree_hash
    from civicledger.store.replica import ReplicaSeal
    from civicledger.sync import replica_row

    sender = Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", "c")
    for cases in ("AB", "CD"):
        record(sender, *cases)
        sender.seal()
    record(sender, "E", "F")
    alg, reader = hash_algorithm("sha256"), sender.store.node_reader()
    seals = [
        ReplicaSeal(s.tree_size, s.root_hash, format_timestamp(s.sealed_at), s.text)
        for s in sender.seals()
        if s.sealed_at is not None
    ]
    calls: list[int] = []
    real = SqlStore.receive

    def racing(self: SqlStore, rows: list[ReplicaRow], **kwargs: object) -> int:
        calls.append(len(rows))
        if len(calls) == 2:  # the other push delivers row 4 and the seal at 4 first
            real(
                self,
                [replica_row(r) for r in sender.store.row_source().rows(4, 4)],
                root=subtree_hash(alg, reader, 0, 4),
                proof=consistency_proof(alg, reader, 2, 4),
                seals=seals,
            )
        return real(self, rows, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlStore, "receive", racing)
    url = f"sqlite:///{tmp_path / 'street.db'}"
    assert sender.push(url, batch=3).head == 6
    assert calls == [3, 3, 3]  # the second batch went twice
    with Ledger.open(url, "c", create=False) as replica:
        assert [s.text for s in replica.seals()] == [s.text for s in sender.seals()]
        assert replica.verify().ok
    sender.close()
