"""Many writers at once: 8 threads and 4 processes on SQLite, 8 connections on PostgreSQL.

Afterwards positions are exactly 1..N, every successful append is stored once
and contiguously, every failed one is absent, stream versions are contiguous,
and a subscriber tailing during the writes never saw a gap.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from civicledger import ANY, NO_STREAM, ConcurrencyError, Ledger
from store_testkit import count

APPENDS_PER_WORKER = 12
STREAMS = ["hot", "warm/1", "warm/2"]

Outcome = tuple[list[str], bool]  # (event ids attempted, succeeded)


def write(ledger: Ledger, seed: int) -> list[Outcome]:
    """Append a dozen times; half the attempts expect an exact version (so some conflict)."""
    rng = random.Random(seed)
    outcomes: list[Outcome] = []
    for i in range(APPENDS_PER_WORKER):
        stream = rng.choice(STREAMS)
        size = rng.randint(1, 3)
        ids = [uuid.uuid4() for _ in range(size)]
        if i == 0:
            # Every worker races to create the hot stream: at most one can, so the
            # conflict path is exercised however fast appends are.
            stream, expected = "hot", NO_STREAM
        elif rng.random() < 0.5:
            expected: object = ledger.store.stream_version(stream)  # may be stale by append time
            if expected == 0:
                expected = NO_STREAM
        else:
            expected = ANY
        try:
            ledger.append(
                stream,
                [count(i) for _ in range(size)],
                expected_version=expected,  # type: ignore[arg-type]
                actor=f"worker-{seed}",
                event_ids=ids,
            )
            outcomes.append(([str(x) for x in ids], True))
        except ConcurrencyError:
            outcomes.append(([str(x) for x in ids], False))
    return outcomes


def write_in_process(url: str, name: str, seed: int) -> list[Outcome]:
    """A process's worker: its own Ledger (own connections) on the shared database."""
    with Ledger.open(url, ledger=name) as ledger:
        return write(ledger, seed)


def tail(ledger: Ledger, stop: threading.Event, seen: list[int]) -> None:
    """Follow the ledger while it is written, recording every position yielded."""
    for record in ledger.subscribe(poll_interval=0.02, stop=stop):
        seen.append(record.position)


def check(ledger: Ledger, outcomes: list[Outcome], seen: list[int]) -> None:
    records = list(ledger.read())
    head = ledger.head()
    assert [r.position for r in records] == list(range(1, head + 1))
    stored = {str(r.event_id): r for r in records}
    assert len(stored) == len(records)
    succeeded = [ids for ids, ok in outcomes if ok]
    failed = [ids for ids, ok in outcomes if not ok]
    assert sum(len(ids) for ids in succeeded) == head
    for ids in succeeded:
        appended = [stored[i].position for i in ids]
        # One append's events are contiguous: no other writer slipped in between.
        assert appended == list(range(appended[0], appended[0] + len(ids)))
    assert not any(i in stored for ids in failed for i in ids)
    for stream in STREAMS:
        versions = [r.stream_version for r in records if r.stream == stream]
        assert versions == list(range(1, len(versions) + 1))
    assert seen == list(range(1, head + 1))
    assert failed, "no append conflicted: the test did not exercise conflicts"


def run_with_tailer(ledger: Ledger, writers: object) -> tuple[list[Outcome], list[int]]:
    stop = threading.Event()
    seen: list[int] = []
    tailer = threading.Thread(target=tail, args=(ledger, stop, seen))
    tailer.start()
    try:
        outcomes = writers()  # type: ignore[operator]
    finally:
        # Let the tailer catch up to the final head, then stop it.
        head = ledger.head()
        for _ in range(500):
            if seen and seen[-1] >= head:
                break
            threading.Event().wait(0.01)
        stop.set()
        tailer.join(timeout=10)
    return outcomes, seen


def test_eight_threads_append_to_sqlite(tmp_path: Path) -> None:
    """8 threads sharing one SQLite ledger leave a gap-free, consistent ledger."""
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:

        def writers() -> list[Outcome]:
            with ThreadPoolExecutor(8) as pool:
                return [
                    o for result in pool.map(lambda s: write(ledger, s), range(8)) for o in result
                ]

        outcomes, seen = run_with_tailer(ledger, writers)
        check(ledger, outcomes, seen)


def test_eight_threads_append_to_memory() -> None:
    """8 threads sharing one in-memory ledger leave a gap-free, consistent ledger."""
    with Ledger.in_memory() as ledger:

        def writers() -> list[Outcome]:
            with ThreadPoolExecutor(8) as pool:
                results = pool.map(lambda s: write(ledger, s), range(8))
                return [o for result in results for o in result]

        outcomes, seen = run_with_tailer(ledger, writers)
        check(ledger, outcomes, seen)


