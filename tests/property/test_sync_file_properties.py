"""Sync by file over random histories: extensions accepted, divergences refused with the
receiving database unchanged, and a receive interrupted anywhere resumes to the sender's state."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger import Ledger, StoreError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import HistoryMismatchError
from civicledger.store.sql import SqlStore
from civicledger.sync import replica_row


def grow(ledger: Ledger, upto: int, actor: str = "clerk") -> None:
    """Append events until the ledger holds ``upto``, in a few streams."""
    for n in range(ledger.head(), upto):
        ledger.append(
            f"m/{n % 3}",
            [
                MediationCompleted(
                    occurred_on=date(2023, 1 + n % 12, 1),
                    case_id=f"K{n}",
                    dispute_kind=DisputeKind.NEIGHBOURHOOD,
                    parties=1 + n % 4,
                    outcome=MediationOutcome.FAILED,
                )
            ],
            actor=actor,
        )


def dump(path: Path) -> list[tuple[object, ...]]:
    """The receiving database's events, seals and ledger rows, read with raw SQL."""
    with sqlite3.connect(path) as db:
        return [
            *db.execute("SELECT * FROM civicledger_events ORDER BY ledger_id, position"),
            *db.execute("SELECT * FROM civicledger_seals ORDER BY ledger_id, tree_size, text"),
            *db.execute("SELECT * FROM civicledger_ledgers ORDER BY id"),
        ]


