"""SQL pushdown gives exactly the Python engine's figures: values, lineage, excluded counts."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicledger.events import Codec, RecordedEvent
from civicledger.ledger import Ledger
from civicledger.projections import (
    And,
    Compare,
    Count,
    CountDistinct,
    Filter,
    In,
    Indicator,
    Latest,
    Not,
    Or,
    Period,
    Sum,
    parse_filter,
)
from civicledger.projections.engine import resolve_as_of
from civicledger.projections.figures import Figure
from civicledger.projections.service import as_indicator_set, indicators
from civicledger.pushdown import SqlPushdown
from civicledger.pushdown import sql as pushdown_sql
from civicledger.store import NewEvent
from civicledger.store.sql import SqlStore
from projection_testkit import REGISTRY, Body, GroupClosed, GroupOpened, Meeting, Reading

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
INDICATORS = EXAMPLE / "indicators.toml"


def _store(ledger: Ledger) -> SqlStore:
    store = ledger.store
    assert isinstance(store, SqlStore)
    return store


def _flat(figures: list[Figure]) -> list[tuple[Any, ...]]:
    """Everything a figure says, its ratio parts included, as comparable tuples."""
    rows = []
    for f in figures:
        rows.append(
            (
                f.indicator.id,
                f.period,
                f.group,
                f.value,
                f.excluded,
                f.contributions,
                f.undefined_reason,
                f.notes,
                f.as_of,
            )
        )
        rows += _flat([p for p in (f.numerator, f.denominator) if p is not None])
    return rows


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def example(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ledger]:
    """The example ledger imported into each SQL backend (PostgreSQL needs its env var)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('pushdown') / 'example.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with Ledger.open(url, f"pushdown-{uuid.uuid4().hex}") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        yield ledger


def test_every_example_indicator_is_pushed_down(example: Ledger) -> None:
    """The example set needs no fallback: every indicator compiles and the call is not refused."""
    store = _store(example)
    pushdown = SqlPushdown(store, store.codec)
    requests = [(i, p) for i in as_indicator_set(INDICATORS) for p in _periods(i)]
    assert pushdown.compute(requests, resolve_as_of(None, store.head()), lineage=True) is not None
    assert all(pushdown._pushable(i) for i, _ in requests)


def _periods(indicator: Indicator) -> list[Any]:
    from civicledger.projections.service import periods_for

    return periods_for(indicator, Period.year(2023))


