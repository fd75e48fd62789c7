"""Gather a report's inputs from a set of ledgers and build it: the body of ``LedgerSet.report``.

Each ledger is read as :mod:`civicledger.reports.gather` reads one (at its own
position or seal); the figures are rolled up with
:func:`civicledger.projections.rollup.roll_up` and the report is built from the
rolled-up figures with a :class:`~civicledger.reports.breakdown.Breakdown` behind
them. The ledgers are used through :class:`SetMember`, so this module does not
import the facade.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from itertools import chain
from typing import Any, Protocol

import attrs

from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent, default_registry
from civicledger.followups import PROBLEM_TYPES, FollowUp, in_scope
from civicledger.followups import followups as project_followups
from civicledger.followups import rollup as rollup_followups
from civicledger.limits import DEFAULT_LIMITS
from civicledger.projections import Figure, IndicatorSet, Period, check_rules
from civicledger.projections.declared import classes_of
from civicledger.projections.exclusions import excluded_events, plain_figures
from civicledger.projections.explain import explain as explain_figure
from civicledger.projections.figures import AsOf
from civicledger.projections.rollup import DistinctMode, explain_rollup, roll_up
from civicledger.projections.toml import loads as load_indicators
from civicledger.reports.appendix import listing_limits
from civicledger.reports.breakdown import Breakdown, LedgerInfo, ledger_label
from civicledger.reports.build import build_report
from civicledger.reports.gather import (
    LedgerSource,
    absence_types,
    chart_series,
    effective_places,
    event_registry,
    indicator_text,
    last_date,
    needed_indicators,
    needs_year_earlier,
    seal_info,
)
from civicledger.reports.inputs import ReportInputs
from civicledger.reports.model import LedgerSeal, Report, SealInfo
from civicledger.reports.scan import scanned_types
from civicledger.reports.template import Template, check_change_filters

__all__ = ["SetMember", "build_from_set", "report_from_set"]


class SetMember(LedgerSource, Protocol):
    """What a set report needs from each ledger: a report's source with a name and origin."""

    @property
    def name(self) -> str:
        """The ledger's name in its database."""

    @property
    def origin(self) -> str:
        """The ledger's origin."""


@attrs.frozen
class _Read:
    """One ledger as the report reads it."""

    ledger: SetMember
    info: SealInfo
    figures: list[Figure]
    previous: list[Figure]
    excluded: Any
    steps: list[Figure]

    def read(self, types: Sequence[str], *, effective: bool) -> Iterator[RecordedEvent]:
        if not self.info.position:
            return iter(())
        return self.ledger.read(
            types=list(types), to_position=self.info.position, effective=effective
        )


def report_from_set(
    ledgers: Sequence[tuple[SetMember, object]],
    template: Template,
    *,
    period: Period,
    distinct: DistinctMode = "ledger",
) -> Report:
    """Compute a report over a set of ledgers, each read at its own point.

    Args:
        ledgers: each ledger with the point it is read at (None: its head; a
            position; a seal), in the set's order.
        template: a loaded template.
        period: the report's period.
        distinct: how ``count_distinct`` treats one key in two ledgers (see
            :func:`~civicledger.projections.rollup.roll_up`).

    Returns:
        The report; its ``ledgers`` name each ledger and the seal it was read at.

    Raises:
        TemplateError: the template or its indicator set cannot be used.
        ValidationError: a point is beyond its ledger.
        ProjectionError: an absence claim is contradicted by a ledger.
    """
    return build_from_set(
        ledgers, template, indicator_text(template), period=period, distinct=distinct
    )


