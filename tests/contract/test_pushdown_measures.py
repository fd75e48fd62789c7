"""The measures the pushdown used to fold from light rows, now computed in SQL, give exactly
the Python engine's figures: ``latest``, sums of ``Decimal`` amounts (value and exponent),
stock ``count_distinct`` with ``removed_by``, and several ``count_distinct`` over one type."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from test_pushdown import _flat
from test_set_pushdown import MIXED, _each_way

from civicledger.events import Codec
from civicledger.ledger import Ledger
from civicledger.ledgerset import LedgerSet
from civicledger.projections import CountDistinct, Indicator, Latest, Sum
from civicledger.projections.service import indicators
from civicledger.pushdown import sql as pushdown_sql
from civicledger.store import NewEvent
from projection_testkit import REGISTRY, Body, GroupClosed, GroupOpened, Meeting, Reading


def _meeting(day: str, attendees: int, hours: str, body: Body = Body.COMMITTEE) -> Meeting:
    return Meeting(
        occurred_on=date.fromisoformat(day), body=body, attendees=attendees, hours=Decimal(hours)
    )


def _opened(day: str, group: str, kind: str, members: tuple[str, ...] = ()) -> GroupOpened:
    return GroupOpened(
        occurred_on=date.fromisoformat(day), group_id=group, kind=kind, members=members
    )


def _closed(day: str, group: str) -> GroupClosed:
    return GroupClosed(occurred_on=date.fromisoformat(day), group_id=group, kind="any")


def _reading(day: str, level: int) -> Reading:
    return Reading(occurred_on=date.fromisoformat(day), level=level)


HISTORY: list[tuple[Any, str]] = [
    (_reading("2023-03-05", 4), "s1"),
    (_reading("2023-03-05", 9), "s1"),  # same day, later position: the latest
    (_reading("2023-02-01", 30), "s2"),  # recorded later, an earlier day
    (_meeting("2023-01-10", 12, "2.50"), "s1"),
    (_meeting("2023-01-11", 3, "0.125", Body.ASSEMBLY), "s2"),
    (_meeting("2023-04-02", 0, "-0.0"), "s1"),
    (_meeting("2023-05-09", 7, "7"), "s2"),
    (_meeting("2022-12-31", 50, "1.5"), "s1"),  # before the year
    (_opened("2022-11-01", "g1", "a", ("m1", "m1")), "s1"),  # a key twice in one event
    (_opened("2023-01-05", "g1", "b", ("m2",)), "s1"),  # already open: changes nothing
    (_closed("2023-02-01", "g1"), "s1"),
    (_closed("2023-02-02", "g1"), "s1"),  # already closed: changes nothing
    (_opened("2023-03-01", "g1", "b", ("m1", "m3")), "s2"),  # reopened in another group
    (_opened("2023-03-02", "g2", "a", ("m3",)), "s2"),
    (_closed("2023-03-03", "g9"), "s1"),  # never opened
    (_opened("2023-05-01", "g3", "c", ()), "s1"),
    (_closed("2024-01-05", "g2"), "s1"),  # after the year
    (_opened("2023-06-30", "g4", "a", ("m4",)), "s1"),
    (_closed("2023-07-01", "g4"), "s2"),
]

OPENED, CLOSED = "ptest.group_opened", "ptest.group_closed"

SET = [
    Indicator("t.latest", "读数", "度", source=["ptest.reading_taken"], measure=Latest("level")),
    Indicator(
        "t.latest_by_stream",
        "读数",
        "度",
        source=["ptest.reading_taken"],
        measure=Latest("level"),
        group_by=["stream"],
        period="quarter",
    ),
    Indicator(
        "t.latest_hours", "时长", "时", source=["ptest.meeting_held"], measure=Latest("hours")
    ),
    Indicator("t.hours", "时长", "时", source=["ptest.meeting_held"], measure=Sum("hours")),
    Indicator(
        "t.person_hours",
        "人时",
        "时",
        source=["ptest.meeting_held"],
        measure=Sum("attendees * hours * 2"),
        group_by=["body"],
        period="quarter",
    ),
    # Two integer fields: PostgreSQL must multiply in numeric, not bigint.
    Indicator(
        "t.squared",
        "平方",
        "时",
        source=["ptest.meeting_held"],
        measure=Sum("attendees * attendees * hours"),
    ),
    Indicator(
        "t.stock",
        "存量",
        "个",
        source=[OPENED],
        measure=CountDistinct("group_id", removed_by=(CLOSED,)),
        state=True,
    ),
    Indicator(
        "t.stock_by_kind",
        "存量",
        "个",
        source=[OPENED],
        where='kind != "c"',
        measure=CountDistinct("group_id", removed_by=(CLOSED,)),
        group_by=["kind"],
        state=True,
        period="quarter",
    ),
    Indicator(
        "t.stock_members",
        "成员",
        "人",
        source=[OPENED],
        measure=CountDistinct("members", removed_by=(CLOSED,), removed_field="group_id"),
        state=True,
    ),
    Indicator("t.groups", "小组", "个", source=[OPENED], measure=CountDistinct("group_id")),
    Indicator(
        "t.groups_a",
        "小组",
        "个",
        source=[OPENED],
        where='kind == "a"',
        measure=CountDistinct("group_id"),
        period="quarter",
    ),
    Indicator(
        "t.members", "成员", "人", source=[OPENED], measure=CountDistinct("members"), state=True
    ),
]


@pytest.fixture
def ledger(ledger_url: str, ledger_name: str) -> Iterator[Ledger]:
    with Ledger.open(ledger_url, ledger_name, codec=Codec(REGISTRY)) as opened:
        opened.store.append_batch([NewEvent(stream=s, event=e, actor="clerk") for e, s in HISTORY])
        yield opened


def _exact(figures: list[Any]) -> list[tuple[Any, ...]]:
    """Everything _flat compares, plus each value's repr (2.50 and 2.5 are equal numbers)."""
    return [(*row, repr(row[3])) for row in _flat(figures)]


