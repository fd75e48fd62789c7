"""Leaf format v2 against v1: the cost of one commitment per field, in the same run.

Both contenders are ours, on SQLite, with the same events: a ledger created with
leaf format v1 (the salted whole payload) and one with v2 (a salted digest per
field, salts derived by HMAC from one secret per event). Appends are 1,000 per
transaction into a fresh file; ``verify()`` then reads every row back. The
ratios say what v2 costs: v2 rate / v1 rate for appends, v1 time / v2 time for
verify (both below 1 when v2 is slower).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from benchmarks import workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from civicledger.ledger import Ledger
from civicledger.store import NewEvent
from civicledger.store.sql import SqlStore

BATCH = 1000


def _append(ctx: Context, entries: Sequence[NewEvent], version: int) -> float:
    path = ctx.scratch(f"leaf-v{version}.db")
    with Ledger(SqlStore.open(f"sqlite:///{path}", leaf_version=version)) as ledger:
        start = time.perf_counter()
        for i in range(0, len(entries), BATCH):
            ledger.append_batch(entries[i : i + BATCH])
        elapsed = time.perf_counter() - start
    return len(entries) / elapsed


def _verify(ctx: Context, entries: Sequence[NewEvent], version: int) -> float:
    path = ctx.scratch(f"leaf-verify-v{version}.db")
    with Ledger(SqlStore.open(f"sqlite:///{path}", leaf_version=version)) as ledger:
        if ledger.head() != len(entries):  # built once per run, then only verified
            for i in range(0, len(entries), BATCH):
                ledger.append_batch(entries[i : i + BATCH])
        start = time.perf_counter()
        report = ledger.verify()
        elapsed = time.perf_counter() - start
    if not report.ok:
        raise AssertionError(f"the v{version} benchmark ledger does not verify: {report}")
    return elapsed


def run(ctx: Context) -> ScenarioResult:
    """Append and verify ``ctx.size`` events as v1 and as v2, interleaved."""
    result = ScenarioResult("leaf_formats", TITLE, ctx.size)
    events = workload.load().take(ctx.size)
    entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in events]
    for version in (1, 2):
        path = ctx.scratch(f"leaf-verify-v{version}.db")
        path.unlink(missing_ok=True)
    interleave(
        result,
        {
            "append v1": ("events/s", lambda: _append(ctx, entries, 1)),
            "append v2": ("events/s", lambda: _append(ctx, entries, 2)),
            "verify v1": ("s", lambda: _verify(ctx, entries, 1)),
            "verify v2": ("s", lambda: _verify(ctx, entries, 2)),
        },
        ctx.repetitions,
    )
    append = result.ratio("append v2/v1", "append v2", "append v1")
    # Durations: v1 time / v2 time, so that below 1 means v2 is slower, as for the rates.
    verify = result.series["verify v1"].median / result.series["verify v2"].median
    result.ratios["verify v2/v1"] = verify
    medians = {name: series.median for name, series in result.series.items()}
    result.notes.append(
        f"append: v1 {medians['append v1']:,.0f} events/s, v2 {medians['append v2']:,.0f} "
        f"events/s (v2/v1 {append:.2f}x); verify: v1 {medians['verify v1']:.2f} s, "
        f"v2 {medians['verify v2']:.2f} s (v1 time / v2 time {verify:.2f}x). Both ours, "
        "SQLite WAL + synchronous=NORMAL, 1,000 events per transaction; below 1x is what "
        "v2's per-field commitments cost."
    )
    return result


TITLE = "Leaf format v2 vs v1: append and verify"

SCENARIOS = (
    Scenario(
        "leaf_formats",
        TITLE,
        "events/s appending 1,000 per transaction and seconds for verify(), leaf format v1 vs v2",
        run,
    ),
)
