"""Compute figures for many indicators and periods in one streaming pass over events.

Each (indicator, period) pair gets an accumulator; accumulators are dispatched
by event type, so an event only meets the indicators that read its type (and
those splitting a type by a text field share one read of it: :mod:`.dispatch`). Memory
holds the accumulators (and, with lineage on, the contributions), never the
events themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Literal, Protocol

import attrs

from civicledger.corrections.fold import read_effective
from civicledger.errors import ProjectionError, StoreError
from civicledger.events import RecordedEvent, default_registry
from civicledger.projections.accumulate import Accumulator, Group, Interner, group_text
from civicledger.projections.declared import check_declared_fields, classes_of, mark_estimates
from civicledger.projections.derived import derived_figures
from civicledger.projections.dispatch import Apply, dispatch_table
from civicledger.projections.figures import AsOf, Contribution, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Derived, Ratio
from civicledger.projections.periods import Period
from civicledger.projections.rounding import RoundingMode, quantize

__all__ = [
    "EventSource",
    "Pushdown",
    "Request",
    "compute",
    "compute_from_source",
    "event_classes",
    "figures_for",
    "group_text",
    "read_effective_at",
    "resolve_as_of",
]

Request = tuple[Indicator, Period]
"""One figure to compute: an indicator over a period."""


class EventSource(Protocol):
    """What the engine reads from: the part of the EventStore contract it needs."""

    def read(
        self,
        *,
        types: Sequence[str] | None = None,
        to_position: int | None = None,
    ) -> Iterator[RecordedEvent]:
        """Stream records in position order."""
        ...

    def head(self) -> int:
        """The last position recorded."""
        ...


class Pushdown(Protocol):
    """A backend that computes figures itself (e.g. in SQL); see :mod:`civicledger.pushdown`.

    Its figures must be identical to the engine's, lineage included; it returns
    None when it cannot compute this call exactly, and the engine folds instead.
    """

    def compute(
        self, requests: Sequence[Request], point: AsOf, *, lineage: bool
    ) -> list[Figure] | None:
        """The figures of ``requests`` at ``point`` in request order, or None."""
        ...


def bind(requests: Sequence[Request]) -> list[Request]:
    """Each request with its indicator as computed for its period (see
    :meth:`Indicator.for_period`), so every backend sees dates written out."""
    return [(indicator.for_period(period), period) for indicator, period in requests]


def _expand(requests: Sequence[Request]) -> list[Request]:
    """Every non-ratio request needed, including ratio parts, without repeats."""
    needed: dict[Request, None] = {}

    def visit(indicator: Indicator, period: Period, trail: tuple[str, ...]) -> None:
        measure = indicator.measure
        if indicator.followups is not None:
            # Counted from the rectification ledger, a higher layer: only the facade can.
            used = f" (used by {trail[-1]!r})" if trail else ""
            raise ProjectionError(
                f"indicator {indicator.id!r}{used} is the follow-up figure "
                f"{indicator.followups!r}; compute it with Ledger.indicators, and do not use "
                "it as a part of a ratio or derived figure"
            )
        if isinstance(measure, Derived):
            if not measure.resolved:
                raise ProjectionError(
                    f"derived figure {indicator.id!r} names its operands by id only; compute "
                    "it within an IndicatorSet (or pass the operand Indicators)"
                )
            for operand in measure.operands:
                visit(operand, period, (*trail, indicator.id))
        elif isinstance(measure, Ratio):
            if indicator.id in trail:
                raise ProjectionError(f"ratio {indicator.id!r} refers to itself")
            for part in (measure.numerator, measure.denominator):
                if isinstance(part, str):
                    raise ProjectionError(
                        f"ratio {indicator.id!r} names {part!r} by id only; compute it "
                        "within an IndicatorSet (or pass the Indicator itself)"
                    )
                visit(part, period, (*trail, indicator.id))
        else:
            needed[(indicator, period)] = None

    for indicator, period in requests:
        visit(indicator, period, ())
    return list(needed)


def compute(
    records: Iterable[RecordedEvent],
    requests: Sequence[Request],
    *,
    as_of: AsOf,
    lineage: bool = True,
) -> list[Figure]:
    """Compute figures for many (indicator, period) pairs in one pass over ``records``.

    Args:
        records: recorded events in position order (already limited to the as-of
            prefix and with corrections applied; see :func:`compute_from_source`).
        requests: the figures wanted, in the order they are returned.
        as_of: the ledger prefix the records cover, stamped on every figure.
        lineage: keep each figure's contributions (off saves memory on huge ledgers;
            values and excluded counts are unchanged).

    Returns:
        The figures, in request order; a grouped indicator gives one figure per
        group value seen (sorted), an ungrouped one exactly one figure.

    Raises:
        ProjectionError: a ratio part is unresolved, or a latest value is not a number.
    """
    requests = bind(requests)
    base = _expand(requests)
    interner = Interner()
    accumulators = {req: Accumulator(req[0], req[1], lineage, interner) for req in base}
    dispatch, switches = dispatch_table(accumulators.values())
    empty: list[Apply] = []
    for record in records:
        for apply in dispatch.get(record.type, empty):
            apply(record)
    for switch in switches:
        switch.settle()
    computed: dict[Request, list[Figure]] = {
        req: acc.figures(as_of) for req, acc in accumulators.items()
    }
    result: list[Figure] = []
    for indicator, period in requests:
        result.extend(figures_for(indicator, period, computed, as_of))
    return result


def figures_for(
    indicator: Indicator, period: Period, computed: dict[Request, list[Figure]], as_of: AsOf
) -> list[Figure]:
    """The figures of one request, from the figures of its base indicators.

    A ratio is built from its numerator's and denominator's figures and a derived
    indicator from its operands'; any other indicator's figures are ``computed``'s.
    The SQL pushdown builds its ratios here too, so both paths give identical figures.
    """
    measure = indicator.measure
    if isinstance(measure, Derived):
        parts = [figures_for(o, period, computed, as_of) for o in measure.operands]
        return derived_figures(indicator, period, parts, as_of)
    if not isinstance(measure, Ratio):
        return computed[(indicator, period)]
    assert not isinstance(measure.numerator, str)
    assert not isinstance(measure.denominator, str)
    numerators = {f.group: f for f in figures_for(measure.numerator, period, computed, as_of)}
    denominators = {f.group: f for f in figures_for(measure.denominator, period, computed, as_of)}
    # An ungrouped part is shared by every group of the other (a share of the total).
    whole_numerator = numerators.get(()) if not measure.numerator.group_by else None
    whole_denominator = denominators.get(()) if not measure.denominator.group_by else None
    grouped = {g for g in (*numerators, *denominators) if g}
    groups = sorted(grouped) if grouped else [()]
    figures = []
    for group in groups:
        numerator = numerators.get(group, whole_numerator)
        denominator = denominators.get(group, whole_denominator)
        value, reason = ratio_value(measure, numerator, denominator, indicator.rounding)
        figures.append(
            Figure(
                indicator=indicator,
                period=period,
                value=value,
                as_of=as_of,
                group=group,
                numerator=numerator,
                denominator=denominator,
                undefined_reason=reason,
            )
        )
    return figures


class Valued(Protocol):
    """What a ratio needs of its parts: a figure, or a roll-up of figures across ledgers."""

    @property
    def value(self) -> int | Decimal | None: ...

    @property
    def undefined_reason(self) -> str | None: ...


def ratio_value(
    measure: Ratio,
    numerator: Valued | None,
    denominator: Valued | None,
    rounding: RoundingMode = "half-up",
) -> tuple[Decimal | None, str | None]:
    """A ratio's value from its parts (rounded by ``rounding``), or None and why not."""
    if numerator is None or numerator.value is None:
        why = numerator.undefined_reason if numerator is not None else "no figure"
        return None, f"the numerator {measure.numerator_id} is not defined ({why})"
    if denominator is None or denominator.value is None:
        why = denominator.undefined_reason if denominator is not None else "no figure"
        return None, f"the denominator {measure.denominator_id} is not defined ({why})"
    if denominator.value == 0:
        return None, f"the denominator {measure.denominator_id} is 0"
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(numerator.value) * measure.factor / Decimal(denominator.value)
        return quantize(exact, measure.decimals, rounding), None


