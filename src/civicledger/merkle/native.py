"""The optional native hashing module (``civicledger.merkle._native``), when it is there.

The build compiles it where a C compiler and OpenSSL's headers are available
(``hatch_build.py``); without it every digest and leaf comes from the
pure-Python path, which writes the same bytes. ``CIVICLEDGER_PURE_PYTHON=1`` in
the environment turns it off at import, to compare the two or to rule it out.

Each function returns None for input it does not handle (text that is not in
canonical form, a value outside what the envelope takes): the caller then takes
the pure-Python path, which decides, and names what is wrong.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

PayloadDigest = Callable[[bytes, "bytes | str"], "bytes | None"]
EnvelopeLeaf = Callable[
    [str, uuid.UUID, str, "date | str", str, bytes, int, str, int, str, int, str, int],
    "bytes | None",
]

Fold = Callable[[list[bytes], int, bytes, int], "list[tuple[int, int, bytes]] | None"]

IntactLeaves = Callable[
    [Sequence[Any], int, int, int, str, int, bytes, "frozenset[str] | None"], "bytes | None"
]


def _load() -> Any:
    if os.environ.get("CIVICLEDGER_PURE_PYTHON") == "1":
        return None
    try:
        from civicledger.merkle import _native
    except ImportError:
        return None
    return _native


_module = _load()

payload_digest_sha256: PayloadDigest | None = (
    None if _module is None else _module.payload_digest_sha256
)
"""``(secret, canonical payload) -> digest | None``: a v2 payload digest, SHA-256."""

envelope_leaf_sha256: EnvelopeLeaf | None = (
    None if _module is None else _module.envelope_leaf_sha256
)
"""``(actor, event_id, hash, occurred_on, origin, payload_digest, position, recorded_at,
schema_version, stream, stream_version, type, v) -> leaf | None``: the leaf hash of an
envelope from its members in key order (dates and timestamps as their stored text)."""


fold_sha256: Fold | None = None if _module is None else _module.fold_sha256
"""``(hashes, size, leaves, stored_levels) -> [(level, index, hash), ...] | None``: append
leaf hashes (concatenated) to a SHA-256 frontier's hash list in place and return the nodes
completed at the levels of the bit mask ``stored_levels``; None (list untouched) for a
list that is not a frontier's."""

intact_leaves_sha256: IntactLeaves | None = (
    None if _module is None else _module.intact_leaves_sha256
)
"""``(rows, start, position, last, origin, v, redacted_prefix, targets) -> leaves | None``:
the leaf hashes, concatenated, of the run of intact rows from ``rows[start]`` (tuples in
StoredRow's field order) at positions ``position`` on, up to ``last``; the run ends at the
first row that is anything else (see ``audit.intact``)."""


def available() -> bool:
    """Whether the native hashing module is loaded (benchmarks and ``--version`` say so)."""
    return _module is not None
