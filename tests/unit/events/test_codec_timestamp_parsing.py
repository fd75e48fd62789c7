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
