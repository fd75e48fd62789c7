"""Field declarations and value checks for event payloads.

An event's annotations say what each field holds; this module turns them into
checks that run on construction, so a bad value is refused where it enters,
with the event type and field named.
"""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from civicledger.errors import EventDefinitionError
from civicledger.text import control_character_problem

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer a payload may hold: RFC 8785 numbers are IEEE 754 doubles."""

_ZERO = timedelta(0)

# Field metadata keys (kept private: use the ``field()`` arguments).
_PERSONAL = "civicledger.personal"
_SIGNED = "civicledger.signed"
_ALLOW_EMPTY = "civicledger.allow_empty"
_NOT_BEFORE = "civicledger.not_before"
_MULTILINE = "civicledger.multiline"
_PLANNED = "civicledger.planned"
_ESTIMATE = "civicledger.estimate"

# Field-name pairs that are checked as (start, end) without any declaration.
START_END_PAIRS: tuple[tuple[str, str], ...] = (
    ("start", "end"),
    ("starts_on", "ends_on"),
    ("started_on", "ended_on"),
    ("start_date", "end_date"),
    ("starts_at", "ends_at"),
    ("started_at", "ended_at"),
    ("valid_from", "valid_to"),
)


def field(
    *,
    default: Any = attrs.NOTHING,
    personal: bool = False,
    signed: bool = False,
    allow_empty: bool = False,
    not_before: str | None = None,
    multiline: bool = False,
    planned: bool = False,
    estimate: bool = False,
) -> Any:
    """Declare an event field with civicledger's options.

    Args:
        default: the value used when the field is omitted.
        personal: the field holds personal data (a name, an id number); it can be
            redacted later and is found by personal-data searches.
        signed: an integer field may be negative (integers are counts, and so
            non-negative, unless declared signed).
        allow_empty: a text field may be the empty string.
        not_before: name of another field this one must not precede (an end date
            that must not be before its start date).
        multiline: a text field may hold line breaks (a note, a description); other
            text fields hold one line. No text field may hold other control
            characters than the tab.
        planned: a date field may lie in the future (a deadline, a planned
            meeting); other dates, ``occurred_on`` included, may not lie after the
            ledger clock's today plus the ``future_date_tolerance_days`` limit.
        estimate: the field holds a value the office estimated rather than counted
            (a crowd at an open-air event); a figure that sums or takes this field is
            said with 约 and its explanation says it rests on an estimate.

    Returns:
        An attrs field definition.
    """
    metadata = {
        _PERSONAL: personal,
        _SIGNED: signed,
        _ALLOW_EMPTY: allow_empty,
        _NOT_BEFORE: not_before,
        _MULTILINE: multiline,
        _PLANNED: planned,
        _ESTIMATE: estimate,
    }
    return attrs.field(default=default, metadata=metadata)


def is_personal(attribute: attrs.Attribute[Any]) -> bool:
    """Tell whether a field was declared with ``personal=True``."""
    return bool(attribute.metadata.get(_PERSONAL, False))


def is_estimate(attribute: attrs.Attribute[Any]) -> bool:
    """Tell whether a field was declared with ``estimate=True``."""
    return bool(attribute.metadata.get(_ESTIMATE, False))


class FieldProblem(Exception):
    """Raised inside a check when a value is invalid; carries the field path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


Check = Callable[[Any, str], None]
"""A value check: called with the value and its field path; raises FieldProblem."""


def build_check(annotation: Any, attribute: attrs.Attribute[Any], owner: type) -> Check:
    """Build the check for one field from its (resolved) annotation.

    Raises:
        EventDefinitionError: the annotation names a type payloads cannot hold.
    """
    signed = bool(attribute.metadata.get(_SIGNED, False))
    allow_empty = bool(attribute.metadata.get(_ALLOW_EMPTY, False))
    try:
        return _check_for(annotation, signed=signed, allow_empty=allow_empty)
    except EventDefinitionError as e:
        raise EventDefinitionError(
            f"{owner.__qualname__}.{attribute.name}: {e}. Payload fields may be str, int, "
            "bool, Decimal, date, datetime (UTC), UUID, an Enum, an attrs value class, "
            "X | None or tuple[X, ...]; floats are not allowed (use int or Decimal)."
        ) from None


def _check_for(annotation: Any, *, signed: bool, allow_empty: bool) -> Check:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _optional_check(annotation, signed=signed, allow_empty=allow_empty)
    if origin is tuple:
        return _tuple_check(annotation, signed=signed, allow_empty=allow_empty)
    if origin is not None:
        raise EventDefinitionError(f"unsupported annotation {annotation!r}")
    if annotation is float:
        raise EventDefinitionError("floats are not allowed")
    if annotation is int:
        return _check_signed_int if signed else _check_count
    if annotation is str:
        return _check_any_text if allow_empty else _check_text
    if annotation in _SCALAR_CHECKS:
        return _SCALAR_CHECKS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_check(annotation)
    if isinstance(annotation, type) and attrs.has(annotation):
        return _value_object_check(annotation)
    raise EventDefinitionError(f"unsupported annotation {annotation!r}")


