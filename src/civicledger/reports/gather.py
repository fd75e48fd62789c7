"""Gather a report's inputs from a ledger and build it: the body of ``Ledger.report``.

The ledger is used through a small protocol (read, head, indicators, explain),
so this module does not import the facade and the layers keep pointing one way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Protocol

from civicledger.corrections.fold import effective_envelopes
from civicledger.errors import TemplateError, ValidationError
from civicledger.events import RecordedEvent, default_registry
from civicledger.followups import FIGURE_IDS
from civicledger.limits import DEFAULT_LIMITS, Limits
from civicledger.projections import Figure, Indicator, IndicatorSet, Period, check_rules
from civicledger.projections.declared import classes_of
from civicledger.projections.exclusions import Placed, excluded_events, plain_figures
from civicledger.projections.explain import explain as explain_figure
from civicledger.projections.series import Series, Step
from civicledger.projections.toml import loads as load_indicators
from civicledger.reports.appendix import listing_limits
from civicledger.reports.build import build_report
from civicledger.reports.charts import chart_items, chart_steps, charts_compare_whole
from civicledger.reports.inputs import ReportInputs
from civicledger.reports.model import Report, SealInfo
from civicledger.reports.scan import scanned_types
from civicledger.reports.template import Template, check_change_filters, check_indicator_ids
from civicledger.store import EventStore

__all__ = [
    "LedgerSource",
    "absence_types",
    "build_from_ledger",
    "chart_series",
    "effective_places",
    "event_registry",
    "indicator_text",
    "last_date",
    "needed_indicators",
    "needs_year_earlier",
    "report_from_ledger",
    "seal_info",
]


def needs_year_earlier(template: Template) -> bool:
    """Whether the template sets the period's figures against the same span a year earlier:
    a sentence's ``change`` (同比), or a chart with ``previous_year`` and no ``by``."""
    return charts_compare_whole(template) or any(
        "change" in s.filters for s in template.sentences()
    )


class LedgerSource(Protocol):
    """What building a report needs from a ledger (``civicledger.Ledger`` has it all)."""

    def read(
        self,
        *,
        types: Sequence[str] | None = None,
        from_position: int = 1,
        to_position: int | None = None,
        occurred_between: tuple[date, date] | None = None,
        effective: bool = False,
    ) -> Iterator[RecordedEvent]:
        """Stream recorded events in position order (``effective``: corrections applied)."""

    def head(self) -> int:
        """The position of the last recorded event."""

    def indicators(
        self, indicator_set: IndicatorSet, *, period: Period, as_of: Any = None
    ) -> list[Figure]:
        """Compute every indicator of a set for a period."""

    def series(
        self,
        indicator: Sequence[Indicator],
        period: Period,
        *,
        by: Step,
        previous_year: bool,
        as_of: Any = None,
    ) -> list[Series]:
        """One series per indicator, step by step through the period."""


def seal_info(as_of: Any, head: int) -> SealInfo:
    """Describe what a report is computed as of.

    Args:
        as_of: None (the ledger's head now), a position, or a seal (anything with
            ``tree_size``, ``text`` and ``root_hash``).
        head: the ledger's head position.

    Returns:
        The position, and the seal's checkpoint and root when sealed.

    Raises:
        ValidationError: the position or seal lies beyond the ledger's head.
    """
    if as_of is None:
        return SealInfo(head, None, None, None)
    if isinstance(as_of, int) and not isinstance(as_of, bool):
        if not 0 <= as_of <= head:
            raise ValidationError(
                f"as_of position {as_of} is not within the ledger (head {head})", field="as_of"
            )
        return SealInfo(as_of, None, None, None)
    size = getattr(as_of, "tree_size", None)
    text = getattr(as_of, "text", None)
    root = getattr(as_of, "root_hash", None)
    if not isinstance(size, int) or not isinstance(text, str):
        raise ValidationError(
            f"as_of must be None, a position or a seal, got {type(as_of).__name__}", field="as_of"
        )
    if size > head:
        raise ValidationError(
            f"the seal covers {size} events but the ledger has {head}", field="as_of"
        )
    root_hex = root.hex() if isinstance(root, bytes) else str(root) if root is not None else None
    return SealInfo(size, size, root_hex, text)


