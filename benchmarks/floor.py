"""The physical floor: raw ``sqlite3`` writing pre-built rows into the store's own table.

The floor does none of our work (no validation, encoding, hashing, id or clock
per event): its rows are built before the clock starts. It uses the very table
and indexes our SQL store creates (from ``civicledger.store.sql.schema``), the
same journal mode and the same ``synchronous`` setting, so the ratio
ours / floor is the cost of everything the ledger adds on top of the insert.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, insert

from civicledger.events import Event, canonical_bytes, to_dict
from civicledger.store.ids import UuidV7Generator
from civicledger.store.sql import schema

Row = tuple[Any, ...]

_COLUMNS = [c.name for c in schema.events.columns]
_INSERT = (
    f"INSERT INTO {schema.events.name} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM {schema.events.name} ORDER BY position"


def create(path: Path) -> None:
    """Create the store's tables in a fresh SQLite file, with one ledger row (id 1)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(schema.ledgers).values(
                    id=1,
                    name="floor",
                    origin="bench.floor",
                    hash_algorithm="sha256",
                    created_at="2023-01-01T00:00:00.000000Z",
                    head=0,
                    frontier=b"",
                )
            )
    finally:
        engine.dispose()


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """Open the floor's file the way the store opens its own: WAL and the given synchronous."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    return connection


def build_rows(events: Sequence[tuple[str, Event]]) -> list[Row]:
    """Pre-build the rows our store would write for these events (outside any timing)."""
    ids = UuidV7Generator().new_ids(len(events))
    recorded_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    versions: dict[str, int] = {}
    rows: list[Row] = []
    for position, ((stream, event), event_id) in enumerate(zip(events, ids, strict=True), 1):
        versions[stream] = versions.get(stream, 0) + 1
        payload = canonical_bytes(to_dict(event))
        salt = os.urandom(16)
        digest = hashlib.sha256(salt + payload).digest()
        rows.append(
            (
                1,
                position,
                stream,
                versions[stream],
                event_id.bytes,
                type(event).__event_type__,
                type(event).__schema_version__,
                event.occurred_on.isoformat(),
                recorded_at,
                "bench",
                payload.decode(),
                salt,
                None,  # commitments: only a redaction writes them
                digest,
                hashlib.sha256(b"\x00" + digest).digest(),
            )
        )
    return rows


def append_batches(connection: sqlite3.Connection, rows: Sequence[Row], batch_size: int) -> None:
    """Insert rows ``batch_size`` per transaction with ``executemany``."""
    for start in range(0, len(rows), batch_size):
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(_INSERT, rows[start : start + batch_size])
        connection.execute("COMMIT")


def append_singles(connection: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Insert rows one per transaction."""
    for row in rows:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(_INSERT, row)
        connection.execute("COMMIT")


def read_decoded(connection: sqlite3.Connection, fetch: int = 1000) -> Iterator[tuple[Row, Any]]:
    """Read every row in position order and decode its payload JSON with orjson."""
    cursor = connection.execute(_SELECT)
    while chunk := cursor.fetchmany(fetch):
        for row in chunk:
            yield row, orjson.loads(row[10])
