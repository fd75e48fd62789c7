"""Figures of many ledgers of one database computed together: a roll-up's set-level pushdown.

:class:`SqlPushdown` runs about thirty short queries per ledger; a roll-up across
a hundred ledgers ran them a hundred times. :class:`SetPushdown` runs the same
queries once for all the ledgers of one database: each event is joined to its
ledger's as-of point (a list of (ledger id, position, recorded-before) rows),
the aggregates are grouped by ledger first (:mod:`.set_aggregate`), and the light
rows the engine folds are read in one pass ordered by ledger and position, then
folded ledger by ledger. Each ledger's figures are exactly those of
:meth:`SqlPushdown.compute`: a ledger with amending events up to its point, or a
set whose rows the pushdown cannot rebuild, is left to the one-ledger path
(``None``), which then gives the figures it always gives.

:class:`PrecomputedPushdown` hands one ledger's share to the engine's ordinary
one-ledger computation, so everything around the pushdown (estimates, lazy
lineage, follow-up figures) stays the one-ledger code.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    BigInteger,
    LargeBinary,
    String,
    and_,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import Subquery

from civicledger.corrections.fold import AMENDING_TYPES
from civicledger.errors import StoreError
from civicledger.events.text import format_timestamp
from civicledger.projections.engine import Request, compute, compute_from_source, figures_for
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period
from civicledger.pushdown import driver
from civicledger.pushdown.compiler import indicator_condition
from civicledger.pushdown.fields import Convert, NotPushable
from civicledger.pushdown.set_aggregate import set_aggregate_figures, set_simple_figures
from civicledger.pushdown.sql import (
    REDACTED,
    SCAN_FRACTION,
    LightPayload,
    LightRow,
    SqlPushdown,
    base_indicators,
    by_request,
    dispatched_types,
    parse_day,
    with_unfetched,
)
from civicledger.store.ids import uuid_from_bytes
from civicledger.store.sql.errors import translated
from civicledger.store.sql.schema import events, ledgers

__all__ = ["PrecomputedPushdown", "SetPushdown"]

CHUNK = 200
"""Ledgers per batch: bounds a statement's bound parameters (SQLite allows 32,766)."""

_FIRST_FIELD = 8
"""Index of the first payload field in a set's light row (ledger id, then seven columns)."""


