"""Lists of names behind a figure: "甲、乙2个小区", "丙、丁等5个小区".

A template may list the distinct values of a field of the events behind a
figure (the compounds renovated, the organisations that took part), in a
stated order, shortening a long list with 等 and the count. A field declared
``personal=True`` on any event type the figure reads is refused: names of
people are never listed in a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent
from civicledger.events.fields import is_personal
from civicledger.projections.accumulate import group_text
from civicledger.projections.fields import MISSING, getter

__all__ = ["ORDERS", "check_listable", "distinct_values"]

ORDERS: Final = ("first", "most", "text")
"""first: as first recorded; most: most events first (ties as first recorded); text: by text."""


def check_listable(field: str, types: Iterable[str], classes: Mapping[str, type]) -> None:
    """Refuse a field that is personal (or not declared) on any of the event types.

    Raises:
        ValidationError: naming the field and the type.
    """
    name = field.removeprefix("payload.")
    for type_name in types:
        cls = classes.get(type_name)
        if cls is None or not attrs.has(cls):
            continue
        declared = {a.name: a for a in attrs.fields(cls)}
        attribute = declared.get(name)
        if attribute is None:
            raise ValidationError(f"{type_name} has no field {field!r} to list", field=field)
        if is_personal(attribute):
            raise ValidationError(
                f"refused: {type_name}.{name} is personal data; a report never lists it",
                field=field,
            )


def distinct_values(records: Iterable[RecordedEvent], field: str, order: str) -> list[str]:
    """The distinct values of ``field`` among ``records`` (in ledger order), in ``order``.

    List fields give each item. Events without the field give nothing.

    Raises:
        ValidationError: the order is not one of :data:`ORDERS`.
    """
    if order not in ORDERS:
        raise ValidationError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    read = getter(field)
    counts: dict[str, int] = {}
    for record in records:
        value = read(record)
        if value is MISSING or value is None:
            continue
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            text = group_text(getattr(item, "_value_", item))
            counts[text] = counts.get(text, 0) + 1
    values = list(counts)  # first recorded first
    if order == "most":
        values.sort(key=lambda v: -counts[v])  # stable: ties keep the first-recorded order
    elif order == "text":
        values.sort()
    return values
