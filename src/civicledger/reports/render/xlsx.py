"""XLSX: the report's indicator figures and follow-up rows as sheets with Chinese headers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from civicledger.reports.model import Report
from civicledger.reports.render._common import about_lines
from civicledger.reports.render._zip import normalise_ooxml
from civicledger.reports.render.docx import report_stamp
from civicledger.sheets import append_text_row

__all__ = ["FIGURE_HEADERS", "FOLLOWUP_HEADERS", "render_xlsx"]

FIGURE_HEADERS = (
    "编号",
    "指标编号",
    "指标名称",
    "分组",
    "期间",
    "数值",
    "单位",
    "贡献事件数",
    "截至位置",
)
"""Headers of the 指标 sheet."""

FOLLOWUP_HEADERS = (
    "问题编号",
    "问题描述",
    "类别",
    "问题来源",
    "发现日期",
    "整改措施",
    "责任单位",
    "整改时限",
    "整改状态",
    "整改进度(%)",
    "是否逾期",
    "是否结转",
)
"""Headers of the 整改台账 sheet."""


def _header(sheet: Worksheet, headers: tuple[str, ...]) -> None:
    append_text_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "A2"


def _number(text: str) -> int | str:
    """Whole numbers become numbers in the sheet; decimals stay exact text."""
    return int(text) if text.lstrip("-").isdigit() else text


def render_xlsx(report: Report, path: Path) -> None:
    """Write a report's figures and follow-ups as an Excel workbook.

    Args:
        report: the computed report.
        path: where to write the .xlsx; the bytes depend only on the report.
    """
    book = openpyxl.Workbook()
    figures = book.active
    assert figures is not None
    figures.title = "指标"
    _header(figures, FIGURE_HEADERS)
    for entry in report.figures:
        group = entry.lineage.get("group") or {}
        as_of = entry.lineage.get("as_of") or {}
        append_text_row(
            figures,
            [
                entry.ref,
                entry.indicator,
                entry.label,
                "，".join(f"{k}={v}" for k, v in sorted(group.items())),
                entry.period,
                _number(entry.value) if entry.value else "未定义",
                entry.unit,
                len(entry.lineage.get("contributions") or []),
                as_of.get("position"),
            ],
        )
    followups = book.create_sheet("整改台账")
    _header(followups, FOLLOWUP_HEADERS)
    for row in report.followups:
        append_text_row(
            followups,
            [
                row.problem_id,
                row.description,
                row.category,
                row.source,
                row.identified_on,
                "\n".join(row.measures),
                row.owner_units,
                row.due_on or "长期坚持",
                row.status,
                _number(row.percent) if row.percent else None,
                "是" if row.overdue else "否",
                "是" if row.carried_over else "否",
            ],
        )
    about = book.create_sheet("说明")
    append_text_row(about, ["项目", "内容"])
    append_text_row(about, ["报告", report.title])
    for line in about_lines(report):
        name, _, value = line.partition("：")
        append_text_row(about, [name, value])
    if report.as_of.checkpoint is not None:
        append_text_row(about, ["封存检查点", report.as_of.checkpoint])
    stamp = report_stamp(report)
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)
    book.properties.creator = "civicledger"
    book.properties.created = moment
    book.properties.modified = moment
    book.save(str(path))
    normalise_ooxml(path, stamp)
