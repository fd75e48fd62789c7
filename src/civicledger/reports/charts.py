"""Chart items of a report: which figures a chart shows and where each one sits.

A chart is laid out as a small table: one row per place along the x axis (a figure,
a group or a step of a series), one value column per series of bars or per line,
and the unit. Every value is a linked number like those of the sentences, so the
renderers draw each bar or point as a link to its figure's derivation, and those
that do not draw show the table. The layouts (``docs/reports.md``):

- ``bar``: one bar per figure (each group of each id), or with ``by`` one bar per
  step of a single figure;
- ``grouped_bar``: one cluster per value of the first group field (a bar per id
  and per value of any further field), or with ``by`` one cluster per step (a bar
  per figure);
- ``line`` (needs ``by``): one line per figure through the steps.

With ``previous_year`` each bar or line gets its counterpart of the same span one
year earlier (同比).

With ``by_ledger`` (reports over a set of ledgers) the series are the ledgers' own
figures behind the rolled-up ones: ``bar`` draws one bar per ledger for a single
figure, ``grouped_bar`` one cluster per ledger (a bar per figure), or with ``by`` one
cluster per step (a bar per ledger), and ``line`` one line per ledger through the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from civicledger.errors import TemplateError, ValidationError
from civicledger.limits import LimitError
from civicledger.projections import Figure, Period
from civicledger.projections.series import Step, steps_of
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.figure_tables import value_cell
from civicledger.reports.model import Cell, Table, Text
from civicledger.reports.template import ItemSpec, Template

__all__ = ["ChartContext", "chart_items", "chart_steps", "chart_table", "charts_compare_whole"]

VALUE_COLUMN = "数值"
"""The one value column of a chart with a single series."""


class ChartContext(Protocol):
    """What laying out a chart needs from the report being built."""

    @property
    def breakdown(self) -> Breakdown | None:
        """The set report's ledgers and per-ledger figures; None over one ledger."""

    def item_figures(self, spec: ItemSpec) -> list[Figure]:
        """The figures of the period an item names: every group of each id, in order."""

    def earlier(self, figure: Figure) -> Figure | None:
        """The figure of the same span a year earlier, if computed."""

    def step_figures(self, ident: str, step: Period) -> list[Figure]:
        """The figures (every group) of an indicator for one step of a series."""

    def ref(self, figure: Figure) -> str:
        """The figure's appendix entry (added on first use)."""

    def label(self, figure: Figure) -> str:
        """The figure's label with its group named (``检查通过（市级）``)."""

    def group_values(self, figure: Figure) -> list[str]:
        """The figure's group values as a reader names them, in field order."""

    def fail(self, message: str, line: int | None, name: str | None) -> TemplateError:
        """An error naming the template, line and field."""


def chart_items(template: Template) -> list[ItemSpec]:
    """Every chart item of the template, in file order."""
    return [item for item in template.items() if item.kind == "chart"]


def charts_compare_whole(template: Template) -> bool:
    """Whether a chart sets figures of the whole period against a year earlier."""
    return any(s.options["previous_year"] and not s.options["by"] for s in chart_items(template))


def chart_steps(template: Template, spec: ItemSpec, period: Period, max_steps: int) -> list[Period]:
    """The steps of a chart's series through the period (none without ``by``), checked.

    Raises:
        TemplateError: the step cuts the period into fewer than two steps or more
            than ``max_steps``, or the period or a step has no same span a year earlier
            (ISO week 53) while the chart asks for it; naming the template, the item's
            line and its ``by`` or ``previous_year`` field.
    """
    by: Step | None = spec.options["by"]

    def fail(message: str, name: str) -> TemplateError:
        return TemplateError(
            f"{template.name}:{spec.line}: {message}",
            path=template.path,
            line=spec.line,
            field=f"{spec.options['where']}.{name}",
        )

    steps: list[Period] = []
    if by is not None:
        try:
            steps = steps_of(period, by, max_steps=max_steps)
        except LimitError as e:
            raise fail(f"by = {by!r}: {e}", "by") from None
        if len(steps) < 2:
            raise fail(
                f"by = {by!r} does not divide {period.key} into a series (one {by} at most); "
                "choose a shorter step or a longer period",
                "by",
            )
    if spec.options["previous_year"]:
        for step in (period, *steps):
            try:
                step.previous_year()
            except ValidationError as e:
                raise fail(f"previous_year: {e.message}", "previous_year") from None
    return steps


