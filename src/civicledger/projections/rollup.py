"""Roll-ups: one figure across several ledgers, with each ledger's figure behind it.

A street office's figure is the combination of its communities' figures for the
same indicator, period and group. How figures combine follows the measure:

- ``count`` and ``sum`` (with or without ``removed_by``): the ledgers' values added;
- ``count_distinct``: keys are qualified by their ledger (``distinct="ledger"``,
  the default), so the same key in two ledgers counts twice and the roll-up is the
  sum of the ledgers' counts; with ``distinct="key"`` a key counts once if it is
  open in any ledger at the period's end (this reads the figures' lineage);
- ``ratio``: computed again from the rolled-up numerator and denominator, never an
  average of the ledgers' ratios;
- ``latest``: not combined (there is no one order of events across ledgers); the
  roll-up is undefined and each ledger's value stays in the breakdown.

Every roll-up keeps its parts: per ledger, its name, origin and the
:class:`~civicledger.projections.figures.Figure` computed there, whose ``as_of``
says the position (and seal) that ledger was read at and whose contributions name
its events. This module is pure: the ledgers are read by the facade
(``civicledger.ledgerset``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from civicledger.errors import ProjectionError
from civicledger.projections.compare import Basis, change_between
from civicledger.projections.derived import derived_outcome, written_out
from civicledger.projections.engine import ratio_value
from civicledger.projections.explain import explain
from civicledger.projections.figures import Figure, Number, json_value
from civicledger.projections.filters import format_value
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import (
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Ratio,
    Sum,
)
from civicledger.projections.periods import Period
from civicledger.projections.whynot import Language, check_language

__all__ = [
    "DISTINCT_MODES",
    "DistinctMode",
    "LedgerFigure",
    "RollupComparison",
    "RollupFigure",
    "combined_text",
    "compare_rollups",
    "explain_rollup",
    "roll_up",
]

DistinctMode: TypeAlias = Literal["ledger", "key"]
DISTINCT_MODES: tuple[DistinctMode, ...] = ("ledger", "key")


@attrs.frozen
class LedgerFigure:
    """One ledger's share of a roll-up.

    Attributes:
        ledger: the ledger's name in its database.
        origin: the ledger's globally unique origin.
        figure: the figure computed in that ledger (its ``as_of`` is where it was read).
    """

    ledger: str
    origin: str
    figure: Figure

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the ledger, its as-of point, its value and its whole figure."""
        return {
            "ledger": self.ledger,
            "origin": self.origin,
            "as_of": self.figure.as_of.to_dict(),
            "value": json_value(self.figure.value),
            "figure": self.figure.to_dict(),
        }


