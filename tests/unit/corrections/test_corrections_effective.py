"""Corrections and retractions through the Ledger facade, in memory: the effective view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from civicledger import Ledger, ValidationError
from civicledger.corrections import AMENDING_TYPES
from civicledger.corrections.service import CORRECTIONS_STREAM_PREFIX
from civicledger.errors import CorrectionError
from corrections_testkit import StepClock, attendance, meeting, meetings, visit


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory(clock=StepClock()) as ledger:
        yield ledger


def test_a_correction_replaces_the_payload_in_place(ledger: Ledger) -> None:
    """The effective view shows the corrected payload at the original's position."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    ledger.append("meetings", [meeting(10, month=4)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="typo: 32 for 23", actor="chief")
    view = list(ledger.read(effective=True))
    assert [(r.position, r.payload.attendees) for r in view] == [(1, 23), (2, 10)]  # type: ignore[attr-defined]


def test_the_raw_read_keeps_the_original_and_the_correction(ledger: Ledger) -> None:
    """Nothing is rewritten: the plain read shows the original and the correction event."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    raw = list(ledger.read())
    assert [r.type for r in raw] == ["ctest.meeting_held", "event_corrected"]
    assert raw[0].payload.attendees == 32  # type: ignore[attr-defined]
    assert raw[1].stream == CORRECTIONS_STREAM_PREFIX + "meetings"


def test_the_corrected_record_names_the_original_the_correction_and_who_made_it(
    ledger: Ledger,
) -> None:
    """The record's amendments carry the replaced payload, the correction id, actor and reason."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    correction = ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    (record,) = ledger.read(effective=True)
    (amendment,) = record.corrections
    assert amendment.kind == "corrected"
    assert amendment.event_id == correction.event_id
    assert (amendment.actor, amendment.reason, amendment.position) == ("chief", "typo", 2)
    assert amendment.replaced == meeting(32)


def test_the_latest_correction_wins(ledger: Ledger) -> None:
    """Two corrections of one event: the later one is in effect, both are listed."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="first", actor="a")
    ledger.correct(wrong.event_id, meeting(24), reason="second", actor="b")
    (record,) = ledger.read(effective=True)
    assert record.payload.attendees == 24  # type: ignore[attr-defined]
    assert [a.reason for a in record.corrections] == ["first", "second"]
    assert record.corrections[1].replaced == meeting(23)


def test_correcting_a_correction_corrects_the_original_again(ledger: Ledger) -> None:
    """A correction's id may be given as the target; the new correction targets the original."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    first = ledger.correct(wrong.event_id, meeting(23), reason="first", actor="a")
    second = ledger.correct(first.event_id, meeting(25), reason="fix the fix", actor="b")
    assert second.payload.target_event_id == wrong.event_id  # type: ignore[attr-defined]
    (record,) = ledger.read(effective=True)
    assert record.payload.attendees == 25  # type: ignore[attr-defined]


def test_a_retracted_event_is_absent(ledger: Ledger) -> None:
    """A retraction removes the event from the effective view, not from the ledger."""
    (dup, kept) = ledger.append("meetings", [meeting(5), meeting(6)], actor="clerk")
    ledger.retract(dup.event_id, reason="entered twice", actor="chief")
    assert [r.event_id for r in ledger.read(effective=True)] == [kept.event_id]
    assert len(list(ledger.read())) == 3


def test_retracting_a_correction_restores_the_payload_before_it(ledger: Ledger) -> None:
    """Undoing a correction by retracting it brings back the previous payload."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="first", actor="a")
    mistaken = ledger.correct(wrong.event_id, meeting(99), reason="slip", actor="b")
    ledger.retract(mistaken.event_id, reason="wrong correction", actor="b")
    (record,) = ledger.read(effective=True)
    assert record.payload.attendees == 23  # type: ignore[attr-defined]
    assert [a.reason for a in record.corrections] == ["first"]


def test_correcting_a_retracted_event_is_refused(ledger: Ledger) -> None:
    """A retracted event cannot be corrected; the error names it and its retraction."""
    (gone,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    retraction = ledger.retract(gone.event_id, reason="void", actor="chief")
    with pytest.raises(CorrectionError, match=str(retraction.event_id)) as caught:
        ledger.correct(gone.event_id, meeting(23), reason="typo", actor="chief")
    assert caught.value.event_id == str(gone.event_id)


def test_retracting_twice_is_refused(ledger: Ledger) -> None:
    """A second retraction of one event is refused, naming the first."""
    (gone,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    first = ledger.retract(gone.event_id, reason="void", actor="chief")
    with pytest.raises(CorrectionError, match=f"already retracted by event {first.event_id}"):
        ledger.retract(gone.event_id, reason="again", actor="chief")


def test_a_replacement_of_another_type_is_refused(ledger: Ledger) -> None:
    """A correction keeps the event's type."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    with pytest.raises(CorrectionError, match=r"ctest\.visit_made event, but the event is a"):
        ledger.correct(wrong.event_id, visit(), reason="typo", actor="chief")


