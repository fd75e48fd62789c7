"""Computed figures with their lineage: value, period, as-of point and contributing events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from civicledger.projections.indicators import Indicator
from civicledger.projections.periods import Period

if TYPE_CHECKING:
    import pandas
    import prov.model
    import pyarrow

__all__ = ["AsOf", "Contribution", "Figure", "FigureList", "Number", "json_value"]

Number = int | Decimal
"""A figure's value: an int or a Decimal, never a float."""


@attrs.frozen
class Contribution:
    """What one event added to a figure.

    Attributes:
        event_id: the contributing event's id.
        position: its position in the ledger.
        occurred_on: its business date.
        type: its stored type name.
        stream: its stream.
        amount: what it added: 1 for a count; the summed value for a sum; +1 for
            the first event that brought a distinct value (``key``) and -1 for a
            closing event that removed one; the value itself for latest.
        key: for count_distinct, the distinct value it introduced or removed.
        note: a short remark (e.g. ``"removed"`` for a closing event).
    """

    event_id: uuid.UUID
    position: int
    occurred_on: date
    type: str
    stream: str
    amount: Number
    key: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (Decimal amounts as strings)."""
        return {
            "event_id": str(self.event_id),
            "position": self.position,
            "occurred_on": self.occurred_on.isoformat(),
            "type": self.type,
            "stream": self.stream,
            "amount": json_value(self.amount),
            "key": self.key,
            "note": self.note,
        }


@attrs.frozen
class AsOf:
    """The ledger prefix a figure was computed from.

    Attributes:
        position: the last ledger position that could count (0 for an empty ledger).
        seal_root: the hex Merkle root of the seal the figure was computed at, if any.
        tree_size: the seal's tree size, if computed at a seal.
        recorded_before: if given, events recorded after this moment did not count.
    """

    position: int
    seal_root: str | None = None
    tree_size: int | None = None
    recorded_before: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "position": self.position,
            "seal_root": self.seal_root,
            "tree_size": self.tree_size,
            "recorded_before": (
                self.recorded_before.isoformat() if self.recorded_before is not None else None
            ),
        }


def json_value(value: object) -> Any:
    """A figure value for JSON: ints stay ints, Decimals become exact strings."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


