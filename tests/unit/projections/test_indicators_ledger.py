"""The Ledger facade's projection calls over an in-memory ledger of catalog events."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from civicledger import Ledger, ProjectionError, RecordedEvent, ValidationError
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.corrections import events as corrections
from civicledger.indicators import count, in_, ratio
from civicledger.indicators import sum as ind_sum
from civicledger.projections import Fold, Indicator, Period, Runner
from civicledger.store.parts import MemoryProjectionPositions

COMPLETED = Indicator("m.completed", "调解", "件", source=["mediation_completed"], measure=count())
SUCCESSFUL = Indicator(
    "m.successful",
    "调解成功",
    "件",
    source=["mediation_completed"],
    where=in_("outcome", ["written_agreement", "oral_agreement"]),
)
RATE = Indicator("m.rate", "调解成功率", "%", measure=ratio(SUCCESSFUL, COMPLETED))


def mediation(case: str, day: date, outcome: MediationOutcome) -> MediationCompleted:
    """A completed neighbourhood mediation."""
    return MediationCompleted(
        occurred_on=day,
        case_id=case,
        dispute_kind=DisputeKind.NEIGHBOURHOOD,
        parties=2,
        outcome=outcome,
    )


@pytest.fixture
def ledger() -> Ledger:
    """Three mediations in 2023 (one failed) and one in 2022."""
    ledger = Ledger.in_memory()
    ledger.append(
        "mediation/2023",
        [
            mediation("A", date(2023, 2, 1), MediationOutcome.WRITTEN_AGREEMENT),
            mediation("B", date(2023, 5, 1), MediationOutcome.FAILED),
            mediation("C", date(2023, 9, 1), MediationOutcome.ORAL_AGREEMENT),
            mediation("D", date(2022, 9, 1), MediationOutcome.ORAL_AGREEMENT),
        ],
        actor="clerk",
    )
    return ledger


def test_compute_accepts_a_period_a_year_or_a_short_form(ledger: Ledger) -> None:
    """compute() reads a Period, 2023 or '2023-Q1' alike."""
    assert ledger.compute(COMPLETED, Period.year(2023)).value == 3
    assert ledger.compute(COMPLETED, 2023).value == 3
    assert ledger.compute(COMPLETED, "2023-Q1").value == 1
    assert str(ledger.compute(RATE, 2023).value) == "66.67"


def test_compute_of_a_grouped_indicator_points_to_indicators(ledger: Ledger) -> None:
    """A grouped indicator has several figures, so compute() refuses it with advice."""
    grouped = Indicator("m.g", "g", "件", source=["mediation_completed"], group_by=["outcome"])
    with pytest.raises(ProjectionError, match=r"ledger\.indicators"):
        ledger.compute(grouped, 2023)


def test_indicators_reads_a_toml_file_and_computes_in_order(ledger: Ledger, tmp_path: Path) -> None:
    """indicators() takes a path to an indicator set and returns figures in the set's order."""
    path = tmp_path / "indicators.toml"
    path.write_text(
        """
[[indicator]]
id = "m.completed"
label = "调解"
unit = "件"
source = ["mediation_completed"]

[[indicator]]
id = "m.by_quarter"
label = "调解"
unit = "件"
source = ["mediation_completed"]
period = "quarter"
""",
        encoding="utf-8",
    )
    figures = ledger.indicators(path, year=2023)
    assert [(f.indicator.id, f.period.key, f.value) for f in figures] == [
        ("m.completed", "2023", 3),
        ("m.by_quarter", "2023-Q1", 1),
        ("m.by_quarter", "2023-Q2", 1),
        ("m.by_quarter", "2023-Q3", 1),
        ("m.by_quarter", "2023-Q4", 0),
    ]


def test_indicators_as_of_a_seal_ignores_later_events_and_records_the_root(ledger: Ledger) -> None:
    """Figures as of a seal count only the sealed events and carry the seal's root."""
    seal = ledger.seal()
    ledger.append(
        "mediation/late", [mediation("E", date(2023, 12, 1), MediationOutcome.FAILED)], actor="c"
    )
    (then,) = ledger.indicators([COMPLETED], year=2023, as_of=seal)
    (now,) = ledger.indicators([COMPLETED], year=2023)
    assert (then.value, now.value) == (3, 4)
    assert then.as_of.seal_root == seal.root_hash.hex()
    assert then.as_of.tree_size == seal.tree_size == 4


def test_explain_why_not_looks_the_event_up_in_the_ledger(ledger: Ledger) -> None:
    """explain(why_not=id) finds the event and names the failed clause."""
    failed = next(r for r in ledger.read() if getattr(r.payload, "case_id", "") == "B")
    figure = ledger.compute(SUCCESSFUL, 2023)
    text = ledger.explain(figure, why_not=str(failed.event_id), language="en")
    assert 'outcome in ["written_agreement", "oral_agreement"]' in text
    assert '(its outcome is "failed")' in text


