"""Sync through a delivery file, and redactions reaching replicas (by push and by file)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from civicledger import Ledger, StoreError, ValidationError
from civicledger.audit import ProblemKind
from civicledger.catalog import KeyPersonCategory, KeyPersonVisited
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import HistoryMismatchError, LedgerNotFoundError
from civicledger.store.sql import SqlStore

VISITOR = "李四"


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


def visit(ledger: Ledger, visitor: str = VISITOR) -> str:
    (recorded,) = ledger.append(
        "v",
        [
            KeyPersonVisited(
                occurred_on=date(2023, 4, 2),
                person_id="KP-7",
                category=KeyPersonCategory.COMMUNITY_CORRECTION,
                visitor=visitor,
            )
        ],
        actor="clerk",
    )
    return str(recorded.event_id)


def dump(path: Path) -> list[tuple[object, ...]]:
    """Every event, seal and ledger row of a SQLite database, read with raw SQL."""
    with sqlite3.connect(path) as db:
        tables = ["civicledger_events", "civicledger_seals", "civicledger_ledgers"]
        found = []
        for table in tables:
            exists = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()[0]
            if exists:
                found += db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        return found


def rows_of(path: Path, ledger: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT e.* FROM civicledger_events e JOIN civicledger_ledgers l "
            "ON l.id = e.ledger_id WHERE l.name = ? ORDER BY position",
            (ledger,),
        ).fetchall()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, items: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


@pytest.fixture
def sender(tmp_path: Path) -> Ledger:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua")
    record(ledger, *"ABCDEFG")
    return ledger


def test_a_first_delivery_then_one_since_a_seal_make_an_exact_replica(
    sender: Ledger, tmp_path: Path
) -> None:
    first_seal = sender.seal()
    first = sender.deliver(tmp_path / "first.delivery", batch=3)
    assert (first.events, first.seals, first.since, first.head) == (7, 1, 0, 7)
    street = f"sqlite:///{tmp_path / 'street.db'}"
    got = Ledger.receive(tmp_path / "first.delivery", street, ledger="street-x/hehua")
    assert (got.events, got.seals, got.head) == (7, 1, 7)
    again = Ledger.receive(tmp_path / "first.delivery", street, ledger="street-x/hehua")
    assert (again.events, again.seals, again.head) == (0, 0, 7)
    record(sender, "H", "I")
    sender.seal()
    second = sender.deliver(tmp_path / "second.delivery", since=first_seal.text)
    assert (second.events, second.since, second.head) == (2, 7, 9)
    assert Ledger.receive(tmp_path / "second.delivery", street, ledger="street-x/hehua").events == 2
    community, replica = tmp_path / "community.db", tmp_path / "street.db"
    assert [r[1:] for r in rows_of(replica, "street-x/hehua")] == [
        r[1:] for r in rows_of(community, "hehua")
    ]
    with Ledger.open(street, "street-x/hehua", create=False) as copy:
        assert copy.origin == sender.origin
        assert [s.text for s in copy.seals()] == [s.text for s in sender.seals()]
        assert copy.verify().ok
        with pytest.raises(StoreError, match="replica"):
            record(copy, "X")


def test_a_delivery_since_a_seal_the_receiver_lacks_is_refused_with_nothing_written(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    sender.deliver(tmp_path / "first.delivery")
    Ledger.receive(tmp_path / "first.delivery", f"sqlite:///{street}")
    record(sender, "H")
    later = sender.seal()  # the street never received this seal
    record(sender, "I")
    sender.deliver(tmp_path / "skip.delivery", since=later)
    before = dump(street)
    with pytest.raises(HistoryMismatchError, match="size 8 that replica 'hehua' does not hold"):
        Ledger.receive(tmp_path / "skip.delivery", f"sqlite:///{street}")
    assert dump(street) == before
    with pytest.raises(LedgerNotFoundError, match="receive a first delivery"):
        Ledger.receive(tmp_path / "skip.delivery", f"sqlite:///{street}", ledger="other")
    assert dump(street) == before


def test_a_seal_of_another_ledger_or_history_cannot_start_a_delivery(
    sender: Ledger, tmp_path: Path
) -> None:
    other = Ledger.in_memory("other")
    record(other, "A")
    with pytest.raises(ValidationError, match="not of this ledger"):
        sender.deliver(tmp_path / "x.delivery", since=other.seal())
    impostor = Ledger.in_memory("hehua", origin=sender.origin)
    record(impostor, "A", "B")
    with pytest.raises(ValidationError, match="not a state of this ledger"):
        sender.deliver(tmp_path / "x.delivery", since=impostor.seal())
    assert not (tmp_path / "x.delivery").exists()


def test_a_diverging_delivery_is_refused_whole_naming_the_first_differing_position(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    sender.deliver(tmp_path / "ours.delivery")
    Ledger.receive(tmp_path / "ours.delivery", f"sqlite:///{street}")
    sender.close()
    with sqlite3.connect(tmp_path / "community.db") as db:  # the community rewrites position 5
        db.execute("DROP TRIGGER civicledger_events_no_delete")
        db.execute("DELETE FROM civicledger_events WHERE position >= 5")
        db.execute("UPDATE civicledger_ledgers SET head = 4")
    impostor = Ledger.in_memory("hehua", origin=sender.origin)
    with Ledger.open(f"sqlite:///{tmp_path / 'community.db'}", "hehua", create=False) as again:
        for event in again.read(to_position=4):
            impostor.append(event.stream, [event.payload], actor=event.actor)
    record(impostor, "E2", "F", "G", "H")
    impostor.deliver(tmp_path / "theirs.delivery", batch=2)
    before = dump(street)
    with pytest.raises(HistoryMismatchError) as caught:
        Ledger.receive(tmp_path / "theirs.delivery", f"sqlite:///{street}")
    assert caught.value.position == 1  # other ids and times from position 1 on
    assert dump(street) == before
    shorter = Ledger.in_memory("hehua", origin=sender.origin)
    shorter.deliver(tmp_path / "short.delivery")
    with pytest.raises(HistoryMismatchError, match="holds 7 events but the delivery only 0"):
        Ledger.receive(tmp_path / "short.delivery", f"sqlite:///{street}")
    assert dump(street) == before


def test_a_delivery_is_refused_by_a_ledger_of_another_origin_or_of_its_own(
    sender: Ledger, tmp_path: Path
) -> None:
    street = f"sqlite:///{tmp_path / 'street.db'}"
    sender.deliver(tmp_path / "ours.delivery")
    Ledger.receive(tmp_path / "ours.delivery", street, ledger="street-x/hehua")
    stranger = Ledger.in_memory("stranger")
    record(stranger, "A")
    stranger.deliver(tmp_path / "stranger.delivery")
    with pytest.raises(ValidationError, match="origin"):
        Ledger.receive(tmp_path / "stranger.delivery", street, ledger="street-x/hehua")
    with Ledger.open(street, "own") as own:
        record(own, "Z")
    with pytest.raises(ValidationError, match="records its own events"):
        Ledger.receive(tmp_path / "ours.delivery", street, ledger="own")


def test_damaged_and_truncated_files_are_refused_naming_the_line(
    sender: Ledger, tmp_path: Path
) -> None:
    good = tmp_path / "good.delivery"
    sender.seal()
    sender.deliver(good, batch=3)
    items = lines(good)
    street = tmp_path / "street.db"
    url = f"sqlite:///{street}"
    damaged = tmp_path / "damaged.delivery"

    def refused(match: str) -> None:
        with pytest.raises(ValidationError, match=match):
            Ledger.receive(damaged, url)
        assert not street.exists() or rows_of(street, "hehua") == []

    damaged.write_text(good.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    # header, seal, then rows 1-3, batch, rows 4-6, batch, row 7, batch; end is line 13
    refused(r"line 13: not JSON")  # the end line cut short
    write_lines(damaged, items[:-1])
    refused("ends at line 12 without its end line: it is truncated")
    write_lines(damaged, items[:6] + items[7:])  # row 4 lost
    refused("line 7: the row at position 5 does not follow position 3")
    altered = json.loads(json.dumps(items))
    event = altered[6]["event"]
    assert isinstance(event, dict)
    event["payload"] = str(event["payload"]).replace('"D"', '"Q"')
    write_lines(damaged, altered)
    refused(r"line 7: position 4 \(event .*\): the payload does not give")
    newer = json.loads(json.dumps(items))
    newer[0]["header"]["format"] = "civicledger-delivery/3"
    write_lines(damaged, newer)
    refused("line 1: the file is civicledger-delivery/3, which this version .* cannot read")
    rerooted = json.loads(json.dumps(items))
    rerooted[9]["batch"]["root_hash"] = rerooted[5]["batch"]["root_hash"]  # the second batch
    write_lines(damaged, rerooted)
    refused("the batch ending at position 6 gives a root its rows do not give")
    resealed = json.loads(json.dumps(items))
    resealed[1]["seal"]["tree_size"] = 6  # the text still says 7
    write_lines(damaged, resealed)
    refused("line 2: the seal's text is of size 7, .* but the line gives size 6")
    damaged.write_text('{"events": []}\n', encoding="utf-8")
    refused("line 1: unknown kind of line 'events'")
    Ledger.receive(good, url)
    assert len(rows_of(street, "hehua")) == 7


def test_a_file_whose_proof_does_not_extend_its_seal_writes_nothing(
    sender: Ledger, tmp_path: Path
) -> None:
    first = sender.seal()
    sender.deliver(tmp_path / "first.delivery")
    street = tmp_path / "street.db"
    Ledger.receive(tmp_path / "first.delivery", f"sqlite:///{street}")
    record(sender, *"HIJKL")
    sender.deliver(tmp_path / "next.delivery", since=first, batch=2)
    items = lines(tmp_path / "next.delivery")
    batch = items[-2]["batch"]  # the last batch line, before the end line
    batch["proof"] = [bytes(32).hex(), *batch["proof"][1:]]
    write_lines(tmp_path / "next.delivery", items)
    before = dump(street)
    with pytest.raises(ValidationError, match="ending at position 12 has a proof that does not"):
        Ledger.receive(tmp_path / "next.delivery", f"sqlite:///{street}")
    assert dump(street) == before


def test_an_interrupted_receive_resumes_when_the_file_is_received_again(
    sender: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender.seal()
    sender.deliver(tmp_path / "d.delivery", batch=2)
    calls = 0
    real = SqlStore.receive

    def failing(self: SqlStore, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StoreError("the disk went away")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    url = f"sqlite:///{tmp_path / 'street.db'}"
    with monkeypatch.context() as patch:
        patch.setattr(SqlStore, "receive", failing)
        with pytest.raises(StoreError, match="disk"):
            Ledger.receive(tmp_path / "d.delivery", url)
    assert len(rows_of(tmp_path / "street.db", "hehua")) == 4
    assert Ledger.receive(tmp_path / "d.delivery", url).events == 3
    assert rows_of(tmp_path / "street.db", "hehua") == rows_of(tmp_path / "community.db", "hehua")


@pytest.mark.parametrize("route", ["push", "file"])
def test_a_redaction_after_a_delivery_erases_the_same_values_in_the_replica(
    tmp_path: Path, ledger_url: str, ledger_name: str, route: str
) -> None:
    """On SQLite and PostgreSQL, by push and by file: the redaction event and the erasure
    both reach the replica, which then verifies and no longer holds the values."""
    community = Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", "c")
    visited = visit(community)
    record(community, "A")
    first_seal = community.seal()

    def deliver(since: object) -> tuple[int, int]:
        if route == "push":
            pushed = community.push(ledger_url, ledger=ledger_name)
            return pushed.events, pushed.erasures
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.delivery"
        community.deliver(path, since=since)  # type: ignore[arg-type]
        received = Ledger.receive(path, ledger_url, ledger=ledger_name)
        return received.events, received.erasures

    assert deliver(None) == (2, 0)
    community.redact(visited, fields=["visitor"], reason="erasure request 7", actor="dpo")
    assert deliver(first_seal) == (1, 1)
    assert deliver(first_seal) == (0, 0)
    with Ledger.open(ledger_url, ledger_name, create=False) as replica:
        assert replica.verify().ok
        assert next(replica.read()).redacted_fields == ("visitor",)
        theirs = next(replica.store.row_source().rows(1, 1))
        assert theirs == next(community.store.row_source().rows(1, 1))
        assert VISITOR.encode() not in (theirs.payload or b"")
    community.close()
    if ledger_url.startswith("sqlite"):
        assert VISITOR.encode() not in Path(ledger_url.removeprefix("sqlite:///")).read_bytes()


def test_a_whole_payload_redaction_and_a_v1_ledger_reach_the_replica(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'street.db'}"
    old = Ledger(SqlStore.open(f"sqlite:///{tmp_path / 'c.db'}", "old", leaf_version=1))
    visited = visit(old)
    old.push(url)
    old.redact(visited, reason="erasure request 8", actor="dpo")
    assert old.push(url).erasures == 1
    with Ledger.open(url, "old", create=False) as replica:
        assert replica.store.leaf_version == 1
        assert replica.verify().ok
        assert rows_of(tmp_path / "street.db", "old")[0][11] is None  # the payload is gone
    old.close()


def test_an_erasure_no_redaction_allows_is_refused_with_nothing_erased(
    sender: Ledger, tmp_path: Path
) -> None:
    """An insider adds an erasure line for a row nobody redacted: the replica refuses it."""
    visited = visit(sender)
    sender.deliver(tmp_path / "d.delivery")
    street = tmp_path / "street.db"
    Ledger.receive(tmp_path / "d.delivery", f"sqlite:///{street}")
    forged_source = Ledger.in_memory("copy")
    (kept,) = forged_source.append("v", [next(sender.read(from_position=8)).payload], actor="x")
    forged_source.redact(kept.event_id, fields=["visitor"], reason="r", actor="dpo")
    remainder = next(forged_source.store.row_source().rows(1, 1))
    held = next(sender.store.row_source().rows(8, 8))
    items = lines(tmp_path / "d.delivery")
    erasure: dict[str, Any] = {
        "erasure": {
            "position": 8,
            "event_id": visited,
            "leaf_hash": held.leaf_hash.hex(),
            "payload": (remainder.payload or b"").decode(),
            "commitments": (remainder.commitments or b"").decode(),
        }
    }
    end = items[-1]["end"]
    assert isinstance(end, dict)
    end["erasures"] = 1
    write_lines(tmp_path / "forged.delivery", [*items[:-1], erasure, items[-1]])
    before = dump(street)
    with pytest.raises(ValidationError, match=r"position 8 .* not one this ledger's own"):
        Ledger.receive(tmp_path / "forged.delivery", f"sqlite:///{street}")
    assert dump(street) == before


def test_a_row_inserted_into_a_replica_around_sync_is_named_by_verify(
    sender: Ledger, tmp_path: Path
) -> None:
    street = tmp_path / "street.db"
    sender.push(f"sqlite:///{street}")
    with sqlite3.connect(street) as db:
        db.execute(
            "INSERT INTO civicledger_events SELECT ledger_id, 8, stream, 8, randomblob(16), "
            "type, schema_version, occurred_on, recorded_at, actor, payload, salt, "
            "commitments, payload_digest, leaf_hash FROM civicledger_events WHERE position = 7"
        )
    with Ledger.open(f"sqlite:///{street}", "hehua", create=False) as replica:
        report = replica.verify()
    assert [(p.position, p.kind.value) for p in report.problems] == [(8, "row past the head")]


def test_a_redaction_reaches_the_copy_a_correction_holds_in_the_replica(tmp_path: Path) -> None:
    """Redacting an event erases its corrections' copies of the value too; so does the replica."""
    url = f"sqlite:///{tmp_path / 'street.db'}"
    with Ledger.open(f"sqlite:///{tmp_path / 'c.db'}", "c") as community:
        visited = visit(community)
        original = next(community.read()).payload
        assert isinstance(original, KeyPersonVisited)
        community.correct(
            visited,
            KeyPersonVisited(
                occurred_on=original.occurred_on,
                person_id=original.person_id,
                category=original.category,
                visitor="李四 (社区民警)",
            ),
            reason="visitor's role",
            actor="clerk",
        )
        community.push(url)
        community.redact(visited, fields=["visitor"], reason="erasure request 9", actor="dpo")
        assert community.push(url).erasures == 2
        with Ledger.open(url, "c", create=False) as replica:
            assert replica.verify().ok
            assert list(replica.store.row_source().rows(1, 3)) == list(
                community.store.row_source().rows(1, 3)
            )
    assert VISITOR.encode() not in (tmp_path / "street.db").read_bytes()


