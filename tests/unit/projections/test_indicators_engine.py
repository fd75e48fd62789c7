"""The indicator engine: measures, periods, stocks, groups, ratios and as-of points."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest

from civicledger import ProjectionError
from civicledger.corrections import events as corrections
from civicledger.events import redaction
from civicledger.indicators import count, count_distinct, eq, latest, ratio
from civicledger.indicators import sum as sum_of
from civicledger.projections import AsOf, Indicator, Period, compute, compute_from_source, explain
from civicledger.projections.accumulate import distinct_keys
from civicledger.projections.fields import MISSING
from projection_testkit import Body, GroupClosed, GroupOpened, Log, Reading, day, meeting

YEAR = Period.year(2023)


def figure_of(log: Log, indicator: Indicator, period: Period = YEAR, as_of: object = None):  # type: ignore[no-untyped-def]
    """The single figure of an ungrouped indicator."""
    (figure,) = compute_from_source(log, [(indicator, period)], as_of=as_of)
    return figure


def meetings(**kw: object) -> Indicator:
    """A meeting indicator with overrides."""
    base = {"id": "t.meetings", "label": "会议", "unit": "次", "source": ["ptest.meeting_held"]}
    return Indicator(**{**base, **kw})  # type: ignore[arg-type]


def test_count_counts_passing_events_in_the_period_only() -> None:
    """Count adds 1 per event of the source type that passes the filter and falls in the period."""
    log = Log()
    log.extend([meeting(1), meeting(40, Body.ASSEMBLY), meeting(365), meeting(366)])
    figure = figure_of(log, meetings(where=eq("body", "committee")))
    assert figure.value == 2
    assert [c.position for c in figure.contributions] == [1, 3]
    assert all(c.amount == 1 for c in figure.contributions)
    assert figure.excluded == 2


def test_sum_adds_an_expression_per_event_exactly_as_decimal() -> None:
    """A sum of a product of an int and a Decimal field is an exact Decimal."""
    log = Log()
    log.extend([meeting(1, attendees=3, hours=Decimal("1.5")), meeting(2, attendees=2)])
    figure = figure_of(log, meetings(measure=sum_of("attendees * hours")))
    assert figure.value == Decimal("6.5")
    assert isinstance(figure.value, Decimal)
    assert [c.amount for c in figure.contributions] == [Decimal("4.5"), Decimal("2")]


def test_count_distinct_counts_each_value_once_and_names_the_key() -> None:
    """The first event bringing a value contributes 1 with that key; repeats contribute nothing."""
    log = Log()
    log.add(GroupOpened(occurred_on=day(1), group_id="g1", kind="a", members=("m1", "m2")))
    log.add(GroupOpened(occurred_on=day(2), group_id="g2", kind="a", members=("m2", "m3")))
    indicator = Indicator(
        "t.members", "成员", "人", source=["ptest.group_opened"], measure=count_distinct("members")
    )
    figure = figure_of(log, indicator)
    assert figure.value == 3
    assert [(c.position, c.key) for c in figure.contributions] == [(1, "m1"), (1, "m2"), (2, "m3")]
    assert figure.excluded == 0


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        (("m1", "m2"), ("m1", "m2")),
        (["m1", None, "m2"], ("m1", "m2")),
        ((3, "a", True, None), ("3", "a", "true")),
        ((date(2023, 1, 2),), ("2023-01-02",)),
        ((), ()),
        ("solo", ("solo",)),
        (7, ("7",)),
        (None, ()),
        (MISSING, ()),
    ],
)
def test_distinct_keys_are_the_texts_of_a_fields_items(
    value: object, keys: tuple[str, ...]
) -> None:
    """Each item of a list field is a key, as its group text; a missing value or item none."""
    assert distinct_keys(value) == keys


def test_stock_counts_opened_minus_closed_as_of_the_period_end() -> None:
    """A state indicator counts keys opened before the period too, minus those closed by its end."""
    log = Log()
    log.add(GroupOpened(occurred_on=day(10, 2022), group_id="g1", kind="a"))
    log.add(GroupOpened(occurred_on=day(10), group_id="g2", kind="a"))
    log.add(GroupOpened(occurred_on=day(11), group_id="g3", kind="b"))
    log.add(GroupClosed(occurred_on=day(20), group_id="g1", kind="a"))
    log.add(GroupClosed(occurred_on=day(21), group_id="g3", kind="b"))
    log.add(GroupClosed(occurred_on=day(5, 2024), group_id="g2", kind="a"))
    groups = Indicator(
        "t.groups",
        "群",
        "个",
        source=["ptest.group_opened"],
        where=eq("kind", "a"),
        measure=count_distinct("group_id", removed_by=["ptest.group_closed"]),
        state=True,
    )
    figure = figure_of(log, groups)
    assert figure.value == 1
    assert [(c.position, c.amount, c.key) for c in figure.contributions] == [
        (1, 1, "g1"),
        (2, 1, "g2"),
        (4, -1, "g1"),
    ]
    assert figure_of(log, groups, Period.year(2022)).value == 1
    assert figure_of(log, groups, Period.year(2024)).value == 0


def test_sum_with_removed_by_subtracts_closing_events() -> None:
    """A sum's closing events subtract their value (filter applied to them too)."""
    log = Log()
    log.add(GroupOpened(occurred_on=day(1), group_id="5", kind="a"))
    log.add(GroupClosed(occurred_on=day(2), group_id="2", kind="a"))
    log.add(GroupClosed(occurred_on=day(3), group_id="9", kind="b"))
    indicator = Indicator(
        "t.net",
        "净",
        "个",
        source=["ptest.group_opened"],
        where=eq("kind", "a"),
        measure=count(removed_by=["ptest.group_closed"]),
    )
    assert figure_of(log, indicator).value == 0
    assert [c.amount for c in figure_of(log, indicator).contributions] == [1, -1]


