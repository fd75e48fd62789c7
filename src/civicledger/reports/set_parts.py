"""What a sentence or item may ask of a report over a set of ledgers.

``fig('x', ledger='幸福社区')`` names one ledger's figure, ``each_ledger('x')`` lists
every ledger's, ``top('x', by='ledger')`` ranks the ledgers and an indicators item
with ``by = "ledger"`` (or a followups item with ``style = "by_ledger"``) lays out
a row per ledger. Each is refused, naming the
template line, in a report over one ledger. The figures themselves are kept by
:class:`~civicledger.reports.breakdown.Breakdown`; these functions only reach them
through the report being built (a :class:`SetContext`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from civicledger.errors import ProjectionError, TemplateError, ValidationError
from civicledger.projections import Figure
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.figure_tables import ledger_table
from civicledger.reports.model import Item
from civicledger.reports.template import ItemSpec

__all__ = ["SetContext", "each_ledger", "ledger_figure", "ledger_table_item", "top_ledgers"]


class SetContext(Protocol):
    """What these parts need from the report being built."""

    @property
    def breakdown(self) -> Breakdown | None:
        """The set report's breakdown; None in a report over one ledger."""
        ...

    def figure(self, ident: str, group: Mapping[str, Any]) -> Figure:
        """The (rolled-up) figure a sentence names."""
        ...

    def fail(self, message: str, line: int | None, name: str | None) -> TemplateError:
        """A template error naming the template, the line and the name."""
        ...

    def fail_here(self, message: str, name: str | None) -> TemplateError:
        """A template error at the line of the sentence being rendered."""
        ...

    def item_figures(self, spec: ItemSpec) -> list[Figure]:
        """The figures an item names: every group of each id, in order."""
        ...

    def caption(self, spec: ItemSpec) -> str:
        """An item's caption, rendered."""
        ...

    def ref(self, figure: Figure) -> str:
        """The figure's appendix ref (its entry added on first use)."""
        ...


def _breakdown(report: SetContext, what: str, name: str) -> Breakdown:
    """The set report's breakdown; in a report over one ledger, refuse ``what``."""
    if report.breakdown is None:
        raise report.fail_here(f"{what} is for a report over a set of ledgers", name)
    return report.breakdown


def ledger_figure(report: SetContext, ident: str, group: Mapping[str, Any]) -> Figure:
    """``fig(ident, ledger=…, **group)``: one ledger's figure."""
    breakdown = _breakdown(report, f"fig({ident!r}, ledger=…)", ident)
    rolled = report.figure(ident, {k: v for k, v in group.items() if k != "ledger"})
    try:
        return breakdown.part_of(rolled, group["ledger"])
    except ValidationError as e:
        raise report.fail_here(e.message, ident) from None


def each_ledger(
    report: SetContext,
    ident: str,
    group: Mapping[str, Any],
    phrased: Callable[[Figure], str],
    sep: str,
) -> str:
    """``each_ledger(ident, **group)``: every ledger's label and figure, in the set's order."""
    breakdown = _breakdown(report, "each_ledger()", ident)
    return breakdown.each(report.figure(ident, group), phrased, sep)


def top_ledgers(
    report: SetContext,
    ident: str,
    group: Mapping[str, Any],
    n: int,
    phrased: Callable[[Figure], str],
) -> str:
    """``top(ident, by="ledger", **group)``: the ledgers placed 1..n by their figure."""
    breakdown = _breakdown(report, "top(…, by='ledger')", ident)
    try:
        return breakdown.top(report.figure(ident, group), n, phrased)
    except ProjectionError as e:
        raise report.fail_here(str(e), ident) from None


def ledger_table_item(report: SetContext, spec: ItemSpec) -> Item:
    """A table with a row per ledger and a column per figure, then the 合计 row: an
    indicators item with ``by = "ledger"`` or a followups item with ``style = "by_ledger"``
    (its columns are follow-up roll-up figures)."""
    setting = "style" if spec.kind == "followups" else "by"
    if report.breakdown is None:
        asked = f"{setting} = {spec.options[setting]!r}"
        raise report.fail(
            f"{asked} is for a report over a set of ledgers",
            spec.line,
            f"{spec.options['where']}.{setting}",
        )
    breakdown = report.breakdown
    figures = report.item_figures(spec)
    grouped = next((f for f in figures if f.group), None)
    if grouped is not None:
        raise report.fail(
            f"a table by ledger takes ungrouped indicators; {grouped.id!r} is grouped",
            spec.line,
            f"{spec.options['where']}.ids",
        )
    caption, heading = report.caption(spec), spec.options["heading"]
    table = ledger_table(breakdown, figures, caption, heading, report.ref)
    return Item("table", "", (), table=table, line=spec.line)
