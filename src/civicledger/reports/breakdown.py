"""A report over a set of ledgers: each rolled-up figure with its per-ledger figures.

A set report is built from rolled-up figures (one :class:`~civicledger.projections.Figure`
per roll-up, carrying the combined value) and, behind each, the figure every ledger
computed. :class:`Breakdown` holds both so the builder can let a template name a
ledger's own figure (``fig('x', ledger='幸福社区')``), rank the ledgers
(``top('x', by='ledger')``) and lay out a table with one row per ledger; the
appendix lists every rolled-up figure followed by its ledgers' figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.projections import Figure
from civicledger.projections.exclusions import FigureKey
from civicledger.projections.figures import AsOf, Contribution, json_value
from civicledger.projections.ranking import rank
from civicledger.projections.rollup import RollupFigure, roll_up
from civicledger.reports.model import Cell, Table, Text
from civicledger.reports.ranked import ranking_text

__all__ = ["BY_LEDGER_TOTAL", "Breakdown", "LedgerInfo", "ledger_label", "rolled_figure"]

BY_LEDGER_TOTAL = "合计"
"""The label of a per-ledger table's last row, the rolled-up figures."""


def ledger_label(name: str) -> str:
    """How a report names a ledger: its name after the last ``/`` (``和平街道/幸福社区``
    reads ``幸福社区``)."""
    return name.rsplit("/", 1)[-1] or name


@attrs.frozen
class LedgerInfo:
    """One ledger of the set as the report sees it.

    Attributes:
        name: its name in the database.
        label: how the report names it.
        origin: its origin.
        position: the last position read.
        excluded: the ids of its events that did not count, by figure key.
    """

    name: str
    label: str
    origin: str
    position: int
    excluded: Mapping[FigureKey, tuple[str, ...]] = attrs.field(factory=dict)


def rolled_figure(rollup: RollupFigure) -> Figure:
    """A roll-up as a figure a report can phrase: its value, group and parts rolled up.

    Its contributions are every ledger's, loaded when first read; event ids are
    unique across ledgers, positions are not (the per-ledger figures keep those).
    """
    shares = [part.figure for part in rollup.parts]

    def contributions() -> tuple[Contribution, ...]:
        return tuple(chain.from_iterable(f.contributions for f in shares))

    operands = roll_up([(part.ledger, part.origin, part.figure.operands) for part in rollup.parts])
    return Figure(
        indicator=rollup.indicator,
        period=rollup.period,
        value=rollup.value,
        as_of=AsOf(position=0),
        contributions=None,
        lineage=contributions,
        group=rollup.group,
        excluded=sum(f.excluded for f in shares),
        numerator=rolled_figure(rollup.numerator) if rollup.numerator else None,
        denominator=rolled_figure(rollup.denominator) if rollup.denominator else None,
        undefined_reason=rollup.undefined_reason,
        estimated=tuple(sorted({e for f in shares for e in f.estimated})),
        operands=tuple(rolled_figure(o) for o in operands),
    )


