"""Figures without lineage computed by SQL aggregates (GROUP BY), for the measures that allow it.

Used when no contributions are kept (``lineage=False``, or ``"lazy"`` before
the lineage is first read): ``count`` and ``sum`` of integer fields (with or
without ``removed_by``) and ``count_distinct`` of a scalar field without
``removed_by`` here; ``latest`` (:mod:`.latest`), sums of ``Decimal`` amounts
(:mod:`.decimals`) and stock ``count_distinct`` (:mod:`.stock`) beside. The
filter must then be compiled exactly, not as a superset: each leaf is compiled
per event type from the type's field annotations, following the filter
language's rules (a missing field satisfies nothing, values of different kinds
are never equal, None equals only None). Anything else returns None and is
folded from light rows instead.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
from sqlalchemy import (
    BigInteger,
    Boolean,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from civicledger.events.fields import MAX_SAFE_INTEGER
from civicledger.projections.accumulate import Group, group_text
from civicledger.projections.expressions import Arith, BinOp, Const, FieldRef
from civicledger.projections.fields import MISSING
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.filters import And, Compare, Filter, In, Not, Or
from civicledger.projections.indicators import Indicator
from civicledger.projections.matching import Between, Contains, StartsWith
from civicledger.projections.measures import Count, CountDistinct, Latest, Sum
from civicledger.projections.periods import Period
from civicledger.pushdown.compiler import extract_text, extract_value
from civicledger.pushdown.decimals import exact_total, scaled_amount
from civicledger.pushdown.fields import Convert, NotPushable, converter_for, payload_field
from civicledger.pushdown.latest import latest_figures, latest_values
from civicledger.pushdown.stock import stock_distinct
from civicledger.store.sql.derived import payload_jsonb
from civicledger.store.sql.schema import events

__all__ = [
    "FilterCompiler",
    "Kind",
    "Slot",
    "aggregate_figures",
    "compile_parts",
    "distinct_key",
    "field_kind",
    "group_column",
    "group_of",
    "groups_compile",
    "non_null_key",
    "simple_figures",
    "simple_results",
    "simple_statements",
    "totals_figures",
]


@attrs.frozen
class Kind:
    """A payload field's stored kind: ``text``, ``int``, ``bool`` or ``date``; maybe null."""

    name: str
    optional: bool


