"""Charts of a report drawn with matplotlib: SVG for HTML (each bar or point a link to its
figure's derivation), PNG for DOCX; the same table in gives the same bytes out.

A chart arrives as its table (see :mod:`civicledger.reports.charts`): a row per place
on the x axis, a value column per series. ``chart.line`` draws a line per series
with a linked marker on each point; the bar kinds draw a bar per row and series,
side by side when there are several.

matplotlib is the optional ``charts`` extra; a chart item's table is also rendered as
a table, so a renderer without it still shows every number.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import attrs

from civicledger.errors import CivicLedgerError
from civicledger.reports.model import Num, Span, Table, Text

__all__ = ["CJK_FONTS", "MissingFontError", "chart_png", "chart_svg", "is_chart"]

CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
"""Fonts that hold the Chinese glyphs of a chart's labels, in order of preference
(Debian: ``apt-get install fonts-noto-cjk``)."""

_SALT = "civicledger-chart"
_SIZE = (6.4, 3.6)
_COLORS = ("#4a6fa5", "#d08c3c", "#6a9f58", "#a5564a", "#7d6aa5", "#4a9fa5")
"""One colour per series, in order; a chart with more series reuses them."""


def is_chart(table: Table) -> bool:
    """Whether a table is a chart item's data (kind ``chart.<style>``)."""
    return table.kind.startswith("chart.")


@attrs.frozen
class _Data:
    """A chart table read back: x labels, series names, and per series its values
    (an undefined or absent figure: 0) and link refs."""

    labels: list[str]
    names: list[str]
    values: list[list[float]]
    refs: list[list[str | None]]
    unit: str


def _data(table: Table) -> _Data:
    names = list(table.columns[1:-1])
    labels, units = [], []
    values: list[list[float]] = [[] for _ in names]
    refs: list[list[str | None]] = [[] for _ in names]
    for label, *cells, unit in table.rows:
        labels.append(_text(label))
        units.append(_text(unit))
        for index, cell in enumerate(cells):
            num = next((s for s in cell if isinstance(s, Num)), None)
            values[index].append(float(Decimal(num.exact)) if num is not None else 0.0)
            refs[index].append(num.ref if num is not None else None)
    shared = units[0] if units and len(set(units)) == 1 else ""
    return _Data(labels, names, values, refs, shared)


def _text(cell: tuple[Span, ...]) -> str:
    return "".join(s.text for s in cell if isinstance(s, Text))