def test_latest_takes_the_value_of_the_latest_event_by_date_then_position() -> None:
    """Latest picks the last business date (a late record of an earlier date does not win)."""
    log = Log()
    log.add(Reading(occurred_on=day(50), level=5))
    log.add(Reading(occurred_on=day(10), level=9))
    indicator = Indicator(
        "t.level", "水位", "米", source=["ptest.reading_taken"], measure=latest("level")
    )
    figure = figure_of(log, indicator)
    assert figure.value == 5
    assert [c.position for c in figure.contributions] == [1]


def test_latest_without_events_is_not_defined() -> None:
    """Latest over no event gives None with a reason, never 0."""
    indicator = Indicator(
        "t.level", "水位", "米", source=["ptest.reading_taken"], measure=latest("level")
    )
    figure = figure_of(Log(), indicator)
    assert figure.value is None
    assert figure.undefined_reason


def test_grouped_indicator_gives_one_figure_per_group_in_sorted_order() -> None:
    """group_by splits the figure by the field's value; each group has its own lineage."""
    log = Log()
    log.extend([meeting(1, Body.ASSEMBLY), meeting(2), meeting(3, Body.ASSEMBLY)])
    figures = compute_from_source(log, [(meetings(group_by=["body"]), YEAR)])
    assert [(f.group, f.value) for f in figures] == [
        ((("body", "assembly"),), 2),
        ((("body", "committee"),), 1),
    ]
    assert figures[0].excluded == 1


def test_quarters_split_the_year_by_business_date() -> None:
    """A figure per quarter counts only the events dated in that quarter."""
    log = Log()
    log.extend([meeting(1), meeting(90), meeting(91), meeting(365)])
    indicator = meetings()
    values = [figure_of(log, indicator, Period.quarter(2023, q)).value for q in range(1, 5)]
    assert values == [2, 1, 0, 1]