def _optional_check(annotation: Any, *, signed: bool, allow_empty: bool) -> Check:
    members = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(members) != 1:
        raise EventDefinitionError(f"unsupported union {annotation!r}")
    inner = _check_for(members[0], signed=signed, allow_empty=allow_empty)

    def check_optional(value: Any, path: str) -> None:
        if value is not None:
            inner(value, path)

    return check_optional


def _tuple_check(annotation: Any, *, signed: bool, allow_empty: bool) -> Check:
    args = typing.get_args(annotation)
    if len(args) != 2 or args[1] is not Ellipsis:
        raise EventDefinitionError(f"use tuple[X, ...], not {annotation!r}")
    item = _check_for(args[0], signed=signed, allow_empty=allow_empty)

    def check_tuple(value: Any, path: str) -> None:
        if not isinstance(value, tuple):
            raise FieldProblem(path, f"expected a tuple, got {type(value).__name__}")
        for i, v in enumerate(value):
            item(v, f"{path}[{i}]")

    return check_tuple


def _check_bool(value: Any, path: str) -> None:
    if type(value) is not bool:
        raise FieldProblem(path, f"expected true or false, got {_show(value)}")


def _check_signed_int(value: Any, path: str) -> None:
    if type(value) is not int:
        raise FieldProblem(path, f"expected an integer, got {_show(value)}")
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise FieldProblem(path, f"{value} is outside ±(2**53 - 1); store it as a Decimal")


def _check_count(value: Any, path: str) -> None:
    _check_signed_int(value, path)
    if value < 0:
        raise FieldProblem(path, f"must not be negative, got {value}")


