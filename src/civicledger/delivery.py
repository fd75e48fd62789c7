"""The delivery file: a ledger's rows, seals and erasures since a seal, for sync without a network.

A delivery file carries what :func:`civicledger.sync.push` sends, so that an
office without a link to the receiving database can hand it over on a disk.
It is JSON Lines (UTF-8, one JSON object per line, each with one key that says
what the line is), in this order::

    {"header": {"format": "civicledger-delivery/1", "ledger": ..., "origin": ...,
                "hash_algorithm": ..., "leaf_version": ..., "since": {"tree_size": ...,
                "root_hash": ...} | null, "tree_size": ..., "root_hash": ...}}
    {"seal": {"tree_size": ..., "root_hash": ..., "sealed_at": ..., "text": ...}}    any number
    {"event": {"position": ..., ..., "leaf_hash": ...}}                              a batch's rows
    {"batch": {"tree_size": ..., "root_hash": ..., "proof": [...]}}                  closes a batch
    {"erasure": {"position": ..., "event_id": ..., "leaf_hash": ..., "payload": ...,
                 "commitments": ...}}                                                any number
    {"end": {"events": ..., "seals": ..., "batches": ..., "erasures": ...}}

Each batch's line gives the sender's root at its last position and a consistency
proof from ``since`` to it, so the receiver applies batches exactly as a push
does. The ``end`` line's counts show a truncated file for what it is. Bytes are
hex; payloads are the stored canonical JSON text, kept as a string. See
``docs/format.md``.

This module only reads and writes the format: :func:`read_delivery` checks every
line (each row against its leaf hash), naming the line of the first problem,
before anything is applied.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from civicledger.audit.checkpoint import Seal
from civicledger.errors import ValidationError
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.store.replica import ReplicaErasure, ReplicaRow, ReplicaSeal, check_row

FORMAT = "civicledger-delivery/1"
"""The format and version this release writes and reads."""

_FORMAT_NAME = FORMAT.partition("/")[0]


@attrs.frozen
class DeliveryHeader:
    """Which ledger a delivery file is of, and what it brings.

    Attributes:
        ledger: the sending ledger's name.
        origin: its origin (a replica shares it).
        hash_algorithm: its hash algorithm.
        leaf_version: its leaf format.
        since_size: the tree size of the seal the file was made since (0: from the start).
        since_root: that seal's root (empty when ``since_size`` is 0).
        tree_size: the sender's head when the file was made.
        root_hash: the sender's root at ``tree_size``.
    """

    ledger: str
    origin: str
    hash_algorithm: str
    leaf_version: int
    since_size: int
    since_root: bytes
    tree_size: int
    root_hash: bytes


@attrs.frozen
class DeliveryBatch:
    """Consecutive rows and the sender's root and proof at the last of them.

    Attributes:
        rows: the rows.
        tree_size: the last row's position.
        root_hash: the sender's root at ``tree_size``.
        proof: the sender's consistency proof from the header's ``since`` to ``tree_size``.
    """

    rows: list[ReplicaRow]
    tree_size: int
    root_hash: bytes
    proof: list[bytes]


@attrs.frozen
class Delivery:
    """A delivery file whose every line was checked; its rows stay on disk.

    Attributes:
        path: the file.
        header: its header.
        seals: its seals.
        erasures: its erasures.
        events: how many rows it holds.
    """

    path: Path
    header: DeliveryHeader
    seals: list[ReplicaSeal]
    erasures: list[ReplicaErasure]
    events: int

    def batches(self) -> Iterator[DeliveryBatch]:
        """Read the batches again, one at a time (each line is checked again as it is read).

        Raises:
            ValidationError: the file changed since it was checked, naming the line.
        """
        rows: list[ReplicaRow] = []
        for _, kind, value in _lines(self.path):
            if kind == "event":
                rows.append(value)
            elif kind == "batch":
                yield attrs.evolve(value, rows=rows)
                rows = []


def write_delivery(
    path: Path,
    header: DeliveryHeader,
    seals: Iterable[ReplicaSeal],
    batches: Iterable[DeliveryBatch],
    erasures: Iterable[ReplicaErasure],
) -> int:
    """Write a delivery file, replacing ``path`` only once the whole file is written.

    Returns:
        How many rows it holds.

    Raises:
        OSError: the file cannot be written.
    """
    counts = {"events": 0, "seals": 0, "batches": 0, "erasures": 0}
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        _write(out, "header", _header_json(header))
        for seal in seals:
            _write(out, "seal", _seal_json(seal))
            counts["seals"] += 1
        for batch in batches:
            for row in batch.rows:
                _write(out, "event", _row_json(row))
            counts["events"] += len(batch.rows)
            _write(
                out,
                "batch",
                {
                    "tree_size": batch.tree_size,
                    "root_hash": batch.root_hash.hex(),
                    "proof": [p.hex() for p in batch.proof],
                },
            )
            counts["batches"] += 1
        for erasure in erasures:
            _write(out, "erasure", _erasure_json(erasure))
            counts["erasures"] += 1
        _write(out, "end", counts)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return counts["events"]


def read_delivery(path: Path) -> Delivery:
    """Check a whole delivery file and read its header, seals and erasures.

    Every line must be JSON of its kind, in the order the format gives; rows must
    be consecutive from the header's ``since`` and each must hash to its leaf; the
    last batch must end at the header's tree size; the ``end`` line's counts must
    match. Nothing is applied here.

    Raises:
        ValidationError: naming the file, the line and (for a row) its position.
    """
    header: DeliveryHeader | None = None
    seals: list[ReplicaSeal] = []
    erasures: list[ReplicaErasure] = []
    counts = {"events": 0, "seals": 0, "batches": 0, "erasures": 0}
    stage = "start"
    last_line = 0
    position = batch_end = 0
    last_root = b""
    for number, kind, value in _lines(path):
        last_line = number
        where = f"{path}, line {number}"
        if kind not in _NEXT[stage]:
            expected = " or ".join(_NEXT[stage]) or "nothing (the end line was read)"
            raise ValidationError(
                f"{where}: a {kind!r} line where the format has {expected}", field=kind
            )
        stage = kind
        if kind == "header":
            header = value
            position = batch_end = header.since_size
            last_root = header.since_root
        elif kind == "seal":
            seals.append(value)
            counts["seals"] += 1
        elif kind == "event":
            if value.position != position + 1:
                raise ValidationError(
                    f"{where}: the row at position {value.position} does not follow position "
                    f"{position}; rows must be consecutive",
                    field="position",
                )
            position = value.position
            counts["events"] += 1
        elif kind == "batch":
            if value.tree_size != position:
                raise ValidationError(
                    f"{where}: the batch line gives tree size {value.tree_size} but its rows "
                    f"end at position {position}",
                    field="batch",
                )
            batch_end, last_root = position, value.root_hash
            counts["batches"] += 1
        elif kind == "erasure":
            erasures.append(value)
            counts["erasures"] += 1
        else:
            assert header is not None  # the order puts the header first
            if batch_end != header.tree_size:
                raise ValidationError(
                    f"{where}: the rows end at position {batch_end} but the header gives "
                    f"tree size {header.tree_size}",
                    field="tree_size",
                )
            if last_root != header.root_hash and header.tree_size:
                raise ValidationError(
                    f"{where}: the header's root is not the root the last batch gives",
                    field="root_hash",
                )
            if value != counts:
                raise ValidationError(
                    f"{where}: the end line counts {value} but the file holds {counts}",
                    field="end",
                )
    if header is None:
        raise ValidationError(f"{path}: the file is empty, not a delivery", field="header")
    if stage != "end":
        raise ValidationError(
            f"{path}: the file ends at line {last_line} without its end line: it is "
            "truncated (was it copied whole?)",
            field="end",
        )
    return Delivery(path, header, seals, erasures, counts["events"])


_NEXT: dict[str, tuple[str, ...]] = {
    "start": ("header",),
    "header": ("seal", "event", "erasure", "end"),
    "seal": ("seal", "event", "erasure", "end"),
    "event": ("event", "batch"),
    "batch": ("event", "erasure", "end"),
    "erasure": ("erasure", "end"),
    "end": (),
}
"""Which kinds of line may follow each kind (``start``: before the first line)."""


def _lines(path: Path) -> Iterator[tuple[int, str, Any]]:
    """Each line's number, kind and parsed value; rows are checked against their leaves."""
    header: DeliveryHeader | None = None
    alg: HashAlgorithm | None = None
    try:
        handle = path.open("rb")
    except OSError as e:
        raise ValidationError(f"{path}: cannot read the delivery: {e.strerror or e}") from e
    with handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}, line {number}"
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise ValidationError(
                    f"{where}: not JSON ({e}); the file is damaged", field="line"
                ) from e
            if not isinstance(data, dict) or len(data) != 1:
                raise ValidationError(
                    f"{where}: a line must be a JSON object with one key", field="line"
                )
            [(kind, body)] = data.items()
            parse = _PARSERS.get(kind)
            if parse is None:
                raise ValidationError(f"{where}: unknown kind of line {kind!r}", field="line")
            if number == 1 and kind != "header":
                raise ValidationError(
                    f"{where}: not a civicledger delivery (it does not start with a header)",
                    field="header",
                )
            try:
                value = parse(_Fields(body, kind))
                if kind == "header":
                    header = value
                    alg = hash_algorithm(header.hash_algorithm)
                elif kind == "event":
                    assert header is not None  # line 1 is the header
                    assert alg is not None
                    check_row(
                        value, origin=header.origin, alg=alg, leaf_version=header.leaf_version
                    )
                elif kind == "seal":
                    assert header is not None
                    _check_seal(value, header)
            except ValidationError as e:
                raise ValidationError(f"{where}: {e.message}", field=e.field) from e
            yield number, kind, value