@pytest.mark.parametrize("target_id", ['"not-a-uuid"', "7", "null"])
@pytest.mark.parametrize("route", ["push", "file"])
def test_a_redaction_row_rewritten_to_name_no_event_does_not_stop_sync(
    sender: Ledger, tmp_path: Path, route: str, target_id: str
) -> None:
    """An insider rewrites a delivered redaction's target id (the triggers dropped): the
    sender's next delivery still goes, with the erasures of the redactions left intact; the
    rewritten row is named by the sender's verify()."""
    first, second = visit(sender), visit(sender, "王五")
    first_redaction = sender.redact(first, fields=["visitor"], reason="request 1", actor="dpo")
    seal = sender.seal()
    street = f"sqlite:///{tmp_path / 'street.db'}"
    sender.push(street)
    sender.redact(second, fields=["visitor"], reason="request 2", actor="dpo")
    with sqlite3.connect(tmp_path / "community.db") as db:
        db.execute("DROP TRIGGER civicledger_events_redaction_only")
        db.execute(
            "UPDATE civicledger_events SET payload = json_set(payload, '$.target_event_id', "
            "json(?)) WHERE position = ?",
            (target_id, first_redaction.position),
        )
    if route == "push":
        sent = sender.push(street)
        assert (sent.events, sent.erasures) == (1, 1)
    else:
        sender.deliver(tmp_path / "d.delivery", since=seal)
        assert Ledger.receive(tmp_path / "d.delivery", street).erasures == 1
    with Ledger.open(street, "hehua", create=False) as replica:
        assert replica.verify().ok
        assert [e.redacted_fields for e in replica.read(from_position=8, to_position=9)] == [
            ("visitor",),
            ("visitor",),
        ]
    # The erased row's redaction now names no event; the rewritten row is named too.
    assert {(p.position, p.kind) for p in sender.verify().problems} == {
        (8, ProblemKind.UNRECORDED_REDACTION),
        (first_redaction.position, ProblemKind.PAYLOAD_DIGEST),
    }