def test_explain_why_not_an_unknown_event(ledger: Ledger) -> None:
    """An id the ledger does not hold is reported as not found."""
    text = ledger.explain(ledger.compute(COMPLETED, 2023), why_not=uuid.uuid4())
    assert "账本中没有事件" in text


def test_explain_why_not_with_a_malformed_id_is_refused(ledger: Ledger) -> None:
    """A why_not that is not an event id is an error, not 'not found'."""
    with pytest.raises(ValidationError, match="why_not must be an event id") as caught:
        ledger.explain(ledger.compute(COMPLETED, 2023), why_not="nonsense")
    assert caught.value.field == "why_not"


def test_explain_renders_the_figure(ledger: Ledger) -> None:
    """explain(figure) lists the contributing mediations."""
    text = ledger.explain(ledger.compute(COMPLETED, 2023))
    assert text.count("| mediation_completed |") == 3


def test_compare_year_over_year(ledger: Ledger) -> None:
    """ledger.compare gives 3 against 1: +2, +200.00%."""
    (comparison,) = ledger.compare(COMPLETED, 2023, 2022)
    assert (comparison.difference, str(comparison.change_percent)) == (2, "200.00")


def test_an_in_memory_ledger_keeps_checkpoints_in_memory(ledger: Ledger) -> None:
    """ledger.projection_positions is one MemoryProjectionPositions per in-memory ledger."""
    assert isinstance(ledger.projection_positions, MemoryProjectionPositions)
    assert ledger.projection_positions is ledger.projection_positions


def test_runner_refuses_bad_arguments(ledger: Ledger) -> None:
    """A nameless projection, a batch size below 1 and a position past the head are refused."""

    def keep(state: int, record: RecordedEvent) -> int:
        return state + 1

    with pytest.raises(ProjectionError, match="needs a name"):
        Runner(Fold(name="", initial_state=lambda: 0, step=keep), ledger.store)
    runner = Runner(Fold(name="n", initial_state=lambda: 0, step=keep), ledger.store)
    with pytest.raises(ProjectionError, match="batch_size"):
        runner.catch_up(ledger.projection_positions, batch_size=0)
    with pytest.raises(ProjectionError, match="outside the ledger"):
        runner.run(99)


def test_a_state_that_is_not_json_ready_is_refused_with_advice(ledger: Ledger) -> None:
    """Checkpointing a state JSON cannot hold names the fix (dump and load)."""
    runner = Runner(
        Fold(name="sets", initial_state=set, step=lambda s, r: s | {r.position}), ledger.store
    )
    with pytest.raises(ProjectionError, match=r"dump\(\) and load\(\)"):
        runner.catch_up(ledger.projection_positions)


def test_corrections_count_from_when_they_were_recorded() -> None:
    """A correction changes the figure from its position on, and why-not judges what was known."""
    from civicledger.catalog.meetings import MeetingHeld
    from civicledger.catalog.vocabularies import MeetingBody
    from civicledger.events import canonical_bytes, to_dict

    ledger = Ledger.in_memory()
    day = date(2023, 3, 1)
    (wrong,) = ledger.append(
        "m",
        [MeetingHeld(occurred_on=day, body=MeetingBody.OTHER, topic="t", attendees=32)],
        actor="clerk",
    )
    right = MeetingHeld(occurred_on=day, body=MeetingBody.PARTY_COMMITTEE, topic="t", attendees=23)
    ledger.append(
        "corrections",
        [
            corrections.EventCorrected(
                occurred_on=day,
                target_event_id=wrong.event_id,
                replacement=canonical_bytes(to_dict(right)).decode(),
                replacement_type="meeting_held",
                replacement_schema_version=1,
                reason="wrong body and a typo",
            )
        ],
        actor="auditor",
    )
    attendance = Indicator(
        "m.att",
        "人",
        "人",
        source=["meeting_held"],
        where='body == "party_committee"',
        measure=ind_sum("attendees"),
    )
    then, now = ledger.compute(attendance, 2023, as_of=1), ledger.compute(attendance, 2023)
    assert (then.value, now.value) == (0, 23)
    assert "auditor" in (now.contributions[0].note or "")
    assert '(its body is "other")' in ledger.explain(then, why_not=wrong.event_id, language="en")
    assert "counts in" in ledger.explain(now, why_not=wrong.event_id, language="en")


def test_a_retracted_event_is_explained_as_retracted() -> None:
    """why_not names the retraction recorded by the figure's as-of point."""
    ledger = Ledger.in_memory()
    (case,) = ledger.append(
        "mediation/X", [mediation("X", date(2023, 4, 1), MediationOutcome.FAILED)], actor="c"
    )
    ledger.append(
        "corrections",
        [
            corrections.EventRetracted(
                occurred_on=date(2023, 4, 1), target_event_id=case.event_id, reason="test entry"
            )
        ],
        actor="auditor",
    )
    figure = ledger.compute(COMPLETED, 2023)
    assert figure.value == 0
    assert "retracted by event" in ledger.explain(figure, why_not=case.event_id, language="en")