class _Fields:
    """A line's object, read member by member with errors that name the member."""

    def __init__(self, body: object, kind: str) -> None:
        if not isinstance(body, dict):
            raise ValidationError(f"the {kind} is not a JSON object", field=kind)
        self._body = body
        self._kind = kind

    def get(self, name: str, kind: type, *, optional: bool = False) -> Any:
        if name not in self._body:
            raise ValidationError(f"the {self._kind} has no {name!r}", field=name)
        value: object = self._body[name]
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValidationError(
                f"the {self._kind}'s {name!r} is {value!r}, not a {kind.__name__}", field=name
            )
        if isinstance(value, int) and value < 0:
            raise ValidationError(f"the {self._kind}'s {name!r} is negative", field=name)
        return value

    def hex(self, name: str, *, optional: bool = False) -> Any:
        text = self.get(name, str, optional=optional)
        if text is None:
            return None
        try:
            return bytes.fromhex(text)
        except ValueError as e:
            raise ValidationError(f"the {self._kind}'s {name!r} is not hex", field=name) from e

    def event_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.get("event_id", str))
        except ValueError as e:
            raise ValidationError(
                f"the {self._kind}'s 'event_id' is not a UUID", field="event_id"
            ) from e

    def raw(self, name: str) -> object:
        return self._body.get(name)


