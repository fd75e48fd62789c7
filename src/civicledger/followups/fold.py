"""The follow-up projection: a pure fold of problem events into rectification-ledger rows.

No I/O, no clock: the events and the ``as_of`` date are arguments, and the same
events give the same rows. Events that break the transition rules
(:mod:`civicledger.followups.transitions`) are not applied; they are listed as
:class:`Rejection` s on their problem (or, for a problem never identified, on
the result), so a ledger that holds one still projects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs

from civicledger.catalog.followups import (
    PROBLEM_EVENTS,
    FollowUpStatus,
    ProblemIdentified,
    ProblemReopened,
    ProblemResolved,
    ProblemSource,
    RectificationPlanned,
    RectificationProgressed,
)
from civicledger.errors import ValidationError
from civicledger.events import Event, RecordedEvent, default_registry
from civicledger.events.redaction import RedactedPayload
from civicledger.followups.model import (
    DONE_STATUSES,
    FollowUp,
    Measure,
    ProgressEntry,
    Rejection,
    TimelineEntry,
)
from civicledger.followups.transitions import rule_broken, target_status

PROBLEM_TYPES: tuple[str, ...] = tuple(cls.__event_type__ for cls in PROBLEM_EVENTS)
"""The stored type names of the problem events, for ``read(types=PROBLEM_TYPES)``."""


@attrs.frozen(kw_only=True)
class FollowUpState:
    """The whole rectification ledger as of a date.

    Attributes:
        as_of: the date the state describes.
        rows: one follow-up per identified problem, in the order identified.
        orphans: events naming a problem that was never identified (as of the date).
    """

    as_of: date
    rows: tuple[FollowUp, ...]
    orphans: tuple[Rejection, ...]

    @property
    def rejected(self) -> tuple[Rejection, ...]:
        """Every event the rules refused: the orphans and each row's rejections."""
        return self.orphans + tuple(r for row in self.rows for r in row.rejected)


@attrs.define
class _Measure:
    measure_id: str
    description: str
    owner: str
    unit: str
    due_on: date | None
    weight: int
    planned_on: date
    percent: int | None = None


@attrs.define
class _Problem:
    """The mutable accumulator for one problem; frozen into a FollowUp at the end."""

    problem_id: str
    source: ProblemSource
    description: str
    category: str
    identified_on: date
    identified_by: str
    status: FollowUpStatus = FollowUpStatus.OPEN
    status_since: date | None = None
    last_on: date | None = None
    problem_percent: int | None = None
    done_on: date | None = None
    closed_on: date | None = None
    measures: dict[str, _Measure] = attrs.Factory(dict)
    progress: list[ProgressEntry] = attrs.Factory(list)
    evidence: list[str] = attrs.Factory(list)
    timeline: list[TimelineEntry] = attrs.Factory(list)
    rejected: list[Rejection] = attrs.Factory(list)