def field_kind(annotation: Any) -> Kind | None:
    """The kind of a field annotation, or None when comparisons on it are not compiled."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) != 1:
            return None
        annotation, optional = inner[0], True
    if annotation is str:
        return Kind("text", optional)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if all(isinstance(m.value, str) for m in annotation):
            return Kind("text", optional)
        return None
    if annotation is bool:
        return Kind("bool", optional)
    if annotation is int:
        return Kind("int", optional)
    if annotation is date:
        return Kind("date", optional)
    return None


_PYTHON_KIND = {str: "text", bool: "bool", int: "int", date: "date"}


def _literal_kind(value: Any) -> str | None:
    if value is None:
        return "null"
    return _PYTHON_KIND.get(type(value))


class FilterCompiler:
    """Exact SQL conditions for one event type's filter (None: not compiled)."""

    def __init__(self, dialect: str, hints: Mapping[str, Any]) -> None:
        self.dialect = dialect
        self.hints = hints

    def typed(self, name: str, kind: str) -> ColumnElement[Any]:
        """A payload field as a comparable SQL value of its kind."""
        if self.dialect == "sqlite":
            return extract_value("sqlite", name)  # text, integer, or 1/0 for booleans
        text: ColumnElement[Any] = payload_jsonb()[name].astext
        if kind == "int":
            return cast(text, BigInteger)
        if kind == "bool":
            return cast(text, Boolean)
        return text

    def bind(self, value: Any) -> Any:
        if isinstance(value, bool) and self.dialect == "sqlite":
            return int(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def leaf(self, field: str, op: str, value: Any) -> ColumnElement[bool] | None:
        literal = _literal_kind(value)
        if literal is None:
            return None  # Decimal literals: numeric comparisons across kinds are not compiled
        column: ColumnElement[Any]
        equal: ColumnElement[bool]
        envelope: dict[str, tuple[ColumnElement[Any], Kind]] = {
            "stream": (events.c.stream, Kind("text", False)),
            "type": (events.c.type, Kind("text", False)),
            "actor": (events.c.actor, Kind("text", False)),
            "occurred_on": (events.c.occurred_on, Kind("date", False)),
            "position": (events.c.position, Kind("int", False)),
        }
        if field in envelope:
            column, kind = envelope[field]
        else:
            try:
                name = payload_field(field)
            except NotPushable:
                return None
            assert name is not None
            if name not in self.hints:
                return false()  # a missing field satisfies no comparison, not even !=
            found = field_kind(self.hints[name])
            if found is None:
                return None
            kind, column = found, self.typed(name, found.name)
        if kind.name == "text" and op not in ("==", "!="):
            return None  # text order differs between Python and database collations
        same = literal == "null" or literal == kind.name
        if op in ("==", "!="):
            if literal == "null":
                equal = column.is_(None) if kind.optional else false()
            elif not same:
                equal = false()
            elif kind.optional:
                equal = and_(column.isnot(None), column == self.bind(value))
            else:
                equal = column == self.bind(value)
            return equal if op == "==" else not_(equal)
        if not same or literal == "null" or kind.name == "bool":
            return false()  # never ordered
        bound = self.bind(value)
        compared = {
            "<": column < bound,
            "<=": column <= bound,
            ">": column > bound,
            ">=": column >= bound,
        }[op]
        return and_(column.isnot(None), compared) if kind.optional else compared

    def condition(self, where: Filter) -> ColumnElement[bool] | None:
        if isinstance(where, Compare):
            return self.leaf(where.field, where.op, where.value)
        if isinstance(where, In):
            parts = [self.leaf(where.field, "==", v) for v in where.values]
            if any(p is None for p in parts):
                return None
            return or_(*[p for p in parts if p is not None])
        if isinstance(where, And | Or):
            parts = [self.condition(c) for c in where.clauses]
            if any(p is None for p in parts):
                return None
            kept = [p for p in parts if p is not None]
            return and_(*kept) if isinstance(where, And) else or_(*kept)
        if isinstance(where, Not):
            inner = self.condition(where.clause)
            return None if inner is None else not_(inner)
        if isinstance(where, Between | StartsWith | Contains):
            return self.match(where)
        return None

    def match(self, where: Between | StartsWith | Contains) -> ColumnElement[bool] | None:
        """A range as two comparisons; a prefix or substring of a text field by position."""
        if isinstance(where, Between):
            low = self.leaf(where.field, ">=", where.low)
            high = self.leaf(where.field, "<=", where.high)
            return None if low is None or high is None else and_(low, high)
        wanted = where.prefix if isinstance(where, StartsWith) else where.value
        envelope = {"stream": events.c.stream, "type": events.c.type, "actor": events.c.actor}
        optional = False
        column: ColumnElement[Any]
        if where.field in envelope:
            column = envelope[where.field]
        else:
            try:
                name = payload_field(where.field)
            except NotPushable:
                return None
            if name is None:
                return None  # occurred_on, position: not text
            if name not in self.hints:
                return false()  # a missing field matches nothing
            kind = field_kind(self.hints[name])
            if kind is None or kind.name != "text":
                return None  # lists and other kinds: the engine judges
            column, optional = self.typed(name, "text"), kind.optional
        if not isinstance(wanted, str):
            return false()  # a text never contains a number
        # instr/strpos count characters, as str.startswith and "in" do; LIKE would
        # treat % and _ as wildcards and fold ASCII case in SQLite.
        position = (
            func.instr(column, wanted) if self.dialect == "sqlite" else func.strpos(column, wanted)
        )
        found = position == 1 if isinstance(where, StartsWith) else position > 0
        return and_(column.isnot(None), found) if optional else found


def _amount(compiler: FilterCompiler, arith: Arith) -> tuple[ColumnElement[Any], list[Any]] | None:
    """An integer sum expression in SQL and the columns that must not be null, or None."""
    if isinstance(arith, Const):
        if type(arith.value) is not int:
            return None
        return _int_literal(arith.value), []
    if isinstance(arith, FieldRef):
        name = payload_field(arith.name) if arith.name not in ("position",) else None
        if name is None or name not in compiler.hints:
            return None
        kind = field_kind(compiler.hints[name])
        if kind is None or kind.name != "int":
            return None
        column = compiler.typed(name, "int")
        return column, [column]
    if isinstance(arith, BinOp):
        left, right = _amount(compiler, arith.left), _amount(compiler, arith.right)
        if left is None or right is None:
            return None
        a, b = left[0], right[0]
        value = a + b if arith.op == "+" else a - b if arith.op == "-" else a * b
        return value, left[1] + right[1]
    return None


_LARGEST_INTEGER = 2**63 - 1
"""What a 64-bit SQL integer holds: SQLite turns a larger product into an inexact float,
PostgreSQL's bigint raises."""


def _bound(arith: Arith) -> int:
    """The largest magnitude an integer amount can reach: fields are within ±(2**53 - 1).

    A product of two fields can pass 64 bits, which the database's integers cannot hold
    exactly; such an amount is not compiled as an integer, so it is summed exactly
    elsewhere (the decimal path, or the engine's fold).
    """
    if isinstance(arith, Const):
        return abs(arith.value) if type(arith.value) is int else _LARGEST_INTEGER + 1
    if isinstance(arith, BinOp):
        left, right = _bound(arith.left), _bound(arith.right)
        return left * right if arith.op == "*" else left + right
    return MAX_SAFE_INTEGER


def groups_compile(
    indicator: Indicator, parts: list[_Part], hints: Mapping[str, Mapping[str, Any]]
) -> bool:
    """Whether every group_by payload field is of a kind the database groups as the engine."""
    for name in indicator.group_by:
        field = payload_field(name)
        for part in parts:
            known = hints[part.type_name]
            if field is not None and field in known and field_kind(known[field]) is None:
                return False
    return True


def _int_literal(value: int) -> ColumnElement[Any]:
    from sqlalchemy import literal

    return literal(value, BigInteger)


@attrs.frozen
class _Part:
    """One type's share of an aggregate: its condition, amount and sign.

    A decimal amount (:mod:`.decimals`) is a whole number with its ``scale`` and a
    ``bad`` condition for stored texts it cannot read; an integer amount has neither.
    """

    type_name: str
    condition: ColumnElement[bool]
    amount: ColumnElement[Any] | None
    sign: int
    scale: ColumnElement[Any] | None = None
    bad: ColumnElement[bool] | None = None


def compile_parts(
    dialect: str,
    indicator: Indicator,
    hints: Mapping[str, Mapping[str, Any]],
    *,
    decimals: bool = False,
) -> list[_Part] | None:
    """Each type's exact condition, amount and sign for a count, sum, count_distinct or
    latest (closing types subtract), or None when a filter or amount does not compile.

    With ``decimals``, a sum whose amount reads ``Decimal`` fields compiles to scaled
    amounts (:mod:`.decimals`); without, only integer sums compile (the lineage pass
    and the ungrouped conditional aggregates add amounts as they come).
    """
    measure = indicator.measure
    if not isinstance(measure, Count | Sum | CountDistinct | Latest):
        return None
    if isinstance(measure, CountDistinct) and measure.removed_by:
        return None  # open/close order matters: see stock.py
    closing = [t for t in indicator.closing_types if t not in indicator.source]
    parts = []
    for type_name, sign in [*((t, 1) for t in indicator.source), *((t, -1) for t in closing)]:
        compiler = FilterCompiler(dialect, hints[type_name])
        condition: ColumnElement[bool] | None = true()
        if indicator.where is not None:
            condition = compiler.condition(indicator.where)
        if condition is None:
            return None
        amount = None
        if isinstance(measure, Sum):
            arith = (measure.expression if sign > 0 else measure.removed_expression) or (
                measure.expression
            )
            compiled = _amount(compiler, arith) if _bound(arith) <= _LARGEST_INTEGER else None
            if compiled is None and decimals:
                scaled = scaled_amount(dialect, arith, hints[type_name])
                if scaled is None:
                    return None
                present = and_(condition, *(c.isnot(None) for c in scaled.present))
                parts.append(
                    _Part(type_name, present, scaled.scaled, sign, scaled.scale, scaled.bad)
                )
                continue
            if compiled is None:
                return None
            amount = compiled[0]
            condition = and_(condition, *(c.isnot(None) for c in compiled[1]))
        parts.append(_Part(type_name, condition, amount, sign))
    return parts


def aggregate_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    point: AsOf,
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    seen: int,
) -> list[Figure] | None:
    """The figures of one (indicator, period) by SQL aggregates, or None if not compiled.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions for the ledger and the as-of point.
        indicator: a count, sum or count_distinct indicator.
        period: the period.
        point: the as-of point stamped on the figures.
        hints: per event type, its class's field annotations.
        converters: per event type, converters for the payload fields the indicator reads.
        seen: how many events the engine would dispatch to this indicator.

    Returns:
        The figures as the engine makes them without lineage, or None.
    """
    measure = indicator.measure
    if isinstance(measure, CountDistinct) and measure.removed_by:
        stock = stock_distinct(conn, dialect, scope, indicator, period, hints, converters)
        if stock is None:
            return None
        return totals_figures(indicator, period, point, *stock.get(None, ({}, {})), seen)
    parts = compile_parts(dialect, indicator, hints, decimals=True)
    if parts is None or not groups_compile(indicator, parts, hints):
        return None
    if isinstance(measure, Latest):
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
        )
        if winners is None:
            return None
        return latest_figures(indicator, period, point, winners.get(None, {}), seen)
    if any(part.scale is not None for part in parts):
        sums = decimal_sums(conn, dialect, scope, indicator, period, parts, converters)
        if sums is None:
            return None
        return totals_figures(indicator, period, point, *sums.get(None, ({}, {})), seen)
    return _counted_figures(
        conn, dialect, scope, indicator, period, point, parts, hints, converters, seen
    )


