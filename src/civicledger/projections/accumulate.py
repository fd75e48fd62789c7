"""Accumulators: the per-(indicator, period) state the engine folds events into.

An accumulator applies one indicator's filter, period and measure to the events
dispatched to it, keeping a running value per group and, with lineage on, each
contribution. The engine (:mod:`.engine`) builds them and feeds them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from civicledger.errors import ProjectionError
from civicledger.events import RecordedEvent
from civicledger.projections.expressions import Arith
from civicledger.projections.fields import MISSING, getter
from civicledger.projections.figures import AsOf, Contribution, Figure, Number
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, CountDistinct, Extreme, Latest, Sum
from civicledger.projections.periods import Period

__all__ = ["Accumulator", "Group", "Interner", "distinct_keys", "group_text"]

Group = tuple[tuple[str, str], ...]
"""A figure's group: (field, value) pairs, in the indicator's group_by order."""


def group_text(value: Any) -> str:
    """How a group value is written in a figure's ``group`` (always text)."""
    if type(value) is str:
        return value
    if value is MISSING:
        return "(missing)"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


class _Cell:
    """The running figure of one group."""

    __slots__ = ("contributions", "counted", "last_counted", "latest", "ties", "value")

    def __init__(self) -> None:
        self.value: Number = 0
        self.contributions: list[Contribution] = []
        self.counted = 0
        self.last_counted = 0
        self.latest: tuple[date, int] | None = None
        self.ties = 0  # events sharing an extreme (max/min)

    def count_event(self, position: int) -> None:
        # An event with several keys contributes several times but counts once.
        if self.last_counted != position:
            self.last_counted = position
            self.counted += 1


