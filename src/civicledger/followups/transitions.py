"""The allowed status transitions of a follow-up, as a small table, and the rule checks.

The table is data so that ``docs/followups.md`` can show it and the tests can
walk it. Each target status lists the statuses it may be reached from.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date

from civicledger.catalog.followups import (
    FollowUpStatus,
    ProblemIdentified,
    ProblemReopened,
    ProblemResolved,
    RectificationPlanned,
    RectificationProgressed,
)
from civicledger.events import Event

S = FollowUpStatus

_WORKING = frozenset({S.OPEN, S.IN_PROGRESS, S.BASICALLY_DONE, S.ONGOING, S.REOPENED})

ALLOWED_FROM: Mapping[FollowUpStatus, frozenset[FollowUpStatus]] = types.MappingProxyType(
    {
        # ``open`` is only ever the starting status, set by ProblemIdentified.
        S.OPEN: frozenset(),
        S.IN_PROGRESS: _WORKING,
        S.BASICALLY_DONE: _WORKING,
        S.ONGOING: _WORKING,
        # Rectification can finish from any working status, but done is not done twice.
        S.DONE: _WORKING,
        # Sign-off (销号) needs a rectified problem: it cannot be closed without done.
        S.CLOSED: frozenset({S.DONE}),
        # Re-inspection (回头看) can only find again what was done or closed.
        S.REOPENED: frozenset({S.DONE, S.CLOSED}),
    }
)
"""For each status, the statuses from which a change to it is allowed."""

PLANNING_BLOCKED = frozenset({S.DONE, S.CLOSED})
"""Statuses in which no new measure may be planned: reopen the problem first."""

NOTE_BLOCKED = frozenset({S.CLOSED})
"""Statuses in which not even a progress note is accepted: only a reopening."""

IMPLICIT_START = frozenset({S.OPEN, S.REOPENED})
"""Statuses that a progress note without a status change moves to ``in_progress``."""


def target_status(payload: Event, current: FollowUpStatus) -> FollowUpStatus:
    """The status a problem event leads to from the current status (rules not checked).

    Args:
        payload: a problem event other than ProblemIdentified.
        current: the problem's current status.

    Returns:
        The status after the event.
    """
    if isinstance(payload, ProblemResolved):
        return payload.status
    if isinstance(payload, ProblemReopened):
        return S.REOPENED
    if isinstance(payload, RectificationProgressed):
        if payload.status is not None:
            return payload.status
        return S.IN_PROGRESS if current in IMPLICIT_START else current
    return current


def rule_broken(
    payload: Event,
    *,
    problem_id: str,
    current: FollowUpStatus | None,
    identified_on: date | None,
    last_on: date | None,
    measure_ids: frozenset[str],
) -> str | None:
    """Say which transition rule a problem event would break, if any.

    Args:
        payload: the problem event.
        problem_id: the problem it names.
        current: the problem's status, or None if it has not been identified.
        identified_on: when the problem was identified, if it was.
        last_on: the date of the problem's latest accepted change, if any.
        measure_ids: the ids of the problem's planned measures.

    Returns:
        The broken rule in a sentence, or None when the event is allowed.
    """
    if isinstance(payload, ProblemIdentified):
        if current is not None:
            return f"problem {problem_id!r} was already identified on {identified_on}"
        return None
    if current is None or identified_on is None:
        return f"problem {problem_id!r} has not been identified"
    on = payload.occurred_on
    if on < identified_on:
        return f"dated {on}, before the problem was identified on {identified_on}"
    if last_on is not None and on < last_on:
        return (
            f"dated {on}, before the problem's latest change on {last_on}; "
            "changes to a problem are recorded in date order"
        )
    if isinstance(payload, RectificationPlanned):
        if current in PLANNING_BLOCKED:
            return (
                f"cannot plan a measure while the problem is {current} ({current.label}); "
                "reopen it first"
            )
        return None
    if isinstance(payload, RectificationProgressed):
        if payload.measure_id is not None and payload.measure_id not in measure_ids:
            return f"measure {payload.measure_id!r} has not been planned for this problem"
        if payload.status is None:
            if current in NOTE_BLOCKED:
                return f"a {current} ({current.label}) problem accepts only a reopening"
            return None
    target = target_status(payload, current)
    if current not in ALLOWED_FROM[target]:
        allowed = ", ".join(sorted(str(s) for s in ALLOWED_FROM[target])) or "nothing"
        return (
            f"status cannot change from {current} ({current.label}) to {target} "
            f"({target.label}); {target} is allowed only from: {allowed}"
        )
    return None
