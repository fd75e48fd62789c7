"""Verifying a SQL ledger in ranges, one per worker process.

The rows split into contiguous ranges whose starts lie on level-8 tile
boundaries (see :mod:`civicledger.audit.walk`). This process walks the first
range while each further range is walked by a fresh worker process
(``python -m civicledger.audit.parallel``: no state is inherited, and each
worker opens its own database connection from the ledger's URL). Not
``multiprocessing``: its ``spawn`` re-imports the caller's main script in every
worker, so a script without a ``__main__`` guard would run again there (and
append its events twice). The walks come back in position order and
``verify_ledger`` joins them: problems, gaps across a boundary, seal roots and
the root at the head are exactly what one walk over every row gives.

Workers check what needs no event classes: payload digests of intact rows,
envelopes, leaves and level-8 tiles. A redacted row goes back to this process,
whose registry traces field names across schema versions.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence

import attrs

from civicledger.audit.payloads import RedactionIndex
from civicledger.audit.verify import Walker
from civicledger.audit.walk import RANGE_ALIGNMENT, RangeWalk, walk_range
from civicledger.errors import CivicLedgerError, StoreError
from civicledger.merkle import native
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.reader import NodeReader
from civicledger.store.base import EventStore
from civicledger.store.parts import SqlTarget
from civicledger.store.rows import RowSource
from civicledger.store.sql.engine import open_engine
from civicledger.store.sql.rows import SqlRowSource
from civicledger.store.sql.tree import SqlNodeReader

EVENTS_PER_WORKER = 100_000 if native.available() else 50_000
"""Fewest events worth a worker process: starting one (a fresh interpreter that imports
civicledger and SQLAlchemy, about 1 s on the benchmark machine) costs about as much as
verifying this many rows. With native hashing a row costs under half as much (100,000
rows: 1.41 s in one process, 1.84 s split across two), so a worker needs twice the rows."""


def split(head: int, workers: int) -> list[tuple[int, int]]:
    """Positions 1 to ``head`` in at most ``workers`` ranges of at least EVENTS_PER_WORKER
    events, each after the first starting one past a multiple of RANGE_ALIGNMENT.

    The first range, which this process walks from the start, is longer than the
    others by half of EVENTS_PER_WORKER: while each worker process starts (a fresh
    interpreter importing civicledger), this process is already checking rows, so
    equal ranges would leave it waiting for the workers at the end.

    Returns:
        ``(first, last)`` of each range, in order (one range ``(1, head)`` when small).
    """
    count = max(1, min(workers, head // EVENTS_PER_WORKER))
    blocks = -(-head // RANGE_ALIGNMENT)
    # The head start in blocks, leaving every other range at least one block.
    extra = min(EVENTS_PER_WORKER // 2 // RANGE_ALIGNMENT, blocks - count) if count > 1 else 0
    shared = blocks - extra
    starts = sorted(
        {1} | {(extra + shared * i // count) * RANGE_ALIGNMENT + 1 for i in range(1, count)}
    )
    ends = [start - 1 for start in starts[1:]] + [head]
    return list(zip(starts, ends, strict=True))


@attrs.frozen
class RangeTask:
    """What a worker needs to walk one range: where the ledger is, and the range."""

    url: str
    ledger_id: int
    ledger_name: str
    origin: str
    hash_name: str
    leaf_version: int
    first: int
    last: int
    seal_sizes: tuple[int, ...]
    index: RedactionIndex
    max_problems: int
    check_tiles: bool

    def walk(
        self, rows: RowSource, reader: NodeReader, index: RedactionIndex | None = None
    ) -> RangeWalk:
        """Walk the range, reading through ``rows`` and ``reader``.

        Args:
            rows: the ledger's row source.
            reader: its stored nodes.
            index: the redactions with the event registry (in the calling process);
                None uses the task's own (in a worker, which hands redacted rows back).

        Returns:
            The walk.
        """
        return walk_range(
            rows.row_batches(self.first, self.last),
            first=self.first,
            last=self.last,
            origin=self.origin,
            alg=hash_algorithm(self.hash_name),
            leaf_version=self.leaf_version,
            index=self.index if index is None else index,
            reader=reader if self.check_tiles else None,
            seal_sizes=self.seal_sizes,
            max_problems=self.max_problems,
            defer_redacted=index is None,
        )


def walk_task(task: RangeTask) -> RangeWalk | str:
    """Walk one range in a worker process (its own engine and connection).

    Returns:
        The walk, or the message of the error that stopped it.
    """
    from sqlalchemy.engine import make_url

    try:
        engine = open_engine(make_url(task.url))
    except CivicLedgerError as e:
        return str(e)
    try:
        rows = SqlRowSource(SqlTarget(engine, task.ledger_id, task.ledger_name))
        reader = SqlNodeReader(engine, task.ledger_id, task.ledger_name)
        return task.walk(rows, reader)
    except CivicLedgerError as e:
        return str(e)
    finally:
        engine.dispose()


def sql_walker(
    store: EventStore,
    target: SqlTarget,
    rows: RowSource,
    head: int,
    workers: int,
    *,
    check_tiles: bool = True,
) -> Walker | None:
    """A walker that splits ``store``'s rows 1..head across worker processes.

    Args:
        store: the store.
        target: its SQL database (the workers open their own engines on it).
        rows: its row source (this process's range is read through it).
        head: the last position to verify.
        workers: processes to use, this one included.
        check_tiles: compare the stored level-8 nodes.

    Returns:
        The walker, or None when one range is all there is to walk (few events, one
        worker, or an in-memory database no other process can open).
    """
    url = target.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    ranges = split(head, workers)
    if len(ranges) < 2:
        return None
    text = url.render_as_string(hide_password=False)

    def walk(
        seal_sizes: Sequence[int], index: RedactionIndex, max_problems: int
    ) -> list[RangeWalk]:
        tasks = [
            RangeTask(
                url=text,
                ledger_id=target.ledger_id,
                ledger_name=target.ledger_name,
                origin=store.origin,
                hash_name=store.hash_algorithm,
                leaf_version=store.leaf_version,
                first=first,
                last=last,
                seal_sizes=tuple(s for s in seal_sizes if _due(s, first, last, head)),
                index=index.portable(),
                max_problems=max_problems,
                check_tiles=check_tiles,
            )
            for first, last in ranges
        ]
        here = tasks[0]
        workers = [_start(task) for task in tasks[1:]]
        try:
            walks = [here.walk(rows, store.node_reader(), index)]
            walks += [_result(worker) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        return walks

    return walk


def _start(task: RangeTask) -> subprocess.Popen[bytes]:
    """Start a worker on ``task``; it reads the task from stdin and writes its walk to stdout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    worker = subprocess.Popen(
        [sys.executable, "-m", "civicledger.audit.parallel"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert worker.stdin is not None
    worker.stdin.write(pickle.dumps(task))
    worker.stdin.close()
    return worker


def _result(worker: subprocess.Popen[bytes]) -> RangeWalk:
    assert worker.stdout is not None
    data = worker.stdout.read()
    status = worker.wait()
    result = pickle.loads(data) if status == 0 and data else None
    if isinstance(result, RangeWalk):
        return result
    why = result if isinstance(result, str) else f"it exited with status {status}"
    raise StoreError(f"a verify worker process failed: {why}")


def _main() -> None:
    # Only ever fed by _start, in this library's own parent process.
    task = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(walk_task(task)))


def _due(size: int, first: int, last: int, head: int) -> bool:
    """Whether a single pass checks the seal of ``size`` while walking ``first..last``: when
    the first row past it arrives (or at the end, for a seal of the whole ledger)."""
    return first - 1 <= size < last or size == last == head


__all__ = ["EVENTS_PER_WORKER", "RangeTask", "split", "sql_walker"]

if __name__ == "__main__":
    _main()
