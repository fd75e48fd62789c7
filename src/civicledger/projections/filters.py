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
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from civicledger.errors import ProjectionError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.fields import MISSING, getter, valid_field_name

if TYPE_CHECKING:
    from civicledger.projections.periods import Period

__all__ = [
    "OPERATORS",
    "PERIOD_BOUNDS",
    "And",
    "Compare",
    "Failure",
    "Filter",
    "In",
    "Not",
    "Or",
    "PeriodBound",
    "Predicate",
    "Scalar",
    "absolute_dates",
    "bind_period",
    "format_value",
    "refers_to_period",
]

PERIOD_BOUNDS = ("period.start", "period.end", "period.last_month_start", "period.year_start")
"""The dates a filter may take from the period it is computed for."""


def _check_bound(_i: Any, _a: Any, name: Any) -> None:
    if name not in PERIOD_BOUNDS:
        raise ValidationError(
            f"{name!r} is not a period date; known: {', '.join(PERIOD_BOUNDS)}", field="where"
        )


@attrs.frozen
class PeriodBound:
    """A date a filter takes from the period its figure is computed for.

    ``occurred_on >= period.last_month_start`` keeps the period's last month and
    moves with the period, so a comparison with another period compares like with
    like; a date written out (``2022-11-30``) would stay put.

    Attributes:
        name: one of :data:`PERIOD_BOUNDS`.
    """

    name: str = attrs.field(validator=_check_bound)

    def resolve(self, period: Period) -> date:
        """The date this bound stands for in ``period``."""
        if self.name == "period.start":
            return period.start
        if self.name == "period.end":
            return period.end
        if self.name == "period.last_month_start":
            return period.last_month_start
        return date(period.end.year, 1, 1)

    def __str__(self) -> str:
        return self.name


Scalar: TypeAlias = str | int | Decimal | bool | date | PeriodBound | None
"""A literal a filter compares with (or a date taken from the period). Floats are refused."""

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
    if isinstance(value, PeriodBound):
        return value.name
    if value is MISSING:
        return "(missing)"
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def _check_scalar(value: Any, where: str) -> Scalar:
    if isinstance(value, float):
        raise ValidationError(f"{where}: floats are not allowed; use int or Decimal", field=where)
    if value is None or isinstance(value, str | int | Decimal | date | PeriodBound):
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
        if isinstance(expected, PeriodBound):
            raise _unbound(self)
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
        if any(isinstance(v, PeriodBound) for v in values):
            raise _unbound(self)
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


def _unbound(clause: Filter) -> ProjectionError:
    return ProjectionError(
        f"filter {clause} takes a date from the period; it can only be applied to a "
        "figure computed for a period (the engine binds it with bind_period)"
    )


def _clauses_of(where: Filter) -> list[Filter]:
    found: list[Filter] = [where]
    if isinstance(where, And | Or):
        for clause in where.clauses:
            found.extend(_clauses_of(clause))
    elif isinstance(where, Not):
        found.extend(_clauses_of(where.clause))
    return found


def _values_of(clause: Filter) -> tuple[Scalar, ...]:
    if isinstance(clause, Compare):
        return (clause.value,)
    if isinstance(clause, In):
        return clause.values
    return ()


def refers_to_period(where: Filter) -> bool:
    """Whether a filter takes any date from the period (``period.end`` and friends)."""
    return any(
        isinstance(v, PeriodBound) for clause in _clauses_of(where) for v in _values_of(clause)
    )


def absolute_dates(where: Filter) -> list[Filter]:
    """The comparisons of a filter that name a date written out (they pin the period)."""
    return [
        clause
        for clause in _clauses_of(where)
        if isinstance(clause, Compare | In)
        and any(isinstance(v, date) and not isinstance(v, bool) for v in _values_of(clause))
    ]


def bind_period(where: Filter, period: Period) -> Filter:
    """The filter with every period date (``period.end``…) replaced by its date in ``period``.

    A filter without period dates comes back as it is.
    """
    if isinstance(where, Compare) and isinstance(where.value, PeriodBound):
        return Compare(where.field, where.op, where.value.resolve(period))
    if isinstance(where, In) and any(isinstance(v, PeriodBound) for v in where.values):
        values = tuple(v.resolve(period) if isinstance(v, PeriodBound) else v for v in where.values)
        return In(where.field, values)
    if isinstance(where, And | Or) and refers_to_period(where):
        return type(where)(tuple(bind_period(c, period) for c in where.clauses))
    if isinstance(where, Not) and refers_to_period(where):
        return Not(bind_period(where.clause, period))
    return where