def resolve_as_of(as_of: object, head: int) -> AsOf:
    """Turn what a caller passes as ``as_of`` into an :class:`AsOf`.

    Args:
        as_of: None (everything recorded), a position, an object with
            ``tree_size`` (a seal; its ``root_hash`` is recorded), a datetime
            (events recorded after it do not count) or an AsOf.
        head: the store's head position now.

    Returns:
        The as-of point; its position never exceeds ``head``.

    Raises:
        ProjectionError: the as-of is of another kind, negative, or beyond the head.
    """
    if as_of is None:
        return AsOf(position=head)
    if isinstance(as_of, AsOf):
        position, result = as_of.position, as_of
    elif isinstance(as_of, bool):
        raise ProjectionError(f"as_of must be a position, a seal or a datetime, not {as_of!r}")
    elif isinstance(as_of, int):
        position, result = as_of, AsOf(position=as_of)
    elif isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise ProjectionError("as_of datetime must be timezone-aware (UTC)")
        return AsOf(position=head, recorded_before=as_of)
    elif isinstance(getattr(as_of, "tree_size", None), int):
        position = as_of.tree_size  # type: ignore[attr-defined]
        root = getattr(as_of, "root_hash", None)
        root_text = (
            root.hex() if isinstance(root, bytes) else (root if isinstance(root, str) else None)
        )
        result = AsOf(position=position, seal_root=root_text, tree_size=position)
    else:
        raise ProjectionError(
            f"as_of must be a position, a seal (with tree_size) or a datetime, not {as_of!r}"
        )
    if position < 0:
        raise ProjectionError(f"as_of position {position} is negative")
    if position > head:
        raise ProjectionError(
            f"as_of position {position} is beyond the ledger's head {head}; "
            "was the seal made on another ledger?"
        )
    return result


