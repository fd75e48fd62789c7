"""Indicators that split one event type by a text field give the same figures together
(fed through a shared switch, projections/dispatch.py) as each computed alone."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from civicledger import indicators as ind
from civicledger.events import redaction
from civicledger.projections import AsOf, Compare, Filter, In, Indicator, Period, compute
from civicledger.projections.accumulate import Accumulator, Interner
from civicledger.projections.dispatch import dispatch_table
from projection_testkit import Body, Log, Meeting, day

YEAR = Period.year(2023)
NOTES = ["a", "b", "c"]

WHERE = st.one_of(
    st.builds(
        Compare,
        st.sampled_from(["note", "body", "payload.note"]),
        st.just("=="),
        st.sampled_from([*NOTES, "committee", "assembly"]),
    ),
    st.builds(
        In,
        st.sampled_from(["note", "body"]),
        st.lists(st.sampled_from([*NOTES, "committee"]), min_size=1, max_size=3).map(tuple),
    ),
    st.builds(Compare, st.just("attendees"), st.just(">="), st.integers(0, 12)),  # no switch
    st.builds(In, st.just("note"), st.just(("a", 3))),  # not only texts: no switch
)
MEASURES = st.sampled_from(
    [ind.count(), ind.sum("attendees"), ind.count_distinct("note"), ind.latest("attendees")]
)


@st.composite
def indicators(draw: st.DrawFn) -> list[Indicator]:
    """Two to five indicators over meetings, most with a text-equality filter."""
    chosen = []
    for i in range(draw(st.integers(2, 5))):
        chosen.append(
            Indicator(
                f"t.i{i}",
                "会议",
                "次",
                source=["ptest.meeting_held"],
                where=draw(WHERE),
                measure=draw(MEASURES),
                group_by=draw(st.sampled_from([(), ("body",)])),
            )
        )
    return chosen


@st.composite
def logs(draw: st.DrawFn) -> Log:
    """Meetings across three years, notes a text, None or absent by redaction."""
    log = Log()
    for _ in range(draw(st.integers(0, 25))):
        year = draw(st.sampled_from([2022, 2023, 2024]))
        record = log.add(
            Meeting(
                occurred_on=day(draw(st.integers(1, 365)), year),
                body=draw(st.sampled_from(list(Body))),
                attendees=draw(st.integers(0, 12)),
                note=draw(st.sampled_from([*NOTES, None])),
            )
        )
        if draw(st.integers(0, 5)) == 0:  # the note redacted: the switch's fallback
            kept = redaction.RedactedPayload(
                occurred_on=record.occurred_on,
                event_type=record.type,
                values={"body": record.payload.body.value, "attendees": record.payload.attendees},
                redacted=("note",),
            )
            log.records[-1] = attrs.evolve(record, payload=kept, redacted_fields=("note",))
    return log


def _seen(figures: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (f.indicator.id, f.group, f.value, f.excluded, f.undefined_reason, f.notes, f.contributions)
        for f in figures
    ]


@given(indicators(), logs())
def test_a_set_fed_through_switches_gives_each_indicators_own_figures(
    chosen: list[Indicator], log: Log
) -> None:
    as_of = AsOf(position=log.head())
    together = compute(log.records, [(i, YEAR) for i in chosen], as_of=as_of)
    alone = [f for i in chosen for f in compute(log.records, [(i, YEAR)], as_of=as_of)]
    assert _seen(together) == _seen(alone)


def test_only_text_filters_on_one_field_share_a_switch() -> None:
    """Two text equalities on ``note`` share one switch; an ordering and a lone equality
    on another field are fed as before."""

    def accumulator(where: Filter) -> Accumulator:
        indicator = Indicator("t.x", "会议", "次", source=["ptest.meeting_held"], where=where)
        return Accumulator(indicator, YEAR, True, Interner())

    members = [
        accumulator(Compare("note", "==", "a")),
        accumulator(In("note", ("b", "c"))),
        accumulator(Compare("attendees", ">=", 3)),
        accumulator(Compare("body", "==", "committee")),
    ]
    table, switches = dispatch_table(members)
    (switch,) = switches
    assert switch.members == members[:2]
    assert sorted(switch.accepting) == ["a", "b", "c"]
    assert len(table["ptest.meeting_held"]) == 3
