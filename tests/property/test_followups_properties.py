"""Properties of the follow-up projection over random histories of problem events."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from civicledger.catalog.followups import ProblemReopened
from civicledger.events import Event, RecordedEvent
from civicledger.followups import (
    FollowUpStatus,
    followups,
    plan_import,
    project,
    read_table,
    rollup,
    write_csv,
)
from civicledger.projections.periods import Period
from followup_testkit import identified, planned, progressed, recorded, resolved

S = FollowUpStatus
START = date(2023, 1, 1)
WORKING = (S.OPEN, S.IN_PROGRESS, S.BASICALLY_DONE, S.ONGOING, S.REOPENED)
PROGRESS = (S.IN_PROGRESS, S.BASICALLY_DONE, S.ONGOING)


@st.composite
def valid_histories(draw: st.DrawFn) -> list[Event]:
    """Histories that follow the documented rules, built by a model written apart from them."""
    day = START
    status: dict[str, FollowUpStatus] = {}
    measures: dict[str, list[str]] = {}
    events: list[Event] = []
    for _ in range(draw(st.integers(1, 24))):
        day += timedelta(days=draw(st.integers(0, 45)))
        options: list[tuple[str, str]] = (
            [("identify", f"P{len(status) + 1}")] if len(status) < 4 else []
        )
        for pid, s in status.items():
            if s not in (S.DONE, S.CLOSED):
                options.append(("plan", pid))
            if s is not S.CLOSED:
                options.append(("note", pid))
            if s in WORKING:
                options += [("progress", pid), ("done", pid)]
            if s is S.DONE:
                options.append(("close", pid))
            if s in (S.DONE, S.CLOSED):
                options.append(("reopen", pid))
        action, pid = draw(st.sampled_from(options))
        if action == "identify":
            category = draw(st.sampled_from(["党建", "作风", "纪律"]))
            events.append(identified(pid, day, category))
            status[pid], measures[pid] = S.OPEN, []
        elif action == "plan":
            mid = draw(st.sampled_from(["M1", "M2", "M3"]))
            offset = draw(st.none() | st.integers(0, 200))
            due = None if offset is None else day + timedelta(days=offset)
            unit = draw(st.sampled_from(["社区党委", "社区居委会"]))
            weight = draw(st.integers(1, 3))
            events.append(planned(pid, mid, day, due, unit=unit, weight=weight))
            measures[pid].append(mid)
        elif action == "note":
            mid = draw(st.none() | st.sampled_from(measures[pid])) if measures[pid] else None
            percent = draw(st.none() | st.integers(0, 100))
            events.append(progressed(pid, day, "进展", measure_id=mid, percent=percent))
            if status[pid] in (S.OPEN, S.REOPENED):
                status[pid] = S.IN_PROGRESS
        elif action == "progress":
            status[pid] = draw(st.sampled_from(PROGRESS))
            events.append(progressed(pid, day, "进展", status=status[pid]))
        elif action == "done":
            events.append(resolved(pid, day))
            status[pid] = S.DONE
        elif action == "close":
            events.append(resolved(pid, day, S.CLOSED))
            status[pid] = S.CLOSED
        else:
            events.append(ProblemReopened(occurred_on=day, problem_id=pid, reason="回头看"))
            status[pid] = S.REOPENED
    return events


def as_of_dates(events: list[Event]) -> st.SearchStrategy[date]:
    last = max(e.occurred_on for e in events)
    return st.integers(-5, (last - START).days + 60).map(lambda n: START + timedelta(days=n))


@given(st.data())
def test_valid_histories_are_never_rejected(data: st.DataObject) -> None:
    """Every history that follows the rules projects with no rejection."""
    events = recorded(data.draw(valid_histories()))
    assert project(events, as_of=date(2030, 1, 1)).rejected == ()


@given(st.data())
def test_status_counts_always_sum_to_the_total(data: st.DataObject) -> None:
    """On any date the per-status figures add up to the total, each matching its rows."""
    events = recorded(data.draw(valid_histories()))
    as_of = data.draw(as_of_dates([e.payload for e in events]))
    rows = followups(events, as_of=as_of)
    figures = rollup(rows, period=Period.year(as_of.year))
    assert sum(f.value or 0 for f in figures.by_status) == figures.total.value == len(rows)
    for status in S:
        assert figures.status_count(status) == sum(1 for r in rows if r.status is status)
    assert figures.done.value == sum(1 for r in rows if r.is_done)


@given(st.data())
def test_the_state_as_of_a_date_equals_a_replay_cut_at_that_date(data: st.DataObject) -> None:
    """followups(as_of=d) over the whole ledger equals folding only the events up to d."""
    events = recorded(data.draw(valid_histories()))
    as_of = data.draw(as_of_dates([e.payload for e in events]))
    cut = len(events)
    for i, record in enumerate(events):
        if record.occurred_on > as_of:
            cut = i
            break
    assert followups(events, as_of=as_of) == followups(events[:cut], as_of=as_of)


@given(st.data())
def test_an_unedited_csv_export_imports_as_no_change(data: st.DataObject) -> None:
    """Exporting any ledger to CSV and importing the file unchanged plans nothing."""
    events = recorded(data.draw(valid_histories()))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.csv"
        write_csv(path, followups(events, as_of=date(2030, 1, 1)))
        assert plan_import(read_table(path), events, actor="office") == []


problem_ids = st.sampled_from(["P1", "P2"])
days = st.integers(0, 60).map(lambda n: START + timedelta(days=n))
any_problem_event: st.SearchStrategy[Event] = st.one_of(
    st.builds(identified, problem_ids, days),
    st.builds(planned, problem_ids, st.sampled_from(["M1", "M2"]), days, st.none()),
    st.builds(
        progressed,
        problem_ids,
        days,
        measure_id=st.none() | st.sampled_from(["M1", "M2"]),
        status=st.none() | st.sampled_from(PROGRESS),
    ),
    st.builds(resolved, problem_ids, days, st.sampled_from([S.DONE, S.CLOSED])),
    st.builds(
        lambda p, d: ProblemReopened(occurred_on=d, problem_id=p, reason="复查"), problem_ids, days
    ),
)


@given(st.lists(any_problem_event, max_size=20))
def test_any_history_projects_without_crashing_and_accounts_for_every_event(
    events: list[Event],
) -> None:
    """Rule-breaking histories still project; each event is either applied or rejected."""
    records: list[RecordedEvent] = recorded(events)
    state = project(records, as_of=date(2030, 1, 1))
    applied = sum(len(row.timeline) for row in state.rows)
    assert applied + len(state.rejected) == len(records)
    figures = rollup(state.rows, period=Period.year(2023))
    assert sum(f.value or 0 for f in figures.by_status) == figures.total.value
