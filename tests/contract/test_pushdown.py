"""SQL pushdown gives exactly the Python engine's figures: values, lineage, excluded counts."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicledger.errors import ValidationError
from civicledger.events import Codec, RecordedEvent
from civicledger.indicators import loads as ind_loads
from civicledger.ledger import Ledger
from civicledger.projections import (
    And,
    Between,
    Compare,
    Contains,
    Count,
    CountDistinct,
    Extreme,
    Filter,
    In,
    Indicator,
    Latest,
    Not,
    Or,
    Period,
    StartsWith,
    Sum,
    parse_filter,
)
from civicledger.projections.engine import resolve_as_of
from civicledger.projections.figures import Figure
from civicledger.projections.service import as_indicator_set, indicators
from civicledger.pushdown import SqlPushdown, pushdown_for
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


def test_every_example_indicator_is_pushed_down(example: Ledger) -> None:
    """The example set needs no fallback: every indicator compiles and the call is not refused."""
    store = _store(example)
    pushdown = SqlPushdown(store, store.sql_target())
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
    monkeypatch.setattr(pushdown_sql, "SCAN_FRACTION", scan)
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


MATCHING = [
    'topic contains "党"',
    'topic startswith "安排"',
    'not (topic contains "月度")',
    "attendees between 10 and 30",
    "occurred_on between 2023-04-01 and 2023-06-30",
    'stream startswith "meetings/par"',
    'location contains "党群" or location == null',
    'not (location startswith "社区")',
]


@pytest.mark.parametrize("lineage", [True, False])
def test_prefix_substring_and_range_filters_push_down_exactly(
    example: Ledger, lineage: bool
) -> None:
    """Prefix, substring and range filters are compiled in SQL and agree with Python."""
    chosen = [
        Indicator(f"m.i{n}", "会议", "人", source=["meeting_held"], where=w, measure=Sum(a))
        for n, w in enumerate(MATCHING)
        for a in ["attendees"]
    ]
    store = _store(example)
    pushdown = SqlPushdown(store, store.sql_target())
    assert all(pushdown._pushable(i) for i in chosen)
    requests = [(i, p) for i in chosen for p in _periods(i)]
    assert pushdown.compute(requests, resolve_as_of(None, store.head()), lineage=lineage)
    pushed = example.indicators(chosen, year=2023, lineage=lineage)
    python = indicators(example.store, chosen, year=2023, lineage=lineage)
    assert _flat(pushed) == _flat(python)
    values = [f.value for f in pushed]
    assert all(isinstance(v, int) for v in values)
    assert len({*values}) > 3  # the filters really select different meetings


def test_a_field_reading_python_internals_is_refused(example: Ledger) -> None:
    """'__doc__' once read the class docstring in Python but nothing in SQL; now it is refused."""
    with pytest.raises(ValidationError, match="may start with '_'"):
        Indicator("x.doc", "文档", "次", source=["meeting_held"], where='__doc__ != "x"')
    upper = Indicator("x.up", "会议", "次", source=["meeting_held"], where='topic.upper == "x"')
    with pytest.raises(ValidationError, match=r"'topic\.upper' is not a declared"):
        example.indicators([upper], year=2023)


def test_a_field_one_source_type_lacks_is_refused(example: Ledger) -> None:
    """A filter field must be declared by every source type, not just one of them."""
    types = ["meeting_held", "mediation_completed"]
    both = Indicator("x.both", "会议", "次", source=types, where="attendees > 3")
    with pytest.raises(ValidationError, match="'attendees' is not a declared field of event type"):
        example.indicators([both], year=2023)


@pytest.mark.parametrize("lineage", [True, False])
def test_derived_figures_push_down_exactly(example: Ledger, lineage: bool) -> None:
    """A derived figure over pushed-down operands equals the Python engine's, lineage included."""
    text = INDICATORS.read_text(encoding="utf-8") + (
        '\n[[indicator]]\nid = "x.unsuccessful"\nlabel = "未成功"\nunit = "件"\n'
        'measure = { derived = "mediation.completed - mediation.successful" }\n'
    )
    chosen = [i for i in ind_loads(text) if i.id == "x.unsuccessful"]
    pushed = example.indicators(chosen, year=2023, lineage=lineage)
    python = indicators(example.store, chosen, year=2023, lineage=lineage)
    assert [f.to_dict() for f in pushed] == [f.to_dict() for f in python]
    [figure] = pushed
    completed, successful = figure.operands
    assert figure.value == completed.value - successful.value > 0


