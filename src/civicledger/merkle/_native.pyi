# Stub of the optional C module (src/civicledger/merkle/_native.c).

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

def payload_digest_sha256(secret: bytes, payload: bytes | str, /) -> bytes | None: ...
def envelope_leaf_sha256(
    actor: str,
    event_id: UUID,
    hash: str,
    occurred_on: date | str,
    origin: str,
    payload_digest: bytes,
    position: int,
    recorded_at: str,
    schema_version: int,
    stream: str,
    stream_version: int,
    type: str,
    v: int,
    /,
) -> bytes | None: ...
def fold_sha256(
    hashes: list[bytes], size: int, leaves: bytes, stored_levels: int, /
) -> list[tuple[int, int, bytes]] | None: ...
def intact_leaves_sha256(
    rows: Sequence[Any],
    start: int,
    position: int,
    last: int,
    origin: str,
    v: int,
    redacted_prefix: bytes,
    targets: frozenset[str] | None,
    /,
) -> bytes | None: ...
