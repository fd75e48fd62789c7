"""Figures with their full lineage from the rows that count, one SQL query per event type.

With every contribution kept (``lineage=True``), ``count`` and integer ``sum``
indicators (grouped or not, with or without ``removed_by``) and single-type
``count_distinct`` indicators without ``removed_by`` are computed from the rows
that count: for each event type, one query returns each row's envelope and, per
(indicator, period) reading the type, the amount it adds or the distinct value
it holds (NULL when the exact filter, the period or a missing field keeps it
out), and its group values. Values, excluded counts and contributions follow
from those rows as the engine folds them; contributions are held as
:class:`.columns.LineageColumns`. The conditions are those of the lineage-free
aggregates (:mod:`.aggregate`), compiled exactly per type; whatever they cannot
compile is left to the light-row fold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs
from sqlalchemy import BigInteger, LargeBinary, and_, case, literal, select, type_coerce
from sqlalchemy.engine import Connection

from civicledger.projections.accumulate import Group, distinct_keys
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, CountDistinct, Sum
from civicledger.projections.periods import Period
from civicledger.pushdown import driver
from civicledger.pushdown.aggregate import compile_parts, field_kind, group_column, group_of
from civicledger.pushdown.columns import LineageColumns, RowTable
from civicledger.pushdown.compiler import extract_value
from civicledger.pushdown.fields import Convert, NotPushable, payload_field
from civicledger.store.sql.schema import events

__all__ = ["lineage_figures"]

Request = tuple[Indicator, Period]

_REMEMBERED = 65536
"""How many stored values a count_distinct remembers the keys of."""
_ENVELOPE = 4
"""Columns before the first slot: position, event id, day, stream."""


@attrs.define(eq=False)
class _Cell:
    """The running figure of one group, as the engine's cell."""

    value: int
    counted: int
    lineage: LineageColumns


@attrs.define(eq=False)
class _Slot:
    """Where one (indicator, period) reads its amount (or distinct value) in a type's rows."""

    indicator: Indicator
    column: int
    groups: int
    removed: bool
    converters: Mapping[str, Mapping[str, Convert]]
    cells: dict[Group, _Cell]
    convert: Convert | None = None  # a count_distinct's value converter
    seen: dict[Group, set[str]] = attrs.Factory(dict)  # a count_distinct's keys per group
    keys: dict[Any, tuple[str, ...]] = attrs.Factory(dict)  # stored value -> its keys

    def keys_of(self, value: Any) -> tuple[str, ...]:
        """The distinct keys a stored value holds, remembered (values repeat across events)."""
        assert self.convert is not None
        keys = tuple(dict.fromkeys(distinct_keys(self.convert(value))))
        if type(value) is not list:
            if len(self.keys) >= _REMEMBERED:
                self.keys.clear()  # many different values: keep memory bounded
            self.keys[value] = keys
        return keys


