"""Compute figures over a SQL store by letting the database select and extract.

:class:`SqlPushdown` implements the engine's pushdown protocol
(:class:`civicledger.projections.engine.Pushdown`). For the indicators it can
serve it runs one query: the rows of the types they read, up to the as-of point,
narrowed by period and by each filter's SQL form, returning only the envelope
and the payload fields the indicators use. The engine folds these light rows
exactly as it folds decoded events, so values, contributions and notes are the
same; the excluded counts are completed with a per-type ``COUNT``. Anything it
cannot reproduce exactly (an escape-hatch callable, a nested or unusual field,
an older schema version, a ledger with corrections, retractions or redactions)
is computed by the Python engine instead.
"""

from __future__ import annotations

import functools
import heapq
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import attrs
from sqlalchemy import (
    LargeBinary,
    and_,
    case,
    func,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

# The types whose presence means the effective view differs from the stored rows.
from civicledger.corrections.fold import AMENDING_TYPES
from civicledger.errors import UnknownEventTypeError
from civicledger.events.text import format_timestamp
from civicledger.projections.engine import Request, compute, compute_from_source, figures_for
from civicledger.projections.expressions import iter_clauses
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.filters import And, Compare, In, Not, Or
from civicledger.projections.indicators import Indicator
from civicledger.projections.matching import Between, Contains, StartsWith
from civicledger.projections.measures import Derived, Ratio
from civicledger.projections.periods import Period
from civicledger.pushdown import driver
from civicledger.pushdown.aggregate import aggregate_figures, simple_results, simple_statements
from civicledger.pushdown.compiler import extract_value, indicator_condition
from civicledger.pushdown.concurrent import Job, default_workers, run_all
from civicledger.pushdown.distinct import distinct_groups, distinct_together
from civicledger.pushdown.fields import (
    Convert,
    NotPushable,
    class_converters,
    indicator_fields,
    payload_field,
    type_hints,
)
from civicledger.pushdown.lineage import lineage_figures
from civicledger.store.base import EventStore
from civicledger.store.ids import uuid_from_bytes
from civicledger.store.parts import SqlTarget
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events

__all__ = [
    "REDACTED",
    "SCAN_FRACTION",
    "LightPayload",
    "LightRow",
    "SqlPushdown",
    "base_indicators",
    "by_request",
    "dispatched_types",
    "parse_day",
    "with_unfetched",
]


_FIRST_FIELD = 7
"""Index of the first payload field in a light row (after the seven envelope columns)."""

SCAN_FRACTION = 20
"""Below one event in this many, reading types through the index beats a walk of the ledger."""

REDACTED = AMENDING_TYPES[2]
"""A redaction erases stored payloads whatever its own position."""

_DECLARATIVE = (Compare, In, And, Or, Not, Between, StartsWith, Contains)
"""Filter clauses that only read fields (an escape-hatch Predicate may read anything)."""


class LightPayload:
    """The fields of a payload that a computation reads (others read as missing)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)


@attrs.define(slots=True)
class LightRow:
    """A recorded event as much as the engine reads of it."""

    position: int
    event_id: uuid.UUID
    occurred_on: date
    type: str
    stream: str
    actor: str
    payload: LightPayload
    # The pushdown runs only while no amending event is recorded, so none applies.
    corrections: tuple[Any, ...] = ()
    redacted_fields: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)
def parse_day(text: str) -> date:
    return date.fromisoformat(text)


def base_indicators(indicator: Indicator) -> list[Indicator]:
    """The non-ratio indicators a request needs (its ratio parts, recursively)."""
    measure = indicator.measure
    if isinstance(measure, Derived):
        return [b for operand in measure.operands for b in base_indicators(operand)]
    if not isinstance(measure, Ratio):
        return [indicator]
    parts = []
    for part in (measure.numerator, measure.denominator):
        if isinstance(part, str):
            raise NotPushable(f"unresolved ratio part {part!r}")
        parts += base_indicators(part)
    return parts


class SqlPushdown:
    """Figures computed with the database doing the selecting; see the module docstring."""

    def __init__(self, store: EventStore, target: SqlTarget, *, workers: int | None = None) -> None:
        """Serve computations over ``store``, whose database ``target`` is.

        Args:
            store: the ledger's store (its codec describes the payloads).
            target: the store's SQL database (:meth:`EventStore.sql_target`).
            workers: connections the aggregates without lineage are read with at once;
                None: the machine's cores, at most four (one for in-memory SQLite).
        """
        self.store = store
        self.target = target
        self.codec = store.codec
        self.dialect = target.engine.dialect.name
        self.workers = default_workers(target.engine) if workers is None else workers

    def compute(
        self, requests: Sequence[Request], point: AsOf, *, lineage: bool
    ) -> list[Figure] | None:
        """The figures of ``requests`` at ``point``, or None to let Python compute them all.

        Args:
            requests: the figures wanted, in order.
            point: the resolved as-of point.
            lineage: keep every contribution.

        Returns:
            The figures, in request order, identical to the Python engine's; None when
            the ledger has amending events up to the point (the effective view differs).

        Raises:
            ProjectionError: as the Python engine raises.
            StoreError: the database fails.
        """
        unique = list(dict.fromkeys(requests))
        doing = f"computing figures of ledger {self.target.ledger_name!r}"
        with translated(doing), self.target.engine.connect() as conn:
            if self._amended(conn, point):
                return None
            pushed = [r for r in unique if self._pushable(r[0])]
            figures: dict[Request, list[Figure]] = {}
            if pushed:
                try:
                    computed = self._compute(conn, pushed, point, lineage)
                    figures.update(by_request(pushed, computed))
                except NotPushable:
                    pass  # a stored value the rebuild does not cover: all in Python
        with translated(doing):
            if figures and self._amended_since(point):
                return None  # a redaction since the first statement: Python reads it
        rest = [r for r in unique if r not in figures]
        if rest:
            python = compute_from_source(self.store, rest, as_of=point, lineage=lineage)
            figures.update(by_request(rest, python))
        return [f for request in requests for f in figures[request]]

    def _amended(self, conn: Connection, point: AsOf) -> bool:
        """Whether an amending event could change the effective view at ``point``."""
        statement = select(func.count()).where(
            events.c.ledger_id == self.target.ledger_id,
            events.c.type.in_(AMENDING_TYPES),
            # A redaction erases stored payloads whatever its own position.
            or_(events.c.position <= point.position, events.c.type == REDACTED),
        )
        return bool(conn.execute(statement).scalar_one())

    def _amended_since(self, point: AsOf) -> bool:
        """Whether an amending event is recorded now, read in a snapshot newer than every
        statement's.

        The statements' snapshots may differ: PostgreSQL gives each statement its own,
        and the aggregates may run on several connections. They all read rows up to
        ``point``, which only a redaction changes, and a redaction records its event
        before it erases a payload. So if none is recorded after the last statement,
        none had erased anything those statements read.
        """
        with self.target.engine.connect() as conn:
            return self._amended(conn, point)

    def _pushable(self, indicator: Indicator) -> bool:
        try:
            for base in base_indicators(indicator):
                self._converters(base)
        except NotPushable:
            return False
        return True

    @functools.lru_cache(maxsize=256)  # noqa: B019 - the pushdown lives as long as its ledger
    def _converters(self, indicator: Indicator) -> Mapping[str, Mapping[str, Convert]]:
        """Per type the indicator reads: converters for the payload fields it uses."""
        if indicator.where is not None:
            for clause in iter_clauses(indicator.where):
                if type(clause) not in _DECLARATIVE:
                    raise NotPushable(f"filter clause {clause} is not declarative")
        names = {n for n in (payload_field(f) for f in indicator_fields(indicator)) if n}
        result = {}
        for type_name in indicator.all_types:
            try:
                newest = self.codec.registry.newest_version(type_name)
            except UnknownEventTypeError:
                # Python reads such events as the codec sees them (or finds none): leave it so.
                raise NotPushable(f"unknown type {type_name!r}") from None
            cls = self.codec.registry.classes.get((type_name, newest))
            if cls is None:
                raise NotPushable(f"unknown type {type_name!r}")
            result[type_name] = class_converters(cls, names)
        return result

    def _compute(
        self, conn: Connection, requests: list[Request], point: AsOf, lineage: bool
    ) -> list[Figure]:
        periods: dict[Indicator, list[Period]] = {}
        for indicator, period in requests:
            for base in base_indicators(indicator):
                periods.setdefault(base, [])
                if period not in periods[base]:
                    periods[base].append(period)
        every_type = sorted({t for base in periods for t in base.all_types})
        # "position + 0": SQLite would otherwise walk the primary key over the whole
        # ledger; every query here names its types, so the (type, day) index serves better.
        scope = [
            events.c.ledger_id == self.target.ledger_id,
            (events.c.position + 0) <= point.position,
        ]
        if point.recorded_before is not None:
            scope.append(events.c.recorded_at <= format_timestamp(point.recorded_before))
        seen = self._seen(conn, [*scope, events.c.type.in_(every_type)])
        computed: dict[Request, list[Figure]] = {}
        hints = {t: self._hints(t) for t in every_type}
        dispatched = {base: sum(seen.get(t, 0) for t in dispatched_types(base)) for base in periods}
        simple = [(base, p) for base, ps in periods.items() for p in ps]
        if lineage:
            # Counts and integer sums from the rows that count, contributions as columns.
            converters = {base: self._converters(base) for base in periods}
            computed.update(
                lineage_figures(
                    conn, self.dialect, scope, simple, point, hints, converters, dispatched
                )
            )
        else:
            computed.update(self._aggregates(conn, scope, simple, point, hints, seen, dispatched))
        folded = {
            base: [p for p in base_periods if (base, p) not in computed]
            for base, base_periods in periods.items()
        }
        folded = {base: ps for base, ps in folded.items() if ps}
        if folded:
            computed.update(self._fold(conn, scope, folded, seen, point, lineage))
        return [
            figure
            for indicator, period in requests
            for figure in figures_for(indicator, period, computed, point)
        ]

    def _aggregates(
        self,
        conn: Connection,
        scope: list[Any],
        requests: list[Request],
        point: AsOf,
        hints: Mapping[str, Mapping[str, Any]],
        seen: Mapping[str, int],
        dispatched: Mapping[Indicator, int],
    ) -> dict[Request, list[Figure]]:
        """Figures without lineage from SQL aggregates, the statements run by :func:`run_all`.

        Jobs: one statement per event type for the ungrouped counts and integer sums,
        one per type whose count_distinct figures read it together, one per other
        request. None depends on another, so they may run on several connections.
        """
        converters = {base: self._converters(base) for base, _ in requests}
        statements, slots = simple_statements(self.dialect, scope, requests, hints)
        together = distinct_groups(requests)
        shared = {request for group in together.values() for request in group}
        aggregates = _Aggregates(self.dialect, scope, point, hints, converters, dispatched)

        def rows_of(types: Iterable[str]) -> int:
            return sum(seen.get(t, 0) for t in types)

        jobs: list[Job[Any]] = [
            Job(rows_of([t]), functools.partial(_one_row, statement))
            for t, statement in statements.items()
        ]
        jobs += [
            Job(rows_of([t]), functools.partial(aggregates.together, group))
            for t, group in together.items()
        ]
        jobs += [
            Job(rows_of(base.all_types), functools.partial(aggregates.alone, [(base, period)]))
            for base, period in requests
            if (base, period) not in slots and (base, period) not in shared
        ]
        results = run_all(conn, self.target.engine, jobs, self.workers)
        rows = dict(zip(statements, results[: len(statements)], strict=True))
        computed = simple_results(rows, slots, point, dispatched)
        for figures in results[len(statements) :]:
            computed.update(figures)
        return computed

    def _hints(self, type_name: str) -> Mapping[str, Any]:
        cls = self.codec.registry.classes[
            (type_name, self.codec.registry.newest_version(type_name))
        ]
        hints = type_hints(cls)
        return {a.name: hints[a.name] for a in attrs.fields(cls)}

    def _fold(
        self,
        conn: Connection,
        scope: list[Any],
        periods: Mapping[Indicator, list[Period]],
        seen: Mapping[str, int],
        point: AsOf,
        lineage: bool,
    ) -> dict[Request, list[Figure]]:
        """Base figures folded by the engine from light rows the database selected."""
        converters: dict[str, dict[str, Convert]] = {}
        for base in periods:
            for type_name, fields in self._converters(base).items():
                converters.setdefault(type_name, {}).update(fields)
        names = sorted({n for fields in converters.values() for n in fields})
        narrowed = or_(*[indicator_condition(self.dialect, i, p) for i, p in periods.items()])
        fed: Counter[str] = Counter()
        condition = and_(*scope, events.c.type.in_(sorted(converters)), narrowed)
        # Many rows: one walk of the ledger in position order; few: each type through its index.
        by_type = sum(seen.get(t, 0) for t in converters) * SCAN_FRACTION < point.position
        rows = self._rows(conn, condition, names, converters, fed, by_type)
        requests = [(base, p) for base, ps in periods.items() for p in ps]
        figures = compute(rows, requests, as_of=point, lineage=lineage)  # type: ignore[arg-type]
        missed = {t: seen.get(t, 0) - fed[t] for t in converters}
        return by_request(requests, [with_unfetched(f, missed) for f in figures])

    def _seen(self, conn: Connection, scope: list[Any]) -> dict[str, int]:
        """How many events of each type the as-of point includes (the engine's ``seen``)."""
        statement = select(events.c.type, func.count()).where(*scope).group_by(events.c.type)
        return {str(type_name): int(count) for type_name, count in conn.execute(statement).all()}

    def _extract(self, name: str, converters: Mapping[str, Mapping[str, Convert]]) -> Any:
        """A payload field, extracted only from rows of the types that have it."""
        having = sorted(t for t, fields in converters.items() if name in fields)
        value = extract_value(self.dialect, name)
        if len(having) == len(converters):
            return value
        # Parsing a payload costs per call: skip the types that do not carry this field.
        return case((events.c.type.in_(having), value), else_=null())

    def _rows(
        self,
        conn: Connection,
        condition: Any,
        names: list[str],
        converters: Mapping[str, Mapping[str, Convert]],
        fed: Counter[str],
        by_type: bool,
    ) -> Iterator[LightRow]:
        columns = [
            events.c.position,
            type_coerce(events.c.event_id, LargeBinary).label("event_id"),
            events.c.occurred_on,
            events.c.type,
            events.c.stream,
            events.c.actor,
            events.c.schema_version,
            *(self._extract(n, converters).label(f"f{i}") for i, n in enumerate(names)),
        ]
        # by_type: one ordered query per type, merged by position; each walks the (type, day)
        # index and sorts its few rows ("+ 0" keeps SQLite from choosing the primary key just
        # to avoid that sort, which would visit the whole ledger once per type).
        results: Iterable[Any]
        if by_type:
            results = heapq.merge(
                *[
                    driver.rows(
                        conn,
                        select(*columns)
                        .where(condition, events.c.type == type_name)
                        .order_by(events.c.position + 0),
                    )
                    for type_name in sorted(converters)
                ],
                key=_position,
            )
        else:
            results = driver.rows(
                conn, select(*columns).where(condition).order_by(events.c.position)
            )
        newest = {t: self.codec.registry.newest_version(t) for t in converters}
        # Per type, only the columns its class has (the others read as missing).
        plans = {
            t: tuple((_FIRST_FIELD + i, n, c[n]) for i, n in enumerate(names) if n in c)
            for t, c in converters.items()
        }
        for row in results:
            type_name = row[3]
            if row[6] != newest[type_name]:
                raise NotPushable(f"event at position {row[0]} has an older schema version")
            fed[type_name] += 1
            payload = LightPayload({name: convert(row[i]) for i, name, convert in plans[type_name]})
            raw_id = row[1]
            event_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid_from_bytes(raw_id)
            yield LightRow(row[0], event_id, parse_day(row[2]), type_name, row[4], row[5], payload)


def _position(row: Any) -> int:
    return int(row[0])


def _one_row(statement: Select[Any], conn: Connection) -> Any:
    """The one row of an aggregate statement without GROUP BY."""
    return conn.execute(statement).one()


@attrs.frozen
class _Aggregates:
    """What the aggregate jobs of one computation share (see ``SqlPushdown._aggregates``)."""

    dialect: str
    scope: list[Any]
    point: AsOf
    hints: Mapping[str, Mapping[str, Any]]
    converters: Mapping[Indicator, Mapping[str, Mapping[str, Convert]]]
    dispatched: Mapping[Indicator, int]

    def alone(self, requests: list[Request], conn: Connection) -> dict[Request, list[Figure]]:
        """Each request's figures from its own aggregates; none for one they cannot serve
        (it is folded from rows instead)."""
        computed = {}
        for base, period in requests:
            figures = aggregate_figures(
                conn,
                self.dialect,
                self.scope,
                base,
                period,
                self.point,
                self.hints,
                self.converters[base],
                self.dispatched[base],
            )
            if figures is not None:
                computed[(base, period)] = figures
        return computed

    def together(self, requests: list[Request], conn: Connection) -> dict[Request, list[Figure]]:
        """count_distinct figures of one type from one read of its rows; any whose filter
        or key that read cannot compile from its own aggregates."""
        computed = distinct_together(
            conn,
            self.dialect,
            self.scope,
            requests,
            self.point,
            self.hints,
            self.converters,
            self.dispatched,
        )
        left = [request for request in requests if request not in computed]
        computed.update(self.alone(left, conn))
        return computed


def dispatched_types(indicator: Indicator) -> list[str]:
    """The types the engine feeds an indicator: source types, then closing types not among them."""
    return [*indicator.source, *(t for t in indicator.closing_types if t not in indicator.source)]


def with_unfetched(figure: Figure, missed: Mapping[str, int]) -> Figure:
    """Add to a figure's excluded count the events the query did not fetch."""
    indicator = figure.indicator
    if isinstance(indicator.measure, Ratio | Derived):
        return attrs.evolve(
            figure,
            numerator=with_unfetched(figure.numerator, missed) if figure.numerator else None,
            denominator=with_unfetched(figure.denominator, missed) if figure.denominator else None,
            operands=tuple(with_unfetched(o, missed) for o in figure.operands),
        )
    missing = sum(missed.get(t, 0) for t in dispatched_types(indicator))
    return attrs.evolve(figure, excluded=figure.excluded + missing)


def by_request(requests: Sequence[Request], figures: list[Figure]) -> dict[Request, list[Figure]]:
    """Figures (in request order, grouped ones several per request) keyed by request."""
    result: dict[Request, list[Figure]] = {r: [] for r in requests}
    for figure in figures:
        result[(figure.indicator, figure.period)].append(figure)
    return result
