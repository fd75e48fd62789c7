"""Import an edited ledger sheet: compare each row with the ledger, check all, plan events.

Import reads only the changes an office makes in the exported sheet — a new
progress note, a percentage, an evidence reference, a new status, a sign-off
date — and turns each edited row into problem events. The whole file is
checked first; every bad row is reported by its spreadsheet row number (the
header is row 1) and column, and then nothing is produced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicledger.catalog.followups import (
    PROGRESS_STATUSES,
    FollowUpStatus,
    ProblemReopened,
    ProblemResolved,
    RectificationProgressed,
)
from civicledger.errors import ValidationError
from civicledger.events import Event, RecordedEvent
from civicledger.followups.fold import PROBLEM_TYPES, FollowUpFold
from civicledger.followups.guards import Change, with_expected_versions
from civicledger.followups.model import FollowUp, Rejection
from civicledger.followups.tabular import COLUMNS, SheetRow, read_table
from civicledger.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from civicledger.store.base import EventStore

STATUS_ALIASES: Mapping[str, FollowUpStatus] = {
    "已完成": FollowUpStatus.DONE,
    "完成": FollowUpStatus.DONE,
    "整改完成": FollowUpStatus.DONE,
    "基本完成": FollowUpStatus.BASICALLY_DONE,
    "持续整改": FollowUpStatus.BASICALLY_DONE,
    "整改中": FollowUpStatus.IN_PROGRESS,
    "销号": FollowUpStatus.CLOSED,
    "回头看": FollowUpStatus.REOPENED,
}
"""Other spellings of a status that import accepts, besides each status's key and label."""

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def plan_import(
    sheet: Sequence[SheetRow],
    history: Iterable[RecordedEvent],
    *,
    actor: str,
    source: str = "the file",
) -> list[Change]:
    """Turn the edited rows of a ledger sheet into problem events, checking every row first.

    A row changes nothing unless it differs from the ledger: a 整改进展 note
    other than the latest one becomes a progress note (with 完成比例 and
    佐证材料 if they changed too); a new 整改状态 becomes a status change, dated
    by 更新日期 (a sign-off by 销号日期 if given). An unchanged row, such as
    every row of a fresh export, yields nothing.

    Args:
        sheet: the rows, as read by :func:`read_table`.
        history: the ledger's recorded events, in ledger order.
        actor: who records the changes.
        source: how error messages name the file.

    Returns:
        The changes, in row order, ready to append as one batch.

    Raises:
        ValidationError: one or more rows are bad (an unknown problem id, a
            disallowed status change, a date before identification or before the
            problem's latest change, a malformed date, status or percentage, a
            repeated problem); ``problems`` holds one error per bad row, each with
            its ``line`` (row number) and ``field``.
    """
    fold = FollowUpFold()
    for recorded in history:
        fold.apply(recorded.payload, actor=recorded.actor)
    current = {row.problem_id: row for row in fold.rows(date.max)}
    errors: list[ValidationError] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for sheet_row in sheet:
        try:
            events = _row_events(sheet_row, current, seen)
        except _RowError as e:
            errors.append(_error(source, sheet_row.row, e.field, e.message))
            continue
        for payload in events:
            rejection = fold.apply(payload, actor=actor)
            if rejection is not None:
                field = _field_of(rejection, payload, sheet_row)
                errors.append(_error(source, sheet_row.row, field, rejection.reason))
                break
            changes.append(Change(event=payload, actor=actor))
    if errors:
        raise ValidationError(
            f"{source}: {len(errors)} bad row(s); nothing was imported:\n"
            + "\n".join(e.message for e in errors),
            problems=errors,
        )
    return changes


def read_changes(
    path: Path,
    history: Iterable[RecordedEvent],
    *,
    actor: str,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Change]:
    """Read an edited ledger sheet (CSV or XLSX) and plan the events it asks for.

    Args:
        path: the ``.csv`` or ``.xlsx`` file.
        history: the ledger's recorded events, in ledger order.
        actor: who records the changes.
        limits: the file's bounds, checked before it is loaded.

    Returns:
        The changes to append as one batch (empty when nothing was edited).

    Raises:
        ValidationError: the file cannot be read, or any row is bad (every bad
            row is listed in ``problems``).
    """
    return plan_import(read_table(path, limits), history, actor=actor, source=str(path))


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def import_sheet(
    store: EventStore, path: Path, *, actor: str, limits: Limits = DEFAULT_LIMITS
) -> list[RecordedEvent]:
    """Record the changes made in an edited ledger sheet, all or nothing.

    Every row is checked against the ledger's history first; the changes are then
    appended in one batch whose expected stream versions make it fail, writing
    nothing, if a problem changed in the meantime.

    Args:
        store: the ledger's store.
        path: a ``.csv`` or ``.xlsx`` file laid out as the export writes it.
        actor: who records the changes.
        limits: the file's bounds, checked before it is loaded.

    Returns:
        The recorded events (none when nothing was edited).

    Raises:
        ValidationError: the file cannot be read or any row is bad; every bad row
            is listed in ``problems``; nothing is recorded.
        ConcurrencyError: a problem changed while the file was being checked.
    """
    from civicledger.store.base import NewEvent

    changes = read_changes(path, store.read(types=PROBLEM_TYPES), actor=actor, limits=limits)
    entries = [
        NewEvent(stream=c.stream, event=c.event, actor=c.actor, expected_version=version)
        for c, version in with_expected_versions(changes, store.stream_version)
    ]
    return store.append_batch(entries) if entries else []