def within_as_of(records: Iterable[RecordedEvent], as_of: AsOf) -> Iterator[RecordedEvent]:
    """Keep only the records the as-of point allows (position, then recording time)."""
    before = as_of.recorded_before
    for record in records:
        if record.position > as_of.position:
            return
        if before is not None and record.recorded_at > before:
            continue
        yield record


def read_effective_at(
    source: EventSource, types: Sequence[str], point: AsOf
) -> Iterator[RecordedEvent]:
    """The records of these types known at the as-of point, corrections applied.

    Corrections and retractions recorded by then are applied before the fold (a
    retracted event is absent, a corrected one carries its replacement payload),
    through the corrections layer's effective view.
    """
    records: Iterator[RecordedEvent] = read_effective(
        source, types=types, to_position=point.position, recorded_before=point.recorded_before
    )
    return records


Lineage = bool | Literal["lazy"]
"""Whether figures keep their contributions: True (in memory), False (none), or
``"lazy"`` (loaded from the store on first access, for all figures of the call at once)."""


def event_classes(source: object) -> dict[str, type]:
    """The event classes the source's codec decodes with (the default registry's otherwise)."""
    codec = getattr(source, "codec", None)
    registry = getattr(codec, "registry", None)
    return classes_of(registry if registry is not None else default_registry())


def compute_from_source(
    source: EventSource,
    requests: Sequence[Request],
    *,
    as_of: object = None,
    lineage: Lineage = True,
    pushdown: Pushdown | None = None,
    head: int | None = None,
) -> list[Figure]:
    """Compute figures from a store in one streaming pass; see :func:`compute`.

    Only the event types the indicators read are requested from the store, up to
    the as-of position fixed when the computation starts (so concurrent appends
    never leak in).

    Args:
        source: the event store.
        requests: the figures wanted.
        as_of: see :func:`resolve_as_of`.
        lineage: True keeps every contribution in memory; ``"lazy"`` keeps none
            while computing (memory flat in the ledger's size) and loads them with
            a second pass, pinned to the same as-of point, when any figure's
            ``contributions`` is first read; False drops them.
        pushdown: the store's own way to compute them (identical figures), tried first.
        head: the store's head position when the caller has just read it (a ledger set
            reads all its ledgers' heads in one query); None reads it here.

    Raises:
        ProjectionError: as for :func:`compute` and :func:`resolve_as_of`.
    """
    if lineage not in (True, False, "lazy"):
        raise ProjectionError(f"lineage must be True, False or 'lazy', not {lineage!r}")
    classes = event_classes(source)
    check_declared_fields((indicator for indicator, _ in _expand(requests)), classes)
    point = resolve_as_of(as_of, source.head() if head is None else head)
    requests = bind(requests)
    types = sorted({t for indicator, _ in _expand(requests) for t in indicator.all_types})
    pushed = None
    if pushdown is not None:
        pushed = pushdown.compute(requests, point, lineage=lineage is True)
    if pushed is not None:
        figures = pushed
    else:
        records = read_effective_at(source, types, point) if types else iter(())
        figures = compute(records, requests, as_of=point, lineage=lineage is True)
    figures = mark_estimates(figures, classes)
    if lineage != "lazy":
        return figures
    loader = _LazyLineage(source, requests, point, pushdown)
    return [loader.attach(figure) for figure in figures]


_FigureKey = tuple[Indicator, Period, Group]


class _LazyLineage:
    """Loads the contributions of figures computed together, in one pass, on first need."""

    def __init__(
        self,
        source: EventSource,
        requests: Sequence[Request],
        point: AsOf,
        pushdown: Pushdown | None = None,
    ) -> None:
        self.source = source
        self.pushdown = pushdown
        self.requests = list(requests)
        self.point = point
        self.loaded: dict[_FigureKey, tuple[Contribution, ...]] | None = None

    def attach(self, figure: Figure) -> Figure:
        """The figure (and its ratio parts) with contributions to be loaded by this loader."""
        key = (figure.indicator, figure.period, figure.group)
        if isinstance(figure.indicator.measure, Ratio | Derived):
            return attrs.evolve(
                figure,
                numerator=self.attach(figure.numerator) if figure.numerator else None,
                denominator=self.attach(figure.denominator) if figure.denominator else None,
                operands=tuple(self.attach(o) for o in figure.operands),
            )
        return attrs.evolve(figure, contributions=None, lineage=lambda: self.load(key))

    def load(self, key: _FigureKey) -> tuple[Contribution, ...]:
        if self.loaded is None:
            try:
                figures = compute_from_source(
                    self.source,
                    self.requests,
                    as_of=self.point,
                    lineage=True,
                    pushdown=self.pushdown,
                )
            except StoreError as e:
                raise ProjectionError(
                    f"cannot load the lineage of the figures computed at position "
                    f"{self.point.position}: {e}. Read contributions while the ledger is "
                    "open, or compute with lineage=True"
                ) from e
            loaded: dict[_FigureKey, tuple[Contribution, ...]] = {}
            stack = list(figures)
            while stack:
                figure = stack.pop()
                loaded[(figure.indicator, figure.period, figure.group)] = figure.contributions
                stack.extend(p for p in (figure.numerator, figure.denominator) if p is not None)
            self.loaded = loaded
        return self.loaded.get(key, ())
