"""Measures as data: what an indicator does with the events that pass its filter.

``count``, ``count_distinct(field)``, ``sum(expression)``, ``latest(field)`` and
``ratio(numerator, denominator)``. Stock figures (organisations still active,
compounds still managed) are declared with ``removed_by``: the event types that
close what an opening event opened, matched by key for ``count_distinct`` and
subtracted for ``count`` and ``sum``. See ``docs/indicators.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from civicledger.errors import ValidationError
from civicledger.projections.expressions import (
    Arith,
    BinOp,
    Named,
    Quotient,
    parse_arith,
    parse_derived,
)
from civicledger.projections.fields import check_field_name, valid_field_name

if TYPE_CHECKING:
    from civicledger.projections.indicators import Indicator

__all__ = [
    "EXTREMES",
    "Count",
    "CountDistinct",
    "Derived",
    "Extreme",
    "Latest",
    "Measure",
    "Ratio",
    "Sum",
]


def _types(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    result = tuple(value)
    for name in result:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"removed_by must name event types, got {name!r}")
    return result


def _arith(value: Any) -> Arith:
    if isinstance(value, Arith):
        return value
    return parse_arith(value)


def _optional_arith(value: Any) -> Arith | None:
    return None if value is None else _arith(value)


def _optional_field(value: Any) -> str | None:
    return None if value is None else check_field_name(value)


def _minus(removed_by: Sequence[str]) -> str:
    return f" minus {', '.join(removed_by)}" if removed_by else ""


@attrs.frozen
class Count:
    """Each event that passes counts 1; each ``removed_by`` event that passes counts -1."""

    removed_by: tuple[str, ...] = attrs.field(default=(), converter=_types)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "count"

    def __str__(self) -> str:
        return "count" + _minus(self.removed_by)


@attrs.frozen
class CountDistinct:
    """The number of distinct values of ``field`` (each item, for a list field).

    With ``removed_by``, a closing event removes the values it names in
    ``removed_field`` (by default the same field) that are open at that point;
    the figure is then the number still open at the period's end.
    """

    field: str = attrs.field(validator=valid_field_name)
    removed_by: tuple[str, ...] = attrs.field(default=(), converter=_types)
    removed_field: str | None = attrs.field(default=None, converter=_optional_field)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "count_distinct"

    @property
    def closing_field(self) -> str:
        """The field of a closing event that names the values it removes."""
        return self.removed_field or self.field

    def __str__(self) -> str:
        text = f"count_distinct({self.field})" + _minus(self.removed_by)
        if self.removed_by and self.removed_field:
            text += f" by {self.removed_field}"
        return text


@attrs.frozen
class Sum:
    """The sum over passing events of ``expression`` (a field, or ``a * b``, ``a - b``).

    With ``removed_by``, passing closing events subtract ``removed_expression``
    (by default the same expression).
    """

    expression: Arith = attrs.field(converter=_arith)
    removed_by: tuple[str, ...] = attrs.field(default=(), converter=_types)
    removed_expression: Arith | None = attrs.field(default=None, converter=_optional_arith)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "sum"

    def __str__(self) -> str:
        text = f"sum({self.expression})" + _minus(self.removed_by)
        if self.removed_by and self.removed_expression is not None:
            text += f" by {self.removed_expression}"
        return text


@attrs.frozen
class Latest:
    """The value of ``field`` in the latest passing event (by date, then position)."""

    field: str = attrs.field(validator=valid_field_name)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "latest"

    def __str__(self) -> str:
        return f"latest({self.field})"


EXTREMES = ("max", "min")
"""The kinds of :class:`Extreme`."""


def _extreme_kind(_i: Any, _a: Any, value: Any) -> None:
    if value not in EXTREMES:
        raise ValidationError(f"an extreme is 'max' or 'min', not {value!r}", field="measure")


@attrs.frozen
class Extreme:
    """The largest (``max``) or smallest (``min``) value of ``field`` among passing events.

    The figure names the event that holds it: its one contribution. When several
    events share the extreme, the earliest (by date, then position) is named and
    its contribution's note says how many share it.
    """

    kind: str = attrs.field(validator=_extreme_kind)
    field: str = attrs.field(validator=valid_field_name)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return self.kind

    def __str__(self) -> str:
        return f"{self.kind}({self.field})"


def _part(value: Any) -> Indicator | str:
    from civicledger.projections.indicators import Indicator

    if isinstance(value, Indicator | str) and value:
        return value
    raise ValidationError(f"a ratio's parts must be indicators or indicator ids, got {value!r}")


def _positive(_i: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError(
            f"ratio {attribute.name} must be a non-negative integer, got {value!r}",
            field=attribute.name,
        )


@attrs.frozen
class Ratio:
    """``numerator / denominator × factor``, rounded half up to ``decimals`` places.

    The parts are indicators (or, in a set, their ids). A zero denominator gives
    a figure that is not defined (value None), never 0%.
    """

    numerator: Indicator | str = attrs.field(converter=_part)
    denominator: Indicator | str = attrs.field(converter=_part)
    factor: int = attrs.field(default=100, validator=_positive)
    decimals: int = attrs.field(default=2, validator=_positive)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "ratio"

    @property
    def numerator_id(self) -> str:
        """The numerator's indicator id."""
        return self.numerator if isinstance(self.numerator, str) else self.numerator.id

    @property
    def denominator_id(self) -> str:
        """The denominator's indicator id."""
        return self.denominator if isinstance(self.denominator, str) else self.denominator.id

    @property
    def resolved(self) -> bool:
        """Whether both parts are indicators (not bare ids)."""
        return not isinstance(self.numerator, str) and not isinstance(self.denominator, str)

    def quantum(self) -> Decimal:
        """The rounding unit (``Decimal("0.01")`` for two decimals)."""
        return Decimal(1).scaleb(-self.decimals)

    def __str__(self) -> str:
        return (
            f"ratio({self.numerator_id} / {self.denominator_id} × {self.factor}, "
            f"{self.decimals} decimals)"
        )