def _parse_header(f: _Fields) -> DeliveryHeader:
    found = f.get("format", str)
    if found != FORMAT:
        if found.partition("/")[0] == _FORMAT_NAME:
            raise ValidationError(
                f"the file is {found}, which this version of civicledger cannot read "
                f"(it reads {FORMAT}); upgrade civicledger",
                field="format",
            )
        raise ValidationError(f"not a civicledger delivery (format {found!r})", field="format")
    since = f.raw("since")
    since_size, since_root = 0, b""
    if since is not None:
        anchor = _Fields(since, "since")
        since_size, since_root = anchor.get("tree_size", int), anchor.hex("root_hash")
    return DeliveryHeader(
        ledger=f.get("ledger", str),
        origin=f.get("origin", str),
        hash_algorithm=f.get("hash_algorithm", str),
        leaf_version=f.get("leaf_version", int),
        since_size=since_size,
        since_root=since_root,
        tree_size=f.get("tree_size", int),
        root_hash=f.hex("root_hash"),
    )


def _parse_seal(f: _Fields) -> ReplicaSeal:
    return ReplicaSeal(
        f.get("tree_size", int), f.hex("root_hash"), f.get("sealed_at", str), f.get("text", str)
    )


def _check_seal(seal: ReplicaSeal, header: DeliveryHeader) -> None:
    """The seal's text must say what its members say, for the ledger the header names (the
    text is what the replica keeps and what verify reads)."""
    parsed = Seal.parse(seal.text)
    parsed.check_ledger(header.origin, header.hash_algorithm)
    stamp = None if parsed.sealed_at is None else format_timestamp(parsed.sealed_at)
    if (parsed.tree_size, parsed.root_hash, stamp) != (
        seal.tree_size,
        seal.root_hash,
        seal.sealed_at,
    ):
        raise ValidationError(
            f"the seal's text is of size {parsed.tree_size}, root {parsed.root_hash.hex()}, "
            f"sealed at {stamp}, but the line gives size {seal.tree_size}, root "
            f"{seal.root_hash.hex()}, sealed at {seal.sealed_at}",
            field="seal",
        )


