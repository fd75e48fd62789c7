"""The physical floor: raw ``sqlite3`` writing pre-built rows into the store's own table.

The floor does none of our work (no validation, encoding, hashing, id or clock
per event): its rows are built before the clock starts. It uses the very table
and indexes our SQL store creates (from ``civicledger.store.sql.schema``), the
same journal mode and the same ``synchronous`` setting, so the ratio
ours / floor is the cost of everything the ledger adds on top of the insert.

The **hashing floor** (:func:`append_hashed`) adds back only the hashing every
ledger event needs, written with ``hashlib`` and ``orjson`` and nothing around
it: the canonical payload, leaf format v2's salted field digests, the envelope,
the leaf and the Merkle fold with its level-8 tiles. What our append costs beyond
it is validation, typed events, ids, the clock and the store's own bookkeeping;
what the hashing floor costs beyond the plain floor is what hashing costs in
Python at all.

The **native hashing floor** (:func:`append_native_hashed`) is the hashing floor
with civicledger's C hashing in place of ``hashlib``: the same bytes at the cost
the library pays for them. Ours does all of it and more, so its rate bounds ours.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, insert

from civicledger.events import Event, canonical_bytes, to_dict
from civicledger.merkle import native
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.tree import Frontier
from civicledger.store.ids import UuidV7Generator
from civicledger.store.sql import schema

Row = tuple[Any, ...]

_COLUMNS = [c.name for c in schema.events.columns]
_INSERT = (
    f"INSERT INTO {schema.events.name} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_INSERT_TILE = (
    f"INSERT INTO {schema.tiles.name} (ledger_id, level, node_index, hash) VALUES (?, ?, ?, ?)"
)
_IPAD = bytes(b ^ 0x36 for b in range(256))  # HMAC's inner and outer key pads, as
_OPAD = bytes(b ^ 0x5C for b in range(256))  # bytes.translate tables
_TILE_SIZES = {1 << 8: 8, 1 << 16: 16}
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


def v2_digest(secret: bytes, fields: dict[str, Any]) -> bytes:
    """Leaf format v2's payload digest (docs/hashing.md §1a) with the standard library alone,
    written as fast as it goes: each field's HMAC-SHA-256 from copies of the key's two
    padded states (what ``hmac`` does inside, without its per-call object)."""
    sha256, dumps = hashlib.sha256, orjson.dumps
    padded = secret.ljust(64, b"\x00")
    inner, outer = sha256(padded.translate(_IPAD)), sha256(padded.translate(_OPAD))
    hexes = []
    for name, value in fields.items():
        step = inner.copy()
        step.update(name.encode())
        mac = outer.copy()
        mac.update(step.digest())
        hexes.append(sha256(dumps([mac.hexdigest()[:32], name, value])).hexdigest())
    hexes.sort()
    return sha256(dumps(hexes)).digest()


def hashing_inputs(events: Sequence[tuple[str, Event]]) -> list[Row]:
    """What the hashing floor starts from (outside any timing): each event's row without
    its payload bytes, salt, digest and leaf, then its id as text and its payload as a dict
    (ids, like the floor's rows, are made before the clock starts)."""
    return [
        (*row[:10], str(uuid.UUID(bytes=row[4])), to_dict(event))
        for row, (_, event) in zip(build_rows(events), events, strict=True)
    ]


def native_hashing_inputs(inputs: Sequence[Row]) -> list[Row]:
    """What the native hashing floor starts from: the hashing floor's ``inputs``
    (:func:`hashing_inputs`), each id as the ``uuid.UUID`` the native leaf takes."""
    return [(*row, uuid.UUID(id_text), fields) for *row, id_text, fields in inputs]


def append_hashed(connection: sqlite3.Connection, inputs: Sequence[Row], batch_size: int) -> None:
    """Hash and insert ``inputs`` ``batch_size`` per transaction: per event the canonical
    payload, a fresh secret, the v2 digest, the envelope and its leaf, folded into the
    Merkle frontier; each completed level-8 node a tile row; the head moved per batch."""
    sha = hashlib.sha256
    stack: list[tuple[int, bytes]] = []
    count = 0
    for start in range(0, len(inputs), batch_size):
        rows = []
        tiles = []
        for *row, id_text, fields in inputs[start : start + batch_size]:
            payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
            secret = os.urandom(16)
            digest = v2_digest(secret, fields)
            envelope = orjson.dumps(
                {
                    "actor": row[9],
                    "event_id": id_text,
                    "hash": "sha256",
                    "occurred_on": row[7],
                    "origin": "bench.floor",
                    "payload_digest": digest.hex(),
                    "position": row[1],
                    "recorded_at": row[8],
                    "schema_version": row[6],
                    "stream": row[2],
                    "stream_version": row[3],
                    "type": row[5],
                    "v": 2,
                },
                option=orjson.OPT_SORT_KEYS,
            )
            leaf = sha(b"\x00" + envelope).digest()
            node = (1, leaf)
            count += 1
            while stack and stack[-1][0] == node[0]:
                size, left = stack.pop()
                node = (size * 2, sha(b"\x01" + left + node[1]).digest())
                if node[0] in _TILE_SIZES:  # a stored level (8 or 16) completed
                    level = _TILE_SIZES[node[0]]
                    tiles.append((1, level, (count >> level) - 1, node[1]))
            stack.append(node)
            rows.append((*row, payload.decode(), secret, None, digest, leaf))
        _write_batch(connection, rows, tiles, count, b"".join(h for _, h in stack))


def append_native_hashed(
    connection: sqlite3.Connection, inputs: Sequence[Row], batch_size: int
) -> None:
    """What :func:`append_hashed` does, with the library's C hashing (``merkle._native``)
    in place of ``hashlib``: the canonical payload, one call for the v2 digest, one for
    the leaf, one fold per batch with its tiles, the head moved per batch. It is the
    format's cost with nothing else around it; ours must add validation, typed events,
    versions and ids to it, so it bounds what ours can reach.

    Raises:
        RuntimeError: the native module is not built.
    """
    digest_of, leaf_of = native.payload_digest_sha256, native.envelope_leaf_sha256
    if digest_of is None or leaf_of is None:
        raise RuntimeError("the native hashing floor needs civicledger's C module built")
    dumps, sort_keys = orjson.dumps, orjson.OPT_SORT_KEYS
    frontier = Frontier(hash_algorithm("sha256"))
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start : start + batch_size]
        randomness = os.urandom(16 * len(chunk))  # drawn once per batch, as the append does
        rows = []
        leaves = []
        for n, (*row, event_id, fields) in enumerate(chunk):
            payload = dumps(fields, option=sort_keys)
            secret = randomness[16 * n : 16 * n + 16]
            digest = digest_of(secret, payload)
            leaf = leaf_of(
                row[9], event_id, "sha256", row[7], "bench.floor", digest, row[1], row[8],
                row[6], row[2], row[3], row[5], 2,
            )  # fmt: skip
            leaves.append(leaf)
            rows.append((*row, payload.decode(), secret, None, digest, leaf))
        nodes = frontier.extend_packed(b"".join(leaves))
        tiles = [(1, n.level, n.index, n.hash) for n in nodes]
        _write_batch(connection, rows, tiles, frontier.size, frontier.to_bytes())


def _write_batch(
    connection: sqlite3.Connection,
    rows: Sequence[Row],
    tiles: Sequence[Row],
    head: int,
    frontier: bytes,
) -> None:
    """One hashing floor's transaction: the batch's rows and tiles, and the head moved."""
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(_INSERT, rows)
    connection.executemany(_INSERT_TILE, tiles)
    connection.execute(
        "UPDATE civicledger_ledgers SET head = ?, frontier = ? WHERE id = 1", (head, frontier)
    )
    connection.execute("COMMIT")


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
