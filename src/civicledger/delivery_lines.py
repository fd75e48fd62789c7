"""The lines of a delivery file, one kind at a time: what each holds, to and from JSON.

:mod:`civicledger.delivery` reads and writes whole files (the order of the
lines, the counts, the checks that span lines); this module turns one line's
JSON object into its value, naming the member at fault, and back. See
``docs/format.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.store.replica import ReplicaErasure, ReplicaRow, ReplicaSeal

FORMAT_V1 = "civicledger-delivery/1"
"""Rows, seals and erasures."""

FORMAT_V2 = "civicledger-delivery/2"
"""Format /1 and the cosignatures of the sender's seals."""

FORMAT = FORMAT_V2
"""The format and version this release writes."""

READABLE = (FORMAT_V1, FORMAT_V2)
"""Every format this release reads."""

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
        format: the format the file read is in; a written file is always in ``FORMAT``.
    """

    ledger: str
    origin: str
    hash_algorithm: str
    leaf_version: int
    since_size: int
    since_root: bytes
    tree_size: int
    root_hash: bytes
    format: str = FORMAT


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
class DeliveryCosignature:
    """A cosignature of one of the sender's seals, as a delivery file carries it.

    The seal is named by its size, root and time, which its checkpoint states; the
    receiver finds it among the file's seals and its own, then reads and checks
    the cosignature as ``push`` and ``verify`` do.

    Attributes:
        tree_size: the countersigned seal's tree size.
        root_hash: its root.
        sealed_at: when it was made, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
        verifier: the cosigner's verifier key text.
        signature: the cosignature line.
        line: the line of the file it was read from (0 when not read from a file).
    """

    tree_size: int
    root_hash: bytes
    sealed_at: str
    verifier: str
    signature: str
    line: int = attrs.field(default=0, eq=False)

    @property
    def signer(self) -> str:
        """The cosigner's key name, as its verifier key text gives it (not yet checked)."""
        return self.verifier.partition("+")[0]


class Fields:
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


def _parse_header(f: Fields) -> DeliveryHeader:
    found = f.get("format", str)
    if found not in READABLE:
        if found.partition("/")[0] == _FORMAT_NAME:
            raise ValidationError(
                f"the file is {found}, which this version of civicledger cannot read "
                f"(it reads {' and '.join(READABLE)}); upgrade civicledger",
                field="format",
            )
        raise ValidationError(f"not a civicledger delivery (format {found!r})", field="format")
    since = f.raw("since")
    since_size, since_root = 0, b""
    if since is not None:
        anchor = Fields(since, "since")
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
        format=found,
    )


def _parse_seal(f: Fields) -> ReplicaSeal:
    return ReplicaSeal(
        f.get("tree_size", int), f.hex("root_hash"), f.get("sealed_at", str), f.get("text", str)
    )


def _parse_event(f: Fields) -> ReplicaRow:
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


def _parse_batch(f: Fields) -> DeliveryBatch:
    proof = f.get("proof", list)
    try:
        hashes = [bytes.fromhex(p) for p in proof]
    except (TypeError, ValueError) as e:
        raise ValidationError("the batch's 'proof' is not a list of hex", field="proof") from e
    return DeliveryBatch([], f.get("tree_size", int), f.hex("root_hash"), hashes)


def _parse_erasure(f: Fields) -> ReplicaErasure:
    return ReplicaErasure(
        position=f.get("position", int),
        event_id=f.event_id(),
        leaf_hash=f.hex("leaf_hash"),
        payload=f.get("payload", str, optional=True),
        commitments=f.get("commitments", str, optional=True),
    )


def _parse_cosignature(f: Fields) -> DeliveryCosignature:
    return DeliveryCosignature(
        tree_size=f.get("tree_size", int),
        root_hash=f.hex("root_hash"),
        sealed_at=f.get("sealed_at", str),
        verifier=f.get("verifier", str),
        signature=f.get("signature", str),
    )


def _parse_end(f: Fields) -> dict[str, int]:
    # A /1 file's end line has no cosignature count; delivery.py asks for it in a /2 file.
    counts = {name: f.get(name, int) for name in ("events", "seals", "batches", "erasures")}
    if f.raw("cosignatures") is not None:
        counts["cosignatures"] = f.get("cosignatures", int)
    return counts


PARSERS: dict[str, Callable[[Fields], Any]] = {
    "header": _parse_header,
    "seal": _parse_seal,
    "event": _parse_event,
    "batch": _parse_batch,
    "erasure": _parse_erasure,
    "cosignature": _parse_cosignature,
    "end": _parse_end,
}
"""How each kind of line is read."""


def header_json(header: DeliveryHeader) -> dict[str, Any]:
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


def seal_json(seal: ReplicaSeal) -> dict[str, Any]:
    return {
        "tree_size": seal.tree_size,
        "root_hash": seal.root_hash.hex(),
        "sealed_at": seal.sealed_at,
        "text": seal.text,
    }


def row_json(row: ReplicaRow) -> dict[str, Any]:
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


def batch_json(batch: DeliveryBatch) -> dict[str, Any]:
    return {
        "tree_size": batch.tree_size,
        "root_hash": batch.root_hash.hex(),
        "proof": [p.hex() for p in batch.proof],
    }


def erasure_json(erasure: ReplicaErasure) -> dict[str, Any]:
    return {
        "position": erasure.position,
        "event_id": str(erasure.event_id),
        "leaf_hash": erasure.leaf_hash.hex(),
        "payload": erasure.payload,
        "commitments": erasure.commitments,
    }


def cosignature_json(cosignature: DeliveryCosignature) -> dict[str, Any]:
    return {
        "tree_size": cosignature.tree_size,
        "root_hash": cosignature.root_hash.hex(),
        "sealed_at": cosignature.sealed_at,
        "verifier": cosignature.verifier,
        "signature": cosignature.signature,
    }


__all__ = [
    "FORMAT",
    "FORMAT_V1",
    "FORMAT_V2",
    "PARSERS",
    "READABLE",
    "DeliveryBatch",
    "DeliveryCosignature",
    "DeliveryHeader",
    "Fields",
]
