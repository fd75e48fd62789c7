"""Many ledgers in one PostgreSQL database: concurrent appends, and a roll-up across 100 ledgers.

``postgres_concurrent_ledgers``: one process appending to one ledger, against
8 processes appending to 8 ledgers of the same database at once, each doing the
same work (transactions of 10 events). Appends lock only their own ledger's row,
so the 8 should scale with the machine's cores rather than queue behind each
other; the target is 1.6x the single process's throughput on 2 cores.

``postgres_rollup``: the example indicator set rolled up across 100 ledgers of
``--size`` x 0.3 events each (30,000 by default) with ``LedgerSet.indicators``
(SQL pushdown, lazy lineage), and one ledger's figures computed alone in its
own database against the same ledger computed among the 100. The database is
filled quickly: one ledger is appended through the library, the other 99 are
copies of its rows made by ``INSERT ... SELECT`` under new ledger ids (events,
tiles, head and frontier), so each is a complete ledger with the same figures.
Both databases are then vacuumed and analysed, as after any bulk load, so that
autovacuum does not start on them during the timings.

Both create their own database on the server of ``--postgres-url`` and drop it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Iterator
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, interleave
from civicledger.ledger import Ledger
from civicledger.ledgerset import LedgerSet
from civicledger.projections.rollup import roll_up
from civicledger.store import NewEvent

WRITERS = 8
PER_TRANSACTION = 10
ROLLUP_LEDGERS = 100
SMOKE_LEDGERS = 3
"""Ledgers of the roll-up below ``--size`` 10,000 (the smoke test's tiny runs)."""
INDICATORS = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "indicators.toml"
YEAR = 2023


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def database_name(kind: str) -> str:
    """This process's scratch database for one scenario."""
    import os

    return f"civicledger_bench_{kind}_{os.getpid()}"


@contextlib.contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """Create a database on the server, yield its URL, drop it afterwards."""
    import psycopg

    admin = psycopg.connect(_plain(server_url), autocommit=True)
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
        yield _with_database(server_url, name)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


# -- concurrent appends to different ledgers ----------------------------------------------


def _writer(
    url: str, ledger: str, transactions: int, ready: Any, start: ProcessEvent, out: Any
) -> None:
    """Append ``transactions`` x 10 events to one ledger once every writer is ready."""
    load = workload.load()
    entries = [
        NewEvent(stream=s, event=e, actor="bench")
        for s, e in load.take(transactions * PER_TRANSACTION)
    ]
    with Ledger.open(url, ledger=ledger) as opened:
        opened.append_batch(entries[:PER_TRANSACTION])  # connections and caches warm
        ready.put(ledger)
        start.wait()
        began = time.perf_counter()
        for i in range(0, len(entries), PER_TRANSACTION):
            opened.append_batch(entries[i : i + PER_TRANSACTION])
        out.put((len(entries), began, time.perf_counter()))


def _appends(url: str, writers: int, transactions: int, round_number: int) -> float:
    """Events/s of ``writers`` processes, each appending to its own new ledger at once."""
    context = multiprocessing.get_context("spawn")
    ready, out, start = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(
            target=_writer,
            args=(url, f"w{writers}-r{round_number}-{i}", transactions, ready, start, out),
        )
        for i in range(writers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=300)
    start.set()
    results = [out.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    events = sum(count for count, _, _ in results)
    # perf_counter is the system's monotonic clock on Linux: comparable across processes.
    elapsed = max(end for _, _, end in results) - min(began for _, began, _ in results)
    return events / elapsed


def run_concurrent(ctx: Context) -> ScenarioResult:
    """One process on one ledger against 8 processes on 8 ledgers, same work per process."""
    if not ctx.postgres_url:
        raise RuntimeError("no PostgreSQL URL given (--postgres-url)")
    transactions = max(ctx.singles // 4, 2)
    result = ScenarioResult(
        "postgres_concurrent_ledgers", CONCURRENT_TITLE, transactions * PER_TRANSACTION
    )
    rounds = iter(range(1_000_000))
    with scratch_database(ctx.postgres_url, database_name("concurrent")) as url:
        interleave(
            result,
            {
                "1 process, 1 ledger": (
                    "events/s",
                    lambda: _appends(url, 1, transactions, next(rounds)),
                ),
                f"{WRITERS} processes, {WRITERS} ledgers": (
                    "events/s",
                    lambda: _appends(url, WRITERS, transactions, next(rounds)),
                ),
            },
            ctx.repetitions,
        )
    ratio = result.ratio(
        f"{WRITERS} ledgers / 1 ledger",
        f"{WRITERS} processes, {WRITERS} ledgers",
        "1 process, 1 ledger",
    )
    result.target(
        f"{WRITERS} processes on {WRITERS} ledgers >= 1.6x one process on one ledger",
        ratio,
        1.6,
        "x",
        higher=True,
    )
    result.notes.append(
        f"Each process appends {transactions:,} transactions of {PER_TRANSACTION} events to its "
        "own new ledger after a warm-up transaction; throughput is all events over the time "
        "from the first process's start to the last one's end."
    )
    return result


# -- a roll-up across 100 ledgers ---------------------------------------------------------


def _fill_template(url: str, name: str, size: int) -> int:
    """Append ``size`` events to a new ledger through the library; return its id."""
    load = workload.load()
    with Ledger.open(url, ledger=name) as ledger:
        for batch in load.batches(size, 5000):
            ledger.append_batch([NewEvent(stream=s, event=e, actor="bench") for s, e in batch])
        return int(ledger.store.ledger_id)  # type: ignore[attr-defined]


def _clone(url: str, template: int, name: str) -> None:
    """A new ledger holding a copy of the template's events and tiles, head and frontier."""
    import psycopg

    with Ledger.open(url, ledger=name) as ledger:
        target = int(ledger.store.ledger_id)  # type: ignore[attr-defined]
    columns = (
        "position, stream, stream_version, event_id, type, schema_version, occurred_on, "
        "recorded_at, actor, payload, salt, commitments, payload_digest, leaf_hash"
    )
    with psycopg.connect(_plain(url)) as connection, connection.transaction():
        connection.execute(
            f"INSERT INTO civicledger_events (ledger_id, {columns}) "
            f"SELECT %s, {columns} FROM civicledger_events WHERE ledger_id = %s",
            (target, template),
        )
        connection.execute(
            "INSERT INTO civicledger_tiles (ledger_id, level, node_index, hash) "
            "SELECT %s, level, node_index, hash FROM civicledger_tiles WHERE ledger_id = %s",
            (target, template),
        )
        connection.execute(
            "UPDATE civicledger_ledgers AS l SET head = t.head, frontier = t.frontier "
            "FROM civicledger_ledgers AS t WHERE l.id = %s AND t.id = %s",
            (target, template),
        )


def _settle(url: str) -> None:
    """VACUUM ANALYZE a freshly filled database, as PostgreSQL advises after a bulk load.

    A database in service has been vacuumed and analysed by autovacuum; a bulk-loaded one
    has neither, and autovacuum would otherwise start on its 3 million rows in the middle
    of the timings.
    """
    import psycopg

    with psycopg.connect(_plain(url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def _seconds(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_rollup(ctx: Context) -> ScenarioResult:
    """The example indicator set across 100 ledgers, and one ledger alone against among them."""
    if not ctx.postgres_url:
        raise RuntimeError("no PostgreSQL URL given (--postgres-url)")
    per_ledger = max(ctx.size * 3 // 10, 30)
    count = ROLLUP_LEDGERS if ctx.size >= 10_000 else SMOKE_LEDGERS
    result = ScenarioResult("postgres_rollup", ROLLUP_TITLE, per_ledger * count)
    names = [f"street/community-{i:03d}" for i in range(count)]
    with (
        scratch_database(ctx.postgres_url, database_name("rollup")) as many_url,
        scratch_database(ctx.postgres_url, database_name("alone")) as alone_url,
    ):
        started = time.perf_counter()
        template = _fill_template(many_url, names[0], per_ledger)
        appended = time.perf_counter() - started
        for name in names[1:]:
            _clone(many_url, template, name)
        filled = time.perf_counter() - started
        _fill_template(alone_url, names[0], per_ledger)
        _settle(many_url)
        _settle(alone_url)
        with (
            LedgerSet.open(many_url, names) as street,
            Ledger.open(alone_url, ledger=names[0]) as alone,
            Ledger.open(many_url, ledger=names[0]) as among,
        ):
            figures = street.indicators(INDICATORS, year=YEAR, lineage="lazy")

            def one(ledger: Ledger) -> Any:
                return ledger.indicators(INDICATORS, year=YEAR, lineage="lazy")

            def ledger_by_ledger() -> Any:
                # The roll-up as it was before the set-level pushdown: each ledger alone.
                return roll_up([(ledger.name, ledger.origin, one(ledger)) for ledger in street])

            # The copies hold the same events, so the roll-up of an additive figure is
            # the ledger's own times their number: checked once, outside the timings.
            _check_rollup(figures, one(alone), count)
            interleave(
                result,
                {
                    f"roll-up of {count} ledgers": (
                        "s",
                        lambda: _seconds(
                            lambda: street.indicators(INDICATORS, year=YEAR, lineage="lazy")
                        ),
                    ),
                    f"roll-up of {count} ledgers, ledger by ledger": (
                        "s",
                        lambda: _seconds(ledger_by_ledger),
                    ),
                    "one ledger alone": ("s", lambda: _seconds(lambda: one(alone))),
                    f"one ledger among {count}": (
                        "s",
                        lambda: _seconds(lambda: one(among)),
                    ),
                },
                ctx.repetitions,
            )
    rollup = result.series[f"roll-up of {count} ledgers"].median
    result.target(
        f"example indicator set across {count} ledgers x {per_ledger:,} events < 5 s",
        rollup,
        5.0,
        "s",
        higher=False,
    )
    result.ratio(
        "together / ledger by ledger",
        f"roll-up of {count} ledgers",
        f"roll-up of {count} ledgers, ledger by ledger",
    )
    among_alone = result.ratio(
        f"among {count} / alone", f"one ledger among {count}", "one ledger alone"
    )
    result.target(
        f"one ledger's figures among {count} ledgers within 1.25x of alone",
        among_alone,
        1.25,
        "x",
        higher=False,
    )
    result.extra["fill"] = (
        f"{count} x {per_ledger:,} events in {filled:.0f} s (the first ledger "
        f"appended through the library in {appended:.0f} s, the others copied in SQL)"
    )
    result.extra["figures per roll-up"] = len(figures)
    result.notes.append(
        "The set is opened once before timing; each repetition computes every figure of "
        "examples/community_2023/indicators.toml for 2023 with lineage='lazy'."
    )
    return result


def _check_rollup(rolled: list[Any], single: list[Any], count: int) -> None:
    """Counts and sums across identical ledgers are the ledger's own times their number."""
    from civicledger.projections.measures import Count, Sum

    own = {(f.indicator.id, f.group): f.value for f in single}
    checked = 0
    for figure in rolled:
        if isinstance(figure.indicator.measure, Count | Sum) and figure.value is not None:
            assert figure.value == own[(figure.id, figure.group)] * count, figure.id
            checked += 1
    if not checked:
        raise RuntimeError("no additive figure was checked against its ledger")


CONCURRENT_TITLE = "PostgreSQL: 8 processes appending to 8 ledgers against 1 on 1"
ROLLUP_TITLE = "PostgreSQL: example indicator set rolled up across 100 ledgers"

SCENARIOS = (
    Scenario(
        "postgres_concurrent_ledgers",
        CONCURRENT_TITLE,
        "events/s of 8 processes each appending transactions of 10 events to its own ledger "
        "in one PostgreSQL database, against one process on one ledger doing the same work "
        "(per-ledger locking; target >= 1.6x on 2 cores).",
        run_concurrent,
    ),
    Scenario(
        "postgres_rollup",
        ROLLUP_TITLE,
        "seconds for LedgerSet.indicators (example set, SQL pushdown, lazy lineage) across "
        "100 ledgers of --size x 0.3 events (target < 5 s), and one ledger's figures alone "
        "in its database against among the 100 (ratio).",
        run_rollup,
    ),
)