@attrs.frozen
class Figure:
    """One computed value of an indicator, with everything needed to check it.

    Attributes:
        indicator: the indicator's definition.
        period: the period the figure covers.
        value: the exact value, or None when the figure is not defined (see
            ``undefined_reason``), e.g. a ratio whose denominator is zero.
        group: the group values for a grouped indicator, as (field, value) pairs.
        as_of: the ledger prefix it was computed from.
        contributions: every event that contributed, in ledger order (see the
            property of that name; loaded on first access for a lazy figure).
        excluded: events of the source types, up to ``as_of``, that did not count.
        numerator: for a ratio, the numerator's figure.
        denominator: for a ratio, the denominator's figure.
        undefined_reason: why ``value`` is None, in English.
        lineage: for a lazy figure, the function that loads its contributions.
        notes: remarks a reader of the figure must see, in English (e.g. events
            that could not count because fields they needed were redacted).
        operands: for a derived figure, the figures its expression combines, in the
            order of their ids.
        estimated: the ``type.field`` names of the estimated fields the value rests
            on (declared ``field(estimate=True)``, through ratio parts too); empty
            when every value behind it was counted.
    """

    indicator: Indicator
    period: Period
    value: Number | None
    as_of: AsOf
    # Kept out of eq: the lineage is fixed by the rest (indicator, period, group, as_of),
    # and a lazily loaded figure must equal an eagerly loaded one.
    _contributions: tuple[Contribution, ...] | None = attrs.field(
        default=(), alias="contributions", eq=False, repr=False
    )
    group: tuple[tuple[str, str], ...] = ()
    excluded: int = 0
    numerator: Figure | None = None
    denominator: Figure | None = None
    undefined_reason: str | None = None
    _lineage: Callable[[], tuple[Contribution, ...]] | None = attrs.field(
        default=None, alias="lineage", eq=False, repr=False
    )
    notes: tuple[str, ...] = ()
    estimated: tuple[str, ...] = ()
    operands: tuple[Figure, ...] = ()

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        """Every event that contributed, in ledger order.

        A figure computed with ``lineage="lazy"`` loads these from the ledger on
        first access (one pass for all figures computed together); one whose
        lineage the SQL pushdown kept as compact columns builds them from those
        on first access, without reading the ledger.

        Raises:
            ProjectionError: a lazy figure's ledger can no longer be read (closed).
        """
        if self._contributions is None:
            loaded = self._lineage() if self._lineage is not None else ()
            object.__setattr__(self, "_contributions", loaded)
            return loaded
        return self._contributions

    @property
    def lineage_loaded(self) -> bool:
        """Whether the contributions are built (False until a lazy figure's, or a figure
        with compact lineage columns', first access)."""
        return self._contributions is not None

    @property
    def id(self) -> str:
        """The indicator's id."""
        return self.indicator.id

    @property
    def defined(self) -> bool:
        """Whether the figure has a value."""
        return self.value is not None

    def event_ids(self) -> frozenset[uuid.UUID]:
        """Ids of every event behind the figure (through ratio parts too)."""
        ids = {c.event_id for c in self.contributions}
        for part in (self.numerator, self.denominator, *self.operands):
            if part is not None:
                ids |= part.event_ids()
        return frozenset(ids)

    def to_dict(self) -> dict[str, Any]:
        """The figure as JSON-ready data with a stable key order.

        Values are ints or exact decimal strings (never floats); dates are ISO
        text; the indicator's definition is included in printable form.
        """
        from civicledger.projections.toml import indicator_to_data

        data: dict[str, Any] = {
            "indicator": self.indicator.id,
            "label": self.indicator.label,
            "unit": self.indicator.unit,
            "period": {
                "key": self.period.key,
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "group": dict(self.group),
            "value": json_value(self.value),
            "undefined_reason": self.undefined_reason,
            "as_of": self.as_of.to_dict(),
            "definition": indicator_to_data(self.indicator, resolve=False),
            "excluded": self.excluded,
            "contributions": [c.to_dict() for c in self.contributions],
            "numerator": self.numerator.to_dict() if self.numerator is not None else None,
            "denominator": self.denominator.to_dict() if self.denominator is not None else None,
        }
        if self.notes:  # only when there are some, so existing documents keep their shape
            data["notes"] = list(self.notes)
        if self.estimated:
            data["estimated"] = list(self.estimated)
        if self.operands:
            data["operands"] = [o.to_dict() for o in self.operands]
        return data

    def to_prov(self) -> prov.model.ProvDocument:
        """The figure's derivation as a W3C PROV document (needs the ``prov`` package).

        Entities are the figure and every contributing event; the computation is
        an activity that used the events; the figure was derived from each event.

        Raises:
            ProjectionError: the ``prov`` package is not installed.
        """
        from civicledger.projections.prov import figure_to_prov

        return figure_to_prov(self)

    def _repr_html_(self) -> str:
        """The figure in a notebook: its value, and its derivation one click away."""
        from civicledger.projections.display import figure_html

        return figure_html(self)

    def __str__(self) -> str:
        group = "".join(f"[{k}={v}]" for k, v in self.group)
        value = "not defined" if self.value is None else str(self.value)
        return f"{self.indicator.id}{group} {self.period.key} = {value}"


class FigureList(list[Figure]):
    """A list of figures (what ``Ledger.indicators`` returns) that also makes tables.

    It is a plain list in every other way; the conversions need the ``frames`` extra
    (see :mod:`civicledger.frames`).
    """

    def _repr_html_(self) -> str:
        """The figures in a notebook: a table, each row's derivation one click away."""
        from civicledger.projections.display import figures_html

        return figures_html(self)

    def to_pandas(self, *, decimals: Literal["exact", "float"] = "exact") -> pandas.DataFrame:
        """One row per figure; see :func:`civicledger.frames.figure_frame`."""
        from civicledger.frames import figure_frame

        return figure_frame(self, decimals=decimals)

    def to_arrow(self) -> pyarrow.Table:
        """One row per figure; see :func:`civicledger.frames.figure_table`."""
        from civicledger.frames import figure_table

        return figure_table(self)

    def lineage_to_pandas(
        self, *, decimals: Literal["exact", "float"] = "exact"
    ) -> pandas.DataFrame:
        """One row per contribution; see :func:`civicledger.frames.lineage_frame`."""
        from civicledger.frames import lineage_frame

        return lineage_frame(self, decimals=decimals)

    def lineage_to_arrow(self) -> pyarrow.Table:
        """One row per contribution; see :func:`civicledger.frames.lineage_table`."""
        from civicledger.frames import lineage_table

        return lineage_table(self)
