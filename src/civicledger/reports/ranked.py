"""The words of a ranking in a report: "城东（12个）、城西（10个）、城南（10个，并列第二）"."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from civicledger.projections.ranking import Placed
from civicledger.reports.numbers import chinese_numeral

__all__ = ["ranking_text"]


def ranking_text(placed: Sequence[Placed], number: Callable[[Placed], str]) -> str:
    """Each group's name and phrased figure, in place order; a shared place says 并列第N.

    Args:
        placed: the ranking (see :func:`civicledger.projections.ranking.rank`).
        number: phrases one entry's figure (the builder links it to the appendix).

    Returns:
        The groups joined by 、, e.g. ``城东（12个）、城西（10个，并列第二）``.
    """
    parts = []
    for entry in placed:
        name = "，".join(value for _, value in entry.figure.group)
        tie = f"，并列第{chinese_numeral(entry.place)}" if entry.tied else ""
        parts.append(f"{name}（{number(entry)}{tie}）")
    return "、".join(parts)
