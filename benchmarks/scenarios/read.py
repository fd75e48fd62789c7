"""Full read of a ledger with every payload decoded to a typed event.

Ours: ``Ledger.read()`` yields RecordedEvents with typed, validated payloads.
Floor: raw sqlite3 over our own file, payload JSON decoded with orjson (dicts,
no types). Peer: eventsourcing's notification log, each notification mapped to
its domain event (the path its projections take).
"""

from __future__ import annotations

import time

from benchmarks import floor, workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from benchmarks.peer import PeerLedger
from civicledger.ledger import Ledger
from civicledger.store import NewEvent

BATCH = 1000


def run(ctx: Context) -> ScenarioResult:
    """Read back ``ctx.size`` events, decoded, from each contender's own SQLite file."""
    result = ScenarioResult("read_decoded", TITLE, ctx.size)
    events = workload.load().take(ctx.size)
    ours_path = ctx.scratch("read-ours.db")
    with Ledger.open(f"sqlite:///{ours_path}") as ledger:
        entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in events]
        for i in range(0, len(entries), BATCH):
            ledger.append_batch(entries[i : i + BATCH])
    peer = PeerLedger(ctx.scratch("read-peer.db"), synchronous="NORMAL")
    items = peer.prepare(events)
    for i in range(0, len(items), BATCH):
        peer.save(items[i : i + BATCH])
    del entries, items, events

    def ours() -> float:
        with Ledger.open(f"sqlite:///{ours_path}") as ledger:
            start = time.perf_counter()
            count = sum(1 for _ in ledger.read())
            return count / (time.perf_counter() - start)

    def raw() -> float:
        connection = floor.connect(ours_path, "NORMAL")
        try:
            start = time.perf_counter()
            count = sum(1 for _ in floor.read_decoded(connection))
            return count / (time.perf_counter() - start)
        finally:
            connection.close()

    def peer_read() -> float:
        start = time.perf_counter()
        count = sum(1 for _ in peer.read_decoded())
        return count / (time.perf_counter() - start)

    try:
        interleave(
            result,
            {
                "ours": ("events/s", ours),
                "floor": ("events/s", raw),
                "peer": ("events/s", peer_read),
            },
            ctx.repetitions,
        )
    finally:
        peer.close()
    result.ratio("ours/floor", "ours", "floor")
    vs_peer = result.ratio("ours/peer", "ours", "peer")
    result.target("read and decode >= 1.2x eventsourcing", vs_peer, 1.2, "x", higher=True)
    return result


TITLE = "SQLite full read, decoded to typed events"

SCENARIOS = (
    Scenario(
        "read_decoded",
        TITLE,
        "events/s reading the whole ledger back: ours (Ledger.read, typed payloads) vs raw "
        "sqlite3 + orjson on the same file (dicts) vs eventsourcing notification log + mapper.",
        run,
    ),
)
