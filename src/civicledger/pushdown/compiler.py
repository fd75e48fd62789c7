"""Declarative filters and periods as SQLAlchemy Core conditions over the events table.

The conditions select a superset of the events an indicator counts: every event
the Python filter passes also passes its SQL form (a clause that cannot be
expressed exactly, such as a comparison across kinds or a ``not``, becomes
"true"). The engine then judges the fetched events itself, so figures are
exact while the database skips the rows that cannot count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, func, or_
from sqlalchemy.sql.elements import ColumnElement

from civicledger.projections.filters import And, Compare, Filter, In, Or
from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period
from civicledger.pushdown.fields import NotPushable, payload_field
from civicledger.store.sql.derived import payload_jsonb
from civicledger.store.sql.schema import events

__all__ = ["extract_text", "extract_value", "indicator_condition"]

_ENVELOPE_TEXT = {"stream": events.c.stream, "type": events.c.type, "actor": events.c.actor}


def extract_value(dialect: str, name: str) -> ColumnElement[Any]:
    """One top-level payload field as the driver returns JSON values (for rebuilding)."""
    if dialect == "sqlite":
        extracted: ColumnElement[Any] = func.json_extract(events.c.payload, "$." + name)
        return extracted
    # PostgreSQL: the stored parsed copy (store.sql.derived); ``payload::jsonb`` would parse
    # the whole text again for each field a query reads.
    return payload_jsonb()[name]


def extract_text(dialect: str, name: str) -> ColumnElement[Any]:
    """One top-level payload field as text, for comparing with a string literal."""
    if dialect == "sqlite":
        # json_extract gives a JSON string as its text (numbers stay numbers, so "5" != 5).
        return extract_value(dialect, name)
    text: ColumnElement[Any] = payload_jsonb()[name].astext
    return text


def _text_of(dialect: str, field: str) -> ColumnElement[Any] | None:
    column = _ENVELOPE_TEXT.get(field)
    if column is not None:
        return column
    try:
        name = payload_field(field)
    except NotPushable:
        return None
    return None if name is None else extract_text(dialect, name)


def superset(dialect: str, where: Filter) -> ColumnElement[bool] | None:
    """A condition every event passing ``where`` meets, or None for "no narrowing".

    Only equality and membership with text literals narrow: a payload or envelope
    field that equals a string in Python is stored as that very string.
    """
    if isinstance(where, Compare):
        if where.op == "==" and isinstance(where.value, str):
            column = _text_of(dialect, where.field)
            return None if column is None else column == where.value
        return None
    if isinstance(where, In):
        texts = [v for v in where.values if isinstance(v, str)]
        if len(texts) != len(where.values):
            return None
        column = _text_of(dialect, where.field)
        return None if column is None else column.in_(texts)
    if isinstance(where, And):
        parts = [c for c in (superset(dialect, x) for x in where.clauses) if c is not None]
        return and_(*parts) if parts else None
    if isinstance(where, Or):
        alternatives = [superset(dialect, x) for x in where.clauses]
        if any(a is None for a in alternatives):
            return None
        return or_(*[a for a in alternatives if a is not None])
    return None  # not, escape hatches: the engine judges every event


def _window(indicator: Indicator, periods: list[Period]) -> list[ColumnElement[bool]]:
    """The occurred_on range the indicator's periods span (a stock has no start)."""
    conditions = [events.c.occurred_on <= max(p.end for p in periods).isoformat()]
    if not indicator.state:
        conditions.append(events.c.occurred_on >= min(p.start for p in periods).isoformat())
    return conditions


def indicator_condition(
    dialect: str, indicator: Indicator, periods: list[Period]
) -> ColumnElement[bool]:
    """The rows one indicator (over these periods) may count or close with."""
    window = _window(indicator, periods)
    opening: list[ColumnElement[bool]] = [events.c.type.in_(sorted(set(indicator.source)))]
    if indicator.where is not None:
        narrowed = superset(dialect, indicator.where)
        if narrowed is not None:
            opening.append(narrowed)
    closing = [t for t in indicator.closing_types if t not in indicator.source]
    alternatives = [and_(*opening)]
    if closing:
        # Closing events are matched by key or judged by the engine: only the window narrows.
        alternatives.append(events.c.type.in_(sorted(set(closing))))
    # The type test first: SQLite stops at the first false term, before parsing payloads.
    return and_(or_(*alternatives) if len(alternatives) > 1 else alternatives[0], *window)


def any_of(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """OR of conditions (false when there are none)."""
    return or_(*conditions) if conditions else false()
