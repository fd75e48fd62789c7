"""The figure appendix of a report: each figure it phrases gets a ref (``F1``, ``F2`` …)
and an entry with the figure's lineage.

In a report over a set of ledgers a rolled-up figure is listed first, then each
ledger's figure behind it (``F1-1``, ``F1-2`` …), so a reader can follow a combined
number down to one ledger's events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from civicledger.projections import Figure
from civicledger.projections.exclusions import FigureKey, figure_key
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.model import FigureEntry

__all__ = ["CHART_STEP_LISTED", "Appendix", "exact", "group_key", "listing_limits"]

CHART_STEP_LISTED: Final = 20
"""How many contributing events the Markdown and HTML entry of a chart's step (a month's
bar, a quarter's point) lists one by one; above it the entry summarises them.

A series cuts the period's events into its steps, so listing each step's events in
full would list the period's events again, once per chart (twice with
``previous_year``). The JSON lists every step's events in full."""

GroupKey = tuple[tuple[str, str], ...]


def group_key(group: Any) -> GroupKey:
    """A figure's group as a sortable, hashable key."""
    return tuple(sorted((str(k), str(v)) for k, v in dict(group or ()).items()))


def exact(value: Any) -> str:
    """A value as exact text (decimals never in exponent form)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _lineage(figure: Figure, excluded: Mapping[FigureKey, tuple[str, ...]]) -> dict[str, Any]:
    """The figure as data, with the ids of its excluded events after their count."""
    data: dict[str, Any] = {}
    for key, value in figure.to_dict().items():
        data[key] = value
        if key == "excluded":
            ids = excluded.get(figure_key(figure), ())
            data["excluded_events"] = list(ids)
    for part in ("numerator", "denominator"):
        inner = getattr(figure, part)
        if inner is not None:
            data[part] = _lineage(inner, excluded)
    return data


def listing_limits(limit: int, steps: Iterable[Figure]) -> Callable[[Figure], int]:
    """How many events each figure's explanation lists one by one: the template's
    ``appendix_limit``, and for a figure of a chart's series (one of ``steps``, or a
    ledger's figure behind one) at most :data:`CHART_STEP_LISTED`."""
    stepped = {(f.id, f.period) for f in steps}
    step_limit = min(limit, CHART_STEP_LISTED)
    return lambda figure: step_limit if (figure.id, figure.period) in stepped else limit


class Appendix:
    """The figures a report phrases, each listed once, in order of first use."""

    def __init__(
        self,
        *,
        excluded: Mapping[FigureKey, tuple[str, ...]],
        explain: Callable[[Figure], str] | None,
        breakdown: Breakdown | None,
    ) -> None:
        self.excluded = excluded
        self.explain = explain
        self.breakdown = breakdown
        # Keyed by indicator, group, period and ledger ("" but for a set report's
        # per-ledger figures): a chart's steps are figures of their own.
        self.refs: dict[tuple[str, GroupKey, str, str], str] = {}
        self.entries: list[FigureEntry] = []

    def ref(self, figure: Figure) -> str:
        """The figure's ref, adding its entry (and its ledgers' entries) on first use."""
        breakdown = self.breakdown
        owner = breakdown.owner(figure) if breakdown is not None else None
        if owner is not None:  # a ledger's figure: listed after its rolled-up figure
            rolled, ledger = owner
            self.ref(rolled)
            return self.refs[(figure.id, group_key(figure.group), figure.period.key, ledger)]
        key = (figure.id, group_key(figure.group), figure.period.key, "")
        if key in self.refs:
            return self.refs[key]
        ref = f"F{sum(1 for e in self.entries if not e.ledger) + 1}"
        self.refs[key] = ref
        # A year-earlier figure of a set report (for 同比) is rolled up without its
        # ledgers' figures kept: it is listed with its own lineage only.
        is_rollup = breakdown is not None and breakdown.rollup(figure) is not None
        parts = breakdown.parts(figure) if breakdown is not None and is_rollup else []
        refs = {ledger: f"{ref}-{i}" for i, (ledger, _) in enumerate(parts, start=1)}
        if breakdown is not None and is_rollup:
            lineage = breakdown.lineage(figure, refs)
        else:
            lineage = _lineage(figure, self.excluded)
        self.entries.append(self._entry(ref, figure, lineage, parts=tuple(refs.values())))
        for ledger, part in parts:
            assert breakdown is not None
            info = breakdown.info(ledger)
            self.refs[(part.id, group_key(part.group), part.period.key, ledger)] = refs[ledger]
            data = {"ledger": ledger, "origin": info.origin, **_lineage(part, info.excluded)}
            self.entries.append(self._entry(refs[ledger], part, data, ledger=ledger))
        return ref

    def _entry(
        self,
        ref: str,
        figure: Figure,
        lineage: dict[str, Any],
        *,
        ledger: str = "",
        parts: tuple[str, ...] = (),
    ) -> FigureEntry:
        label = figure.indicator.label
        if ledger and self.breakdown is not None:
            label = f"{label}（{self.breakdown.info(ledger).label}）"
        return FigureEntry(
            ref=ref,
            indicator=figure.id,
            label=label,
            unit=figure.indicator.unit,
            period=figure.period.key,
            value="" if figure.value is None else exact(figure.value),
            lineage=lineage,
            explanation=str(self.explain(figure)) if self.explain is not None else "",
            ledger=ledger,
            parts=parts,
        )