def _check_any_text(value: Any, path: str) -> None:
    if type(value) is not str:
        raise FieldProblem(path, f"expected text, got {_show(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldProblem(path, "text contains an unpaired surrogate") from None


def _check_text(value: Any, path: str) -> None:
    _check_any_text(value, path)
    if not value.strip():
        raise FieldProblem(path, "must not be empty")


def _check_date(value: Any, path: str) -> None:
    if type(value) is not date:
        raise FieldProblem(path, f"expected a date, got {_show(value)}")


def _check_datetime(value: Any, path: str) -> None:
    if not isinstance(value, datetime):
        raise FieldProblem(path, f"expected a timestamp, got {_show(value)}")
    if value.tzinfo is None or value.utcoffset() != _ZERO:
        raise FieldProblem(path, "timestamps must be timezone-aware UTC")


def _check_decimal(value: Any, path: str) -> None:
    if not isinstance(value, Decimal):
        raise FieldProblem(path, f"expected a Decimal, got {_show(value)}")
    if not value.is_finite():
        raise FieldProblem(path, f"must be a finite number, got {value}")


def _check_uuid(value: Any, path: str) -> None:
    if not isinstance(value, uuid.UUID):
        raise FieldProblem(path, f"expected a UUID, got {_show(value)}")


# The annotations whose check takes no options (int and str depend on the field's).
_SCALAR_CHECKS: dict[Any, Check] = {
    bool: _check_bool,
    datetime: _check_datetime,
    date: _check_date,
    Decimal: _check_decimal,
    uuid.UUID: _check_uuid,
}


def _enum_check(enum_type: type[enum.Enum]) -> Check:
    def check_enum(value: Any, path: str) -> None:
        if not isinstance(value, enum_type):
            allowed = ", ".join(str(m.value) for m in enum_type)
            raise FieldProblem(path, f"unknown value {_show(value)}; allowed: {allowed}")

    return check_enum


def _value_object_check(cls: type) -> Check:
    checks = field_checks(cls)

    def check_value_object(value: Any, path: str) -> None:
        if not isinstance(value, cls):
            raise FieldProblem(path, f"expected {cls.__name__}, got {_show(value)}")
        for name, check in checks:
            check(getattr(value, name), f"{path}.{name}")

    return check_value_object


def field_checks(cls: type) -> tuple[tuple[str, Check], ...]:
    """Build (field name, check) pairs for every field of an attrs class.

    Raises:
        EventDefinitionError: an annotation is missing, unresolvable or unsupported.
    """
    try:
        hints = typing.get_type_hints(cls)
    except Exception as e:  # NameError, TypeError: whatever the annotations hold
        raise EventDefinitionError(
            f"cannot resolve the annotations of {cls.__qualname__}: {e}; define the class "
            "at module level or import the names its annotations use"
        ) from e
    checks = []
    for attribute in attrs.fields(cls):
        if not attribute.name.isascii():
            raise EventDefinitionError(
                f"{cls.__qualname__}.{attribute.name}: field names must be ASCII (they are "
                "stored names in every payload)"
            )
        if attribute.name not in hints:
            raise EventDefinitionError(f"{cls.__qualname__}.{attribute.name} has no annotation")
        checks.append((attribute.name, build_check(hints[attribute.name], attribute, cls)))
    return tuple(checks)


def order_checks(cls: type) -> tuple[tuple[str, str], ...]:
    """Return the (earlier, later) field pairs whose order is checked on construction.

    Raises:
        EventDefinitionError: a ``not_before`` names a field that does not exist.
    """
    names = {a.name for a in attrs.fields(cls)}
    pairs = [(start, end) for start, end in START_END_PAIRS if start in names and end in names]
    for attribute in attrs.fields(cls):
        earlier = attribute.metadata.get(_NOT_BEFORE)
        if earlier is None:
            continue
        if earlier not in names:
            raise EventDefinitionError(
                f"{cls.__qualname__}.{attribute.name}: not_before names unknown field {earlier!r}"
            )
        pairs.append((earlier, attribute.name))
    return tuple(pairs)


@attrs.frozen
class RecordingDay:
    """The day a recording happens, by the ledger's clock, and how far past it a date may lie.

    Attributes:
        today: the ledger clock's date (UTC).
        tolerance_days: days after ``today`` a date that is not planned may lie.
        latest: the latest date that may be recorded without being declared planned.
    """

    today: date
    tolerance_days: int
    latest: date = attrs.field(init=False)
    """The latest date that may be recorded without being declared planned."""

    @latest.default
    def _latest(self) -> date:  # computed once: it is compared for every date recorded
        return self.today + timedelta(days=self.tolerance_days)


RecordingCheck = Callable[[Any, str, "RecordingDay | None"], None]
"""A check run when an event is recorded (not when a stored one is read): called with
the value, its field path and the recording day (None: dates are not judged); raises
FieldProblem."""


def recording_checks(cls: type) -> tuple[tuple[str, RecordingCheck], ...]:
    """Build the checks that run when an event is recorded, for every field that has one.

    They are kept apart from the construction checks because they judge new
    recordings only: text with control characters (or line breaks in a one-line
    field) and dates after the recording day. Events already stored decode as they
    were recorded.
    """
    hints = typing.get_type_hints(cls)
    checks = []
    for attribute in attrs.fields(cls):
        check = _recording_check_for(
            hints[attribute.name],
            multiline=bool(attribute.metadata.get(_MULTILINE, False)),
            planned=bool(attribute.metadata.get(_PLANNED, False)),
        )
        if check is not None:
            checks.append((attribute.name, check))
    return tuple(checks)


def _recording_check_for(
    annotation: Any, *, multiline: bool, planned: bool
) -> RecordingCheck | None:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        [member] = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = _recording_check_for(member, multiline=multiline, planned=planned)
        if inner is None:
            return None

        def check_optional(value: Any, path: str, day: RecordingDay | None) -> None:
            if value is not None:
                inner(value, path, day)

        return check_optional
    if origin is tuple:
        item = _recording_check_for(
            typing.get_args(annotation)[0], multiline=multiline, planned=planned
        )
        if item is None:
            return None

        def check_items(value: Any, path: str, day: RecordingDay | None) -> None:
            for i, v in enumerate(value):
                item(v, f"{path}[{i}]", day)

        return check_items
    if annotation is str:
        return _check_multiline_text if multiline else _check_one_line_text
    if annotation is date and not planned:
        return _check_not_future
    if isinstance(annotation, type) and attrs.has(annotation):
        nested = recording_checks(annotation)
        if not nested:
            return None

        def check_value_object(value: Any, path: str, day: RecordingDay | None) -> None:
            for name, check in nested:
                check(getattr(value, name), f"{path}.{name}", day)

        return check_value_object
    return None


def _check_one_line_text(value: Any, path: str, day: RecordingDay | None) -> None:
    if value.isprintable():  # the common case, in C: no control character at all
        return
    problem = control_character_problem(value, multiline=False)
    if problem is not None:
        raise FieldProblem(path, problem)


def _check_multiline_text(value: Any, path: str, day: RecordingDay | None) -> None:
    if value.isprintable():
        return
    problem = control_character_problem(value, multiline=True)
    if problem is not None:
        raise FieldProblem(path, problem)


def _check_not_future(value: Any, path: str, day: RecordingDay | None) -> None:
    if day is not None and value > day.latest:
        raise FieldProblem(
            path,
            f"{value.isoformat()} is in the future: today is {day.today.isoformat()} by the "
            f"ledger clock, and dates may lie at most {day.tolerance_days} day(s) ahead "
            "(limit future_date_tolerance_days); only fields declared planned may hold "
            "later dates",
        )


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"
