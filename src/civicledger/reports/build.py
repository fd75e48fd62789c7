"""Compute a report: fill a template's sections from figures, follow-ups, notes and events.

:func:`build_report` is pure: it takes the template and :class:`ReportInputs`
(figures already computed, the recorded events up to the as-of position) and
returns a :class:`~civicledger.reports.model.Report`. Gathering those inputs
from a ledger is :mod:`civicledger.reports.gather`'s job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import jinja2

from civicledger.errors import CivicLedgerError, ProjectionError, TemplateError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.followups import FIGURE_IDS, FollowUp, in_scope, rollup
from civicledger.followups import followups as project_followups
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.projections import Figure, Indicator, Period
from civicledger.projections.derived import named_parts
from civicledger.projections.exclusions import FigureKey, figure_key
from civicledger.projections.fields import check_field_name
from civicledger.projections.figures import AsOf
from civicledger.projections.ranking import rank
from civicledger.reports.breakdown import Breakdown
from civicledger.reports.charts import chart_steps, chart_table, charts_compare_whole
from civicledger.reports.enumerate import item_marker, section_marker
from civicledger.reports.items import absence_item, followup_items, note_items
from civicledger.reports.model import (
    Cell,
    FigureEntry,
    FollowUpRow,
    Item,
    Num,
    Report,
    SealInfo,
    Section,
    Span,
    Table,
    Text,
)
from civicledger.reports.names import check_listable, distinct_values
from civicledger.reports.numbers import Phrase, phrase
from civicledger.reports.ranked import group_name, ranking_text
from civicledger.reports.rows import followup_row, select_rows, zh_date
from civicledger.reports.sandbox import RenderBudget, budget_context
from civicledger.reports.scan import Scan, scan_events
from civicledger.reports.template import (
    ItemSpec,
    SectionSpec,
    Sentence,
    Template,
    check_indicator_ids,
)

__all__ = ["INDICATOR_COLUMNS", "ReportInputs", "build_report", "coverage_warnings"]

INDICATOR_COLUMNS = ("序号", "指标", "编号", "分组", "数值", "单位")
"""Headers of an indicator table."""


@attrs.frozen(kw_only=True)
class ReportInputs:
    """Everything a report is computed from.

    Attributes:
        period: the report's period.
        indicators: the indicator set's definitions, by id.
        figures: the figures of the period (every group of every indicator).
        previous: the figures of the same span a year earlier (for ``change`` and charts
            set against the year before); may be empty.
        steps: the figures of the charts' series: each step (month, quarter, week) of
            the period, and each step a year earlier where a chart asks; may be empty.
        records: the recorded events up to the as-of position, in position order
            (the effective view); read once, streaming.
        as_of: the position and seal the report is computed as of.
        known_types: every registered event type name (absence claims must name one).
        explain: renders a figure's derivation as text, or None.
        indicators_source: the indicator set file's text.
        indicators_sha256: its digest.
        limits: what rendering a sentence may spend (time, iterations, sizes).
        excluded: the ids of the events that did not count in each figure (by
            :func:`~civicledger.projections.exclusions.figure_key`), listed in the
            figure's lineage as ``excluded_events``.
        last_date: the last date the ledger speaks for (the latest ``occurred_on`` or
            recording date up to the as-of position), or None for an empty ledger;
            a report whose period ends later warns.
        rules: the outcomes of the indicator set's rules, as data (empty unless asked).
        events: reads the (effective) events of some types up to the as-of
            position, for lists of names; None when names cannot be listed.
        classes: the event classes by type name (personal fields are refused).
        breakdown: in a report over a set of ledgers, its ledgers and each rolled-up
            figure's per-ledger figures (``figures`` are then the rolled-up ones);
            None for a report over one ledger.
        followups: projects the rectification ledger from the problem events read
            (a set report keeps each ledger's problems apart); None: as one ledger.
    """

    period: Period
    indicators: Mapping[str, Indicator]
    figures: Sequence[Figure]
    previous: Sequence[Figure] = ()
    steps: Sequence[Figure] = ()
    records: Iterable[RecordedEvent]
    as_of: SealInfo
    known_types: frozenset[str] = frozenset()
    explain: Callable[[Figure], str] | None = None
    indicators_source: str = ""
    indicators_sha256: str = ""
    limits: Limits = DEFAULT_LIMITS
    excluded: Mapping[FigureKey, tuple[uuid.UUID, ...]] = attrs.field(factory=dict)
    events: Callable[[Sequence[str]], Iterable[RecordedEvent]] | None = None
    rules: tuple[dict[str, Any], ...] = ()
    last_date: date | None = None
    classes: Mapping[str, type] = attrs.field(factory=dict)
    breakdown: Breakdown | None = None
    followups: Callable[[Sequence[RecordedEvent], date], list[FollowUp]] | None = None


def _group_key(group: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in dict(group or ()).items()))


def _exact(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


class _NotAYear:
    """What ``year`` is in a report whose period is not a calendar year: unprintable,
    so a 1—11月 report can never call itself "2022年"."""

    __slots__ = ("_period",)

    def __init__(self, period: Period) -> None:
        self._period = period

    def _refuse(self, *_: Any) -> Any:
        raise TemplateError(
            f"{{{{ year }}}} names a calendar year, but this report covers "
            f"{self._period.label} ({self._period.key}); write {{{{ period }}}} for the "
            "period's label"
        )

    __str__ = __format__ = __add__ = __radd__ = __sub__ = __rsub__ = _refuse


def _lineage(figure: Figure, excluded: Mapping[FigureKey, tuple[uuid.UUID, ...]]) -> dict[str, Any]:
    """The figure as data, with the ids of its excluded events after their count."""
    data: dict[str, Any] = {}
    for key, value in figure.to_dict().items():
        data[key] = value
        if key == "excluded":
            ids = excluded.get(figure_key(figure), ())
            data["excluded_events"] = [str(i) for i in ids]
    for part in ("numerator", "denominator"):
        inner = getattr(figure, part)
        if inner is not None:
            data[part] = _lineage(inner, excluded)
    return data


class _FigureRef:
    """What ``fig()`` returns in a template: opaque, so only filters can print it."""

    __slots__ = ("_figure",)

    def __init__(self, figure: Figure) -> None:
        self._figure = figure

    def __str__(self) -> str:
        raise TemplateError("print a figure through a filter, e.g. {{ fig('x') | exact }}")


class _Builder:
    """Builds one report; holds the figure appendix as it grows."""

    def __init__(self, template: Template, inputs: ReportInputs) -> None:
        self.template = template
        self.inputs = inputs
        self.period = inputs.period
        self.by_key: dict[tuple[str, tuple[tuple[str, str], ...]], Figure] = {}
        for figure in inputs.figures:
            self.by_key[(figure.id, _group_key(figure.group))] = figure
        self.previous = {(f.id, _group_key(f.group)): f for f in inputs.previous}
        self.by_step: dict[tuple[str, Period], list[Figure]] = {}
        for figure in inputs.steps:
            self.by_step.setdefault((figure.id, figure.period), []).append(figure)
        # Keyed by indicator, group, period and ledger ("" but for a set report's
        # per-ledger figures): a chart's steps are figures of their own.
        self.refs: dict[tuple[str, tuple[tuple[str, str], ...], str, str], str] = {}
        self.entries: list[FigureEntry] = []
        self.rows_used: dict[str, FollowUpRow] = {}
        self.sentence: Sentence | None = None

    # -- scanning events -------------------------------------------------------

    def scan(self) -> tuple[dict[tuple[str, str], RecordedEvent], list[FollowUp], Scan]:
        """One pass over the events: notes of the period, follow-ups, absence hits."""
        absence = [spec for spec in self.all_items() if spec.kind == "absence"]
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

    def all_items(self) -> list[ItemSpec]:
        found: list[ItemSpec] = []

        def visit(section: SectionSpec) -> None:
            found.extend((*section.intro, *section.items))
            for child in section.sections:
                visit(child)

        for section in self.template.sections:
            visit(section)
        return found

    def add_followup_figures(self, problems: list[RecordedEvent]) -> None:
        """The rectification ledger's roll-up figures as of the period's end (and, for
        ``change``, as of the end of the same span a year earlier), usable like indicators."""
        seal = self.inputs.as_of
        as_of = AsOf(position=seal.position, seal_root=seal.root_hash, tree_size=seal.tree_size)
        current = rollup(in_scope(self.rows, self.period), period=self.period, as_of=as_of)
        for figure in current.all_figures():
            self.by_key.setdefault((figure.id, _group_key(figure.group)), figure)
        changes = any("change" in s.filters for s in self.template.sentences())
        if not changes and not charts_compare_whole(self.template):
            return
        try:
            before = self.period.previous_year()
        except ValidationError:
            return  # no same span a year earlier: 'change' reports it when used
        rows = self.project(problems, before.end)
        for figure in rollup(in_scope(rows, before), period=before, as_of=as_of).all_figures():
            self.previous.setdefault((figure.id, _group_key(figure.group)), figure)

    # -- errors ----------------------------------------------------------------

    def fail(self, message: str, line: int | None, name: str | None) -> TemplateError:
        where = f"{self.template.name}:{line}" if line else self.template.name
        return TemplateError(f"{where}: {message}", path=self.template.path, line=line, field=name)

    # -- figures ---------------------------------------------------------------

    def figure(self, ident: str, group: Mapping[str, Any]) -> Figure:
        line = self.sentence.line if self.sentence else None
        if "ledger" in group:
            return self.ledger_figure(ident, group)
        key = (ident, _group_key(group))
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

    # -- a report over a set of ledgers (see breakdown.py) ------------------------

    def breakdown(self, what: str, name: str) -> Breakdown:
        """The set report's breakdown; in a report over one ledger, refuse ``what``."""
        if self.inputs.breakdown is None:
            line = self.sentence.line if self.sentence else None
            raise self.fail(f"{what} is for a report over a set of ledgers", line, name)
        return self.inputs.breakdown

    def ledger_figure(self, ident: str, group: Mapping[str, Any]) -> Figure:
        """``fig(ident, ledger=…, **group)``: one ledger's figure."""
        breakdown = self.breakdown(f"fig({ident!r}, ledger=…)", ident)
        rolled = self.figure(ident, {k: v for k, v in group.items() if k != "ledger"})
        try:
            return breakdown.part_of(rolled, group["ledger"])
        except ValidationError as e:
            line = self.sentence.line if self.sentence else None
            raise self.fail(e.message, line, ident) from None

    def each_ledger(
        self, nums: list[Num], ident: str, group: Mapping[str, Any], spec: str, sep: str
    ) -> str:
        """``each_ledger(ident, **group)``: every ledger's label and figure, in the set's order."""
        breakdown = self.breakdown("each_ledger()", ident)
        return breakdown.each(
            self.figure(ident, group),
            lambda part: self.collect(nums, "phrase", _FigureRef(part), [spec]),
            sep,
        )

    def top_ledgers(
        self, nums: list[Num], ident: str, group: Mapping[str, Any], n: int, spec: str
    ) -> str:
        """``top(ident, by="ledger", **group)``: the ledgers placed 1..n by their figure."""
        breakdown = self.breakdown("top(…, by='ledger')", ident)
        try:
            return breakdown.top(
                self.figure(ident, group),
                n,
                lambda part: self.collect(nums, "phrase", _FigureRef(part), [spec]),
            )
        except ProjectionError as e:
            line = self.sentence.line if self.sentence else None
            raise self.fail(str(e), line, ident) from None

    def ref(self, figure: Figure) -> str:
        breakdown = self.inputs.breakdown
        owner = breakdown.owner(figure) if breakdown is not None else None
        if owner is not None:  # a ledger's figure: listed after its rolled-up figure
            rolled, ledger = owner
            self.ref(rolled)
            return self.refs[(figure.id, _group_key(figure.group), figure.period.key, ledger)]
        key = (figure.id, _group_key(figure.group), figure.period.key, "")
        if key in self.refs:
            return self.refs[key]
        ref = f"F{sum(1 for e in self.entries if not e.ledger) + 1}"
        self.refs[key] = ref
        # In a set report, the follow-up figures are counted over every ledger's rows
        # at once: they have no per-ledger parts.
        is_rollup = breakdown is not None and breakdown.rollup(figure) is not None
        parts = breakdown.parts(figure) if breakdown is not None and is_rollup else []
        refs = {ledger: f"{ref}-{i}" for i, (ledger, _) in enumerate(parts, start=1)}
        if breakdown is not None and is_rollup:
            lineage = breakdown.lineage(figure, refs)
        else:
            lineage = _lineage(figure, self.inputs.excluded)
        self.entries.append(self.entry(ref, figure, lineage, parts=tuple(refs.values())))
        for ledger, part in parts:
            assert breakdown is not None
            info = breakdown.info(ledger)
            self.refs[(part.id, _group_key(part.group), part.period.key, ledger)] = refs[ledger]
            data = {"ledger": ledger, "origin": info.origin, **_lineage(part, info.excluded)}
            self.entries.append(self.entry(refs[ledger], part, data, ledger=ledger))
        return ref

    def entry(
        self,
        ref: str,
        figure: Figure,
        lineage: dict[str, Any],
        *,
        ledger: str = "",
        parts: tuple[str, ...] = (),
    ) -> FigureEntry:
        explain = self.inputs.explain
        label = figure.indicator.label
        if ledger and self.inputs.breakdown is not None:
            label = f"{label}（{self.inputs.breakdown.info(ledger).label}）"
        return FigureEntry(
            ref=ref,
            indicator=figure.id,
            label=label,
            unit=figure.indicator.unit,
            period=figure.period.key,
            value="" if figure.value is None else _exact(figure.value),
            lineage=lineage,
            explanation=str(explain(figure)) if explain is not None else "",
            ledger=ledger,
            parts=parts,
        )

    def phrase_value(self, value: Any, name: str, args: Sequence[Any]) -> Num:
        """Phrase a figure (or a plain count) with filter ``name``; the context of a sentence."""
        line = self.sentence.line if self.sentence else None
        spec = name if name != "phrase" else (str(args[0]) if args else "")
        if name != "phrase":
            spec = ":".join([name, *(str(a) for a in args)])
        if isinstance(value, bool) or not isinstance(value, _FigureRef | int):
            raise self.fail(
                f"filter {spec.split(':')[0]!r} needs fig('…') or a whole number, got {value!r}",
                line,
                spec,
            )
        try:
            if isinstance(value, int):
                result = phrase(value, spec, units=self.template.units)
                return Num(result.text, str(value), result.rule, None)
            figure = value._figure
            return self.phrase_figure(figure, spec)
        except ValidationError as e:
            if isinstance(e, TemplateError):
                raise
            raise self.fail(e.message, line, spec) from None

    def phrase_figure(self, figure: Figure, spec: str) -> Num:
        line = self.sentence.line if self.sentence else None
        # The argument "unit" stands for the indicator's own unit (人, 家次 …).
        spec = ":".join(
            figure.indicator.unit if t.strip() == "unit" else t for t in spec.split(":")
        )
        kind = spec.split(":")[0]
        if figure.value is None:
            raise self.fail(
                f"figure {figure.id!r} is not defined for {figure.period.key}: "
                f"{figure.undefined_reason}",
                line,
                figure.id,
            )
        result: Phrase
        # The figure's own rounding mode and estimate travel with it; decimals stay the
        # spec's (default 2), so a ratio stored to 1 place still reads 91.30% unless asked.
        options: dict[str, Any] = {
            "units": self.template.units,
            "estimate": bool(figure.estimated),
            "rounding": figure.indicator.rounding,
        }
        share, growth = named_parts(figure, "share"), named_parts(figure, "growth")
        if kind == "rate":
            parts = share or (figure.numerator, figure.denominator)
            if parts[0] is None or parts[1] is None:
                raise self.fail(
                    f"'rate' needs a ratio indicator or a share(a, b); {figure.id!r} is neither",
                    line,
                    figure.id,
                )
            num, den = parts[0].value, parts[1].value
            if num is None or den is None:
                raise self.fail(f"figure {figure.id!r} has an undefined part", line, figure.id)
            result = phrase((num, den), spec, **options)
            exact = f"{_exact(num)}/{_exact(den)}"
        elif kind == "change" and growth is not None:
            # growth(a, b) is the change from b to a: its own operands, not last year's.
            now, then = growth[0].value, growth[1].value
            if now is None or then is None:
                raise self.fail(f"figure {figure.id!r} has an undefined part", line, figure.id)
            result = phrase((now, then), spec, **options)
            exact = f"{_exact(now)}/{_exact(then)}"
        elif kind == "change":
            before = self.previous.get((figure.id, _group_key(figure.group)))
            if before is None or before.value is None:
                raise self.fail(
                    f"no previous-period figure for {figure.id!r} to compare with", line, figure.id
                )
            result = phrase((figure.value, before.value), spec, **options)
            exact = f"{_exact(figure.value)}/{_exact(before.value)}"
        else:
            result = phrase(figure.value, spec, **options)
            exact = _exact(figure.value)
        return Num(result.text, exact, result.rule, self.ref(figure))

    # -- sentences -------------------------------------------------------------

    # Most branches counted here are in fig(), top() and names(): closures over this
    # sentence's numbers, each small, that the template calls.
    def render(self, sentence: Sentence, **extra: Any) -> tuple[Span, ...]:  # noqa: C901
        self.sentence = sentence
        nums: list[Num] = []

        def fig(ident: str, **group: Any) -> _FigureRef:
            return _FigureRef(self.figure(ident, group))

        def top(
            ident: str, n: int = 3, spec: str = "exact", by: str = "group", **group: Any
        ) -> str:
            """The groups of a grouped figure (``by="ledger"``: the ledgers of a set
            report, for the figure of ``group``) placed 1..n, each linked, ties stated."""
            if by == "ledger":
                return self.top_ledgers(nums, ident, group, n, spec)
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
                lambda entry: self.collect(nums, "phrase", _FigureRef(entry.figure), [spec]),
                self.inputs.classes,
            )

        def names(
            ref: _FigureRef, field: str, order: str = "first", limit: int = 0, unit: str = "个"
        ) -> str:
            """The distinct values of a field behind a figure, 等N个 when cut short."""
            if not isinstance(ref, _FigureRef):
                raise self.fail("names() takes fig('…') first", sentence.line, "names")
            figure = ref._figure
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
                self.period.start.year if self.period.kind == "year" else _NotAYear(self.period)
            ),
            "next_year": self.period.end.year + 1,
            "period": self.period.label,
            "span": "全年" if self.period.kind == "year" else self.period.label,
            "period_end": zh_date(self.period.end.isoformat()),
            "followup_count": self.followup_count,
            "ledgers": [i.label for i in self.inputs.breakdown or ()],
            "each_ledger": lambda ident, spec="exact", sep="、", **group: self.each_ledger(
                nums, ident, group, spec, sep
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
        nums.append(self.phrase_value(value, name, args))
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
            figures=tuple(self.entries),
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
        if spec.kind == "followups":
            return followup_items(self, spec)
        if spec.kind == "chart":
            return [self.chart(spec)]
        if spec.options.get("by") == "ledger":
            return [self.ledger_table(spec)]
        return [self.indicator_table(spec)]

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
                key=lambda f: _group_key(f.group),
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

    def ledger_table(self, spec: ItemSpec) -> Item:
        """An indicators item with ``by = "ledger"``: a row per ledger, a column per figure."""
        if self.inputs.breakdown is None:
            raise self.fail("by = 'ledger' is for a report over a set of ledgers", spec.line, "by")
        breakdown = self.inputs.breakdown
        figures = self.item_figures(spec)
        grouped = next((f for f in figures if f.group), None)
        if grouped is not None:
            raise self.fail(
                f"a table by ledger takes ungrouped indicators; {grouped.id!r} is grouped",
                spec.line,
                grouped.id,
            )

        def cell(figure: Figure | None) -> Cell:
            if figure is None:
                return (Text("—"),)
            if figure.value is None:
                self.ref(figure)
                return (Text(f"未定义（{figure.undefined_reason}）"),)
            exact = _exact(figure.value)
            return (Num(exact, exact, "exact", self.ref(figure)),)

        table = breakdown.table(figures, cell, self.caption(spec), spec.options["heading"])
        return Item("table", "", (), table=table, line=spec.line)

    # -- what a chart asks of the report (civicledger.reports.charts.ChartContext) --

    def earlier(self, figure: Figure) -> Figure | None:
        return self.previous.get((figure.id, _group_key(figure.group)))

    def step_figures(self, ident: str, step: Period) -> list[Figure]:
        return sorted(self.by_step.get((ident, step), ()), key=lambda f: _group_key(f.group))

    def group_values(self, figure: Figure) -> list[str]:
        source, classes = figure.indicator.source, self.inputs.classes
        return [group_name(k, v, source, classes) for k, v in figure.group]

    def label(self, figure: Figure) -> str:
        group = "，".join(self.group_values(figure))
        return f"{figure.indicator.label}（{group}）" if group else figure.indicator.label

    def indicator_table(self, spec: ItemSpec) -> Item:
        rows: list[tuple[Cell, ...]] = []
        for figure in self.item_figures(spec):
            group = "，".join(f"{k}={v}" for k, v in _group_key(figure.group))
            if figure.value is None:
                value: Cell = (Text(f"未定义（{figure.undefined_reason}）"),)
                self.ref(figure)
            else:
                value = (
                    Num(_exact(figure.value), _exact(figure.value), "exact", self.ref(figure)),
                )
            rows.append(
                (
                    (Text(str(len(rows) + 1)),),
                    (Text(figure.indicator.label),),
                    (Text(figure.id),),
                    (Text(group),),
                    value,
                    (Text(figure.indicator.unit),),
                )
            )
        table = Table("indicators", self.caption(spec), INDICATOR_COLUMNS, tuple(rows))
        return Item("table", "", (), table=table, line=spec.line)


def coverage_warnings(period: Period, last_date: Any) -> tuple[str, ...]:
    """A warning when the ledger speaks for no day after one inside the period.

    Args:
        period: the report's period.
        last_date: the last recorded date (the latest ``occurred_on`` or recording
            date of an event up to the as-of point), or None for an empty ledger.

    Returns:
        One sentence (Chinese, then English) or nothing.
    """
    if last_date is not None and last_date >= period.end:
        return ()
    if last_date is None:
        return (
            f"账本中没有任何事件，{period.label}的数据全部缺失。"
            f" (The ledger records no events: nothing of {period.label_en} is covered.)",
        )
    return (
        f"账本最后记录的日期为{zh_date(last_date.isoformat())}，早于统计期末"
        f"{zh_date(period.end.isoformat())}：此后的事件尚未记录，数字可能不全。"
        f" (The last date the ledger records is {last_date.isoformat()}, before the end of "
        f"{period.label_en} on {period.end.isoformat()}: later events are missing.)",
    )


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
