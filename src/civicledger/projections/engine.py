"""Compute figures for many indicators and periods in one streaming pass over events.

Each (indicator, period) pair gets an accumulator; accumulators are dispatched
by event type, so an event only meets the indicators that read its type. Memory
holds the accumulators (and, with lineage on, the contributions), never the
events themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal, Protocol

import attrs

from civicledger.errors import ProjectionError, StoreError
from civicledger.events import RecordedEvent
from civicledger.projections.expressions import Arith
from civicledger.projections.fields import MISSING, getter
from civicledger.projections.figures import AsOf, Contribution, Figure, Number
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, CountDistinct, Latest, Ratio, Sum
from civicledger.projections.periods import Period

__all__ = [
    "EventSource",
    "Request",
    "compute",
    "compute_from_source",
    "group_text",
    "resolve_as_of",
]

Request = tuple[Indicator, Period]
"""One figure to compute: an indicator over a period."""

Group = tuple[tuple[str, str], ...]


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


def group_text(value: Any) -> str:
    """How a group value is written in a figure's ``group`` (always text)."""
    if type(value) is str:
        return value
    if value is MISSING:
        return "(missing)"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class _Cell:
    """The running figure of one group."""

    __slots__ = ("contributions", "counted", "last_counted", "latest", "value")

    def __init__(self) -> None:
        self.value: Number = 0
        self.contributions: list[Contribution] = []
        self.counted = 0
        self.last_counted = 0
        self.latest: tuple[date, int] | None = None

    def count_event(self, position: int) -> None:
        # An event with several keys contributes several times but counts once.
        if self.last_counted != position:
            self.last_counted = position
            self.counted += 1


