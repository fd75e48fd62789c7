"""Exact sums of ``Decimal`` amounts in SQL, as whole numbers scaled by a power of ten.

A ``Decimal`` payload field is stored as JSON text (``"1.5"``). The engine adds
the decoded values with Python's ``Decimal``, whose result keeps the smallest
exponent it met (``1.5 + 2.25`` is ``3.75``, ``0 + 2.50`` is ``2.50``).
Neither database may add such text as floating point, and SQLite has no
decimal type at all; so each amount is read as its digits without the point
(``"2.50"`` → 250) and its scale (2), summed per scale (SQLite integers,
PostgreSQL ``numeric``), and the per-scale totals are combined here exactly,
with the exponent the engine's sum would have.

Only products of fields and integer constants are compiled (``hours``,
``volunteers * hours``): their scale is the sum of their factors' scales, as
a ``Decimal`` product's exponent is. A stored text that is not plain digits
(an exponent, a sign other than a leading minus, too many digits for a SQLite
integer) makes the whole computation fall back to the engine, which
reproduces whatever the decoder does with it; so does a SQLite integer
overflow, and a total too long for the ``Decimal`` context's precision
(where Python would round and SQL would not).
"""

from __future__ import annotations

import decimal
import types
import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer, Numeric, case, cast, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from civicledger.projections.expressions import Arith, BinOp, Const, FieldRef
from civicledger.pushdown.compiler import extract_value
from civicledger.pushdown.fields import NotPushable, payload_field
from civicledger.store.sql.derived import payload_jsonb
from civicledger.store.sql.schema import events

__all__ = ["ScaledAmount", "exact_total", "number_kind", "scaled_amount"]

_SQLITE_DIGITS = 18
"""The most digits a stored decimal may have on SQLite: any 18-digit number fits a 64-bit
integer (SQLite's CAST would clamp a longer one silently)."""


class ScaledAmount:
    """An amount as SQL: its digits as a whole number, its scale, and when its text is unusable.

    Attributes:
        scaled: the amount times ten to the power of its scale, a whole number.
        scale: how many decimal places the amount has (a whole number >= 0).
        present: the fields that must not be null for the event to count (a missing
            field makes the engine skip the event).
        bad: true for a row whose stored text is not a plain decimal.
    """

    def __init__(
        self,
        scaled: ColumnElement[Any],
        scale: ColumnElement[Any],
        present: list[ColumnElement[Any]],
        bad: ColumnElement[bool],
    ) -> None:
        self.scaled = scaled
        self.scale = scale
        self.present = present
        self.bad = bad


def _decimal_field(dialect: str, name: str) -> tuple[Any, Any, Any, Any]:
    """A stored decimal's (text, digits as a number, scale, bad) SQL expressions."""
    if dialect == "sqlite":
        text: ColumnElement[Any] = func.json_extract(events.c.payload, "$." + name)
        point = func.instr(text, ".")
        digits = cast(func.replace(text, ".", ""), Integer)
        glob = text.op("GLOB")
        bad = or_(
            func.typeof(text) != "text",
            glob("*[^0-9.-]*"),  # an exponent, a plus sign, spaces, NaN
            glob("*.*.*"),
            glob("?*-*"),  # a minus sign after the first character
            ~glob("*[0-9]*"),
            func.length(text) > _SQLITE_DIGITS,
        )
    else:
        stored = payload_jsonb()[name]
        text = stored.astext
        point = func.strpos(text, ".")
        digits = cast(func.replace(text, ".", ""), Numeric)
        bad = or_(
            func.jsonb_typeof(stored) != "string",
            ~text.regexp_match(r"^-?[0-9]*\.?[0-9]*$"),
            ~text.regexp_match("[0-9]"),
        )
    scale = case((point > 0, func.length(text) - point), else_=0)
    return text, digits, scale, bad


def number_kind(annotation: Any) -> str | None:
    """``int`` or ``decimal`` for a (maybe optional) integer or ``Decimal`` annotation, else None.

    A boolean is neither: the engine's arithmetic reads a yes/no field as missing.
    """
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) != 1:
            return None
        annotation = inner[0]
    if annotation is int:
        return "int"
    if annotation is Decimal:
        return "decimal"
    return None


