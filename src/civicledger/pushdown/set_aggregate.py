"""The SQL aggregates of :mod:`civicledger.pushdown.aggregate`, for many ledgers in one query.

The same conditions, amounts and groups as the one-ledger functions, with the
ledger id as the first GROUP BY column, so a set of ledgers costs one query per
aggregate whatever its size. ``scope`` joins each event to its ledger's as-of
point (see :mod:`civicledger.pushdown.set_pushdown`). The figures of each ledger
are made exactly as the one-ledger functions make them; a differential test
(``tests/unit/pushdown/test_set_pushdown.py``) holds the two together.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from civicledger.projections.accumulate import Group, group_text
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import CountDistinct, Latest
from civicledger.projections.periods import Period
from civicledger.pushdown.aggregate import (
    compile_parts,
    decimal_sums,
    distinct_key,
    field_kind,
    group_column,
    group_of,
    groups_compile,
    simple_columns,
)
from civicledger.pushdown.fields import Convert, payload_field
from civicledger.pushdown.latest import latest_figures, latest_values
from civicledger.pushdown.stock import stock_distinct
from civicledger.store.sql.schema import events

__all__ = ["set_aggregate_figures", "set_simple_figures"]

Request = tuple[Indicator, Period]


def set_aggregate_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    points: Mapping[int, AsOf],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    seen: Mapping[int, int],
) -> dict[int, list[Figure]] | None:
    """Per ledger id, the figures :func:`.aggregate.aggregate_figures` gives, or None.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions joining each event to its ledger's as-of point.
        indicator: a count, sum or count_distinct indicator.
        period: the period.
        points: per ledger id, the as-of point stamped on its figures.
        hints: per event type, its class's field annotations.
        converters: per event type, converters for the payload fields the indicator reads.
        seen: per ledger id, how many events the engine would dispatch to this indicator.
    """
    measure = indicator.measure
    if isinstance(measure, CountDistinct) and measure.removed_by:
        return _stock(conn, dialect, scope, indicator, period, points, hints, converters, seen)
    parts = compile_parts(dialect, indicator, hints, decimals=True)
    if parts is None or not groups_compile(indicator, parts, hints):
        return None
    if isinstance(indicator.measure, Latest) or any(p.scale is not None for p in parts):
        return _latest_or_decimal(
            conn, dialect, scope, indicator, period, parts, points, hints, converters, seen
        )
    window = [events.c.occurred_on <= period.end.isoformat()]
    if not indicator.state:
        window.append(events.c.occurred_on >= period.start.isoformat())
    measure = indicator.measure
    values: dict[int, dict[Group, Any]] = {ledger: {} for ledger in points}
    counted: dict[int, dict[Group, int]] = {ledger: {} for ledger in points}
    keys: dict[int, dict[Group, dict[str, int]]] = {ledger: {} for ledger in points}
    ledger_id = events.c.ledger_id
    for part in parts:
        group_columns = [group_column(dialect, name) for name in indicator.group_by]
        where = and_(*scope, events.c.type == part.type_name, *window, part.condition)
        width = len(group_columns)
        if isinstance(measure, CountDistinct):
            text_keys = len(parts) == 1 and _text_only(
                indicator, measure.field, hints[part.type_name]
            )
            found = distinct_key(dialect, measure.field, hints[part.type_name], text=text_keys)
            if found is None:
                return None
            key, source, convert = found
            if text_keys:
                # Text keys and groups: SQL tells keys apart exactly as the engine does, so
                # the keys are counted in the database instead of fetched one row each.
                firsts = (
                    select(
                        ledger_id.label("ledger"),
                        *(c.label(f"g{i}") for i, c in enumerate(group_columns)),
                        func.min(events.c.position).label("first"),
                    )
                    .select_from(*source)
                    .where(where, key.isnot(None))
                    .group_by(ledger_id, *group_columns, key)
                    .subquery("firsts")
                )
                grouped = [firsts.c[f"g{i}"] for i in range(width)]
                statement = select(
                    firsts.c.ledger,
                    *grouped,
                    func.count(),
                    func.count(firsts.c.first.distinct()),
                ).group_by(firsts.c.ledger, *grouped)
                for row in conn.execute(statement):
                    group = group_of(indicator, part.type_name, row[1 : 1 + width], converters)
                    values[row[0]][group] = int(row[-2])
                    counted[row[0]][group] = int(row[-1])
                continue
            statement = (
                select(ledger_id, *group_columns, key, func.min(events.c.position))
                .select_from(*source)
                .where(where, key.isnot(None))
                .group_by(ledger_id, *group_columns, key)
            )
            for row in conn.execute(statement):
                group = group_of(indicator, part.type_name, row[1 : 1 + width], converters)
                text = group_text(convert(row[-2]))
                first = keys[row[0]].setdefault(group, {})
                first[text] = min(first.get(text, row[-1]), row[-1])
            continue
        total = func.sum(part.amount) if part.amount is not None else func.count()
        statement = (
            select(ledger_id, *group_columns, func.count(), total)
            .where(where)
            .group_by(ledger_id, *group_columns)
        )
        for row in conn.execute(statement):
            group = group_of(indicator, part.type_name, row[1 : 1 + width], converters)
            number, amount = row[-2], row[-1]
            ledger_values, ledger_counted = values[row[0]], counted[row[0]]
            ledger_counted[group] = ledger_counted.get(group, 0) + number
            ledger_values[group] = ledger_values.get(group, 0) + part.sign * int(amount)
    result = {}
    for ledger, point in points.items():
        for group, first in keys[ledger].items():
            values[ledger][group] = len(first)
            counted[ledger][group] = len(set(first.values()))
        result[ledger] = _figures(
            indicator, period, point, values[ledger], counted[ledger], seen[ledger]
        )
    return result


def _stock(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    points: Mapping[int, AsOf],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    seen: Mapping[int, int],
) -> dict[int, list[Figure]] | None:
    """Per ledger id, a stock count_distinct's figures, or None to fold them from rows."""
    ledger_id = events.c.ledger_id
    stock = stock_distinct(conn, dialect, scope, indicator, period, hints, converters, ledger_id)
    if stock is None:
        return None
    return {
        ledger: _figures(indicator, period, point, *stock.get(ledger, ({}, {})), seen[ledger])
        for ledger, point in points.items()
    }