@pytest.fixture
def no_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the pushdown folds light rows (everything here is meant to be SQL)."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("folded from light rows")

    monkeypatch.setattr(pushdown_sql.SqlPushdown, "_fold", refuse)


@pytest.mark.parametrize("as_of", [None, 6, 12])
def test_formerly_folded_measures_are_sql_and_exact(
    ledger: Ledger, as_of: int | None, no_fold: None
) -> None:
    """Without lineage every figure is computed in SQL and equals the engine's, exponents
    included, at the head and at earlier positions."""
    python = indicators(ledger.store, SET, year=2023, as_of=as_of, lineage=False)
    pushed = ledger.indicators(SET, year=2023, as_of=as_of, lineage=False)
    assert _exact(pushed) == _exact(python)
    values = {(f.indicator.id, f.period.label, f.group): f.value for f in pushed}
    if as_of is None:
        assert repr(values[("t.hours", "2023年", ())]) == "Decimal('9.625')"
        assert values[("t.latest", "2023年", ())] == 9
        assert values[("t.stock", "2023年", ())] == 3  # g1 reopened, g2, g3 (g4 closed)


def test_lazy_figures_load_the_engine_contributions(ledger: Ledger) -> None:
    """Lazy lineage: SQL values first, then each figure's exact contributions on access."""
    python = indicators(ledger.store, SET, year=2023, lineage=True)
    pushed = ledger.indicators(SET, year=2023, lineage="lazy")
    assert _exact(pushed) == _exact(python)


def test_a_sum_longer_than_the_decimal_context_is_rounded_as_python_rounds(
    ledger: Ledger,
) -> None:
    """Where Python's Decimal context would round, the sum is folded: the same rounding."""
    ledger.store.append_batch(
        [NewEvent(stream="s1", event=_meeting("2023-08-01", 1, "12345.678"), actor="clerk")]
    )
    with decimal.localcontext(prec=6):
        python = indicators(ledger.store, SET, year=2023, lineage=False)
        pushed = ledger.indicators(SET, year=2023, lineage=False)
    assert _exact(pushed) == _exact(python)


