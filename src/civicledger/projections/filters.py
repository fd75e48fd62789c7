"""Filters as data: comparisons, membership and and/or/not over event fields.

A filter prints as a readable expression (``str(f)``), parses back from that
text (:func:`civicledger.projections.expressions.parse_filter`), compares by
value, and tells which clause an event failed and with what value. Because a
filter is data, an explanation can show it, a TOML file can hold it, and a SQL
backend could compile it. :class:`Predicate` wraps a Python callable as an
escape hatch; it is named in explanations but cannot be saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from civicledger.errors import ProjectionError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.fields import MISSING, getter, valid_field_name

__all__ = [
    "OPERATORS",
    "And",
    "Compare",
    "Failure",
    "Filter",
    "In",
    "Not",
    "Or",
    "Predicate",
    "Scalar",
    "format_value",
]

Scalar: TypeAlias = str | int | Decimal | bool | date | None
"""A literal a filter compares with. Floats are refused (use Decimal)."""

Operator: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
OPERATORS: tuple[Operator, ...] = ("==", "!=", "<", "<=", ">", ">=")

Test = Callable[[RecordedEvent], bool]


def format_value(value: Any) -> str:
    """Print a literal the way the filter language reads it back."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if "." in text else text + ".0"
    if isinstance(value, date):
        return value.isoformat()
    if value is MISSING:
        return "(missing)"
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def _check_scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, float):
        raise ValidationError(f"{where}: floats are not allowed; use int or Decimal", field=where)
    if value is None or isinstance(value, str | int | Decimal | date):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError(f"{where}: {value} is not a finite number", field=where)
        return value
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return str(value.value)  # a vocabulary member: compare by its stored key
    raise ValidationError(
        f"{where}: {value!r} is not a string, integer, Decimal, boolean, date or null",
        field=where,
    )


def _scalar(value: Any) -> Scalar:
    return _check_scalar(value, "filter value")


def _ordered(actual: Any, expected: Any) -> bool:
    """Whether actual and expected may be ordered against each other."""
    if isinstance(actual, bool) or isinstance(expected, bool) or actual is None:
        return False
    if expected is None:
        return False
    if isinstance(expected, int | Decimal):
        return isinstance(actual, int | Decimal)
    return type(actual) is type(expected)


def _same_kind(actual: Any, expected: Any) -> bool:
    """Whether an equality test is meaningful (True is not 1; "1" is not 1)."""
    if expected is None or actual is None:
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool)
    if isinstance(expected, int | Decimal):
        return isinstance(actual, int | Decimal)
    return type(actual) is type(expected)


def compare(op: Operator, actual: Any, expected: Any) -> bool:
    """Apply one comparison with the filter language's rules.

    A field the event lacks satisfies no comparison; values of different kinds
    are never equal and never ordered (so ``"3" < 4`` is simply false).
    """
    if actual is MISSING:
        return False
    if op == "==":
        return _same_kind(actual, expected) and bool(actual == expected)
    if op == "!=":
        return not (_same_kind(actual, expected) and bool(actual == expected))
    if not _ordered(actual, expected):
        return False
    if op == "<":
        return bool(actual < expected)
    if op == "<=":
        return bool(actual <= expected)
    if op == ">":
        return bool(actual > expected)
    return bool(actual >= expected)


@attrs.frozen
class Failure:
    """Why an event did not pass a filter: the clause that failed and the event's value.

    Attributes:
        clause: the innermost clause that decided the failure.
        field: the field that clause reads, if any.
        value: the event's value of that field (MISSING if it has none).
    """

    clause: Filter
    field: str | None
    value: Any


