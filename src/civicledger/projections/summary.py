"""A bounded account of a figure's contributions: counts by type and month, ends, the largest.

A figure over a large ledger can rest on hundreds of thousands of events. Its
explanation then summarises them instead of listing each one: how many events
of each type counted in each month and what they added, the first and the last
event, and the largest contributions. The full list stays in the figure's
lineage (``Figure.to_dict()``, the report JSON).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from civicledger.projections.figures import Contribution, Number
from civicledger.projections.filters import format_value

__all__ = ["LARGEST_SHOWN", "contribution_row", "summary_lines"]

LARGEST_SHOWN = 5
"""How many of the largest contributions a summary lists."""

_BY_MONTH = {
    "zh": ("类型", "月份", "条数", "贡献合计"),
    "en": ("type", "month", "events", "amount"),
}

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "summary": "共 {n} 条，超过附录逐条列出的上限 {limit} 条，以下为摘要；"
        "逐条清单见报告 JSON 版（figures[].lineage.contributions）",
        "first": "首条事件",
        "last": "末条事件",
        "largest": "贡献最大的 {n} 条",
        "position": "位置",
    },
    "en": {
        "summary": "{n} in all, more than the {limit} an appendix lists one by one; a summary "
        "follows. The full list is in the report JSON (figures[].lineage.contributions)",
        "first": "first event",
        "last": "last event",
        "largest": "the {n} largest contributions",
        "position": "position",
    },
}


def _event(c: Contribution, position_word: str) -> str:
    return (
        f"{position_word} {c.position}, {c.occurred_on.isoformat()}, {c.type}, {c.event_id}, "
        f"{format_value(c.amount)}"
    )


def summary_lines(
    contributions: Sequence[Contribution],
    limit: int,
    language: str,
    table: list[str],
) -> list[str]:
    """The summary of ``contributions`` (more than ``limit`` of them) as explanation lines.

    Args:
        contributions: every contribution, in ledger order.
        limit: the appendix limit that was exceeded (stated in the text).
        language: ``"zh"`` or ``"en"``.
        table: the header and rule lines of the contributions table, for the largest ones.

    Returns:
        Lines: the count with the pointer to the full list, a table by type and
        month, the first and last events and a table of the largest contributions.
    """
    t = _TEXT[language]
    sums: dict[tuple[str, str], tuple[int, Number]] = {}
    for c in contributions:
        key = (c.type, c.occurred_on.isoformat()[:7])
        count, total = sums.get(key, (0, 0))
        sums[key] = (count + 1, total + c.amount)
    lines = [t["summary"].format(n=len(contributions), limit=limit), ""]
    lines.append("| " + " | ".join(_BY_MONTH[language]) + " |")
    lines.append("|---|---|---|---|")
    for (type_name, month), (count, total) in sorted(sums.items()):
        lines.append(f"| {type_name} | {month} | {count} | {format_value(total)} |")
    lines.append("")
    sep = "：" if language == "zh" else ": "
    lines.append(f"- {t['first']}{sep}{_event(contributions[0], t['position'])}")
    lines.append(f"- {t['last']}{sep}{_event(contributions[-1], t['position'])}")
    lines.append("")
    # nsmallest is sorted(...)[:n] without sorting every contribution of a large figure.
    shown = heapq.nsmallest(LARGEST_SHOWN, contributions, key=_largest_first)
    lines.append(t["largest"].format(n=len(shown)))
    lines.append("")
    lines.extend(table[:2])
    lines.extend(contribution_row(c) for c in shown)
    return lines


def _largest_first(c: Contribution) -> tuple[Number, int]:
    """Largest by absolute amount, then earliest position: a stable, explainable order.
    (Ints and Decimals compare exactly, so the amounts need no conversion.)"""
    amount = c.amount
    return (amount if amount < 0 else -amount, c.position)


def contribution_row(c: Contribution) -> str:
    """One contribution as a row of an explanation's events table."""
    cells = (
        str(c.position),
        c.occurred_on.isoformat(),
        str(c.event_id),
        c.type,
        format_value(c.amount),
        c.key or "",
    )
    return "| " + " | ".join(cells) + " |"
