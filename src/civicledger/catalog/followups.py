"""Problem follow-ups (整改台账): a problem found, the measures planned, progress, resolution.

Every event of one problem is appended to the stream ``problem/<problem_id>``
(see :func:`problem_stream`), so the problem's history reads in order. The
projection that turns these events into the rectification ledger, and the
table of allowed status transitions, live in :mod:`civicledger.followups`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import attrs

from civicledger.events import Event, Vocabulary, event, field

PROBLEM_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""What a problem or measure id may look like: it becomes part of a stream name."""


class ProblemSource(Vocabulary):
    """Where a problem came to light (问题来源)."""

    INSPECTION = "inspection", "督导检查"
    SELF_REVIEW = "self_review", "自查自纠"
    RESIDENT_COMPLAINT = "resident_complaint", "群众反映"
    HOTLINE_12345 = "hotline_12345", "12345热线"
    ANNUAL_REPORT = "annual_report", "年度工作报告"
    SUPERIOR_FEEDBACK = "superior_feedback", "上级反馈"
    OTHER = "other", "其他"


class FollowUpStatus(Vocabulary):
    """The rectification status of a problem (整改状态); exactly one holds at a time.

    ``basically_done`` is not ``done``: completion rates count only ``done`` and
    ``closed`` (see ``docs/followups.md``).
    """

    OPEN = "open", "未整改"
    IN_PROGRESS = "in_progress", "正在整改"
    BASICALLY_DONE = "basically_done", "基本完成、持续整改"
    DONE = "done", "已整改"
    ONGOING = "ongoing", "长期坚持"
    CLOSED = "closed", "已销号"
    REOPENED = "reopened", "回头看复发"


PROGRESS_STATUSES = frozenset(
    {
        FollowUpStatus.IN_PROGRESS,
        FollowUpStatus.BASICALLY_DONE,
        FollowUpStatus.ONGOING,
    }
)
"""Statuses a :class:`RectificationProgressed` may set: the work goes on."""

RESOLVED_STATUSES = frozenset({FollowUpStatus.DONE, FollowUpStatus.CLOSED})
"""Statuses a :class:`ProblemResolved` may set: rectified, then signed off."""


def problem_stream(problem_id: str) -> str:
    """Name the stream that holds every event of one problem.

    Args:
        problem_id: the problem's id (e.g. ``"2023-01"``).

    Returns:
        ``"problem/<problem_id>"``.
    """
    return f"problem/{problem_id}"


def _identifier(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: an id that can be part of a stream name and a spreadsheet cell."""
    if value is None or not isinstance(value, str):
        return  # the annotation's own check reports a missing or non-text value
    if not PROBLEM_ID_PATTERN.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            attribute,
        )


def _percent(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a percentage from 0 to 100."""
    if type(value) is int and not 0 <= value <= 100:
        raise ValueError(f"percent must be between 0 and 100, got {value}", attribute)


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a weight of at least 1 (a zero weight would drop the measure)."""
    if type(value) is int and value < 1:
        raise ValueError(f"weight must be at least 1, got {value}", attribute)


def _one_of(allowed: frozenset[FollowUpStatus]) -> Any:
    names = ", ".join(sorted(str(s) for s in allowed))

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, FollowUpStatus) and value not in allowed:
            raise ValueError(
                f"status {str(value)!r} cannot be set by this event; allowed: {names}",
                attribute,
            )

    return check


@event("problem_identified", version=1)
class ProblemIdentified(Event):
    """Record when a problem has been identified and entered in the rectification ledger.

    ``occurred_on`` is the day it was identified (the inspection, the complaint,
    the report that named it). The problem starts with status ``open``.

    Attributes:
        problem_id: the problem's stable id, unique in the ledger (e.g. ``"2023-01"``).
        source: where it came to light.
        description: the problem, in the office's words (问题描述).
        category: the area it belongs to, for roll-ups (e.g. ``"作风纪律"``).
    """

    problem_id: str = attrs.field(validator=_identifier)
    source: ProblemSource
    description: str = field(multiline=True)
    category: str


@event("rectification_planned", version=1)
class RectificationPlanned(Event):
    """Record when a rectification measure has been planned for a problem (整改措施).

    A later event with the same ``measure_id`` revises that measure (a new owner,
    a new deadline); the timeline keeps both.

    Attributes:
        problem_id: the problem the measure addresses.
        measure_id: the measure's id within the problem (e.g. ``"1"``, ``"M1"``).
        description: what will be done.
        owner: the person responsible (责任人).
        unit: the responsible unit (责任单位).
        due_on: the deadline (整改时限); None for a long-term commitment (长期坚持)
            that has no deadline and is never overdue.
        weight: the measure's share in the problem's weighted progress, at least 1.
    """

    problem_id: str = attrs.field(validator=_identifier)
    measure_id: str = attrs.field(validator=_identifier)
    description: str = field(multiline=True)
    owner: str = field(personal=True)
    unit: str
    due_on: date | None = field(default=None, not_before="occurred_on", planned=True)
    weight: int = attrs.field(default=1, validator=_positive)


@event("rectification_progressed", version=1)
class RectificationProgressed(Event):
    """Record progress on a problem's rectification (整改进展): a dated note, optionally
    a percentage, an evidence reference and a status change.

    A note without a status change on an ``open`` or ``reopened`` problem moves it
    to ``in_progress``; otherwise the status stays as it is.

    Attributes:
        problem_id: the problem.
        note: what was done, in a line or two.
        measure_id: the measure the note is about, if it is about one.
        percent: how far the measure (or, without a measure, the problem) has got, 0-100.
        evidence: a reference to the evidence (a file name, an archive number, a URL).
        status: the new status, one of in_progress, basically_done, ongoing.
    """

    problem_id: str = attrs.field(validator=_identifier)
    note: str = field(multiline=True)
    measure_id: str | None = attrs.field(default=None, validator=_identifier)
    percent: int | None = attrs.field(default=None, validator=_percent)
    evidence: str | None = field(default=None)
    status: FollowUpStatus | None = attrs.field(default=None, validator=_one_of(PROGRESS_STATUSES))


@event("problem_resolved", version=1)
class ProblemResolved(Event):
    """Record when a problem has been rectified (``done``, 已整改) or, once done, signed
    off (``closed``, 已销号).

    Attributes:
        problem_id: the problem.
        status: ``done`` or ``closed``.
        note: how it was resolved or who signed it off.
        evidence: a reference to the evidence (acceptance record, sign-off sheet).
    """

    problem_id: str = attrs.field(validator=_identifier)
    status: FollowUpStatus = attrs.field(validator=_one_of(RESOLVED_STATUSES))
    note: str | None = field(default=None, multiline=True)
    evidence: str | None = field(default=None)


@event("problem_reopened", version=1)
class ProblemReopened(Event):
    """Record when a done or closed problem has been found again on re-inspection
    (回头看) and is back under rectification.

    Attributes:
        problem_id: the problem.
        reason: what the re-inspection found.
    """

    problem_id: str = attrs.field(validator=_identifier)
    reason: str = field(multiline=True)


PROBLEM_EVENTS: tuple[type[Event], ...] = (
    ProblemIdentified,
    RectificationPlanned,
    RectificationProgressed,
    ProblemResolved,
    ProblemReopened,
)
"""Every event type that belongs in a ``problem/<problem_id>`` stream."""