@pytest.mark.parametrize("route", ["push", "file"])
def test_a_redacted_row_whose_remaining_value_was_changed_is_refused(
    sender: Ledger, tmp_path: Path, route: str
) -> None:
    """An insider changes a value a redaction left (the triggers dropped): the replica
    recomputes the payload digest from the remainder and the commitments, and refuses the
    row before anything is written, instead of keeping a row its verify() would flag."""
    visited = visit(sender)
    sender.redact(visited, fields=["visitor"], reason="erasure request 9", actor="dpo")
    with sqlite3.connect(tmp_path / "community.db") as db:
        db.execute("DROP TRIGGER civicledger_events_redaction_only")
        db.execute(
            "UPDATE civicledger_events SET payload = replace(payload, 'KP-7', 'KP-8') "
            "WHERE position = 8"
        )
    street = f"sqlite:///{tmp_path / 'street.db'}"
    refused = r"position 8 .*do not give the row's payload"
    if route == "push":
        with pytest.raises(ValidationError, match=refused):
            sender.push(street)
        with Ledger.open(street, "hehua", create=False) as replica:
            assert replica.head() == 0
    else:
        sender.deliver(tmp_path / "d.delivery")
        with pytest.raises(ValidationError, match=refused):
            Ledger.receive(tmp_path / "d.delivery", street)
        with pytest.raises(LedgerNotFoundError):  # refused before anything was applied
            Ledger.open(street, "hehua", create=False)


