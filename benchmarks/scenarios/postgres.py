"""Appends on PostgreSQL: 1,000 per transaction, and one per transaction (commit sync on/off).

The suite creates its own database (``civicledger_bench_<pid>`` on the server of
``--postgres-url``) and drops it at the end, so nothing is left behind. Each
repetition appends to a fresh ledger (ours, and the floor's rows carry a fresh
ledger id); the peer appends to its own table. The floor is psycopg's
``executemany`` of pre-built rows into our events table, and the same rows
streamed with ``COPY`` (the driver's fastest path, which ours uses); the peer is
eventsourcing's PostgreSQL application recorder (which takes a table lock per
append). ``synchronous_commit`` is set on the database, so all three use it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from benchmarks import floor, workload
from benchmarks.context import Context, Scenario
from benchmarks.harness import Sample, ScenarioResult, interleave
from benchmarks.peer import PeerLedger
from civicledger.events import Event
from civicledger.ledger import Ledger
from civicledger.store import NewEvent

BATCH = 1000
DATABASE = f"civicledger_bench_{os.getpid()}"
"""The run's own database: created at the start, dropped at the end (one per process)."""


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    """Create the benchmark database, yield its URL, drop it afterwards."""
    import psycopg

    admin = psycopg.connect(_plain(server_url), autocommit=True)
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        yield _with_database(server_url, DATABASE)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.close()


