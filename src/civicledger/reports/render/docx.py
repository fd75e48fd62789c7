"""DOCX: what offices file — a title, numbered headings and paragraphs, tables, an appendix."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from civicledger.reports.model import Item, Report, Section, Table, Text, plain_text
from civicledger.reports.render._common import (
    ABOUT_HEADING,
    APPENDIX_HEADING,
    about_lines,
    definition_lines,
)
from civicledger.reports.render._zip import normalise_ooxml
from civicledger.reports.render.chart import is_chart
from civicledger.text import xml_safe

__all__ = ["render_docx", "report_stamp"]

_FONT = "SimSun"  # 宋体, the usual body face of Chinese official documents


def report_stamp(report: Report) -> str:
    """The document date written into Office metadata: the end of the report's period.

    Args:
        report: the computed report.

    Returns:
        A W3CDTF timestamp taken from the report, never from the clock.
    """
    return f"{report.period_end}T00:00:00Z"


def _chart(document: docx.document.Document, table: Table) -> None:
    """The chart as a picture above its table of numbers."""
    import io

    from docx.shared import Cm

    from civicledger.reports.render.chart import chart_png

    document.add_picture(io.BytesIO(chart_png(table)), width=Cm(15))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(document: docx.document.Document, table: Table, pictures: bool) -> None:
    if pictures and is_chart(table):
        _chart(document, table)
    if table.caption:
        document.add_paragraph(xml_safe(table.caption)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, header in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = xml_safe(header)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, content in zip(cells, row, strict=True):
            cell.text = xml_safe(plain_text(content))


def _item(document: docx.document.Document, item: Item, pictures: bool) -> None:
    if item.table is not None:
        _table(document, item.table, pictures)
        return
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(24)
    if item.marker:
        paragraph.add_run(xml_safe(item.marker)).bold = True
    paragraph.add_run(xml_safe(plain_text(item.spans)))


def _section(document: docx.document.Document, section: Section, pictures: bool) -> None:
    heading = xml_safe(section.marker + section.heading)
    document.add_heading(heading, level=min(section.level, 9))
    for item in (*section.intro, *section.items):
        _item(document, item, pictures)
    for child in section.sections:
        _section(document, child, pictures)


def render_docx(report: Report, path: Path, *, pictures: bool = True) -> None:
    """Write a report as a Word document.

    Args:
        report: the computed report.
        path: where to write the .docx; the bytes depend only on the report.
        pictures: draw each chart as a picture above its table of numbers; False
            writes the tables alone (for a machine without a CJK font).

    Raises:
        MissingFontError: a chart has Chinese labels and no CJK font is installed.
    """
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), _FONT)
    stamp = report_stamp(report)
    props = document.core_properties
    props.title = xml_safe(report.title)
    props.subject = xml_safe(about_lines(report)[0])  # the period, stated as the about section does
    props.author = "civicledger"
    props.last_modified_by = "civicledger"
    props.revision = 1
    props.created = props.modified = datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(
        tzinfo=None
    )
    document.add_heading(xml_safe(report.title), level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for item in report.intro:
        _item(document, item, pictures)
    for section in report.sections:
        _section(document, section, pictures)
    document.add_heading(ABOUT_HEADING, level=1)
    for line in about_lines(report):
        document.add_paragraph(xml_safe(line))
    if report.as_of.checkpoint is not None:
        document.add_paragraph(xml_safe(report.as_of.checkpoint.rstrip("\n")))
    document.add_heading(APPENDIX_HEADING, level=1)
    appendix = Table(
        "appendix",
        "",
        ("编号", "指标", "精确值", "单位", "贡献事件"),
        tuple(
            (
                (Text(entry.ref),),
                (Text(f"{entry.label}（{entry.indicator}）"),),
                (Text(entry.value or "未定义"),),
                (Text(entry.unit),),
                (Text(dict(definition_lines(entry)).get("贡献事件", "")),),
            )
            for entry in report.figures
        ),
    )
    _table(document, appendix, pictures)
    document.save(str(path))
    normalise_ooxml(path, stamp)
