"""Stock ``count_distinct`` (with ``removed_by``) in SQL, by window functions over each key's
openings and closings in position order.

The engine keeps the set of open keys: a passing opening event opens each key it
names unless that key is already open (its group is then the opening's), and a
closing event in the period closes each key it names that is open. After any
opening a key is open and after any closing it is closed, so an event changes
something exactly when the key's previous event (by position) is of the other
kind, or, for an opening, when there is none. The database finds those events
with ``lag()`` per key; each closing that changes something belongs to the group
of the opening just before it, a key is still open when its last such event is
an opening, and a group's counted events are the distinct positions that changed
it. Keys are compared as the database compares texts, so only text keys
(``str``, or lists of ``str``, never null) are compiled here: the engine compares keys as
their text too (an integer 5 and a text "5" are one key there, two here).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, null, or_, select, true, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement, False_

from civicledger.projections.accumulate import Group
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import CountDistinct
from civicledger.projections.periods import Period
from civicledger.pushdown.fields import Convert, NotPushable, payload_field
from civicledger.store.sql.schema import events

__all__ = ["stock_distinct"]

Totals = tuple[dict[Group, Any], dict[Group, int]]
"""Per group, the number of keys still open and how many events changed it."""


def _text_key(annotation: Any) -> bool:
    """Whether a key field is text or a list of texts, never null: compared alike in SQL.

    A nullable one is folded: PostgreSQL reads a JSON null as a value, not as SQL NULL,
    where the engine skips it.
    """
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        return len(args) == 2 and args[1] is Ellipsis and args[0] is str
    return annotation is str


def stock_distinct(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    ledger: ColumnElement[Any] | None = None,
) -> dict[Any, Totals] | None:
    """Per ledger (the ``ledger`` column's value, or None for one ledger), the open keys and
    counted events of a stock count_distinct per group; None when it does not compile.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions for the ledger(s) and the as-of point(s).
        indicator: a count_distinct indicator with ``removed_by``.
        period: the period.
        hints: per event type, its class's field annotations.
        converters: per event type, converters for the payload fields the indicator reads.
        ledger: the column that tells ledgers apart in a set, or None.
    """
    from civicledger.pushdown.aggregate import group_of  # aggregate imports this module

    measure = indicator.measure
    assert isinstance(measure, CountDistinct)
    if len(indicator.source) != 1:
        return None  # groups are read with one opening type's converters: folded
    keys = [ledger.label("ledger")] if ledger is not None else []
    width = len(indicator.group_by)
    try:
        opened = _moves(dialect, scope, indicator, period, indicator.source[0], hints, keys)
        if opened is None:
            return {}  # no key is ever opened
        moves = [opened]
        for type_name in indicator.closing_types:
            closed = _moves(dialect, scope, indicator, period, type_name, hints, keys)
            if closed is not None:
                moves.append(closed)
    except NotPushable:
        return None
    table = (union_all(*moves) if len(moves) > 1 else moves[0]).subquery("moves")
    per_key = [*([table.c.ledger] if ledger is not None else []), table.c.key]
    before = func.lag(table.c.opening).over(partition_by=per_key, order_by=table.c.position)
    ordered = select(*table.c, before.label("before")).subquery("ordered")
    changing = (
        select(*(c for c in ordered.c if c.name != "before"))
        .where(
            or_(
                and_(
                    ordered.c.opening == 1, or_(ordered.c.before.is_(None), ordered.c.before == 0)
                ),
                and_(ordered.c.opening == 0, ordered.c.before == 1),
            )
        )
        .subquery("changing")
    )
    per_changing_key = [*([changing.c.ledger] if ledger is not None else []), changing.c.key]

    def in_order(function: Any) -> Any:
        return function.over(partition_by=per_changing_key, order_by=changing.c.position)

    owned = select(
        *([changing.c.ledger] if ledger is not None else []),
        changing.c.position,
        changing.c.opening,
        # A closing that changes something closes the opening just before it: its group.
        *(
            case(
                (changing.c.opening == 1, changing.c[f"g{i}"]),
                else_=in_order(func.lag(changing.c[f"g{i}"])),
            ).label(f"g{i}")
            for i in range(width)
        ),
        in_order(func.lead(changing.c.position)).label("after"),
    ).subquery("owned")
    grouping = [
        *([owned.c.ledger] if ledger is not None else []),
        *(owned.c[f"g{i}"] for i in range(width)),
    ]
    still_open = and_(owned.c.opening == 1, owned.c.after.is_(None))
    statement = select(
        *grouping,
        func.count(owned.c.position.distinct()),
        func.count(case((still_open, 1))),
    ).group_by(*grouping)
    result: dict[Any, Totals] = {}
    for row in conn.execute(statement):
        at = 1 if ledger is not None else 0
        which = row[0] if ledger is not None else None
        group = group_of(indicator, indicator.source[0], row[at : at + width], converters)
        values, counted = result.setdefault(which, ({}, {}))
        values[group] = values.get(group, 0) + int(row[-1])
        counted[group] = counted.get(group, 0) + int(row[-2])
    return result


def _moves(
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    type_name: str,
    hints: Mapping[str, Mapping[str, Any]],
    keys: Sequence[ColumnElement[Any]],
) -> Select[Any] | None:
    """The keys one event type opens (a source type) or closes, one row per key and event;
    None when it changes nothing: the type lacks the key field (the engine reads it as
    missing), or it opens and no event can pass the filter.

    Raises:
        NotPushable: the key, filter or a group does not compile exactly.
    """
    # Late imports: aggregate imports this module.
    from civicledger.pushdown.aggregate import (
        FilterCompiler,
        _window,
        distinct_key,
        field_kind,
        group_column,
    )

    measure = indicator.measure
    assert isinstance(measure, CountDistinct)
    opening = type_name in indicator.source
    name = payload_field(measure.field if opening else measure.closing_field)
    known = hints[type_name]
    if name is None:
        raise NotPushable("an envelope field as a stock key")
    if name not in known:
        return None
    found = distinct_key(dialect, name, known) if _text_key(known[name]) else None
    if found is None:
        raise NotPushable(f"stock key {name!r} is not text")
    key, source, _ = found
    condition: ColumnElement[bool] = true()
    groups: list[ColumnElement[Any]] = [null() for _ in indicator.group_by]
    if opening:
        # The filter and the groups are the opening's; closings ignore both.
        if indicator.where is not None:
            compiled = FilterCompiler(dialect, known).condition(indicator.where)
            if compiled is None:
                raise NotPushable("the filter does not compile")
            if isinstance(compiled, False_):
                # A filter nothing passes opens no key. Said here, not left to the WHERE: it
                # would fold the whole clause to false, join to the as-of points included.
                return None
            condition = compiled
        for grouped in indicator.group_by:
            field = payload_field(grouped)
            if field is not None and field in known and field_kind(known[field]) is None:
                raise NotPushable(f"group {grouped!r} does not compile")
        groups = [group_column(dialect, g) for g in indicator.group_by]
    return (
        select(
            *keys,
            events.c.position.label("position"),
            key.label("key"),
            literal(1 if opening else 0, Integer).label("opening"),
            *(g.label(f"g{i}") for i, g in enumerate(groups)),
        )
        .select_from(*source)
        .where(
            *scope,
            events.c.type == type_name,
            *_window(indicator, period),
            condition,
            key.isnot(None),
        )
    )
