"""The event table holds every payload value exactly, whatever the values' scales and gaps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")

from civicledger.frames import event_table, figure_table  # noqa: E402
from civicledger.projections import Indicator, Period, Sum  # noqa: E402
from civicledger.projections.engine import compute_from_source  # noqa: E402
from projection_testkit import Body, Log, Meeting  # noqa: E402


@st.composite
def logs(draw: st.DrawFn) -> Log:
    """Meetings with hours of any scale and notes that are sometimes missing."""
    log = Log()
    for _ in range(draw(st.integers(1, 12))):
        places = draw(st.integers(0, 6))
        hours = draw(st.decimals(min_value=0, max_value=10**9, places=places, allow_nan=False))
        log.add(
            Meeting(
                occurred_on=draw(st.dates(date(2023, 1, 1), date(2023, 12, 31))),
                body=draw(st.sampled_from(list(Body))),
                attendees=draw(st.integers(0, 10**6)),
                hours=hours,
                note=draw(st.none() | st.text(min_size=1, max_size=5).filter(str.strip)),
            )
        )
    return log


@given(logs())
def test_every_payload_value_reads_back_exactly(log: Log) -> None:
    """Each cell of the Arrow event table equals the payload value (decimals numerically)."""
    table = event_table(log.records).to_pylist()
    for row, record in zip(table, log.records, strict=True):
        payload = record.payload
        assert row["occurred_on"] == record.occurred_on
        assert row["payload.attendees"] == payload.attendees
        assert Decimal(row["payload.hours"]) == payload.hours
        assert row["payload.body"] == payload.body.value
        assert row["payload.note"] == payload.note


@given(logs())
def test_a_sum_figure_keeps_its_exact_value(log: Log) -> None:
    """A decimal sum reads back from the figure table equal to the figure's value."""
    indicator = Indicator(
        "t.hours", "时长", "小时", source="ptest.meeting_held", measure=Sum("hours")
    )
    figures = compute_from_source(log, [(indicator, Period.year(2023))])
    (row,) = figure_table(figures).to_pylist()
    assert Decimal(row["value"]) == figures[0].value