def _operands(value: Any) -> tuple[Indicator, ...]:
    from civicledger.projections.indicators import Indicator

    result = tuple(value)
    for operand in result:
        if not isinstance(operand, Indicator):
            raise ValidationError(f"a derived figure's operands must be indicators: {operand!r}")
    return result


def _derived_expression(value: Any) -> Arith:
    if isinstance(value, Arith):
        return value
    return parse_derived(value)


def divides(expression: Arith) -> bool:
    """Whether an expression divides (``/``, ``share``, ``growth``), so its value is rounded."""
    if isinstance(expression, Quotient | Named):
        return True
    if isinstance(expression, BinOp):
        return divides(expression.left) or divides(expression.right)
    return False


MAX_DERIVED_DECIMALS = 10
"""The most places a dividing derived figure may keep (a bound on hostile input)."""


def _places(_i: Any, _a: Any, value: Any) -> None:
    if type(value) is not int or not 0 <= value <= MAX_DERIVED_DECIMALS:
        raise ValidationError(
            f"derived decimals must be a whole number from 0 to {MAX_DERIVED_DECIMALS}, "
            f"got {value!r}",
            field="decimals",
        )


@attrs.frozen
class Derived:
    """A figure computed from other figures: ``a - b``, ``a / b * 100``, ``share(a, b)``.

    The expression names indicators of the same set by id, joined by ``+``,
    ``-``, ``*`` and ``/`` with integer or decimal constants and parentheses,
    and the named forms ``share(a, b)`` (a as a percentage of b) and
    ``growth(a, b)`` (the change from b to a, in percent). Its lineage is every
    operand's figure. ``operands`` holds the indicators once a set resolves
    the ids (in Python, pass them yourself).

    The arithmetic is exact; an expression that divides is rounded once, at
    the end, to ``decimals`` places by the indicator's rounding mode (as a
    ratio is). Dividing by zero makes the figure not defined, never a crash.
    """

    expression: Arith = attrs.field(converter=_derived_expression)
    operands: tuple[Indicator, ...] = attrs.field(default=(), converter=_operands)
    decimals: int = attrs.field(default=2, validator=_places, kw_only=True)

    @property
    def name(self) -> str:
        """The measure's keyword in TOML."""
        return "derived"

    @property
    def operand_ids(self) -> tuple[str, ...]:
        """The indicator ids the expression names, sorted."""
        return tuple(sorted(self.expression.fields()))

    @property
    def resolved(self) -> bool:
        """Whether every id the expression names has its indicator in ``operands``."""
        return {o.id for o in self.operands} >= set(self.operand_ids)

    @property
    def divides(self) -> bool:
        """Whether the expression divides, so that the value is rounded to ``decimals``."""
        return divides(self.expression)

    def __str__(self) -> str:
        if self.divides:
            return f"derived({self.expression}, {self.decimals} decimals)"
        return f"derived({self.expression})"


Measure: TypeAlias = Count | CountDistinct | Sum | Latest | Extreme | Ratio | Derived
"""Any measure."""
