"""The optional native hashing module (``civicledger.merkle._native``), when it is there.

The build compiles it where a C compiler and OpenSSL's headers are available
(``hatch_build.py``); without it every digest comes from the pure-Python path,
which writes the same bytes. ``CIVICLEDGER_PURE_PYTHON=1`` in the environment
turns it off at import, to compare the two or to rule it out.
"""

from __future__ import annotations

import os
from collections.abc import Callable

PayloadDigest = Callable[[bytes, "bytes | str"], "bytes | None"]


def _load() -> PayloadDigest | None:
    if os.environ.get("CIVICLEDGER_PURE_PYTHON") == "1":
        return None
    try:
        from civicledger.merkle import _native
    except ImportError:
        return None
    return _native.payload_digest_sha256


payload_digest_sha256: PayloadDigest | None = _load()
"""``(secret, canonical payload) -> digest | None`` for SHA-256 v2 leaves, or None
without the module. The function returns None for a payload it does not hash
(not canonical, or outside the payload domain): the caller then takes the
pure-Python path, which decides."""


def available() -> bool:
    """Whether the native hashing module is loaded (benchmarks and ``--version`` say so)."""
    return payload_digest_sha256 is not None
