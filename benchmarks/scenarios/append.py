"""Appends on SQLite: 1,000 and 100 events per call, and one per transaction (FULL and NORMAL).

Our side runs the whole pipeline (validation, canonical encoding, salted digest,
leaf hash, Merkle frontier and tiles, positions under the write lock). The floor
inserts pre-built rows into the same table; the hashing floor (batched only)
inserts the same rows but hashes them first, as every ledger must, with
``hashlib`` and nothing around it, and the native hashing floor does the same
with civicledger's C hashing, where it is built (``benchmarks/floor.py``); the
peer saves through its application. Every repetition starts from an empty database file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

from benchmarks import floor, workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from benchmarks.peer import PeerLedger
from civicledger.events import Event
from civicledger.ledger import Ledger
from civicledger.merkle import native
from civicledger.store import NewEvent

BATCH = 1000
SMALL_BATCH = 100
"""The second batched size: per-call overhead (lock, head, commit) weighs ten times more."""


def ours_batched(
    ctx: Context, entries: Sequence[NewEvent], synchronous: str, batch: int = BATCH
) -> float:
    """Our events/s appending ``entries`` ``batch`` per call into a fresh SQLite file."""
    path = ctx.scratch("append-ours.db")
    with Ledger.open(f"sqlite:///{path}", synchronous=synchronous) as ledger:
        start = time.perf_counter()
        for i in range(0, len(entries), batch):
            ledger.append_batch(entries[i : i + batch])
        elapsed = time.perf_counter() - start
    return len(entries) / elapsed


def _floor_batched(
    ctx: Context,
    rows: Sequence[floor.Row],
    synchronous: str,
    batch: int = BATCH,
    write: Callable[[sqlite3.Connection, Sequence[floor.Row], int], None] = floor.append_batches,
    file: str = "append-floor.db",
) -> float:
    """Rows/s writing ``rows`` with ``write`` (the plain floor's, or ``floor.append_hashed``
    or ``floor.append_native_hashed`` for the hashing floors, whose rows are their inputs)
    into a fresh floor file."""
    path = ctx.scratch(file)
    floor.create(path)
    connection = floor.connect(path, synchronous)
    try:
        start = time.perf_counter()
        write(connection, rows, batch)
        elapsed = time.perf_counter() - start
    finally:
        connection.close()
    return len(rows) / elapsed


def _hashing_floor_batched(
    ctx: Context, inputs: Sequence[floor.Row], synchronous: str, batch: int = BATCH
) -> float:
    return _floor_batched(
        ctx, inputs, synchronous, batch, floor.append_hashed, "append-hashing-floor.db"
    )


def _native_hashing_floor_batched(
    ctx: Context, inputs: Sequence[floor.Row], synchronous: str, batch: int = BATCH
) -> float:
    return _floor_batched(
        ctx, inputs, synchronous, batch, floor.append_native_hashed, "append-native-floor.db"
    )


def _peer_batched(
    ctx: Context, events: Sequence[tuple[str, Event]], synchronous: str, batch: int = BATCH
) -> float:
    peer = PeerLedger(ctx.scratch("append-peer.db"), synchronous=synchronous)
    try:
        items = peer.prepare(events)
        start = time.perf_counter()
        for i in range(0, len(items), batch):
            peer.save(items[i : i + batch])
        elapsed = time.perf_counter() - start
    finally:
        peer.close()
    return len(items) / elapsed


def run_batched(ctx: Context) -> ScenarioResult:
    """Batched append of ``ctx.size`` events, 1,000 and 100 per call, WAL, synchronous=NORMAL."""
    result = ScenarioResult("append_batched", TITLES["append_batched"], ctx.size)
    events = workload.load().take(ctx.size)
    entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in events]
    rows = floor.build_rows(events)
    inputs = floor.hashing_inputs(events)
    native_inputs = floor.native_hashing_inputs(inputs) if native.available() else None
    small = f"{SMALL_BATCH} per call"
    sizes = ((BATCH, f"{BATCH:,} per call", ""), (SMALL_BATCH, small, f", {small}"))
    contenders: dict[str, tuple[str, Callable[[], float]]] = {}
    for batch, _, suffix in sizes:
        contenders[f"ours{suffix}"] = (
            "events/s",
            lambda b=batch: ours_batched(ctx, entries, "NORMAL", b),
        )
        contenders[f"floor{suffix}"] = (
            "events/s",
            lambda b=batch: _floor_batched(ctx, rows, "NORMAL", b),
        )
        contenders[f"hashing floor{suffix}"] = (
            "events/s",
            lambda b=batch: _hashing_floor_batched(ctx, inputs, "NORMAL", b),
        )
        if native_inputs is not None:
            contenders[f"native hashing floor{suffix}"] = (
                "events/s",
                lambda b=batch, i=native_inputs: _native_hashing_floor_batched(ctx, i, "NORMAL", b),
            )
        contenders[f"peer{suffix}"] = (
            "events/s",
            lambda b=batch: _peer_batched(ctx, events, "NORMAL", b),
        )
    interleave(result, contenders, ctx.repetitions)
    for _, label, suffix in sizes:
        vs_floor = result.ratio(f"ours/floor{suffix}", f"ours{suffix}", f"floor{suffix}")
        vs_peer = result.ratio(f"ours/peer{suffix}", f"ours{suffix}", f"peer{suffix}")
        result.ratio(f"ours/hashing floor{suffix}", f"ours{suffix}", f"hashing floor{suffix}")
        result.ratio(f"hashing floor/peer{suffix}", f"hashing floor{suffix}", f"peer{suffix}")
        if native_inputs is not None:
            native_floor = f"native hashing floor{suffix}"
            result.ratio(f"ours/native hashing floor{suffix}", f"ours{suffix}", native_floor)
            result.ratio(f"native hashing floor/peer{suffix}", native_floor, f"peer{suffix}")
        claim = f"batched append ({label})"
        result.target(f"{claim} >= 0.5x raw sqlite3", vs_floor, 0.5, "x", higher=True)
        result.target(f"{claim} >= 1.5x eventsourcing", vs_peer, 1.5, "x", higher=True)
    result.notes.append(
        "Every contender at WAL + synchronous=NORMAL; each appends the same events "
        f"{BATCH:,} and then {SMALL_BATCH} per call (and per transaction). The hashing floor "
        "is the floor plus the hashing every ledger event needs (canonical payload, leaf "
        "format v2's salted field digests, envelope, leaf, Merkle fold and tiles) with "
        "hashlib and nothing around it: hashing floor/peer is the most any pure-Python "
        "ledger with field-level commitments could reach against the peer. The native "
        "hashing floor does that hashing with civicledger's C module (run only where it is "
        "built): native hashing floor/peer bounds what ours can reach against the peer, "
        "since ours does the same hashing and more (validation, typed events, ids, versions)."
    )
    return result


def _ours_singles(ctx: Context, events: Sequence[tuple[str, Event]], synchronous: str) -> float:
    path = ctx.scratch("single-ours.db")
    with Ledger.open(f"sqlite:///{path}", synchronous=synchronous) as ledger:
        start = time.perf_counter()
        for stream, event in events:
            ledger.append(stream, [event], actor="bench")
        elapsed = time.perf_counter() - start
    return len(events) / elapsed


def _floor_singles(ctx: Context, rows: Sequence[floor.Row], synchronous: str) -> float:
    path = ctx.scratch("single-floor.db")
    floor.create(path)
    connection = floor.connect(path, synchronous)
    try:
        start = time.perf_counter()
        floor.append_singles(connection, rows)
        elapsed = time.perf_counter() - start
    finally:
        connection.close()
    return len(rows) / elapsed


def _peer_singles(ctx: Context, events: Sequence[tuple[str, Event]], synchronous: str) -> float:
    peer = PeerLedger(ctx.scratch("single-peer.db"), synchronous=synchronous)
    try:
        items = peer.prepare(events)
        start = time.perf_counter()
        for item in items:
            peer.save([item])
        elapsed = time.perf_counter() - start
    finally:
        peer.close()
    return len(items) / elapsed


def _run_singles(ctx: Context, synchronous: str) -> ScenarioResult:
    name = f"append_single_{synchronous.lower()}"
    result = ScenarioResult(name, TITLES[name], ctx.singles)
    events = workload.load().take(ctx.singles)
    rows = floor.build_rows(events)
    interleave(
        result,
        {
            "ours": ("events/s", lambda: _ours_singles(ctx, events, synchronous)),
            "floor": ("events/s", lambda: _floor_singles(ctx, rows, synchronous)),
            "peer": ("events/s", lambda: _peer_singles(ctx, events, synchronous)),
        },
        ctx.repetitions,
    )
    result.ratio("ours/floor", "ours", "floor")
    vs_peer = result.ratio("ours/peer", "ours", "peer")
    result.target(
        f"one append per transaction ({synchronous}) >= 1.2x eventsourcing",
        vs_peer,
        1.2,
        "x",
        higher=True,
    )
    return result


TITLES = {
    "append_batched": "SQLite append, 1,000 and 100 per transaction (WAL, NORMAL)",
    "append_single_full": "SQLite append, one per transaction, synchronous=FULL",
    "append_single_normal": "SQLite append, one per transaction, synchronous=NORMAL",
}

SCENARIOS = (
    Scenario(
        "append_batched",
        TITLES["append_batched"],
        "events/s appending the workload 1,000 and 100 per call: ours (Ledger.append_batch, "
        "full pipeline) vs raw sqlite3 executemany of pre-built rows into the same table vs "
        "eventsourcing Application.save of as many events.",
        run_batched,
    ),
    Scenario(
        "append_single_full",
        TITLES["append_single_full"],
        "events/s appending one event per transaction at synchronous=FULL: ours "
        "(Ledger.append) vs raw sqlite3 vs eventsourcing (one save per event).",
        lambda ctx: _run_singles(ctx, "FULL"),
    ),
    Scenario(
        "append_single_normal",
        TITLES["append_single_normal"],
        "the same at synchronous=NORMAL.",
        lambda ctx: _run_singles(ctx, "NORMAL"),
    ),
)
