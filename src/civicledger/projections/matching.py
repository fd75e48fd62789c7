"""Filters that match part of a value: a text prefix, a substring or list item, a range.

``name startswith "城东"``, ``note contains "加装电梯"``, ``tags contains "elderly"``
(a list field holding that item), ``attendees between 10 and 50`` and
``occurred_on between 2023-04-01 and 2023-06-30``. They follow the filter
language's rules (see :mod:`civicledger.projections.filters`): a field the
event lacks matches nothing, values of different kinds never match, and each
prints as text that parses back. Negation is ``not`` in front of any of them.
"""

from __future__ import annotations

from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.fields import MISSING, getter, valid_field_name
from civicledger.projections.filters import (
    Failure,
    Filter,
    Scalar,
    Test,
    _check_scalar,
    _compiled,
    _ordered,
    compare,
    format_value,
)

__all__ = ["Between", "Contains", "StartsWith"]


def _scalar(value: Any) -> Scalar:
    return _check_scalar(value, "filter value")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"a text match needs a string, got {value!r}", field="filter value")
    return value


class _OneField(Filter):
    """Shared behaviour of the filters here: one field, one compiled test."""

    __slots__ = ()
    field: str

    def compile(self) -> Test:
        return _compiled(self)

    def _build(self) -> Test:
        raise NotImplementedError

    def failure(self, record: RecordedEvent) -> Failure | None:
        if self.compile()(record):
            return None
        return Failure(self, self.field, getter(self.field)(record))

    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@attrs.frozen(slots=True)
class StartsWith(_OneField):
    """``field startswith "text"``: a text field that begins with the text (case as written)."""

    field: str = attrs.field(validator=valid_field_name)
    prefix: str = attrs.field(converter=_text)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        read, prefix = getter(self.field), self.prefix
        return lambda r: isinstance(v := read(r), str) and v.startswith(prefix)

    def __str__(self) -> str:
        return f"{self.field} startswith {format_value(self.prefix)}"


@attrs.frozen(slots=True)
class Contains(_OneField):
    """``field contains value``: a text field holding the text, or a list field holding the item.

    On a text field the value must be text and is matched as a substring; on a
    list field (``tuple[X, ...]``) one item must equal the value, by the rules
    of ``==``.
    """

    field: str = attrs.field(validator=valid_field_name)
    value: Scalar = attrs.field(converter=_scalar)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def _build(self) -> Test:
        read, wanted = getter(self.field), self.value

        def test(record: RecordedEvent) -> bool:
            value = read(record)
            if isinstance(value, str):
                return isinstance(wanted, str) and wanted in value
            if isinstance(value, tuple):
                return any(compare("==", _item(v), wanted) for v in value)
            return False

        return test

    def __str__(self) -> str:
        return f"{self.field} contains {format_value(self.value)}"


def _item(value: Any) -> Any:
    """A list item as filters compare it (vocabulary members by their key)."""
    inner = getattr(value, "_value_", MISSING)
    return value if inner is MISSING else inner


def _bound(value: Any) -> Scalar:
    checked = _check_scalar(value, "range bound")
    if checked is None or isinstance(checked, bool):
        raise ValidationError(f"a range bound cannot be {format_value(checked)}", field="filter")
    return checked


@attrs.frozen(slots=True)
class Between(_OneField):
    """``field between low and high``: low <= value <= high, both ends included.

    The bounds are numbers, dates or texts of one kind, low not above high.
    """

    field: str = attrs.field(validator=valid_field_name)
    low: Scalar = attrs.field(converter=_bound)
    high: Scalar = attrs.field(converter=_bound)
    _test: Test | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not _ordered(self.low, self.high):
            raise ValidationError(
                f"{self}: the bounds must be of one kind (numbers, dates or texts)", field="filter"
            )
        if self.high < self.low:  # type: ignore[operator]
            raise ValidationError(f"{self}: the low bound is above the high bound", field="filter")

    def _build(self) -> Test:
        read, low, high = getter(self.field), self.low, self.high

        def test(record: RecordedEvent) -> bool:
            value = read(record)
            return compare(">=", value, low) and compare("<=", value, high)

        return test

    def __str__(self) -> str:
        return f"{self.field} between {format_value(self.low)} and {format_value(self.high)}"
