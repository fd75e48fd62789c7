"""Round numbers said as words: 十余, 百余, 千余, 万余, 逾千, 约百, 近千.

Work reports say "百余个" rather than "100余个" when the figure is a bit over
one hundred, and "近千人" when it falls just short of a thousand. Each form
makes a claim, and :func:`word_form` states one only when it is true and
close; otherwise it returns None and the caller writes digits. The intervals
are in ``docs/phrasing.md``; ``M`` is one of the magnitudes below.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

__all__ = ["MAGNITUDES", "word_form"]

MAGNITUDES: Final = (
    (10, "十"),
    (100, "百"),
    (1000, "千"),
    (10**4, "万"),
    (10**5, "十万"),
    (10**6, "百万"),
    (10**7, "千万"),
    (10**8, "亿"),
)
"""The round numbers that have a one-word name, smallest first."""

_OVER: Final = ("余", "超", "超过", "逾")


def word_form(value: Fraction, style: str) -> tuple[str, int] | None:
    """The words for ``value`` in ``style`` and the magnitude they name, or None.

    - 余 / 超 / 超过 / 逾 (more than M): M < value < 2M → 百余, 超百, 超过百, 逾百;
    - 约 (about M): value within 5% of M, not M itself → 约百 for 95–105;
    - 近 (nearly M): 0.9 M <= value < M → 近千 for 900–999.

    Args:
        value: the exact figure.
        style: one of 余, 超, 超过, 逾, 约, 近.

    Returns:
        (text, magnitude), e.g. ("百余", 100), or None when no word form is true and close.
    """
    for magnitude, word in MAGNITUDES:
        if style in _OVER and magnitude < value < 2 * magnitude:
            return (word + "余" if style == "余" else style + word), magnitude
        if style == "约" and value != magnitude and abs(value - magnitude) * 20 <= magnitude:
            return "约" + word, magnitude
        if style == "近" and magnitude * Fraction(9, 10) <= value < magnitude:
            return "近" + word, magnitude
    return None
