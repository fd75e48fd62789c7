"""Declared follow-up figures equal the roll-up, for random histories and periods."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from test_followups_properties import valid_histories

from civicledger import Ledger
from civicledger.catalog.followups import problem_stream
from civicledger.indicators import loads
from civicledger.projections import Period
from civicledger.projections.rollup_names import ROLLUP_FIGURES

SET = "".join(
    f'[[indicator]]\nid = "office.n{number}"\nlabel = "数"\nunit = "个"\nfollowups = "{r.name}"\n'
    for number, r in enumerate(ROLLUP_FIGURES)
)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Any period from a day to two years within 2023-2024."""
    start = date(2023, 1, 1) + timedelta(days=draw(st.integers(0, 600)))
    length = draw(st.integers(0, 700))
    end = min(start + timedelta(days=length), date(2024, 12, 31))
    return Period.parse(f"{start.isoformat()}..{end.isoformat()}")


@settings(max_examples=40, deadline=None)
@given(history=valid_histories(), period=periods())
def test_declared_figures_equal_the_ledgers_roll_up(history: list, period: Period) -> None:  # type: ignore[type-arg]
    ledger = Ledger.in_memory(origin="example.invalid/followup-sets")
    for event in history:
        ledger.append(problem_stream(event.problem_id), [event], actor="clerk")
    declared = ledger.indicators(loads(SET), period=period)
    rollup = ledger.followup_rollup(period=period).all_figures()
    for number, name in enumerate(r.name for r in ROLLUP_FIGURES):
        mine = [(f.group, f.value) for f in declared if f.id == f"office.n{number}"]
        assert mine == [(f.group, f.value) for f in rollup if f.id == f"followups.{name}"]
