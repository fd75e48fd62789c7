"""Follow-ups as the report states them: selection, rows, the rectification table."""

from __future__ import annotations

from typing import Any

import attrs

from civicledger.followups import FollowUp, Measure
from civicledger.projections import Period
from civicledger.reports.model import FollowUpRow, Table, Text

__all__ = [
    "FOLLOWUP_COLUMNS",
    "followup_row",
    "followup_table",
    "row_data",
    "select_rows",
    "sentence_end",
    "zh_date",
]

FOLLOWUP_COLUMNS = ("序号", "问题", "整改措施", "责任单位", "整改时限", "整改状态", "进度")
"""Headers of a follow-up table."""


def select_rows(
    rows: list[FollowUp], select: str, category: str | None, period: Period
) -> list[FollowUp]:
    """The follow-ups an item lists.

    Args:
        rows: the rectification ledger as of the period's end.
        select: ``identified`` (in the period), ``open`` (not done or closed), ``all``.
        category: keep only this category, if given.
        period: the report's period.

    Returns:
        The chosen rows, in the order identified.
    """
    chosen = [r for r in rows if category is None or r.category == category]
    if select == "identified":
        return [r for r in chosen if period.contains(r.identified_on)]
    if select == "open":
        return [r for r in chosen if not r.is_done]
    return chosen


def _measure(measure: Measure) -> str:
    due = measure.due_on.isoformat() if measure.due_on else "长期坚持"
    return f"{measure.description}（{measure.unit}，{due}）"


def followup_row(row: FollowUp) -> FollowUpRow:
    """A follow-up as plain report data (owners are personal data and are left out).

    Args:
        row: the projected follow-up.

    Returns:
        The row, with Chinese labels.
    """
    return FollowUpRow(
        problem_id=row.problem_id,
        description=row.description,
        category=row.category,
        source=row.source.label,
        identified_on=row.identified_on.isoformat(),
        measures=tuple(_measure(m) for m in row.measures),
        owner_units="、".join(dict.fromkeys(m.unit for m in row.measures)),
        due_on=row.due_on.isoformat() if row.due_on else "",
        status=row.status.label,
        percent="" if row.percent is None else str(row.percent),
        overdue=row.overdue,
        carried_over=row.carried_over,
    )


def zh_date(iso: str) -> str:
    """``2024-03-31`` as ``2024年3月31日``; empty stays empty."""
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def row_data(row: FollowUpRow) -> dict[str, Any]:
    """What a follow-up text sees as ``f``: the row's fields plus Chinese dates."""
    data = attrs.asdict(row)
    data["measures"] = "；".join(row.measures)
    data["due_on_cn"] = zh_date(row.due_on)
    data["identified_on_cn"] = zh_date(row.identified_on)
    return data


def sentence_end(text: str) -> str:
    """End a statement with a full stop unless it already has closing punctuation."""
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "；", "…", ".", "!", "?")) else text + "。"


def followup_table(rows: list[FollowUpRow], caption: str, ledger_heading: str = "") -> Table:
    """The rectification table (整改台账) of some follow-ups.

    Args:
        rows: the rows, in order.
        caption: the table's caption.
        ledger_heading: in a report over a set of ledgers, the header of a second
            column naming each row's ledger (``"社区"``); ``""`` for none.

    Returns:
        A table with the :data:`FOLLOWUP_COLUMNS` (and the ledger column).
    """
    ledger = (lambda r: ((Text(r.ledger),),)) if ledger_heading else (lambda r: ())
    columns: tuple[str, ...] = FOLLOWUP_COLUMNS
    if ledger_heading:
        columns = (columns[0], ledger_heading, *columns[1:])
    body = tuple(
        (
            (Text(str(index + 1)),),
            *ledger(r),
            (Text(r.description),),
            (Text("；".join(r.measures)),),
            (Text(r.owner_units),),
            (Text(r.due_on or "长期坚持"),),
            (Text(r.status + ("（逾期）" if r.overdue else "")),),
            (Text(f"{r.percent}%" if r.percent else ""),),
        )
        for index, r in enumerate(rows)
    )
    return Table("followups", caption, columns, body)
