"""Ledger points: a moment in a ledger's history that figures and reports are computed as of.

A ledger only grows, so any prefix of it can be named and read again later:

- a position (``42``): the first 42 events;
- a seal (:class:`~civicledger.audit.Seal`): the events its tree size covers, and
  refused when the stored rows no longer give its root;
- a recorded-at time (an aware ``datetime``): the events recorded up to then.

A business date (when something happened, ``occurred_on``) is not a ledger point;
calls that take one name it ``on``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TypeAlias

from civicledger.audit.checkpoint import Seal
from civicledger.errors import ValidationError

LedgerPoint: TypeAlias = int | Seal | datetime
"""A position, a seal or a recorded-at time (an aware datetime)."""

_POSITION = re.compile(r"[0-9]+")


def parse_ledger_point(text: str) -> LedgerPoint:
    """Read a ledger point written as text (a command-line option, a config value).

    Args:
        text: a position (``"42"``), a recorded-at time in ISO 8601 with its UTC
            offset (``"2024-01-31T18:00:00+08:00"``, ``"2024-01-31T10:00:00Z"``), or
            a seal's checkpoint text (several lines).

    Returns:
        The position, the aware datetime or the seal.

    Raises:
        ValidationError: the text is none of the three; the message says what is accepted.
    """
    stripped = text.strip()
    if _POSITION.fullmatch(stripped):
        return int(stripped)
    if "\n" in stripped:
        return Seal.parse(text if text.endswith("\n") else text + "\n")
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            f"as_of {text!r} is not a ledger point: give a position (42), a recorded-at "
            "time with its UTC offset (2024-01-31T10:00:00Z) or a seal's checkpoint text",
            field="as_of",
        )
    return moment
