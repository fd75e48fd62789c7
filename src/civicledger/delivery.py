"""The delivery file: a ledger's rows, seals, erasures and cosignatures since a seal, for sync
without a network.

A delivery file carries what :func:`civicledger.sync.push` sends, so that an
office without a link to the receiving database can hand it over on a disk.
It is JSON Lines (UTF-8, one JSON object per line, each with one key that says
what the line is), in this order::

    {"header": {"format": "civicledger-delivery/2", "ledger": ..., "origin": ...,
                "hash_algorithm": ..., "leaf_version": ..., "since": {"tree_size": ...,
                "root_hash": ...} | null, "tree_size": ..., "root_hash": ...}}
    {"seal": {"tree_size": ..., "root_hash": ..., "sealed_at": ..., "text": ...}}    any number
    {"event": {"position": ..., ..., "leaf_hash": ...}}                              a batch's rows
    {"batch": {"tree_size": ..., "root_hash": ..., "proof": [...]}}                  closes a batch
    {"erasure": {"position": ..., "event_id": ..., "leaf_hash": ..., "payload": ...,
                 "commitments": ...}}                                                any number
    {"cosignature": {"tree_size": ..., "root_hash": ..., "sealed_at": ...,
                     "verifier": ..., "signature": ...}}                             any number
    {"end": {"events": ..., "seals": ..., "batches": ..., "erasures": ...,
             "cosignatures": ...}}

Format ``civicledger-delivery/1`` is the same without cosignature lines and
without the ``end`` line's ``cosignatures``; it is still read.

Each batch's line gives the sender's root at its last position and a consistency
proof from ``since`` to it, so the receiver applies batches exactly as a push
does. The ``end`` line's counts show a truncated file for what it is. Bytes are
hex; payloads are the stored canonical JSON text, kept as a string. See
``docs/format.md``.

This module only reads and writes the format: :func:`read_delivery` checks every
line (each row against its leaf hash), naming the line of the first problem,
before anything is applied. The cosignatures are checked by the receiver, which
knows the seals they name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from civicledger.audit.checkpoint import Seal
from civicledger.delivery_lines import (
    FORMAT,
    FORMAT_V1,
    PARSERS,
    READABLE,
    DeliveryBatch,
    DeliveryCosignature,
    DeliveryHeader,
    Fields,
    batch_json,
    cosignature_json,
    erasure_json,
    header_json,
    row_json,
    seal_json,
)
from civicledger.errors import ValidationError
from civicledger.events.text import format_timestamp
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.store.replica import ReplicaErasure, ReplicaRow, ReplicaSeal, check_row


@attrs.frozen
class Delivery:
    """A delivery file whose every line was checked; its rows stay on disk.

    Attributes:
        path: the file.
        header: its header.
        seals: its seals.
        erasures: its erasures.
        events: how many rows it holds.
        cosignatures: its cosignatures (none in a ``civicledger-delivery/1`` file).
        batch_digests: the SHA-256 of each batch's lines as they were checked, so
            :meth:`batches` reads the same rows again without hashing each row
            again; empty when unknown (each row is then checked again).
    """

    path: Path
    header: DeliveryHeader
    seals: list[ReplicaSeal]
    erasures: list[ReplicaErasure]
    events: int
    cosignatures: list[DeliveryCosignature] = attrs.Factory(list)
    batch_digests: tuple[bytes, ...] = ()

    def batches(self) -> Iterator[DeliveryBatch]:
        """Read the batches again, one at a time.

        Each batch's lines must be the very bytes :func:`read_delivery` checked
        (row by row, against their leaves); a batch that changed since is refused
        before it is yielded.

        Raises:
            ValidationError: the file changed since it was checked, naming the line.
        """
        known = bool(self.batch_digests)
        rows: list[ReplicaRow] = []
        digest = hashlib.sha256()
        index = 0
        for number, kind, value, line in _lines(self.path, check_rows=not known):
            if kind == "event":
                rows.append(value)
                digest.update(line)
            elif kind == "batch":
                digest.update(line)
                if known and (
                    index >= len(self.batch_digests) or digest.digest() != self.batch_digests[index]
                ):
                    raise ValidationError(
                        f"{self.path}, line {number}: the batch ending at position "
                        f"{value.tree_size} is not the one that was checked: the file changed "
                        "while it was being received",
                        field="batch",
                    )
                yield attrs.evolve(value, rows=rows)
                rows, digest, index = [], hashlib.sha256(), index + 1
        if known and index != len(self.batch_digests):
            raise ValidationError(
                f"{self.path}: the file has {index} of the {len(self.batch_digests)} batches "
                "that were checked: it changed while it was being received",
                field="batch",
            )


def write_delivery(
    path: Path,
    header: DeliveryHeader,
    seals: Iterable[ReplicaSeal],
    batches: Iterable[DeliveryBatch],
    erasures: Iterable[ReplicaErasure],
    cosignatures: Iterable[DeliveryCosignature] = (),
) -> int:
    """Write a delivery file in format ``FORMAT``, replacing ``path`` only once the whole file
    is written; a failure leaves ``path`` as it was and no partial file beside it.

    Returns:
        How many rows it holds.

    Raises:
        OSError: the file cannot be written.
        DamagedRowError: a row cannot be sent (from reading ``batches`` or ``erasures``).
    """
    counts = {"events": 0, "seals": 0, "batches": 0, "erasures": 0, "cosignatures": 0}
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            _write(out, "header", header_json(header))
            for seal in seals:
                _write(out, "seal", seal_json(seal))
                counts["seals"] += 1
            for batch in batches:
                for row in batch.rows:
                    _write(out, "event", row_json(row))
                counts["events"] += len(batch.rows)
                _write(out, "batch", batch_json(batch))
                counts["batches"] += 1
            for erasure in erasures:
                _write(out, "erasure", erasure_json(erasure))
                counts["erasures"] += 1
            for cosignature in cosignatures:
                _write(out, "cosignature", cosignature_json(cosignature))
                counts["cosignatures"] += 1
            _write(out, "end", counts)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)  # a failed delivery leaves no partial file behind
        raise
    os.replace(partial, path)
    return counts["events"]


def read_delivery(path: Path) -> Delivery:
    """Check a whole delivery file and read its header, seals, erasures and cosignatures.

    Every line must be JSON of its kind, in the order the format gives; rows must
    be consecutive from the header's ``since`` and each must hash to its leaf; the
    last batch must end at the header's tree size; the ``end`` line's counts must
    match. Nothing is applied here, and cosignatures are only read (the receiver
    checks them against the seals they name).

    Raises:
        ValidationError: naming the file, the line and (for a row) its position.
    """
    header: DeliveryHeader | None = None
    seals: list[ReplicaSeal] = []
    erasures: list[ReplicaErasure] = []
    cosignatures: list[DeliveryCosignature] = []
    digests: list[bytes] = []
    digest = hashlib.sha256()
    counts = {"events": 0, "seals": 0, "batches": 0, "erasures": 0}
    stage = "start"
    last_line = 0
    position = batch_end = 0
    last_root = b""
    for number, kind, value, line in _lines(path, check_rows=True):
        last_line = number
        where = f"{path}, line {number}"
        if kind not in _NEXT[stage]:
            expected = " or ".join(_next_kinds(stage, header)) or "nothing (the end line was read)"
            raise ValidationError(
                f"{where}: a {kind!r} line where the format has {expected}", field=kind
            )
        stage = kind
        if kind == "header":
            header = value
            position = batch_end = header.since_size
            last_root = header.since_root
            if header.format != FORMAT_V1:
                counts["cosignatures"] = 0
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
            digest.update(line)
        elif kind == "batch":
            if value.tree_size != position:
                raise ValidationError(
                    f"{where}: the batch line gives tree size {value.tree_size} but its rows "
                    f"end at position {position}",
                    field="batch",
                )
            batch_end, last_root = position, value.root_hash
            counts["batches"] += 1
            digest.update(line)
            digests.append(digest.digest())
            digest = hashlib.sha256()
        elif kind == "erasure":
            erasures.append(value)
            counts["erasures"] += 1
        elif kind == "cosignature":
            cosignatures.append(attrs.evolve(value, line=number))
            counts["cosignatures"] += 1
        else:
            assert header is not None  # the order puts the header first
            _check_end(where, header, value, counts, batch_end, last_root)
    if header is None:
        raise ValidationError(f"{path}: the file is empty, not a delivery", field="header")
    if stage != "end":
        raise ValidationError(
            f"{path}: the file ends at line {last_line} without its end line: it is "
            "truncated (was it copied whole?)",
            field="end",
        )
    return Delivery(path, header, seals, erasures, counts["events"], cosignatures, tuple(digests))


def _check_end(
    where: str,
    header: DeliveryHeader,
    end: dict[str, int],
    counts: dict[str, int],
    batch_end: int,
    last_root: bytes,
) -> None:
    """The rows must end at the header's head with its root, and the counts must be the file's."""
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
    if end != counts:
        raise ValidationError(
            f"{where}: the end line counts {end} but the file holds {counts}",
            field="end",
        )


_NEXT: dict[str, tuple[str, ...]] = {
    "start": ("header",),
    "header": ("seal", "event", "erasure", "cosignature", "end"),
    "seal": ("seal", "event", "erasure", "cosignature", "end"),
    "event": ("event", "batch"),
    "batch": ("event", "erasure", "cosignature", "end"),
    "erasure": ("erasure", "cosignature", "end"),
    "cosignature": ("cosignature", "end"),
    "end": (),
}
"""Which kinds of line may follow each kind (``start``: before the first line)."""


def _next_kinds(stage: str, header: DeliveryHeader | None) -> list[str]:
    """The kinds that may follow ``stage`` in this file's format (/1 has no cosignatures)."""
    v1 = header is not None and header.format == FORMAT_V1
    return [kind for kind in _NEXT[stage] if not (v1 and kind == "cosignature")]


