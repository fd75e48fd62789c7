"""Filters: printing, parsing, evaluation rules and the clause that failed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from civicledger import ValidationError
from civicledger.indicators import all_of, any_of, eq, ge, in_, lt, ne, not_, predicate
from civicledger.projections import And, Compare, In, Not, parse_filter
from civicledger.projections.fields import MISSING
from projection_testkit import Body, Log, meeting


def record(**kw: object):  # type: ignore[no-untyped-def]
    """One recorded meeting."""
    return Log().add(meeting(1, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        'body == "committee"',
        "attendees >= 10",
        'body in ["committee", "assembly"]',
        "not (attendees < 3)",
        'body == "committee" and (attendees > 5 or hours <= 1.5)',
        "occurred_on >= 2023-01-01 and occurred_on <= 2023-03-31",
        "note == null",
        'stream != "other" and type == "ptest.meeting_held"',
        'payload.body == "a\\"b"',
        "attendees == -3",
    ],
)
def test_printed_filter_parses_back_to_an_equal_filter(text: str) -> None:
    """str() of a parsed filter parses back to the same filter."""
    parsed = parse_filter(text)
    assert parse_filter(str(parsed)) == parsed


def test_filters_built_in_python_print_readably() -> None:
    """Constructors print as the filter language."""
    where = all_of(eq("body", "committee"), any_of(ge("attendees", 10), not_(in_("note", ["x"]))))
    assert str(where) == 'body == "committee" and (attendees >= 10 or not (note in ["x"]))'


def test_not_in_is_read_as_negated_membership() -> None:
    """``x not in [...]`` reads as not (x in [...])."""
    assert parse_filter('body not in ["a"]') == Not(In("body", ("a",)))


def test_filters_compare_by_value() -> None:
    """Two filters with the same clauses are equal and hash alike."""
    assert eq("body", "a") & lt("attendees", 3) == And(
        (Compare("body", "==", "a"), lt("attendees", 3))
    )
    assert hash(eq("body", "a")) == hash(parse_filter('body == "a"'))


def test_vocabulary_fields_compare_by_stored_key() -> None:
    """A vocabulary member equals its stored key; a literal member is stored as its key."""
    assert eq("body", "assembly").test(record(body=Body.ASSEMBLY))
    assert Compare("body", "==", Body.ASSEMBLY).value == "assembly"


def test_envelope_fields_are_readable() -> None:
    """stream, type, actor, occurred_on and position are envelope fields."""
    r = record()
    assert parse_filter('type == "ptest.meeting_held" and actor == "clerk" and position == 1').test(
        r
    )
    assert parse_filter("occurred_on == 2023-01-01").test(r)


def test_a_missing_field_satisfies_no_comparison() -> None:
    """A clause on a field the event lacks is false, even for !=."""
    r = record()
    assert not ne("nonexistent", 3).test(r)
    assert not_(eq("nonexistent", 3)).test(r)


def test_true_is_not_one_and_text_is_not_a_number() -> None:
    """Values of different kinds are never equal or ordered."""
    r = record(attendees=1)
    assert not eq("attendees", True).test(r)
    assert not eq("attendees", "1").test(r)
    assert not lt("body", 5).test(r)
    assert eq("attendees", Decimal("1.0")).test(r)


def test_failure_names_the_clause_and_the_events_value() -> None:
    """failure() gives the first failing clause of a conjunction with the event's value."""
    where = parse_filter('body == "committee" and attendees >= 20')
    failure = where.failure(record(attendees=12))
    assert failure is not None
    assert str(failure.clause) == "attendees >= 20"
    assert (failure.field, failure.value) == ("attendees", 12)
    assert where.failure(record(attendees=25)) is None


def test_failure_of_a_missing_field_reports_missing() -> None:
    """A clause on an absent field fails with the MISSING value."""
    failure = eq("nonexistent", 1).failure(record())
    assert failure is not None
    assert failure.value is MISSING


def test_predicate_is_named_by_qualified_name_and_not_savable() -> None:
    """A callable filter prints as python:<qualname> and is flagged as not savable."""

    def big(r: object) -> bool:
        """Meetings with more than ten people."""
        return True

    where = predicate(big)
    assert str(where).startswith("python:")
    assert "big" in str(where)
    assert where.doc == "Meetings with more than ten people."
    assert not where.savable()
    assert not (eq("a", 1) & where).savable()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('body = "x"', 6),
        ("body ==", 8),
        ('(body == "x"', 13),
        ("and == 1", 1),
        ('body in "x"', 9),
        ("attendees < true", 13),
        ("x == 2023-02-30", 6),
        ("x == 1 y", 8),
        ("x == 1.5e3", 6),
    ],
)
def test_malformed_filters_are_refused_with_the_column(text: str, column: int) -> None:
    """A syntax error names the text and the column where it was found."""
    with pytest.raises(ValidationError, match=f"column {column}"):
        parse_filter(text)


def test_float_literals_are_refused_in_python_filters() -> None:
    """A float in a Python-built filter is refused (use Decimal)."""
    with pytest.raises(ValidationError, match="floats"):
        eq("hours", 1.5)  # type: ignore[arg-type]


def test_dates_and_decimals_parse_to_their_types() -> None:
    """Literals keep their kind: dates, Decimals, ints, null."""
    where = parse_filter("a == 2023-05-01 and b == 1.50 and c == 7 and d == null")
    assert isinstance(where, And)
    values = [c.value for c in where.clauses if isinstance(c, Compare)]
    assert values == [date(2023, 5, 1), Decimal("1.50"), 7, None]