def test_a_replacement_that_changes_nothing_is_refused(ledger: Ledger) -> None:
    """Recording a correction equal to the current payload is refused."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    with pytest.raises(CorrectionError, match="equals its current payload"):
        ledger.correct(wrong.event_id, meeting(32), reason="none", actor="chief")


def test_an_unknown_or_malformed_target_is_refused(ledger: Ledger) -> None:
    """Correcting, retracting or redacting an id the ledger lacks names the id."""
    missing = uuid.UUID(int=7)
    with pytest.raises(CorrectionError, match=f"event {missing}: the ledger has no such event"):
        ledger.correct(missing, meeting(1), reason="x", actor="a")
    with pytest.raises(CorrectionError, match="no such event"):
        ledger.retract(str(missing), reason="x", actor="a")
    with pytest.raises(CorrectionError, match="not an event id"):
        ledger.redact("not-a-uuid", reason="x", actor="a")


def test_an_empty_reason_is_refused_and_nothing_is_appended(ledger: Ledger) -> None:
    """The reason is required: an empty one fails validation before anything is written."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    with pytest.raises(ValidationError, match="reason"):
        ledger.correct(wrong.event_id, meeting(23), reason=" ", actor="chief")
    assert ledger.head() == 1


def test_amending_events_cannot_be_corrected_and_retractions_cannot_be_retracted(
    ledger: Ledger,
) -> None:
    """A retraction is final: it cannot be corrected or retracted."""
    (gone,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    retraction = ledger.retract(gone.event_id, reason="void", actor="chief")
    with pytest.raises(CorrectionError, match="event_retracted event"):
        ledger.correct(retraction.event_id, meeting(1), reason="x", actor="a")
    with pytest.raises(CorrectionError, match="cannot be retracted"):
        ledger.retract(retraction.event_id, reason="x", actor="a")


def test_the_effective_view_never_shows_amending_events(ledger: Ledger) -> None:
    """Asking for the amending types in the effective view yields nothing."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    assert list(ledger.read(effective=True, types=list(AMENDING_TYPES))) == []


def test_a_correction_that_moves_the_date_moves_the_period(ledger: Ledger) -> None:
    """occurred_between filters the effective view by the corrected business date."""
    (wrong,) = ledger.append("meetings", [meeting(30, month=12)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(30, month=11), reason="date", actor="chief")
    from datetime import date

    november = (date(2023, 11, 1), date(2023, 11, 30))
    assert [r.event_id for r in ledger.read(effective=True, occurred_between=november)] == [
        wrong.event_id
    ]
    assert list(ledger.read(occurred_between=november)) == []


def test_effective_read_refuses_malformed_filters_at_once(ledger: Ledger) -> None:
    """A bad filter raises when read() is called, not later while iterating."""
    with pytest.raises(ValidationError, match="from_position"):
        ledger.read(effective=True, from_position=0)


def test_figures_count_the_corrected_value_and_drop_retracted_events(ledger: Ledger) -> None:
    """Indicators see the effective view: a correction changes a sum, a retraction a count."""
    (wrong, dup) = ledger.append("meetings", [meeting(32), meeting(8)], actor="clerk")
    ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    ledger.retract(dup.event_id, reason="entered twice", actor="chief")
    total, count = ledger.indicators([attendance(), meetings()], year=2023)
    assert (total.value, count.value) == (23, 1)


def test_explaining_a_retracted_event_says_retracted(ledger: Ledger) -> None:
    """explain(why_not=retracted id) names the retraction."""
    (dup,) = ledger.append("meetings", [meeting(8)], actor="clerk")
    retraction = ledger.retract(dup.event_id, reason="entered twice", actor="chief")
    (figure,) = ledger.indicators([meetings()], year=2023)
    text = ledger.explain(figure, why_not=dup.event_id, language="en")
    assert f"it was retracted by event {retraction.event_id}" in text


def test_a_figure_as_of_before_the_correction_keeps_the_old_value(ledger: Ledger) -> None:
    """Corrections recorded after the as-of point do not apply to it."""
    (wrong,) = ledger.append("meetings", [meeting(32)], actor="clerk")
    seal = ledger.seal()
    ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    (then,) = ledger.indicators([attendance()], year=2023, as_of=seal)
    (now,) = ledger.indicators([attendance()], year=2023)
    assert (then.value, now.value) == (32, 23)


def test_the_rectification_ledger_reads_the_effective_view(ledger: Ledger) -> None:
    """A corrected problem shows its corrected description; a retracted one is gone."""
    from datetime import date

    from civicledger.catalog import ProblemIdentified, ProblemSource

    source = next(iter(ProblemSource))

    def problem(problem_id: str, description: str) -> ProblemIdentified:
        return ProblemIdentified(
            occurred_on=date(2023, 2, 1),
            problem_id=problem_id,
            source=source,
            description=description,
            category="环境",
        )

    (typo, mistaken) = ledger.append(
        "problem/2023", [problem("2023-01", "楼道堆物"), problem("2023-02", "误录")], actor="c"
    )
    ledger.correct(typo.event_id, problem("2023-01", "楼道堆放杂物"), reason="wording", actor="c")
    ledger.retract(mistaken.event_id, reason="not a problem", actor="c")
    rows = ledger.followups(on=date(2023, 12, 31))
    assert [(row.problem_id, row.description) for row in rows] == [("2023-01", "楼道堆放杂物")]