@pytest.mark.parametrize(
    ("attendees", "hours"),
    [(2**53 - 1, "1234567890.12345"), (1, "0.0000000000000000001")],
    ids=["product-overflows", "too-many-digits"],
)
def test_amounts_beyond_sqlite_integers_are_folded_exactly(
    ledger: Ledger, attendees: int, hours: str
) -> None:
    """A product too large for a 64-bit integer, or a stored decimal with more digits than
    one holds, falls back to the fold (on SQLite), which adds exactly as Python does."""
    ledger.store.append_batch(
        [NewEvent(stream="s1", event=_meeting("2023-08-01", attendees, hours), actor="clerk")]
    )
    python = indicators(ledger.store, SET, year=2023, lineage=False)
    pushed = ledger.indicators(SET, year=2023, lineage=False)
    assert _exact(pushed) == _exact(python)


def test_a_set_of_ledgers_gives_each_ledger_its_figures(ledger_url: str, ledger_name: str) -> None:
    """The set path (grouped by ledger) gives each ledger's own figures for these measures."""
    names = [f"{ledger_name}/{n}" for n in ("a", "b", "c")]
    for index, name in enumerate(names):
        with Ledger.open(ledger_url, name, codec=Codec(MIXED)) as one:
            if index < 2:  # the third ledger is empty
                one.store.append_batch(
                    [NewEvent(stream=s, event=e, actor="clerk") for e, s in HISTORY[index * 5 :]]
                )
    with LedgerSet.open(ledger_url, names, codec=Codec(MIXED)) as street:
        for lineage in (False, "lazy"):
            _each_way(street, SET, None, lineage)


NOTES = [
    Indicator(
        "t.notes", "备注", "条", source=["ptest.meeting_held"], measure=CountDistinct("note")
    ),
    Indicator(
        "t.notes_of_committees",
        "委员会备注",
        "条",
        source=["ptest.meeting_held"],
        measure=CountDistinct("note"),
        where='body == "committee"',
    ),
]


@pytest.mark.parametrize("chosen", [NOTES[:1], NOTES], ids=["one", "sharing a read"])
def test_count_distinct_counts_no_key_for_a_null_value(
    ledger: Ledger, chosen: list[Indicator]
) -> None:
    """An optional field's nulls are no key, as the engine counts: PostgreSQL's jsonb null
    is not SQL NULL, and used to count as one more key."""
    notes = [None, "a", "b", None, "a"]
    ledger.store.append_batch(
        [
            NewEvent(
                stream="s1",
                event=attrs.evolve(_meeting("2023-08-01", 1, "1"), note=n),
                actor="clerk",
            )
            for n in notes
        ]
    )
    for lineage in (False, "lazy", True):
        python = indicators(ledger.store, chosen, year=2023, lineage=bool(lineage))
        pushed = ledger.indicators(chosen, year=2023, lineage=lineage)
        assert _flat(pushed) == _flat(python), lineage
        assert {f.indicator.id: f.value for f in pushed} == {i.id: 2 for i in chosen}


SQUARES = [
    Indicator(
        "t.squares",
        "平方",
        "个",
        source=["ptest.meeting_held"],
        measure=Sum("attendees * attendees"),
    ),
    Indicator(
        "t.doubled", "加倍", "人", source=["ptest.meeting_held"], measure=Sum("attendees * 2")
    ),
]


def test_a_product_past_64_bits_is_summed_exactly(ledger_url: str, ledger_name: str) -> None:
    """A product of two fields can pass 64 bits: SQLite made it an inexact float and
    PostgreSQL's bigint raised; it is summed exactly, one ledger and a set alike."""
    big = [attrs.evolve(_meeting("2023-08-01", 1, "1"), attendees=2**40 + n) for n in range(3)]
    names = [f"{ledger_name}/{n}" for n in ("a", "b")]
    for name in names:
        with Ledger.open(ledger_url, name, codec=Codec(MIXED)) as one:
            one.store.append_batch([NewEvent(stream="s1", event=e, actor="clerk") for e in big])
    expected = sum((2**40 + n) ** 2 for n in range(3))
    with LedgerSet.open(ledger_url, names, codec=Codec(MIXED)) as street:
        for lineage in (False, "lazy", True):
            _each_way(street, SQUARES, None, lineage)
        for one in street:
            values = {f.indicator.id: f.value for f in one.indicators(SQUARES, year=2023)}
            assert values == {"t.squares": expected, "t.doubled": 2 * sum(e.attendees for e in big)}