class Breakdown:
    """The ledgers of a set report and the per-ledger figures behind each rolled-up one."""

    def __init__(self, ledgers: Sequence[LedgerInfo], rollups: Sequence[RollupFigure]) -> None:
        """Pair each roll-up with the figure it is built from.

        Args:
            ledgers: the set's ledgers, in its order.
            rollups: the roll-ups the report may use.
        """
        self.ledgers = tuple(ledgers)
        self._by_name = {ledger.name: ledger for ledger in self.ledgers}
        self._rollups: dict[int, RollupFigure] = {}
        self._owners: dict[int, tuple[Figure, str]] = {}
        self.figures: list[Figure] = self.add(rollups)

    def add(self, rollups: Sequence[RollupFigure]) -> list[Figure]:
        """Pair more roll-ups with their ledgers' figures (a chart's steps, the follow-up
        figures); return them as figures, which :attr:`figures` does not list."""
        added: list[Figure] = []
        for rollup in rollups:
            figure = rolled_figure(rollup)
            added.append(figure)
            self._rollups[id(figure)] = rollup
            for part in rollup.parts:
                self._owners[id(part.figure)] = (figure, part.ledger)
        return added

    def __iter__(self) -> Iterator[LedgerInfo]:
        return iter(self.ledgers)

    def resolve(self, ledger: object) -> str:
        """A ledger's name from its name or its label.

        Raises:
            ValidationError: no ledger of the set is named or labelled so.
        """
        for info in self.ledgers:
            if ledger in (info.name, info.label):
                return info.name
        known = "、".join(info.label for info in self.ledgers)
        raise ValidationError(f"no ledger {ledger!r} in this report's set (it has: {known})")

    def info(self, name: str) -> LedgerInfo:
        """The ledger of that name."""
        return self._by_name[name]

    def rollup(self, figure: Figure) -> RollupFigure | None:
        """The roll-up behind a rolled-up figure, or None for any other figure."""
        return self._rollups.get(id(figure))

    def parts(self, figure: Figure) -> list[tuple[str, Figure]]:
        """Each ledger's figure behind a rolled-up figure, in the set's order."""
        rollup = self._rollups[id(figure)]
        return [(part.ledger, part.figure) for part in rollup.parts]

    def part(self, figure: Figure, ledger: str) -> Figure | None:
        """One ledger's figure behind a rolled-up figure, or None if it has none there."""
        return dict(self.parts(figure)).get(ledger)

    def owner(self, figure: Figure) -> tuple[Figure, str] | None:
        """For a per-ledger figure, its rolled-up figure and its ledger; else None."""
        return self._owners.get(id(figure))

    def lineage(self, figure: Figure, refs: Mapping[str, str]) -> dict[str, Any]:
        """A rolled-up figure's lineage: how it combines and, per ledger, the point that
        ledger was read at, its value and the appendix entry of its figure."""
        rollup = self._rollups[id(figure)]
        return {
            "indicator": rollup.indicator.id,
            "label": rollup.indicator.label,
            "unit": rollup.indicator.unit,
            "period": {
                "key": rollup.period.key,
                "start": rollup.period.start.isoformat(),
                "end": rollup.period.end.isoformat(),
            },
            "group": dict(rollup.group),
            "value": json_value(rollup.value),
            "undefined_reason": rollup.undefined_reason,
            "combined": rollup.combined,
            "ledgers": [
                {
                    "ledger": part.ledger,
                    "origin": part.origin,
                    "as_of": part.figure.as_of.to_dict(),
                    "value": json_value(part.figure.value),
                    "ref": refs[part.ledger],
                }
                for part in rollup.parts
            ],
        }

    def part_of(self, figure: Figure, ledger: object) -> Figure:
        """The figure of a ledger (named or labelled) behind a rolled-up figure.

        Raises:
            ValidationError: the set has no such ledger, or it has no figure there.
        """
        name = self.resolve(ledger)
        found = self.part(figure, name)
        if found is None:
            raise ValidationError(
                f"ledger {name!r} has no figure for {figure.id!r} with group "
                f"{dict(figure.group)!r} in {figure.period.key}"
            )
        return found

    def each(self, figure: Figure, phrase: Callable[[Figure], str], sep: str) -> str:
        """Every ledger's label and phrased figure behind a rolled-up one, in the set's
        order (``荷花社区64件、莲花社区18件``)."""
        return sep.join(self.info(name).label + phrase(part) for name, part in self.parts(figure))

    def top(self, figure: Figure, n: int, phrase: Callable[[Figure], str]) -> str:
        """The ledgers placed 1..n by their figure behind a rolled-up one, ties stated
        (``荷花社区（64件）、XX社区（46件）``).

        Raises:
            ProjectionError: ``n`` is not a positive whole number.
        """
        # Ranked as groups named by the ledgers' labels; each phrased from its own figure.
        pairs = [
            (attrs.evolve(part, group=(("ledger", self.info(name).label),)), part)
            for name, part in self.parts(figure)
        ]
        own = {id(grouped): part for grouped, part in pairs}
        placed = rank([grouped for grouped, _ in pairs], n)
        return ranking_text(placed, lambda entry: phrase(own[id(entry.figure)]))

    def table(
        self,
        figures: Sequence[Figure],
        cell: Callable[[Figure | None], Cell],
        caption: str,
        heading: str,
    ) -> Table:
        """A table with one row per ledger and one column per figure, then the totals.

        Args:
            figures: the rolled-up figures, one per column.
            cell: phrases a figure as a cell (linked to its appendix entry); None
                stands for a ledger without that figure.
            caption: the table's caption.
            heading: the first column's header (``"社区"``).
        """
        columns = (
            "序号",
            heading,
            *(f"{f.indicator.label}（{f.indicator.unit}）" for f in figures),
        )
        rows: list[tuple[Cell, ...]] = []
        for index, info in enumerate(self.ledgers, start=1):
            values = [cell(self.part(f, info.name)) for f in figures]
            rows.append(((Text(str(index)),), (Text(info.label),), *values))
        rows.append(((Text(""),), (Text(BY_LEDGER_TOTAL),), *(cell(f) for f in figures)))
        return Table("by_ledger", caption, columns, tuple(rows))
