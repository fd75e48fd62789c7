"""Independent statements of one computation, run on a few read connections at once.

Without lineage the figures of an indicator set come from about thirty
aggregate statements that do not depend on each other. sqlite3 and psycopg
release the GIL while the database runs a statement, so on a machine with
several cores they overlap when each thread reads on its own connection.

Consistency: every statement is bounded by the same as-of position, and the
rows up to it never change except by a redaction, which always records its
``event_redacted`` row before it erases a payload. The caller checks for
amending events before the statements and again, in a new snapshot, after the
last one (:meth:`civicledger.pushdown.sql.SqlPushdown.compute`), so a statement
that ran on a later snapshot than another read the same rows.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool

__all__ = ["MAX_WORKERS", "Job", "default_workers", "run_all"]

T = TypeVar("T")

MAX_WORKERS = 4
"""Connections one computation reads with at most, whatever the cores: a server
serves many callers, and the example set's statements do not spread over more."""


@attrs.frozen
class Job(Generic[T]):
    """One statement's work: its cost estimate and what runs it on a connection.

    Attributes:
        weight: about how many rows it reads; the heaviest start first, so that a
            long statement does not begin last and run alone.
        run: reads on the connection it is given and returns its result.
    """

    weight: int
    run: Callable[[Connection], T]


def default_workers(engine: Engine) -> int:
    """How many connections a computation over ``engine`` reads with by default.

    The machine's cores, at most :data:`MAX_WORKERS`; 1 where every connection of the
    engine is one database connection (in-memory SQLite: a second connection would
    open an empty database).
    """
    if isinstance(engine.pool, StaticPool | SingletonThreadPool):
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def run_all(conn: Connection, engine: Engine, jobs: Sequence[Job[T]], workers: int) -> list[T]:
    """Every job's result, in the order of ``jobs``.

    With one worker (or one job) each runs on ``conn`` in turn. Otherwise this thread
    reads on ``conn`` and ``workers - 1`` threads each on a connection of their own,
    taking the heaviest job left until none is; a thread that cannot connect takes
    none (the others do its share).

    Args:
        conn: the caller's open connection.
        engine: where the other connections come from.
        jobs: the work, independent of each other.
        workers: connections to read with, ``conn`` included.

    Returns:
        The results, one per job.

    Raises:
        Exception: the error of the first job (in the order of ``jobs``) that failed,
            as running them in turn would raise it.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [job.run(conn) for job in jobs]
    heaviest_first = iter(sorted(range(len(jobs)), key=lambda i: -jobs[i].weight))
    taking = threading.Lock()
    results: list[Any] = [None] * len(jobs)
    failures: dict[int, BaseException] = {}

    def drain(connection: Connection) -> None:
        while True:
            with taking:
                index = next(heaviest_first, None)
            if index is None:
                return
            try:
                results[index] = jobs[index].run(connection)
            except Exception as error:  # raised in the caller's thread below
                failures[index] = error

    def helper() -> None:
        try:
            own = engine.connect()
        except Exception:
            return  # e.g. the server's connection limit: the other threads do the work
        with own:
            drain(own)

    # Each thread runs in a copy of the caller's context: its decimal context (a sum
    # rounds as the caller's precision says) and any other context variable.
    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(helper,))
        for _ in range(min(workers, len(jobs)) - 1)
    ]
    for thread in threads:
        thread.start()
    try:
        drain(conn)
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[min(failures)]
    return results