def build_from_set(
    ledgers: Sequence[tuple[SetMember, object]],
    template: Template,
    indicators_text: str,
    *,
    period: Period,
    distinct: DistinctMode = "ledger",
) -> Report:
    """Compute a set report with the indicator set given as text (the verifier's way in);
    arguments and errors as for :func:`report_from_set`."""
    source = indicators_text
    indicator_set = (
        load_indicators(source, source=str(template.indicators)) if source else IndicatorSet(())
    )
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest() if source else ""
    check_change_filters(template, indicator_set)
    needed = needed_indicators(template, indicator_set)
    year_earlier = needs_year_earlier(template)
    reads = [
        _read(ledger, point, needed, period, year_earlier, template, indicator_set)
        for ledger, point in ledgers
    ]

    def rolled(which: str) -> list[Any]:
        return roll_up(
            [(r.ledger.name, r.ledger.origin, getattr(r, which)) for r in reads],
            distinct=distinct,
        )

    infos = [
        LedgerInfo(
            r.ledger.name,
            ledger_label(r.ledger.name),
            r.ledger.origin,
            r.info.position,
            r.excluded,
        )
        for r in reads
    ]
    if len({info.label for info in infos}) < len(infos):
        # Two ledgers would read the same: name them in full.
        infos = [attrs.evolve(info, label=info.name) for info in infos]
    breakdown = Breakdown(infos, rolled("figures"))
    # A chart's steps roll up like the period's figures, each step by itself.
    steps = breakdown.add(rolled("steps"))
    previous = Breakdown(infos, rolled("previous")).figures if year_earlier else []
    absence = scanned_types(absence_types(template))
    dates = [d for r in reads if (d := last_date(r.ledger, r.info.position)) is not None]

    limit_of = listing_limits(template.appendix_limit, steps)

    def explain(figure: Figure) -> str:
        rollup = breakdown.rollup(figure)
        if rollup is not None:
            return explain_rollup(rollup, "zh", ledgers=False)
        return explain_figure(figure, "zh", limit=limit_of(figure))

    def events(types: Iterable[str]) -> Iterator[RecordedEvent]:
        wanted = list(types)
        return chain.from_iterable(r.read(wanted, effective=True) for r in reads)

    # Which ledger each scanned event came from: problem ids are each ledger's own,
    # so each ledger's rectification ledger is projected apart.
    came_from: dict[int, str] = {}
    # A note item shows one note per section and key: two ledgers may not both hold one.
    noted: dict[tuple[str, str], str] = {}
    sections = _note_sections(template)

    def scanned() -> Iterator[RecordedEvent]:
        for r, info in zip(reads, infos, strict=True):
            for record in r.read(absence, effective=False):
                if record.type in PROBLEM_TYPES:
                    came_from[id(record)] = info.label
                payload = record.payload
                if (
                    isinstance(payload, NarrativeNoteRecorded)
                    and period.contains(record.occurred_on)
                    and any(payload.section.startswith(s) for s in sections)
                ):
                    key = (payload.section, payload.key)
                    first = noted.setdefault(key, info.name)
                    if first != info.name:
                        raise ValidationError(
                            f"ledgers {first!r} and {info.name!r} both record a narrative "
                            f"note for section {payload.section!r}, key {payload.key!r} in "
                            f"{period.key}; a report over a set takes each note from one "
                            "ledger",
                            field="notes",
                        )
                yield record

    def followups(problems: Sequence[RecordedEvent], day: date) -> list[FollowUp]:
        rows: list[FollowUp] = []
        for info in infos:
            mine = [p for p in problems if came_from.get(id(p)) == info.label]
            rows.extend(
                attrs.evolve(row, problem_id=f"{info.label}/{row.problem_id}")
                for row in project_followups(mine, as_of=day)
            )
        return rows

    figures = breakdown.figures
    inputs = ReportInputs(
        period=period,
        # The earliest: the report is complete only when every ledger covers the period.
        last_date=min(dates) if len(dates) == len(reads) else None,
        indicators={i.id: i for i in indicator_set},
        figures=figures,
        previous=previous,
        steps=steps,
        records=scanned(),
        followups=followups,
        followup_figures=partial(
            _followup_figures,
            reads=reads,
            infos=infos,
            came_from=came_from,
            breakdown=breakdown,
            period=period,
            distinct=distinct,
        ),
        as_of=SealInfo(0, None, None, None),
        known_types=frozenset(default_registry().type_names()),
        events=events,
        classes=classes_of(event_registry(reads[0].ledger)),
        rules=(
            tuple(r.to_dict() for r in check_rules(indicator_set, figures))
            if template.rules
            else ()
        ),
        explain=explain,
        indicators_source=source,
        indicators_sha256=digest,
        limits=getattr(reads[0].ledger, "limits", DEFAULT_LIMITS),
        breakdown=breakdown,
    )
    report = build_report(template, inputs)
    seals = tuple(
        LedgerSeal(
            name=r.ledger.name,
            label=info.label,
            origin=r.ledger.origin,
            position=r.info.position,
            tree_size=r.info.tree_size,
            root_hash=r.info.root_hash,
            checkpoint=r.info.checkpoint,
        )
        for r, info in zip(reads, infos, strict=True)
    )
    return attrs.evolve(report, ledgers=seals, distinct=distinct)


def _followup_figures(
    problems: Sequence[RecordedEvent],
    *,
    reads: Sequence[_Read],
    infos: Sequence[LedgerInfo],
    came_from: Mapping[int, str],
    breakdown: Breakdown,
    period: Period,
    distinct: DistinctMode,
) -> list[Figure]:
    """Each ledger's follow-up roll-up (its own problems, as of its own point), rolled up
    across the set and added to the breakdown: every figure breaks down by ledger."""
    shares = []
    for r, info in zip(reads, infos, strict=True):
        mine = [p for p in problems if came_from.get(id(p)) == info.label]
        rows = in_scope(project_followups(mine, as_of=period.end), period)
        as_of = AsOf(r.info.position, seal_root=r.info.root_hash, tree_size=r.info.tree_size)
        own = rollup_followups(rows, period=period, as_of=as_of).all_figures()
        shares.append((info.name, r.ledger.origin, own))
    return breakdown.add(roll_up(shares, distinct=distinct))


def _note_sections(template: Template) -> list[str]:
    """The sections the template's note items show (a section shows its sub-sections' notes)."""
    items = (*template.intro, *template.items())
    return [item.options["section"] for item in items if item.kind == "note"]


def _read(
    ledger: SetMember,
    point: object,
    needed: IndicatorSet,
    period: Period,
    year_earlier: bool,
    template: Template,
    indicator_set: IndicatorSet,
) -> _Read:
    """Compute one ledger's figures (and the events they left out) at its point."""
    try:
        info = seal_info(point, ledger.head())
    except ValidationError as e:
        raise ValidationError(f"ledger {ledger.name!r}: {e.message}", field="as_of") from None
    pinned = info.position if point is None else point
    figures = ledger.indicators(needed, period=period, as_of=pinned) if len(needed) else []
    limits = getattr(ledger, "limits", DEFAULT_LIMITS)
    steps = chart_series(ledger, template, indicator_set, period, pinned, limits)
    previous = (
        ledger.indicators(needed, period=period.previous_year(), as_of=pinned)
        if year_earlier and len(needed)
        else []
    )
    counted = [f for f in (*figures, *steps) if f.indicator.followups is None]
    types = sorted({t for f in plain_figures(counted) for t in f.indicator.all_types})
    excluded = (
        excluded_events(counted, effective_places(ledger, types, info.position))
        if types and info.position
        else {}
    )
    return _Read(ledger, info, figures, previous, excluded, steps)
