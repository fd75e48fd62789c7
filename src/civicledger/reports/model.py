"""The computed report: sections, items, spans and the figure appendix, ready to render.

A :class:`Report` is data only. Everything in it has been computed by
:mod:`civicledger.reports.build`; the renderers in :mod:`civicledger.reports.render`
turn it into bytes without computing anything.

The text of a sentence is a tuple of spans: :class:`Text` for words and
:class:`Num` for a number, which points at an entry of the report's figure
appendix (:class:`FigureEntry`) by its ``ref`` so every renderer can link a number
to its derivation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import attrs

__all__ = [
    "Cell",
    "FigureEntry",
    "FollowUpRow",
    "Item",
    "LedgerSeal",
    "Num",
    "Report",
    "SealInfo",
    "Section",
    "Span",
    "Table",
    "Text",
    "plain_text",
]


@attrs.frozen
class Text:
    """Words of a sentence, printed as they are.

    Attributes:
        text: the words.
    """

    text: str


@attrs.frozen
class Num:
    """A number in a sentence or a table cell, phrased, with the exact value behind it.

    Attributes:
        text: the words printed (``"280余人"``).
        exact: the exact value as a string (``"283"``; ``"283/300"`` for a rate).
        rule: how the words were derived (see ``docs/phrasing.md``).
        ref: the appendix entry of the figure (``"F3"``), or None for a count that
            the report itself made (the number of follow-ups listed).
    """

    text: str
    exact: str
    rule: str
    ref: str | None


Span: TypeAlias = Text | Num
"""One piece of a sentence."""

Cell: TypeAlias = tuple[Span, ...]
"""The content of one table cell."""


@attrs.frozen
class Table:
    """A table: indicator figures or the rectification ledger.

    Attributes:
        kind: ``"indicators"`` or ``"followups"``.
        caption: the table's title, may be empty.
        columns: the column headers (Chinese).
        rows: the rows, each a tuple of cells, one per column.
    """

    kind: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@attrs.frozen
class Item:
    """One enumerated paragraph or table of a section.

    Attributes:
        kind: ``"sentence"``, ``"note"``, ``"absence"``, ``"followup"`` or ``"table"``.
        marker: the enumeration marker (``"一是"``, ``"1."``) or ``""``.
        spans: the paragraph's text; empty for a table.
        table: the table, for kind ``"table"``.
        lineage: where a non-figure statement came from: for a note the event id,
            position and key; for an absence claim the types and period searched
            and the position searched up to; for a follow-up the problem id.
        line: the line of the template that produced the item.
    """

    kind: str
    marker: str
    spans: tuple[Span, ...]
    table: Table | None = None
    lineage: dict[str, Any] | None = None
    line: int = 0


@attrs.frozen
class Section:
    """A heading with its items and sub-sections.

    Attributes:
        key: the template's key for the section.
        level: 1 for a top-level section, 2 for a sub-section.
        order: the section's 1-based position among its siblings.
        marker: the numbering (``"一、"``, ``"（二）"``, ``"1."``) or ``""``.
        heading: the heading text, without the marker.
        intro: sentences printed before the enumerated items, without a marker.
        items: the enumerated items.
        sections: sub-sections.
    """

    key: str
    level: int
    order: int
    marker: str
    heading: str
    intro: tuple[Item, ...]
    items: tuple[Item, ...]
    sections: tuple[Section, ...]


@attrs.frozen
class FigureEntry:
    """A figure of the report's appendix: the computed value and its full lineage.

    Attributes:
        ref: the id numbers link to (``"F1"``, in order of first use).
        indicator: the indicator id.
        label: the indicator's label.
        unit: the indicator's unit.
        period: the period's key (``"2023"``).
        value: the exact value as a string (``""`` when not defined).
        lineage: the figure as data (``Figure.to_dict()``): definition,
            contributions, exclusions, as-of.
        explanation: the human-readable derivation (``ledger.explain``), if given.
        ledger: in a report over a set of ledgers, the ledger of a per-ledger figure;
            ``""`` for a rolled-up figure and in a report over one ledger.
        parts: in a report over a set, the refs of a rolled-up figure's per-ledger
            figures (``("F1-1", "F1-2")``), in the set's order; else empty.
    """

    ref: str
    indicator: str
    label: str
    unit: str
    period: str
    value: str
    lineage: dict[str, Any]
    explanation: str
    ledger: str = ""
    parts: tuple[str, ...] = ()


@attrs.frozen
class FollowUpRow:
    """One row of the rectification ledger as the report states it.

    Attributes:
        problem_id: the problem's id.
        description: the problem (问题描述).
        category: its area.
        source: where it came to light (label).
        identified_on: ISO date.
        measures: the measures, one line each.
        owner_units: the responsible units, joined.
        due_on: the latest deadline (ISO) or ``""``.
        status: the status label (整改状态).
        percent: progress in percent as a string, or ``""``.
        overdue: whether a measure is overdue.
        carried_over: whether it was carried over from an earlier year.
        ledger: in a report over a set of ledgers, the label of the ledger the problem
            was recorded in (its ``problem_id`` then reads ``<label>/<id>``); else ``""``.
    """

    problem_id: str
    description: str
    category: str
    source: str
    identified_on: str
    measures: tuple[str, ...]
    owner_units: str
    due_on: str
    status: str
    percent: str
    overdue: bool
    carried_over: bool
    ledger: str = ""


@attrs.frozen
class SealInfo:
    """What the report was computed as of.

    Attributes:
        position: the last ledger position included.
        tree_size: the sealed tree size (equal to position), or None when not sealed.
        root_hash: the sealed root, hex, or None.
        checkpoint: the seal's checkpoint text, or None when not sealed.
    """

    position: int
    tree_size: int | None
    root_hash: str | None
    checkpoint: str | None


@attrs.frozen
class LedgerSeal:
    """One ledger of a report over a set of ledgers, and the point it was read at.

    Attributes:
        name: the ledger's name in its database.
        label: how the report names it (the name after its last ``/``).
        origin: the ledger's globally unique origin.
        position: the last position read.
        tree_size: the sealed tree size, or None when read at an unsealed point.
        root_hash: the sealed root, hex, or None.
        checkpoint: the whole seal text (checkpoint and signature lines), or None.
    """

    name: str
    label: str
    origin: str
    position: int
    tree_size: int | None
    root_hash: str | None
    checkpoint: str | None


@attrs.frozen
class Report:
    """A computed report: render it with ``to_markdown`` and friends.

    Attributes:
        title: the title.
        period: the period's key (``"2023"``).
        period_label: how the period reads (``"2023年"``).
        period_start: the period's first day, ISO.
        period_end: the period's last day, ISO.
        intro: paragraphs between the title and the first section.
        sections: the top-level sections in order.
        figures: the figure appendix, in order of first use.
        followups: every follow-up row the report used, for the XLSX export.
        as_of: the position (and seal) the report was computed as of.
        template_name: the template file's name.
        template_sha256: SHA-256 of the template file's bytes, hex.
        template_source: the template file's text (lets a verifier rebuild it).
        indicators_sha256: SHA-256 of the indicator set file's bytes, hex, or ``""``.
        indicators_source: the indicator set file's text, or ``""``.
        period_label_en: the period's English label (``"January–November 2023"``).
        warnings: what the reader must know about the report's coverage (the
            ledger records nothing after a day inside the period), or empty.
        rules: the outcome of each rule of the indicator set (``RuleResult.to_dict()``),
            when the template asks for them with ``rules = true``; else empty.
        ledgers: in a report over a set of ledgers, each ledger and the point (seal) it
            was read at, in the set's order (``as_of`` is then unused); else empty.
        distinct: in a report over a set, how ``count_distinct`` treats one key in two
            ledgers (``"ledger"`` or ``"key"``); else ``""``.
    """

    title: str
    period: str
    period_label: str
    period_start: str
    period_end: str
    intro: tuple[Item, ...]
    sections: tuple[Section, ...]
    figures: tuple[FigureEntry, ...]
    followups: tuple[FollowUpRow, ...]
    as_of: SealInfo
    template_name: str
    template_sha256: str
    template_source: str
    indicators_sha256: str
    indicators_source: str
    period_label_en: str = ""
    warnings: tuple[str, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    ledgers: tuple[LedgerSeal, ...] = ()
    distinct: str = ""

    def to_markdown(self) -> str:
        """Render as Markdown (numbers link to the appendix).

        Returns:
            The Markdown text.
        """
        from civicledger.reports.render.markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        """Render as one self-contained, printable HTML page.

        Returns:
            The page's text.
        """
        from civicledger.reports.render.html import render_html

        return render_html(self)

    def _repr_html_(self) -> str:
        """The report in a notebook: its text, each number linked to its derivation,
        which is folded (``<details>``) in the appendix."""
        from civicledger.reports.render.html import render_notebook_html

        return render_notebook_html(self)

    def to_json(self) -> str:
        """Render as JSON: the full structure with every figure's lineage.

        Returns:
            The JSON text (what :func:`civicledger.reports.verify_report` checks).
        """
        from civicledger.reports.render.json import render_json

        return render_json(self)

    def to_docx(self, path: str | Path, *, pictures: bool = True) -> None:
        """Write a Word document (headings, numbered paragraphs, tables).

        Args:
            path: the .docx file to write.
            pictures: draw each chart as a picture above its table of numbers; False
                writes the tables alone (the charts' figures are all in them).

        Raises:
            MissingFontError: a chart has Chinese labels and no CJK font is installed
                (:class:`civicledger.reports.render.chart.MissingFontError`).
        """
        from civicledger.reports.render.docx import render_docx

        render_docx(self, Path(path), pictures=pictures)

    def to_xlsx(self, path: str | Path) -> None:
        """Write the report's figures and follow-ups as an Excel workbook.

        Args:
            path: the .xlsx file to write.
        """
        from civicledger.reports.render.xlsx import render_xlsx

        render_xlsx(self, Path(path))

    def walk_items(self) -> list[tuple[Section | None, Item]]:
        """Every item with its section (None for the intro), depth first, in reading order."""
        found: list[tuple[Section | None, Item]] = [(None, item) for item in self.intro]

        def visit(section: Section) -> None:
            found.extend((section, item) for item in (*section.intro, *section.items))
            for child in section.sections:
                visit(child)

        for section in self.sections:
            visit(section)
        return found


def plain_text(spans: tuple[Span, ...]) -> str:
    """The spans as plain text, numbers as phrased.

    Args:
        spans: a sentence.

    Returns:
        The words joined.
    """
    return "".join(span.text for span in spans)