class SetPushdown:
    """The one-ledger pushdowns of ledgers sharing a database and a codec, run together."""

    def __init__(self, pushdowns: Sequence[SqlPushdown]) -> None:
        """Serve these ledgers' computations together.

        Raises:
            ValueError: no pushdowns, or ones of different databases or codecs.
        """
        if not pushdowns:
            raise ValueError("a set pushdown needs at least one ledger")
        first = pushdowns[0]
        for other in pushdowns:
            if other.target.engine is not first.target.engine or (
                other.codec.registry is not first.codec.registry
            ):
                raise ValueError("a set pushdown's ledgers share one database and one codec")
        self.pushdowns = tuple(pushdowns)
        self.first = first
        self.engine = first.target.engine
        self.dialect = first.dialect

    def heads(self) -> list[int]:
        """Every ledger's head position now, read in one query, in the set's order."""
        ids = [p.target.ledger_id for p in self.pushdowns]
        found: dict[int, Any] = {}
        with translated("reading the ledgers' heads"), self.engine.connect() as conn:
            for chunk in _chunks(ids):
                statement = select(ledgers.c.id, ledgers.c.head).where(ledgers.c.id.in_(chunk))
                found.update((int(i), head) for i, head in conn.execute(statement))
        heads = []
        for pushdown in self.pushdowns:
            head = found.get(pushdown.target.ledger_id)
            if head.__class__ is not int:
                raise StoreError(
                    f"ledger {pushdown.target.ledger_name!r}: the stored head {head!r} is not a "
                    "position; the database is corrupted"
                )
            heads.append(int(head))
        return heads

    def compute(
        self, requests: Sequence[Request], points: Sequence[AsOf], *, lineage: bool
    ) -> list[list[Figure] | None]:
        """Per ledger (in the set's order), what :meth:`SqlPushdown.compute` returns at its
        point, or None where the one-ledger path must run (amending events up to the
        point, or stored rows the pushdown cannot rebuild).

        Raises:
            ProjectionError: as the Python engine raises.
            StoreError: the database fails.
        """
        result: list[list[Figure] | None] = []
        pairs = list(zip(self.pushdowns, points, strict=True))
        for chunk in _chunks(pairs):
            result += self._compute_chunk(requests, chunk, lineage)
        return result

    def _compute_chunk(
        self,
        requests: Sequence[Request],
        pairs: Sequence[tuple[SqlPushdown, AsOf]],
        lineage: bool,
    ) -> list[list[Figure] | None]:
        unique = list(dict.fromkeys(requests))
        points = {p.target.ledger_id: point for p, point in pairs}
        pushed = [r for r in unique if self.first._pushable(r[0])]
        computed: dict[int, dict[Request, list[Figure]]] | None = None
        with translated("computing figures of a set of ledgers"), self.engine.connect() as conn:
            amended = self._amended(conn, _points_table(points))
            live = {ledger: point for ledger, point in points.items() if ledger not in amended}
            if live and pushed:
                try:
                    computed = self._compute(conn, _scope(live), pushed, live, lineage)
                except NotPushable:
                    return [None] * len(pairs)  # the one-ledger path decides, ledger by ledger
        result: list[list[Figure] | None] = []
        rest = [r for r in unique if r not in pushed]
        for pushdown, point in pairs:
            ledger = pushdown.target.ledger_id
            if ledger in amended:
                result.append(None)
                continue
            figures = dict(computed[ledger]) if computed is not None else {}
            if rest:
                python = compute_from_source(pushdown.store, rest, as_of=point, lineage=lineage)
                figures.update(by_request(rest, python))
            result.append([f for request in requests for f in figures[request]])
        return result

    def _amended(self, conn: Connection, table: Subquery) -> set[int]:
        """The ledgers an amending event could change at their point (as SqlPushdown asks)."""
        statement = (
            select(events.c.ledger_id)
            .where(
                events.c.ledger_id == table.c.ledger_id,
                events.c.type.in_(AMENDING_TYPES),
                or_(events.c.position <= table.c.position, events.c.type == REDACTED),
            )
            .distinct()
        )
        return {int(ledger) for (ledger,) in conn.execute(statement)}

    def _compute(
        self,
        conn: Connection,
        scope: list[Any],
        requests: list[Request],
        points: Mapping[int, AsOf],
        lineage: bool,
    ) -> dict[int, dict[Request, list[Figure]]]:
        """Per ledger id, the figures of ``requests`` (SqlPushdown._compute, set-wide)."""
        first = self.first
        periods: dict[Indicator, list[Period]] = {}
        for indicator, period in requests:
            for base in base_indicators(indicator):
                periods.setdefault(base, [])
                if period not in periods[base]:
                    periods[base].append(period)
        every_type = sorted({t for base in periods for t in base.all_types})
        seen = self._seen(conn, [*scope, events.c.type.in_(every_type)], points)
        computed: dict[int, dict[Request, list[Figure]]] = {ledger: {} for ledger in points}
        if not lineage:
            hints = {t: first._hints(t) for t in every_type}
            dispatched = {
                ledger: {b: sum(counts.get(t, 0) for t in dispatched_types(b)) for b in periods}
                for ledger, counts in seen.items()
            }
            simple = [(base, p) for base, ps in periods.items() for p in ps]
            found = set_simple_figures(conn, self.dialect, scope, simple, points, hints, dispatched)
            for ledger, figures in found.items():
                computed[ledger].update(figures)
            for base, base_periods in periods.items():
                for period in base_periods:
                    if (base, period) in computed[next(iter(points))]:
                        continue  # every ledger has the same simple figures
                    by_ledger = set_aggregate_figures(
                        conn,
                        self.dialect,
                        scope,
                        base,
                        period,
                        points,
                        hints,
                        first._converters(base),
                        {ledger: counts[base] for ledger, counts in dispatched.items()},
                    )
                    if by_ledger is not None:
                        for ledger, aggregated in by_ledger.items():
                            computed[ledger][(base, period)] = aggregated
        some = computed[next(iter(points))]
        folded = {
            base: [p for p in base_periods if (base, p) not in some]
            for base, base_periods in periods.items()
        }
        folded = {base: ps for base, ps in folded.items() if ps}
        if folded:
            for ledger, figures in self._fold(conn, scope, folded, seen, points, lineage).items():
                computed[ledger].update(figures)
        return {
            ledger: {
                (indicator, period): figures_for(indicator, period, computed[ledger], point)
                for indicator, period in requests
            }
            for ledger, point in points.items()
        }

    def _seen(
        self, conn: Connection, scope: list[Any], points: Mapping[int, AsOf]
    ) -> dict[int, dict[str, int]]:
        """Per ledger id, how many events of each type its as-of point includes."""
        statement = (
            select(events.c.ledger_id, events.c.type, func.count())
            .where(*scope)
            .group_by(events.c.ledger_id, events.c.type)
        )
        seen: dict[int, dict[str, int]] = {ledger: {} for ledger in points}
        for ledger, type_name, count in conn.execute(statement):
            seen[int(ledger)][str(type_name)] = int(count)
        return seen

    def _fold(
        self,
        conn: Connection,
        scope: list[Any],
        periods: Mapping[Indicator, list[Period]],
        seen: Mapping[int, Mapping[str, int]],
        points: Mapping[int, AsOf],
        lineage: bool,
    ) -> dict[int, dict[Request, list[Figure]]]:
        """Per ledger id, base figures folded by the engine from light rows of one pass."""
        converters: dict[str, dict[str, Convert]] = {}
        for base in periods:
            for type_name, fields in self.first._converters(base).items():
                converters.setdefault(type_name, {}).update(fields)
        names = sorted({n for fields in converters.values() for n in fields})
        narrowed = or_(*[indicator_condition(self.dialect, i, p) for i, p in periods.items()])
        condition = and_(*scope, events.c.type.in_(sorted(converters)), narrowed)
        wanted = sum(counts.get(t, 0) for counts in seen.values() for t in converters)
        by_type = wanted * SCAN_FRACTION < sum(point.position for point in points.values())
        fed: dict[int, Counter[str]] = {ledger: Counter() for ledger in points}
        requests = [(base, p) for base, ps in periods.items() for p in ps]
        rows = self._rows(conn, condition, names, converters, fed, by_type)
        result: dict[int, dict[Request, list[Figure]]] = {}
        for ledger, ledger_rows in itertools.groupby(rows, key=_ledger):
            result[ledger] = self._folded(
                (row for _, row in ledger_rows), requests, points[ledger], lineage
            )
        for ledger, point in points.items():
            if ledger not in result:
                result[ledger] = self._folded(iter(()), requests, point, lineage)
        for ledger, figures in result.items():
            missed = {t: seen[ledger].get(t, 0) - fed[ledger][t] for t in converters}
            result[ledger] = {
                request: [with_unfetched(f, missed) for f in found]
                for request, found in figures.items()
            }
        return result

    @staticmethod
    def _folded(
        rows: Iterator[LightRow], requests: list[Request], point: AsOf, lineage: bool
    ) -> dict[Request, list[Figure]]:
        figures = compute(rows, requests, as_of=point, lineage=lineage)  # type: ignore[arg-type]
        return by_request(requests, figures)

    def _rows(
        self,
        conn: Connection,
        condition: Any,
        names: list[str],
        converters: Mapping[str, Mapping[str, Convert]],
        fed: Mapping[int, Counter[str]],
        by_type: bool,
    ) -> Iterator[tuple[int, LightRow]]:
        """The light rows of every ledger, ordered by ledger and position, with their ledger."""
        columns = [
            events.c.ledger_id,
            events.c.position,
            type_coerce(events.c.event_id, LargeBinary).label("event_id"),
            events.c.occurred_on,
            events.c.type,
            events.c.stream,
            events.c.actor,
            events.c.schema_version,
            *(self.first._extract(n, converters).label(f"f{i}") for i, n in enumerate(names)),
        ]
        results: Iterable[Any]
        if by_type:
            # Few rows: each type through its (ledger, type, day) index, merged in order.
            results = heapq.merge(
                *[
                    driver.rows(
                        conn,
                        select(*columns)
                        .where(condition, events.c.type == type_name)
                        .order_by(events.c.ledger_id, events.c.position + 0),
                    )
                    for type_name in sorted(converters)
                ],
                key=_place,
            )
        else:
            ordered = select(*columns).where(condition)
            results = driver.rows(conn, ordered.order_by(events.c.ledger_id, events.c.position))
        registry = self.first.codec.registry
        newest = {t: registry.newest_version(t) for t in converters}
        plans = {
            t: tuple((_FIRST_FIELD + i, n, c[n]) for i, n in enumerate(names) if n in c)
            for t, c in converters.items()
        }
        for row in results:
            type_name = row[4]
            if row[7] != newest[type_name]:
                raise NotPushable(f"event at position {row[1]} has an older schema version")
            ledger = int(row[0])
            fed[ledger][type_name] += 1
            payload = LightPayload({name: convert(row[i]) for i, name, convert in plans[type_name]})
            raw_id = row[2]
            event_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid_from_bytes(raw_id)
            yield (
                ledger,
                LightRow(row[1], event_id, parse_day(row[3]), type_name, row[5], row[6], payload),
            )


