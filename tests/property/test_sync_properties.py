"""Sync over random histories: extensions are accepted, divergences refused with nothing written,
and a push interrupted anywhere resumes to the sender's exact state."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger import Ledger, StoreError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.errors import HistoryMismatchError
from civicledger.events.text import parse_timestamp
from civicledger.merkle import leaf
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.tree import merkle_root
from civicledger.store.replica import ReplicaRow
from civicledger.store.sql import SqlStore
from civicledger.sync import replica_row

ALG = hash_algorithm("sha256")


def history(size: int) -> Ledger:
    """A sender with ``size`` events in a few streams."""
    ledger = Ledger.in_memory("c", origin="civicledger.test/c")
    for n in range(size):
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
            actor="clerk",
        )
    return ledger


def forged(row: ReplicaRow) -> ReplicaRow:
    """The same row recorded by someone else: self-consistent, but another leaf."""
    changed = attrs.evolve(row, actor=row.actor + " (forged)")
    envelope = leaf.envelope_bytes(
        origin="civicledger.test/c",
        position=changed.position,
        stream=changed.stream,
        stream_version=changed.stream_version,
        event_id=changed.event_id,
        type=changed.type,
        schema_version=changed.schema_version,
        occurred_on=date.fromisoformat(changed.occurred_on),
        recorded_at=parse_timestamp(changed.recorded_at),
        actor=changed.actor,
        payload_digest=changed.payload_digest,
        hash_name="sha256",
        version=2,
    )
    return attrs.evolve(changed, leaf_hash=leaf.leaf_hash(ALG, envelope))


def root(rows: list[ReplicaRow], size: int) -> bytes:
    return merkle_root(ALG, [r.leaf_hash for r in rows[:size]])


def held(target: SqlStore) -> list[bytes]:
    return [target.leaf_hash(p) for p in range(1, target.head() + 1)]


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[int, int, int, int, int, int]:
    """(size, held, start, end, forged position, forged start) of one scenario."""
    size = draw(st.integers(1, 24))
    kept = draw(st.integers(0, size))
    start = draw(st.integers(1, kept + 1))
    end = draw(st.integers(max(kept, start - 1), size))
    bad = draw(st.integers(1, max(kept, 1)))
    bad_start = draw(st.integers(1, kept + 1))
    return size, kept, start, end, bad, bad_start


@settings(max_examples=60, deadline=None)
@given(deliveries())
def test_extensions_are_accepted_and_divergences_refused_with_nothing_written(
    scenario: tuple[int, int, int, int, int, int],
) -> None:
    size, kept, start, end, bad, bad_start = scenario
    rows = [replica_row(r) for r in history(size).store.row_source().rows(1, size)]
    target = SqlStore.open("sqlite://", "c", origin="civicledger.test/c", replica=True)
    try:
        target.receive(rows[:kept], root=root(rows, kept))
        # Any delivery that extends what is held (overlapping it or not) is accepted.
        target.receive(rows[start - 1 : end], root=root(rows, end))
        assert held(target) == [r.leaf_hash for r in rows[:end]]
        # A history that differs at a held position is refused, and nothing changes.
        if end == 0:
            return
        bad = min(bad, end)
        other = [forged(r) if r.position == bad else r for r in rows]
        first = min(bad_start, end + 1)
        before = held(target)
        with pytest.raises(HistoryMismatchError) as caught:
            target.receive(other[first - 1 :], root=root(other, size))
        if first <= bad:
            assert caught.value.position == bad
        assert held(target) == before
        assert target.frontier().root() == root(rows, end)
    finally:
        target.close()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8), st.integers(1, 6))
def test_a_push_interrupted_at_any_batch_resumes_to_the_same_state(
    size: int, batch: int, fail_at: int
) -> None:
    sender = history(size)
    sender.seal()
    calls = 0
    real = SqlStore.receive

    def flaky(self: SqlStore, *args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == fail_at:
            raise StoreError("interrupted")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'street.db'}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(SqlStore, "receive", flaky)
            if fail_at <= -(-size // batch):  # the push makes one call per batch
                with pytest.raises(StoreError, match="interrupted"):
                    sender.push(url, batch=batch)
            else:
                sender.push(url, batch=batch)
        sender.push(url, batch=batch)
        with Ledger.open(url, "c", create=False) as replica:
            ours = [replica_row(r) for r in sender.store.row_source().rows(1, size)]
            theirs = [replica_row(r) for r in replica.store.row_source().rows(1, size)]
            assert theirs == ours
            assert [s.text for s in replica.seals()] == [s.text for s in sender.seals()]
            assert replica.verify().ok
