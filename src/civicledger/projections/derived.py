"""Derived figures: arithmetic over other figures, with every operand as lineage.

``problems.open = problems.found - problems.done`` is computed from the two
operand figures of the same period and group. Its lineage is the operands
themselves (``Figure.operands``), so each one's events and derivation can be
shown, and a difference's contributions are exactly its operands'.

Division (``/``, ``share``, ``growth``) is exact: the whole expression is
worked out on fractions and rounded once, at the end, to the measure's
decimals by the indicator's rounding mode. Dividing by zero leaves the figure
not defined, with the reason and a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from civicledger.errors import ProjectionError
from civicledger.projections.expressions import Arith, BinOp, Const, FieldRef, Named, Quotient
from civicledger.projections.figures import AsOf, Figure, Number
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import Count, CountDistinct, Derived, Sum
from civicledger.projections.periods import Period
from civicledger.projections.rounding import RoundingMode, round_fraction

__all__ = [
    "DivisionByZero",
    "derived_figures",
    "derived_outcome",
    "derived_value",
    "evaluate",
    "named_parts",
    "written_out",
]

_N = TypeVar("_N", int, Decimal, Fraction)


class DivisionByZero(ArithmeticError):
    """A derived figure's expression divides by zero; ``divisor`` is the part that is 0."""

    def __init__(self, divisor: Arith) -> None:
        super().__init__(f"{divisor} is 0")
        self.divisor = divisor


def evaluate(expression: Arith, values: Mapping[str, _N]) -> _N:
    """The expression's value with each indicator id read from ``values``.

    Division needs fractions (``values`` of ``Fraction``): see :func:`derived_value`.

    Raises:
        DivisionByZero: a divisor (of ``/``, ``share`` or ``growth``) is 0.
    """
    if isinstance(expression, Const):
        return expression.value  # type: ignore[return-value]
    if isinstance(expression, FieldRef):
        return values[expression.name]
    if not isinstance(expression, BinOp | Quotient | Named):
        raise ProjectionError(f"cannot evaluate {expression!r}")
    left, right = evaluate(expression.left, values), evaluate(expression.right, values)
    if isinstance(expression, BinOp):
        if expression.op == "+":
            return left + right
        return left - right if expression.op == "-" else left * right
    if right == 0:
        raise DivisionByZero(expression.right)
    if isinstance(expression, Quotient):
        return left / right  # type: ignore[return-value]
    if expression.form == "share":
        return left * 100 / right  # type: ignore[return-value]
    return (left - right) * 100 / right  # type: ignore[return-value]


def derived_value(
    measure: Derived, values: Mapping[str, Number], rounding: RoundingMode = "half-up"
) -> Number:
    """A derived measure's value: exact, and rounded once when the expression divides.

    Raises:
        DivisionByZero: a divisor is 0.
    """
    if not measure.divides:
        return evaluate(measure.expression, values)  # type: ignore[type-var]
    exact = evaluate(measure.expression, {k: Fraction(v) for k, v in values.items()})
    units = round_fraction(Fraction(exact), measure.decimals, rounding)
    return Decimal(units).scaleb(-measure.decimals)


def derived_outcome(
    measure: Derived, values: Mapping[str, Number], rounding: RoundingMode
) -> tuple[Number | None, str | None]:
    """The value, or None and why not (a division by zero); shared with roll-ups."""
    try:
        return derived_value(measure, values, rounding), None
    except DivisionByZero as e:
        return None, f"division by zero: {e.divisor} is 0"


def written_out(expression: Arith, values: Mapping[str, str]) -> str:
    """The expression with each operand's value after its id: ``a (12) - b (9)``."""
    shown = str(expression)
    # Longest ids first, so that "a.b" inside "a.bc" is never replaced.
    for ident in sorted(values, key=len, reverse=True):
        pattern = rf"(?<![\w.]){re.escape(ident)}(?![\w.(])"
        shown = re.sub(pattern, f"{ident} ({values[ident]})", shown)
    return shown


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
        value = None
        if reason is None:
            value, reason = derived_outcome(measure, values, indicator.rounding)
            if reason is not None:
                notes.append(
                    f"{reason.removeprefix('division by zero: ')} here, so the "
                    "quotient is not defined"
                )
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


def named_parts(figure: Figure, form: str) -> tuple[Figure, Figure] | None:
    """The two operand figures of a figure declared exactly as ``form(a, b)``, else None.

    A report phrases ``share(a, b)`` as a rate of a over b (达91.30%) and
    ``growth(a, b)`` as the change from b to a (同比增长6.00%) from these two.
    """
    measure = figure.indicator.measure
    if not isinstance(measure, Derived):
        return None
    expression = measure.expression
    if not (isinstance(expression, Named) and expression.form == form):
        return None
    if not (isinstance(expression.left, FieldRef) and isinstance(expression.right, FieldRef)):
        return None
    by_id = {o.id: o for o in figure.operands}
    left, right = by_id.get(expression.left.name), by_id.get(expression.right.name)
    return None if left is None or right is None else (left, right)
