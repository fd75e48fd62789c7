"""Ledgers of a given size, built once into the scratch folder and reused across runs.

A ledger of N events repeats the workload's year with fresh event ids. Its file
is ``benchmarks/work/ledger-<N>.db`` with a small JSON note beside it naming the
workload; a file that does not open, has another head or another workload is
rebuilt.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks import workload
from benchmarks.context import Context
from civicledger.ledger import Ledger
from civicledger.store import NewEvent

BUILD_BATCH = 5000
ORIGIN = "bench.civicledger.example/large"


def url(path: Path) -> str:
    """The SQLAlchemy URL of a ledger file."""
    return f"sqlite:///{path}"


def _usable(path: Path, note: Path, size: int, source: str) -> bool:
    if not path.is_file() or not note.is_file():
        return False
    try:
        if json.loads(note.read_text()).get("workload") != source:
            return False
        with Ledger.open(url(path)) as ledger:
            # A ledger built before leaf format v2 is rebuilt: new ledgers are v2.
            return ledger.head() == size and ledger.store.leaf_version == 2
    except Exception:
        return False


def _add_missing_indexes(path: Path) -> None:
    """Give a cached ledger any index the schema gained since it was built (CREATE INDEX
    IF NOT EXISTS), so it is measured with the same indexes as a new ledger."""
    from sqlalchemy import create_engine

    from civicledger.store.sql import schema

    engine = create_engine(url(path))
    try:
        for table in schema.metadata.sorted_tables:
            for index in table.indexes:
                index.create(engine, checkfirst=True)
    finally:
        engine.dispose()


def ledger_file(ctx: Context, size: int) -> Path:
    """The path of a ledger of ``size`` events, building it first when needed.

    Args:
        ctx: the run's context (the scratch folder).
        size: how many events.

    Returns:
        The SQLite file.
    """
    ctx.work.mkdir(parents=True, exist_ok=True)
    path = ctx.work / f"ledger-{size}.db"
    note = ctx.work / f"ledger-{size}.json"
    load = workload.load()
    if _usable(path, note, size, load.source):
        _add_missing_indexes(path)
        return path
    path = ctx.scratch(path.name)
    note.unlink(missing_ok=True)
    start = time.perf_counter()
    with Ledger.open(url(path), origin=ORIGIN) as ledger:
        for batch in load.batches(size, BUILD_BATCH):
            ledger.append_batch([NewEvent(stream=s, event=e, actor="bench") for s, e in batch])
    seconds = time.perf_counter() - start
    note.write_text(
        json.dumps({"workload": load.source, "size": size, "build_seconds": round(seconds, 1)})
    )
    return path


def peer_file(ctx: Context, size: int) -> Path:
    """The path of an eventsourcing (peer) database of ``size`` events, built when needed."""
    from benchmarks.peer import PeerLedger

    ctx.work.mkdir(parents=True, exist_ok=True)
    path = ctx.work / f"peer-{size}.db"
    note = ctx.work / f"peer-{size}.json"
    load = workload.load()
    if path.is_file() and note.is_file():
        try:
            if json.loads(note.read_text()).get("workload") == load.source:
                return path
        except ValueError:
            pass
    path = ctx.scratch(path.name)
    note.unlink(missing_ok=True)
    peer = PeerLedger(path, synchronous="NORMAL")
    try:
        for batch in load.batches(size, BUILD_BATCH):
            peer.save(peer.prepare(batch))
    finally:
        peer.close()
    note.write_text(json.dumps({"workload": load.source, "size": size}))
    return path
