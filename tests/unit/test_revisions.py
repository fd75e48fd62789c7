"""Two-axis as-of, figure diffs and revised reports on an in-memory ledger with late records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from civicledger import Ledger, ProjectionError, ValidationError, VerificationError
from civicledger.revisions import OBS_STATUS, DiffItem
from corrections_testkit import StepClock, attendance, meeting, meetings


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory(clock=StepClock()) as ledger:
        yield ledger


@pytest.fixture
def published(ledger: Ledger) -> dict[str, object]:
    """A 2023 ledger sealed at publication, then a late December record, a correction and a
    retraction recorded in January."""
    (wrong, dup, _) = ledger.append(
        "meetings", [meeting(32), meeting(8, month=5), meeting(10, month=6)], actor="clerk"
    )
    seal = ledger.seal()
    (late,) = ledger.append("meetings", [meeting(15, month=12)], actor="late clerk")
    correction = ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
    retraction = ledger.retract(dup.event_id, reason="entered twice", actor="chief")
    return {
        "seal": seal,
        "wrong": wrong,
        "dup": dup,
        "late": late,
        "correction": correction,
        "retraction": retraction,
    }


def test_as_of_the_seal_answers_what_we_knew_at_publication(
    ledger: Ledger, published: dict[str, object]
) -> None:
    """The occurrence date decides the period; the seal decides what was known."""
    (then,) = ledger.indicators([attendance()], year=2023, as_of=published["seal"])
    (now,) = ledger.indicators([attendance()], year=2023)
    assert then.value == 32 + 8 + 10
    assert now.value == 23 + 10 + 15


def test_as_of_a_position_or_a_time_gives_the_same_answer_as_the_seal(
    ledger: Ledger, published: dict[str, object]
) -> None:
    """A position and a recording time are the other two ways to name the knowledge point."""
    (by_position,) = ledger.indicators([attendance()], year=2023, as_of=3)
    cutoff = published["late"].recorded_at - timedelta(minutes=1)  # type: ignore[attr-defined]
    (by_time,) = ledger.indicators([attendance()], year=2023, as_of=cutoff)
    assert by_position.value == by_time.value == 50


def test_diff_names_the_late_corrected_and_retracted_events(
    ledger: Ledger, published: dict[str, object]
) -> None:
    """Every event behind the difference is named with its reason, amounts and actor."""
    (then,) = ledger.indicators([attendance()], year=2023, as_of=published["seal"])
    (now,) = ledger.indicators([attendance()], year=2023)
    changes = ledger.diff(then, now)
    assert changes.change == 48 - 50
    by_reason = {item.reason: item for item in changes.items}
    assert set(by_reason) == {"late", "corrected", "retracted"}
    late, corrected, retracted = by_reason["late"], by_reason["corrected"], by_reason["retracted"]
    assert (late.event_id, late.before, late.after, late.actor) == (
        published["late"].event_id,  # type: ignore[attr-defined]
        None,
        15,
        "late clerk",
    )
    assert (corrected.before, corrected.after, corrected.by, corrected.actor) == (
        32,
        23,
        published["correction"].event_id,  # type: ignore[attr-defined]
        "chief",
    )
    assert (retracted.before, retracted.after, retracted.by) == (
        8,
        None,
        published["retraction"].event_id,  # type: ignore[attr-defined]
    )
    assert changes.explained
    assert "was corrected after publication" in changes.render()


def test_diff_of_an_unchanged_figure_is_empty(ledger: Ledger) -> None:
    """Nothing late, nothing corrected: no items, no change."""
    ledger.append("meetings", [meeting(5)], actor="clerk")
    seal = ledger.seal()
    ledger.append("meetings", [meeting(5, month=1)], actor="clerk")
    (then,) = ledger.indicators([attendance()], year=2022, as_of=seal)
    (now,) = ledger.indicators([attendance()], year=2022)
    changes = ledger.diff(then, now)
    assert (changes.change, changes.items) == (0, ())


def test_diff_refuses_figures_of_different_indicators(ledger: Ledger) -> None:
    """A diff compares one indicator at two points, nothing else."""
    ledger.append("meetings", [meeting(5)], actor="clerk")
    a, b = ledger.indicators([attendance(), meetings()], year=2023)
    with pytest.raises(ValidationError, match="one indicator, period and group"):
        ledger.diff(a, b)


def test_revise_marks_changed_figures_revised_with_a_verified_consistency_proof(
    ledger: Ledger, published: dict[str, object]
) -> None:
    """A revised report: statuses per figure, and proof that the new seal extends the old."""
    figures = ledger.indicators([attendance(), meetings()], year=2023, as_of=published["seal"])
    ledger.append("meetings", [meeting(0, month=7, topic="无人到会")], actor="clerk")
    ledger.retract(list(ledger.read(effective=True))[-1].event_id, reason="void", actor="c")
    new_seal = ledger.seal()
    revision = ledger.revise(figures, new_seal)
    revision.verify()
    statuses = {f.published.indicator.id: f.status for f in revision.figures}
    assert statuses == {"attendance": "revised", "meetings": "confirmed"}
    assert revision.revised[0].obs_status == OBS_STATUS["revised"] == "R"
    assert (revision.old_size, revision.new_size) == (3, new_seal.tree_size)
    assert revision.figures[0].current.value == 48


def test_a_tampered_consistency_proof_fails_verification(
    ledger: Ledger, published: dict[str, object]
) -> None:
    """The revision's proof is checkable offline, and a changed hash is caught."""
    figures = ledger.indicators([attendance()], year=2023, as_of=published["seal"])
    revision = ledger.revise(figures, ledger.seal())
    import attrs

    broken = attrs.evolve(
        revision,
        consistency_proof=(bytes(32), *revision.consistency_proof[1:]),
    )
    with pytest.raises(VerificationError):
        broken.verify()


def test_revise_needs_figures_computed_at_one_seal(ledger: Ledger) -> None:
    """Figures computed at a bare position carry no root to prove from."""
    ledger.append("meetings", [meeting(5)], actor="clerk")
    figures = ledger.indicators([attendance()], year=2023)
    with pytest.raises(ProjectionError, match="computed at one seal"):
        ledger.revise(figures, ledger.seal())


def test_revise_refuses_an_older_seal(ledger: Ledger) -> None:
    """A revision goes forward in time."""
    ledger.append("meetings", [meeting(5)], actor="clerk")
    old = ledger.seal()
    ledger.append("meetings", [meeting(6)], actor="clerk")
    figures = ledger.indicators([attendance()], year=2023, as_of=ledger.seal())
    with pytest.raises(ProjectionError, match="fewer than"):
        ledger.revise(figures, old)


def test_a_diff_item_renders_as_one_sentence() -> None:
    """Rendering names the event, the reason and both amounts."""
    import uuid

    item = DiffItem(event_id=uuid.UUID(int=1), reason="late", before=None, after=15, actor="x")
    assert item.render() == (
        f"event {uuid.UUID(int=1)} was recorded after publication by x: not counted -> 15"
    )