@pytest.mark.parametrize("scan", [0, 10**9], ids=["one-walk", "by-type"])
@pytest.mark.parametrize("lineage", [True, "lazy", False])
def test_example_figures_pushed_down_equal_python(
    example: Ledger, lineage: Any, scan: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values, contributions and excluded counts of the example set match the Python engine."""
    # Both ways of reading rows: one walk in position order, or per type merged by position.
    monkeypatch.setattr(pushdown_sql, "_SCAN_FRACTION", scan)
    python = indicators(example.store, INDICATORS, year=2023, lineage=lineage)
    pushed = example.indicators(INDICATORS, year=2023, lineage=lineage)
    assert _flat(pushed) == _flat(python)
    if lineage is not False:
        assert sum(len(f.contributions) for f in pushed) > 1000


def test_example_figures_as_of_a_position_equal_python(example: Ledger) -> None:
    """An as-of position halfway through gives the Python engine's figures too."""
    middle = example.store.head() // 2
    python = indicators(example.store, INDICATORS, year=2023, as_of=middle)
    assert _flat(example.indicators(INDICATORS, year=2023, as_of=middle)) == _flat(python)


@pytest.mark.parametrize("period", ["2023-01..2023-11", "2023-Q4", "2023-W40", "..2023-10-15"])
def test_figures_over_any_period_pushed_down_equal_python(example: Ledger, period: str) -> None:
    """Month ranges, quarters, ISO weeks and "up to a date" give the Python engine's figures,
    with filters relative to the period bound to it on both sides."""
    relative = Indicator(
        "x.last_month",
        "期末当月会议",
        "次",
        source=["meeting_held"],
        where=parse_filter("occurred_on >= period.last_month_start and occurred_on < period.end"),
    )
    indicator_set = [*as_indicator_set(INDICATORS), relative]
    python = indicators(example.store, indicator_set, period=period)
    pushed = example.indicators(indicator_set, period=period)
    assert _flat(pushed) == _flat(python)
    (last,) = (f for f in pushed if f.id == "x.last_month")
    assert last.value  # the example holds meetings in every month
    assert "period" not in str(last.indicator.where)


def test_a_callable_filter_falls_back_to_python(example: Ledger) -> None:
    """An escape-hatch filter sees real recorded events and gives the Python figure."""
    seen: list[bool] = []

    def big(record: RecordedEvent) -> bool:
        seen.append(isinstance(record, RecordedEvent))
        return bool(getattr(record.payload, "attendees", 0) >= 20)

    indicator = Indicator("x.big", "大会", "次", source=["meeting_held"], where=big)
    python = indicators(example.store, [indicator], year=2023)
    seen.clear()
    pushed = example.indicators([indicator], year=2023)
    assert seen
    assert all(seen)
    assert _flat(pushed) == _flat(python)


def test_a_retraction_sends_the_call_to_python_with_corrected_numbers(
    tmp_path: Path,
) -> None:
    """With an amending event recorded, pushdown declines and the figure is the effective one."""
    with Ledger.open(f"sqlite:///{tmp_path / 'amended.db'}") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        [before] = [
            f
            for f in ledger.indicators(INDICATORS, year=2023)
            if f.indicator.id == "mediation.completed"
        ]
        target = before.contributions[0].event_id
        ledger.retract(target, reason="entered twice", actor="auditor")
        store = _store(ledger)
        pushdown = SqlPushdown(store, store.codec)
        requests = [(before.indicator, before.period)]
        assert pushdown.compute(requests, resolve_as_of(None, store.head()), lineage=True) is None
        [after] = [
            f
            for f in ledger.indicators(INDICATORS, year=2023)
            if f.indicator.id == "mediation.completed"
        ]
        assert after.value == before.value - 1
        assert target not in {c.event_id for c in after.contributions}
        # An as-of point before the retraction is still computed as the ledger stood then.
        assert ledger.compute(before.indicator, 2023, as_of=store.head() - 1).value == before.value


def test_a_nested_field_makes_only_its_indicator_fall_back(example: Ledger) -> None:
    """An indicator reading a nested path is folded in Python; the others stay pushed down."""
    store = _store(example)
    pushdown = SqlPushdown(store, store.codec)
    nested = Indicator(
        "x.nested", "嵌套", "次", source=["meeting_held"], where='payload.body.key == "x"'
    )
    plain = Indicator("x.plain", "会议", "次", source=["meeting_held"])
    assert not pushdown._pushable(nested)
    assert pushdown._pushable(plain)
    python = indicators(example.store, [nested, plain], year=2023)
    assert _flat(example.indicators([nested, plain], year=2023)) == _flat(python)


def test_an_unknown_source_type_falls_back_to_python(example: Ledger) -> None:
    """An indicator over a type the codec does not know is left to the Python engine."""
    unknown = Indicator("x.unknown", "未知", "次", source=["no_such_event"])
    store = _store(example)
    assert not SqlPushdown(store, store.codec)._pushable(unknown)
    assert _flat(example.indicators([unknown], year=2023)) == _flat(
        indicators(example.store, [unknown], year=2023)
    )


def test_no_lower_layer_imports_the_pushdown_adapter() -> None:
    """Importing projections, the store or corrections never loads civicledger.pushdown."""
    script = (
        "import sys, civicledger.projections, civicledger.store.sql, civicledger.corrections; "
        "print('civicledger.pushdown' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "False"


def test_a_correction_sends_the_call_to_python_with_corrected_numbers(tmp_path: Path) -> None:
    """A corrected sum counts the replacement payload, exactly as the Python engine does."""
    with Ledger.open(f"sqlite:///{tmp_path / 'corrected.db'}") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        wanted = [i for i in as_indicator_set(INDICATORS) if i.id == "volunteer.participants"]
        [before] = ledger.indicators(wanted, year=2023)
        target = before.contributions[0].event_id
        record = next(
            r for r in ledger.read(types=["volunteer_cleanup_held"]) if r.event_id == target
        )
        fixed = attrs.evolve(record.payload, volunteers=record.payload.volunteers + 5)
        ledger.correct(target, fixed, reason="miscounted", actor="auditor")
        [after] = ledger.indicators(wanted, year=2023)
        assert after.value == before.value + 5
        assert _flat([after]) == _flat(indicators(ledger.store, wanted, year=2023))
        assert "miscounted" in (after.contributions[0].note or "")


# --- random small ledgers and random simple filters -----------------------------------

TEXTS = st.sampled_from(["committee", "assembly", "x", "长"])
LITERALS = st.one_of(
    TEXTS,
    st.integers(-2, 40),
    st.decimals(min_value=0, max_value=5, places=1, allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(date(2022, 12, 1), date(2024, 1, 31)),
)
FIELDS = st.sampled_from(
    ["body", "attendees", "hours", "note", "kind", "group_id", "stream", "actor", "occurred_on"]
)


@st.composite
def leaves(draw: st.DrawFn) -> Filter:
    """One comparison or membership test."""
    field = draw(FIELDS)
    kind = draw(st.sampled_from(["==", "!=", "<", ">=", "in"]))
    if kind == "in":
        return In(field, tuple(draw(st.lists(LITERALS, min_size=1, max_size=3))))
    value = draw(LITERALS)
    if kind in ("<", ">=") and (value is None or isinstance(value, bool)):
        kind = "=="
    return Compare(field, kind, value)  # type: ignore[arg-type]


FILTERS = st.none() | st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda cs: And(tuple(cs))),
        st.lists(children, min_size=2, max_size=3).map(lambda cs: Or(tuple(cs))),
        children.map(Not),
    ),
    max_leaves=4,
)