class _Interner:
    """Shares equal strings and dates among contributions (they repeat across events).

    A contribution would otherwise keep its record's own copies alive; sharing
    them roughly halves what lineage costs per contributing event.
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[object, Any] = {}

    def contribution(
        self, record: RecordedEvent, amount: Number, key: str | None = None, note: str | None = None
    ) -> Contribution:
        values = self.values
        type_name = values.setdefault(record.type, record.type)
        stream = values.setdefault(record.stream, record.stream)
        day = values.setdefault(record.occurred_on, record.occurred_on)
        amendments = getattr(record, "corrections", ())
        if amendments:
            # Lineage shows that the counted payload is a correction, and who made it.
            made = "; ".join(
                f"{a.kind} by event {a.event_id} (position {a.position}, {a.actor}): {a.reason}"
                for a in amendments
            )
            note = f"{note}; {made}" if note else made
        return Contribution(
            record.event_id, record.position, day, type_name, stream, amount, key, note
        )


class _Accumulator:
    """Folds the events of one (indicator, period) pair into figures per group."""

    def __init__(
        self, indicator: Indicator, period: Period, lineage: bool, interner: _Interner
    ) -> None:
        self.indicator = indicator
        self.contribution = interner.contribution
        self.period = period
        self.lineage = lineage
        self.seen = 0
        self.cells: dict[Group, _Cell] = {}
        self.test = indicator.where.compile() if indicator.where is not None else None
        self.group_getters = tuple((name, getter(name)) for name in indicator.group_by)
        self.start = None if indicator.state else period.start
        self.end = period.end
        measure = indicator.measure
        self.redacted: list[uuid.UUID] = []
        self.filter_fields = frozenset(
            f.removeprefix("payload.")
            for f in (indicator.where.fields() if indicator.where else ())
        )
        self.open_keys: dict[str, Group] = {}
        self.seen_keys: dict[Group, set[str]] = {}
        self.amount: Callable[[RecordedEvent], Any] | None = None
        self.removed_amount: Callable[[RecordedEvent], Any] | None = None
        self.key_getter: Callable[[RecordedEvent], Any] | None = None
        self.closing_key_getter: Callable[[RecordedEvent], Any] | None = None
        if isinstance(measure, Sum):
            self.amount = measure.expression.evaluator()
            removed: Arith = measure.removed_expression or measure.expression
            self.removed_amount = removed.evaluator()
        elif isinstance(measure, CountDistinct):
            self.key_getter = getter(measure.field)
            self.closing_key_getter = getter(measure.closing_field)
        elif isinstance(measure, Latest):
            self.key_getter = getter(measure.field)
        self.measure = measure
        # Dispatch on the measure once, here, rather than per event.
        self.take: Callable[[Group, RecordedEvent], None]
        if isinstance(measure, Count):
            self.take = self._take_count
        elif isinstance(measure, Sum):
            self.take = self._take_sum
        elif isinstance(measure, CountDistinct):
            self.take = self._take_distinct
        else:
            self.take = self._latest

    def in_period(self, day: date) -> bool:
        return day <= self.end and (self.start is None or day >= self.start)

    def group_of(self, record: RecordedEvent) -> Group:
        return tuple((name, group_text(read(record))) for name, read in self.group_getters)

    def cell(self, group: Group) -> _Cell:
        cell = self.cells.get(group)
        if cell is None:
            cell = self.cells[group] = _Cell()
        return cell

    def opening(self, record: RecordedEvent) -> None:
        self.seen += 1
        day = record.occurred_on
        # Inlined period test: this runs once per event and accumulator.
        if day > self.end or (self.start is not None and day < self.start):
            return
        if self.test is not None and not self.test(record):
            if self.filter_fields and getattr(record, "redacted_fields", None):
                self._missing(record, self.filter_fields)
            return
        group = self.group_of(record) if self.group_getters else ()
        self.take(group, record)

    def _missing(self, record: RecordedEvent, needed: frozenset[str] | None = None) -> None:
        """Remember an event that could not count because a field it needed was redacted."""
        redacted = getattr(record, "redacted_fields", ())
        if redacted and (needed is None or needed & {f.split(".")[0] for f in redacted}):
            self.redacted.append(record.event_id)

    def _take_count(self, group: Group, record: RecordedEvent) -> None:
        self._add(group, record, 1)

    def _take_sum(self, group: Group, record: RecordedEvent) -> None:
        assert self.amount is not None
        amount = self.amount(record)
        if amount is not MISSING:
            self._add(group, record, amount)
        else:
            self._missing(record)

    def _take_distinct(self, group: Group, record: RecordedEvent) -> None:
        assert self.key_getter is not None
        value = self.key_getter(record)
        if value is MISSING:
            self._missing(record)
            return
        self._open_keys(group, record, value)

    def closing(self, record: RecordedEvent) -> None:
        self.seen += 1
        if not self.in_period(record.occurred_on):
            return
        measure = self.measure
        if isinstance(measure, CountDistinct):
            # Closing events remove keys that are open; the opening filter already chose them.
            assert self.closing_key_getter is not None
            for key in _keys(self.closing_key_getter(record)):
                group = self.open_keys.pop(key, None)
                if group is not None:
                    cell = self.cell(group)
                    cell.value -= 1
                    cell.count_event(record.position)
                    if self.lineage:
                        cell.contributions.append(self.contribution(record, -1, key, "removed"))
            return
        if self.test is not None and not self.test(record):
            return
        group = self.group_of(record) if self.group_getters else ()
        if isinstance(measure, Count):
            self._add(group, record, -1, "removed")
        elif isinstance(measure, Sum):
            assert self.removed_amount is not None
            amount = self.removed_amount(record)
            if amount is not MISSING:
                self._add(group, record, -amount, "removed")

    def _add(
        self, group: Group, record: RecordedEvent, amount: Number, note: str | None = None
    ) -> None:
        cell = self.cell(group)
        cell.value += amount
        cell.count_event(record.position)
        if self.lineage:
            cell.contributions.append(self.contribution(record, amount, None, note))

    def _open_keys(self, group: Group, record: RecordedEvent, value: Any) -> None:
        removable = bool(self.measure.removed_by)  # type: ignore[union-attr]
        seen = self.seen_keys.setdefault(group, set()) if not removable else None
        for key in _keys(value):
            if removable:
                if key in self.open_keys:
                    continue
                self.open_keys[key] = group
            else:
                assert seen is not None
                if key in seen:
                    continue
                seen.add(key)
            cell = self.cell(group)
            cell.value += 1
            cell.count_event(record.position)
            if self.lineage:
                cell.contributions.append(self.contribution(record, 1, key))

    def _latest(self, group: Group, record: RecordedEvent) -> None:
        assert self.key_getter is not None
        value = self.key_getter(record)
        if value is MISSING:
            self._missing(record)
            return
        if isinstance(value, bool):
            value = int(value)  # a yes/no state reads as 1 or 0
        if not isinstance(value, int | Decimal):
            raise ProjectionError(
                f"indicator {self.indicator.id!r}: latest({self.measure.field}) of event "  # type: ignore[union-attr]
                f"{record.event_id} at position {record.position} is {value!r}, not a number"
            )
        cell = self.cell(group)
        rank = (record.occurred_on, record.position)
        if cell.latest is None or rank >= cell.latest:
            cell.latest = rank
            cell.value = value
            cell.counted = 1
            cell.contributions = [self.contribution(record, value)]

    def figures(self, as_of: AsOf) -> list[Figure]:
        if not self.cells and self.indicator.group_by:
            return []
        cells = self.cells or {(): _Cell()}
        notes: tuple[str, ...] = ()
        if self.redacted:
            shown = ", ".join(str(i) for i in self.redacted[:5])
            more = f" and {len(self.redacted) - 5} more" if len(self.redacted) > 5 else ""
            notes = (
                f"{len(self.redacted)} event(s) could not count because fields they needed "
                f"were redacted: {shown}{more}",
            )
        figures = []
        for group in sorted(cells):
            cell = cells[group]
            value: Number | None = cell.value
            reason = None
            if isinstance(self.measure, Latest) and cell.latest is None:
                value, reason = None, "no event in the period has this field"
            figures.append(
                Figure(
                    indicator=self.indicator,
                    period=self.period,
                    value=value,
                    as_of=as_of,
                    contributions=tuple(cell.contributions),
                    group=group,
                    excluded=self.seen - cell.counted,
                    undefined_reason=reason,
                    notes=notes,
                )
            )
        return figures


def _keys(value: Any) -> tuple[str, ...]:
    """The distinct-value keys an event's field holds (each item of a list field)."""
    if value is MISSING or value is None:
        return ()
    if isinstance(value, tuple | list | frozenset | set):
        return tuple(group_text(v) for v in value if v is not None)
    return (group_text(value),)