def _lines(path: Path, *, check_rows: bool) -> Iterator[tuple[int, str, Any, bytes]]:
    """Each line's number, kind, parsed value and bytes; rows are checked against their leaves
    when ``check_rows``."""
    header: DeliveryHeader | None = None
    alg: HashAlgorithm | None = None
    try:
        handle = path.open("rb")
    except OSError as e:
        raise ValidationError(f"{path}: cannot read the delivery: {e.strerror or e}") from e
    with handle:
        for number, line in enumerate(handle, start=1):
            where = f"{path}, line {number}"
            kind, body = _kind_of(where, number, line)
            if kind == "cosignature" and header is not None and header.format == FORMAT_V1:
                raise ValidationError(
                    f"{where}: a 'cosignature' line in a {FORMAT_V1} file, which carries "
                    f"none (cosignatures came with {FORMAT})",
                    field="line",
                )
            try:
                value = PARSERS[kind](Fields(body, kind))
            except ValidationError as e:
                named = f"{where}{_event_position(kind, body)}"
                raise ValidationError(f"{named}: {e.message}", field=e.field) from e
            try:
                if kind == "header":
                    header = value
                    alg = hash_algorithm(header.hash_algorithm)
                elif kind == "event" and check_rows:
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
            yield number, kind, value, line