DIVIDING = {
    "x.share": "share(mediation.successful, mediation.completed)",
    "x.growth": "growth(mediation.completed, mediation.successful)",
    "x.per_level": "inspection.passed_by_level / (inspection.passed + inspection.failed) * 1000",
    "x.level_share": "share(inspection.passed_by_level, inspection.passed)",
    "x.by_nothing": "share(mediation.successful, x.none)",
}
"""Dividing derived figures for the differential test: rounded, grouped, divided by zero."""


@pytest.mark.parametrize("rounding", ["half-up", "half-even", "down", "up"])
@pytest.mark.parametrize("lineage", [True, False])
def test_dividing_derived_figures_push_down_exactly(
    example: Ledger, lineage: bool, rounding: str
) -> None:
    """Quotients, shares and growths, grouped and divided by zero: pushdown = Python."""
    text = INDICATORS.read_text(encoding="utf-8") + (
        '\n[[indicator]]\nid = "x.none"\nlabel = "无"\nunit = "次"\n'
        'source = ["meeting_held"]\nwhere = "attendees > 1000000"\n'
    )
    for ident, expression in DIVIDING.items():
        text += (
            f'\n[[indicator]]\nid = "{ident}"\nlabel = "比"\nunit = "%"\n'
            f'rounding = "{rounding}"\nmeasure = {{ derived = "{expression}", decimals = 1 }}\n'
        )
    chosen = [i for i in ind_loads(text) if i.id in DIVIDING]
    pushed = example.indicators(chosen, year=2023, lineage=lineage)
    python = indicators(example.store, chosen, year=2023, lineage=lineage)
    assert [f.to_dict() for f in pushed] == [f.to_dict() for f in python]
    by_id: dict[str, list[Figure]] = {}
    for figure in pushed:
        by_id.setdefault(figure.id, []).append(figure)
    assert len(by_id["x.level_share"]) > 1  # grouped operands pair up
    assert all(f.value is not None for f in by_id["x.share"] + by_id["x.level_share"])
    [undefined] = by_id["x.by_nothing"]
    assert undefined.value is None
    assert undefined.undefined_reason == "division by zero: x.none is 0"


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
        pushdown = SqlPushdown(store, store.sql_target())
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


def test_a_nested_field_is_not_pushed_down_and_an_undeclared_one_is_refused(
    example: Ledger,
) -> None:
    """A nested path is left to Python; one the event class does not declare is refused."""
    store = _store(example)
    pushdown = SqlPushdown(store, store.sql_target())
    nested = Indicator(
        "x.nested", "嵌套", "次", source=["meeting_held"], where='payload.body.key == "x"'
    )
    plain = Indicator("x.plain", "会议", "次", source=["meeting_held"])
    assert not pushdown._pushable(nested)
    assert pushdown._pushable(plain)
    # body is a vocabulary, not a value class: it has no declared field 'key'.
    with pytest.raises(ValidationError, match=r"'payload\.body\.key' is not a declared field"):
        example.indicators([nested, plain], year=2023)
    with pytest.raises(ValidationError, match=r"'payload\.body\.key' is not a declared field"):
        indicators(example.store, [nested, plain], year=2023)


def test_an_unknown_source_type_falls_back_to_python(example: Ledger) -> None:
    """An indicator over a type the codec does not know is left to the Python engine."""
    unknown = Indicator("x.unknown", "未知", "次", source=["no_such_event"])
    store = _store(example)
    assert not SqlPushdown(store, store.sql_target())._pushable(unknown)
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
ENVELOPE = ("stream", "actor", "occurred_on")
DECLARED = {
    "ptest.meeting_held": ("body", "attendees", "hours", "note"),
    "ptest.group_opened": ("group_id", "kind", "members"),
    "ptest.group_closed": ("group_id", "kind"),
    "ptest.reading_taken": ("level",),
}
"""The payload fields each test event type declares (indicators may read only these)."""

BETWEEN_BOUNDS = st.one_of(
    st.lists(st.integers(-2, 40), min_size=2, max_size=2),
    st.lists(st.dates(date(2022, 12, 1), date(2024, 1, 31)), min_size=2, max_size=2),
    st.lists(
        st.decimals(min_value=0, max_value=5, places=1, allow_nan=False), min_size=2, max_size=2
    ),
)