def _error(source: str, row: int, field: str, message: str) -> ValidationError:
    header = next(c.header for c in COLUMNS if c.key == field)
    return ValidationError(
        f"{source}: row {row}, {header} ({field}): {message}", line=row, field=field
    )


# The edit rules of docs/followups.md ("Spreadsheets"), checked in the order listed
# there; each branch refuses one kind of edit and names its column.
def _row_events(  # noqa: C901
    sheet_row: SheetRow, current: Mapping[str, FollowUp], seen: dict[str, int]
) -> list[Event]:
    """The events one edited row asks for (none if it is unchanged)."""
    values = sheet_row.values
    problem_id = _text(values.get("problem_id"))
    if not problem_id:
        raise _RowError("problem_id", "empty; every row must name its problem")
    if problem_id in seen:
        raise _RowError("problem_id", f"{problem_id!r} is already on row {seen[problem_id]}")
    seen[problem_id] = sheet_row.row
    row = current.get(problem_id)
    if row is None:
        raise _RowError("problem_id", f"unknown problem {problem_id!r}; it is not in the ledger")
    # Parse every imported cell first, so a malformed one is reported even if unused.
    updated_on = _date(values.get("updated_on"), "updated_on")
    closed_on = _date(values.get("closed_on"), "closed_on")
    percent = _percent(values.get("percent"))
    status = _status(values.get("status"))
    note = _text(values.get("progress"))
    evidence = _text(values.get("evidence"))

    latest_note = row.progress[-1].note if row.progress else ""
    target = status if "status" in values and status is not None and status != row.status else None
    resolving = target in (FollowUpStatus.DONE, FollowUpStatus.CLOSED)
    new_note = "progress" in values and note != latest_note
    # Done means 100%: a percentage typed alongside a resolution is not a separate change.
    new_percent = "percent" in values and percent != row.percent and not resolving
    latest_evidence = row.evidence[-1] if row.evidence else ""
    new_evidence = "evidence" in values and bool(evidence) and evidence != latest_evidence
    if "closed_on" in values and closed_on != row.closed_on and status is not FollowUpStatus.CLOSED:
        raise _RowError("closed_on", "a sign-off date needs the status 已销号 (closed)")
    if not (new_note or new_percent or new_evidence or target):
        return []
    if updated_on is None:
        raise _RowError("updated_on", "the row was edited, so give the date of the change")
    if new_note and not note:
        raise _RowError("progress", "a progress note cannot be blanked; write a new one instead")
    if target is FollowUpStatus.OPEN:
        raise _RowError(
            "status",
            f"status cannot change from {row.status} ({row.status.label}) to open (未整改); "
            "open is only the starting status",
        )
    if target is FollowUpStatus.REOPENED:
        if not new_note:
            raise _RowError("progress", "reopening needs the re-inspection finding in 整改进展")
        if new_percent or new_evidence:
            # A reopening carries only its reason; a note with them would restart the work.
            raise _RowError(
                "percent" if new_percent else "evidence",
                "a reopening records only its reason; change this in a later edit",
            )
        return [ProblemReopened(occurred_on=updated_on, problem_id=problem_id, reason=note)]
    if not new_note and (new_percent or (new_evidence and not resolving)):
        raise _RowError(
            "progress", "a new 完成比例 or 佐证材料 needs a new 整改进展 note saying what was done"
        )
    if not new_note and target in PROGRESS_STATUSES:
        raise _RowError("progress", "a status change needs a 整改进展 note saying what was done")

    events: list[Event] = []
    if new_note:
        events.append(
            RectificationProgressed(
                occurred_on=updated_on,
                problem_id=problem_id,
                note=note,
                percent=percent if new_percent else None,
                evidence=evidence if new_evidence else None,
                status=target if target in PROGRESS_STATUSES else None,
            )
        )
    if resolving:
        assert target is not None
        on = closed_on if target is FollowUpStatus.CLOSED and closed_on else updated_on
        events.append(
            ProblemResolved(
                occurred_on=on,
                problem_id=problem_id,
                status=target,
                evidence=evidence if new_evidence and not new_note else None,
            )
        )
    return events


def _field_of(rejection: Rejection, payload: Event, sheet_row: SheetRow) -> str:
    """The column to blame for a rule the row's event broke."""
    if rejection.reason.startswith("dated "):
        closing = isinstance(payload, ProblemResolved) and payload.status is FollowUpStatus.CLOSED
        signed_off = closing and bool(_text(sheet_row.values.get("closed_on")))
        return "closed_on" if signed_off else "updated_on"
    if isinstance(payload, RectificationProgressed) and payload.status is None:
        return "progress"
    return "status"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _date(value: Any, field: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    for form in _DATE_FORMS:
        if match := form.match(text):
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise _RowError(field, f"{text!r} is not a date; write it as YYYY-MM-DD")


def _percent(value: Any) -> int | None:
    text = _text(value).removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise _RowError("percent", f"{_text(value)!r} is not a whole percentage from 0 to 100")
    return int(number)


def _status(value: Any) -> FollowUpStatus | None:
    text = _text(value)
    if not text:
        return None
    for status in FollowUpStatus:
        if text in (status.label, status.value) or text.lower() == status.value:
            return status
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text]
    known = "、".join(s.label for s in FollowUpStatus)
    raise _RowError("status", f"unknown status {text!r}; use one of {known}")