def _counted_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    point: AsOf,
    parts: list[_Part],
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[str, Mapping[str, Convert]],
    seen: int,
) -> list[Figure] | None:
    """Counts, integer sums and count_distinct figures of one (indicator, period)."""
    measure = indicator.measure
    window = _window(indicator, period)
    values: dict[Group, Any] = {}
    counted: dict[Group, int] = {}
    keys: dict[Group, dict[str, int]] = {}
    for part in parts:
        group_columns = [group_column(dialect, name) for name in indicator.group_by]
        where = and_(*scope, events.c.type == part.type_name, *window, part.condition)
        if isinstance(measure, CountDistinct):
            found = distinct_key(dialect, measure.field, hints[part.type_name])
            if found is None:
                return None
            key, source, convert = found
            statement = (
                select(*group_columns, key, func.min(events.c.position))
                .select_from(*source)
                .where(where, key.isnot(None))
                .group_by(*group_columns, key)
            )
            for row in conn.execute(statement):
                group = group_of(indicator, part.type_name, row[: len(group_columns)], converters)
                text = group_text(convert(row[-2]))
                first = keys.setdefault(group, {})
                first[text] = min(first.get(text, row[-1]), row[-1])
            continue
        total = func.sum(part.amount) if part.amount is not None else func.count()
        statement = (
            select(*group_columns, func.count(), total).where(where).group_by(*group_columns)
        )
        for row in conn.execute(statement):
            group = group_of(indicator, part.type_name, row[: len(group_columns)], converters)
            number, amount = row[-2], row[-1]
            if number == 0:
                continue  # an aggregate without GROUP BY gives one row even over no events
            counted[group] = counted.get(group, 0) + number
            values[group] = values.get(group, 0) + part.sign * int(amount)
    for group, first in keys.items():
        values[group] = len(first)
        counted[group] = len(set(first.values()))
    return totals_figures(indicator, period, point, values, counted, seen)


