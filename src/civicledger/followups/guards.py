"""Write-side guards: problem events are checked against the transition rules before appending.

The fold (:mod:`civicledger.followups.fold`) only reads; these functions replay a
problem's recorded history through it and refuse a batch of new events that the
rules would reject, so a refused batch appends nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

import attrs

from civicledger.catalog.followups import problem_stream
from civicledger.errors import ValidationError
from civicledger.events import Event, RecordedEvent
from civicledger.followups.fold import FollowUpFold
from civicledger.followups.model import Rejection


@attrs.frozen(kw_only=True)
class Change:
    """A problem event about to be appended, with who records it.

    Attributes:
        event: the problem event.
        actor: who records it.
        event_id: the id it will be stored under, if already chosen.
    """

    event: Event
    actor: str
    event_id: uuid.UUID | None = None

    @property
    def stream(self) -> str:
        """The stream the change belongs in: ``problem/<problem_id>``."""
        return problem_stream(self.event.problem_id)  # type: ignore[attr-defined]


def check_changes(history: Iterable[RecordedEvent], changes: Sequence[Change]) -> list[Rejection]:
    """Check changes against the rules, after the recorded history, without appending.

    Each change is checked as if every earlier allowed change had been appended,
    so a batch can identify a problem and then plan its measures.

    Args:
        history: the recorded events so far, in ledger order.
        changes: the changes to check, in the order they would be appended.

    Returns:
        One Rejection per refused change (empty when every change is allowed).
    """
    fold = FollowUpFold()
    for recorded in history:
        fold.apply(recorded.payload, actor=recorded.actor)
    rejections = []
    for change in changes:
        rejection = fold.apply(change.event, actor=change.actor, event_id=change.event_id)
        if rejection is not None:
            rejections.append(rejection)
    return rejections


def require_allowed(history: Iterable[RecordedEvent], changes: Sequence[Change]) -> None:
    """Refuse a batch of changes if any breaks the transition rules.

    Args:
        history: the recorded events so far, in ledger order.
        changes: the changes about to be appended, in order.

    Raises:
        ValidationError: naming every refused change (in ``problems``), when any is.
    """
    rejections = check_changes(history, changes)
    if rejections:
        problems = [
            ValidationError(str(r), event_type=r.event_type, event_id=_id(r.event_id))
            for r in rejections
        ]
        raise ValidationError(
            f"{len(rejections)} change(s) break the follow-up rules; nothing was appended: "
            + "; ".join(str(r) for r in rejections),
            problems=problems,
        )


def _id(event_id: uuid.UUID | None) -> str | None:
    return None if event_id is None else str(event_id)


def with_expected_versions(
    changes: Sequence[Change], stream_version: Callable[[str], int]
) -> list[tuple[Change, int]]:
    """Pair each change with the exact version its stream must be at just before it.

    Appending with these versions makes a batch fail (and write nothing) if
    anyone else changed one of its problems after it was checked.

    Args:
        changes: the changes, in append order.
        stream_version: gives a stream's current version (e.g. ``store.stream_version``).

    Returns:
        (change, expected version) pairs, in order.
    """
    versions: dict[str, int] = {}
    paired = []
    for change in changes:
        stream = change.stream
        if stream not in versions:
            versions[stream] = stream_version(stream)
        paired.append((change, versions[stream]))
        versions[stream] += 1
    return paired
