"""Incremental refresh: append one event to a large ledger, then a stored fold catches up.

Ours: :class:`civicledger.projections.runner.Runner.catch_up` of a fold
(counts by (type, month), JSON state) with its projection position in the ledger's
own database (``Ledger.projection_positions``): load the position, read the new event,
fold it, save state and position in one compare-and-set write. The floor does
the same with raw sqlite3 in one transaction. The ledger is a copy of the cached
large ledger (the appends must not grow the cache). eventsourcing's equivalent
(a ProjectionRunner with a tracking recorder) is not set up here: no peer.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from benchmarks import ledgers, workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from civicledger.events import RecordedEvent
from civicledger.ledger import Ledger
from civicledger.projections.runner import Fold, Runner

REFRESHES_PER_SAMPLE = 10


def _step(state: dict[str, int], record: RecordedEvent) -> dict[str, int]:
    key = f"{record.type}|{record.occurred_on.isoformat()[:7]}"
    new = dict(state)
    new[key] = new.get(key, 0) + 1
    return new


COUNTS = Fold(name="bench.counts_by_type_month", initial_state=dict, step=_step)


class _FloorRefresh:
    """The same catch-up in raw sqlite3: checkpoint, new rows, fold, write; one transaction."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_checkpoint "
            "(name TEXT PRIMARY KEY, position INTEGER NOT NULL, state TEXT NOT NULL)"
        )

    def start(self, position: int, state: dict[str, int]) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO bench_floor_checkpoint VALUES ('counts', ?, ?)",
            (position, orjson.dumps(state).decode()),
        )

    def refresh(self) -> None:
        c = self.connection
        c.execute("BEGIN IMMEDIATE")
        position, raw = c.execute(
            "SELECT position, state FROM bench_floor_checkpoint WHERE name = 'counts'"
        ).fetchone()
        state = orjson.loads(raw)
        rows = c.execute(
            "SELECT position, type, occurred_on, payload FROM civicledger_events "
            "WHERE position > ? ORDER BY position",
            (position,),
        ).fetchall()
        for row_position, type_name, occurred_on, payload in rows:
            orjson.loads(payload)
            key = f"{type_name}|{occurred_on[:7]}"
            state[key] = state.get(key, 0) + 1
            position = row_position
        c.execute(
            "UPDATE bench_floor_checkpoint SET position = ?, state = ? WHERE name = 'counts'",
            (position, orjson.dumps(state).decode()),
        )
        c.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


def _scenario(name: str, size_attr: str) -> Scenario:
    def run(ctx: Context) -> ScenarioResult:
        size = getattr(ctx, size_attr)
        source = ledgers.ledger_file(ctx, size)
        path = ctx.scratch(f"refresh-{size}.db")
        shutil.copyfile(source, path)
        result = ScenarioResult(name, f"incremental refresh after one append, {size:,}", size)
        extra = iter(workload.load().events)
        ledger = Ledger.open(ledgers.url(path))
        raw = _FloorRefresh(path)
        try:
            runner = Runner(COUNTS, ledger.store)
            start = time.perf_counter()
            first = runner.catch_up(ledger.projection_positions, batch_size=50_000)
            result.extra["first catch-up from scratch"] = f"{time.perf_counter() - start:.1f} s"
            raw.start(first.position, first.state)

            def append_one() -> None:
                stream, event = next(extra)
                ledger.append(stream, [event], actor="bench")

            def sample(refresh: Callable[[], Any]) -> Callable[[], float]:
                def measure() -> float:
                    total = 0.0
                    for _ in range(REFRESHES_PER_SAMPLE):
                        append_one()
                        start = time.perf_counter()
                        refresh()
                        total += time.perf_counter() - start
                    return total * 1000 / REFRESHES_PER_SAMPLE

                return measure

            def ours() -> None:
                saved = runner.catch_up(ledger.projection_positions)
                if saved.position != ledger.head():
                    raise AssertionError("the refresh did not reach the head")

            interleave(
                result,
                {"ours": ("ms", sample(ours)), "floor": ("ms", sample(raw.refresh))},
                ctx.repetitions if size_attr == "size" else min(ctx.repetitions, 3),
            )
            ours()  # the floor's samples appended too
            ours_state = runner.state(ledger.projection_positions)
            if sum((ours_state or {}).values()) != ledger.head():
                raise AssertionError("the refreshed counts do not cover the ledger")
        finally:
            raw.close()
            ledger.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        result.ratios["ours/floor"] = result.series["floor"].median / result.series["ours"].median
        result.target(
            f"incremental refresh after one append on a {size:,}-event ledger < 20 ms",
            result.series["ours"].median,
            20.0,
            "ms",
            higher=False,
        )
        result.notes.append(
            "Each floor refresh sees one new event too (every refresh follows its own append). "
            "The state is counts by (type, month); the indicator set itself has no incremental "
            "form yet (Ledger.indicators recomputes), see the indicators row. ours/floor is "
            "floor time / our time."
        )
        return result

    which = "large (--full)" if size_attr == "large" else "default-size"
    return Scenario(
        name,
        f"incremental refresh on the {which} ledger",
        "ms for Runner.catch_up (checkpoint in the ledger's database) after appending one "
        "event, vs the same catch-up in one raw sqlite3 transaction.",
        run,
        full_only=size_attr == "large",
    )


SCENARIOS = (_scenario("refresh", "size"), _scenario("refresh_large", "large"))
