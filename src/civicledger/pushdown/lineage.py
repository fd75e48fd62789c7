"""Count and integer-sum figures with their full lineage, one SQL query per event type.

With every contribution kept (``lineage=True``) the figures of ``count`` and
integer ``sum`` indicators, grouped or not, are computed from the rows that
count: for each event type, one query returns each row's envelope and, per
(indicator, period) reading the type, the amount it adds (NULL when the exact
filter, period or a missing field keeps it out) and its group values. Values,
excluded counts and contributions follow from those rows exactly as the engine
folds them; the contributions are held as :class:`.columns.LineageColumns`
rather than objects. The conditions are those of the lineage-free aggregates
(:mod:`.aggregate`), compiled exactly per type; anything they cannot compile
is left to the light-row fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
from sqlalchemy import BigInteger, LargeBinary, and_, case, literal, select, type_coerce
from sqlalchemy.engine import Connection

from civicledger.projections.accumulate import Group
from civicledger.projections.figures import AsOf, Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, Sum
from civicledger.projections.periods import Period
from civicledger.pushdown.aggregate import compile_parts, field_kind, group_column, group_of
from civicledger.pushdown.columns import LineageColumns, Texts
from civicledger.pushdown.fields import Convert, NotPushable, payload_field
from civicledger.store.sql.schema import events

__all__ = ["lineage_figures"]

Request = tuple[Indicator, Period]

_FETCH = 5000
_ENVELOPE = 4
"""Columns before the first slot: position, event id, day, stream."""


@attrs.define
class _Slot:
    """Where one (indicator, period) reads its amount and groups in a type's row."""

    request: Request
    column: int
    groups: int
    removed: bool


@attrs.define
class _Cell:
    value: int
    counted: int
    lineage: LineageColumns


def _grouped_fields_compile(indicator: Indicator, hints: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether every group field is of a kind the aggregates rebuild (as they require)."""
    for name in indicator.group_by:
        field = payload_field(name)
        for type_hints in hints.values():
            if field is not None and field in type_hints and field_kind(type_hints[field]) is None:
                return False
    return True


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
    """The count and integer-sum figures of ``requests``, contributions included.

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
        NotPushable: an amount does not fit the compact columns (the caller falls back).
    """
    columns: dict[str, list[Any]] = {}
    slots: dict[str, list[_Slot]] = {}
    windows: dict[str, tuple[date | None, date]] = {}
    done: list[Request] = []
    for indicator, period in requests:
        if not isinstance(indicator.measure, Count | Sum):
            continue
        compiled = compile_parts(dialect, indicator, hints)
        if compiled is None or not _grouped_fields_compile(indicator, hints):
            continue
        start = None if indicator.state else period.start
        window = [events.c.occurred_on <= period.end.isoformat()]
        if start is not None:
            window.append(events.c.occurred_on >= start.isoformat())
        for part in compiled:
            wanted = columns.setdefault(part.type_name, [])
            amount = part.amount if part.amount is not None else literal(1, BigInteger)
            slot = _Slot(
                (indicator, period), _ENVELOPE + len(wanted), len(indicator.group_by), False
            )
            slot.removed = part.sign < 0
            wanted.append(case((and_(*window, part.condition), amount)))
            wanted += [group_column(dialect, name) for name in indicator.group_by]
            slots.setdefault(part.type_name, []).append(slot)
            low, high = windows.get(part.type_name, (start, period.end))
            windows[part.type_name] = (
                None if low is None or start is None else min(low, start),
                max(high, period.end),
            )
        done.append((indicator, period))
    texts = Texts()
    cells: dict[Request, dict[Group, _Cell]] = {r: {} for r in done}
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
        result = conn.execution_options(yield_per=_FETCH).execute(statement)
        _fold(result, type_name, slots[type_name], cells, converters, texts)
    figures: dict[Request, list[Figure]] = {}
    for request in done:
        indicator, period = request
        found = cells[request]
        if not found and indicator.group_by:
            figures[request] = []
            continue
        groups = sorted(found) if found else [()]
        figures[request] = [
            _figure(request, group, found.get(group), point, seen) for group in groups
        ]
    return figures


def _fold(
    rows: Any,
    type_name: str,
    slots: list[_Slot],
    cells: dict[Request, dict[Group, _Cell]],
    converters: Mapping[Indicator, Mapping[str, Mapping[str, Convert]]],
    texts: Texts,
) -> None:
    """Add each row's amounts and contributions to the cells of the slots it counts in."""
    type_number = texts.number(type_name)
    for row in rows:
        for slot in slots:
            amount = row[slot.column]
            if amount is None:
                continue
            indicator = slot.request[0]
            group: Group = ()
            if slot.groups:
                raw = row[slot.column + 1 : slot.column + 1 + slot.groups]
                group = group_of(indicator, type_name, raw, converters[indicator])
            found = cells[slot.request]
            cell = found.get(group)
            if cell is None:
                cell = found[group] = _Cell(0, 0, LineageColumns(texts))
            if type(amount) is not int:
                raise NotPushable(f"amount {amount!r} of event at position {row[0]} is not an int")
            signed = -amount if slot.removed else amount
            cell.value += signed
            cell.counted += 1
            try:
                cell.lineage.add(row[0], row[1], row[2], type_number, row[3], signed, slot.removed)
            except OverflowError:
                raise NotPushable(f"amount {amount} does not fit the lineage columns") from None


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
