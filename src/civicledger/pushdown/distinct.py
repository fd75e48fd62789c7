"""Several ``count_distinct`` figures over one event type from one read of its rows.

Each ``count_distinct`` aggregate reads its type's rows and parses their payloads;
three of them over the same type (members, members in service, households)
read and parsed it three times. Here the type's rows are read once, with the
position, the day, the key fields and, per figure, whether its filter passes.
On PostgreSQL they go into a materialized common table expression; each
figure's keys and the first position bringing each key are grouped from it,
and the branches come back as one statement. On SQLite, which groups by
sorting, the rows stream to Python and a dict per figure keeps each key's
first position (a list field's keys are about a million at 1,000,000 events).
The figures are those of
:func:`civicledger.pushdown.aggregate.aggregate_figures`, which computes the
ones this module leaves out (grouped, several source types, stock).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Integer, case, func, literal, select, true, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from civicledger.projections.accumulate import Group, group_text
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import CountDistinct
from civicledger.projections.periods import Period
from civicledger.pushdown import driver
from civicledger.pushdown.aggregate import (
    FilterCompiler,
    distinct_key,
    non_null_key,
    totals_figures,
)
from civicledger.pushdown.compiler import extract_value
from civicledger.pushdown.fields import Convert, NotPushable, payload_field
from civicledger.store.sql.schema import events

__all__ = ["distinct_groups", "distinct_together"]

Request = tuple[Indicator, Period]


def _plain(indicator: Indicator) -> bool:
    """An ungrouped count_distinct of one source type without removed_by."""
    measure = indicator.measure
    return (
        isinstance(measure, CountDistinct)
        and not measure.removed_by
        and not indicator.group_by
        and len(indicator.source) == 1
    )


def distinct_groups(requests: list[Request]) -> dict[str, list[Request]]:
    """Per event type, the requests :func:`distinct_together` reads together: the
    ungrouped count_distinct figures of one source type, where two or more read it."""
    by_type: dict[str, list[Request]] = {}
    for indicator, period in requests:
        if _plain(indicator):
            by_type.setdefault(indicator.source[0], []).append((indicator, period))
    # One figure alone: its own aggregate reads the rows once anyway.
    return {t: together for t, together in by_type.items() if len(together) >= 2}


def distinct_together(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    requests: list[Request],
    point: AsOf,
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[Indicator, Mapping[str, Mapping[str, Convert]]],
    seen: Mapping[Indicator, int],
) -> dict[Request, list[Figure]]:
    """The ungrouped count_distinct figures of types that two or more of them read.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions for the ledger and the as-of point.
        requests: base (non-ratio) requests to try; others are left out of the result.
        point: the as-of point stamped on the figures.
        hints: per event type, its class's field annotations.
        converters: per indicator, per type, converters for the fields it reads.
        seen: per indicator, how many events the engine would dispatch to it.

    Returns:
        The figures of the requests it computed, by request.
    """
    result: dict[Request, list[Figure]] = {}
    for type_name, together in distinct_groups(requests).items():
        firsts = _firsts(conn, dialect, scope, type_name, together, hints, converters)
        for (indicator, period), first in zip(together, firsts, strict=True):
            if first is None:
                continue
            whole: Group = ()
            values = {whole: len(first)} if first else {}
            counted = {whole: len(set(first.values()))} if first else {}
            result[(indicator, period)] = totals_figures(
                indicator, period, point, values, counted, seen[indicator]
            )
    return result


def _firsts(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    type_name: str,
    together: list[Request],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[Indicator, Mapping[str, Mapping[str, Convert]]],
) -> list[dict[str, int] | None]:
    """Per request, each distinct key (as the engine writes it) and the first position
    that brought it; None for a request whose filter or key does not compile."""
    known = hints[type_name]
    compiler = FilterCompiler(dialect, known)
    fields: dict[str, ColumnElement[Any]] = {}
    flags: dict[int, ColumnElement[Any]] = {}
    keys: dict[int, tuple[str, Convert]] = {}
    for index, (indicator, _) in enumerate(together):
        measure = indicator.measure
        assert isinstance(measure, CountDistinct)
        try:
            name = payload_field(measure.field)
        except NotPushable:
            continue
        condition = true() if indicator.where is None else compiler.condition(indicator.where)
        found = distinct_key(dialect, name, known) if name is not None else None
        if name is None or condition is None or found is None:
            continue  # left to aggregate_figures, which folds what it cannot compile
        # The stored field itself (a list stays its JSON array, unnested per figure).
        fields.setdefault(name, extract_value(dialect, name).label(f"k{len(fields)}"))
        flags[index] = case((condition, 1), else_=0).label(f"f{index}")
        keys[index] = (name, found[2])
    if len(keys) < 2:
        return [None] * len(together)
    chosen = [together[i][1] for i in keys]
    span = [events.c.occurred_on <= max(p.end for p in chosen).isoformat()]
    if not any(together[i][0].state for i in keys):
        span.append(events.c.occurred_on >= min(p.start for p in chosen).isoformat())
    if dialect == "sqlite":
        statement = select(
            events.c.position, events.c.occurred_on, *fields.values(), *flags.values()
        ).where(*scope, events.c.type == type_name, *span)
        return _firsts_from_rows(conn, statement, together, keys, list(fields), known)
    rows = (
        select(
            events.c.position.label("position"),
            events.c.occurred_on.label("day"),
            *fields.values(),
            *flags.values(),
        )
        .where(*scope, events.c.type == type_name, *span)
        .cte("rows")
        .prefix_with("MATERIALIZED")  # read and parsed once, whatever the figures
    )
    branches = []
    for index, (name, _) in keys.items():
        indicator, period = together[index]
        key, source = _key(dialect, rows.c[fields[name].name], rows, known[name])
        window = [rows.c.day <= period.end.isoformat()]
        if not indicator.state:
            window.append(rows.c.day >= period.start.isoformat())
        branches.append(
            select(
                literal(index, Integer).label("which"),
                key.label("key"),
                func.min(rows.c.position).label("first"),
            )
            .select_from(source)
            .where(rows.c[f"f{index}"] == 1, *window, key.isnot(None))
            .group_by(key)
        )
    result: list[dict[str, int] | None] = [None] * len(together)
    for index in keys:
        result[index] = {}
    for which, raw, first in conn.execute(union_all(*branches)):
        text = group_text(keys[which][1](raw))
        found = result[which]
        assert found is not None
        found[text] = min(found.get(text, first), first)
    return result


def _firsts_from_rows(
    conn: Connection,
    statement: Select[Any],
    together: list[Request],
    keys: Mapping[int, tuple[str, Convert]],
    names: list[str],
    known: Mapping[str, Any],
) -> list[dict[str, int] | None]:
    """:func:`_firsts` on SQLite: each figure's first positions kept in a dict while its
    type's rows stream by.

    SQLite groups by sorting: a list field's keys, unnested (a million at 1,000,000
    events for the example's households), cost it more to sort than the rest of the
    statement together. A dict per figure takes each key once in one pass over the
    rows (position, day, the key fields, then one flag per figure, in ``keys`` order).
    """
    plans = []
    for flag, (index, (name, _)) in enumerate(keys.items(), start=2 + len(names)):
        indicator, period = together[index]
        start = None if indicator.state else period.start.isoformat()
        listed = typing.get_origin(known[name]) is tuple
        plans.append((index, 2 + names.index(name), flag, listed, start, period.end.isoformat()))
    firsts: dict[int, dict[Any, int]] = {index: {} for index in keys}
    for row in driver.rows(conn, statement):
        position, day = row[0], row[1]
        for index, at, flag, listed, start, end in plans:
            stored = row[at]
            if not row[flag] or stored is None or day > end or (start and day < start):
                continue
            first = firsts[index]
            try:
                for key in _items(stored) if listed else (stored,):
                    if key is not None and position < first.get(key, position + 1):
                        first[key] = position
            except TypeError:  # an item that is itself a list or an object
                raise NotPushable(f"a list item of event {position} is not a value") from None
    result: list[dict[str, int] | None] = [None] * len(together)
    for index, first in firsts.items():
        convert = keys[index][1]
        found: dict[str, int] = {}
        for raw, position in first.items():
            text = group_text(convert(raw))
            found[text] = min(found.get(text, position), position)
        result[index] = found
    return result


def _items(stored: Any) -> list[Any]:
    """The items of a list field as SQLite's ``json_extract`` returns it (its JSON text)."""
    try:
        items = orjson.loads(stored)
    except (orjson.JSONDecodeError, TypeError):
        raise NotPushable(f"stored value {stored!r} is not a JSON list") from None
    if type(items) is not list:
        raise NotPushable(f"stored value {stored!r} is not a JSON list")
    return items


def _key(
    dialect: str, stored: ColumnElement[Any], rows: Any, annotation: Any
) -> tuple[ColumnElement[Any], Any]:
    """A figure's key over the table of rows, and the FROM it needs (a list is unnested)."""
    if typing.get_origin(annotation) is not tuple:
        return non_null_key(dialect, stored), rows
    items = func.jsonb_array_elements(stored).table_valued("value")  # PostgreSQL only
    # A correlated table function: each row joined with its own items.
    return non_null_key(dialect, items.c.value), rows.join(items, true())