def _latest_or_decimal(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    parts: list[Any],
    points: Mapping[int, AsOf],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    seen: Mapping[int, int],
) -> dict[int, list[Figure]] | None:
    """Per ledger id, a ``latest`` or a decimal sum's figures (the one-ledger functions
    grouped by ledger), or None to fold them from rows."""
    ledger_id = events.c.ledger_id
    if isinstance(indicator.measure, Latest):
        winners = latest_values(
            conn,
            dialect,
            scope,
            indicator,
            period,
            [(part.type_name, part.condition) for part in parts],
            hints,
            converters,
            [group_column(dialect, name) for name in indicator.group_by],
            group_of,
            ledger=ledger_id,
        )
        if winners is None:
            return None
        return {
            ledger: latest_figures(indicator, period, point, winners.get(ledger, {}), seen[ledger])
            for ledger, point in points.items()
        }
    sums = decimal_sums(conn, dialect, scope, indicator, period, parts, converters, ledger_id)
    if sums is None:
        return None
    return {
        ledger: _figures(indicator, period, point, *sums.get(ledger, ({}, {})), seen[ledger])
        for ledger, point in points.items()
    }


def _text_only(indicator: Indicator, field: str, hints: Mapping[str, Any]) -> bool:
    """Whether a count_distinct's key (or its list's items) and every group are text that
    is never null: then two keys or groups the database tells apart are two for the
    engine too, and the other way round (strings compare byte for byte in both)."""
    name = payload_field(field)
    annotation = hints.get(name) if name is not None else None
    if typing.get_origin(annotation) is tuple:
        annotation = typing.get_args(annotation)[0]
    if not _plain_text(annotation):
        return False
    for grouped in indicator.group_by:
        if grouped in ("stream", "type", "actor"):
            continue
        name = payload_field(grouped)
        if name is None or name not in hints or not _plain_text(hints[name]):
            return False
    return True


def _plain_text(annotation: Any) -> bool:
    kind = field_kind(annotation)
    return kind is not None and kind.name == "text" and not kind.optional


def _figures(
    indicator: Indicator,
    period: Period,
    point: AsOf,
    values: Mapping[Group, Any],
    counted: Mapping[Group, int],
    seen: int,
) -> list[Figure]:
    """One ledger's figures from its per-group values, as the one-ledger function makes them."""
    if not values and indicator.group_by:
        return []
    groups = sorted(values) if values else [()]
    return [
        Figure(
            indicator=indicator,
            period=period,
            value=values.get(group, 0),
            as_of=point,
            contributions=(),
            group=group,
            excluded=seen - counted.get(group, 0),
        )
        for group in groups
    ]


def set_simple_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    requests: list[Request],
    points: Mapping[int, AsOf],
    hints: Mapping[str, Mapping[str, Any]],
    seen: Mapping[int, Mapping[Indicator, int]],
) -> dict[int, dict[Request, list[Figure]]]:
    """Per ledger id, the figures :func:`.aggregate.simple_figures` gives: one query per
    event type for every ungrouped count and integer sum of every ledger.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions joining each event to its ledger's as-of point.
        requests: base (non-ratio) requests to try.
        points: per ledger id, the as-of point stamped on its figures.
        hints: per event type, its class's field annotations.
        seen: per ledger id and indicator, how many events the engine would dispatch to it.
    """
    columns, windows, slots = simple_columns(dialect, requests, hints)
    # Per type and ledger: the aggregates (a ledger without rows of the type has none).
    rows: dict[str, dict[int, Any]] = {}
    for type_name, wanted in columns.items():
        low, high = windows[type_name]
        span = [events.c.occurred_on <= high.isoformat()]
        if low is not None:
            span.append(events.c.occurred_on >= low.isoformat())
        statement = (
            select(events.c.ledger_id, *wanted)
            .where(*scope, events.c.type == type_name, *span)
            .group_by(events.c.ledger_id)
        )
        rows[type_name] = {row[0]: row[1:] for row in conn.execute(statement)}
    result: dict[int, dict[Request, list[Figure]]] = {ledger: {} for ledger in points}
    for ledger, point in points.items():
        for (indicator, period), entries in slots.items():
            found = [(rows[slot.type_name].get(ledger), slot) for slot in entries]
            counted = sum(slot.counted(row) for row, slot in found if row is not None)
            value = sum(slot.value(row) for row, slot in found if row is not None)
            result[ledger][(indicator, period)] = [
                Figure(
                    indicator=indicator,
                    period=period,
                    value=value,
                    as_of=point,
                    contributions=(),
                    group=(),
                    excluded=seen[ledger][indicator] - counted,
                )
            ]
    return result
