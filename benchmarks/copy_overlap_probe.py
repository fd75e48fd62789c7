"""How much of a COPY's server work hides behind the client's own work per row.

``python -m benchmarks.copy_overlap_probe URL [--events 20000] [--work-us 40]
[--repetitions 2]``

Writes the benchmark's pre-built rows into our events table on the server at ``URL``
with the COPY floor's statement, 1,000 rows per transaction, twice per round: as fast
as the client can, and with ``--work-us`` microseconds of busy client work before each
row (standing in for the hashing a real append does per event). For each it prints
the wall time per row and the part of it spent waiting for the COPY to end.

If the server inserted only at the end, the wait would stay the same with the client
work added. It falls instead, to what the server can only do once the statement ends:
the foreign key's checks, which PostgreSQL queues per row to the end of the COPY
(docs/performance.md, 2026-12-04). The scratch database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from benchmarks import floor, workload
from benchmarks.scenarios.many_ledgers import database_name, scratch_database
from benchmarks.scenarios.postgres import BATCH, _Floor, _plain


def _busy(microseconds: float) -> None:
    """Spend the time on the CPU, as hashing would (a sleep would free the core)."""
    end = time.perf_counter() + microseconds / 1e6
    while time.perf_counter() < end:
        pass


def copy_rows(url: str, rows: Sequence[floor.Row], work_us: float) -> tuple[float, float]:
    """COPY ``rows`` into a fresh ledger, ``work_us`` of client work before each row.

    Returns:
        Microseconds per row: the whole write, and the waits for each COPY to end.
    """
    import psycopg

    raw = _Floor(url, rows)
    _, values = raw._fresh_rows()
    waited = 0.0
    with psycopg.connect(_plain(url)) as connection:
        started = time.perf_counter()
        for i in range(0, len(values), BATCH):
            with connection.transaction(), connection.cursor() as cursor:
                with cursor.copy(raw.copy_sql) as copy:
                    for row in values[i : i + BATCH]:
                        if work_us:
                            _busy(work_us)
                        copy.write_row(row)
                    ending = time.perf_counter()
                waited += time.perf_counter() - ending
        elapsed = time.perf_counter() - started
    return elapsed / len(values) * 1e6, waited / len(values) * 1e6


def main(argv: list[str] | None = None) -> None:
    """Run the probe (``argv``: the command line's arguments, by default ``sys.argv``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", help="a postgresql+psycopg:// server URL")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--work-us", type=float, default=40.0)
    parser.add_argument("--repetitions", type=int, default=2)
    args = parser.parse_args(argv)
    rows = floor.build_rows(workload.load().take(args.events))
    results: dict[str, list[tuple[float, float]]] = {"no client work": [], "client work": []}
    with scratch_database(args.server, database_name("copy_overlap")) as url:
        for _ in range(args.repetitions):
            results["no client work"].append(copy_rows(url, rows, 0))
            results["client work"].append(copy_rows(url, rows, args.work_us))
    for label, measured in results.items():
        wall = statistics.median(m[0] for m in measured)
        wait = statistics.median(m[1] for m in measured)
        extra = f" ({args.work_us:g} us a row)" if label == "client work" else ""
        print(f"{label}{extra}: {wall:.1f} us a row, of which {wait:.1f} waiting at COPY's end")


if __name__ == "__main__":
    main()
