"""parse_timestamp's fast path (datetime.fromisoformat) reads exactly what strptime read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import ValidationError
from civicledger.events.text import format_timestamp, parse_timestamp


@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)))
def test_fast_parse_matches_strptime_on_every_formatted_timestamp(naive: datetime) -> None:
    """Every timestamp format_timestamp writes parses to the same aware UTC datetime as strptime."""
    text = format_timestamp(naive.replace(tzinfo=UTC))
    reference = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    parsed = parse_timestamp(text)
    assert parsed == reference
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-30T00:00:00.000000Z",
        "2023-01-01T24:00:00.000000Z",
        "2023-01-01T00:00:00.000000Z\n",
        "2023-01-01T00:00:00.000000+00:00",
    ],
)
def test_impossible_or_malformed_timestamps_raise_validation_error(text: str) -> None:
    """An impossible or malformed timestamp raises ValidationError, never a bare ValueError."""
    with pytest.raises(ValidationError):
        parse_timestamp(text)


@given(st.datetimes(timezones=st.just(UTC)))
def test_every_timestamp_reads_back_as_written(value: datetime) -> None:
    """format_timestamp writes every year with four digits, so parse_timestamp reads back any
    timestamp it wrote (year 999 was once written "999-…" and could not be read)."""
    text = format_timestamp(value)
    assert text[4] == "-"
    assert parse_timestamp(text) == value


def test_a_year_below_1000_is_padded_to_four_digits() -> None:
    """The documented form, YYYY, for the first millennium too."""
    assert format_timestamp(datetime(999, 5, 1, 8, 30, tzinfo=UTC)) == "0999-05-01T08:30:00.000000Z"