class Filter:
    """Base of every filter; combine filters with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def test(self, record: RecordedEvent) -> bool:
        """Whether the event passes the filter."""
        return self.compile()(record)

    def compile(self) -> Test:
        """A fast test function for the filter (built once per filter)."""
        raise NotImplementedError

    def failure(self, record: RecordedEvent) -> Failure | None:
        """Why the event fails the filter, or None if it passes."""
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """Every field name the filter reads."""
        raise NotImplementedError

    def savable(self) -> bool:
        """Whether the filter can be written to TOML (no Python callables inside)."""
        return True

    def __and__(self, other: Filter) -> And:
        return And((self, other))

    def __or__(self, other: Filter) -> Or:
        return Or((self, other))

    def __invert__(self) -> Not:
        return Not(self)


def _compiled(instance: Any) -> Test:
    cached: Test | None = instance._test
    if cached is None:
        cached = instance._build()
        object.__setattr__(instance, "_test", cached)
    return cached


@attrs.frozen(slots=True)
class Compare(Filter):
    """``field op value``, e.g. ``attendees >= 10`` or ``program == "reemployment"``."""

    field: str = attrs.field(validator=valid_field_name)
    op: Operator = attrs.field()
    value: Scalar = attrs.field(converter=_scalar)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    @op.validator
    def _check_op(self, _: Any, op: str) -> None:
        if op not in OPERATORS:
            raise ValidationError(f"operator {op!r} is not one of {', '.join(OPERATORS)}")
        if op not in ("==", "!=") and (self.value is None or isinstance(self.value, bool)):
            raise ValidationError(f"{self.field} {op} {format_value(self.value)}: cannot order")

    def _build(self) -> Test:
        read, op, expected = getter(self.field), self.op, self.value
        if op == "==" and isinstance(expected, str):
            # The common case (a vocabulary key) gets the shortest path.
            return lambda r: read(r) == expected
        return lambda r: compare(op, read(r), expected)

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        return Failure(self, self.field, getter(self.field)(record))

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def __str__(self) -> str:
        return f"{self.field} {self.op} {format_value(self.value)}"


def _values(values: Any) -> tuple[Scalar, ...]:
    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise ValidationError(f"'in' needs a list of values, got {values!r}")
    result = tuple(_check_scalar(v, "filter value") for v in values)
    if not result:
        raise ValidationError("'in' needs at least one value")
    return result


@attrs.frozen(slots=True)
class In(Filter):
    """``field in [v1, v2, ...]``: the field equals one of the values."""

    field: str = attrs.field(validator=valid_field_name)
    values: tuple[Scalar, ...] = attrs.field(converter=_values)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        read, values = getter(self.field), self.values
        if all(isinstance(v, str) for v in values):
            allowed = frozenset(values)
            return lambda r: (v := read(r)) is not MISSING and isinstance(v, str) and v in allowed
        return lambda r: any(compare("==", read(r), v) for v in values)

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        return Failure(self, self.field, getter(self.field)(record))

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def __str__(self) -> str:
        return f"{self.field} in {format_value(self.values)}"


def _clauses(clauses: Any) -> tuple[Filter, ...]:
    result = tuple(clauses)
    if len(result) < 2:
        raise ValidationError("'and' and 'or' need at least two clauses")
    for clause in result:
        if not isinstance(clause, Filter):
            raise ValidationError(f"{clause!r} is not a filter")
    return result


def _child_text(clause: Filter) -> str:
    return f"({clause})" if isinstance(clause, And | Or) else str(clause)


@attrs.frozen(slots=True)
class And(Filter):
    """Every clause holds."""

    clauses: tuple[Filter, ...] = attrs.field(converter=_clauses)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        tests = tuple(c.compile() for c in self.clauses)
        return lambda r: all(t(r) for t in tests)

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        for clause in self.clauses:
            failed = clause.failure(record)
            if failed is not None:
                return failed
        return None

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(c.fields() for c in self.clauses))

    def savable(self) -> bool:
        return all(c.savable() for c in self.clauses)

    def __str__(self) -> str:
        return " and ".join(_child_text(c) for c in self.clauses)


@attrs.frozen(slots=True)
class Or(Filter):
    """At least one clause holds."""

    clauses: tuple[Filter, ...] = attrs.field(converter=_clauses)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        tests = tuple(c.compile() for c in self.clauses)
        return lambda r: any(t(r) for t in tests)

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        # Every alternative failed: the whole disjunction is the clause to show.
        first = self.clauses[0].failure(record)
        return Failure(self, first.field if first else None, first.value if first else MISSING)

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(c.fields() for c in self.clauses))

    def savable(self) -> bool:
        return all(c.savable() for c in self.clauses)

    def __str__(self) -> str:
        return " or ".join(_child_text(c) for c in self.clauses)


def _filter(value: Any) -> Filter:
    if not isinstance(value, Filter):
        raise ValidationError(f"{value!r} is not a filter")
    return value


@attrs.frozen(slots=True)
class Not(Filter):
    """The clause does not hold."""

    clause: Filter = attrs.field(converter=_filter)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        test = self.clause.compile()
        return lambda r: not test(r)

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        inner = self.clause
        field = getattr(inner, "field", None)  # any one-field clause (Compare, In, matches)
        return Failure(self, field, getter(field)(record) if field else MISSING)

    def fields(self) -> frozenset[str]:
        return self.clause.fields()

    def savable(self) -> bool:
        return self.clause.savable()

    def __str__(self) -> str:
        return f"not ({self.clause})"


@attrs.frozen(slots=True)
class Predicate(Filter):
    """A Python callable as a filter: the escape hatch for what the language cannot say.

    It is named in explanations by its qualified name and docstring, but it cannot
    be saved to TOML, and a SQL backend cannot push it down.
    """

    function: Callable[[RecordedEvent], bool]
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        function = self.function
        return lambda r: bool(function(r))

    def compile(self) -> Test:
        return _compiled(self)

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        return Failure(self, None, MISSING)

    def fields(self) -> frozenset[str]:
        return frozenset()

    def savable(self) -> bool:
        return False

    @property
    def name(self) -> str:
        """The callable's qualified name (``module.function``)."""
        module = getattr(self.function, "__module__", None) or "?"
        qualname = getattr(self.function, "__qualname__", None) or repr(self.function)
        return f"{module}.{qualname}"

    @property
    def doc(self) -> str:
        """The first paragraph of the callable's docstring, or an empty string."""
        doc = getattr(self.function, "__doc__", None) or ""
        return doc.strip().split("\n\n")[0].replace("\n", " ")

    def __str__(self) -> str:
        return f"python:{self.name}"


def from_mapping(mapping: Mapping[str, Any]) -> Filter:
    """Read the shorthand ``{field: value}`` (equality) or ``{field: [values]}`` (membership).

    Several keys are joined with ``and``.

    Raises:
        ValidationError: the mapping is empty or a value is not a literal.
    """
    clauses: list[Filter] = []
    for name, value in mapping.items():
        if isinstance(value, list | tuple):
            clauses.append(In(name, tuple(value)))
        else:
            clauses.append(Compare(name, "==", value))
    if not clauses:
        raise ValidationError("an empty mapping is not a filter; leave 'where' out instead")
    return clauses[0] if len(clauses) == 1 else And(tuple(clauses))


def require_savable(where: Filter, indicator_id: str) -> None:
    """Refuse to save a filter that holds a Python callable.

    Raises:
        ProjectionError: the filter holds a :class:`Predicate`.
    """
    if not where.savable():
        raise ProjectionError(
            f"indicator {indicator_id!r}: its filter {where} uses a Python callable, which "
            "cannot be saved to TOML; express it with comparisons, 'in', and/or/not instead"
        )