class Interner:
    """Shares equal strings and dates among contributions (they repeat across events).

    A contribution would otherwise keep its record's own copies alive; sharing
    them roughly halves what lineage costs per contributing event.
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[object, Any] = {}

    def contribution(
        self, record: RecordedEvent, amount: Number, key: str | None = None, note: str | None = None
    ) -> Contribution:
        values = self.values
        type_name = values.setdefault(record.type, record.type)
        stream = values.setdefault(record.stream, record.stream)
        day = values.setdefault(record.occurred_on, record.occurred_on)
        amendments = record.corrections
        if amendments:
            # Lineage shows that the counted payload is a correction, and who made it.
            made = "; ".join(
                f"{a.kind} by event {a.event_id} (position {a.position}, {a.actor}): {a.reason}"
                for a in amendments
            )
            note = f"{note}; {made}" if note else made
        return Contribution(
            record.event_id, record.position, day, type_name, stream, amount, key, note
        )


class Accumulator:
    """Folds the events of one (indicator, period) pair into figures per group."""

    def __init__(
        self, indicator: Indicator, period: Period, lineage: bool, interner: Interner
    ) -> None:
        self.indicator = indicator
        self.contribution = interner.contribution
        self.period = period
        self.lineage = lineage
        self.seen = 0
        self.cells: dict[Group, _Cell] = {}
        self.test = indicator.where.compile() if indicator.where is not None else None
        self.group_getters = tuple((name, getter(name)) for name in indicator.group_by)
        self.start = None if indicator.state else period.start
        self.end = period.end
        measure = indicator.measure
        self.redacted: list[uuid.UUID] = []
        self.filter_fields = frozenset(
            f.removeprefix("payload.")
            for f in (indicator.where.fields() if indicator.where else ())
        )
        self.open_keys: dict[str, Group] = {}
        self.seen_keys: dict[Group, set[str]] = {}
        self.amount: Callable[[RecordedEvent], Any] | None = None
        self.removed_amount: Callable[[RecordedEvent], Any] | None = None
        self.key_getter: Callable[[RecordedEvent], Any] | None = None
        self.closing_key_getter: Callable[[RecordedEvent], Any] | None = None
        if isinstance(measure, Sum):
            self.amount = measure.expression.evaluator()
            removed: Arith = measure.removed_expression or measure.expression
            self.removed_amount = removed.evaluator()
        elif isinstance(measure, CountDistinct):
            self.key_getter = getter(measure.field)
            self.closing_key_getter = getter(measure.closing_field)
        elif isinstance(measure, Latest | Extreme):
            self.key_getter = getter(measure.field)
        self.measure = measure
        # Dispatch on the measure once, here, rather than per event.
        self.take: Callable[[Group, RecordedEvent], None]
        if isinstance(measure, Count):
            self.take = self._take_count
        elif isinstance(measure, Sum):
            self.take = self._take_sum
        elif isinstance(measure, CountDistinct):
            self.take = self._take_distinct
        elif isinstance(measure, Extreme):
            self.take = self._extreme
        else:
            self.take = self._latest

    def in_period(self, day: date) -> bool:
        return day <= self.end and (self.start is None or day >= self.start)

    def group_of(self, record: RecordedEvent) -> Group:
        return tuple((name, group_text(read(record))) for name, read in self.group_getters)

    def cell(self, group: Group) -> _Cell:
        cell = self.cells.get(group)
        if cell is None:
            cell = self.cells[group] = _Cell()
        return cell

    def opening(self, record: RecordedEvent) -> None:
        self.seen += 1
        day = record.occurred_on
        # Inlined period test: this runs once per event and accumulator.
        if day > self.end or (self.start is not None and day < self.start):
            return
        if self.test is not None and not self.test(record):
            if self.filter_fields and record.redacted_fields:
                self._missing(record, self.filter_fields)
            return
        group = self.group_of(record) if self.group_getters else ()
        self.take(group, record)

    def opening_accepted(self, record: RecordedEvent) -> None:
        """:meth:`opening` for a record the caller found to pass the filter and counts in
        ``seen`` itself (see :mod:`.dispatch`)."""
        day = record.occurred_on
        if day > self.end or (self.start is not None and day < self.start):
            return
        group = self.group_of(record) if self.group_getters else ()
        self.take(group, record)

    def _missing(self, record: RecordedEvent, needed: frozenset[str] | None = None) -> None:
        """Remember an event that could not count because a field it needed was redacted."""
        redacted = record.redacted_fields
        if redacted and (needed is None or needed & {f.split(".")[0] for f in redacted}):
            self.redacted.append(record.event_id)

    def _take_count(self, group: Group, record: RecordedEvent) -> None:
        self._add(group, record, 1)

    def _take_sum(self, group: Group, record: RecordedEvent) -> None:
        assert self.amount is not None
        amount = self.amount(record)
        if amount is not MISSING:
            self._add(group, record, amount)
        else:
            self._missing(record)

    def _take_distinct(self, group: Group, record: RecordedEvent) -> None:
        assert self.key_getter is not None
        value = self.key_getter(record)
        if value is MISSING:
            self._missing(record)
            return
        self._open_keys(group, record, value)

    def closing(self, record: RecordedEvent) -> None:
        self.seen += 1
        if not self.in_period(record.occurred_on):
            return
        measure = self.measure
        if isinstance(measure, CountDistinct):
            # Closing events remove keys that are open; the opening filter already chose them.
            assert self.closing_key_getter is not None
            for key in distinct_keys(self.closing_key_getter(record)):
                group = self.open_keys.pop(key, None)
                if group is not None:
                    cell = self.cell(group)
                    cell.value -= 1
                    cell.count_event(record.position)
                    if self.lineage:
                        cell.contributions.append(self.contribution(record, -1, key, "removed"))
            return
        if self.test is not None and not self.test(record):
            return
        group = self.group_of(record) if self.group_getters else ()
        if isinstance(measure, Count):
            self._add(group, record, -1, "removed")
        elif isinstance(measure, Sum):
            assert self.removed_amount is not None
            amount = self.removed_amount(record)
            if amount is not MISSING:
                self._add(group, record, -amount, "removed")

    def _add(
        self, group: Group, record: RecordedEvent, amount: Number, note: str | None = None
    ) -> None:
        cell = self.cell(group)
        cell.value += amount
        cell.count_event(record.position)
        if self.lineage:
            cell.contributions.append(self.contribution(record, amount, None, note))

    def _open_keys(self, group: Group, record: RecordedEvent, value: Any) -> None:
        removable = bool(self.measure.removed_by)  # type: ignore[union-attr]
        seen = self.seen_keys.setdefault(group, set()) if not removable else None
        for key in distinct_keys(value):
            if removable:
                if key in self.open_keys:
                    continue
                self.open_keys[key] = group
            else:
                assert seen is not None
                if key in seen:
                    continue
                seen.add(key)
            cell = self.cell(group)
            cell.value += 1
            cell.count_event(record.position)
            if self.lineage:
                cell.contributions.append(self.contribution(record, 1, key))

    def _number(self, record: RecordedEvent) -> Number | None:
        """The measured field's value as a number, or None (the event is then noted missing)."""
        assert self.key_getter is not None
        value = self.key_getter(record)
        if value is MISSING:
            self._missing(record)
            return None
        if isinstance(value, bool):
            value = int(value)  # a yes/no state reads as 1 or 0
        if not isinstance(value, int | Decimal):
            raise ProjectionError(
                f"indicator {self.indicator.id!r}: {self.measure} of event "
                f"{record.event_id} at position {record.position} is {value!r}, not a number"
            )
        return value

    def _extreme(self, group: Group, record: RecordedEvent) -> None:
        value = self._number(record)
        if value is None:
            return
        cell = self.cell(group)
        rank = (record.occurred_on, record.position)
        kind = self.measure.kind  # type: ignore[union-attr]
        if cell.latest is not None and value == cell.value:
            cell.ties += 1
            if rank > cell.latest:
                self._name_ties(cell, kind)
                return
        elif cell.latest is not None and (value < cell.value) == (kind == "max"):
            return  # not as extreme as the one held
        else:
            cell.ties = 1
        # A new extreme, or the same one held by an earlier event: that event is named.
        cell.latest = rank
        cell.value = value
        cell.counted = 1
        cell.contributions = [self.contribution(record, value)]
        self._name_ties(cell, kind)

    @staticmethod
    def _name_ties(cell: _Cell, kind: str) -> None:
        if cell.ties > 1:
            note = f"{cell.ties} events share this {kind}; the earliest is named"
            cell.contributions = [attrs.evolve(cell.contributions[0], note=note)]

    def _latest(self, group: Group, record: RecordedEvent) -> None:
        value = self._number(record)
        if value is None:
            return
        cell = self.cell(group)
        rank = (record.occurred_on, record.position)
        if cell.latest is None or rank >= cell.latest:
            cell.latest = rank
            cell.value = value
            cell.counted = 1
            cell.contributions = [self.contribution(record, value)]

    def figures(self, as_of: AsOf) -> list[Figure]:
        if not self.cells and self.indicator.group_by:
            return []
        cells = self.cells or {(): _Cell()}
        notes: tuple[str, ...] = ()
        if self.redacted:
            shown = ", ".join(str(i) for i in self.redacted[:5])
            more = f" and {len(self.redacted) - 5} more" if len(self.redacted) > 5 else ""
            notes = (
                f"{len(self.redacted)} event(s) could not count because fields they needed "
                f"were redacted: {shown}{more}",
            )
        figures = []
        for group in sorted(cells):
            cell = cells[group]
            value: Number | None = cell.value
            reason = None
            if isinstance(self.measure, Latest | Extreme) and cell.latest is None:
                value, reason = None, "no event in the period has this field"
            figures.append(
                Figure(
                    indicator=self.indicator,
                    period=self.period,
                    value=value,
                    as_of=as_of,
                    contributions=tuple(cell.contributions),
                    group=group,
                    excluded=self.seen - cell.counted,
                    undefined_reason=reason,
                    notes=notes,
                )
            )
        return figures


def distinct_keys(value: Any) -> tuple[str, ...]:
    """The distinct-value keys an event's field holds (each item of a list field)."""
    if value is MISSING or value is None:
        return ()
    if isinstance(value, tuple | list | frozenset | set):
        texts = [v for v in value if v.__class__ is str]
        if len(texts) == len(value):  # the usual list of ids: each its own key already
            return tuple(texts)
        return tuple([group_text(v) for v in value if v is not None])
    return (group_text(value),)
