"""Canonical bytes: the RFC 8785 encoding of a JSON value, which is what gets hashed."""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

from civicledger.errors import ValidationError
from civicledger.events.fields import MAX_SAFE_INTEGER


def canonical_bytes(obj: Any) -> bytes:
    """Encode a JSON value as RFC 8785 canonical bytes.

    Encoded payloads (ASCII keys; text, integers within ±(2**53 - 1), booleans,
    null, lists and objects) take a fast path through orjson, whose output is
    identical there (a differential test checks it); anything else goes through
    the reference encoder.

    Args:
        obj: a JSON value (dict, list, str, int, bool or None).

    Returns:
        The canonical UTF-8 bytes.

    Raises:
        ValidationError: the value holds a float or something JSON cannot hold.
    """
    if _in_fast_domain(obj):
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as e:  # e.g. an unpaired surrogate in a string
            raise ValidationError(f"cannot encode as canonical JSON: {e}") from e
    if holds_float(obj):
        raise ValidationError("floats are not allowed in canonical JSON; use int or Decimal text")
    try:
        return rfc8785.dumps(obj)
    except Exception as e:
        raise ValidationError(f"cannot encode as canonical JSON: {e}") from e


def _in_fast_domain(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    if kind is dict:
        return _members_in_fast_domain(value)
    if kind is list:
        return _items_in_fast_domain(value)
    return False


# Written out as loops that settle text, booleans and nulls inline: this check runs on
# every list or object a v2 digest hashes, and the generator and call per item showed.
def _members_in_fast_domain(value: dict[Any, Any]) -> bool:
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            return False
        kind = type(item)
        if not (kind is str or kind is bool or item is None or _in_fast_domain(item)):
            return False
    return True


def _items_in_fast_domain(value: list[Any]) -> bool:
    for item in value:
        kind = type(item)
        if not (kind is str or kind is bool or item is None or _in_fast_domain(item)):
            return False
    return True


def holds_float(value: Any) -> bool:
    """Whether a parsed JSON value holds a float anywhere (canonical payloads never do)."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(holds_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_float(v) for v in value)
    return False
