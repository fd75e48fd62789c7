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


# --- prefix, substring, list item and range -------------------------------------------


@pytest.mark.parametrize(
    ("text", "kw", "passes"),
    [
        ('note startswith "城东"', {"note": "城东片区走访"}, True),
        ('note startswith "城东"', {"note": "走访城东"}, False),
        ('note startswith "城东"', {"note": None}, False),
        ('note startswith ""', {"note": "x"}, True),
        ('note contains "走访"', {"note": "城东片区走访"}, True),
        ('note contains "%"', {"note": "完成100%"}, True),
        ('note contains "a"', {"note": "A"}, False),
        ('not (note contains "走访")', {"note": None}, True),
        ('note not contains "走访"', {"note": "走访"}, False),
        ('body startswith "comm"', {"body": Body.COMMITTEE}, True),
        ("attendees between 10 and 20", {"attendees": 10}, True),
        ("attendees between 10 and 20", {"attendees": 20}, True),
        ("attendees between 10 and 20", {"attendees": 21}, False),
        ("attendees not between 10 and 20", {"attendees": 21}, True),
        ("hours between 0.5 and 1.5", {"hours": Decimal("1.5")}, True),
        ("occurred_on between 2023-01-01 and 2023-01-01", {}, True),
        ("occurred_on between 2023-01-02 and 2023-12-31", {}, False),
        ('note between "a" and "c"', {"note": "b"}, True),
        ("note between 1 and 3", {"note": "2"}, False),
    ],
)
def test_partial_matches_follow_the_filter_rules(
    text: str, kw: dict[str, object], passes: bool
) -> None:
    """Prefixes and substrings are exact text (no wildcards, case kept); ranges include ends."""
    where = parse_filter(text)
    assert where.test(record(**kw)) is passes
    assert parse_filter(str(where)) == where
    assert (where.failure(record(**kw)) is None) is passes


def test_contains_finds_an_item_of_a_list_field() -> None:
    """On a list field, contains means one item equals the value."""
    from projection_testkit import GroupOpened, day

    opened = Log().add(GroupOpened(occurred_on=day(1), group_id="g", kind="k", members=("a", "b")))
    assert parse_filter('members contains "b"').test(opened)
    assert not parse_filter('members contains "c"').test(opened)
    assert not parse_filter("members contains 1").test(opened)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("attendees between 20 and 10", "low bound is above the high bound"),
        ('attendees between 1 and "9"', "of one kind"),
        ("attendees between null and 9", "cannot be null"),
        ("note startswith 3", "needs a string"),
        ("attendees between 1 or 9", "expected 'and'"),
        ("attendees not == 3", "expected 'in', 'startswith', 'contains' or 'between'"),
        ('__class__ == "x"', "may start with '_'"),
        ('payload.__doc__ == "x"', "may start with '_'"),
    ],
)
def test_bad_partial_matches_are_refused_with_the_column(text: str, message: str) -> None:
    """Each malformed match names what is wrong."""
    with pytest.raises(ValidationError, match=message):
        parse_filter(text)


def test_python_helpers_build_the_same_filters() -> None:
    """indicators.startswith / contains / between equal the parsed text."""
    from civicledger.indicators import between, contains, startswith

    assert startswith("note", "城东") == parse_filter('note startswith "城东"')
    assert contains("note", "走访") == parse_filter('note contains "走访"')
    assert between("attendees", 1, 9) == parse_filter("attendees between 1 and 9")