def test_ratio_divides_rounds_half_up_and_keeps_both_parts() -> None:
    """A ratio is numerator / denominator × factor, rounded half up, with both figures attached."""
    log = Log()
    log.extend([meeting(1), meeting(2), meeting(3, Body.ASSEMBLY)])
    part = meetings(id="t.committee", where=eq("body", "committee"))
    whole = meetings(id="t.all")
    share = Indicator("t.share", "占比", "%", measure=ratio(part, whole))
    figure = figure_of(log, share)
    assert figure.value == Decimal("66.67")
    assert figure.numerator is not None
    assert figure.numerator.value == 2
    assert figure.denominator is not None
    assert figure.denominator.value == 3
    assert figure.event_ids() == {r.event_id for r in log.records}


def test_ratio_with_zero_denominator_is_not_defined_never_zero_percent() -> None:
    """A zero denominator gives value None and a reason naming the denominator."""
    part = meetings(id="t.committee", where=eq("body", "committee"))
    share = Indicator("t.share", "占比", "%", measure=ratio(part, meetings(id="t.all")))
    figure = figure_of(Log(), share)
    assert figure.value is None
    assert figure.undefined_reason == "the denominator t.all is 0"


def test_ratio_named_by_id_outside_a_set_is_refused() -> None:
    """A ratio whose parts are bare ids cannot be computed without its set."""
    share = Indicator("t.share", "占比", "%", measure=ratio("t.a", "t.b"))
    with pytest.raises(ProjectionError, match="by id only"):
        figure_of(Log(), share)


def test_as_of_position_ignores_later_records() -> None:
    """Events recorded after the as-of position do not count, and the figure says where it stood."""
    log = Log()
    log.extend([meeting(1), meeting(2), meeting(3)])
    figure = figure_of(log, meetings(), as_of=2)
    assert figure.value == 2
    assert figure.as_of == AsOf(position=2)


def test_as_of_seal_records_tree_size_and_root() -> None:
    """A seal-like as-of (tree_size, root_hash) limits the events and stamps the root in hex."""
    log = Log()
    log.extend([meeting(1), meeting(2), meeting(3)])

    @attrs.frozen
    class FakeSeal:
        tree_size: int
        root_hash: bytes

    figure = figure_of(log, meetings(), as_of=FakeSeal(1, b"\xab\xcd"))
    assert figure.value == 1
    assert figure.as_of == AsOf(position=1, seal_root="abcd", tree_size=1)


def test_as_of_datetime_ignores_events_recorded_after_it() -> None:
    """A datetime as-of keeps events recorded up to that moment (late records do not count)."""
    log = Log()
    log.extend([meeting(1), meeting(2), meeting(3)])
    cut = log.records[1].recorded_at
    figure = figure_of(log, meetings(), as_of=cut)
    assert figure.value == 2
    assert figure.as_of.recorded_before == cut


def test_as_of_beyond_the_head_is_refused() -> None:
    """An as-of position past the ledger's head is an error, not a silent clamp."""
    with pytest.raises(ProjectionError, match="beyond the ledger's head"):
        figure_of(Log(), meetings(), as_of=5)


def test_naive_datetime_as_of_is_refused() -> None:
    """A naive datetime is ambiguous, so it is refused."""
    with pytest.raises(ProjectionError, match="timezone-aware"):
        figure_of(Log(), meetings(), as_of=datetime(2024, 1, 1))


def test_one_pass_reads_only_the_types_the_indicators_need() -> None:
    """The engine asks the store for the union of source and closing types only."""
    asked: list[object] = []
    log = Log()
    log.extend([meeting(1)])
    original = log.read

    def spy(**kwargs: object):  # type: ignore[no-untyped-def]
        asked.append(kwargs.get("types"))
        return original(**kwargs)  # type: ignore[arg-type]

    log.read = spy  # type: ignore[method-assign]
    stock = Indicator(
        "t.g",
        "群",
        "个",
        source=["ptest.group_opened"],
        measure=count_distinct("group_id", removed_by=["ptest.group_closed"]),
    )
    compute_from_source(log, [(meetings(), YEAR), (stock, YEAR)])
    assert asked[-1] == ["ptest.group_closed", "ptest.group_opened", "ptest.meeting_held"]
    # Before it, at most one read of the (few) amending events: corrections, retractions.
    assert asked[:-1] in ([], [["event_corrected", "event_retracted", "event_redacted"]])


