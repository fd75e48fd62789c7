"""Hypothesis strategies that build valid events of any registered type.

:func:`events_of` reads an event class's annotations and field options, so it
works for your own event types as well as the catalog's::

    from hypothesis import given
    from civicledger.testing.strategies import events_of

    @given(events_of(PermitIssued))
    def test_permit_round_trips(permit): ...

This module needs ``hypothesis``, a development dependency of civicledger; the
library itself never imports it.
"""

from __future__ import annotations

import enum
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType, UnionType
from typing import Any, TypeVar

import attrs

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as e:  # pragma: no cover - only without the dev dependencies
    raise ImportError(
        "civicledger.testing.strategies needs hypothesis: pip install hypothesis"
    ) from e

from civicledger import catalog
from civicledger.catalog import followups
from civicledger.deprecation import renamed_attributes
from civicledger.errors import ValidationError
from civicledger.events import Event
from civicledger.events.fields import MAX_SAFE_INTEGER
from civicledger.projections.periods import Period

E = TypeVar("E", bound=Event)

MIN_DATE = date(1949, 10, 1)
MAX_DATE = date(2025, 12, 31)
"""Dates are drawn from this range: wide enough to matter, small enough to read, and in
the past, as recording refuses dates after the ledger clock's today."""

MAX_PLANNED_DATE = date(2099, 12, 31)
"""Dates of fields declared ``planned`` (deadlines) may go this far."""

Repair = Callable[[dict[str, Any]], dict[str, Any]]
"""Adjusts drawn field values so that rules spanning several fields hold."""


def text(*, multiline: bool = False) -> st.SearchStrategy[str]:
    """Non-blank text of any Unicode (Chinese included) that recording accepts: no
    unpaired surrogates and no control characters but the tab (and the line feed
    when ``multiline``)."""
    allowed = "\t\n" if multiline else "\t"
    characters = st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from(allowed)
    return st.text(characters, min_size=1, max_size=30).filter(lambda s: bool(s.strip()))


def value_strategy(
    annotation: Any,
    *,
    signed: bool = False,
    allow_empty: bool = False,
    multiline: bool = False,
    planned: bool = False,
) -> st.SearchStrategy[Any]:
    """Build a strategy for one payload field from its annotation.

    Args:
        annotation: the resolved annotation (``int``, ``str | None``, ``tuple[str, ...]``,
            an Enum, an attrs value class, ...).
        signed: integers may be negative.
        allow_empty: text may be empty.
        multiline: text may hold line breaks.
        planned: dates may lie in the future (up to :data:`MAX_PLANNED_DATE`).

    Returns:
        A strategy for values the field's check accepts.

    Raises:
        TypeError: the annotation is not one payloads can hold.
    """
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return st.none() | value_strategy(
            inner, signed=signed, allow_empty=allow_empty, multiline=multiline, planned=planned
        )
    if origin is tuple:
        item = value_strategy(
            typing.get_args(annotation)[0],
            signed=signed,
            allow_empty=allow_empty,
            multiline=multiline,
            planned=planned,
        )
        return st.lists(item, max_size=4).map(tuple)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = -MAX_SAFE_INTEGER if signed else 0
        return st.integers(low, MAX_SAFE_INTEGER)
    if annotation is str:
        words = text(multiline=multiline)
        return (st.just("") | words) if allow_empty else words
    if annotation is datetime:
        return st.datetimes(
            min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
        )
    if annotation is date:
        return st.dates(min_value=MIN_DATE, max_value=MAX_PLANNED_DATE if planned else MAX_DATE)
    if annotation is Decimal:
        return st.decimals(
            min_value=-(10**9),
            max_value=10**9,
            places=2,
            allow_nan=False,
            allow_infinity=False,
        )
    if annotation is uuid.UUID:
        return st.uuids()
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(list(annotation))
    if isinstance(annotation, type) and attrs.has(annotation):
        return _attrs_values(annotation, {})
    raise TypeError(f"no strategy for annotation {annotation!r}")


