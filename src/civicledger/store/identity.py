"""Ledger names and origins: checking them, and making an origin when none is given."""

from __future__ import annotations

import re
import secrets

from civicledger.errors import ValidationError
from civicledger.merkle.leaf import LEAF_VERSIONS

MAX_NAME_LENGTH = 200
"""Longest ledger name accepted."""

MAX_ORIGIN_LENGTH = 255
"""Longest origin accepted; seals carry it as their first line."""

_ORIGIN = re.compile(r"^[\x21-\x7e]+$")


def check_ledger_name(name: object) -> str:
    """Check a ledger name: non-empty text without control characters.

    Args:
        name: the candidate name.

    Returns:
        The name.

    Raises:
        ValidationError: the name is not acceptable.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"ledger name must be non-empty text of at most {MAX_NAME_LENGTH} characters, "
            f"got {name!r}",
            field="ledger",
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ValidationError(f"ledger name {name!r} contains a control character", field="ledger")
    return name


def check_origin(origin: object) -> str:
    """Check an origin: printable ASCII without spaces, as a checkpoint's first line needs.

    Args:
        origin: the candidate origin, e.g. ``"ledger.example.org/community-x"``.

    Returns:
        The origin.

    Raises:
        ValidationError: the origin is not acceptable.
    """
    if not isinstance(origin, str) or len(origin) > MAX_ORIGIN_LENGTH or not _ORIGIN.match(origin):
        raise ValidationError(
            f"origin must be 1 to {MAX_ORIGIN_LENGTH} printable ASCII characters without "
            f"spaces (e.g. 'records.example.org/community-x'), got {origin!r}",
            field="origin",
        )
    return origin


def make_origin(name: str) -> str:
    """Make a globally unique origin for a new ledger: ``civicledger.local/<name>/<random>``.

    Characters of the name outside ``[A-Za-z0-9._-]`` become ``_``; 16 random
    bytes (in hex) make two ledgers of the same name in different databases differ.

    Args:
        name: the ledger's name.

    Returns:
        The origin.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100]
    return f"civicledger.local/{safe}/{secrets.token_hex(16)}"


def check_leaf_version(version: object) -> int:
    """Check a leaf format version for a new ledger: 1 or 2.

    Raises:
        ValidationError: it is neither.
    """
    if version not in LEAF_VERSIONS or version.__class__ is not int:
        raise ValidationError(
            f"leaf_version must be one of {', '.join(map(str, LEAF_VERSIONS))}, got {version!r}",
            field="leaf_version",
        )
    return int(str(version))
