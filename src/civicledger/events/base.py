"""The Event base class, the ``@event`` decorator and controlled vocabularies."""

from __future__ import annotations

import enum
import functools
import re
import typing
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, TypeVar

import attrs

from civicledger.errors import EventDefinitionError, ValidationError
from civicledger.events.fields import (
    Check,
    FieldProblem,
    RecordingCheck,
    RecordingDay,
    field,
    field_checks,
    order_checks,
    recording_checks,
)
from civicledger.events.registry import EventRegistry, default_registry

E = TypeVar("E", bound="Event")

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_MISSING_ARGUMENT = re.compile(r"missing \d+ required keyword-only arguments?: (.+)$")
_UNEXPECTED_ARGUMENT = re.compile(r"unexpected keyword argument '(\w+)'")


@typing.dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field, field)
)
class _EventType(type):
    """Metaclass of events; it only tells type checkers how event classes are built.

    ``@event`` makes each subclass a frozen, keyword-only attrs class at run time;
    this declaration (PEP 681) lets mypy and pyright check constructor calls of
    users' event classes, including the inherited ``occurred_on``.
    """


@attrs.frozen(kw_only=True)
class Event(metaclass=_EventType):
    """Base of every event payload.

    Subclasses are declared with :func:`event`, which makes them frozen, slotted,
    keyword-only attrs classes whose fields are checked on construction. Every
    event has ``occurred_on``: the business date on which it happened, which
    decides the report period it counts in.
    """

    occurred_on: date

    __event_type__: ClassVar[str]
    __schema_version__: ClassVar[int]
    __checks__: ClassVar[tuple[tuple[str, Check], ...]]
    __order_checks__: ClassVar[tuple[tuple[str, str], ...]]
    __recording_checks__: ClassVar[tuple[tuple[str, RecordingCheck], ...]]
    __unchecked_init__: ClassVar[Callable[..., None]]


class Vocabulary(enum.StrEnum):
    """A closed list of stored values, each with a display label.

    The stored value is a stable ASCII key; the label is the Chinese text a report
    shows, kept apart so it can change without touching stored events::

        class Outcome(Vocabulary):
            WRITTEN_AGREEMENT = "written_agreement", "达成书面协议"
    """

    label: str

    def __new__(cls, value: str, label: str = "") -> Vocabulary:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member


@typing.dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field, field)
)
def event(
    name: str, *, version: int = 1, registry: EventRegistry | None = None
) -> Callable[[type[E]], type[E]]:
    """Register an event class under a stored type name and schema version.

    The name, not the Python import path, is the event's stored identity, so the
    class can move or be renamed freely. The class becomes a frozen, slotted,
    keyword-only attrs class (one already decorated with ``@attrs.frozen`` is kept
    as it is), and its fields are checked on every construction.

    Args:
        name: the stored type name, lower case with underscores and dots
            (``"meeting_held"``, ``"acme.permit_issued"``).
        version: the schema version of this shape of the event, from 1.
        registry: where to register; the process-wide default registry if None.

    Returns:
        A class decorator.

    Raises:
        EventDefinitionError: the name or version is malformed, the class is not an
            Event subclass, an annotation is unsupported, or the name and version are
            already registered to another class.
    """
    if not isinstance(name, str) or not _TYPE_NAME.match(name):
        raise EventDefinitionError(
            f"event type name {name!r} must be lower case letters, digits and underscores, "
            "optionally dotted (e.g. 'meeting_held')"
        )
    if type(version) is not int or version < 1:
        raise EventDefinitionError(f"schema version of {name!r} must be an integer >= 1")

    def decorate(cls: type[E]) -> type[E]:
        if not (isinstance(cls, type) and issubclass(cls, Event)):
            raise EventDefinitionError(f"@event({name!r}) needs a subclass of civicledger.Event")
        if "__attrs_attrs__" not in cls.__dict__:
            cls = attrs.frozen(kw_only=True)(cls)
        cls.__event_type__ = name
        cls.__schema_version__ = version
        cls.__checks__ = field_checks(cls)
        cls.__order_checks__ = order_checks(cls)
        cls.__recording_checks__ = recording_checks(cls)
        # The unchecked constructor decodes payloads the store checked when recording.
        cls.__unchecked_init__ = cls.__init__
        cls.__init__ = _validating_init(cls, cls.__init__)  # type: ignore[method-assign]
        (registry if registry is not None else default_registry()).register(cls)
        return cls

    return decorate


def _validating_init(cls: type[Event], init: Callable[..., None]) -> Callable[..., None]:
    """Wrap attrs' ``__init__`` so that every way of building an event is checked."""
    type_name = cls.__event_type__

    @functools.wraps(init)
    def __init__(self: Event, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except (TypeError, ValueError) as e:
            if isinstance(e, ValidationError):
                raise
            raise _from_constructor_error(type_name, e) from e
        validate_fields(self)

    return __init__


def validate_fields(instance: Event) -> None:
    """Check every field of a constructed event against its declaration.

    Raises:
        ValidationError: naming the event type and the first field that is invalid.
    """
    cls = type(instance)
    try:
        for field_name, check in cls.__checks__:
            check(getattr(instance, field_name), field_name)
    except FieldProblem as problem:
        raise _field_error(cls, problem) from None
    for earlier, later in cls.__order_checks__:
        start, end = getattr(instance, earlier), getattr(instance, later)
        if start is not None and end is not None and end < start:
            raise ValidationError(
                f"{cls.__event_type__}.{later}: {end} is before {earlier} {start}",
                event_type=cls.__event_type__,
                field=later,
            )


def check_recording(instance: Event, day: RecordingDay | None) -> None:
    """Check what only a new recording must satisfy: text without control characters
    (line breaks only in multi-line fields) and no date after the recording day's
    tolerance unless the field is planned (dates are not judged when ``day`` is None).

    Raises:
        ValidationError: naming the event type, the field and, for a date, today's date.
    """
    cls = type(instance)
    try:
        for field_name, check in cls.__recording_checks__:
            check(getattr(instance, field_name), field_name, day)
    except FieldProblem as problem:
        raise _field_error(cls, problem) from None


def _field_error(cls: type[Event], problem: FieldProblem) -> ValidationError:
    return ValidationError(
        f"{cls.__event_type__}.{problem.path}: {problem.message}",
        event_type=cls.__event_type__,
        field=problem.path,
    )


def _from_constructor_error(type_name: str, error: Exception) -> ValidationError:
    """Turn an attrs or user-validator error into a ValidationError naming the field."""
    field_name = None
    # attrs validators pass (message, attribute, expected, value) as arguments.
    if len(error.args) >= 2 and isinstance(error.args[1], attrs.Attribute):
        field_name = error.args[1].name
        detail = str(error.args[0])
    else:
        detail = str(error)
        if match := _MISSING_ARGUMENT.search(detail):
            field_name = match.group(1).split(",")[0].strip(" '")
            detail = f"missing required field(s) {match.group(1)}"
        elif match := _UNEXPECTED_ARGUMENT.search(detail):
            field_name = match.group(1)
            detail = f"unknown field {field_name!r}"
    where = f"{type_name}.{field_name}" if field_name else type_name
    return ValidationError(f"{where}: {detail}", event_type=type_name, field=field_name)