def _event_position(kind: str, body: object) -> str:
    """`` (position N)`` for an event line whose position reads, to name the row an error in
    another of its fields is about; empty otherwise."""
    position = body.get("position") if kind == "event" and isinstance(body, dict) else None
    return f" (position {position})" if type(position) is int else ""


def _kind_of(where: str, number: int, line: bytes) -> tuple[str, object]:
    """A line's kind and body, which must be a JSON object with one known key."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"{where}: not JSON ({e}); the file is damaged", field="line") from e
    if not isinstance(data, dict) or len(data) != 1:
        raise ValidationError(f"{where}: a line must be a JSON object with one key", field="line")
    [(kind, body)] = data.items()
    if kind not in PARSERS:
        raise ValidationError(f"{where}: unknown kind of line {kind!r}", field="line")
    if number == 1 and kind != "header":
        raise ValidationError(
            f"{where}: not a civicledger delivery (it does not start with a header)",
            field="header",
        )
    return kind, body


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


def _write(out: IO[bytes], kind: str, body: dict[str, Any]) -> None:
    out.write(orjson.dumps({kind: body}, option=orjson.OPT_SORT_KEYS))
    out.write(b"\n")


__all__ = [
    "FORMAT",
    "READABLE",
    "Delivery",
    "DeliveryBatch",
    "DeliveryCosignature",
    "DeliveryHeader",
    "read_delivery",
    "write_delivery",
]