def _expand(requests: Sequence[Request]) -> list[Request]:
    """Every non-ratio request needed, including ratio parts, without repeats."""
    needed: dict[Request, None] = {}

    def visit(indicator: Indicator, period: Period, trail: tuple[str, ...]) -> None:
        measure = indicator.measure
        if isinstance(measure, Ratio):
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
    base = _expand(requests)
    interner = _Interner()
    accumulators = {req: _Accumulator(req[0], req[1], lineage, interner) for req in base}
    dispatch: dict[str, list[Callable[[RecordedEvent], None]]] = {}
    for accumulator in accumulators.values():
        for type_name in accumulator.indicator.source:
            dispatch.setdefault(type_name, []).append(accumulator.opening)
        for type_name in accumulator.indicator.closing_types:
            if type_name not in accumulator.indicator.source:
                dispatch.setdefault(type_name, []).append(accumulator.closing)
    empty: list[Callable[[RecordedEvent], None]] = []
    for record in records:
        for apply in dispatch.get(record.type, empty):
            apply(record)
    computed: dict[Request, list[Figure]] = {
        req: acc.figures(as_of) for req, acc in accumulators.items()
    }
    result: list[Figure] = []
    for indicator, period in requests:
        result.extend(_figures_for(indicator, period, computed, as_of))
    return result