def indicator_text(template: Template) -> str:
    """The text of the template's indicator set file ("" when it names none)."""
    if template.indicators is None:
        return ""
    try:
        return template.indicators.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(
            f"{template.name}: cannot read the indicator set {template.indicators}: {e}",
            path=template.path,
            field="report.indicators",
        ) from e


def report_from_ledger(
    ledger: LedgerSource, template: Template, *, period: Period, as_of: Any = None
) -> Report:
    """Compute a report for a period from a ledger, as of now, a position or a seal.

    Args:
        ledger: a ``civicledger.Ledger`` (or anything with the same read, head,
            indicators and explain methods).
        template: a loaded template.
        period: the report's period (``Period.parse("2023-01..2023-11")``).
        as_of: None, a position, or a seal: only events up to it are read.

    Returns:
        The report.

    Raises:
        TemplateError: the template or its indicator set cannot be used.
        ValidationError: ``as_of`` is beyond the ledger.
        ProjectionError: an absence claim is contradicted by the ledger.
    """
    return build_from_ledger(ledger, template, indicator_text(template), period=period, as_of=as_of)


def build_from_ledger(
    ledger: LedgerSource, template: Template, indicators_text: str, *, period: Period, as_of: Any
) -> Report:
    """Compute a report with the indicator set given as text (the verifier's way in).

    Args:
        ledger: as for :func:`report_from_ledger`.
        template: a loaded template.
        indicators_text: the indicator set's TOML ("" for none).
        period: the report's period.
        as_of: None, a position, or a seal.

    Returns:
        The report.

    Raises:
        TemplateError: as for :func:`report_from_ledger`, or a sentence asks for the
            change (同比) of a figure whose filter pins dates written out.
        ValidationError: the indicator set is invalid, ``as_of`` is beyond the ledger,
            or the period has no same span a year earlier (ISO week 53).
        ProjectionError: an absence claim is contradicted by the ledger.
    """
    info = seal_info(as_of, ledger.head())
    # Pin "now" to a position so figures and events are read from one prefix.
    pinned = info.position if as_of is None else as_of
    source = indicators_text
    indicator_set = (
        load_indicators(source, source=str(template.indicators)) if source else IndicatorSet(())
    )
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest() if source else ""
    check_change_filters(template, indicator_set)
    # Only the figures the template uses (and its rules read): the rest of the set
    # would be computed, with lineage, for nothing.
    needed = needed_indicators(template, indicator_set)
    figures = ledger.indicators(needed, period=period, as_of=pinned) if len(needed) else []
    limits = getattr(ledger, "limits", DEFAULT_LIMITS)
    # Before the year-earlier figures: a chart asking for a span a year earlier that does
    # not exist (ISO week 53) is named as the template's error.
    steps = chart_series(ledger, template, indicator_set, period, pinned, limits)
    previous = (
        ledger.indicators(needed, period=period.previous_year(), as_of=pinned)
        if needs_year_earlier(template) and len(needed)
        else []
    )
    explain = getattr(ledger, "explain", None)
    limit_of = listing_limits(template.appendix_limit, steps)
    # Roll-up figures declared in the set count follow-ups, not events: none is excluded.
    counted = [f for f in (*figures, *steps) if f.indicator.followups is None]
    types = sorted({t for f in plain_figures(counted) for t in f.indicator.all_types})
    excluded = (
        excluded_events(counted, effective_places(ledger, types, info.position))
        if types and info.position
        else {}
    )
    inputs = ReportInputs(
        period=period,
        last_date=last_date(ledger, info.position),
        indicators={i.id: i for i in indicator_set},
        figures=figures,
        previous=previous,
        steps=steps,
        # Only the types the scan looks at: on a large ledger most events feed figures only.
        records=(
            ledger.read(types=scanned_types(absence_types(template)), to_position=info.position)
            if info.position
            else iter(())
        ),
        as_of=info,
        known_types=frozenset(default_registry().type_names()),
        events=(
            (
                lambda types: ledger.read(
                    types=list(types), to_position=info.position, effective=True
                )
            )
            if info.position
            else None
        ),
        classes=classes_of(event_registry(ledger)),
        rules=(
            tuple(r.to_dict() for r in check_rules(indicator_set, figures))
            if template.rules
            else ()
        ),
        explain=(
            (lambda f: explain_figure(f, "zh", limit=limit_of(f))) if callable(explain) else None
        ),
        indicators_source=source,
        indicators_sha256=digest,
        limits=limits,
        excluded=excluded,
    )
    return build_report(template, inputs)