def _parse_event(f: _Fields) -> ReplicaRow:
    return ReplicaRow(
        position=f.get("position", int),
        stream=f.get("stream", str),
        stream_version=f.get("stream_version", int),
        event_id=f.event_id(),
        type=f.get("type", str),
        schema_version=f.get("schema_version", int),
        occurred_on=f.get("occurred_on", str),
        recorded_at=f.get("recorded_at", str),
        actor=f.get("actor", str),
        payload=f.get("payload", str, optional=True),
        salt=f.hex("salt", optional=True),
        commitments=f.get("commitments", str, optional=True),
        payload_digest=f.hex("payload_digest"),
        leaf_hash=f.hex("leaf_hash"),
    )


def _parse_batch(f: _Fields) -> DeliveryBatch:
    proof = f.get("proof", list)
    try:
        hashes = [bytes.fromhex(p) for p in proof]
    except (TypeError, ValueError) as e:
        raise ValidationError("the batch's 'proof' is not a list of hex", field="proof") from e
    return DeliveryBatch([], f.get("tree_size", int), f.hex("root_hash"), hashes)


def _parse_erasure(f: _Fields) -> ReplicaErasure:
    return ReplicaErasure(
        position=f.get("position", int),
        event_id=f.event_id(),
        leaf_hash=f.hex("leaf_hash"),
        payload=f.get("payload", str, optional=True),
        commitments=f.get("commitments", str, optional=True),
    )


def _parse_end(f: _Fields) -> dict[str, int]:
    return {name: f.get(name, int) for name in ("events", "seals", "batches", "erasures")}


_PARSERS: dict[str, Callable[[_Fields], Any]] = {
    "header": _parse_header,
    "seal": _parse_seal,
    "event": _parse_event,
    "batch": _parse_batch,
    "erasure": _parse_erasure,
    "end": _parse_end,
}


def _write(out: IO[bytes], kind: str, body: dict[str, Any]) -> None:
    out.write(orjson.dumps({kind: body}, option=orjson.OPT_SORT_KEYS))
    out.write(b"\n")


def _header_json(header: DeliveryHeader) -> dict[str, Any]:
    since = (
        {"tree_size": header.since_size, "root_hash": header.since_root.hex()}
        if header.since_size
        else None
    )
    return {
        "format": FORMAT,
        "ledger": header.ledger,
        "origin": header.origin,
        "hash_algorithm": header.hash_algorithm,
        "leaf_version": header.leaf_version,
        "since": since,
        "tree_size": header.tree_size,
        "root_hash": header.root_hash.hex(),
    }


def _seal_json(seal: ReplicaSeal) -> dict[str, Any]:
    return {
        "tree_size": seal.tree_size,
        "root_hash": seal.root_hash.hex(),
        "sealed_at": seal.sealed_at,
        "text": seal.text,
    }


def _row_json(row: ReplicaRow) -> dict[str, Any]:
    return {
        "position": row.position,
        "stream": row.stream,
        "stream_version": row.stream_version,
        "event_id": str(row.event_id),
        "type": row.type,
        "schema_version": row.schema_version,
        "occurred_on": row.occurred_on,
        "recorded_at": row.recorded_at,
        "actor": row.actor,
        "payload": row.payload,
        "salt": None if row.salt is None else row.salt.hex(),
        "commitments": row.commitments,
        "payload_digest": row.payload_digest.hex(),
        "leaf_hash": row.leaf_hash.hex(),
    }


def _erasure_json(erasure: ReplicaErasure) -> dict[str, Any]:
    return {
        "position": erasure.position,
        "event_id": str(erasure.event_id),
        "leaf_hash": erasure.leaf_hash.hex(),
        "payload": erasure.payload,
        "commitments": erasure.commitments,
    }


__all__ = [
    "FORMAT",
    "Delivery",
    "DeliveryBatch",
    "DeliveryHeader",
    "read_delivery",
    "write_delivery",
]
