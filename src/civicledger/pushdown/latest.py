"""``latest(field)`` in SQL: per group, the value of the passing event with the greatest
(occurred day, position), found by a window function instead of folding every row.

The engine keeps, per group, the value of the last passing event in (day, position)
order that has the field; positions are unique in a ledger, so there are no ties.
Each source type's rows are ranked in the database (``row_number()`` over the group,
newest first) and the winners of several source types are compared here. Only
fields declared ``int``, ``bool`` or ``Decimal`` without ``None`` are compiled: for
those the engine never meets a value that is not a number (which it reports as an
error naming the event); anything else is folded from rows, which reproduces that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import LargeBinary, and_, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from civicledger.projections.accumulate import Group
from civicledger.projections.figures import AsOf, Contribution, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Latest
from civicledger.projections.periods import Period
from civicledger.pushdown.compiler import extract_value
from civicledger.pushdown.fields import Convert, payload_field
from civicledger.store.ids import uuid_from_bytes
from civicledger.store.sql.schema import events

__all__ = ["NO_VALUE", "latest_figures", "latest_values"]

NO_VALUE = "no event in the period has this field"
"""The engine's reason for a latest figure without a value."""

_NUMBERS = (int, bool, Decimal)
"""Annotations whose stored values always read as numbers (a bool as 1 or 0)."""

GroupOf = Callable[[Indicator, str, Any, Mapping[str, Mapping[str, Convert]]], Group]
"""Makes a row's group from the raw values of its group columns (``aggregate.group_of``)."""

Winner = Contribution
"""A group's latest event as the engine names it: its one contribution, whose amount is the
figure's value."""


def latest_values(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    parts: list[tuple[str, ColumnElement[bool]]],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    groups: list[ColumnElement[Any]],
    group_of: GroupOf,
    ledger: ColumnElement[Any] | None = None,
) -> dict[Any, dict[Group, Winner]] | None:
    """Per ledger (the ``ledger`` column's value, or None for one ledger) and group, the
    latest passing event, or None when the field is not compiled.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions for the ledger(s) and the as-of point(s).
        indicator: a ``latest`` indicator.
        period: the period.
        parts: per source type, its exact filter condition.
        hints: per event type, its class's field annotations.
        converters: per event type, converters for the payload fields the indicator reads.
        groups: the SQL values of the indicator's group_by fields.
        group_of: makes a row's group from the raw group values (``aggregate.group_of``).
        ledger: the column that tells ledgers apart in a set, or None.
    """
    measure = indicator.measure
    assert isinstance(measure, Latest)
    name = payload_field(measure.field)
    if name is None:
        return None  # an envelope field (position): rare, folded
    window = [events.c.occurred_on <= period.end.isoformat()]
    if not indicator.state:
        window.append(events.c.occurred_on >= period.start.isoformat())
    found: dict[Any, dict[Group, Winner]] = {}
    for type_name, condition in parts:
        annotation = hints[type_name].get(name)
        if annotation is None:
            continue  # the type lacks the field: its events never hold a value
        if annotation not in _NUMBERS:
            return None
        value = extract_value(dialect, name)
        keys = [ledger] if ledger is not None else []
        ranked = (
            select(
                *(k.label("ledger") for k in keys),
                *(g.label(f"g{i}") for i, g in enumerate(groups)),
                events.c.occurred_on.label("day"),
                events.c.position.label("position"),
                value.label("value"),
                type_coerce(events.c.event_id, LargeBinary).label("event_id"),
                events.c.stream.label("stream"),
                func.row_number()
                .over(
                    partition_by=[*keys, *groups],
                    order_by=[events.c.occurred_on.desc(), events.c.position.desc()],
                )
                .label("rank"),
            )
            .where(and_(*scope, events.c.type == type_name, *window, condition), value.isnot(None))
            .subquery("ranked")
        )
        width = len(groups)
        chosen = [ranked.c.ledger] if ledger is not None else []
        statement = select(
            *chosen,
            *(ranked.c[f"g{i}"] for i in range(width)),
            ranked.c.day,
            ranked.c.position,
            ranked.c.value,
            ranked.c.event_id,
            ranked.c.stream,
        ).where(ranked.c.rank == 1)
        convert = converters[type_name][name]
        for row in conn.execute(statement):
            at = 1 if ledger is not None else 0
            which = row[0] if ledger is not None else None
            group = group_of(indicator, type_name, row[at : at + width], converters)
            day, position, raw, event_id, stream = row[at + width :]
            held = found.setdefault(which, {})
            if group in held and (day, position) <= (held[group].occurred_on, held[group].position):
                continue
            number = convert(raw)
            if isinstance(number, bool):
                number = int(number)  # as the engine reads a yes/no state
            held[group] = Contribution(
                event_id if isinstance(event_id, uuid.UUID) else uuid_from_bytes(event_id),
                int(position),
                _day(day),
                type_name,
                str(stream),
                number,
            )
    return found


def latest_figures(
    indicator: Indicator,
    period: Period,
    point: AsOf,
    winners: Mapping[Group, Winner],
    seen: int,
) -> list[Figure]:
    """One ledger's latest figures from its groups' winners, as the engine makes them."""
    if not winners and indicator.group_by:
        return []
    if not winners:
        return [
            Figure(
                indicator=indicator,
                period=period,
                value=None,
                as_of=point,
                contributions=(),
                group=(),
                excluded=seen,
                undefined_reason=NO_VALUE,
            )
        ]
    # The engine keeps a latest figure's one contribution even without lineage.
    return [
        Figure(
            indicator=indicator,
            period=period,
            value=winners[group].amount,
            as_of=point,
            contributions=(winners[group],),
            group=group,
            excluded=seen - 1,
        )
        for group in sorted(winners)
    ]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