def _set_commit_sync(url: str, setting: str) -> None:
    import psycopg

    with psycopg.connect(_plain(_with_database(url, "postgres")), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {DATABASE} SET synchronous_commit = {setting}")


class _Floor:
    """psycopg executemany of pre-built rows into our events table, under a fresh ledger."""

    def __init__(self, url: str, rows: Sequence[floor.Row]) -> None:
        self.url = url
        self.rows = rows
        self.columns = list(floor._COLUMNS)
        self.sql = (
            f"INSERT INTO civicledger_events ({', '.join(self.columns)}) "
            f"VALUES ({', '.join('%s' for _ in self.columns)})"
        )
        self.copy_sql = f"COPY civicledger_events ({', '.join(self.columns)}) FROM STDIN"

    def _fresh_rows(self) -> tuple[Any, list[tuple[Any, ...]]]:
        name = f"floor-{uuid.uuid4().hex[:12]}"
        with Ledger.open(self.url, ledger=name) as ledger:
            ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
        rows = [(ledger_id, *r[1:4], uuid.UUID(bytes=r[4]), *r[5:]) for r in self.rows]
        return ledger_id, rows

    def batched(self) -> float:
        import psycopg

        _, rows = self._fresh_rows()
        with psycopg.connect(_plain(self.url)) as connection:
            start = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany(self.sql, rows[i : i + BATCH])
            elapsed = time.perf_counter() - start
        return len(rows) / elapsed

    def batched_copy(self) -> float:
        """The same rows streamed with COPY, one command per transaction."""
        import psycopg

        _, rows = self._fresh_rows()
        with psycopg.connect(_plain(self.url)) as connection:
            start = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                with (
                    connection.transaction(),
                    connection.cursor() as cursor,
                    cursor.copy(self.copy_sql) as copy,
                ):
                    for row in rows[i : i + BATCH]:
                        copy.write_row(row)
            elapsed = time.perf_counter() - start
        return len(rows) / elapsed

    def singles(self) -> float:
        import psycopg

        _, rows = self._fresh_rows()
        with psycopg.connect(_plain(self.url)) as connection:
            start = time.perf_counter()
            for row in rows:
                with connection.transaction():
                    connection.execute(self.sql, row)
            elapsed = time.perf_counter() - start
        return len(rows) / elapsed


_names = itertools.count(1)


def _ours(url: str, entries: Sequence[NewEvent], batch: int) -> float:
    with Ledger.open(url, ledger=f"bench-{next(_names)}-{uuid.uuid4().hex[:8]}") as ledger:
        start = time.perf_counter()
        if batch == 1:
            for e in entries:
                ledger.append(e.stream, [e.event], actor=e.actor)
        else:
            for i in range(0, len(entries), batch):
                ledger.append_batch(entries[i : i + batch])
        elapsed = time.perf_counter() - start
    return len(entries) / elapsed


def _peer(url: str, events: Sequence[tuple[str, Event]], batch: int) -> float:
    peer = PeerLedger(postgres_url=url)
    try:
        items = peer.prepare(events)
        start = time.perf_counter()
        for i in range(0, len(items), batch):
            peer.save(items[i : i + batch])
        elapsed = time.perf_counter() - start
    finally:
        peer.close()
    return len(items) / elapsed


def peer_missing() -> str | None:
    """Why the eventsourcing PostgreSQL peer cannot run here, or None when it can."""
    try:
        import eventsourcing.postgres  # noqa: F401
    except ImportError as e:
        return (
            f"eventsourcing's PostgreSQL module does not import ({e}); it needs "
            "eventsourcing[postgres] (psycopg_pool), which the bench extra installs"
        )
    return None


def run(ctx: Context) -> ScenarioResult:
    """Batched and single appends on the local PostgreSQL server."""
    if not ctx.postgres_url:
        raise RuntimeError("no PostgreSQL URL given (--postgres-url)")
    size = ctx.size // 2
    result = ScenarioResult("postgres_append", TITLE, size)
    load = workload.load()
    events = load.take(size)
    entries = [NewEvent(stream=s, event=e, actor="bench") for s, e in events]
    # A quarter of the SQLite count: a PostgreSQL commit round trip is slower.
    singles = events[: max(ctx.singles // 4, 1)]
    single_entries = entries[: len(singles)]
    missing = peer_missing()
    if missing:
        result.notes.append(f"No peer: {missing}.")
    with bench_database(ctx.postgres_url) as url:
        raw = _Floor(url, floor.build_rows(events))
        raw_singles = _Floor(url, floor.build_rows(singles))
        batched: dict[str, tuple[str, Sample]] = {
            "ours": ("events/s", lambda: _ours(url, entries, BATCH)),
            "floor": ("events/s", raw.batched),
            "floor COPY": ("events/s", raw.batched_copy),
        }
        if not missing:
            batched["peer"] = ("events/s", lambda: _peer(url, events, BATCH))
        interleave(result, batched, ctx.repetitions)
        for setting in ("on", "off"):
            _set_commit_sync(url, setting)
            one: dict[str, tuple[str, Sample]] = {
                f"ours single, commit {setting}": (
                    "events/s",
                    lambda: _ours(url, single_entries, 1),
                ),
                f"floor single, commit {setting}": ("events/s", raw_singles.singles),
            }
            if not missing:
                one[f"peer single, commit {setting}"] = (
                    "events/s",
                    lambda: _peer(url, singles, 1),
                )
            interleave(result, one, ctx.repetitions)
    result.ratio("ours/floor", "ours", "floor")
    vs_copy = result.ratio("ours/floor COPY", "ours", "floor COPY")
    result.target(
        "PostgreSQL batched append >= 0.7x the driver floor (COPY)",
        vs_copy,
        0.7,
        "x",
        higher=True,
    )
    if not missing:
        vs_peer = result.ratio("ours/peer", "ours", "peer")
        result.target(
            "PostgreSQL batched append >= 1.5x eventsourcing", vs_peer, 1.5, "x", higher=True
        )
    result.target(
        "PostgreSQL batched append >= 30k events/s",
        result.series["ours"].median,
        30_000,
        "events/s",
        higher=True,
    )
    for setting in ("on", "off"):
        ours = result.series[f"ours single, commit {setting}"].median
        fl = result.series[f"floor single, commit {setting}"].median
        result.ratios[f"single ours/floor (commit {setting})"] = ours / fl
        summary = f"ours {ours:,.0f}/s, floor {fl:,.0f}/s"
        if not missing:
            peer = result.series[f"peer single, commit {setting}"].median
            result.ratios[f"single ours/peer (commit {setting})"] = ours / peer
            summary += f", peer {peer:,.0f}/s"
            result.target(
                f"PostgreSQL one append per transaction (synchronous_commit={setting}) "
                ">= 1.5x eventsourcing",
                ours / peer,
                1.5,
                "x",
                higher=True,
            )
        result.extra[f"single appends, synchronous_commit={setting}"] = (
            f"{summary} ({len(singles):,} events per repetition)"
        )
    result.notes.append(
        f"Batched: {size:,} events per repetition, 1,000 per transaction, each repetition "
        "into a fresh ledger; database civicledger_bench_<pid> created and dropped by the run."
    )
    return result


TITLE = "PostgreSQL append, 1,000 per transaction (and one per transaction)"

SCENARIOS = (
    Scenario(
        "postgres_append",
        TITLE,
        "events/s on the local PostgreSQL server: ours (Ledger.append_batch / append) vs "
        "psycopg executemany of pre-built rows into the same table vs eventsourcing's "
        "PostgreSQL recorder; batched, then one per transaction with synchronous_commit on/off.",
        run,
    ),
)