DAYS = st.dates(date(2022, 11, 1), date(2024, 2, 1))
PAYLOADS = st.one_of(
    st.builds(
        Meeting,
        occurred_on=DAYS,
        body=st.sampled_from(list(Body)),
        attendees=st.integers(0, 40),
        hours=st.decimals(min_value=0, max_value=5, places=1, allow_nan=False),
        note=st.none() | TEXTS,
    ),
    st.builds(
        GroupOpened,
        occurred_on=DAYS,
        group_id=st.sampled_from(["g1", "g2", "g3"]),
        kind=TEXTS,
        members=st.lists(st.sampled_from(["a", "b", "c"]), max_size=3).map(tuple),
    ),
    st.builds(
        GroupClosed, occurred_on=DAYS, group_id=st.sampled_from(["g1", "g2", "g3"]), kind=TEXTS
    ),
    st.builds(Reading, occurred_on=DAYS, level=st.integers(0, 50)),
)
MEASURES: list[tuple[tuple[str, ...], Any]] = [
    (("ptest.meeting_held",), Count()),
    (("ptest.meeting_held",), Sum("attendees")),
    (("ptest.meeting_held",), Sum("attendees * hours")),
    (("ptest.meeting_held",), CountDistinct("body")),
    (("ptest.meeting_held",), Latest("attendees")),
    (("ptest.meeting_held", "ptest.reading_taken"), Count()),
    (("ptest.reading_taken",), Latest("level")),
    (("ptest.group_opened",), CountDistinct("group_id", removed_by=("ptest.group_closed",))),
    (("ptest.group_opened",), CountDistinct("members")),
    (("ptest.group_opened",), Count(removed_by=("ptest.group_closed",))),
]


@st.composite
def indicator_sets(draw: st.DrawFn) -> list[Indicator]:
    """A few indicators with random filters, measures, groupings, periods and stock flags."""
    result = []
    for n in range(draw(st.integers(1, 4))):
        source, measure = draw(st.sampled_from(MEASURES))
        result.append(
            Indicator(
                f"p.i{n}",
                "指标",
                "次",
                source=source,
                where=draw(FILTERS),
                measure=measure,
                group_by=draw(st.sampled_from([(), ("body",), ("kind",), ("stream",)])),
                period=draw(st.sampled_from(["year", "quarter"])),
                state=draw(st.booleans()),
            )
        )
    return result


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(PAYLOADS, st.sampled_from(["s1", "s2"])), max_size=25),
    indicator_sets(),
    st.integers(0, 30),
)
def test_random_ledgers_and_filters_push_down_exactly(
    entries: list[tuple[Any, str]], chosen: list[Indicator], cut: int
) -> None:
    """Over random small ledgers and filters, pushed-down figures equal the Python engine's."""
    with Ledger.open("sqlite://", "random", codec=Codec(REGISTRY)) as ledger:
        if entries:
            ledger.store.append_batch(
                [NewEvent(stream=s, event=e, actor="clerk") for e, s in entries]
            )
        as_of = min(cut, ledger.store.head())
        for lineage in (True, False):
            try:
                python = indicators(ledger.store, chosen, year=2023, as_of=as_of, lineage=lineage)
            except Exception as e:  # a latest over a non-number must fail the same way
                with pytest.raises(type(e), match=str(e)[:40].replace("(", ".").replace(")", ".")):
                    ledger.indicators(chosen, year=2023, as_of=as_of, lineage=lineage)
                return
            pushed = ledger.indicators(chosen, year=2023, as_of=as_of, lineage=lineage)
            assert _flat(pushed) == _flat(python)
            # And the SQL path itself ran (no silent fallback): it raises if it cannot be exact.
            store = _store(ledger)
            pushdown = SqlPushdown(store, store.codec)
            requests = [(i, p) for i in chosen for p in _periods(i)]
            with store.engine.connect() as conn:
                direct = pushdown._compute(
                    conn, requests, resolve_as_of(as_of, store.head()), lineage
                )
            assert _flat(direct) == _flat(python)