def same_rows(a: Ledger, b: Ledger) -> bool:
    head = a.head()
    return head == b.head() and [replica_row(r) for r in a.store.row_source().rows(1, head)] == [
        replica_row(r) for r in b.store.row_source().rows(1, head)
    ]


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(events held, events sent, first differing position of another history, batch)."""
    held = draw(st.integers(1, 16))
    sent = draw(st.integers(held, 24))
    differs = draw(st.integers(1, held))
    return held, sent, differs, draw(st.integers(1, 6))


@settings(max_examples=20, deadline=None)
@given(histories())
def test_extensions_by_file_are_accepted_and_other_histories_refused_unchanged(
    history: tuple[int, int, int, int],
) -> None:
    held, sent, differs, batch = history
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        street = f"sqlite:///{here / 'street.db'}"
        with Ledger.open(f"sqlite:///{here / 'c.db'}", "c") as sender:
            grow(sender, held)
            seal = sender.seal()
            sender.deliver(here / "first.delivery", batch=batch)
            Ledger.receive(here / "first.delivery", street)
            grow(sender, sent)
            sender.seal()
            sender.deliver(here / "next.delivery", since=seal, batch=batch)
            # The other history: the sender's first rows up to `differs - 1`, copied by sync,
            # then other events appended after an insider removed the replica marker.
            other_url = f"sqlite:///{here / 'other.db'}"
            sender.push(other_url, ledger="c")  # a full copy, cut back below
            with sqlite3.connect(here / "other.db") as db:
                db.execute("DROP TRIGGER civicledger_events_no_delete")
                db.execute("DROP TRIGGER civicledger_seals_no_delete")
                db.execute("DROP TRIGGER civicledger_tiles_no_delete")
                db.execute("DELETE FROM civicledger_events WHERE position >= ?", (differs,))
                db.execute("DELETE FROM civicledger_seals")
                db.execute("DELETE FROM civicledger_tiles")
                db.execute("DELETE FROM civicledger_meta WHERE key LIKE 'replica/%'")
            _reset_head(here / "other.db", sender, differs - 1)
            with Ledger.open(other_url, "c", create=False) as other:
                grow(other, sent, actor="someone else")
                other.deliver(here / "other.delivery", batch=batch)
            before = dump(here / "street.db")
            with pytest.raises(HistoryMismatchError) as caught:
                Ledger.receive(here / "other.delivery", street)
            assert caught.value.position == differs
            assert dump(here / "street.db") == before
            Ledger.receive(here / "next.delivery", street)
            with Ledger.open(street, "c", create=False) as replica:
                assert same_rows(sender, replica)
                assert [s.text for s in replica.seals()] == [s.text for s in sender.seals()]
                assert replica.verify().ok


def _reset_head(path: Path, sender: Ledger, size: int) -> None:
    """Set a cut copy's head and frontier to the sender's at ``size`` (the insider's cut)."""
    frontier = _frontier_at(sender, size)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE civicledger_ledgers SET head = ?, frontier = ?", (size, frontier))


def _frontier_at(sender: Ledger, size: int) -> bytes:
    from civicledger.merkle.hashes import hash_algorithm
    from civicledger.merkle.tree import Frontier

    frontier = Frontier.empty(hash_algorithm("sha256"))
    for row in sender.store.row_source().rows(1, size):
        frontier.append(row.leaf_hash)
    return frontier.to_bytes()


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8), st.integers(1, 6))
def test_a_receive_interrupted_at_any_batch_resumes_to_the_same_state(
    size: int, batch: int, fail_at: int
) -> None:
    calls = 0
    real = SqlStore.receive

    def flaky(self: SqlStore, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == fail_at:
            raise StoreError("interrupted")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        street = f"sqlite:///{here / 'street.db'}"
        with Ledger.open(f"sqlite:///{here / 'c.db'}", "c") as sender:
            grow(sender, size)
            sender.seal()
            sender.deliver(here / "d.delivery", batch=batch)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(SqlStore, "receive", flaky)
                if fail_at <= -(-size // batch):  # one call per batch
                    with pytest.raises(StoreError, match="interrupted"):
                        Ledger.receive(here / "d.delivery", street)
                else:
                    Ledger.receive(here / "d.delivery", street)
            Ledger.receive(here / "d.delivery", street)
            with Ledger.open(street, "c", create=False) as replica:
                assert same_rows(sender, replica)
                assert [s.text for s in replica.seals()] == [s.text for s in sender.seals()]
                assert replica.verify().ok


HASH_MEMBERS = ("leaf_hash", "payload_digest", "salt", "root_hash", "proof")


@st.composite
def damages(draw: st.DrawFn) -> tuple[str, int, int]:
    """(kind of damage, which line or byte, which character), resolved against the file."""
    kind = draw(st.sampled_from(["hex digit", "line lost", "cut short"]))
    return kind, draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.booleans(), damages())
def test_a_damaged_file_is_refused_and_the_replica_stays_as_it_was(
    size: int, batch: int, continued: bool, damage: tuple[str, int, int]
) -> None:
    import json

    from civicledger.errors import CivicLedgerError

    kind, where, which = damage
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        street = f"sqlite:///{here / 'street.db'}"
        with Ledger.open(f"sqlite:///{here / 'c.db'}", "c") as sender:
            grow(sender, size)
            seal = sender.seal()
            since = None
            if continued:  # the street holds the first part, the file brings the rest
                sender.deliver(here / "first.delivery")
                Ledger.receive(here / "first.delivery", street)
                grow(sender, size + 1 + where % 7)
                since = seal
            sender.deliver(here / "d.delivery", since=since, batch=batch)
        text = (here / "d.delivery").read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if kind == "cut short":
            damaged = text[: where % len(text)]
        elif kind == "line lost":
            del lines[where % len(lines)]
            damaged = "".join(lines)
        else:  # one hex digit of a hash, salt or proof changed
            spots = []
            for n, line in enumerate(lines):
                body = next(iter(json.loads(line).values()))
                for member in HASH_MEMBERS:
                    value = body.get(member)
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str) and item:
                            spots.append((n, item))
            n, item = spots[where % len(spots)]
            at = which % len(item)
            changed = item[:at] + ("0" if item[at] != "0" else "1") + item[at + 1 :]
            lines[n] = lines[n].replace(item, changed, 1)
            damaged = "".join(lines)
        (here / "d.delivery").write_text(damaged, encoding="utf-8")
        before = dump(here / "street.db") if continued else []
        with pytest.raises(CivicLedgerError):
            Ledger.receive(here / "d.delivery", street)
        if continued:
            assert dump(here / "street.db") == before
        elif (here / "street.db").exists():  # the tables may be made, but no ledger
            with sqlite3.connect(here / "street.db") as db:
                assert db.execute("SELECT count(*) FROM civicledger_ledgers").fetchone() == (0,)