def chart_table(
    context: ChartContext, spec: ItemSpec, caption: str, period: Period, steps: list[Period]
) -> Table:
    """The chart's table: its rows along the x axis, a value column per series.

    Args:
        context: the report being built.
        spec: the chart item.
        caption: the item's caption, rendered.
        period: the report's period.
        steps: the steps of its series (:func:`chart_steps`), empty without ``by``.

    Raises:
        TemplateError: the item's figures do not fit its layout (naming the field).
    """
    style = spec.options["chart"]
    if spec.options.get("by_ledger"):
        layout = _by_ledger(context, spec, period, steps)
    elif steps:
        layout = _by_step(context, spec, period, steps)
    elif style == "grouped_bar":
        layout = _by_group(context, spec)
    else:
        layout = _per_figure(context, spec)
    if spec.options["previous_year"]:
        layout = _with_previous_year(context, spec, layout, period, steps)
    columns, rows = layout
    return Table(
        f"chart.{style}",
        caption,
        ("项目", *columns, "单位"),
        tuple(_row(context, label, cells) for label, cells in rows),
    )


# A layout: the series names, and per row its label and one figure (or none) per series.
_Layout = tuple[list[str], list[tuple[str, list[Figure | None]]]]


def _per_figure(context: ChartContext, spec: ItemSpec) -> _Layout:
    figures = context.item_figures(spec)
    return [VALUE_COLUMN], [(context.label(f), [f]) for f in figures]


def _by_group(context: ChartContext, spec: ItemSpec) -> _Layout:
    """Clusters by the first group field; a bar per id and further group values."""
    figures = context.item_figures(spec)
    several = len(spec.options["ids"]) > 1
    rows: dict[str, dict[str, Figure]] = {}
    columns: dict[str, None] = {}
    for figure in figures:
        values = context.group_values(figure)
        if not values:
            raise context.fail(
                f"a grouped_bar chart without 'by' clusters the groups of grouped "
                f"indicators, but {figure.id!r} has no groups; use chart = 'bar'",
                spec.line,
                f"{spec.options['where']}.ids",
            )
        name = "，".join([figure.indicator.label] * several + values[1:]) or figure.indicator.label
        columns.setdefault(name)
        rows.setdefault(values[0], {})[name] = figure
    names = list(columns)
    return names, [(label, [found.get(n) for n in names]) for label, found in rows.items()]


def _by_step(context: ChartContext, spec: ItemSpec, period: Period, steps: list[Period]) -> _Layout:
    """One row per step; a series per figure (each group of each id)."""
    per_step = [
        [f for ident in spec.options["ids"] for f in context.step_figures(ident, step)]
        for step in steps
    ]
    names = [context.label(f) for f in per_step[0]]
    if not names:
        raise context.fail(
            f"no figure for {', '.join(spec.options['ids'])} in any {spec.options['by']} "
            f"of {period.key}",
            spec.line,
            f"{spec.options['where']}.ids",
        )
    if spec.options["chart"] == "bar" and len(names) > 1:
        raise context.fail(
            f"a bar chart by {spec.options['by']} shows one figure per step, but the ids "
            f"give {len(names)} ({', '.join(names[:3])}…); use chart = 'grouped_bar' or 'line'",
            spec.line,
            f"{spec.options['where']}.ids",
        )
    return names, [
        (_step_label(step, period), list[Figure | None](figures))
        for step, figures in zip(steps, per_step, strict=True)
    ]