def _attrs_values(
    cls: type, overrides: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {}
    for attribute in attrs.fields(cls):
        if attribute.name in overrides:
            fields[attribute.name] = overrides[attribute.name]
            continue
        fields[attribute.name] = value_strategy(
            hints[attribute.name],
            signed=bool(attribute.metadata.get("civicledger.signed", False)),
            allow_empty=bool(attribute.metadata.get("civicledger.allow_empty", False)),
            multiline=bool(attribute.metadata.get("civicledger.multiline", False)),
            planned=bool(attribute.metadata.get("civicledger.planned", False)),
        )
    return st.fixed_dictionaries(fields).map(lambda kwargs: cls(**kwargs))


def events_of(
    cls: type[E],
    *,
    repair: Repair | None = None,
    **overrides: st.SearchStrategy[Any],
) -> st.SearchStrategy[E]:
    """Build a strategy for valid instances of an event class.

    Each field gets a strategy from its annotation and options (``signed``,
    ``allow_empty``); start/end and ``not_before`` pairs are put in order. Rules
    the annotations cannot express (an id pattern, a bound across fields) need an
    override or a repair; drawings the class still refuses are discarded.

    Args:
        cls: an event class declared with ``@civicledger.event``.
        repair: adjusts a drawn dict of field values before construction.
        **overrides: a strategy for a field, replacing the one built from its annotation.

    Returns:
        A strategy for instances of ``cls``.
    """
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for attribute in attrs.fields(cls):
        if attribute.name in overrides:
            fields[attribute.name] = overrides[attribute.name]
        else:
            fields[attribute.name] = value_strategy(
                hints[attribute.name],
                signed=bool(attribute.metadata.get("civicledger.signed", False)),
                allow_empty=bool(attribute.metadata.get("civicledger.allow_empty", False)),
            )
    order = cls.__order_checks__

    def build(kwargs: dict[str, Any]) -> E:
        for earlier, later in order:
            start, end = kwargs[earlier], kwargs[later]
            if start is not None and end is not None and end < start:
                kwargs[earlier], kwargs[later] = end, start
        if repair is not None:
            kwargs = repair(kwargs)
        try:
            return cls(**kwargs)
        except ValidationError:
            assume(False)
            raise  # pragma: no cover - assume(False) does not return

    return st.fixed_dictionaries(fields).map(build)


def _ids() -> st.SearchStrategy[str]:
    return st.from_regex(followups.PROBLEM_ID_PATTERN, fullmatch=True)


def _opened_not_after_completion(kwargs: dict[str, Any]) -> dict[str, Any]:
    if kwargs["opened_on"] is not None and kwargs["opened_on"] > kwargs["occurred_on"]:
        kwargs["opened_on"], kwargs["occurred_on"] = kwargs["occurred_on"], kwargs["opened_on"]
    return kwargs


def _decided_within_reviewed(kwargs: dict[str, Any]) -> dict[str, Any]:
    reviewed = kwargs["households_reviewed"]
    kwargs["households_approved"] %= reviewed + 1
    kwargs["households_discontinued"] %= reviewed - kwargs["households_approved"] + 1
    return kwargs


def _catalog_strategies() -> dict[type[Event], st.SearchStrategy[Event]]:
    progress = sorted(followups.PROGRESS_STATUSES)
    resolved = sorted(followups.RESOLVED_STATUSES)
    counts = st.integers(0, 10**6)
    special: dict[type[Event], st.SearchStrategy[Event]] = {
        catalog.MediationCompleted: events_of(
            catalog.MediationCompleted, repair=_opened_not_after_completion
        ),
        catalog.AssistanceReviewed: events_of(
            catalog.AssistanceReviewed,
            repair=_decided_within_reviewed,
            households_reviewed=counts,
            households_approved=counts,
            households_discontinued=counts,
        ),
        catalog.InspectionFailed: events_of(
            catalog.InspectionFailed,
            findings=st.lists(text(multiline=True), min_size=1, max_size=4).map(tuple),
        ),
        catalog.ProblemIdentified: events_of(catalog.ProblemIdentified, problem_id=_ids()),
        catalog.RectificationPlanned: events_of(
            catalog.RectificationPlanned,
            problem_id=_ids(),
            measure_id=_ids(),
            weight=st.integers(1, 100),
        ),
        catalog.RectificationProgressed: events_of(
            catalog.RectificationProgressed,
            problem_id=_ids(),
            measure_id=st.none() | _ids(),
            percent=st.none() | st.integers(0, 100),
            status=st.none() | st.sampled_from(progress),
        ),
        catalog.ProblemResolved: events_of(
            catalog.ProblemResolved, problem_id=_ids(), status=st.sampled_from(resolved)
        ),
        catalog.ProblemReopened: events_of(catalog.ProblemReopened, problem_id=_ids()),
    }
    return {
        cls: special[cls] if cls in special else events_of(cls) for cls in catalog.ALL_EVENT_TYPES
    }


def catalog_strategies() -> Mapping[type[Event], st.SearchStrategy[Event]]:
    """A strategy for every catalog event type, keyed by class.

    Returns:
        A read-only mapping from each class in ``civicledger.catalog.ALL_EVENT_TYPES``
        to a strategy for its valid instances.
    """
    return MappingProxyType(_catalog_strategies())


def catalog_events() -> st.SearchStrategy[Event]:
    """A strategy for valid events of any catalog type."""
    return st.one_of(*catalog_strategies().values())


PERIOD_KINDS = ("year", "half", "quarter", "month", "week", "months", "to_date", "range")
"""The kinds of period :func:`periods` draws from (``months``: a run of whole months, possibly
across New Year; ``to_date``: a year up to a day; ``range``: any dates up to a year apart)."""


def periods(
    min_year: int = 2, max_year: int = 9997, kinds: tuple[str, ...] = PERIOD_KINDS
) -> st.SearchStrategy[Period]:
    """Periods of the given kinds starting between ``min_year`` and ``max_year``.

    The defaults leave a year before and after every period, so 同比 and the periods
    around one always exist.
    """
    if not set(kinds) <= set(PERIOD_KINDS) or not kinds:
        raise ValueError(f"kinds must be some of {PERIOD_KINDS}, got {kinds!r}")

    @st.composite
    def draw_period(draw: st.DrawFn) -> Period:
        kind = draw(st.sampled_from(kinds))
        year = draw(st.integers(min_year, max_year))
        if kind == "year":
            return Period.year(year)
        if kind == "half":
            return Period.half(year, draw(st.integers(1, 2)))
        if kind == "quarter":
            return Period.quarter(year, draw(st.integers(1, 4)))
        if kind == "month":
            return Period.month(year, draw(st.integers(1, 12)))
        if kind == "week":
            return Period.week(year, draw(st.integers(1, 52)))
        latest = date(max_year, 12, 31)
        first = draw(st.dates(date(min_year, 1, 1), latest))
        if kind == "to_date":
            return Period.to_date(first)
        last = draw(st.dates(first, min(latest, first.replace(year=first.year + 1, day=1))))
        if kind == "months":
            return Period.months(first.year, first.month, last.month, last_year=last.year)
        return Period.between(first, last)

    return draw_period()


__getattr__ = renamed_attributes(
    __name__,
    {
        "catalogue_strategies": (
            "civicledger.testing.strategies.catalog_strategies",
            lambda: catalog_strategies,
        ),
        "catalogue_events": (
            "civicledger.testing.strategies.catalog_events",
            lambda: catalog_events,
        ),
    },
)