def _window(indicator: Indicator, period: Period) -> list[ColumnElement[bool]]:
    """The days an indicator reads in a period (a stock reads from the beginning)."""
    window = [events.c.occurred_on <= period.end.isoformat()]
    if not indicator.state:
        window.append(events.c.occurred_on >= period.start.isoformat())
    return window


def totals_figures(
    indicator: Indicator,
    period: Period,
    point: AsOf,
    values: Mapping[Group, Any],
    counted: Mapping[Group, int],
    seen: int,
) -> list[Figure]:
    """One ledger's figures from its per-group values and counted events, as the engine
    makes them (no group at all: one figure of 0, unless the indicator is grouped)."""
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


Totals = tuple[dict[Group, Any], dict[Group, int]]
"""Per group, a sum's value and how many events it counted."""


def decimal_sums(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    indicator: Indicator,
    period: Period,
    parts: list[_Part],
    converters: Mapping[str, Mapping[str, Convert]],
    ledger: ColumnElement[Any] | None = None,
) -> dict[Any, Totals] | None:
    """Per ledger (the ``ledger`` column's value, or None for one ledger), a sum of decimal
    amounts per group, exactly as the engine adds them; None to fold it from rows instead.

    Each part's scaled amounts are summed per scale in the database and combined by
    :func:`.decimals.exact_total`. A stored text that is not a plain decimal, a SQLite
    integer overflow or a total longer than the ``Decimal`` context's precision gives
    None: the fold then reads (or refuses) the values as the engine does.
    """
    keys = [ledger] if ledger is not None else []
    width = len(indicator.group_by)
    totals: dict[Any, dict[Group, list[tuple[int, int, Any, Any]]]] = {}
    counted: dict[Any, dict[Group, int]] = {}
    decimal_groups: set[tuple[Any, Group]] = set()
    for part in parts:
        group_columns = [group_column(dialect, name) for name in indicator.group_by]
        amount = part.amount if part.amount is not None else _int_literal(1)
        scale = part.scale if part.scale is not None else _int_literal(0)
        bad = part.bad if part.bad is not None else false()
        where = and_(
            *scope,
            events.c.type == part.type_name,
            *_window(indicator, period),
            part.condition,
        )
        statement = (
            select(
                *keys,
                *group_columns,
                scale,
                func.count(),
                func.sum(amount),
                func.sum(func.abs(amount)),
                func.count(case((bad, 1))),
            )
            .where(where)
            .group_by(*keys, *group_columns, scale)
        )
        try:
            rows = conn.execute(statement).all()
        except OperationalError as e:
            if "integer overflow" not in str(e):
                raise
            return None  # SQLite's integer sum overflowed: the fold adds them in Python
        for row in rows:
            which = row[0] if ledger is not None else None
            at = len(keys)
            group = group_of(indicator, part.type_name, row[at : at + width], converters)
            row_scale, number, total, magnitude, unreadable = row[at + width :]
            if unreadable:
                return None  # a stored text the decoder reads its own way: folded
            if not number:
                continue
            counted.setdefault(which, {})
            counted[which][group] = counted[which].get(group, 0) + int(number)
            entry = (part.sign, int(row_scale), total, magnitude)
            totals.setdefault(which, {}).setdefault(group, []).append(entry)
            if part.scale is not None:
                decimal_groups.add((which, group))
    result: dict[Any, Totals] = {}
    for which, groups in totals.items():
        values: dict[Group, Any] = {}
        for group, entries in groups.items():
            if (which, group) not in decimal_groups:
                # Only integer parts counted: the engine's sum stays an int.
                values[group] = sum(sign * int(total) for sign, _, total, _ in entries)
                continue
            try:
                values[group] = exact_total(entries)
            except NotPushable:
                return None
        result[which] = (values, counted[which])
    return result


