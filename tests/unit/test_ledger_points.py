"""Ledger points (``as_of``: a position, a seal or a recorded-at time) and business dates (``on``).

``as_of`` names a point in the ledger's history in every facade call; the follow-up
calls, which take the date a rectification ledger describes, call it ``on`` and
keep ``as_of`` as a deprecated keyword.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from civicledger import Ledger, ReadFilter, ValidationError
from civicledger.audit import Seal, parse_ledger_point
from civicledger.followups import problem_stream
from followup_testkit import sample_events

ON = date(2024, 6, 30)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory() as ledger:
        for event in sample_events():
            ledger.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
        yield ledger


# -- parsing a ledger point from text --------------------------------------------------------


def test_a_position_a_time_and_a_seal_parse_from_text(ledger: Ledger) -> None:
    """Digits are a position, an ISO time with offset a recorded-at time, a checkpoint a seal."""
    seal = ledger.seal()
    assert parse_ledger_point("42") == 42
    assert parse_ledger_point(" 7\n") == 7
    assert parse_ledger_point("2024-01-31T18:00:00+08:00") == datetime(2024, 1, 31, 10, tzinfo=UTC)
    assert parse_ledger_point("2024-01-31T10:00:00Z") == datetime(2024, 1, 31, 10, tzinfo=UTC)
    parsed = parse_ledger_point(seal.text)
    assert isinstance(parsed, Seal)
    assert (parsed.tree_size, parsed.root_hash) == (seal.tree_size, seal.root_hash)


@pytest.mark.parametrize(
    "text", ["2024-01-31", "2024-01-31T10:00:00", "-3", "latest", "", "4.5"], ids=repr
)
def test_text_that_is_no_ledger_point_is_refused_saying_what_is(text: str) -> None:
    """A date, a time without its offset, a sign or a word: refused, naming as_of and the forms."""
    with pytest.raises(ValidationError, match=r"position .* recorded-at time .* seal") as caught:
        parse_ledger_point(text)
    assert caught.value.field == "as_of"


def test_a_damaged_seal_text_is_refused_by_the_seal_parser(ledger: Ledger) -> None:
    """Several lines are read as a seal, so a broken one gets the seal's own error."""
    broken = ledger.seal().text.replace("\n", "\nx", 1)
    with pytest.raises(ValidationError):
        parse_ledger_point(broken)


# -- every facade call reads as of a ledger point --------------------------------------------


def test_series_refuses_a_seal_of_another_ledger(ledger: Ledger) -> None:
    """Like compute, indicators, compare and report, series checks the seal is this ledger's."""
    other = Ledger.in_memory()
    for event in sample_events()[:2]:
        other.append(problem_stream(event.problem_id), [event], actor="clerk")  # type: ignore[attr-defined]
    from civicledger.indicators import load

    examples = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
    indicator = next(iter(load(examples / "indicators.toml")))
    with pytest.raises(ValidationError, match="another ledger"):
        ledger.series(indicator, 2024, as_of=other.seal())


# -- business dates: on=, and the deprecated as_of= ------------------------------------------


def test_followups_on_a_date_is_what_the_old_keyword_gave(ledger: Ledger) -> None:
    """on= is the new name; as_of= still works, warning with the call to use instead."""
    with pytest.warns(DeprecationWarning, match=r"Ledger\.followups\(on=\.\.\.\)"):
        old = ledger.followups(as_of=ON)
    assert ledger.followups(on=ON) == ledger.followups(ON) == old
    assert [row.problem_id for row in old] == [row.problem_id for row in ledger.followups(ON)]


def test_each_follow_up_call_warns_on_the_old_keyword(ledger: Ledger, tmp_path: Path) -> None:
    """followup_rollup, export_followups and followups_frame name their own new call."""
    with pytest.warns(DeprecationWarning, match=r"Ledger\.followup_rollup\(on=\.\.\.\)"):
        old = ledger.followup_rollup(2024, as_of=ON)
    assert old == ledger.followup_rollup(2024, on=ON)
    with pytest.warns(DeprecationWarning, match=r"Ledger\.export_followups\(on=\.\.\.\)"):
        ledger.export_followups(tmp_path / "old.csv", as_of=ON)
    ledger.export_followups(tmp_path / "new.csv", on=ON)
    assert (tmp_path / "old.csv").read_bytes() == (tmp_path / "new.csv").read_bytes()


def test_the_new_keyword_does_not_warn(ledger: Ledger, tmp_path: Path) -> None:
    """Calls written with on= (or positionally) raise no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ledger.followups(on=ON)
        ledger.followup_rollup(2024, ON)
        ledger.export_followups(tmp_path / "f.csv", on=ON)


def test_both_keywords_together_are_refused(ledger: Ledger) -> None:
    """on= and as_of= at once is ambiguous: refused, naming as_of."""
    with pytest.raises(ValidationError, match="on= only") as caught:
        ledger.followups(on=ON, as_of=ON)
    assert caught.value.field == "as_of"


# -- ReadFilter through the facade ------------------------------------------------------------


def test_an_effective_read_takes_a_read_filter(ledger: Ledger) -> None:
    """The corrected view reads through the same filter value as the plain one."""
    first = next(iter(ledger.read()))
    ledger.retract(first.event_id, reason="entered twice", actor="clerk")
    wanted = ReadFilter(stream=first.stream)
    plain = [r.event_id for r in ledger.read(wanted)]
    effective = [r.event_id for r in ledger.read(wanted, effective=True)]
    assert first.event_id in plain
    assert first.event_id not in effective
    assert set(effective) < set(plain)