@attrs.define
class PrecomputedPushdown:
    """One ledger's pushdown that answers a computation a :class:`SetPushdown` already made.

    The engine asks it as it asks :class:`SqlPushdown`; for the very requests, point
    and lineage precomputed it returns those figures, and for anything else (a lazy
    lineage's second pass, another request) it asks the ledger's own pushdown.
    """

    inner: SqlPushdown
    requests: list[Request]
    point: AsOf
    lineage: bool
    figures: list[Figure] | None

    def compute(
        self, requests: Sequence[Request], point: AsOf, *, lineage: bool
    ) -> list[Figure] | None:
        """The precomputed figures when asked for them, else the ledger's pushdown's."""
        if (
            self.figures is not None
            and list(requests) == self.requests
            and point == self.point
            and lineage == self.lineage
        ):
            return self.figures
        return self.inner.compute(requests, point, lineage=lineage)


def _points_table(points: Mapping[int, AsOf]) -> Subquery:
    """The ledgers' as-of points as rows (ledger_id, position, recorded_before)."""
    rows = [
        select(
            literal(ledger, BigInteger).label("ledger_id"),
            literal(point.position, BigInteger).label("position"),
            literal(
                None if point.recorded_before is None else format_timestamp(point.recorded_before),
                String,
            ).label("recorded_before"),
        )
        for ledger, point in points.items()
    ]
    chosen = union_all(*rows) if len(rows) > 1 else rows[0]
    return chosen.subquery("points")


def _scope(points: Mapping[int, AsOf]) -> list[Any]:
    """Conditions keeping each ledger's events up to its own as-of point."""
    table = _points_table(points)
    scope = [
        events.c.ledger_id == table.c.ledger_id,
        # "+ 0" as in SqlPushdown: the (type, day) index, not a walk of the primary key.
        (events.c.position + 0) <= table.c.position,
    ]
    if any(point.recorded_before is not None for point in points.values()):
        scope.append(
            or_(
                table.c.recorded_before.is_(None),
                events.c.recorded_at <= table.c.recorded_before,
            )
        )
    return scope


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _ledger(item: tuple[int, LightRow]) -> int:
    return item[0]


def _place(row: Any) -> tuple[int, int]:
    return int(row[0]), int(row[1])
