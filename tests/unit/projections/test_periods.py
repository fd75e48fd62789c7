"""The period model: every kind's parse, labels, bounds, 同比 and 环比, and the refusals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given

from civicledger.errors import ValidationError
from civicledger.projections import Period
from civicledger.testing.strategies import periods

# text, kind, start, end, Chinese label, English label
KNOWN = [
    ("2022", "year", date(2022, 1, 1), date(2022, 12, 31), "2022年", "2022"),
    ("2024-H1", "half", date(2024, 1, 1), date(2024, 6, 30), "2024年上半年", "H1 2024"),
    ("2022-H2", "half", date(2022, 7, 1), date(2022, 12, 31), "2022年下半年", "H2 2022"),
    ("2022-Q3", "quarter", date(2022, 7, 1), date(2022, 9, 30), "2022年第三季度", "Q3 2022"),
    ("2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), "2024年第一季度", "Q1 2024"),
    ("2022-03", "month", date(2022, 3, 1), date(2022, 3, 31), "2022年3月", "March 2022"),
    ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024年2月", "February 2024"),
    ("2023-02", "month", date(2023, 2, 1), date(2023, 2, 28), "2023年2月", "February 2023"),
    ("2022-W14", "week", date(2022, 4, 4), date(2022, 4, 10), "2022年第14周", "Week 14 of 2022"),
    # ISO week 53, and ISO weeks that straddle the calendar year.
    ("2020-W53", "week", date(2020, 12, 28), date(2021, 1, 3), "2020年第53周", "Week 53 of 2020"),
    ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 3), "2026年第53周", "Week 53 of 2026"),
    ("2020-W01", "week", date(2019, 12, 30), date(2020, 1, 5), "2020年第1周", "Week 1 of 2020"),
    (
        "2022-01..2022-11",
        "months",
        date(2022, 1, 1),
        date(2022, 11, 30),
        "2022年1—11月",
        "January–November 2022",
    ),
    # Year to date in January is the month itself.
    (
        "2022-01..2022-01",
        "months",
        date(2022, 1, 1),
        date(2022, 1, 31),
        "2022年1月",
        "January 2022",
    ),
    (
        "2024-01..2024-02",
        "months",
        date(2024, 1, 1),
        date(2024, 2, 29),
        "2024年1—2月",
        "January–February 2024",
    ),
    (
        "2021-11..2022-02",
        "months",
        date(2021, 11, 1),
        date(2022, 2, 28),
        "2021年11月—2022年2月",
        "November 2021–February 2022",
    ),
    (
        "..2022-10-31",
        "to_date",
        date(2022, 1, 1),
        date(2022, 10, 31),
        "截至2022年10月底",
        "Up to the end of October 2022",
    ),
    (
        "..2022-10-15",
        "to_date",
        date(2022, 1, 1),
        date(2022, 10, 15),
        "截至2022年10月15日",
        "Up to 15 October 2022",
    ),
    (
        "..2024-02-29",
        "to_date",
        date(2024, 1, 1),
        date(2024, 2, 29),
        "截至2024年2月底",
        "Up to the end of February 2024",
    ),
    (
        "2022-01-01..2022-10-31",
        "range",
        date(2022, 1, 1),
        date(2022, 10, 31),
        "2022年1月1日至2022年10月31日",
        "1 January 2022 to 31 October 2022",
    ),
]


@pytest.mark.parametrize(("text", "kind", "start", "end", "label", "label_en"), KNOWN)
def test_each_kind_parses_to_its_bounds_and_labels(
    text: str, kind: str, start: date, end: date, label: str, label_en: str
) -> None:
    period = Period.parse(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert (period.label, period.label_en) == (label, label_en)
    assert (period.text("zh"), period.text("en")) == (label, label_en)
    assert period.key == text
    assert Period.parse(period.key) == period


def test_up_to_a_month_reads_as_up_to_its_last_day() -> None:
    assert Period.parse("..2024-02") == Period.parse("..2024-02-29")
    assert Period.parse("..2023-02").end == date(2023, 2, 28)


def test_short_forms_tolerate_case_and_spaces() -> None:
    assert Period.parse(" 2022-q3 ") == Period.quarter(2022, 3)
    assert Period.parse("2022Q3") == Period.quarter(2022, 3)
    assert Period.parse("2022-w14") == Period.week(2022, 14)
    assert Period.parse("2022-h1") == Period.half(2022, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2022-W53", "2022 has 52 ISO weeks"),
        ("2022-W00", "week must be 1 to 52"),
        ("2022-13", "month must be 1 to 12"),
        ("2022-00", "month must be 1 to 12"),
        ("2022-Q5", "quarter must be 1 to 4"),
        ("2022-H3", "half must be 1 to 2"),
        ("2022-1", "not a period"),
        ("22", "not a period"),
        ("2022/03", "not a period"),
        ("", "not a period"),
        ("2022-01..", "needs an end"),
        ("2022-01..2022-10-31", "both ends of a range"),
        ("2022-11..2022-01", "the period is empty"),
        ("2022-05-01..2022-04-01", "the period is empty"),
        ("2023-02-29..2023-03-01", "not a calendar date"),
        ("..2023-02-29", "not a calendar date"),
        ("0000", "year must be"),
    ],
)
def test_ambiguous_malformed_and_empty_periods_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        Period.parse(text)
    assert repr(text) in str(raised.value)  # the message names what was given


def test_non_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be text"):
        Period.parse(2022)  # type: ignore[arg-type]


# 同比: the same span one year earlier; 环比: the preceding period of the same kind.
SHIFTS = [
    ("2022", "2021", "2021"),
    ("2022-H1", "2021-H1", "2021-H2"),
    ("2022-H2", "2021-H2", "2022-H1"),
    ("2022-Q1", "2021-Q1", "2021-Q4"),
    ("2022-Q3", "2021-Q3", "2022-Q2"),
    ("2022-01", "2021-01", "2021-12"),
    ("2024-03", "2023-03", "2024-02"),
    ("2022-W14", "2021-W14", "2022-W13"),
    ("2022-W01", "2021-W01", "2021-W52"),
    ("2021-W01", "2020-W01", "2020-W53"),
    ("2022-01..2022-11", "2021-01..2021-11", "2021-02..2021-12"),
    ("2022-01..2022-01", "2021-01..2021-01", "2021-12..2021-12"),
    ("2022-03..2022-05", "2021-03..2021-05", "2021-12..2022-02"),
    ("..2022-10-31", "..2021-10-31", None),
    # A month's end stays a month's end: 截至2024年2月底 against 截至2023年2月底,
    # and 截至2025年2月底 against 截至2024年2月底 (the 29th).
    ("..2024-02-29", "..2023-02-28", None),
    ("..2025-02-28", "..2024-02-29", None),
    ("..2022-10-15", "..2021-10-15", None),
    ("2022-01-01..2022-10-31", "2021-01-01..2021-10-31", "2021-03-03..2021-12-31"),
    ("2024-02-29..2024-03-01", "2023-02-28..2023-03-01", "2024-02-27..2024-02-28"),
]


@pytest.mark.parametrize(("text", "year_before", "preceding"), SHIFTS)
def test_year_on_year_and_preceding_periods(
    text: str, year_before: str, preceding: str | None
) -> None:
    period = Period.parse(text)
    assert period.previous_year().key == year_before
    assert period.previous_year().kind == period.kind
    if preceding is None:
        with pytest.raises(ValidationError, match="no preceding period of the same kind"):
            period.previous()
    else:
        assert period.previous().key == preceding
        assert period.previous().kind == period.kind
        assert period.previous().end < period.start


def test_week_53_has_no_same_week_a_year_earlier() -> None:
    with pytest.raises(ValidationError, match="2019 has 52 ISO weeks"):
        Period.parse("2020-W53").previous_year()


def test_whole_quarters_and_months_within_a_period() -> None:
    assert [p.key for p in Period.year(2023).within("quarter")] == [
        "2023-Q1",
        "2023-Q2",
        "2023-Q3",
        "2023-Q4",
    ]
    assert len(Period.year(2023).within("month")) == 12
    assert [p.key for p in Period.parse("2023-01..2023-11").within("quarter")] == [
        "2023-Q1",
        "2023-Q2",
        "2023-Q3",
    ]
    assert Period.parse("2023-W14").within("month") == []
    assert [p.key for p in Period.parse("..2023-02-15").within("month")] == ["2023-01"]


@given(periods())
def test_every_period_reads_back_from_its_key(period: Period) -> None:
    assert Period.parse(period.key) == period
    assert period.start <= period.end
    assert period.label
    assert period.label_en


@given(periods())
def test_year_on_year_keeps_the_kind_and_the_calendar_span(period: Period) -> None:
    before = period.previous_year()
    assert before.kind == period.kind
    if period.kind == "week":
        assert before.days == 7
    else:
        assert before.start.year == period.start.year - 1
        assert (before.start.month, before.end.month) == (period.start.month, period.end.month)
        assert abs(before.days - period.days) <= 1  # only 29 February differs


@given(periods())
def test_the_preceding_period_ends_the_day_before(period: Period) -> None:
    if period.kind == "to_date":
        return
    before = period.previous()
    assert (period.start - before.end).days == 1
    assert before.kind == period.kind