def test_lineage_off_keeps_values_and_drops_contributions() -> None:
    """lineage=False gives the same values and excluded counts without contributions."""
    log = Log()
    log.extend([meeting(1), meeting(2, Body.ASSEMBLY)])
    indicator = meetings(where=eq("body", "committee"))
    (full,) = compute(log.records, [(indicator, YEAR)], as_of=AsOf(2))
    (lean,) = compute(log.records, [(indicator, YEAR)], as_of=AsOf(2), lineage=False)
    assert (lean.value, lean.excluded, lean.contributions) == (full.value, full.excluded, ())


def test_figure_to_dict_is_json_ready_with_exact_decimals() -> None:
    """to_dict has ints and decimal strings, never floats, in a stable key order."""
    log = Log()
    log.add(meeting(1, attendees=3, hours=Decimal("1.5")))
    figure = figure_of(log, meetings(measure=sum_of("attendees * hours")))
    data = figure.to_dict()
    assert list(data) == [
        "indicator",
        "label",
        "unit",
        "period",
        "group",
        "value",
        "undefined_reason",
        "as_of",
        "definition",
        "excluded",
        "contributions",
        "numerator",
        "denominator",
    ]
    assert data["value"] == "4.5"
    assert data["contributions"][0]["amount"] == "4.5"
    assert data["definition"]["measure"] == {"sum": "attendees * hours"}


def test_lazy_lineage_loads_every_figures_contributions_in_one_more_pass() -> None:
    """lineage='lazy' keeps none while computing, then one read loads all, equal to eager."""
    log = Log()
    log.extend([meeting(1), meeting(2, Body.ASSEMBLY), meeting(3)])
    reads: list[object] = []
    original = log.read

    def counting(**kwargs: object):  # type: ignore[no-untyped-def]
        if "ptest.meeting_held" in (kwargs.get("types") or ()):  # not the amendments' read
            reads.append(kwargs.get("types"))
        return original(**kwargs)  # type: ignore[arg-type]

    log.read = counting  # type: ignore[method-assign]
    part = meetings(id="t.committee", where=eq("body", "committee"))
    share = Indicator("t.share", "占比", "%", measure=ratio(part, meetings(id="t.all")))
    requests = [(meetings(group_by=["body"]), YEAR), (share, YEAR)]
    lazy = compute_from_source(log, requests, lineage="lazy")
    assert len(reads) == 1
    assert not any(f.lineage_loaded for f in lazy if f.numerator is None)
    eager = compute_from_source(log, requests)
    assert lazy == eager
    assert [f.contributions for f in lazy] == [f.contributions for f in eager]
    assert lazy[-1].numerator is not None
    assert lazy[-1].numerator.contributions == eager[-1].numerator.contributions  # type: ignore[union-attr]
    assert len(reads) == 3  # the eager run, and one lazy load for all figures


def test_lazy_lineage_is_pinned_to_the_as_of_point() -> None:
    """Events appended after a lazy computation do not enter its lineage."""
    log = Log()
    log.extend([meeting(1)])
    (figure,) = compute_from_source(log, [(meetings(), YEAR)], lineage="lazy")
    log.extend([meeting(2)])
    assert [c.position for c in figure.contributions] == [1]


