"""Markdown: headings, enumerated paragraphs, pipe tables; numbers link to the appendix."""

from __future__ import annotations

import re

from civicledger.reports.model import Item, Num, Report, Section, Span, Table
from civicledger.reports.render._common import (
    ABOUT_HEADING,
    APPENDIX_HEADING,
    about_lines,
    definition_lines,
    num_title,
)
from civicledger.text import replace_controls

__all__ = ["render_markdown"]

_MAX_LISTED = 20  # contributions listed per figure; the JSON and HTML carry them all


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ORDERED = re.compile(r"(\d{1,9})([.)])")


def _escape(text: str) -> str:
    """Escape what Markdown would read as markup in report prose.

    The text stays on one line, whatever it holds: a line break becomes ``<br>``,
    so a stored note cannot start a heading, a list or a table row of its own, and
    control characters become U+FFFD.
    """
    for char in ("\\", "*", "`", "[", "]", "<", "|"):
        text = text.replace(char, "\\" + char)
    return _LINE_BREAK.sub("<br>", replace_controls(text))


def _line_start(text: str) -> str:
    """Escape a block marker (``#``, ``>``, ``-``, ``1.`` …) an escaped text starts with,
    so that content at the start of a line stays a paragraph."""
    text = text.lstrip(" \t")  # four spaces would start a code block
    ordered = _ORDERED.match(text)
    if ordered:
        return ordered.group(1) + "\\" + text[ordered.end(1) :]
    if text[:1] in ("#", ">", "-", "+", "=", "_", "~"):
        return "\\" + text
    return text


def _fenced(text: str) -> list[str]:
    """A text block whose fence is longer than any run of backticks in it, so that no
    stored text inside an explanation can close the block and become Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", replace_controls(text.rstrip("\n")), fence]


def _fact(name: str, value: str) -> str:
    """Definition values (filters, lists) read best as code; the rest as prose."""
    if name.startswith("定义.") and value and "`" not in value:
        return f"`{value}`"
    return _escape(value)


def _spans(spans: tuple[Span, ...]) -> str:
    out = []
    for span in spans:
        if isinstance(span, Num):
            title = num_title(span).replace('"', "'")
            if span.ref:
                out.append(f'[{_escape(span.text)}](#{span.ref.lower()} "{title}")')
            else:
                out.append(_escape(span.text))
        else:
            out.append(_escape(span.text))
    return "".join(out)


def _table(table: Table) -> list[str]:
    lines = [f"**{_escape(table.caption)}**", ""] if table.caption else []
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    for row in table.rows:
        lines.append("| " + " | ".join(_spans(cell) or " " for cell in row) + " |")
    return [*lines, ""]


def _item(item: Item) -> list[str]:
    if item.table is not None:
        return _table(item.table)
    return [_line_start(_escape(item.marker) + _spans(item.spans)), ""]


def _section(section: Section) -> list[str]:
    hashes = "#" * min(section.level + 1, 6)
    lines = [f"{hashes} {_escape(section.marker + section.heading)}", ""]
    for item in (*section.intro, *section.items):
        lines.extend(_item(item))
    for child in section.sections:
        lines.extend(_section(child))
    return lines


def render_markdown(report: Report) -> str:
    """Render a report as Markdown.

    Args:
        report: the computed report.

    Returns:
        The document; numbers are links to their entry in the appendix, whose
        link title gives the exact value and the phrasing rule.
    """
    lines = [f"# {_escape(report.title)}", ""]
    for item in report.intro:
        lines.extend(_item(item))
    for section in report.sections:
        lines.extend(_section(section))
    lines.extend([f"## {ABOUT_HEADING}", ""])
    lines.extend(f"- {_escape(line)}" for line in about_lines(report))
    lines.append("")
    if report.as_of.checkpoint is not None:
        lines.extend(["封存检查点：", "", *_fenced(report.as_of.checkpoint), ""])
    lines.extend([f"## {APPENDIX_HEADING}", ""])
    for entry in report.figures:
        lines.extend(
            [f'<a id="{entry.ref.lower()}"></a>', "", f"### {entry.ref} {_escape(entry.label)}", ""]
        )
        lines.extend(f"- {name}：{_fact(name, value)}" for name, value in definition_lines(entry))
        if entry.parts:  # a set report's roll-up: drill down to each ledger's figure
            links = "、".join(f"[{ref}](#{ref.lower()})" for ref in entry.parts)
            lines.append(f"- 明细：{links}")
        lines.append("")
        contributions = entry.lineage.get("contributions") or []
        # The explanation lists the contributions itself; without one, list them here.
        if contributions and not entry.explanation:
            lines.extend(["| 位置 | 日期 | 类型 | 计入 | 事件编号 |", "|---|---|---|---|---|"])
            for c in contributions[:_MAX_LISTED]:
                amount = str(c.get("amount")) + (f"（{c['key']}）" if c.get("key") else "")
                lines.append(
                    f"| {c.get('position')} | {c.get('occurred_on')} | {c.get('type')} | "
                    f"{_escape(amount)} | {c.get('event_id')} |"
                )
            if len(contributions) > _MAX_LISTED:
                lines.append(
                    f"| … | | | | 其余 {len(contributions) - _MAX_LISTED} 条见 JSON 或 HTML 版 |"
                )
            lines.append("")
        if entry.explanation:
            lines.extend([*_fenced(entry.explanation), ""])
    return "\n".join(lines).rstrip("\n") + "\n"