def test_four_processes_append_to_sqlite(tmp_path: Path) -> None:
    """4 processes, each with its own connections, leave a gap-free, consistent ledger."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url, ledger="shared") as ledger:

        def writers() -> list[Outcome]:
            # spawn, not fork: a forked child can inherit a lock (the import lock, a
            # pool lock) held by the tailer thread at that instant and wait forever.
            context = multiprocessing.get_context("spawn")
            with context.Pool(4) as pool:
                results = pool.starmap(write_in_process, [(url, "shared", s) for s in range(4)])
            return [o for result in results for o in result]

        outcomes, seen = run_with_tailer(ledger, writers)
        check(ledger, outcomes, seen)


@pytest.mark.postgres
def test_eight_connections_append_to_postgres(postgres_url: str, ledger_name: str) -> None:
    """8 threads on 8 PostgreSQL connections leave a gap-free, consistent ledger."""
    with Ledger.open(postgres_url, ledger=ledger_name) as ledger:

        def writers() -> list[Outcome]:
            def one(seed: int) -> list[Outcome]:
                with Ledger.open(postgres_url, ledger=ledger_name) as own:
                    return write(own, seed)

            with ThreadPoolExecutor(8) as pool:
                return [o for result in pool.map(one, range(8)) for o in result]

        outcomes, seen = run_with_tailer(ledger, writers)
        check(ledger, outcomes, seen)


# -- many ledgers on PostgreSQL: appends to different ledgers never wait for each other ----

LEDGER_WRITERS = 8
TRANSACTIONS_PER_LEDGER = 15


def fill_in_process(url: str, name: str, seed: int) -> list[str]:
    """A process's worker on its own ledger: small appends, each with its own event ids."""
    rng = random.Random(seed)
    written: list[str] = []
    with Ledger.open(url, ledger=name) as ledger:
        for i in range(TRANSACTIONS_PER_LEDGER):
            ids = [uuid.uuid4() for _ in range(rng.randint(1, 4))]
            ledger.append(
                rng.choice(STREAMS), [count(i) for _ in ids], actor=f"writer-{seed}", event_ids=ids
            )
            written += [str(x) for x in ids]
    return written


@pytest.mark.postgres
def test_eight_processes_append_to_eight_postgres_ledgers(postgres_url: str) -> None:
    """8 processes, each appending to its own ledger of one database: none lost, no gaps,
    every ledger verifies and holds only its own writer's events."""
    base = uuid.uuid4().hex[:12]
    names = [f"street-{base}/community-{i}" for i in range(LEDGER_WRITERS)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(LEDGER_WRITERS) as pool:
        written = pool.starmap(fill_in_process, [(postgres_url, n, i) for i, n in enumerate(names)])
    for name, ids in zip(names, written, strict=True):
        with Ledger.open(postgres_url, ledger=name) as ledger:
            records = list(ledger.read())
            assert [str(r.event_id) for r in records] == ids
            assert [r.position for r in records] == list(range(1, len(ids) + 1))
            for stream in STREAMS:
                versions = [r.stream_version for r in records if r.stream == stream]
                assert versions == list(range(1, len(versions) + 1))
            assert ledger.verify().ok


def _hold_ledger_lock(
    url: str, ledger_id: int, held: threading.Event, release: threading.Event
) -> None:
    """Take a ledger's write lock the way an append does, and keep it until told."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT * FROM civicledger_lock_ledger(:id)"), {"id": ledger_id})
            held.set()
            release.wait(60)
    finally:
        engine.dispose()


def _waiting_on_a_lock(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_held_ledger_lock_blocks_only_that_ledger(postgres_url: str) -> None:
    """While one ledger's write lock is held, another ledger of the database appends at once,
    and an append to the locked ledger waits for it (then goes through)."""
    base = uuid.uuid4().hex[:12]
    with (
        Ledger.open(postgres_url, ledger=f"locked-{base}") as locked,
        Ledger.open(postgres_url, ledger=f"free-{base}") as free,
    ):
        held, release = threading.Event(), threading.Event()
        holder = threading.Thread(
            target=_hold_ledger_lock,
            args=(postgres_url, locked.store.ledger_id, held, release),  # type: ignore[attr-defined]
        )
        holder.start()
        try:
            assert held.wait(30)
            done = threading.Event()
            other = threading.Thread(
                target=lambda: (free.append("s", [count(1)], actor="x"), done.set())
            )
            other.start()
            # A generous bound only to end a failing run: it waits for nothing when the
            # ledgers do not share a lock, and forever (until release) when they do.
            other.join(30)
            assert done.is_set(), "an append to another ledger waited for this ledger's lock"
            assert _waiting_on_a_lock(postgres_url) == 0
            blocked = threading.Thread(target=lambda: locked.append("s", [count(2)], actor="x"))
            blocked.start()
            for _ in range(300):
                if _waiting_on_a_lock(postgres_url):
                    break
                threading.Event().wait(0.05)
            assert _waiting_on_a_lock(postgres_url) == 1
            assert blocked.is_alive()
        finally:
            release.set()
            holder.join(30)
        blocked.join(30)
        assert locked.head() == 1
        assert free.head() == 1
