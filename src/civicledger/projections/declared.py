"""What the event types declare, checked against indicators: field names and estimates.

An indicator names fields by text. Before any figure is computed, every name is
checked against the event classes the ledger knows: a field that is not a
declared field of every event type the indicator reads it from is refused, so a
typo (or a name such as ``__class__`` that reaches Python internals) never
silently counts nothing, and the SQL pushdown and the Python engine always read
the same thing. The same classes say which fields hold estimates
(``field(estimate=True)``); a figure built from one is marked estimated.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from civicledger.errors import ValidationError
from civicledger.events.fields import is_estimate
from civicledger.projections.fields import ENVELOPE_FIELDS
from civicledger.projections.figures import Figure
from civicledger.projections.indicators import Indicator
from civicledger.projections.measures import CountDistinct, Derived, Extreme, Latest, Ratio, Sum

__all__ = ["EventClasses", "check_declared_fields", "classes_of", "mark_estimates"]

EventClasses = Mapping[str, type]
"""The newest registered class of each event type name."""


def classes_of(registry: Any) -> dict[str, type]:
    """The newest class of every type name an :class:`~civicledger.events.EventRegistry` holds."""
    classes = registry.classes
    return {name: classes[(name, registry.newest_version(name))] for name in registry.type_names()}


def _path(name: str) -> list[str]:
    parts = name.split(".")
    return parts[1:] if parts[0] == "payload" and len(parts) > 1 else parts


@functools.cache
def _type_hints(cls: type) -> Mapping[str, Any]:
    """A class's resolved annotations, resolved once: every computation checks its
    indicators' fields, and a roll-up computes once per ledger."""
    return MappingProxyType(typing.get_type_hints(cls))


def _declares(cls: type, path: Sequence[str]) -> bool:
    """Whether ``cls`` declares the attribute path (through nested attrs value classes)."""
    current: Any = cls
    for part in path:
        if not (isinstance(current, type) and attrs.has(current)):
            return False
        names = {a.name for a in attrs.fields(current)}
        if part not in names:
            return False
        hint = _type_hints(current).get(part)
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        current = args[0] if typing.get_origin(hint) is not None and len(args) == 1 else hint
    return True


def _reads(indicator: Indicator) -> list[tuple[str, tuple[str, ...]]]:
    """(field, the types it is read from) for every field the indicator names."""
    measure = indicator.measure
    if isinstance(measure, Ratio | Derived):
        return []
    source, closing = indicator.source, indicator.closing_types
    # A closing event of a count or sum passes the same filter and grouping.
    judged = source if isinstance(measure, CountDistinct) else (*source, *closing)
    reads: list[tuple[str, tuple[str, ...]]] = []
    if indicator.where is not None:
        reads += [(name, judged) for name in sorted(indicator.where.fields())]
    reads += [(name, judged) for name in indicator.group_by]
    if isinstance(measure, Sum):
        reads += [(name, source) for name in sorted(measure.expression.fields())]
        if closing:
            closing_expression = measure.removed_expression or measure.expression
            reads += [(name, closing) for name in sorted(closing_expression.fields())]
    elif isinstance(measure, CountDistinct):
        reads.append((measure.field, source))
        if closing:
            reads.append((measure.closing_field, closing))
    elif isinstance(measure, Latest | Extreme):
        reads.append((measure.field, source))
    return reads


def check_declared_fields(indicators: Iterable[Indicator], classes: EventClasses) -> None:
    """Refuse an indicator that names a field some event type it reads does not declare.

    Envelope fields (``stream``, ``type``, ``actor``, ``occurred_on``,
    ``position``) are always declared. A type the classes do not know is left
    alone: no event of it can be in the ledger.

    Raises:
        ValidationError: naming the indicator, the field and the types lacking it.
    """
    for indicator in indicators:
        for name, types in _reads(indicator):
            if name in ENVELOPE_FIELDS:
                continue
            lacking = [t for t in types if t in classes and not _declares(classes[t], _path(name))]
            if lacking:
                raise ValidationError(
                    f"indicator {indicator.id!r}: field {name!r} is not a declared field of "
                    f"event type(s) {', '.join(lacking)}; an indicator may only read fields "
                    "every event type it reads declares (or stream, type, actor, "
                    "occurred_on, position)",
                    field=name,
                )


def _estimated(indicator: Indicator, classes: EventClasses) -> tuple[str, ...]:
    """``type.field`` for each estimated field whose value the measure takes."""
    measure = indicator.measure
    if isinstance(measure, Sum):
        valued = sorted(measure.expression.fields())
    elif isinstance(measure, Latest | Extreme):
        valued = [measure.field]
    else:
        return ()  # counts count events, which are recorded exactly
    found = []
    for type_name in indicator.source:
        cls = classes.get(type_name)
        if cls is None or not attrs.has(cls):
            continue
        fields = {a.name: a for a in attrs.fields(cls)}
        for name in valued:
            path = _path(name)
            attribute = fields.get(path[0])
            if attribute is not None and len(path) == 1 and is_estimate(attribute):
                found.append(f"{type_name}.{path[0]}")
    return tuple(found)


def mark_estimates(figures: Sequence[Figure], classes: EventClasses) -> list[Figure]:
    """The figures, each marked with the estimated fields it rests on (ratio parts too)."""
    cache: dict[str, tuple[str, ...]] = {}

    def mark(figure: Figure) -> Figure:
        numerator = mark(figure.numerator) if figure.numerator is not None else None
        denominator = mark(figure.denominator) if figure.denominator is not None else None
        operands = tuple(mark(o) for o in figure.operands)
        if figure.indicator.id not in cache:
            cache[figure.indicator.id] = _estimated(figure.indicator, classes)
        own = cache[figure.indicator.id]
        parts = [p.estimated for p in (numerator, denominator, *operands) if p is not None]
        estimated = tuple(dict.fromkeys((*own, *(e for p in parts for e in p))))
        if not estimated:
            return figure  # nothing below is estimated either: the figure stays as it is
        return attrs.evolve(
            figure,
            estimated=estimated,
            numerator=numerator,
            denominator=denominator,
            operands=operands,
        )

    return [mark(f) for f in figures]