def test_a_file_with_new_events_and_an_erasure_no_redaction_allows_writes_nothing(
    sender: Ledger, tmp_path: Path
) -> None:
    """The erasures of rows the replica holds are checked with the file's own redaction
    events before the first batch: a forged one leaves the replica as it was, new events
    and seals included; the genuine erasure in the same kind of file goes through."""
    visited = visit(sender)
    first = sender.seal()
    street = tmp_path / "street.db"
    sender.push(f"sqlite:///{street}")
    record(sender, "H")
    sender.redact(visited, fields=["visitor"], reason="erasure request 10", actor="dpo")
    sender.seal()
    sender.deliver(tmp_path / "d.delivery", since=first)
    items = lines(tmp_path / "d.delivery")
    [erasure] = [i for i in items if "erasure" in i]
    forged = {"erasure": {**erasure["erasure"], "payload": '{"__redacted__":["visitor"]}'}}
    write_lines(tmp_path / "forged.delivery", [forged if i is erasure else i for i in items])
    before = dump(street)
    with pytest.raises(ValidationError, match=r"forged\.delivery: position 8 "):
        Ledger.receive(tmp_path / "forged.delivery", f"sqlite:///{street}")
    assert dump(street) == before
    received = Ledger.receive(tmp_path / "d.delivery", f"sqlite:///{street}")
    assert (received.events, received.erasures) == (2, 1)