def distinct_key(
    dialect: str, field: str, hints: Mapping[str, Any], *, text: bool = False
) -> tuple[ColumnElement[Any], list[Any], Convert] | None:
    """The SQL key of a count_distinct field, the FROM it needs, and its item converter.

    A list field is unnested (``json_each`` / ``jsonb_array_elements``) so that each
    item is a key, as the engine counts it. With ``text``, for a caller that knows the
    keys are text, PostgreSQL gives them as text rather than jsonb: grouping text is
    about a third faster, and two strings are equal as text exactly when they are as jsonb.
    """
    name = payload_field(field)
    if name is None or name not in hints:
        return None
    annotation = hints[name]
    as_text = text and dialect != "sqlite"
    if field_kind(annotation) is not None:
        if as_text:
            return extract_text(dialect, name), [events], converter_for(annotation)
        return (
            non_null_key(dialect, extract_value(dialect, name)),
            [events],
            converter_for(annotation),
        )
    if typing.get_origin(annotation) is not tuple:
        return None
    args = typing.get_args(annotation)
    if len(args) != 2 or args[1] is not Ellipsis or field_kind(args[0]) is None:
        return None
    if dialect == "sqlite":
        items = func.json_each(events.c.payload, "$." + name).table_valued("value")
    elif as_text:
        items = func.jsonb_array_elements_text(payload_jsonb()[name]).table_valued("value")
    else:
        items = func.jsonb_array_elements(payload_jsonb()[name]).table_valued("value")
    value = items.c.value if as_text else non_null_key(dialect, items.c.value)
    # A correlated table function: each event joined with its own items.
    return value, [events.join(items, true())], converter_for(args[0])


