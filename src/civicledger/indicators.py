"""Declarative indicators: define them in Python or TOML, compute them with a Ledger.

Example::

    from civicledger import indicators as ind

    trainees = ind.Indicator(
        id="employment.reemployment_trainees", label="再就业培训人数", unit="人",
        source=["training_held"], where=ind.eq("programme", "reemployment"),
        measure=ind.sum("attendees"),
    )
    indicator_set = ind.load("examples/community_2023/indicators.toml")
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from civicledger.projections.expressions import parse_filter
from civicledger.projections.filters import And, Compare, Filter, In, Not, Or, Predicate, Scalar
from civicledger.projections.indicators import Indicator, IndicatorSet, ValidationRule
from civicledger.projections.matching import Between, Contains, StartsWith
from civicledger.projections.measures import (
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Ratio,
    Sum,
)
from civicledger.projections.toml import dump, dumps, loads
from civicledger.projections.toml import load as _load

__all__ = [
    "Filter",
    "Indicator",
    "IndicatorSet",
    "ValidationRule",
    "all_of",
    "any_of",
    "between",
    "contains",
    "count",
    "count_distinct",
    "derived",
    "dump",
    "dumps",
    "eq",
    "ge",
    "gt",
    "in_",
    "latest",
    "le",
    "load",
    "loads",
    "lt",
    "max_",
    "min_",
    "ne",
    "not_",
    "parse_filter",
    "predicate",
    "ratio",
    "startswith",
    "sum",
]


def load(path: str | Path) -> IndicatorSet:
    """Read an indicator set from a TOML file.

    Args:
        path: the ``indicators.toml`` file.

    Returns:
        The set, with ratio parts resolved.

    Raises:
        ValidationError: the file is unreadable or invalid; the message names the
            file, line and field.
    """
    return _load(path)


def count(*, removed_by: Sequence[str] = ()) -> Count:
    """Count passing events (closing ``removed_by`` events count -1)."""
    return Count(removed_by=tuple(removed_by))


def count_distinct(
    field: str, *, removed_by: Sequence[str] = (), removed_field: str | None = None
) -> CountDistinct:
    """Count distinct values of ``field``; with ``removed_by``, those still open."""
    return CountDistinct(field, removed_by=tuple(removed_by), removed_field=removed_field)


def sum(
    expression: str, *, removed_by: Sequence[str] = (), removed_expression: str | None = None
) -> Sum:
    """Sum ``expression`` (a field, or e.g. ``"participants * hours"``) over passing events."""
    return Sum(expression, removed_by=tuple(removed_by), removed_expression=removed_expression)


def derived(expression: str, *operands: Indicator, decimals: int = 2) -> Derived:
    """A figure computed from others: ``derived("a.found - a.done")``,
    ``derived("share(a.done, a.found)")``; in a set the ids are resolved, outside one
    pass the operand indicators. An expression that divides is rounded to ``decimals``."""
    return Derived(expression, operands, decimals=decimals)


def max_(field: str) -> Extreme:
    """The largest value of ``field``; the figure names the event holding it."""
    return Extreme("max", field)


def min_(field: str) -> Extreme:
    """The smallest value of ``field``; the figure names the event holding it."""
    return Extreme("min", field)


def latest(field: str) -> Latest:
    """The value of ``field`` in the latest passing event."""
    return Latest(field)


def ratio(
    numerator: Indicator | str,
    denominator: Indicator | str,
    *,
    factor: int = 100,
    decimals: int = 2,
) -> Ratio:
    """``numerator / denominator × factor`` rounded half up to ``decimals`` places."""
    return Ratio(numerator, denominator, factor, decimals)


def eq(field: str, value: Scalar) -> Compare:
    """``field == value``."""
    return Compare(field, "==", value)


def ne(field: str, value: Scalar) -> Compare:
    """``field != value``."""
    return Compare(field, "!=", value)


def lt(field: str, value: int | Decimal | date | str) -> Compare:
    """``field < value``."""
    return Compare(field, "<", value)


def le(field: str, value: int | Decimal | date | str) -> Compare:
    """``field <= value``."""
    return Compare(field, "<=", value)


def gt(field: str, value: int | Decimal | date | str) -> Compare:
    """``field > value``."""
    return Compare(field, ">", value)


def ge(field: str, value: int | Decimal | date | str) -> Compare:
    """``field >= value``."""
    return Compare(field, ">=", value)


def in_(field: str, values: Sequence[Scalar]) -> In:
    """``field in [values]``."""
    return In(field, builtins.tuple(values))


def startswith(field: str, prefix: str) -> StartsWith:
    """``field startswith "prefix"``: a text field beginning with the prefix."""
    return StartsWith(field, prefix)


def contains(field: str, value: Scalar) -> Contains:
    """``field contains value``: a substring of a text field, or an item of a list field."""
    return Contains(field, value)


def between(
    field: str, low: int | Decimal | date | str, high: int | Decimal | date | str
) -> Between:
    """``field between low and high``: both ends included."""
    return Between(field, low, high)


def all_of(*clauses: Filter) -> Filter:
    """Every clause holds (``and``); one clause is returned as it is."""
    return clauses[0] if len(clauses) == 1 else And(clauses)


def any_of(*clauses: Filter) -> Filter:
    """At least one clause holds (``or``); one clause is returned as it is."""
    return clauses[0] if len(clauses) == 1 else Or(clauses)


def not_(clause: Filter) -> Not:
    """The clause does not hold."""
    return Not(clause)


predicate = Predicate
"""Wrap a Python callable ``(RecordedEvent) -> bool`` as a filter (cannot be saved to TOML)."""