@attrs.frozen
class RollupFigure:
    """One indicator's value across ledgers, for one period and group.

    Attributes:
        indicator: the indicator (as computed for the period).
        period: the period.
        group: the group values, as (field, value) pairs; () when ungrouped.
        value: the combined value, or None (see ``undefined_reason``).
        undefined_reason: why there is no value, in English.
        combined: how the ledgers' figures were combined, in English.
        parts: each ledger's figure, in the set's order (a ledger without events in
            a group has no part for that group).
        numerator: for a ratio, the rolled-up numerator.
        denominator: for a ratio, the rolled-up denominator.
    """

    indicator: Indicator
    period: Period
    group: tuple[tuple[str, str], ...]
    value: Number | None
    undefined_reason: str | None
    combined: str
    parts: tuple[LedgerFigure, ...]
    numerator: RollupFigure | None = None
    denominator: RollupFigure | None = None

    @property
    def id(self) -> str:
        """The indicator's id."""
        return self.indicator.id

    @property
    def defined(self) -> bool:
        """Whether the roll-up has a value."""
        return self.value is not None

    def by_ledger(self) -> dict[str, Number | None]:
        """Each ledger's value, by ledger name (the per-ledger breakdown)."""
        return {part.ledger: part.figure.value for part in self.parts}

    def event_ids(self) -> frozenset[tuple[str, uuid.UUID]]:
        """Every event behind the roll-up, as (ledger name, event id) pairs."""
        return frozenset(
            (part.ledger, event_id) for part in self.parts for event_id in part.figure.event_ids()
        )

    def to_dict(self) -> dict[str, Any]:
        """The roll-up as JSON-ready data: its value and every ledger's figure."""
        return {
            "indicator": self.indicator.id,
            "label": self.indicator.label,
            "unit": self.indicator.unit,
            "period": {
                "key": self.period.key,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "group": dict(self.group),
            "value": json_value(self.value),
            "undefined_reason": self.undefined_reason,
            "combined": self.combined,
            "ledgers": [part.to_dict() for part in self.parts],
        }

    def __str__(self) -> str:
        group = "".join(f"[{k}={v}]" for k, v in self.group)
        value = "not defined" if self.value is None else str(self.value)
        return f"{self.indicator.id}{group} {self.period.key} = {value} ({len(self.parts)} ledgers)"


_Key: TypeAlias = tuple[str, str, tuple[tuple[str, str], ...]]


def roll_up(
    ledgers: Sequence[tuple[str, str, Sequence[Figure]]], *, distinct: DistinctMode = "ledger"
) -> list[RollupFigure]:
    """Combine each ledger's figures into one figure per indicator, period and group.

    Args:
        ledgers: per ledger (name, origin, its figures), all computed from the same
            indicators and period.
        distinct: how ``count_distinct`` treats the same key in two ledgers:
            ``"ledger"`` counts it in each (keys are qualified by ledger), ``"key"``
            once.

    Returns:
        The roll-ups, in the order the indicators first appear; the groups of one
        indicator together, in the order first seen.

    Raises:
        ProjectionError: ``distinct`` is neither mode.
    """
    if distinct not in DISTINCT_MODES:
        raise ProjectionError(f"distinct must be 'ledger' or 'key', not {distinct!r}")
    parts: dict[tuple[str, str], dict[tuple[tuple[str, str], ...], list[LedgerFigure]]] = {}
    for name, origin, figures in ledgers:
        for figure in figures:
            groups = parts.setdefault((figure.indicator.id, figure.period.key), {})
            groups.setdefault(figure.group, []).append(LedgerFigure(name, origin, figure))
    return [_combine(shares, distinct) for groups in parts.values() for shares in groups.values()]


def _combine(shares: Sequence[LedgerFigure], distinct: DistinctMode) -> RollupFigure:
    first = shares[0].figure
    measure = first.indicator.measure
    numerator = denominator = None
    reason: str | None = None
    value: Number | None = None
    undefined = next((s for s in shares if s.figure.value is None), None)
    if isinstance(measure, Ratio):
        numerator = _part_rollup(shares, "numerator", distinct)
        denominator = _part_rollup(shares, "denominator", distinct)
        value, reason = ratio_value(measure, numerator, denominator, first.indicator.rounding)
        combined = "the rolled-up numerator divided by the rolled-up denominator"
    elif isinstance(measure, Latest):
        combined = "not combined"
        reason = (
            f"{measure} is not combined across ledgers (their events have no common order); "
            "each ledger's value is in the breakdown"
        )
    elif undefined is not None:
        combined = "not combined"
        reason = f"ledger {undefined.ledger!r} has no value ({undefined.figure.undefined_reason})"
    elif isinstance(measure, Derived):
        value, reason, combined = _derived_rollup(shares, measure, distinct)
    elif isinstance(measure, Extreme):
        values = [s.figure.value for s in shares if s.figure.value is not None]
        value = (max if measure.kind == "max" else min)(values)
        combined = f"the {measure.kind} of the ledgers' values"
    elif isinstance(measure, CountDistinct) and distinct == "key":
        value = len(_open_keys(shares))
        combined = "distinct keys across ledgers (a key open in several counts once)"
    else:
        value = _add([s.figure.value for s in shares])
        combined = _HOW[type(measure)]
    return RollupFigure(
        indicator=first.indicator,
        period=first.period,
        group=first.group,
        value=value,
        undefined_reason=reason,
        combined=combined,
        parts=tuple(shares),
        numerator=numerator,
        denominator=denominator,
    )


_HOW: dict[type, str] = {
    Count: "the ledgers' counts added",
    Sum: "the ledgers' sums added",
    CountDistinct: "the ledgers' distinct counts added (keys are qualified by ledger)",
}


_OVER_OPERANDS = ", over the rolled-up operands"


def _derived_rollup(
    shares: Sequence[LedgerFigure], measure: Derived, distinct: DistinctMode
) -> tuple[Number | None, str | None, str]:
    """A derived figure worked out again over its rolled-up operands (a share of the
    totals, not a sum of shares); an operand no ledger has here is 0 (a count or sum)."""
    values: dict[str, Number] = {}
    for operand_id in measure.operand_ids:
        found = [
            LedgerFigure(s.ledger, s.origin, o)
            for s in shares
            for o in s.figure.operands
            if o.id == operand_id
        ]
        rolled = _combine(found, distinct).value if found else 0
        if rolled is None:
            return None, f"the operand {operand_id} is not combined", "not combined"
        values[operand_id] = rolled
    value, reason = derived_outcome(measure, values, shares[0].figure.indicator.rounding)
    shown = written_out(measure.expression, {k: format_value(v) for k, v in values.items()})
    return value, reason, f"{shown}{_OVER_OPERANDS}"


def _part_rollup(
    shares: Sequence[LedgerFigure], part: Literal["numerator", "denominator"], mode: DistinctMode
) -> RollupFigure | None:
    figures = [
        LedgerFigure(s.ledger, s.origin, f)
        for s in shares
        if (f := getattr(s.figure, part)) is not None
    ]
    return _combine(figures, mode) if figures else None


def _add(values: Sequence[Number | None]) -> Number:
    total: Number = 0
    for value in values:
        assert value is not None
        total = total + value
    return total


def _open_keys(shares: Sequence[LedgerFigure]) -> set[str]:
    """The keys still open at the period's end in at least one ledger (from lineage)."""
    keys: set[str] = set()
    for share in shares:
        net: dict[str, Number] = {}
        for c in share.figure.contributions:
            if c.key is not None:
                net[c.key] = net.get(c.key, 0) + c.amount
        keys |= {k for k, n in net.items() if n > 0}
    return keys


@attrs.frozen
class RollupComparison:
    """A roll-up compared with the same roll-up for an earlier period (同比 or 环比).

    Attributes:
        current: the later roll-up (its parts name each ledger's figure).
        previous: the earlier roll-up (no parts when no ledger had the group then).
        difference: current minus previous, or None if either is not defined.
        change_percent: the change in percent, rounded half up to two places, or None.
        undefined_reason: why ``change_percent`` is None.
        basis: how the earlier period was chosen (``"year"``, ``"period"`` or ``"given"``).
    """

    current: RollupFigure
    previous: RollupFigure
    difference: Number | None
    change_percent: Decimal | None
    undefined_reason: str | None
    basis: Basis

    @property
    def indicator(self) -> Indicator:
        """The indicator compared."""
        return self.current.indicator

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: both roll-ups (with their ledgers) and the change."""
        return {
            "indicator": self.indicator.id,
            "basis": self.basis,
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "difference": json_value(self.difference),
            "change_percent": json_value(self.change_percent),
            "undefined_reason": self.undefined_reason,
        }


def compare_rollups(
    current: Sequence[RollupFigure],
    previous: Sequence[RollupFigure],
    *,
    periods: tuple[Period, Period],
    basis: Basis,
) -> list[RollupComparison]:
    """Pair the roll-ups of one indicator for two periods by group; a group seen in one
    period only is compared with 0 (a roll-up without parts), as a single ledger's is.

    Args:
        current: the roll-ups of the later period, one per group.
        previous: the roll-ups of the earlier period.
        periods: (the later period, the earlier period).
        basis: how the earlier period was chosen.

    Returns:
        One comparison per group, sorted by group.
    """
    now = {r.group: r for r in current}
    before = {r.group: r for r in previous}
    result = []
    for group in sorted(set(now) | set(before)):
        a = now.get(group) or _zero(before[group], periods[0])
        b = before.get(group) or _zero(now[group], periods[1])
        difference, change, reason = change_between(a.value, b.value)
        result.append(RollupComparison(a, b, difference, change, reason, basis))
    return result


def _zero(other: RollupFigure, period: Period) -> RollupFigure:
    return attrs.evolve(
        other,
        period=period,
        value=0,
        undefined_reason=None,
        combined="no ledger has events in this group",
        parts=(),
        numerator=None,
        denominator=None,
    )


# -- explanations -------------------------------------------------------------------------

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "rollup": "汇总指标",
        "period": "统计期间",
        "combined": "汇总方式",
        "ledgers": "各账本",
        "columns": "| 账本 | 来源标识 | 位置 | 封存根 | 值 |",
        "arithmetic": "计算",
        "value": "精确值",
        "undefined": "无定义",
        "ledger": "账本",
    },
    "en": {
        "rollup": "Roll-up",
        "period": "period",
        "combined": "combined as",
        "ledgers": "Ledgers",
        "columns": "| ledger | origin | position | seal root | value |",
        "arithmetic": "Arithmetic",
        "value": "Exact value",
        "undefined": "not defined",
        "ledger": "Ledger",
    },
}


_COMBINED_ZH = {
    "the ledgers' counts added": "各账本计数相加",
    "the ledgers' sums added": "各账本合计相加",
    "the ledgers' distinct counts added (keys are qualified by ledger)": (
        "各账本去重计数相加（同一键在不同账本中分别计数）"
    ),
    "distinct keys across ledgers (a key open in several counts once)": (
        "跨账本去重（同一键在多个账本中只计一次）"
    ),
    "the rolled-up numerator divided by the rolled-up denominator": "汇总后的分子除以汇总后的分母",
    "not combined": "不汇总",
    "no ledger has events in this group": "各账本在此分组均无事件",
}


def combined_text(combined: str, language: Language = "zh") -> str:
    """How a roll-up combined (``RollupFigure.combined``, English) in ``language``; a
    derived figure's written-out expression stays as it is."""
    return _COMBINED_ZH.get(combined, combined) if language == "zh" else combined


def explain_rollup(rollup: RollupFigure, language: Language = "zh", *, ledgers: bool = True) -> str:
    """Explain a roll-up: how it combines, each ledger's value and as-of point, then each
    ledger's own explanation (its definition, events and arithmetic); ``ledgers=False``
    leaves those out (a report lists each ledger's figure on its own).

    Raises:
        ProjectionError: the language is not ``"zh"`` or ``"en"``.
    """
    check_language(language)
    t = _TEXT[language]
    sep = "：" if language == "zh" else ": "
    indicator = rollup.indicator
    combined = combined_text(rollup.combined, language)
    title = f"# {t['rollup']} {indicator.id} — {indicator.label}"
    if rollup.group:
        title += " [" + ", ".join(f"{k}={v}" for k, v in rollup.group) + "]"
    lines = [
        title,
        "",
        f"- {t['period']}{sep}{rollup.period.text(language)} "
        f"({rollup.period.start} – {rollup.period.end})",
        f"- {t['combined']}{sep}{combined}",
        "",
        f"{t['ledgers']} ({len(rollup.parts)})",
        "",
        t["columns"],
        "|---|---|---|---|---|",
    ]
    for part in rollup.parts:
        as_of = part.figure.as_of
        lines.append(
            f"| {part.ledger} | {part.origin} | {as_of.position} | {as_of.seal_root or ''} "
            f"| {format_value(part.figure.value) if part.figure.defined else t['undefined']} |"
        )
    lines += ["", f"{t['arithmetic']}{sep}{_arithmetic(rollup)}", ""]
    if rollup.value is None:
        lines.append(f"{t['value']}{sep}{t['undefined']} ({rollup.undefined_reason})")
    else:
        lines.append(f"{t['value']}{sep}{format_value(rollup.value)} {indicator.unit}")
    lines.append("")
    for part in rollup.parts if ledgers else ():
        lines += [f"## {t['ledger']} {part.ledger}", ""]
        # Each ledger's own explanation, its headings one level down.
        lines += ["#" + line if line.startswith("#") else line for line in _lines(part, language)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _lines(part: LedgerFigure, language: Language) -> list[str]:
    return explain(part.figure, language).splitlines()


def _arithmetic(rollup: RollupFigure) -> str:
    measure = rollup.indicator.measure
    if isinstance(measure, Ratio):
        num, den = rollup.numerator, rollup.denominator
        shown = [
            format_value(p.value) if p is not None and p.value is not None else "?"
            for p in (num, den)
        ]
        text = (
            f"{measure.numerator_id} ({shown[0]}) ÷ {measure.denominator_id} ({shown[1]}) "
            f"× {measure.factor}"
        )
        return text if rollup.value is None else f"{text} = {format_value(rollup.value)}"
    if isinstance(measure, Derived):
        written = rollup.combined.removesuffix(_OVER_OPERANDS)
        return f"{written} = {format_value(rollup.value) if rollup.defined else '?'}"
    if rollup.value is None:
        return "—"
    if isinstance(measure, Extreme):
        each = ", ".join(format_value(p.figure.value) for p in rollup.parts)
        return f"{measure.kind}({each}) = {format_value(rollup.value)}"
    if isinstance(measure, CountDistinct) and rollup.combined.startswith("distinct keys"):
        return f"|{' ∪ '.join(p.ledger for p in rollup.parts)}| = {format_value(rollup.value)}"
    values = [format_value(p.figure.value) for p in rollup.parts]
    return f"{' + '.join(values) or '0'} = {format_value(rollup.value)}"
