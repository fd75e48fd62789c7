"""Derived figures: arithmetic over other figures, with every operand as lineage.

``problems.open = problems.found - problems.done`` is computed from the two
operand figures of the same period and group. Its lineage is the operands
themselves (``Figure.operands``), so each one's events and derivation can be
shown, and a difference's contributions are exactly its operands'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from civicledger.errors import ProjectionError
from civicledger.projections.expressions import Arith, BinOp, Const, FieldRef
from civicledger.projections.figures import AsOf, Figure, Number
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, CountDistinct, Derived, Sum
from civicledger.projections.periods import Period

__all__ = ["derived_figures", "evaluate"]


def evaluate(expression: Arith, values: Mapping[str, Number]) -> Number:
    """The expression's value with each indicator id read from ``values``."""
    if isinstance(expression, Const):
        return expression.value
    if isinstance(expression, FieldRef):
        return values[expression.name]
    if isinstance(expression, BinOp):
        left, right = evaluate(expression.left, values), evaluate(expression.right, values)
        if expression.op == "+":
            return left + right
        return left - right if expression.op == "-" else left * right
    raise ProjectionError(f"cannot evaluate {expression!r}")


def _additive(indicator: Indicator) -> bool:
    """Whether a group with no events is 0 for this indicator (counts and sums)."""
    return isinstance(indicator.measure, Count | CountDistinct | Sum)


def derived_figures(
    indicator: Indicator,
    period: Period,
    operands: Sequence[Sequence[Figure]],
    as_of: AsOf,
) -> list[Figure]:
    """The figures of a derived indicator from its operands' figures (one list per operand).

    Groups pair up as for ratios: a grouped operand gives each of its groups, an
    ungrouped one is shared by every group. A count or sum with no figure for a
    group is 0 there (no event counted); any other operand missing, or not
    defined, makes the derived figure not defined, with the reason.
    """
    measure = indicator.measure
    assert isinstance(measure, Derived)
    by_group = [{f.group: f for f in figures} for figures in operands]
    grouped = sorted({g for table in by_group for g in table if g})
    result = []
    for group in grouped or [()]:
        chosen: list[Figure] = []
        values: dict[str, Number] = {}
        notes: list[str] = []
        reason = None
        for operand, table in zip(measure.operands, by_group, strict=True):
            found = table.get(group) or (table.get(()) if not operand.group_by else None)
            if found is None and _additive(operand):
                # No event of this group counted: the count or sum is 0 here.
                values[operand.id] = 0
                notes.append(f"{operand.id} has no event in this group and counts as 0")
            elif found is None:
                reason = reason or f"the operand {operand.id} has no figure for this group"
            elif found.value is None:
                why = found.undefined_reason
                reason = reason or f"the operand {operand.id} is not defined ({why})"
            else:
                values[operand.id] = found.value
            if found is not None:
                chosen.append(found)
        value = evaluate(measure.expression, values) if reason is None else None
        result.append(
            Figure(
                indicator=indicator,
                period=period,
                value=value,
                as_of=as_of,
                group=group,
                operands=tuple(chosen),
                undefined_reason=reason,
                notes=tuple(notes),
            )
        )
    return result