def leaves(fields: tuple[str, ...]) -> st.SearchStrategy[Filter]:
    """One comparison, membership test, prefix, substring or item test, or range."""

    @st.composite
    def leaf(draw: st.DrawFn) -> Filter:
        field = draw(st.sampled_from(fields))
        kinds = ["==", "!=", "<", ">=", "in", "startswith", "contains", "between"]
        kind = draw(st.sampled_from(kinds))
        if kind == "in":
            return In(field, tuple(draw(st.lists(LITERALS, min_size=1, max_size=3))))
        if kind == "startswith":
            return StartsWith(field, draw(st.sampled_from(["", "c", "com", "长", "x", "as", "s"])))
        if kind == "contains":
            return Contains(field, draw(st.one_of(st.sampled_from(["mm", "a", "1"]), LITERALS)))
        if kind == "between":
            low, high = sorted(draw(BETWEEN_BOUNDS))
            return Between(field, low, high)
        value = draw(LITERALS)
        if kind in ("<", ">=") and (value is None or isinstance(value, bool)):
            kind = "=="
        return Compare(field, kind, value)  # type: ignore[arg-type]

    return leaf()


def filters(fields: tuple[str, ...]) -> st.SearchStrategy[Filter | None]:
    """No filter, or and/or/not over leaves reading only ``fields``."""
    return st.none() | st.recursive(
        leaves(fields),
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
        # Several scales, trailing zeros and negative zero: a Decimal sum keeps its exponent.
        hours=st.one_of(
            st.decimals(min_value=-5, max_value=5, places=2, allow_nan=False),
            st.sampled_from([Decimal("2.50"), Decimal("-0.0"), Decimal("7"), Decimal("0.125")]),
        ),
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
    (("ptest.meeting_held",), Extreme("max", "attendees")),
    (("ptest.meeting_held",), Extreme("min", "hours")),
    (("ptest.reading_taken",), Extreme("max", "level")),
    (("ptest.group_opened",), CountDistinct("group_id", removed_by=("ptest.group_closed",))),
    (("ptest.group_opened",), CountDistinct("members")),
    (("ptest.group_opened",), Count(removed_by=("ptest.group_closed",))),
    (("ptest.meeting_held",), Latest("hours")),
    (("ptest.meeting_held",), Sum("hours")),
    (
        ("ptest.group_opened",),
        CountDistinct("members", removed_by=("ptest.group_closed",), removed_field="group_id"),
    ),
]


@st.composite
def indicator_sets(draw: st.DrawFn) -> list[Indicator]:
    """A few indicators with random filters, measures, groupings, periods and stock flags."""
    result = []
    for n in range(draw(st.integers(1, 4))):
        source, measure = draw(st.sampled_from(MEASURES))
        # Fields every type the filter judges declares (closing events of a count too).
        judged = [*source, *getattr(measure, "removed_by", ())]
        common = set.intersection(*(set(DECLARED[t]) for t in judged))
        fields = (*ENVELOPE, *sorted(common))
        result.append(
            Indicator(
                f"p.i{n}",
                "指标",
                "次",
                source=source,
                where=draw(filters(fields)),
                measure=measure,
                group_by=draw(
                    st.sampled_from(
                        [(), ("stream",), *((f,) for f in ("body", "kind") if f in common)]
                    )
                ),
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
            pushdown = SqlPushdown(store, store.sql_target())
            requests = [(i, p) for i in chosen for p in _periods(i)]
            with store.engine.connect() as conn:
                direct = pushdown._compute(
                    conn, requests, resolve_as_of(as_of, store.head()), lineage
                )
            assert _flat(direct) == _flat(python)


def test_pushdown_for_asks_the_store_for_its_database(tmp_path: Path) -> None:
    """A SQL store gets a pushdown over its own ledger; an in-memory one gets none."""
    assert pushdown_for(Ledger.in_memory().store) is None
    with Ledger.open(f"sqlite:///{tmp_path}/p.db", "street/a") as ledger:
        pushdown = pushdown_for(ledger.store)
        assert isinstance(pushdown, SqlPushdown)
        assert pushdown.target == _store(ledger).sql_target()
