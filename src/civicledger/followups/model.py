"""The rows of the rectification ledger: follow-ups, their measures, progress and timeline."""

from __future__ import annotations

import uuid
from datetime import date

import attrs

from civicledger.catalog.followups import FollowUpStatus, ProblemSource

DONE_STATUSES = frozenset({FollowUpStatus.DONE, FollowUpStatus.CLOSED})
"""Statuses that count as rectified. ``basically_done`` is deliberately not one of them."""


@attrs.frozen(kw_only=True)
class Measure:
    """One rectification measure of a problem (整改措施), as last planned or revised.

    Attributes:
        measure_id: the measure's id within its problem.
        description: what is to be done.
        owner: the person responsible (责任人); personal data.
        unit: the responsible unit (责任单位).
        due_on: the deadline (整改时限); None for a long-term commitment with no deadline.
        weight: the measure's share in the problem's weighted progress.
        planned_on: when the measure was first planned.
        percent: the latest reported percentage for this measure, if any.
        overdue: the deadline has passed, as of the projection date, and neither the
            measure (100%) nor the problem (done or closed) is finished.
    """

    measure_id: str
    description: str
    owner: str
    unit: str
    due_on: date | None
    weight: int
    planned_on: date
    percent: int | None
    overdue: bool


@attrs.frozen(kw_only=True)
class ProgressEntry:
    """A dated progress note (整改进展).

    Attributes:
        on: the date of the progress.
        note: what was done.
        measure_id: the measure concerned, if the note is about one.
        percent: the percentage reported with the note, if any.
        evidence: a reference to the evidence, if any.
        status: the status the note set, if it set one.
        recorded_by: the actor who recorded it.
        event_id: the id of the recorded event (None for a change not yet appended).
    """

    on: date
    note: str
    measure_id: str | None
    percent: int | None
    evidence: str | None
    status: FollowUpStatus | None
    recorded_by: str
    event_id: uuid.UUID | None


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One dated change to a problem, with who recorded it.

    Attributes:
        on: the business date of the change.
        event_type: the stored type name of the event (``"problem_resolved"``).
        detail: the change in a line: the description, note or reason it carried.
        status_before: the status before the change (None for the identification).
        status_after: the status after the change.
        measure_id: the measure the change planned, revised or reported on, if any.
        recorded_by: the actor who recorded it.
        event_id: the id of the recorded event (None for a change not yet appended).
        position: the event's position in the ledger (None for a change not yet appended).
    """

    on: date
    event_type: str
    detail: str
    status_before: FollowUpStatus | None
    status_after: FollowUpStatus
    measure_id: str | None
    recorded_by: str
    event_id: uuid.UUID | None
    position: int | None


@attrs.frozen(kw_only=True)
class Rejection:
    """An event that breaks the transition rules: refused on append, flagged when read.

    Attributes:
        problem_id: the problem the event names.
        on: the event's business date.
        event_type: the stored type name of the event.
        reason: which rule it breaks, in a sentence.
        recorded_by: the actor who recorded (or tried to record) it.
        event_id: the event's id, if it has one.
        position: the event's position in the ledger, if it was recorded.
    """

    problem_id: str
    on: date
    event_type: str
    reason: str
    recorded_by: str
    event_id: uuid.UUID | None
    position: int | None

    def __str__(self) -> str:
        where = f" (event {self.event_id}, position {self.position})" if self.event_id else ""
        subject = f"{self.event_type} for problem {self.problem_id!r} on {self.on}"
        return f"{subject}{where}: {self.reason}"


@attrs.frozen(kw_only=True)
class FollowUp:
    """One problem in the rectification ledger (整改台账), as of a date.

    Attributes:
        problem_id: the problem's id.
        source: where it came to light (问题来源).
        description: the problem (问题描述).
        category: its area, for roll-ups.
        identified_on: when it was identified.
        identified_by: who recorded the identification.
        measures: its measures (整改措施), in the order first planned.
        progress: its progress notes (整改进展), in recorded order.
        evidence: every evidence reference recorded with its progress notes and
            resolutions (佐证材料), in recorded order.
        status: its status (整改状态) as of the date.
        status_since: when it took that status.
        percent: the progress in percent: 100 once done or closed; otherwise the
            latest percentage reported for the problem as a whole, if it was reported
            after every measure's; otherwise the weight-averaged latest percentages
            of its measures (a measure with none counts as 0, rounded half up) if
            any measure has one; else None.
        due_on: the latest deadline among its measures (整改时限); None if none has one.
        overdue: some measure is overdue as of the date (see :class:`Measure`).
        done_on: when it was last marked done, if it is done or closed.
        closed_on: when it was signed off (销号日期), if it is closed.
        carried_over: it was identified in an earlier year than ``as_of`` and was
            still not done or closed at the end of the year before ``as_of``'s year.
        timeline: every accepted change, dated, with who recorded it.
        rejected: events recorded for it that break the transition rules; they
            are ignored by the projection and listed here so that nothing is silent.
        as_of: the date the row describes.
    """

    problem_id: str
    source: ProblemSource
    description: str
    category: str
    identified_on: date
    identified_by: str
    measures: tuple[Measure, ...]
    progress: tuple[ProgressEntry, ...]
    evidence: tuple[str, ...]
    status: FollowUpStatus
    status_since: date
    percent: int | None
    due_on: date | None
    overdue: bool
    done_on: date | None
    closed_on: date | None
    carried_over: bool
    timeline: tuple[TimelineEntry, ...]
    rejected: tuple[Rejection, ...]
    as_of: date

    @property
    def is_done(self) -> bool:
        """Whether the problem counts as rectified (done or closed)."""
        return self.status in DONE_STATUSES

    def status_on(self, day: date) -> FollowUpStatus | None:
        """The status the problem had at the end of a day, from its timeline.

        Args:
            day: the date asked about (not after ``as_of``).

        Returns:
            The status, or None if the problem was not yet identified that day.
        """
        status = None
        for entry in self.timeline:
            if entry.on > day:
                break
            status = entry.status_after
        return status
