"""Before and after PostgreSQL's ``payload_json`` column, interleaved in one process.

``python -m benchmarks.payload_json_probe [--ledgers 100] [--events 30000] [--append 20000]``

- the roll-up: ``LedgerSet.indicators`` (example set, lazy lineage) over the
  ledgers of one scratch database, with the pushdown reading payload fields
  through ``payload::jsonb`` (as before schema version 4) or from the stored
  column; the figures of both are checked equal first;
- batched append: ``append_batch`` of 1,000 events into a database with the
  column and into one whose column was dropped.

Each pair runs three times, alternating; medians and their ratio are printed.
The databases are created on ``--postgres-url`` and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import cast
from sqlalchemy.dialects.postgresql import JSONB

from benchmarks import workload
from benchmarks.scenarios.many_ledgers import (
    INDICATORS,
    YEAR,
    _clone,
    _fill_template,
    _plain,
    scratch_database,
)
from civicledger.ledger import Ledger
from civicledger.ledgerset import LedgerSet
from civicledger.pushdown import aggregate, compiler
from civicledger.store import NewEvent
from civicledger.store.sql import derived
from civicledger.store.sql.schema import events

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _read_fields_from(column: bool) -> None:
    """Make the pushdown read payload fields from the column, or parse the text as before."""
    source: Callable[[], Any] = derived.payload_jsonb
    if not column:

        def source() -> Any:
            return cast(events.c.payload, JSONB)

    compiler.payload_jsonb = source  # type: ignore[assignment]
    aggregate.payload_jsonb = source  # type: ignore[assignment]


def _interleaved(contenders: dict[str, Callable[[], float]]) -> None:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(3):
        for name, run in contenders.items():
            times[name].append(run())
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"  {name}: {[round(v, 2) for v in values]}, median {medians[name]:.2f}")
    (before, first), (after, second) = medians.items()
    print(f"  {after} / {before}: {second / first:.2f}x")


def rollup(server: str, ledgers: int, per_ledger: int) -> None:
    names = [f"street/community-{i:03d}" for i in range(ledgers)]
    with scratch_database(server, "civicledger_probe_rollup") as url:
        template = _fill_template(url, names[0], per_ledger)
        for name in names[1:]:
            _clone(url, template, name)
        with LedgerSet.open(url, names) as street:

            def seconds(column: bool) -> float:
                _read_fields_from(column)
                start = time.perf_counter()
                street.indicators(INDICATORS, year=YEAR, lineage="lazy")
                return time.perf_counter() - start

            figures = []
            for column in (False, True):
                _read_fields_from(column)
                computed = street.indicators(INDICATORS, year=YEAR, lineage="lazy")
                figures.append([(f.id, f.group, f.value) for f in computed])
            assert figures[0] == figures[1], "figures differ"
            print(f"roll-up of {ledgers} ledgers x {per_ledger:,} events (seconds):")
            _interleaved(
                {"payload::jsonb": lambda: seconds(False), "payload_json": lambda: seconds(True)}
            )
    _read_fields_from(True)


def append(server: str, size: int) -> None:
    import psycopg

    entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in workload.load().take(size)]
    with (
        scratch_database(server, "civicledger_probe_with") as with_column,
        scratch_database(server, "civicledger_probe_without") as without_column,
    ):
        for url in (with_column, without_column):
            Ledger.open(url, ledger="warm").close()
        with psycopg.connect(_plain(without_column), autocommit=True) as connection:
            connection.execute("ALTER TABLE civicledger_events DROP COLUMN payload_json")
        rounds = iter(range(1_000_000))

        def rate(url: str) -> float:
            with Ledger.open(url, ledger=f"r{next(rounds)}") as ledger:
                start = time.perf_counter()
                for i in range(0, size, 1000):
                    ledger.append_batch(entries[i : i + 1000])
                return size / (time.perf_counter() - start)

        print(f"batched append of {size:,} events (events/s):")
        _interleaved({"without": lambda: rate(without_column), "with": lambda: rate(with_column)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=SERVER)
    parser.add_argument("--ledgers", type=int, default=100)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--append", type=int, default=20_000)
    args = parser.parse_args()
    rollup(args.postgres_url, args.ledgers, args.events)
    append(args.postgres_url, args.append)


if __name__ == "__main__":
    main()