def _figure(table: Table, link: bool) -> Any:
    """A matplotlib figure of the table (no pyplot, so no global figure state)."""
    from matplotlib.figure import Figure

    data = _data(table)
    figure = Figure(figsize=_SIZE, dpi=100)
    axes = figure.add_axes((0.1, 0.3, 0.85, 0.6))
    positions = range(len(data.labels))
    if table.kind == "chart.line":
        _lines(axes, data, link)
    else:
        _bar_groups(axes, data, link)
    axes.set_xticks(positions, data.labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(data.unit)
    axes.spines[["top", "right"]].set_visible(False)
    if len(data.names) > 1:
        axes.legend(fontsize=7, frameon=False)
    return figure  # the caption is the page's (figcaption) or the document's paragraph


def _bar_groups(axes: Any, data: _Data, link: bool) -> None:
    """A bar per row and series; several series stand side by side in each row."""
    count = len(data.names)
    width = 0.6 / count
    for index, (name, heights, refs) in enumerate(
        zip(data.names, data.values, data.refs, strict=True)
    ):
        offset = (index - (count - 1) / 2) * width
        x = [i + offset for i in range(len(heights))]
        color = _COLORS[index % len(_COLORS)]
        bars = axes.bar(x, heights, width=width, color=color, label=name)
        for row, (bar, ref) in enumerate(zip(bars, refs, strict=True)):
            bar.set_gid(f"bar-{index + 1}-{row + 1}")
            if link and ref:
                bar.set_url(f"#{ref}")


def _lines(axes: Any, data: _Data, link: bool) -> None:
    """A line per series, a marker on each point; the markers are the links."""
    for index, (name, heights, refs) in enumerate(
        zip(data.names, data.values, data.refs, strict=True)
    ):
        color = _COLORS[index % len(_COLORS)]
        x = list(range(len(heights)))
        axes.plot(x, heights, color=color, linewidth=1.5, label=name)
        points = axes.scatter(x, heights, color=color, s=18, zorder=3)
        points.set_gid(f"points-{index + 1}")
        if link:
            points.set_urls([f"#{ref}" if ref else None for ref in refs])


def _settings(fonts: list[str], ident: str = "chart") -> dict[str, Any]:
    return {
        "svg.hashsalt": f"{_SALT}-{ident}",  # fixed, and distinct per chart of a page
        "svg.fonttype": "none",  # text stays text: no glyph paths, no font in the bytes
        "svg.id": ident,
        "font.family": "sans-serif",
        "font.sans-serif": [*fonts, "DejaVu Sans"],
        "axes.unicode_minus": False,
    }


def chart_svg(table: Table, ident: str = "chart") -> str:
    """The chart as an SVG element for an HTML page; each bar is wrapped in
    ``<a href="#F3" class="fig" data-ref="F3">``, like every number of the report.

    Args:
        table: the chart item's table.
        ident: the SVG element's id; its internal ids derive from it, so charts with
            distinct idents never share an id on one page.

    Raises:
        CivicLedgerError: matplotlib is not installed (the ``charts`` extra).
    """
    matplotlib = _matplotlib()
    with matplotlib.rc_context(_settings(list(CJK_FONTS), ident)):
        figure = _figure(table, link=True)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # The XML prolog and doctype would end up inside the HTML page.
    text = _scoped_ids(text[text.index("<svg") :], ident)
    return _LINK.sub(r'<a xlink:href="#\1" href="#\1" class="fig" data-ref="\1">', text)


def _scoped_ids(svg: str, ident: str) -> str:
    """Prefix every id inside the SVG (and each reference to one) with the chart's id:
    matplotlib numbers them from 1 in each figure, so two charts would share them."""
    inner = sorted(set(re.findall(r' id="([^"]+)"', svg)) - {ident}, key=len, reverse=True)
    if not inner:
        return svg
    names = "|".join(re.escape(i) for i in inner)
    svg = re.sub(rf' id="({names})"', rf' id="{ident}-\1"', svg)
    return re.sub(rf'#({names})(["\)])', rf"#{ident}-\1\2", svg)


class MissingFontError(CivicLedgerError):
    """A chart's picture has Chinese labels and no font with Chinese glyphs is installed."""


_LINK = re.compile(r'<a xlink:href="#([A-Za-z0-9_-]+)"[^>]*>')
"""A bar's link as matplotlib writes it (with ``target="_blank"``, which a link within
the page must not have)."""


def chart_png(table: Table) -> bytes:
    """The chart as a PNG image (for DOCX).

    Raises:
        CivicLedgerError: matplotlib is not installed.
        MissingFontError: no font with Chinese glyphs is (naming the fonts to install).
    """
    matplotlib = _matplotlib()
    fonts = _cjk_fonts()
    if not fonts and _has_cjk(table):
        raise MissingFontError(
            "drawing a chart with Chinese labels needs a CJK font; install one of "
            f"{', '.join(CJK_FONTS)} (Debian: apt-get install fonts-noto-cjk)"
        )
    with matplotlib.rc_context(_settings(fonts)):
        figure = _figure(table, link=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise CivicLedgerError(
            "charts need matplotlib: install the extra with pip install 'civicledger[charts]'"
        ) from e
    return matplotlib


def _cjk_fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed]


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _has_cjk(table: Table) -> bool:
    texts = [table.caption] + [s.text for row in table.rows for cell in row for s in cell]
    return any(_CJK.search(t) for t in texts)
