"""Filters print, parse back from text and from TOML, and evaluate identically."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from civicledger import indicators as ind
from civicledger.projections import (
    And,
    Between,
    Compare,
    Contains,
    Filter,
    In,
    Indicator,
    IndicatorSet,
    Not,
    Or,
    StartsWith,
    parse_filter,
)
from projection_testkit import Body, Log, Meeting

FIELDS = st.sampled_from(
    ["body", "attendees", "hours", "note", "occurred_on", "payload.attendees", "stream", "position"]
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8
) | st.sampled_from(["committee", "assembly", "s", 'a"b', "c'd", "e\\f"])
LITERALS = st.one_of(
    TEXT,
    st.integers(-1000, 1000),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(date(2022, 1, 1), date(2024, 12, 31)),
)
DATES = st.dates(date(2022, 1, 1), date(2024, 12, 31))
ORDERED = st.one_of(
    st.integers(-1000, 1000),
    st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False),
    st.dates(date(2022, 1, 1), date(2024, 12, 31)),
    TEXT,
)


@st.composite
def comparisons(draw: st.DrawFn) -> Filter:
    """A single comparison or membership test."""
    field = draw(FIELDS)
    kind = draw(st.sampled_from(["eq", "ne", "order", "in", "prefix", "contains", "range"]))
    if kind == "prefix":
        return StartsWith(field, draw(TEXT))
    if kind == "contains":
        return Contains(field, draw(LITERALS))
    if kind == "range":
        low, high = sorted(
            draw(
                st.one_of(
                    st.lists(st.integers(-1000, 1000), min_size=2, max_size=2),
                    st.lists(DATES, min_size=2, max_size=2),
                    st.lists(TEXT, min_size=2, max_size=2),
                )
            )
        )
        return Between(field, low, high)
    if kind == "in":
        return In(field, tuple(draw(st.lists(LITERALS, min_size=1, max_size=3))))
    if kind == "order":
        return Compare(field, draw(st.sampled_from(["<", "<=", ">", ">="])), draw(ORDERED))
    return Compare(field, "==" if kind == "eq" else "!=", draw(LITERALS))


FILTERS = st.recursive(
    comparisons(),
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
        children.map(Not),
    ),
    max_leaves=6,
)

MEETINGS = st.builds(
    Meeting,
    occurred_on=st.dates(date(2022, 6, 1), date(2024, 6, 1)),
    body=st.sampled_from(list(Body)),
    attendees=st.integers(0, 40),
    hours=st.decimals(min_value=0, max_value=10, places=1, allow_nan=False),
    note=st.none() | st.sampled_from(["committee", "x", 'a"b', "长"]),
)


@given(FILTERS)
def test_printed_filters_parse_back_equal(where: Filter) -> None:
    """parse_filter(str(f)) == f for any filter."""
    assert parse_filter(str(where)) == where


@given(FILTERS, st.lists(MEETINGS, min_size=1, max_size=8))
def test_parsed_filters_evaluate_like_the_original(where: Filter, meetings: list[Meeting]) -> None:
    """A filter read back from its text passes exactly the same events."""
    log = Log()
    records = log.extend(meetings)
    parsed = parse_filter(str(where))
    assert [parsed.test(r) for r in records] == [where.test(r) for r in records]
    for record in records:
        # failure() agrees with test(): a failing event always names a clause.
        assert (where.failure(record) is None) == where.test(record)


@given(FILTERS, st.lists(MEETINGS, min_size=1, max_size=5))
def test_filters_survive_a_toml_round_trip(where: Filter, meetings: list[Meeting]) -> None:
    """An indicator's filter saved to TOML and loaded back is equal and passes the same events."""
    indicator = Indicator("p.x", "x", "次", source=["ptest.meeting_held"], where=where)
    loaded = ind.loads(ind.dumps(IndicatorSet((indicator,))))["p.x"]
    assert loaded.where == where
    records = Log().extend(meetings)
    assert loaded.where is not None
    assert [loaded.where.test(r) for r in records] == [where.test(r) for r in records]


def test_decimal_and_int_literals_keep_their_kind_in_print() -> None:
    """A Decimal prints with a point so that it reads back as a Decimal."""
    assert str(Compare("hours", "==", Decimal("2"))) == "hours == 2.0"
    assert isinstance(parse_filter("hours == 2.0"), Compare)
