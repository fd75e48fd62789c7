"""The aggregates without lineage read on several connections at once: the same figures."""

from __future__ import annotations

import decimal
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from civicledger.ledger import Ledger
from civicledger.projections.engine import resolve_as_of
from civicledger.projections.periods import Period
from civicledger.projections.service import as_indicator_set, indicators, periods_for
from civicledger.pushdown import SqlPushdown
from civicledger.pushdown import sql as pushdown_sql
from civicledger.pushdown.concurrent import Job, default_workers, run_all
from civicledger.store.sql import SqlStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = EXAMPLE / "indicators.toml"


def _store(ledger: Ledger) -> SqlStore:
    store = ledger.store
    assert isinstance(store, SqlStore)
    return store


def _requests() -> list[Any]:
    return [(i, p) for i in as_indicator_set(INDICATORS) for p in periods_for(i, Period.year(2023))]


def _flat(figures: Any) -> list[tuple[Any, ...]]:
    return [
        (f.indicator.id, f.period, f.group, f.value, f.excluded, f.notes, f.undefined_reason)
        for f in figures
    ]


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_figures_read_on_several_connections_equal_one_connection_and_python(
    example: Ledger, workers: int
) -> None:
    """Every figure of the example set is the same however many connections read it."""
    store = _store(example)
    point = resolve_as_of(None, store.head())
    requests = _requests()
    threads: set[int] = set()

    def note_thread(*_: Any) -> None:
        threads.add(threading.get_ident())

    event.listen(store.engine, "before_cursor_execute", note_thread)
    try:
        alone = SqlPushdown(store, store.sql_target(), workers=1).compute(
            requests, point, lineage=False
        )
        threads.clear()
        together = SqlPushdown(store, store.sql_target(), workers=workers).compute(
            requests, point, lineage=False
        )
    finally:
        event.remove(store.engine, "before_cursor_execute", note_thread)
    assert alone is not None
    assert together is not None
    assert _flat(together) == _flat(alone)
    python = indicators(store, INDICATORS, year=2023, lineage=False)
    assert _flat(together) == _flat(python)
    assert len(threads) >= 2  # the statements did run on more than one thread


def test_an_in_memory_database_is_read_on_its_one_connection() -> None:
    """In-memory SQLite has one connection for all (another would open an empty database)."""
    with Ledger.open("sqlite://", "memory") as ledger:
        store = _store(ledger)
        assert default_workers(store.engine) == 1
        assert SqlPushdown(store, store.sql_target()).workers == 1


def test_a_file_database_is_read_on_up_to_the_cores(tmp_path: Path) -> None:
    """A SQLite file or a server: as many connections as cores, at most four."""
    import os

    with Ledger.open(f"sqlite:///{tmp_path / 'cores.db'}") as ledger:
        assert default_workers(_store(ledger).engine) == max(1, min(4, os.cpu_count() or 1))


def test_a_redaction_recorded_after_the_first_check_sends_the_call_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statements may read newer snapshots than the first check: a redaction
    recorded meanwhile is seen by the check after them (in a snapshot of its own), and
    the figures come from Python instead."""
    with Ledger.open(f"sqlite:///{tmp_path / 'redacted.db'}") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        store = _store(ledger)
        requests = _requests()
        point = resolve_as_of(None, store.head())
        target = next(iter(ledger.read())).event_id
        check_again = pushdown_sql.SqlPushdown._amended_since

        def redact_first(self: Any, at: Any) -> bool:
            # Once the statements' connections are closed (a SQLite redaction empties the
            # write-ahead log, which waits for readers).
            ledger.redact(target, reason="erasure request 7", actor="auditor")
            return check_again(self, at)

        monkeypatch.setattr(pushdown_sql.SqlPushdown, "_amended_since", redact_first)
        pushdown = SqlPushdown(store, store.sql_target(), workers=2)
        assert pushdown.compute(requests, point, lineage=False) is None


def test_results_come_in_job_order_and_jobs_overlap(tmp_path: Path) -> None:
    """Jobs run on as many threads as workers at once; results keep the jobs' order."""
    with Ledger.open(f"sqlite:///{tmp_path / 'jobs.db'}") as ledger:
        engine = _store(ledger).engine
        both_running = threading.Barrier(2, timeout=10)

        def meet(number: int, _conn: Any) -> int:
            both_running.wait()  # fails unless another job runs at the same time
            return number

        jobs = [Job(weight, lambda conn, n=n: meet(n, conn)) for n, weight in enumerate([1, 5])]
        with engine.connect() as conn:
            assert run_all(conn, engine, jobs, 2) == [0, 1]


def test_the_first_failing_job_in_order_raises_and_every_job_runs(tmp_path: Path) -> None:
    """As if run in turn: the error of the first failing job, whatever ran first."""
    with Ledger.open(f"sqlite:///{tmp_path / 'fail.db'}") as ledger:
        engine = _store(ledger).engine
        ran: list[int] = []

        def job(number: int, fails: bool) -> Job[int]:
            def run(_conn: Any) -> int:
                ran.append(number)
                if fails:
                    raise ValueError(f"job {number}")
                return number

            # The later failure is the heaviest: it starts first.
            return Job(10 if number == 2 else 1, run)

        jobs = [job(0, False), job(1, True), job(2, True), job(3, False)]
        with engine.connect() as conn, pytest.raises(ValueError, match="job 1"):
            run_all(conn, engine, jobs, 3)
        assert sorted(ran) == [0, 1, 2, 3]


def test_jobs_on_other_threads_compute_in_the_callers_decimal_context(tmp_path: Path) -> None:
    """A decimal sum rounds as the caller's context says on every thread."""
    with Ledger.open(f"sqlite:///{tmp_path / 'context.db'}") as ledger:
        engine = _store(ledger).engine
        gate = threading.Barrier(3, timeout=10)

        def precision(_conn: Any) -> int:
            gate.wait()  # the three jobs run on three threads at once
            return decimal.getcontext().prec

        with decimal.localcontext(prec=6), engine.connect() as conn:
            assert run_all(conn, engine, [Job(1, precision)] * 3, 3) == [6, 6, 6]