def scaled_amount(dialect: str, arith: Arith, hints: Mapping[str, Any]) -> ScaledAmount | None:
    """A product of decimal fields, integer fields and integer constants as a scaled amount.

    Args:
        dialect: ``sqlite`` or ``postgresql``.
        arith: the sum's expression.
        hints: the event type's field annotations.

    Returns:
        The amount, or None when the expression is not such a product or reads no
        decimal field (integer sums have their own, simpler aggregate).
    """
    factors = _factors(arith)
    if factors is None:
        return None
    # PostgreSQL multiplies in numeric from the first factor on (bigint products of two
    # integer fields could overflow); SQLite's integer overflow turns into a float, which
    # exact_total refuses.
    scaled: ColumnElement[Any] = literal(1, BigInteger)
    if dialect != "sqlite":
        scaled = cast(scaled, Numeric)
    scale: ColumnElement[Any] = literal(0, BigInteger)
    present: list[ColumnElement[Any]] = []
    bad: list[ColumnElement[bool]] = []
    for factor in factors:
        if isinstance(factor, Const):
            scaled = scaled * literal(factor.value, BigInteger)
            continue
        try:
            name = payload_field(factor.name)
        except NotPushable:
            return None
        kind = number_kind(hints[name]) if name is not None and name in hints else None
        if name is None or kind is None:
            return None
        if kind == "int":
            value = extract_value(dialect, name)
            if dialect != "sqlite":
                value = cast(payload_jsonb()[name].astext, Numeric)
            scaled = scaled * value
            present.append(value)
            continue
        text, digits, field_scale, field_bad = _decimal_field(dialect, name)
        scaled = scaled * digits
        scale = scale + field_scale
        present.append(text)
        bad.append(field_bad)
    if not bad:
        return None
    return ScaledAmount(scaled, scale, present, or_(*bad))


def _factors(arith: Arith) -> list[FieldRef | Const] | None:
    """The factors of a product of fields and integer constants, or None."""
    if isinstance(arith, FieldRef):
        return [arith]
    if isinstance(arith, Const):
        return [arith] if type(arith.value) is int else None
    if isinstance(arith, BinOp) and arith.op == "*":
        left, right = _factors(arith.left), _factors(arith.right)
        return None if left is None or right is None else left + right
    return None


def exact_total(totals: Iterable[tuple[int, int, Any, Any]]) -> Decimal:
    """The engine's ``Decimal`` sum of scaled amounts, from per-scale totals.

    Args:
        totals: (sign, scale, sum of scaled amounts, sum of their absolute values),
            one per part and scale that counted at least one event.

    Returns:
        The sum, with the exponent a Python sum of the decoded amounts ends with (minus
        the largest scale: 0 + 1.5 + 2.25 is 3.75).

    Raises:
        NotPushable: a total is not a whole number (a SQLite product overflowed into a
            float), or the sum is too long for the ``Decimal`` context (Python would round).
    """
    rows = list(totals)
    largest = max(scale for _, scale, _, _ in rows)
    coefficient = 0
    bound = 0
    for sign, scale, total, magnitude in rows:
        whole, size = _whole(total), _whole(magnitude)
        shift = 10 ** (largest - int(scale))
        coefficient += sign * whole * shift
        bound += size * shift
    # Every partial sum and every amount the engine adds is at most ``bound`` in units of
    # the last place: when that fits the context's precision, no step of it rounds.
    if len(str(bound)) > decimal.getcontext().prec:
        raise NotPushable("a decimal sum longer than the Decimal context's precision")
    digits = tuple(int(d) for d in str(abs(coefficient)))
    return Decimal((1 if coefficient < 0 else 0, digits, -largest))


def _whole(value: Any) -> int:
    """A per-scale total as an int (SQLite gives int, PostgreSQL a ``Decimal`` whole number)."""
    if type(value) is int:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise NotPushable(f"a scaled decimal total {value!r} is not a whole number")
