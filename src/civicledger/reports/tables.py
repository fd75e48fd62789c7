"""Indicator tables: figures as rows for CSV, JSON, terminal tables and XLSX.

Rows hold exact values as text (integers and decimals, never floats), so every
format shows the same number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from civicledger.projections import Comparison, Figure
from civicledger.projections.rollup import RollupComparison, RollupFigure
from civicledger.projections.series import Series
from civicledger.sheets import append_text_row, csv_row

FIGURE_HEADERS = {
    "indicator": "指标编号",
    "label": "指标名称",
    "period": "期间",
    "group": "分组",
    "value": "数值",
    "unit": "单位",
    "events": "事件数",
}

ROLLUP_HEADERS = {**FIGURE_HEADERS, "ledgers": "各账本"}

COMPARISON_HEADERS = {
    "indicator": "指标编号",
    "label": "指标名称",
    "group": "分组",
    "basis": "比较",
    "current_period": "本期期间",
    "current": "本期",
    "previous_period": "比较期间",
    "previous": "比较期数值",
    "difference": "增减",
    "change_percent": "增减幅度(%)",
    "unit": "单位",
}


def figure_rows(figures: Iterable[Figure]) -> list[dict[str, Any]]:
    """One row per figure: indicator id, label, period, group, value, unit, event count."""
    return [
        {
            "indicator": f.indicator.id,
            "label": f.indicator.label,
            "period": f.period.key,
            "group": _group(f.group),
            "value": _value(f.value),
            "unit": f.indicator.unit,
            "events": len(f.event_ids()),
        }
        for f in figures
    ]


def rollup_rows(rollups: Iterable[RollupFigure]) -> list[dict[str, Any]]:
    """One row per roll-up: as :func:`figure_rows`, events counted in every ledger, and
    ``ledgers``, each ledger's value (``name=value; ...``)."""
    return [
        {
            "indicator": r.indicator.id,
            "label": r.indicator.label,
            "period": r.period.key,
            "group": _group(r.group),
            "value": _value(r.value),
            "unit": r.indicator.unit,
            "events": len(r.event_ids()),
            "ledgers": "; ".join(f"{name}={_value(v)}" for name, v in r.by_ledger().items()),
        }
        for r in rollups
    ]


def comparison_rows(
    comparisons: Iterable[Comparison | RollupComparison],
) -> list[dict[str, Any]]:
    """One row per comparison: both periods and values, the difference and the change in
    percent, and the basis (``year`` 同比, ``period`` 环比, ``given``)."""
    return [
        {
            "indicator": c.indicator.id,
            "label": c.indicator.label,
            "group": _group(c.current.group),
            "basis": c.basis,
            "current_period": c.current.period.key,
            "current": _value(c.current.value),
            "previous_period": c.previous.period.key,
            "previous": _value(c.previous.value),
            "difference": _value(c.difference),
            "change_percent": _value(c.change_percent),
            "unit": c.indicator.unit,
        }
        for c in comparisons
    ]


def series_rows(series: Series) -> list[dict[str, Any]]:
    """One row per step (and group) of a series: the figure's row, plus the year-earlier
    period and value when the series has them."""
    rows = figure_rows(series.figures)
    if series.previous is not None:
        for row, earlier in zip(rows, series.previous, strict=True):
            row["previous_period"] = earlier.period.key
            row["previous"] = _value(earlier.value)
    return rows


def write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    """Write rows to an XLSX sheet with Chinese headers (integers stay numbers).

    Args:
        rows: rows from :func:`figure_rows`, :func:`rollup_rows` or :func:`comparison_rows`.
        path: the file to write.
    """
    from openpyxl import Workbook

    headers = FIGURE_HEADERS
    if rows and "current" in rows[0]:
        headers = COMPARISON_HEADERS
    elif rows and "ledgers" in rows[0]:
        headers = ROLLUP_HEADERS
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "指标"
    append_text_row(sheet, list(headers.values()))
    for row in rows:
        append_text_row(sheet, [_cell(row.get(key)) for key in headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def write_csv(rows: list[dict[str, Any]], handle: IO[str]) -> None:
    """Write rows as CSV with their keys as the header, text protected from formulas.

    Args:
        rows: rows from :func:`figure_rows` or :func:`comparison_rows` (or any dicts
            sharing the first one's keys).
        handle: a text file opened with ``newline=""``.
    """
    if not rows:
        return
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(csv_row(row.values()))


def _group(group: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in group)


def _value(value: object) -> str:
    return "" if value is None else str(value)


def _cell(value: object) -> object:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value