def _groups_compile(indicator: Indicator, hints: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether every group field is of a kind the aggregates rebuild (as they require)."""
    for name in indicator.group_by:
        field = payload_field(name)
        for type_hints in hints.values():
            if field is not None and field in type_hints and field_kind(type_hints[field]) is None:
                return False
    return True


def _distinct_value(
    dialect: str, indicator: Indicator, type_name: str, converters: Mapping[str, Convert]
) -> tuple[Any, Convert] | None:
    """A single-type count_distinct's value column and converter, or None (left to the fold)."""
    measure = indicator.measure
    assert isinstance(measure, CountDistinct)
    if measure.removed_by or len(indicator.source) != 1:
        return None  # the first event bringing a key must be found across types: folded
    name = payload_field(measure.field)
    if name is None or name not in converters:
        return None
    return extract_value(dialect, name), converters[name]


def lineage_figures(
    conn: Connection,
    dialect: str,
    scope: list[Any],
    requests: list[Request],
    point: AsOf,
    hints: Mapping[str, Mapping[str, Any]],
    converters: Mapping[Indicator, Mapping[str, Mapping[str, Convert]]],
    seen: Mapping[Indicator, int],
) -> dict[Request, list[Figure]]:
    """The figures of those ``requests`` computed here, contributions included.

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
        The figures of the requests it computed, by request, as the engine makes them.

    Raises:
        NotPushable: a stored value is not what its type declares (the caller falls back).
    """
    columns: dict[str, list[Any]] = {}
    slots: dict[str, list[_Slot]] = {}
    windows: dict[str, tuple[date | None, date]] = {}
    ordered: set[str] = set()
    cells: dict[Request, dict[Group, _Cell]] = {}
    for indicator, period in requests:
        if not isinstance(indicator.measure, Count | Sum | CountDistinct):
            continue
        compiled = compile_parts(dialect, indicator, hints)
        if compiled is None or not _groups_compile(indicator, hints):
            continue
        distinct = None
        if isinstance(indicator.measure, CountDistinct):
            type_name = compiled[0].type_name
            distinct = _distinct_value(
                dialect, indicator, type_name, converters[indicator][type_name]
            )
            if distinct is None:
                continue
            ordered.add(type_name)  # the first event bringing a key is the earliest by position
        start = None if indicator.state else period.start
        window = [events.c.occurred_on <= period.end.isoformat()]
        if start is not None:
            window.append(events.c.occurred_on >= start.isoformat())
        request_cells = cells[(indicator, period)] = {}
        for part in compiled:
            wanted = columns.setdefault(part.type_name, [])
            slot = _Slot(
                indicator,
                _ENVELOPE + len(wanted),
                len(indicator.group_by),
                part.sign < 0,
                converters[indicator],
                request_cells,
            )
            value: Any = part.amount if part.amount is not None else literal(1, BigInteger)
            if distinct is not None:
                value, slot.convert = distinct
            wanted.append(case((and_(*window, part.condition), value)))
            wanted += [group_column(dialect, name) for name in indicator.group_by]
            slots.setdefault(part.type_name, []).append(slot)
            low, high = windows.get(part.type_name, (start, period.end))
            windows[part.type_name] = (
                None if low is None or start is None else min(low, start),
                max(high, period.end),
            )
    table = RowTable()
    for type_name, wanted in columns.items():
        low, high = windows[type_name]
        span = [events.c.occurred_on <= high.isoformat()]
        if low is not None:
            span.append(events.c.occurred_on >= low.isoformat())
        statement = select(
            events.c.position,
            type_coerce(events.c.event_id, LargeBinary).label("event_id"),
            events.c.occurred_on,
            events.c.stream,
            *wanted,
        ).where(*scope, events.c.type == type_name, *span)
        if type_name in ordered:
            # "+ 0": read through the (type, day) index and sort, not walk the whole ledger.
            statement = statement.order_by(events.c.position + 0)
        _fold(driver.rows(conn, statement), type_name, slots[type_name], table)
    figures: dict[Request, list[Figure]] = {}
    for request, found in cells.items():
        indicator, period = request
        if not found and indicator.group_by:
            figures[request] = []
            continue
        groups = sorted(found) if found else [()]
        figures[request] = [
            _figure(request, group, found.get(group), point, seen) for group in groups
        ]
    return figures


def _fold(rows: Iterable[Any], type_name: str, slots: list[_Slot], table: RowTable) -> None:
    """Add each row's amounts (or new keys) and contributions to the cells it counts in."""
    type_number = table.text(type_name)
    for row in rows:
        number = -1  # the row's place in the table, once it contributes somewhere
        for slot in slots:
            value = row[slot.column]
            if value is None:
                continue
            group: Group = ()
            if slot.groups:
                raw = row[slot.column + 1 : slot.column + 1 + slot.groups]
                group = group_of(slot.indicator, type_name, raw, slot.converters)
            if slot.convert is not None:
                # PostgreSQL gives a list field as a list (unhashable): not remembered.
                keys = slot.keys.get(value) if type(value) is not list else None
                if keys is None:
                    keys = slot.keys_of(value)
                held = slot.seen.setdefault(group, set())
                fresh = [k for k in keys if k not in held]
                if not fresh:
                    continue
                held.update(fresh)
                amount, removed = 1, False
            else:
                if type(value) is not int:
                    raise NotPushable(f"amount {value!r} at position {row[0]} is not an integer")
                amount, removed, fresh = (-value if slot.removed else value), slot.removed, None
            if number < 0:
                number = table.add(row[0], row[1], row[2], type_number, row[3])
            cell = slot.cells.get(group)
            if cell is None:
                cell = slot.cells[group] = _Cell(0, 0, LineageColumns(table))
            lineage = cell.lineage
            cell.counted += 1
            if fresh is None:
                cell.value += amount
                _append(lineage, number, amount, removed, None)
            else:
                cell.value += len(fresh)
                for key in fresh:
                    _append(lineage, number, 1, False, key)


def _append(lineage: LineageColumns, row: int, amount: int, removed: bool, key: str | None) -> None:
    try:
        lineage.amounts.append(amount)
    except OverflowError:
        raise NotPushable(f"amount {amount} does not fit the lineage columns") from None
    lineage.rows.append(row)
    lineage.removed.append(removed)
    if key is not None:
        if lineage.keys is None:
            lineage.keys = []
        lineage.keys.append(key)


def _figure(
    request: Request, group: Group, cell: _Cell | None, point: AsOf, seen: Mapping[Indicator, int]
) -> Figure:
    indicator, period = request
    if cell is None:
        return Figure(
            indicator=indicator,
            period=period,
            value=0,
            as_of=point,
            contributions=(),
            group=group,
            excluded=seen[indicator],
        )
    return Figure(
        indicator=indicator,
        period=period,
        value=cell.value,
        as_of=point,
        contributions=None,
        lineage=cell.lineage.contributions,
        group=group,
        excluded=seen[indicator] - cell.counted,
    )