def non_null_key(dialect: str, key: ColumnElement[Any]) -> ColumnElement[Any]:
    """A count_distinct key that is SQL NULL where the JSON value is null.

    The engine counts no key for a null value. SQLite's JSON functions give SQL NULL for
    it, but a PostgreSQL jsonb value of null is not NULL, so ``IS NOT NULL`` kept it and an
    optional field's nulls were counted as one more key.
    """
    if dialect == "sqlite":
        return key
    return func.nullif(key, literal_column("'null'::jsonb", JSONB))


def group_column(dialect: str, name: str) -> ColumnElement[Any]:
    """The SQL value of one group_by field (an envelope column or a payload field)."""
    envelope = {"stream": events.c.stream, "type": events.c.type, "actor": events.c.actor}
    if name in envelope:
        return envelope[name]
    if name in ("occurred_on", "position"):
        return getattr(events.c, name)  # type: ignore[no-any-return]
    field = payload_field(name)
    assert field is not None
    return extract_value(dialect, field)


def group_of(
    indicator: Indicator,
    type_name: str,
    raw: Any,
    converters: Mapping[str, Mapping[str, Convert]],
) -> Group:
    """A row's group, from the raw values of the group columns, as the engine writes it."""
    result = []
    for name, value in zip(indicator.group_by, raw, strict=True):
        if name in ("stream", "type", "actor", "position"):
            result.append((name, group_text(value)))
        elif name == "occurred_on":
            result.append((name, value))  # stored as the ISO text group_text writes
        else:
            field = payload_field(name) or name
            convert = converters[type_name].get(field)
            shown = group_text(MISSING) if convert is None else group_text(convert(value))
            result.append((name, shown))
    return tuple(result)


@attrs.frozen
class Slot:
    """Where one compiled part of an ungrouped count or sum reads its aggregates.

    Attributes:
        type_name: the event type the part reads.
        count: the index of its column counting the events that count.
        total: the index of its column summing their amounts; None for a count, whose
            total is the number of events (a second column would only repeat it).
        sign: 1, or -1 for a closing type that subtracts.
    """

    type_name: str
    count: int
    total: int | None
    sign: int

    def counted(self, row: Any) -> int:
        """How many events of the part's type counted, from its type's aggregate row."""
        return int(row[self.count])

    def value(self, row: Any) -> int:
        """The part's signed contribution to the figure's value."""
        total = row[self.count] if self.total is None else row[self.total]
        return self.sign * int(total or 0)