class FollowUpFold:
    """Folds problem events, one at a time, into follow-up state.

    Use :func:`project` or :func:`followups` for a whole ledger; use a fold
    directly to check changes before appending them (:func:`check_changes`).
    """

    def __init__(self) -> None:
        self._problems: dict[str, _Problem] = {}
        self._orphans: list[Rejection] = []

    def apply(
        self,
        payload: Event,
        *,
        actor: str,
        event_id: uuid.UUID | None = None,
        position: int | None = None,
    ) -> Rejection | None:
        """Apply one problem event if the rules allow it.

        Args:
            payload: a problem event (any other event is ignored).
            actor: who recorded it.
            event_id: its id, if it has one.
            position: its ledger position, if it was recorded.

        Returns:
            None if the event was applied (or is not a problem event); otherwise the
            Rejection, which is also kept on the problem (or as an orphan).
        """
        if isinstance(payload, RedactedPayload):
            payload = _with_redaction_marks(payload)
        if not isinstance(payload, PROBLEM_EVENTS):
            return None
        problem_id: str = payload.problem_id  # type: ignore[attr-defined]
        problem = self._problems.get(problem_id)
        reason = rule_broken(
            payload,
            problem_id=problem_id,
            current=problem.status if problem else None,
            identified_on=problem.identified_on if problem else None,
            last_on=problem.last_on if problem else None,
            measure_ids=frozenset(problem.measures) if problem else frozenset(),
        )
        if reason is not None:
            rejection = Rejection(
                problem_id=problem_id,
                on=payload.occurred_on,
                event_type=type(payload).__event_type__,
                reason=reason,
                recorded_by=actor,
                event_id=event_id,
                position=position,
            )
            (problem.rejected if problem else self._orphans).append(rejection)
            return rejection
        if isinstance(payload, ProblemIdentified):
            problem = _Problem(
                problem_id=problem_id,
                source=payload.source,
                description=payload.description,
                category=payload.category,
                identified_on=payload.occurred_on,
                identified_by=actor,
            )
            self._problems[problem_id] = problem
            before = None
            detail = payload.description
        else:
            assert problem is not None  # rule_broken refuses events of unknown problems
            before = problem.status
            detail = _apply_change(problem, payload, actor, event_id)
        after = problem.status
        if before != after or problem.status_since is None:
            problem.status_since = payload.occurred_on
        if after is FollowUpStatus.DONE and before is not FollowUpStatus.DONE:
            problem.done_on = payload.occurred_on
        if after is FollowUpStatus.CLOSED:
            problem.closed_on = payload.occurred_on
        if after not in DONE_STATUSES:
            problem.done_on = problem.closed_on = None
        problem.last_on = payload.occurred_on
        problem.timeline.append(
            TimelineEntry(
                on=payload.occurred_on,
                event_type=type(payload).__event_type__,
                detail=detail,
                status_before=before,
                status_after=after,
                measure_id=getattr(payload, "measure_id", None),
                recorded_by=actor,
                event_id=event_id,
                position=position,
            )
        )
        return None

    def rows(self, as_of: date) -> tuple[FollowUp, ...]:
        """Freeze the current state into follow-up rows described as of a date.

        Args:
            as_of: the date for the overdue and carried-over flags.

        Returns:
            One row per identified problem, in the order identified.
        """
        return tuple(_freeze(p, as_of) for p in self._problems.values())

    def orphans(self) -> tuple[Rejection, ...]:
        """Events that named a problem never identified."""
        return tuple(self._orphans)


def _apply_change(problem: _Problem, payload: Event, actor: str, event_id: uuid.UUID | None) -> str:
    """Apply an allowed change to a problem; return the timeline detail line."""
    problem.status = target_status(payload, problem.status)
    if isinstance(payload, RectificationPlanned):
        earlier = problem.measures.get(payload.measure_id)
        problem.measures[payload.measure_id] = _Measure(
            measure_id=payload.measure_id,
            description=payload.description,
            owner=payload.owner,
            unit=payload.unit,
            due_on=payload.due_on,
            weight=payload.weight,
            planned_on=earlier.planned_on if earlier else payload.occurred_on,
            percent=earlier.percent if earlier else None,
        )
        verb = "revised" if earlier else "planned"
        return f"measure {payload.measure_id} {verb}: {payload.description}"
    evidence = getattr(payload, "evidence", None)
    if evidence is not None:
        problem.evidence.append(evidence)
    if isinstance(payload, RectificationProgressed):
        if payload.percent is not None:
            # The latest word wins: a measure's percentage hands the problem's figure
            # back to the weighted roll-up; a problem-level one overrides it.
            if payload.measure_id is not None:
                problem.measures[payload.measure_id].percent = payload.percent
                problem.problem_percent = None
            else:
                problem.problem_percent = payload.percent
        problem.progress.append(
            ProgressEntry(
                on=payload.occurred_on,
                note=payload.note,
                measure_id=payload.measure_id,
                percent=payload.percent,
                evidence=payload.evidence,
                status=payload.status,
                recorded_by=actor,
                event_id=event_id,
            )
        )
        return payload.note
    if isinstance(payload, ProblemResolved):
        return payload.note or payload.status.label
    assert isinstance(payload, ProblemReopened)
    return payload.reason


