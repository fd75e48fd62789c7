"""Enumeration markers for sections and items: 一、（一）一是 or 1. 1.1 (1)."""

from __future__ import annotations

from civicledger.reports.numbers import chinese_numeral

__all__ = ["item_marker", "section_marker"]


def section_marker(numbering: str, level: int, order: int) -> str:
    """The marker of a section heading.

    Chinese numbering follows the official-document convention (GB/T 9704):
    一、 for the first level, （一） for the second, 1. for the third, （1） below.
    Plain numbering writes ``1.``, ``2.`` at every level.

    Args:
        numbering: ``"chinese"`` or ``"plain"``.
        level: 1 for a top-level section.
        order: the 1-based position among siblings.

    Returns:
        The marker, including its punctuation.
    """
    if numbering == "plain":
        return f"{order}."
    if level == 1:
        return f"{chinese_numeral(order)}、"
    if level == 2:
        return f"（{chinese_numeral(order)}）"
    if level == 3:
        return f"{order}."
    return f"（{order}）"


def item_marker(numbering: str, order: int) -> str:
    """The marker of an enumerated item: 一是, 二是 … or (1), (2) ….

    Args:
        numbering: ``"chinese"`` or ``"plain"``.
        order: the 1-based position of the item.

    Returns:
        The marker.
    """
    if numbering == "plain":
        return f"({order})"
    return f"{chinese_numeral(order)}是"
