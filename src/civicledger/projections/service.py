"""The calls the Ledger facade delegates to: compute, indicators, explain, compare.

Each takes the event source (a store) as its first argument, so the facade's
methods stay one line and the layer stays usable without the facade.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from civicledger.corrections.fold import AMENDING_TYPES, CorrectionIndex
from civicledger.errors import ProjectionError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.compare import Basis, Comparison
from civicledger.projections.compare import compare as compare_periods
from civicledger.projections.engine import (
    EventSource,
    Lineage,
    Pushdown,
    Request,
    compute_from_source,
)
from civicledger.projections.explain import Language, explain, why_not
from civicledger.projections.figures import AsOf, Figure, FigureList
from civicledger.projections.indicators import Indicator, IndicatorSet
from civicledger.projections.periods import Period
from civicledger.projections.series import Series, Step, compute_series
from civicledger.projections.toml import load
from civicledger.types import parse_event_id

__all__ = [
    "RETRACTION_TYPES",
    "FollowUpFigures",
    "as_indicator_set",
    "as_period",
    "choose_period",
    "compare",
    "compute",
    "explain_figure",
    "indicators",
    "periods_for",
    "series",
]

FollowUpFigures = Callable[[Indicator, Period], list[Figure]]
"""Computes the figures of an indicator declaring a follow-up roll-up (``followups = ...``)
for a period; given by the ledger facade, since follow-ups are a layer above this one."""

RETRACTION_TYPES: tuple[str, ...] = ("event_retracted",)
"""Event types that retract another event, named by their ``target_event_id`` field."""


def as_period(period: Period | int | str) -> Period:
    """Accept a Period, a year (``2023``) or a short form (``"2023-Q1"``, ``"2022-01..2022-11"``).

    Raises:
        ValidationError: a short form does not parse.
        ProjectionError: the value is of another kind.
    """
    if isinstance(period, Period):
        return period
    if isinstance(period, int) and not isinstance(period, bool):
        return Period.year(period)
    if isinstance(period, str):
        return Period.parse(period)
    raise ProjectionError(
        f"a period must be a Period, a year or text like '2023-Q1' or '2022-01..2022-11', "
        f"not {period!r}"
    )


def choose_period(period: Period | int | str | None, year: int | None) -> Period:
    """The period a call names, by ``period`` or by the shorthand ``year``; never a default.

    Raises:
        ValidationError: both or neither are given.
        ProjectionError: as for :func:`as_period`.
    """
    if period is not None and year is not None:
        raise ValidationError(
            f"name the period once: period={period!r} or year={year!r}", field="period"
        )
    if period is not None:
        return as_period(period)
    if year is not None:
        return as_period(year)
    raise ValidationError(
        "name the period, e.g. period='2023', '2023-Q4' or '2023-01..2023-11' "
        "(year=2023 is a shorthand for the calendar year)",
        field="period",
    )


def as_indicator_set(value: IndicatorSet | str | Path | Iterable[Indicator]) -> IndicatorSet:
    """Accept an IndicatorSet, a TOML path, or indicators (made into a set).

    Raises:
        ValidationError: the file or an indicator is invalid.
    """
    if isinstance(value, IndicatorSet):
        return value
    if isinstance(value, str | Path):
        return load(value)
    return IndicatorSet(tuple(value))


def periods_for(indicator: Indicator, period: Period) -> list[Period]:
    """The periods an indicator is reported for within ``period``, by its ``period`` kind.

    A quarterly (monthly) indicator gives one figure per whole quarter (month) inside
    the period, or one for the period itself when none fits; any other indicator
    gives one figure for the period.
    """
    if indicator.period in ("quarter", "month"):
        inside = period.within(indicator.period)
        if inside:
            return inside
    return [period]


def compute(
    source: EventSource,
    indicator: Indicator,
    period: Period | int | str,
    *,
    as_of: object = None,
    pushdown: Pushdown | None = None,
) -> Figure:
    """Compute one ungrouped figure (``pushdown``: the store's identical fast path, if any).

    Raises:
        ProjectionError: the indicator is grouped (use :func:`indicators`), or
            the computation fails.
    """
    if indicator.group_by:
        raise ProjectionError(
            f"indicator {indicator.id!r} is grouped by {', '.join(indicator.group_by)}, so it "
            "has one figure per group: use ledger.indicators([...]) to get them all"
        )
    (figure,) = compute_from_source(
        source, [(indicator, as_period(period))], as_of=as_of, pushdown=pushdown
    )
    return figure


def indicators(
    source: EventSource,
    indicator_set: IndicatorSet | str | Path | Iterable[Indicator],
    *,
    period: Period | int | str | None = None,
    year: int | None = None,
    as_of: object = None,
    lineage: Lineage = True,
    pushdown: Pushdown | None = None,
    followup_figures: FollowUpFigures | None = None,
    head: int | None = None,
) -> FigureList:
    """Compute every figure of a set for a period, in one pass over the store.

    ``period`` is a Period or its text (``year`` is the shorthand for a calendar
    year; one of them is required). Yearly indicators give one figure, quarterly
    and monthly ones one per whole quarter or month inside the period (see
    :func:`periods_for`); grouped indicators one per group value seen. Figures
    follow the set's order.
    ``lineage="lazy"`` keeps memory flat on large ledgers; see
    :func:`~civicledger.projections.engine.compute_from_source`. ``pushdown``: the
    store's own way to compute identical figures (e.g. in SQL), tried first.
    ``followup_figures``: computes the indicators that declare a follow-up roll-up
    (one call per such indicator, for the whole period). ``head``: the store's head
    position if the caller has just read it (see :func:`compute_from_source`).

    Raises:
        ValidationError: the set (or its file) is invalid.
        ProjectionError: the computation fails, or the set declares follow-up
            figures and ``followup_figures`` is None.
    """
    resolved = as_indicator_set(indicator_set)
    chosen = choose_period(period, year)
    declared = [i for i in resolved if i.followups is not None]
    if declared and followup_figures is None:
        raise ProjectionError(
            f"indicator {declared[0].id!r} is the follow-up figure {declared[0].followups!r}; "
            "compute the set with Ledger.indicators, which has the rectification ledger"
        )
    requests: list[Request] = [
        (i, p) for i in resolved if i.followups is None for p in periods_for(i, chosen)
    ]
    computed = (
        compute_from_source(
            source, requests, as_of=as_of, lineage=lineage, pushdown=pushdown, head=head
        )
        if requests or not declared
        else []
    )
    if not declared or followup_figures is None:
        return FigureList(computed)
    by_id: dict[str, list[Figure]] = {}
    for figure in computed:
        by_id.setdefault(figure.indicator.id, []).append(figure)
    result: list[Figure] = []
    for indicator in resolved:  # the set's order, as without follow-up figures
        if indicator.followups is None:
            result.extend(by_id.get(indicator.id, []))
        else:
            result.extend(followup_figures(indicator, chosen))
    return FigureList(result)


def find_event(
    source: Any, event_id: uuid.UUID, as_of: AsOf | None = None
) -> tuple[RecordedEvent | None, RecordedEvent | None]:
    """The event with that id as the figure saw it, and the event retracting it, if any.

    With the corrections layer in the build, the event comes back with the
    corrections known at ``as_of`` applied (so a why-not judges the payload the
    figure judged), and the retraction is the one known then.

    Args:
        source: the event store.
        event_id: the event asked about.
        as_of: the figure's as-of point (None: everything recorded).

    Returns:
        (the event or None if the ledger has none with that id, its retraction or None).
    """
    last = as_of.position if as_of is not None else None
    found: RecordedEvent | None = None
    retraction: RecordedEvent | None = None
    for record in source.read():
        if record.event_id == event_id:
            found = record
        elif (
            retraction is None
            and record.type in RETRACTION_TYPES
            and getattr(record.payload, "target_event_id", None) == event_id
            and (last is None or record.position <= last)
        ):
            retraction = record
    if found is None or retraction is not None:
        return found, retraction
    before = as_of.recorded_before if as_of is not None else None
    index = CorrectionIndex.collect(
        r
        for r in source.read(types=list(AMENDING_TYPES), to_position=last)
        if before is None or r.recorded_at <= before
    )
    return index.apply(found) or found, None


def explain_figure(
    source: Any,
    figure: Figure,
    why_not_event: uuid.UUID | str | None = None,
    language: Language = "zh",
) -> str:
    """Explain a figure, or why an event did not count in it.

    Raises:
        ProjectionError: the event id or the language is malformed.
    """
    if why_not_event is None:
        return explain(figure, language)
    event_id = parse_event_id(why_not_event, field="why_not")
    record, retraction = find_event(source, event_id, figure.as_of)
    return why_not(figure, event_id, record, retracted_by=retraction).render(language) + "\n"


def compare(
    source: EventSource,
    indicator: Indicator,
    current: Period | int | str,
    previous: Period | int | str | None = None,
    *,
    against: Basis = "year",
    as_of: object = None,
    pushdown: Pushdown | None = None,
) -> list[Comparison]:
    """同比 or 环比 (or two named periods); see :func:`civicledger.projections.compare.compare`."""
    return compare_periods(
        indicator,
        as_period(current),
        None if previous is None else as_period(previous),
        against=against,
        source=source,
        as_of=as_of,
        pushdown=pushdown,
    )


def series(
    source: EventSource,
    indicator: Indicator | IndicatorSet | str | Path | Iterable[Indicator],
    period: Period | int | str,
    by: Step,
    *,
    previous_year: bool = False,
    as_of: object = None,
    lineage: Lineage = True,
    pushdown: Pushdown | None = None,
    max_steps: int = 1_000,
) -> Series | list[Series]:
    """One series for an indicator, or one per indicator of a set (in one pass);
    see :func:`civicledger.projections.series.compute_series`.

    Raises:
        ValidationError: as there, or the set is invalid.
        ProjectionError: ``indicator`` is of another kind, or the computation fails.
    """
    single = isinstance(indicator, Indicator)
    chosen = [indicator] if isinstance(indicator, Indicator) else list(as_indicator_set(indicator))
    found = compute_series(
        source,
        chosen,
        as_period(period),
        by,
        previous_year=previous_year,
        as_of=as_of,
        lineage=lineage,
        pushdown=pushdown,
        max_steps=max_steps,
    )
    return found[0] if single else found
