"""Evaluating validation rules between indicators over computed figures (DHIS2 style).

Rules are reported, never used to change a figure: a failed rule means a record
or a definition needs a look, and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from civicledger.projections.expressions import Arith, BinOp, Const, FieldRef
from civicledger.projections.figures import Figure, Number, json_value
from civicledger.projections.filters import compare
from civicledger.projections.indicators import IndicatorSet, ValidationRule
from civicledger.projections.periods import Period

__all__ = ["RuleResult", "check_rules"]


@attrs.frozen
class RuleResult:
    """The outcome of one rule for one period and group.

    Attributes:
        rule: the rule.
        period: the period checked.
        group: the group checked (empty for ungrouped figures).
        left: the left side's value, or None if a figure on it is not defined.
        right: the right side's value, or None likewise.
        passed: True or False; None when a side could not be computed.
        figures: the figures the rule read, by indicator id.
    """

    rule: ValidationRule
    period: Period
    group: tuple[tuple[str, str], ...]
    left: Number | None
    right: Number | None
    passed: bool | None
    figures: tuple[Figure, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "rule": self.rule.id,
            "check": str(self.rule),
            "description": self.rule.description,
            "period": self.period.key,
            "group": dict(self.group),
            "left": json_value(self.left),
            "right": json_value(self.right),
            "passed": self.passed,
        }

    def __str__(self) -> str:
        verdict = {True: "passed", False: "FAILED", None: "not evaluated"}[self.passed]
        within = "" if self.rule.tolerance is None else f" ± {format(self.rule.tolerance, 'f')}"
        return (
            f"{self.rule.id} [{self.period.key}] {self.rule}{within}: "
            f"{json_value(self.left)} {self.rule.op} {json_value(self.right)} — {verdict}"
        )


def _evaluate(node: Arith, values: dict[str, Number | None]) -> Number | None:
    if isinstance(node, FieldRef):
        return values.get(node.name)
    if isinstance(node, Const):
        return node.value
    assert isinstance(node, BinOp)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if left is None or right is None:
        return None
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    return left * right


def _verdict(rule: ValidationRule, left: Number | None, right: Number | None) -> bool | None:
    """Whether the sides satisfy the rule (within its tolerance); None if one is missing."""
    if left is None or right is None:
        return None
    if rule.tolerance is not None:
        return abs(Decimal(left) - Decimal(right)) <= rule.tolerance
    return compare(rule.op, Decimal(left), Decimal(right))


def check_rules(indicator_set: IndicatorSet, figures: Iterable[Figure]) -> list[RuleResult]:
    """Evaluate every rule of the set for every (period, group) the figures cover.

    A rule is evaluated for a period and group when at least one of its
    indicators has a figure there; a missing figure counts as not defined.

    Args:
        indicator_set: the set whose rules to check.
        figures: figures computed for that set.

    Returns:
        The results, in rule order, then period order, then group order.
    """
    figures = list(figures)
    table: dict[tuple[Period, tuple[tuple[str, str], ...]], dict[str, Figure]] = {}
    for figure in figures:
        table.setdefault((figure.period, figure.group), {})[figure.indicator.id] = figure
    results = []
    for rule in indicator_set.rules:
        ids = rule.indicator_ids()
        grouped = {i for i in ids if indicator_set[i].group_by}
        if grouped and ids - grouped:
            results.extend(_check_totals(rule, indicator_set, figures, grouped))
            continue
        for (period, group), by_id in sorted(
            table.items(), key=lambda item: (item[0][0].start, item[0][0].end, item[0][1])
        ):
            if not ids & by_id.keys():
                continue
            values: dict[str, Number | None] = {
                i: (by_id[i].value if i in by_id else None) for i in ids
            }
            left, right = _evaluate(rule.left, values), _evaluate(rule.right, values)
            passed = _verdict(rule, left, right)
            used = tuple(by_id[i] for i in sorted(ids) if i in by_id)
            results.append(RuleResult(rule, period, group, left, right, passed, used))
    return results


def _check_totals(
    rule: ValidationRule,
    indicator_set: IndicatorSet,
    figures: list[Figure],
    grouped: set[str],
) -> list[RuleResult]:
    """A rule naming grouped beside ungrouped indicators: each grouped one is its groups' sum.

    ``inspection.passed_by_level == inspection.total`` checks that the groups
    add up to the total, once per period. Only a count or sum adds up: a grouped
    indicator with another measure (or an undefined group) leaves its side None.
    A grouped count or sum with no figure in the period (no event) sums to 0.
    """
    ids = rule.indicator_ids()
    periods = sorted(
        {f.period for f in figures if f.indicator.id in ids}, key=lambda p: (p.start, p.end)
    )
    results = []
    for period in periods:
        mine = [f for f in figures if f.period == period and f.indicator.id in ids]
        values: dict[str, Number | None] = {}
        for ident in ids:
            parts = [f for f in mine if f.indicator.id == ident]
            if ident in grouped:
                # Distinct counts need not add up (one value may sit in two groups).
                additive = indicator_set[ident].adds_up
                known = [f.value for f in parts if f.value is not None]
                values[ident] = sum(known) if additive and len(known) == len(parts) else None
            else:
                values[ident] = parts[0].value if parts else None
        left, right = _evaluate(rule.left, values), _evaluate(rule.right, values)
        passed = _verdict(rule, left, right)
        used = tuple(sorted(mine, key=lambda f: (f.indicator.id, f.group)))
        results.append(RuleResult(rule, period, (), left, right, passed, used))
    return results
