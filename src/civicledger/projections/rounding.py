"""Rounding modes a figure may declare: half-up (the default), half-even, down, up.

One definition serves the engine (a ratio's stored value) and the phrasing of
reports (rates, changes, 万/亿 mantissas), so a figure and its words never round
differently. Rounding works on exact fractions: the result never depends on a
``Decimal`` context.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction
from typing import Final, Literal, TypeAlias

from civicledger.errors import ValidationError

__all__ = [
    "ROUNDING_MODES",
    "ROUNDING_WORDS",
    "RoundingMode",
    "check_rounding",
    "decimal_rounding",
    "quantize",
    "round_fraction",
    "rounding_text",
]

RoundingMode: TypeAlias = Literal["half-up", "half-even", "down", "up"]
"""How a figure is rounded: ties away from zero, ties to even, toward zero, away from zero."""

ROUNDING_MODES: Final[tuple[RoundingMode, ...]] = ("half-up", "half-even", "down", "up")
"""Every rounding mode, the default first."""

_DECIMAL: Final = {
    "half-up": ROUND_HALF_UP,
    "half-even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
}

ROUNDING_WORDS: Final = {
    "zh": {
        "half-up": "四舍五入",
        "half-even": "四舍六入五成双",
        "down": "舍去",
        "up": "进一",
    },
    "en": {
        "half-up": "rounded half up",
        "half-even": "rounded half to even",
        "down": "rounded down (toward zero)",
        "up": "rounded up (away from zero)",
    },
}


def check_rounding(value: object, where: str = "rounding") -> RoundingMode:
    """Return value if it names a rounding mode.

    Raises:
        ValidationError: it does not; the message lists the modes.
    """
    for mode in ROUNDING_MODES:
        if value == mode:
            return mode
    raise ValidationError(
        f"{where} must be one of {', '.join(ROUNDING_MODES)}, got {value!r}", field=where
    )


def decimal_rounding(mode: RoundingMode) -> str:
    """The ``decimal`` module's constant for a mode (for ``Decimal.quantize``)."""
    return _DECIMAL[mode]


def round_fraction(q: Fraction, decimals: int, mode: RoundingMode = "half-up") -> int:
    """Round q to ``decimals`` places; return the result in units of 10**-decimals.

    The modes mean what the ``decimal`` module's modes of the same names mean:
    half-up sends ties away from zero, half-even to the even neighbour, down
    truncates toward zero, up moves away from zero whenever anything is lost.
    """
    units = abs(q) * Fraction(10) ** decimals
    floor = math.floor(units)
    rest = units - floor
    if mode == "down":
        rounded = floor
    elif mode == "up":
        rounded = floor + (rest > 0)
    elif rest != Fraction(1, 2):
        rounded = floor + (rest > Fraction(1, 2))
    else:
        rounded = floor + (1 if mode == "half-up" else floor % 2)
    return rounded if q >= 0 else -rounded


def rounding_text(mode: RoundingMode, decimals: int, language: str) -> str:
    """Say how a value was rounded: ``四舍五入保留 2 位小数`` / ``rounded half up to 2 …``."""
    if language == "zh":
        return f"{ROUNDING_WORDS['zh'][mode]}保留 {decimals} 位小数"
    return f"{ROUNDING_WORDS['en'][mode]} to {decimals} decimal places"


def quantize(value: Decimal, decimals: int, mode: RoundingMode) -> Decimal:
    """``value`` rounded to ``decimals`` places by ``mode``."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=_DECIMAL[mode])