def chart_series(
    ledger: LedgerSource,
    template: Template,
    indicator_set: IndicatorSet,
    period: Period,
    as_of: Any,
    limits: Limits,
) -> list[Figure]:
    """The figures of every chart's series: each step, and a year earlier where asked;
    one computation per kind of step.

    Raises:
        TemplateError: a chart's series cannot be drawn (too few or too many steps, no
            span a year earlier, an id that is not an indicator of the set).
    """
    # An unknown id is named as such before a series is asked of it.
    check_indicator_ids(template, [*indicator_set.ids(), *FIGURE_IDS])
    wanted: dict[tuple[Step, bool], dict[str, None]] = {}
    for spec in chart_items(template):
        if not chart_steps(template, spec, period, limits.series_max_periods):
            continue  # drawn from the period's figures (and a year earlier's)
        for ident in spec.options["ids"]:
            if ident not in indicator_set:
                raise TemplateError(
                    f"{template.name}:{spec.line}: a series steps through indicators of the "
                    f"set; {ident!r} is a roll-up of the rectification ledger, drawn for the "
                    "whole period only (leave out 'by')",
                    path=template.path,
                    line=spec.line,
                    field=f"{spec.options['where']}.ids",
                )
        key = (spec.options["by"], spec.options["previous_year"])
        wanted.setdefault(key, {}).update(dict.fromkeys(spec.options["ids"]))
    figures: list[Figure] = []
    for (by, previous_year), ids in wanted.items():
        chosen = [indicator_set[i] for i in ids]
        for series in ledger.series(
            chosen, period, by=by, previous_year=previous_year, as_of=as_of
        ):
            figures.extend((*series.figures, *(series.previous or ())))
    return figures


def effective_places(ledger: Any, types: list[str], position: int) -> Iterator[Placed]:
    """The position, type and id of the effective events of ``types`` up to ``position``,
    where a report's figures find the events they left out: from the ledger's store
    without decoding payloads (they are not needed), or by reading the effective view."""
    store = getattr(ledger, "store", None)
    if isinstance(store, EventStore):
        return effective_envelopes(store, types=types, to_position=position)
    records: Iterator[Placed] = ledger.read(types=types, to_position=position, effective=True)
    return records


def absence_types(template: Template) -> list[str]:
    """The event types the template's absence claims name."""
    found: list[str] = []

    def visit(sections: Any) -> None:
        for section in sections:
            for item in (*section.intro, *section.items):
                if item.kind == "absence":
                    found.extend(item.options["types"])
            visit(section.sections)

    visit(template.sections)
    return found


def event_registry(ledger: Any) -> Any:
    """The event registry the ledger's store decodes with (the default one otherwise)."""
    codec = getattr(getattr(ledger, "store", None), "codec", None)
    registry = getattr(codec, "registry", None)
    return registry if registry is not None else default_registry()


def needed_indicators(template: Template, indicator_set: IndicatorSet) -> IndicatorSet:
    """The indicators the template names (and, with rules = true, those its rules read)."""
    wanted = {ident for ident, _ in template.indicator_ids()}
    if template.rules:
        wanted |= {i for rule in indicator_set.rules for i in rule.indicator_ids()}
    known = [i for i in indicator_set.ids() if i in wanted]
    return indicator_set.select(known) if len(known) < len(indicator_set) else indicator_set


def last_date(ledger: LedgerSource, position: int) -> date | None:
    """The last date the ledger speaks for as of ``position``: the later of the last
    event's ``occurred_on`` and its recording date (UTC).

    Positions are given in recording order, so the last event holds the latest
    recording date; reading one event keeps this cheap on a large ledger (the report
    reads only the event types it needs).
    """
    if not position:
        return None
    for record in ledger.read(from_position=position, to_position=position):
        return max(record.occurred_on, record.recorded_at.date())
    return None
