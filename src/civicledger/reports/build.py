"""Compute a report: fill a template's sections from figures, follow-ups, notes and events.

:func:`build_report` is pure: it takes the template and :class:`ReportInputs`
(figures already computed, the recorded events up to the as-of position) and
returns a :class:`~civicledger.reports.model.Report`. Gathering those inputs
from a ledger is :mod:`civicledger.reports.gather`'s job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
import jinja2

from civicledger.errors import CivicLedgerError, ProjectionError, TemplateError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.followups import FIGURE_IDS, FollowUp, in_scope, rollup
from civicledger.followups import followups as project_followups
from civicledger.projections import Figure, Period
from civicledger.projections.fields import check_field_name
from civicledger.projections.figures import AsOf
from civicledger.projections.ranking import rank
from civicledger.reports.appendix import Appendix, group_key
from civicledger.reports.charts import chart_steps, chart_table, charts_compare_whole
from civicledger.reports.enumerate import item_marker, section_marker
from civicledger.reports.figure_tables import indicator_table
from civicledger.reports.inputs import ReportInputs, coverage_warnings
from civicledger.reports.items import absence_item, followup_items, note_items
from civicledger.reports.model import (
    FollowUpRow,
    Item,
    Num,
    Report,
    Section,
    Span,
    Text,
)
from civicledger.reports.names import check_listable, distinct_values
from civicledger.reports.numbers import phrase
from civicledger.reports.phrasing import FigureRef, NotAYear, phrase_value
from civicledger.reports.ranked import group_name, ranking_text
from civicledger.reports.rows import followup_row, select_rows, zh_date
from civicledger.reports.sandbox import RenderBudget, budget_context
from civicledger.reports.scan import Scan, scan_events
from civicledger.reports.set_parts import each_ledger, ledger_figure, ledger_table_item, top_ledgers
from civicledger.reports.template import (
    ItemSpec,
    SectionSpec,
    Sentence,
    Template,
    check_indicator_ids,
)

__all__ = ["build_report"]


class _Builder:
    """Builds one report; holds the figure appendix as it grows."""

    def __init__(self, template: Template, inputs: ReportInputs) -> None:
        self.template = template
        self.inputs = inputs
        self.period = inputs.period
        self.by_key: dict[tuple[str, tuple[tuple[str, str], ...]], Figure] = {}
        for figure in inputs.figures:
            self.by_key[(figure.id, group_key(figure.group))] = figure
        self.previous = {(f.id, group_key(f.group)): f for f in inputs.previous}
        self.by_step: dict[tuple[str, Period], list[Figure]] = {}
        for figure in inputs.steps:
            self.by_step.setdefault((figure.id, figure.period), []).append(figure)
        self.breakdown = inputs.breakdown
        self.appendix = Appendix(
            excluded=inputs.excluded, explain=inputs.explain, breakdown=inputs.breakdown
        )
        self.rows_used: dict[str, FollowUpRow] = {}
        self.sentence: Sentence | None = None

    # -- scanning events -------------------------------------------------------

    def scan(self) -> tuple[dict[tuple[str, str], RecordedEvent], list[FollowUp], Scan]:
        """One pass over the events: notes of the period, follow-ups, absence hits."""
        absence = [spec for spec in self.template.items() if spec.kind == "absence"]
        for spec in absence:
            for name in spec.options["types"]:
                if self.inputs.known_types and name not in self.inputs.known_types:
                    raise self.fail(
                        f"absence claim names unknown event type {name!r}", spec.line, name
                    )
        types = {name for spec in absence for name in spec.options["types"]}
        found = scan_events(self.inputs.records, self.period, types)
        return found.notes, self.project(found.problems, self.period.end), found

    def project(self, problems: Sequence[RecordedEvent], day: date) -> list[FollowUp]:
        """The rectification ledger as of a day, from the problem events."""
        if self.inputs.followups is not None:
            return self.inputs.followups(problems, day)
        return project_followups(problems, as_of=day)

    def add_followup_figures(self, problems: list[RecordedEvent]) -> None:
        """The rectification ledger's roll-up figures as of the period's end (and, for
        ``change``, as of the end of the same span a year earlier), usable like indicators."""
        seal = self.inputs.as_of
        as_of = AsOf(position=seal.position, seal_root=seal.root_hash, tree_size=seal.tree_size)
        if self.inputs.followup_figures is not None:
            current = self.inputs.followup_figures(problems)
        else:
            current = rollup(
                in_scope(self.rows, self.period), period=self.period, as_of=as_of
            ).all_figures()
        for figure in current:
            self.by_key.setdefault((figure.id, group_key(figure.group)), figure)
        changes = any("change" in s.filters for s in self.template.sentences())
        if not changes and not charts_compare_whole(self.template):
            return
        try:
            before = self.period.previous_year()
        except ValidationError:
            return  # no same span a year earlier: 'change' reports it when used
        rows = self.project(problems, before.end)
        for figure in rollup(in_scope(rows, before), period=before, as_of=as_of).all_figures():
            self.previous.setdefault((figure.id, group_key(figure.group)), figure)

    # -- errors ----------------------------------------------------------------

    def fail(self, message: str, line: int | None, name: str | None) -> TemplateError:
        where = f"{self.template.name}:{line}" if line else self.template.name
        return TemplateError(f"{where}: {message}", path=self.template.path, line=line, field=name)

    def fail_here(self, message: str, name: str | None) -> TemplateError:
        """A template error at the line of the sentence being rendered (if any)."""
        return self.fail(message, self.sentence.line if self.sentence else None, name)

    # -- figures ---------------------------------------------------------------

    def figure(self, ident: str, group: Mapping[str, Any]) -> Figure:
        line = self.sentence.line if self.sentence else None
        if "ledger" in group:
            return ledger_figure(self, ident, group)
        key = (ident, group_key(group))
        found = self.by_key.get(key)
        if found is not None:
            return found
        if ident not in self.inputs.indicators:
            raise self.fail(f"unknown indicator {ident!r}", line, ident)
        groups = sorted(g for i, g in self.by_key if i == ident)
        if groups and not group:
            names = "; ".join(", ".join(f"{k}={v}" for k, v in g) for g in groups[:5])
            raise self.fail(
                f"indicator {ident!r} is grouped; name a group, e.g. fig({ident!r}, {names})",
                line,
                ident,
            )
        raise self.fail(
            f"no figure for {ident!r} with group {dict(group)!r} in {self.period.key}", line, ident
        )

    def ref(self, figure: Figure) -> str:
        """The figure's appendix ref (its entry added on first use)."""
        return self.appendix.ref(figure)

    # -- sentences -------------------------------------------------------------

    # Most branches counted here are in fig(), top() and names(): closures over this
    # sentence's numbers, each small, that the template calls.
    def render(self, sentence: Sentence, **extra: Any) -> tuple[Span, ...]:  # noqa: C901
        self.sentence = sentence
        nums: list[Num] = []

        def phrased(spec: str) -> Callable[[Figure], str]:
            """Phrases a figure with ``spec`` among this sentence's numbers."""
            return lambda figure: self.collect(nums, "phrase", FigureRef(figure), [spec])

        def fig(ident: str, **group: Any) -> FigureRef:
            return FigureRef(self.figure(ident, group))

        def top(
            ident: str, n: int = 3, spec: str = "exact", by: str = "group", **group: Any
        ) -> str:
            """The groups of a grouped figure (``by="ledger"``: the ledgers of a set
            report, for the figure of ``group``) placed 1..n, each linked, ties stated."""
            if by == "ledger":
                return top_ledgers(self, ident, group, n, phrased(spec))
            if group:
                why = f"top() ranks the groups of {ident!r}; it names no group unless by='ledger'"
                raise self.fail(why, sentence.line, ident)
            if by != "group":
                raise self.fail(
                    f"top() ranks by 'group' or 'ledger', not {by!r}", sentence.line, by
                )
            figures = [f for (i, _), f in self.by_key.items() if i == ident and f.group]
            if not figures:
                why = f"top() needs a grouped indicator; {ident!r} has no groups"
                raise self.fail(why, sentence.line, ident)
            try:
                placed = rank(figures, n)
            except ProjectionError as e:
                raise self.fail(str(e), sentence.line, ident) from None
            return ranking_text(
                placed,
                lambda entry: self.collect(nums, "phrase", FigureRef(entry.figure), [spec]),
                self.inputs.classes,
            )

        def names(
            ref: FigureRef, field: str, order: str = "first", limit: int = 0, unit: str = "个"
        ) -> str:
            """The distinct values of a field behind a figure, 等N个 when cut short."""
            if not isinstance(ref, FigureRef):
                raise self.fail("names() takes fig('…') first", sentence.line, "names")
            figure = ref.figure
            try:
                values = self.names_of(figure, field, order)
            except ValidationError as e:
                raise self.fail(e.message, sentence.line, field) from None
            if not limit or len(values) <= limit:
                return "、".join(values)
            count = phrase(len(values), f"exact:{unit}", units=self.template.units)
            rule = f"names:{order}:{count.rule}"
            nums.append(Num(count.text, str(len(values)), rule, self.ref(figure)))
            return "、".join(values[:limit]) + f"等\x00{len(nums) - 1}\x00"

        budget = RenderBudget(
            self.inputs.limits, where=f"{self.template.name}: line {sentence.line}"
        )
        context = {
            "fig": fig,
            "top": top,
            "names": names,
            "year": (
                self.period.start.year if self.period.kind == "year" else NotAYear(self.period)
            ),
            "next_year": self.period.end.year + 1,
            "period": self.period.label,
            "span": "全年" if self.period.kind == "year" else self.period.label,
            "period_end": zh_date(self.period.end.isoformat()),
            "followup_count": self.followup_count,
            "ledgers": [i.label for i in self.inputs.breakdown or ()],
            "each_ledger": lambda ident, spec="exact", sep="、", **group: each_ledger(
                self, ident, group, phrased(spec), sep
            ),
            "_collector": lambda name, value, args: self.collect(nums, name, value, args),
            **budget_context(budget),
            **extra,
        }
        chunks: list[str] = []
        try:
            for chunk in sentence.compiled.generate(context):
                budget.emit(chunk)
                chunks.append(chunk)
        except CivicLedgerError:  # the template's own error, a refused limit, a bad figure
            raise
        except jinja2.TemplateError as e:
            raise self.fail(f"{e.message or e}", sentence.line, getattr(e, "name", None)) from None
        except ArithmeticError as e:
            raise self.fail(f"arithmetic failed: {e}", sentence.line, None) from None
        except (LookupError, TypeError, ValueError, RecursionError) as e:
            # The sentence's own expression failed (an index out of range, a bad format
            # string such as "{0.__class__}".format_map(period)).
            raise self.fail(
                f"the sentence failed when rendered: {type(e).__name__}: {e}", sentence.line, None
            ) from None
        finally:
            self.sentence = None
        out = "".join(chunks)
        # Line breaks inside a TOML text only wrap the source: Chinese prose has no spaces.
        out = "".join(part.strip() for part in out.splitlines())
        spans: list[Span] = []
        for index, part in enumerate(out.split("\x00")):
            if index % 2:
                spans.append(nums[int(part)])
            elif part:
                spans.append(Text(part))
        return tuple(spans)

    def names_of(self, figure: Figure, field: str, order: str) -> list[str]:
        """The distinct values of ``field`` among the events behind ``figure``."""
        if self.inputs.events is None:
            raise ValidationError("this report was built without access to the events")
        check_field_name(field)
        if not figure.indicator.source:
            raise ValidationError(
                f"names() lists the events of a figure with its own source; {figure.id!r} "
                "is computed from other figures"
            )
        types = sorted({c.type for c in figure.contributions})
        check_listable(field, figure.indicator.source, self.inputs.classes)
        wanted = {c.event_id for c in figure.contributions if c.amount != 0}
        records = (r for r in self.inputs.events(types) if r.event_id in wanted)
        return distinct_values(records, field, order)

    def collect(self, nums: list[Num], name: str, value: Any, args: Sequence[Any]) -> str:
        """Phrase a filtered value and return the marker that stands for it in the output."""
        num = phrase_value(
            value,
            name,
            args,
            units=self.template.units,
            earlier=self.earlier,
            ref=self.ref,
            fail=self.fail_here,
        )
        nums.append(num)
        return f"\x00{len(nums) - 1}\x00"

    def caption(self, spec: ItemSpec) -> str:
        sentence = spec.options.get("caption")
        return "" if sentence is None else "".join(s.text for s in self.render(sentence))

    def followup_count(self, select: str = "identified") -> int:
        return len(self.select_rows(select, None))

    # -- sections --------------------------------------------------------------

    def build(self) -> Report:
        self.notes, self.rows, found = self.scan()
        self.hits = found.hits
        self.add_followup_figures(found.problems)
        warnings = coverage_warnings(self.period, self.inputs.last_date)
        title = "".join(s.text for s in self.render(self.template.title))
        intro = tuple(i for spec in self.template.intro for i in self.items(spec))
        sections = tuple(
            self.section(spec, level=1, order=i + 1)
            for i, spec in enumerate(self.template.sections)
        )
        return Report(
            title=title,
            period=self.period.key,
            period_label=self.period.label,
            period_start=self.period.start.isoformat(),
            period_end=self.period.end.isoformat(),
            period_label_en=self.period.label_en,
            warnings=warnings,
            intro=intro,
            sections=sections,
            figures=tuple(self.appendix.entries),
            followups=tuple(self.rows_used.values()),
            as_of=self.inputs.as_of,
            template_name=self.template.name,
            template_sha256=self.template.sha256,
            template_source=self.template.source,
            indicators_sha256=self.inputs.indicators_sha256,
            indicators_source=self.inputs.indicators_source,
            rules=self.inputs.rules,
        )

    def section(self, spec: SectionSpec, *, level: int, order: int) -> Section:
        heading = "".join(s.text for s in self.render(spec.heading))
        intro: list[Item] = []
        for item in spec.intro:
            intro.extend(self.items(item))
        raw: list[tuple[Item, bool]] = []
        for item in spec.items:
            produced = self.items(item)
            raw.extend((i, item.options["numbered"] and i.kind != "table") for i in produced)
        # A lone numbered item reads oddly as 一是, so numbering starts at two.
        numbered = sum(1 for _, n in raw if n) > 1
        counter = 0
        items: list[Item] = []
        for produced_item, wants in raw:
            if wants and numbered:
                counter += 1
                marker = item_marker(self.template.numbering, counter)
                produced_item = attrs.evolve(produced_item, marker=marker)
            items.append(produced_item)
        children = tuple(
            self.section(child, level=level + 1, order=i + 1)
            for i, child in enumerate(spec.sections)
        )
        return Section(
            key=spec.key,
            level=level,
            order=order,
            marker=section_marker(self.template.numbering, level, order),
            heading=heading,
            intro=tuple(intro),
            items=tuple(items),
            sections=children,
        )

    def items(self, spec: ItemSpec) -> list[Item]:
        if spec.kind == "sentence":
            assert spec.text is not None
            return [Item("sentence", "", self.render(spec.text), line=spec.line)]
        if spec.kind == "note":
            return note_items(self, spec)
        if spec.kind == "absence":
            return [absence_item(self, spec, searched_up_to=self.searched_up_to())]
        if spec.kind == "followups" and spec.options["style"] == "by_ledger":
            return [ledger_table_item(self, spec)]
        if spec.kind == "followups":
            return followup_items(self, spec)
        if spec.kind == "chart":
            return [self.chart(spec)]
        if spec.options.get("by") == "ledger":
            return [ledger_table_item(self, spec)]
        table = indicator_table(self.item_figures(spec), self.caption(spec), self.ref)
        return [Item("table", "", (), table=table, line=spec.line)]

    def select_rows(self, select: str, category: str | None) -> list[FollowUp]:
        return select_rows(self.rows, select, category, self.period)

    def followup_row(self, followup: FollowUp) -> FollowUpRow:
        """A follow-up as the report states it; in a set report, naming its ledger."""
        row = followup_row(followup)
        if self.inputs.breakdown is None:
            return row
        # A set report's problem ids read "<ledger label>/<id>" (ids have no "/").
        return attrs.evolve(row, ledger=row.problem_id.rpartition("/")[0])

    def ledger_column(self, spec: ItemSpec) -> str:
        """The header of a follow-up table's column naming each row's ledger (set reports)."""
        return spec.options["heading"] if self.inputs.breakdown is not None else ""

    def searched_up_to(self) -> int | dict[str, int]:
        """How far an absence claim searched: the position, or each ledger's in a set report."""
        if self.inputs.breakdown is None:
            return self.inputs.as_of.position
        return {i.name: i.position for i in self.inputs.breakdown}

    def item_figures(self, spec: ItemSpec) -> list[Figure]:
        """The figures an indicators or chart item names: every group of each id, in order."""
        found: list[Figure] = []
        for ident in spec.options["ids"]:
            figures = sorted(
                (f for (i, _), f in self.by_key.items() if i == ident),
                key=lambda f: group_key(f.group),
            )
            if not figures:
                raise self.fail(
                    f"no figure for indicator {ident!r} in {self.period.key}", spec.line, ident
                )
            found.extend(figures)
        return found

    def chart(self, spec: ItemSpec) -> Item:
        """A chart: its figures laid out as a table whose every value links to its
        derivation (see :mod:`civicledger.reports.charts`); renderers draw it."""
        limit = self.inputs.limits.series_max_periods
        steps = chart_steps(self.template, spec, self.period, limit)
        table = chart_table(self, spec, self.caption(spec), self.period, steps)
        return Item("chart", "", (), table=table, line=spec.line)

    # -- what a chart asks of the report (civicledger.reports.charts.ChartContext) --

    def earlier(self, figure: Figure) -> Figure | None:
        return self.previous.get((figure.id, group_key(figure.group)))

    def step_figures(self, ident: str, step: Period) -> list[Figure]:
        return sorted(self.by_step.get((ident, step), ()), key=lambda f: group_key(f.group))

    def group_values(self, figure: Figure) -> list[str]:
        source, classes = figure.indicator.source, self.inputs.classes
        return [group_name(k, v, source, classes) for k, v in figure.group]

    def label(self, figure: Figure) -> str:
        group = "，".join(self.group_values(figure))
        return f"{figure.indicator.label}（{group}）" if group else figure.indicator.label


def build_report(template: Template, inputs: ReportInputs) -> Report:
    """Compute a report from a template and its inputs.

    Args:
        template: a loaded template.
        inputs: the figures, events and as-of point.

    Returns:
        The report, ready to render.

    Raises:
        TemplateError: the template names an unknown indicator, event type or
            group, or a figure cannot be phrased as asked (file, line, name).
        ProjectionError: an absence claim is contradicted by the ledger.
    """
    clash = sorted(set(inputs.indicators) & set(FIGURE_IDS))
    if clash:
        raise TemplateError(
            f"{template.name}: indicator id {clash[0]!r} is the name of a follow-up figure "
            "(see docs/followups.md); give the indicator another id",
            path=template.path,
            field=clash[0],
        )
    check_indicator_ids(template, [*inputs.indicators, *FIGURE_IDS])
    return _Builder(template, inputs).build()
