"""Full lineage pushed down: counts, sums and distinct keys from the rows that count,
contributions held as columns and built on first access, identical to the Python engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from civicledger.events import Codec
from civicledger.ledger import Ledger
from civicledger.projections import Count, CountDistinct, Indicator, Sum
from civicledger.projections.figures import Figure
from civicledger.projections.service import indicators
from civicledger.pushdown import lineage as pushdown_lineage
from civicledger.store import NewEvent
from projection_testkit import REGISTRY, Body, GroupClosed, GroupOpened, Meeting

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = EXAMPLE / "indicators.toml"


def _flat(figures: list[Figure]) -> list[tuple[Any, ...]]:
    rows = []
    for f in figures:
        rows.append((f.indicator.id, f.period, f.group, f.value, f.excluded, f.contributions))
        rows += _flat([p for p in (f.numerator, f.denominator) if p is not None])
    return rows


def test_full_lineage_is_held_as_columns_until_read(example: Ledger) -> None:
    """Counts, sums and distinct keys keep no Contribution objects until one is asked for."""
    figures = example.indicators(INDICATORS, year=2023)
    by_id = {f.id: f for f in figures if not f.group}
    for name in ("elderly.certified", "volunteer.participants", "party.contact_households"):
        assert not by_id[name].lineage_loaded
    python = indicators(example.store, INDICATORS, year=2023)
    assert _flat(figures) == _flat(python)
    assert all(f.lineage_loaded for f in figures if f.numerator is None and not f.operands)


def test_json_lineage_is_the_python_engines(example: Ledger) -> None:
    """A figure's dict (its contributions' to_dict, what a report's JSON lists) is the
    Python engine's, whether its contributions are built before or by to_dict."""
    figures = example.indicators(INDICATORS, year=2023)
    python = indicators(example.store, INDICATORS, year=2023)
    first = [f.to_dict() for f in python]
    assert [f.to_dict() for f in figures] == first
    assert [f.to_dict() for f in figures] == first  # once the objects are built


def test_full_lineage_stays_readable_after_the_ledger_is_closed(tmp_path: Path) -> None:
    """Lineage columns hold everything a contribution says: no read on access."""
    with Ledger.open(f"sqlite:///{tmp_path / 'closed.db'}") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        figures = ledger.indicators(INDICATORS, year=2023)
        python = indicators(ledger.store, INDICATORS, year=2023)
    assert _flat(figures) == _flat(python)


def _ledger(entries: list[tuple[Any, str]]) -> Ledger:
    ledger = Ledger.open("sqlite://", "lineage", codec=Codec(REGISTRY))
    ledger.store.append_batch([NewEvent(stream=s, event=e, actor="clerk") for e, s in entries])
    return ledger


def test_the_first_event_bringing_a_key_is_the_earliest_by_position() -> None:
    """A back-dated event recorded later does not take a key from an earlier-recorded one."""
    entries = [
        (
            GroupOpened(occurred_on=date(2023, 6, 1), group_id="g1", kind="k", members=("a", "b")),
            "s1",
        ),
        (
            GroupOpened(
                occurred_on=date(2023, 3, 1), group_id="g2", kind="k", members=("c", "a", "c")
            ),
            "s2",
        ),
        (GroupOpened(occurred_on=date(2023, 2, 1), group_id="g3", kind="j", members=()), "s1"),
    ]
    chosen = [
        Indicator(
            "p.members",
            "成员",
            "人",
            source=("ptest.group_opened",),
            measure=CountDistinct("members"),
        ),
        Indicator(
            "p.members_by_kind",
            "成员",
            "人",
            source=("ptest.group_opened",),
            measure=CountDistinct("members"),
            group_by=("kind",),
        ),
    ]
    with _ledger(entries) as ledger:
        pushed = ledger.indicators(chosen, year=2023)
        python = indicators(ledger.store, chosen, year=2023)
    assert _flat(pushed) == _flat(python)
    assert [f.to_dict() for f in pushed] == [f.to_dict() for f in python]
    assert [(c.position, c.key) for c in pushed[0].contributions] == [(1, "a"), (1, "b"), (2, "c")]


def test_closing_events_subtract_with_a_removed_note() -> None:
    """A stock count with removed_by lists closing events as -1 "removed", in ledger order."""
    entries = [
        (GroupOpened(occurred_on=date(2023, 1, 5), group_id="g1", kind="k"), "s1"),
        (GroupClosed(occurred_on=date(2023, 2, 5), group_id="g1", kind="k"), "s1"),
        (GroupOpened(occurred_on=date(2023, 1, 1), group_id="g2", kind="k"), "s2"),
    ]
    chosen = [
        Indicator(
            "p.open",
            "在册",
            "个",
            source=("ptest.group_opened",),
            measure=Count(removed_by=("ptest.group_closed",)),
            state=True,
            group_by=("stream",),
        )
    ]
    with _ledger(entries) as ledger:
        pushed = ledger.indicators(chosen, year=2023)
        python = indicators(ledger.store, chosen, year=2023)
    assert _flat(pushed) == _flat(python)
    assert [f.to_dict() for f in pushed] == [f.to_dict() for f in python]
    first = pushed[0].contributions
    assert [(c.position, c.amount, c.note) for c in first] == [(1, 1, None), (2, -1, "removed")]


def test_a_sum_beyond_64_bits_falls_back_to_python_exactly() -> None:
    """SQLite turns an integer overflow into a float: the pushdown refuses it, Python counts."""
    big = 2**40
    entries = [
        (Meeting(occurred_on=date(2023, 5, 1), body=Body.COMMITTEE, attendees=big), "s1"),
        (Meeting(occurred_on=date(2023, 6, 1), body=Body.COMMITTEE, attendees=big), "s1"),
    ]
    chosen = [
        Indicator(
            "p.squares",
            "平方",
            "个",
            source=("ptest.meeting_held",),
            measure=Sum("attendees * attendees"),
        )
    ]
    with _ledger(entries) as ledger:
        pushed = ledger.indicators(chosen, year=2023)
        python = indicators(ledger.store, chosen, year=2023)
    assert pushed[0].value == 2 * big * big
    assert _flat(pushed) == _flat(python)


def test_the_lineage_pass_serves_the_example_counts_sums_and_distincts(
    example: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every count, integer sum and single-type count_distinct of the example goes through it."""
    served: list[str] = []
    original = pushdown_lineage._figure

    def spy(request: Any, *args: Any) -> Figure:
        served.append(request[0].id)
        return original(request, *args)

    monkeypatch.setattr(pushdown_lineage, "_figure", spy)
    example.indicators(INDICATORS, year=2023)
    assert {"elderly.certified", "volunteer.participants", "party.contact_members"} <= set(served)
    assert "inspection.passed_by_level" in served  # grouped
    assert "employment.merchants" in served  # a stock sum
    assert "org.self_organisations" not in served  # count_distinct with removed_by: folded
    assert "volunteer.hours" not in served  # a Decimal sum: folded