def simple_columns(
    dialect: str,
    requests: list[tuple[Indicator, Period]],
    hints: Mapping[str, Mapping[str, Any]],
) -> tuple[
    dict[str, list[Any]],
    dict[str, tuple[date | None, date]],
    dict[tuple[Indicator, Period], list[Slot]],
]:
    """The conditional aggregates of the ungrouped ``count`` and integer ``sum`` requests.

    Shared by one ledger's and a set's queries (:func:`simple_figures`,
    ``set_aggregate.set_simple_figures``), which differ only in how they group the rows.
    Each condition is evaluated once per row and column, and each reads the payload, so a
    count has no total column and a request's days are not tested again where they are
    the whole statement's.

    Returns:
        Per event type, the aggregate columns to select (a count, and a total for a sum,
        per compiled part); per event type, the widest date window its requests read
        (None for an open start), which bounds its statement; per request, where its
        parts' aggregates are. Requests of other kinds are left out.
    """
    compiled = []
    windows: dict[str, tuple[date | None, date]] = {}
    for indicator, period in requests:
        if indicator.group_by or not isinstance(indicator.measure, Count | Sum):
            continue
        parts = compile_parts(dialect, indicator, hints)
        if parts is None:
            continue
        start = None if indicator.state else period.start
        for part in parts:
            low, high = windows.get(part.type_name, (start, period.end))
            windows[part.type_name] = (
                None if low is None or start is None else min(low, start),
                max(high, period.end),
            )
        compiled.append(((indicator, period), start, period.end, parts))
    columns: dict[str, list[Any]] = {}
    slots: dict[tuple[Indicator, Period], list[Slot]] = {}
    for request, start, end, parts in compiled:
        entries = []
        for part in parts:
            low, high = windows[part.type_name]
            window = [] if end == high else [events.c.occurred_on <= end.isoformat()]
            if start is not None and start != low:
                window.append(events.c.occurred_on >= start.isoformat())
            chosen = and_(*window, part.condition)
            wanted = columns.setdefault(part.type_name, [])
            count, total = len(wanted), None
            wanted.append(func.count(case((chosen, 1))))
            if part.amount is not None:
                total = len(wanted)
                wanted.append(func.sum(case((chosen, part.amount))))
            entries.append(Slot(part.type_name, count, total, part.sign))
        slots[request] = entries
    return columns, windows, slots


def simple_statements(
    dialect: str,
    scope: list[Any],
    requests: list[tuple[Indicator, Period]],
    hints: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Select[Any]], dict[tuple[Indicator, Period], list[Slot]]]:
    """One aggregate statement per event type for the ungrouped counts and integer sums.

    Returns:
        Per event type, its statement (one row of aggregates); per request it serves,
        where its parts' aggregates are in those rows (see :func:`simple_results`).
    """
    columns, windows, slots = simple_columns(dialect, requests, hints)
    statements = {}
    for type_name, wanted in columns.items():
        low, high = windows[type_name]
        span = [events.c.occurred_on <= high.isoformat()]
        if low is not None:
            span.append(events.c.occurred_on >= low.isoformat())
        statements[type_name] = select(*wanted).where(*scope, events.c.type == type_name, *span)
    return statements, slots


def simple_results(
    rows: Mapping[str, Any],
    slots: Mapping[tuple[Indicator, Period], list[Slot]],
    point: AsOf,
    seen: Mapping[Indicator, int],
) -> dict[tuple[Indicator, Period], list[Figure]]:
    """The figures of :func:`simple_statements`' requests from each type's row of aggregates."""
    result = {}
    for (indicator, period), entries in slots.items():
        counted = sum(slot.counted(rows[slot.type_name]) for slot in entries)
        value = sum(slot.value(rows[slot.type_name]) for slot in entries)
        result[(indicator, period)] = [
            Figure(
                indicator=indicator,
                period=period,
                value=value,
                as_of=point,
                contributions=(),
                group=(),
                excluded=seen[indicator] - counted,
            )
        ]
    return result


def simple_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    requests: list[tuple[Indicator, Period]],
    point: AsOf,
    hints: Mapping[str, Mapping[str, Any]],
    seen: Mapping[Indicator, int],
) -> dict[tuple[Indicator, Period], list[Figure]]:
    """Ungrouped ``count`` and integer ``sum`` figures: one query per event type for them all.

    Each (indicator, period) becomes conditional aggregates (how many events count, and
    for a sum their total) over its type's rows, so an event type read by many
    indicators is read once. Requests of other kinds are left out of the result.

    Args:
        conn: an open connection.
        dialect: ``sqlite`` or ``postgresql``.
        scope: conditions for the ledger and the as-of point.
        requests: base (non-ratio) requests to try.
        point: the as-of point stamped on the figures.
        hints: per event type, its class's field annotations.
        seen: per indicator, how many events the engine would dispatch to it.

    Returns:
        The figures of the requests it computed, by request.
    """
    statements, slots = simple_statements(dialect, scope, requests, hints)
    rows = {t: conn.execute(statement).one() for t, statement in statements.items()}
    return simple_results(rows, slots, point, seen)