def _by_ledger(
    context: ChartContext, spec: ItemSpec, period: Period, steps: list[Period]
) -> _Layout:
    """The ledgers' own figures: a row per ledger (a series per figure), or with steps a
    row per step (a series per ledger). Each value is the ledger's figure behind the
    rolled-up one, so it links to its own appendix entry and from there to its events."""
    where = spec.options["where"]
    breakdown = context.breakdown
    if breakdown is None:
        raise context.fail(
            "by_ledger = true draws each ledger of a report over a set of ledgers; this "
            "report is over one ledger",
            spec.line,
            f"{where}.by_ledger",
        )
    style = spec.options["chart"]
    if not steps:
        figures = context.item_figures(spec)
        if style == "bar" and len(figures) > 1:
            names = "、".join(context.label(f) for f in figures[:3])
            raise context.fail(
                f"a bar chart by ledger shows one figure per ledger, but the ids give "
                f"{len(figures)} ({names}…); use chart = 'grouped_bar'",
                spec.line,
                f"{where}.ids",
            )
        columns = [VALUE_COLUMN] if style == "bar" else [context.label(f) for f in figures]
        return columns, [
            (info.label, [breakdown.part(f, info.name) for f in figures]) for info in breakdown
        ]
    if style == "bar":
        raise context.fail(
            f"a bar chart by {spec.options['by']} draws one bar per step; to draw each "
            "ledger use chart = 'grouped_bar' or 'line'",
            spec.line,
            f"{where}.chart",
        )
    per_step: list[Figure] = []
    for step in steps:
        found = [f for ident in spec.options["ids"] for f in context.step_figures(ident, step)]
        if len(found) != 1 or found[0].group:
            ids = ", ".join(spec.options["ids"])
            raise context.fail(
                f"a series by ledger draws one ungrouped figure, but {ids} give {len(found)} "
                f"in {step.key}; name one ungrouped indicator",
                spec.line,
                f"{where}.ids",
            )
        per_step.append(found[0])
    return [info.label for info in breakdown], [
        (_step_label(step, period), [breakdown.part(f, info.name) for info in breakdown])
        for step, f in zip(steps, per_step, strict=True)
    ]


def _with_previous_year(
    context: ChartContext, spec: ItemSpec, layout: _Layout, period: Period, steps: list[Period]
) -> _Layout:
    """Each series beside its counterpart of the same span a year earlier."""
    names, rows = layout
    now, then = period.label, period.previous_year().label
    earlier: Callable[[Figure], Figure | None] = context.earlier
    if steps:
        # Each step's own span a year earlier, as the series computed it.
        earlier_of = {
            (f.id, f.group, f.period): f
            for step in steps
            for ident in spec.options["ids"]
            for f in context.step_figures(ident, step.previous_year())
        }

        def earlier(figure: Figure) -> Figure | None:
            return earlier_of.get((figure.id, figure.group, figure.period.previous_year()))

    doubled = [
        f"{name}（{year}）" if len(names) > 1 else year for name in names for year in (now, then)
    ]
    return doubled, [
        (label, [g for f in cells for g in (f, None if f is None else earlier(f))])
        for label, cells in rows
    ]


def _step_label(step: Period, period: Period) -> str:
    """A step as the x axis names it: without the year when the period lies in one."""
    label = step.label
    year = f"{period.start.year}年"
    if period.start.year == period.end.year and label.startswith(year):
        return label[len(year) :]
    return label


def _row(context: ChartContext, label: str, cells: Sequence[Figure | None]) -> tuple[Cell, ...]:
    values: list[Cell] = []
    units: dict[str, None] = {}
    for figure in cells:
        if figure is None:
            values.append((Text("—"),))
            continue
        units.setdefault(figure.indicator.unit)
        values.append(value_cell(figure, context.ref))
    return ((Text(label),), *values, (Text("、".join(units)),))
