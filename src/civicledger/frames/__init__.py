"""Figures, series, lineage, the event log and the follow-ups as pandas DataFrames and
Arrow tables (the optional ``frames`` extra: ``pip install 'civicledger[frames]'``).

Every ``*_table`` function gives a typed Arrow table and every ``*_frame`` function
the pandas frame converted from it: dates are dates (``date32``; ``datetime64`` in
pandas), recorded times UTC timestamps, counts integers (nullable ``Int64`` in
pandas), and decimal values exact (``decimal128``; :class:`~decimal.Decimal` objects
in pandas) unless the caller asks for floats with ``decimals="float"``. Nothing here
is imported by the rest of civicledger until asked for, so the core never loads
pandas or pyarrow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from civicledger.frames import _rows
from civicledger.frames._columns import Decimals, arrow_table, to_pandas

if TYPE_CHECKING:
    import pandas
    import pyarrow

    from civicledger.events import RecordedEvent
    from civicledger.followups import FollowUp
    from civicledger.projections import Figure, Series

__all__ = [
    "Decimals",
    "event_frame",
    "event_table",
    "figure_frame",
    "figure_table",
    "followup_frame",
    "followup_table",
    "lineage_frame",
    "lineage_table",
    "series_frame",
    "series_table",
    "to_pandas",
]


def figure_table(figures: Iterable[Figure]) -> pyarrow.Table:
    """One row per figure: indicator, label, unit, period (key, label, start, end), group
    (as text and one ``group_<field>`` column per field), value, why it is undefined,
    how many events are behind it, how many were excluded, and its as-of point.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    return arrow_table(*_rows.figure_rows(figures))


def figure_frame(figures: Iterable[Figure], *, decimals: Decimals = "exact") -> pandas.DataFrame:
    """The rows of :func:`figure_table` as a pandas DataFrame.

    Raises:
        CivicLedgerError: pandas or pyarrow is not installed.
        ValidationError: ``decimals`` is neither ``"exact"`` nor ``"float"``.
    """
    return to_pandas(figure_table(figures), decimals)


def series_table(series: Series | Iterable[Series]) -> pyarrow.Table:
    """The figure rows of one or more series, with each row's ``step`` (1, 2, …) and
    ``by``, and ``previous_period`` and ``previous_value`` for a series with its year
    earlier.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    # One series is iterable too (over its figures); only a series has periods. Asked
    # by attribute, not class: projections calls this module, so it names no class of it.
    if hasattr(series, "periods"):
        return arrow_table(*_rows.series_rows([cast("Series", series)]))
    return arrow_table(*_rows.series_rows(series))


def series_frame(
    series: Series | Iterable[Series], *, decimals: Decimals = "exact"
) -> pandas.DataFrame:
    """The rows of :func:`series_table` as a pandas DataFrame.

    Raises:
        CivicLedgerError: pandas or pyarrow is not installed.
        ValidationError: ``decimals`` is neither ``"exact"`` nor ``"float"``.
    """
    return to_pandas(series_table(series), decimals)


def lineage_table(figures: Iterable[Figure]) -> pyarrow.Table:
    """One row per contribution: the figure (indicator, period, group, and for a ratio the
    ``part``), then the event (id, position, date, type, stream) and what it added.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    return arrow_table(*_rows.lineage_rows(figures))


def lineage_frame(figures: Iterable[Figure], *, decimals: Decimals = "exact") -> pandas.DataFrame:
    """The rows of :func:`lineage_table` as a pandas DataFrame.

    Raises:
        CivicLedgerError: pandas or pyarrow is not installed.
        ValidationError: ``decimals`` is neither ``"exact"`` nor ``"float"``.
    """
    return to_pandas(lineage_table(figures), decimals)


def event_table(records: Iterable[RecordedEvent]) -> pyarrow.Table:
    """One row per recorded event: the envelope (position, id, stream, version, type,
    schema version, date, recorded time, actor, redacted fields), then every payload
    field as a ``payload.<field>`` column typed by its values; a field several event
    types use with values of different kinds is text.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    return arrow_table(*_rows.event_rows(records))


def event_frame(
    records: Iterable[RecordedEvent], *, decimals: Decimals = "exact"
) -> pandas.DataFrame:
    """The rows of :func:`event_table` as a pandas DataFrame.

    Raises:
        CivicLedgerError: pandas or pyarrow is not installed.
        ValidationError: ``decimals`` is neither ``"exact"`` nor ``"float"``.
    """
    return to_pandas(event_table(records), decimals)


def followup_table(followups: Iterable[FollowUp]) -> pyarrow.Table:
    """One row per follow-up (整改台账), typed: dates, percent, flags, the status key and
    label, how many measures, the latest progress note and evidence reference.

    Raises:
        CivicLedgerError: pyarrow is not installed.
    """
    return arrow_table(*_rows.followup_rows(followups))


def followup_frame(followups: Iterable[FollowUp]) -> pandas.DataFrame:
    """The rows of :func:`followup_table` as a pandas DataFrame.

    Raises:
        CivicLedgerError: pandas or pyarrow is not installed.
    """
    return to_pandas(followup_table(followups))
