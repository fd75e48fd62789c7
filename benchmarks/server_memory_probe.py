"""The same roll-up on two PostgreSQL servers, interleaved in one process.

``python -m benchmarks.server_memory_probe URL_A URL_B [--ledgers 100] [--events 30000]
[--repetitions 3]``

Both servers get a scratch database of ``--ledgers`` ledgers of ``--events`` events
(filled as the ``postgres_rollup`` scenario fills its own), then
``LedgerSet.indicators`` (example set, lazy lineage) runs on each in turn; the figures
of both are checked equal first. It answers what a server's settings (most of all
``shared_buffers``, printed for each) do to a roll-up, which one server cannot show.
The databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from benchmarks.environment import postgres_version
from benchmarks.scenarios.many_ledgers import (
    INDICATORS,
    YEAR,
    _clone,
    _fill_template,
    database_name,
    scratch_database,
)
from civicledger.ledgerset import LedgerSet


def main(argv: list[str] | None = None) -> None:
    """Run the probe (``argv``: the command line's arguments, by default ``sys.argv``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("servers", nargs=2, help="two postgresql+psycopg:// server URLs")
    parser.add_argument("--ledgers", type=int, default=100)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args(argv)
    names = [f"street/community-{i:03d}" for i in range(args.ledgers)]
    with contextlib.ExitStack() as stack:
        sets: dict[str, LedgerSet] = {}
        for label, server in zip("AB", args.servers, strict=True):
            print(f"{label}: PostgreSQL {postgres_version(server)}", flush=True)
            database = database_name(f"servers_{label.lower()}")
            url = stack.enter_context(scratch_database(server, database))
            template = _fill_template(url, names[0], args.events)
            for name in names[1:]:
                _clone(url, template, name)
            sets[label] = stack.enter_context(LedgerSet.open(url, names))

        def roll_up(label: str) -> list[tuple[object, ...]]:
            figures = sets[label].indicators(INDICATORS, year=YEAR, lineage="lazy")
            return [(f.id, f.group, f.value) for f in figures]

        if roll_up("A") != roll_up("B"):
            raise AssertionError("the two servers' roll-ups differ")
        seconds: dict[str, list[float]] = {"A": [], "B": []}
        for _ in range(args.repetitions):
            for label in seconds:
                started = time.perf_counter()
                roll_up(label)
                seconds[label].append(time.perf_counter() - started)
                print(f"{label}: {seconds[label][-1]:.2f} s", flush=True)
        a, b = (statistics.median(seconds[label]) for label in "AB")
        print(f"medians: A {a:.2f} s, B {b:.2f} s, B / A {b / a:.2f}x")


if __name__ == "__main__":
    main()