def test_lazy_lineage_of_a_closed_ledger_says_what_to_do() -> None:
    """Reading a lazy figure's contributions after closing its ledger is a clear error."""
    from civicledger import Ledger
    from civicledger.catalog.meetings import MeetingHeld
    from civicledger.catalog.vocabularies import MeetingBody

    ledger = Ledger.in_memory()
    ledger.append(
        "m",
        [MeetingHeld(occurred_on=day(1), body=MeetingBody.OTHER, topic="t", attendees=3)],
        actor="c",
    )
    held = Indicator("t.held", "会议", "次", source=["meeting_held"])
    (figure,) = ledger.indicators([held], year=2023, lineage="lazy")
    ledger.close()
    with pytest.raises(ProjectionError, match="while the ledger is open"):
        _ = figure.contributions


def test_unknown_lineage_mode_is_refused() -> None:
    """lineage must be True, False or 'lazy'."""
    with pytest.raises(ProjectionError, match="lineage must be"):
        compute_from_source(Log(), [(meetings(), YEAR)], lineage="sometimes")  # type: ignore[arg-type]


def test_a_retracted_event_does_not_count() -> None:
    """Retractions recorded by the as-of point are applied before the fold."""
    log = Log()
    log.extend([meeting(1), meeting(2)])
    log.add(
        corrections.EventRetracted(
            occurred_on=day(2), target_event_id=log.records[0].event_id, reason="duplicate"
        )
    )
    (now,) = compute_from_source(log, [(meetings(), YEAR)])
    (before,) = compute_from_source(log, [(meetings(), YEAR)], as_of=2)
    assert [c.position for c in now.contributions] == [2]
    assert [c.position for c in before.contributions] == [1, 2]


def test_events_whose_needed_fields_were_redacted_are_named_in_a_note() -> None:
    """A sum over a redacted field says which events could not count, instead of failing."""
    log = Log()
    log.extend([meeting(1, attendees=4), meeting(2, attendees=6)])
    kept = redaction.RedactedPayload(
        occurred_on=day(2),
        event_type="ptest.meeting_held",
        values={"body": "committee"},
        redacted=("attendees",),
    )
    log.records[1] = attrs.evolve(log.records[1], payload=kept, redacted_fields=("attendees",))
    (figure,) = compute_from_source(log, [(meetings(measure=sum_of("attendees")), YEAR)])
    assert figure.value == 4
    assert figure.notes == (
        f"1 event(s) could not count because fields they needed were redacted: "
        f"{log.records[1].event_id}",
    )
    assert figure.to_dict()["notes"] == list(figure.notes)
    assert "could not count" in explain(figure, "en")


def test_a_corrected_events_contribution_names_the_correction() -> None:
    """Lineage shows that a counted payload is a correction, with who made it and why."""
    log = Log()
    log.add(meeting(1, attendees=23))
    amendment = redaction.Amendment(
        kind="corrected",
        event_id=uuid.UUID(int=99),
        position=7,
        recorded_at=datetime(2024, 1, 9, tzinfo=UTC),
        actor="auditor",
        reason="typo: 32 → 23",
    )
    log.records[0] = attrs.evolve(log.records[0], corrections=(amendment,))
    (figure,) = compute_from_source(log, [(meetings(), YEAR)])
    assert figure.contributions[0].note == (
        f"corrected by event {uuid.UUID(int=99)} (position 7, auditor): typo: 32 → 23"
    )


def test_a_grouped_ratio_over_an_ungrouped_total_gives_each_groups_share() -> None:
    """A grouped numerator over an ungrouped denominator: each group's share of the whole."""
    log = Log()
    log.extend([meeting(1, Body.ASSEMBLY), meeting(2), meeting(3), meeting(4)])
    per_body = meetings(id="t.per_body", group_by=["body"])
    share = Indicator("t.share", "占比", "%", measure=ratio(per_body, meetings(id="t.all")))
    figures = compute_from_source(log, [(share, YEAR)])
    assert [(f.group, f.value) for f in figures] == [
        ((("body", "assembly"),), Decimal("25.00")),
        ((("body", "committee"),), Decimal("75.00")),
    ]
    assert all(f.denominator is not None and f.denominator.value == 4 for f in figures)