def _figures_for(
    indicator: Indicator, period: Period, computed: dict[Request, list[Figure]], as_of: AsOf
) -> list[Figure]:
    measure = indicator.measure
    if not isinstance(measure, Ratio):
        return computed[(indicator, period)]
    assert not isinstance(measure.numerator, str)
    assert not isinstance(measure.denominator, str)
    numerators = {f.group: f for f in _figures_for(measure.numerator, period, computed, as_of)}
    denominators = {f.group: f for f in _figures_for(measure.denominator, period, computed, as_of)}
    groups = sorted(set(numerators) | set(denominators))
    figures = []
    for group in groups:
        numerator = numerators.get(group)
        denominator = denominators.get(group)
        value, reason = ratio_value(measure, numerator, denominator)
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


def ratio_value(
    measure: Ratio, numerator: Figure | None, denominator: Figure | None
) -> tuple[Decimal | None, str | None]:
    """A ratio's value from its parts, or None and the reason it is not defined."""
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
        return exact.quantize(measure.quantum(), rounding=ROUND_HALF_UP), None


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


def _effective_records(
    source: EventSource, types: Sequence[str], point: AsOf
) -> Iterator[RecordedEvent]:
    """The records of these types known at the as-of point, corrections applied.

    Corrections and retractions recorded by then are applied before the fold (a
    retracted event is absent, a corrected one carries its replacement payload),
    through the corrections layer's effective view when it is part of this build.
    """
    try:
        from civicledger.corrections.fold import effective_read
    except ImportError:  # a build without the corrections layer: the stored events as they are
        return within_as_of(source.read(types=types, to_position=point.position), point)
    records: Iterator[RecordedEvent] = effective_read(
        source, types=types, to_position=point.position, recorded_before=point.recorded_before
    )
    return records


Lineage = bool | Literal["lazy"]
"""Whether figures keep their contributions: True (in memory), False (none), or
``"lazy"`` (loaded from the store on first access, for all figures of the call at once)."""


def compute_from_source(
    source: EventSource,
    requests: Sequence[Request],
    *,
    as_of: object = None,
    lineage: Lineage = True,
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

    Raises:
        ProjectionError: as for :func:`compute` and :func:`resolve_as_of`.
    """
    if lineage not in (True, False, "lazy"):
        raise ProjectionError(f"lineage must be True, False or 'lazy', not {lineage!r}")
    point = resolve_as_of(as_of, source.head())
    types = sorted({t for indicator, _ in _expand(requests) for t in indicator.all_types})
    records = _effective_records(source, types, point) if types else iter(())
    figures = compute(records, requests, as_of=point, lineage=lineage is True)
    if lineage != "lazy":
        return figures
    loader = _LazyLineage(source, requests, point)
    return [loader.attach(figure) for figure in figures]


_FigureKey = tuple[Indicator, Period, Group]


class _LazyLineage:
    """Loads the contributions of figures computed together, in one pass, on first need."""

    def __init__(self, source: EventSource, requests: Sequence[Request], point: AsOf) -> None:
        self.source = source
        self.requests = list(requests)
        self.point = point
        self.loaded: dict[_FigureKey, tuple[Contribution, ...]] | None = None

    def attach(self, figure: Figure) -> Figure:
        """The figure (and its ratio parts) with contributions to be loaded by this loader."""
        key = (figure.indicator, figure.period, figure.group)
        if isinstance(figure.indicator.measure, Ratio):
            return attrs.evolve(
                figure,
                numerator=self.attach(figure.numerator) if figure.numerator else None,
                denominator=self.attach(figure.denominator) if figure.denominator else None,
            )
        return attrs.evolve(figure, contributions=None, lineage=lambda: self.load(key))

    def load(self, key: _FigureKey) -> tuple[Contribution, ...]:
        if self.loaded is None:
            try:
                figures = compute_from_source(
                    self.source, self.requests, as_of=self.point, lineage=True
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