def _freeze(problem: _Problem, as_of: date) -> FollowUp:
    done = problem.status in DONE_STATUSES
    measures = tuple(
        Measure(
            measure_id=m.measure_id,
            description=m.description,
            owner=m.owner,
            unit=m.unit,
            due_on=m.due_on,
            weight=m.weight,
            planned_on=m.planned_on,
            percent=m.percent,
            overdue=(
                not done
                and m.due_on is not None
                and m.due_on < as_of
                and (m.percent is None or m.percent < 100)
            ),
        )
        for m in problem.measures.values()
    )
    deadlines = [m.due_on for m in measures if m.due_on is not None]
    timeline = tuple(problem.timeline)
    carried_over = False
    if problem.identified_on.year < as_of.year:
        year_end = date(as_of.year - 1, 12, 31)
        status_then = FollowUpStatus.OPEN
        for entry in timeline:
            if entry.on > year_end:
                break
            status_then = entry.status_after
        carried_over = status_then not in DONE_STATUSES
    assert problem.status_since is not None  # set when the problem was identified
    return FollowUp(
        problem_id=problem.problem_id,
        source=problem.source,
        description=problem.description,
        category=problem.category,
        identified_on=problem.identified_on,
        identified_by=problem.identified_by,
        measures=measures,
        progress=tuple(problem.progress),
        evidence=tuple(problem.evidence),
        status=problem.status,
        status_since=problem.status_since,
        percent=100 if done else _weighted_percent(problem),
        due_on=max(deadlines) if deadlines else None,
        overdue=any(m.overdue for m in measures),
        done_on=problem.done_on,
        closed_on=problem.closed_on,
        carried_over=carried_over,
        timeline=timeline,
        rejected=tuple(problem.rejected),
        as_of=as_of,
    )


def _weighted_percent(problem: _Problem) -> int | None:
    if problem.problem_percent is not None:
        return problem.problem_percent
    measures = list(problem.measures.values())
    if any(m.percent is not None for m in measures):
        total = sum(m.weight for m in measures)
        weighted = sum(m.weight * (m.percent or 0) for m in measures)
        return int((Decimal(weighted) / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return None


def project(events: Iterable[RecordedEvent], *, as_of: date) -> FollowUpState:
    """Project recorded events into the rectification ledger as of a date.

    Only problem events dated on or before ``as_of`` count; they are applied in
    ledger order. Other events are skipped, so the whole ledger can be passed.

    Args:
        events: recorded events in ledger (position) order, e.g. ``ledger.read()``.
        as_of: the date the state describes.

    Returns:
        The rows and the orphaned events.
    """
    fold = FollowUpFold()
    for recorded in events:
        if recorded.occurred_on <= as_of:
            fold.apply(
                recorded.payload,
                actor=recorded.actor,
                event_id=recorded.event_id,
                position=recorded.position,
            )
    return FollowUpState(as_of=as_of, rows=fold.rows(as_of), orphans=fold.orphans())


def followups(events: Iterable[RecordedEvent], *, as_of: date) -> list[FollowUp]:
    """The rectification ledger's rows as of a date.

    Args:
        events: recorded events in ledger (position) order.
        as_of: the date the rows describe.

    Returns:
        One follow-up per problem identified on or before ``as_of``, in the order
        identified.
    """
    return list(project(events, as_of=as_of).rows)


def carried_over(events: Iterable[RecordedEvent], *, year: int) -> list[FollowUp]:
    """The problems still not done or closed at the end of a year: next year's carry-over.

    Args:
        events: recorded events in ledger (position) order.
        year: the year that ends.

    Returns:
        The follow-ups, as of 31 December of ``year``, whose status is neither done
        nor closed.
    """
    return [row for row in followups(events, as_of=date(year, 12, 31)) if not row.is_done]


REDACTED_MARK = "（已删除）"
"""What a redacted text field of a problem event shows in the rectification ledger."""


def _with_redaction_marks(payload: RedactedPayload) -> Event:
    """Rebuild a redacted problem event with its erased text fields marked, not missing.

    Redaction erases personal values (a measure's owner); the measure itself must
    stay in the ledger, so its erased texts read as REDACTED_MARK. A payload that
    cannot be rebuilt that way is returned unchanged (and so is not applied).
    """
    try:
        cls = default_registry().newest(payload.event_type)
    except ValidationError:
        return payload
    if not issubclass(cls, PROBLEM_EVENTS):
        return payload
    values = dict(payload.values)
    values.update(dict.fromkeys(payload.redacted, REDACTED_MARK))
    try:
        return cls(occurred_on=payload.occurred_on, **values)
    except (ValidationError, TypeError):
        return payload
