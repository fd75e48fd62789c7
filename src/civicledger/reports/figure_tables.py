"""Report tables of figures: an indicators item as a table, by group or by ledger.

Every value cell links to the figure's appendix entry through ``ref``, which the
report builder supplies (the appendix grows as figures are first used).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from civicledger.projections import Figure
from civicledger.reports.appendix import exact, group_key
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.model import Cell, Num, Table, Text

__all__ = ["INDICATOR_COLUMNS", "indicator_table", "ledger_table", "value_cell"]

INDICATOR_COLUMNS = ("序号", "指标", "编号", "分组", "数值", "单位")
"""Headers of an indicator table."""


def value_cell(figure: Figure, ref: Callable[[Figure], str]) -> Cell:
    """A figure's value as a linked exact number, or why it is undefined."""
    # An undefined figure still gets its appendix entry, which says why.
    if figure.value is None:
        ref(figure)
        return (Text(f"未定义（{figure.undefined_reason}）"),)
    value = exact(figure.value)
    return (Num(value, value, "exact", ref(figure)),)


def indicator_table(figures: Sequence[Figure], caption: str, ref: Callable[[Figure], str]) -> Table:
    """A row per figure: its number, label, id, group, value and unit."""
    rows: list[tuple[Cell, ...]] = []
    for figure in figures:
        group = "，".join(f"{k}={v}" for k, v in group_key(figure.group))
        value = value_cell(figure, ref)
        rows.append(
            (
                (Text(str(len(rows) + 1)),),
                (Text(figure.indicator.label),),
                (Text(figure.id),),
                (Text(group),),
                value,
                (Text(figure.indicator.unit),),
            )
        )
    return Table("indicators", caption, INDICATOR_COLUMNS, tuple(rows))


def ledger_table(
    breakdown: Breakdown,
    figures: Sequence[Figure],
    caption: str,
    heading: str,
    ref: Callable[[Figure], str],
) -> Table:
    """A row per ledger of a set report and a column per (ungrouped) figure."""

    def cell(figure: Figure | None) -> Cell:
        return (Text("—"),) if figure is None else value_cell(figure, ref)

    return breakdown.table(figures, cell, caption, heading)
