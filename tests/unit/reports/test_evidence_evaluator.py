"""The standalone evidence verifier's reference evaluator and phrasing, held to the library's.

examples/verify_evidence.py re-implements the indicator grammar (filters, count, sum,
count_distinct, latest, ratio, removed_by, group_by, state) and the phrasing rules a
figure is printed with, from the published documents alone. Here it is run on the
values the library computes from, and must give the library's figures, contributions
and phrases exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import Ledger, RecordedEvent
from civicledger.events import canonical_bytes, to_dict
from civicledger.projections import AsOf, Period
from civicledger.projections.engine import compute
from civicledger.projections.toml import indicator_from_data
from civicledger.reports.numbers import phrase
from evidence_testkit import load_script
from projection_testkit import Body, GroupClosed, GroupOpened, Log, Meeting, Reading, day

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


VE = load_script()


def evidence(record: RecordedEvent) -> dict[str, Any]:
    """An event as the verifier sees it: envelope members and disclosed payload values."""
    return {
        "envelope": {
            "event_id": str(record.event_id),
            "position": record.position,
            "occurred_on": record.occurred_on.isoformat(),
            "type": record.type,
            "stream": record.stream,
            "actor": record.actor,
        },
        "values": json.loads(canonical_bytes(to_dict(record.payload))),
    }


def check_same(figures: list[Any], events: list[dict[str, Any]]) -> int:
    """Each library figure equals the evaluator's (value and contributing events)."""
    checked = 0
    for figure in figures:
        data = figure.to_dict()
        if figure.numerator is not None:
            assert figure.denominator is not None
            parts = [
                _value_of(part.to_dict(), events) for part in (figure.numerator, figure.denominator)
            ]
            value = VE.ratio(data["definition"]["measure"], *parts)
        else:
            value, counted = _cell(data, events)
            assert set(counted) == {str(c.event_id) for c in figure.contributions}, figure
        assert VE.exact_text(value) == VE.exact_text(figure.value), figure
        checked += 1
    return checked


def _cell(data: dict[str, Any], events: list[dict[str, Any]]) -> list[Any]:
    cells = VE.evaluate(data["definition"], data["period"], events)
    group = tuple((n, data["group"].get(n)) for n in data["definition"]["group_by"])
    return cells.get(group, [None, []])


def _value_of(data: dict[str, Any], events: list[dict[str, Any]]) -> Any:
    return _cell(data, events)[0]


@pytest.fixture(scope="module")
def example() -> Iterator[Ledger]:
    with Ledger.in_memory(origin="example.invalid/xx-community") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        yield ledger


def test_the_evaluator_recomputes_every_figure_of_the_example(example: Ledger) -> None:
    """All 2023 figures of the example indicator set, ratios and groups included."""
    events = [evidence(r) for r in example.read()]
    figures = example.indicators(EXAMPLE / "indicators.toml", year=2023)
    assert check_same(figures, events) == len(figures) > 50


WHERE = st.sampled_from(
    [
        None,
        'body == "committee"',
        "attendees >= 10",
        'not (body in ["assembly"])',
        "hours > 1.5 or attendees < 5",
        'body != "assembly" and hours == 2',
        "note == null",
        "occurred_on >= 2023-06-01",
    ]
)
MEETINGS = st.builds(
    Meeting,
    occurred_on=st.integers(-60, 365).map(lambda n: day(n) if n > 0 else day(365 + n, 2022)),
    body=st.sampled_from(list(Body)),
    attendees=st.integers(0, 30),
    hours=st.sampled_from([Decimal("1"), Decimal("1.5"), Decimal("2")]),
    note=st.none() | st.just("x"),
)
GROUPS = st.builds(
    GroupOpened,
    occurred_on=st.integers(1, 365).map(day),
    group_id=st.sampled_from("abc"),
    kind=st.sampled_from(["k", "m"]),
    members=st.lists(st.sampled_from("xyz"), max_size=3).map(tuple),
)
CLOSINGS = st.builds(
    GroupClosed,
    occurred_on=st.integers(1, 365).map(day),
    group_id=st.sampled_from("abc"),
    kind=st.sampled_from(["k", "m"]),
)
READINGS = st.builds(Reading, occurred_on=st.integers(1, 365).map(day), level=st.integers(0, 9))


@given(
    st.lists(st.one_of(MEETINGS, GROUPS, CLOSINGS, READINGS), max_size=30),
    WHERE,
    st.sampled_from([[], ["body"]]),
    st.booleans(),
)
def test_the_evaluator_agrees_with_the_engine_on_random_ledgers(
    payloads: list[Any], where: str | None, group_by: list[str], state: bool
) -> None:
    """Random events and indicator definitions: every figure and its contributions agree."""
    log = Log()
    log.extend(payloads)
    meeting = {"source": ["ptest.meeting_held"], "group_by": group_by, "state": state}
    if where is not None:
        meeting["where"] = where
    definitions = [
        {**meeting, "measure": "count"},
        {**meeting, "measure": {"sum": "attendees"}},
        {**meeting, "measure": {"sum": "attendees * hours - 1"}},
        {**meeting, "measure": {"count_distinct": "attendees"}},
        {
            "source": ["ptest.group_opened"],
            "where": 'kind == "k"',
            "measure": {"count_distinct": "group_id", "removed_by": ["ptest.group_closed"]},
            "state": state,
        },
        {
            "source": ["ptest.group_opened"],
            "measure": {"count": True, "removed_by": ["ptest.group_closed"]},
            "group_by": ["kind"],
        },
        {"source": ["ptest.group_opened"], "measure": {"count_distinct": "members"}},
        {"source": ["ptest.reading_taken"], "measure": {"latest": "level"}},
    ]
    indicators = [
        indicator_from_data({"id": f"t.i{n}", "label": "x", "unit": "次", **d})
        for n, d in enumerate(definitions)
    ]
    period = Period.year(2023)
    figures = compute(
        log.records, [(i, period) for i in indicators], as_of=AsOf(position=len(log.records))
    )
    check_same(figures, [evidence(r) for r in log.records])


@given(
    st.integers(0, 10**9) | st.decimals(0, 10**6, places=2, allow_nan=False),
    st.sampled_from(
        ["exact", "exact:人", "approx", "approx:约", "approx:近:100", "approx:超过:10:人", "cn:次"]
    ),
)
def test_rephrasing_gives_the_library_phrase(value: Any, spec: str) -> None:
    """For every rule a figure can be printed with, the script re-derives text and rule."""
    if spec.startswith("cn") and (not isinstance(value, int) or value > 99_999_999):
        return
    expected = phrase(value, spec)
    assert VE.rephrase(expected.rule, value, None) == (expected.text, expected.rule)


@given(
    st.integers(0, 500), st.integers(1, 500), st.sampled_from(["rate", "rate:占:1", "rate:bare:0"])
)
def test_rephrasing_gives_the_library_rate(numerator: int, denominator: int, spec: str) -> None:
    """Rates, with their under-smallest and below-100 guards."""
    expected = phrase((numerator, denominator), spec)
    derived = VE.rephrase(expected.rule, None, (numerator, denominator))
    assert derived == (expected.text, expected.rule)


def test_unknown_rules_are_not_guessed() -> None:
    """A scaled or change phrase is left to the reader (None), never approximated."""
    assert VE.rephrase("scaled:万:exact", 12000, None) is None
    assert VE.rephrase("change:增长:decimals=2:round-half-up", 5, None) is None