@pytest.mark.parametrize(
    ("forge", "refused"),
    [
        (
            {"payload": '{"__redacted__":["visitor"]}'},
            (ValidationError, r"forged\.delivery: position 8 "),
        ),
        (
            {"position": 12},
            (HistoryMismatchError, "at position 12, which neither this ledger holds nor"),
        ),
    ],
    ids=["more-erased-than-redacted", "past-what-the-file-brings"],
)
def test_an_erasure_of_a_row_the_same_file_brings_is_checked_before_anything_is_written(
    sender: Ledger,
    tmp_path: Path,
    forge: dict[str, Any],
    refused: tuple[type[Exception], str],
) -> None:
    """A file carries an erasure of every redacted row, also of a row it brings itself
    (already redacted). A forged one is checked against the row in the file before the
    first batch, so the replica is left exactly as it was; the genuine file erases nothing
    more, since its row arrives redacted."""
    first = sender.seal()
    street = tmp_path / "street.db"
    sender.push(f"sqlite:///{street}")
    visited = visit(sender)
    sender.redact(visited, fields=["visitor"], reason="erasure request 11", actor="dpo")
    sender.seal()
    sender.deliver(tmp_path / "d.delivery", since=first)
    items = lines(tmp_path / "d.delivery")
    [erasure] = [i for i in items if "erasure" in i]
    assert erasure["erasure"]["position"] == 8  # the visit, which the replica lacks
    forged = {"erasure": {**erasure["erasure"], **forge}}
    write_lines(tmp_path / "forged.delivery", [forged if i is erasure else i for i in items])
    before = dump(street)
    error, message = refused
    with pytest.raises(error, match=message):
        Ledger.receive(tmp_path / "forged.delivery", f"sqlite:///{street}")
    assert dump(street) == before
    received = Ledger.receive(tmp_path / "d.delivery", f"sqlite:///{street}")
    assert (received.events, received.erasures) == (2, 0)
    with Ledger.open(f"sqlite:///{street}", "hehua", create=False) as replica:
        assert replica.verify().ok
