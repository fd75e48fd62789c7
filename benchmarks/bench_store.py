"""Store benchmark: batched append and full read of 100,000 events on SQLite.

Run: ``python benchmarks/bench_store.py [--events N] [--runs R] [--batch B]``.
Prints events/s (median of the runs) for batched append (B events per
``append_batch`` call, one transaction each, WAL, synchronous=NORMAL) and for
reading everything back decoded to typed events. A simple baseline; the
benchmark suite (``benchmarks/run.py``) compares it with peers and the floor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy

from civicledger import Event, Ledger, NewEvent, event


@event("bench.visit_made", version=1)
class VisitMade(Event):
    """A small event like the ones a community office records all day."""

    household: str
    visitors: int
    note: str


def make_entries(count: int) -> list[NewEvent]:
    """Build ``count`` small events over 100 streams and a year of dates."""
    start = date(2023, 1, 1)
    return [
        NewEvent(
            stream=f"household/{i % 100}",
            event=VisitMade(
                occurred_on=start + timedelta(days=i % 365),
                household=f"H-{i % 100:03d}",
                visitors=1 + i % 4,
                note="checked on the elderly resident",
            ),
            actor="clerk",
        )
        for i in range(count)
    ]


def run_once(folder: Path, entries: list[NewEvent], batch: int) -> tuple[float, float]:
    """Append then read everything in a fresh database; return (append/s, read/s)."""
    path = folder / f"bench-{time.monotonic_ns()}.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        started = time.perf_counter()
        for i in range(0, len(entries), batch):
            ledger.append_batch(entries[i : i + batch])
        append_seconds = time.perf_counter() - started
        started = time.perf_counter()
        read = sum(1 for _ in ledger.read())
        read_seconds = time.perf_counter() - started
    assert read == len(entries), (read, len(entries))
    return len(entries) / append_seconds, len(entries) / read_seconds


def main() -> None:
    """Parse arguments, run, print a small table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    entries = make_entries(args.events)
    appends, reads = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.runs):
            append_rate, read_rate = run_once(Path(folder), entries, args.batch)
            appends.append(append_rate)
            reads.append(read_rate)
    print(
        f"python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
        f"SQLAlchemy {sqlalchemy.__version__}, {platform.processor() or platform.machine()}"
    )
    print(f"events: {args.events}, batch: {args.batch}, runs: {args.runs} (median)")
    print(f"batched append: {statistics.median(appends):>10,.0f} events/s")
    print(f"full read:      {statistics.median(reads):>10,.0f} events/s")


if __name__ == "__main__":
    main()
