"""The example indicator set over a large ledger, and the same simple fold done by everyone.

Ours twice: ``Ledger.indicators(examples/community_2023/indicators.toml,
year=2023)``, every figure with its lineage, which pushes declarative filters and
measures down to SQL where it can; and the same set streamed and folded in
Python (``projections.service.indicators`` without a pushdown). Because the floor and the
peer cannot compute our indicator set, everyone also runs one fold they all can:
counts by (type, month) over every event — ours over ``Ledger.read()`` (typed
events), the floor over raw sqlite3 rows with orjson payload decoding, and with
SQL ``GROUP BY``; the peer over its notification log mapped to domain events.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import orjson

from benchmarks import ledgers, probe
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from benchmarks.peer import PeerLedger
from civicledger.ledger import Ledger
from civicledger.projections import service

INDICATORS = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "indicators.toml"
YEAR = 2023


def ours_counts(records: Iterable[object]) -> Counter[tuple[str, int]]:
    """Counts by (type, month) over our records."""
    counts: Counter[tuple[str, int]] = Counter()
    for r in records:
        counts[(r.type, r.occurred_on.month)] += 1  # type: ignore[attr-defined]
    return counts


def floor_counts(path: Path) -> Counter[tuple[str, str]]:
    """Counts by (type, month) with raw sqlite3, decoding every payload with orjson."""
    counts: Counter[tuple[str, str]] = Counter()
    connection = sqlite3.connect(path)
    try:
        cursor = connection.execute(
            "SELECT type, occurred_on, payload FROM civicledger_events ORDER BY position"
        )
        while rows := cursor.fetchmany(2000):
            for type_name, occurred_on, payload in rows:
                orjson.loads(payload)
                counts[(type_name, occurred_on[:7])] += 1
    finally:
        connection.close()
    return counts


def floor_sql(path: Path) -> dict[tuple[str, str], int]:
    """Counts by (type, month) pushed down to SQLite as one GROUP BY."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT type, substr(occurred_on, 1, 7), count(*) FROM civicledger_events GROUP BY 1, 2"
        ).fetchall()
    finally:
        connection.close()
    return {(t, m): n for t, m, n in rows}


def peer_counts(peer: PeerLedger) -> Counter[tuple[str, int]]:
    """Counts by (type, month) over the peer's notification log (creation events skipped)."""
    counts: Counter[tuple[str, int]] = Counter()
    for event in peer.read_decoded():
        occurred_on = getattr(event, "occurred_on", None)
        if occurred_on is not None:
            counts[(type(event).__name__, occurred_on.month)] += 1
    return counts


def _timed(work: object) -> float:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - start


def _scenario(name: str, size_attr: str) -> Scenario:
    def run(ctx: Context) -> ScenarioResult:
        size = getattr(ctx, size_attr)
        path = ledgers.ledger_file(ctx, size)
        peer = PeerLedger(ledgers.peer_file(ctx, size), synchronous="NORMAL")
        result = ScenarioResult(name, f"example indicator set over {size:,} events", size)
        repetitions = ctx.repetitions if size_attr == "size" else min(ctx.repetitions, 3)
        ledger = Ledger.open(ledgers.url(path))
        try:
            figures = ledger.indicators(str(INDICATORS), year=YEAR)
            result.extra["figures computed"] = len(figures)
            interleave(
                result,
                {
                    "ours": (
                        "s",
                        lambda: _timed(lambda: ledger.indicators(str(INDICATORS), year=YEAR)),
                    ),
                    "ours lazy lineage": (
                        "s",
                        lambda: _timed(
                            lambda: ledger.indicators(str(INDICATORS), year=YEAR, lineage="lazy")
                        ),
                    ),
                    "ours Python streaming": (
                        "s",
                        lambda: _timed(
                            lambda: service.indicators(
                                ledger.store, str(INDICATORS), year=YEAR, lineage="lazy"
                            )
                        ),
                    ),
                    "ours counts fold": ("s", lambda: _timed(lambda: ours_counts(ledger.read()))),
                    "floor": ("s", lambda: _timed(lambda: floor_counts(path))),
                    "floor SQL GROUP BY": ("s", lambda: _timed(lambda: floor_sql(path))),
                    "peer": ("s", lambda: _timed(lambda: peer_counts(peer))),
                },
                repetitions,
            )
        finally:
            ledger.close()
            peer.close()
        fold = result.series["ours counts fold"].median
        result.ratios["ours/floor"] = result.series["floor"].median / fold
        result.ratios["ours/peer"] = result.series["peer"].median / fold
        result.ratios["indicator set / counts fold"] = result.series["ours"].median / fold
        result.ratios["Python streaming / pushdown (lazy lineage)"] = (
            result.series["ours Python streaming"].median
            / result.series["ours lazy lineage"].median
        )
        scale = 1_000_000 / size
        suffix = "" if size >= 1_000_000 else f" (projected linearly from {size:,})"
        result.target(
            f"example indicator set over 1M events < 5 s in Python streaming{suffix}",
            result.series["ours Python streaming"].median * scale,
            5.0,
            "s",
            higher=False,
        )
        result.target(
            f"example indicator set over 1M events < 1 s with SQL pushdown{suffix}",
            result.series["ours lazy lineage"].median * scale,
            1.0,
            "s",
            higher=False,
        )
        result.notes.append(
            "ours = Ledger.indicators as called by default (SQL pushdown where the indicator "
            "allows it, every contribution loaded); 'ours lazy lineage' = the same with "
            "lineage='lazy' (contributions loaded on first access: the mode for large "
            "ledgers, and the pushdown target); 'ours Python streaming' = lazy lineage, no "
            "pushdown (the Python target); 'floor SQL GROUP BY' = one pushed-down count in "
            "raw sqlite3."
        )
        result.notes.append(
            "Medians are seconds; ours/floor and ours/peer compare the same counts-by-(type, "
            "month) fold (their time / ours, > 1: ours faster)."
        )
        if ctx.probes:
            small = max(size // 10, 1000)
            for kind in ("indicators", "indicators_lazy", "indicators_python"):
                probe.memory_targets(
                    result,
                    kind,
                    ((small, ledgers.ledger_file(ctx, small)), (size, path)),
                    str(INDICATORS),
                    limit_mb=200.0,
                )
        return result

    which = "large (--full)" if size_attr == "large" else "default-size"
    return Scenario(
        name,
        f"example indicator set over the {which} ledger",
        "seconds for Ledger.indicators(example set, 2023) streaming in Python, plus a "
        "counts-by-(type, month) fold by ours, raw sqlite3 (+ SQL GROUP BY) and eventsourcing; "
        "peak RSS of the indicator set alone at two ledger sizes.",
        run,
        full_only=size_attr == "large",
    )


SCENARIOS = (_scenario("indicators", "size"), _scenario("indicators_large", "large"))
