"""What each table holds: figures, series, lineage, the event log and the follow-ups, as
rows of plain values (see :mod:`civicledger.frames._columns` for their types)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from civicledger.frames._columns import plain

if TYPE_CHECKING:
    from civicledger.events import RecordedEvent
    from civicledger.followups import FollowUp
    from civicledger.projections import Figure, Series

Rows = tuple[list[str], list[dict[str, Any]], dict[str, str]]
"""Column names in order, the rows, and the declared kinds of the columns that have one
(``value``, ``amount`` and payload fields are typed by what they hold)."""

KINDS = {
    "start": "date",
    "end": "date",
    "events": "int",
    "excluded": "int",
    "as_of_position": "int",
    "step": "int",
    "position": "int",
    "stream_version": "int",
    "schema_version": "int",
    "occurred_on": "date",
    "recorded_at": "datetime",
    "redacted": "list",
    "identified_on": "date",
    "status_since": "date",
    "due_on": "date",
    "done_on": "date",
    "closed_on": "date",
    "as_of": "date",
    "measures": "int",
    "percent": "int",
    "overdue": "bool",
    "carried_over": "bool",
}
"""Every column with a fixed type, by name; other columns are text unless they hold
values (figure values, amounts, payload fields)."""

_TYPED_BY_VALUE = ("value", "previous_value", "amount")


def _kinds(columns: list[str]) -> dict[str, str]:
    return {
        c: KINDS.get(c, "text")
        for c in columns
        if not c.startswith("payload.") and c not in _TYPED_BY_VALUE
    }


FIGURE_COLUMNS = [
    "indicator",
    "label",
    "unit",
    "period",
    "period_label",
    "start",
    "end",
    "group",
    "value",
    "undefined_reason",
    "events",
    "excluded",
    "as_of_position",
    "seal_root",
]

LINEAGE_COLUMNS = [
    "indicator",
    "period",
    "group",
    "part",
    "event_id",
    "position",
    "occurred_on",
    "type",
    "stream",
    "amount",
    "key",
    "note",
]

EVENT_COLUMNS = [
    "position",
    "event_id",
    "stream",
    "stream_version",
    "type",
    "schema_version",
    "occurred_on",
    "recorded_at",
    "actor",
    "redacted",
]

FOLLOWUP_COLUMNS = [
    "problem_id",
    "source",
    "description",
    "category",
    "identified_on",
    "identified_by",
    "measures",
    "status",
    "status_label",
    "status_since",
    "percent",
    "due_on",
    "overdue",
    "done_on",
    "closed_on",
    "carried_over",
    "progress",
    "evidence",
    "as_of",
]


def group_text(group: tuple[tuple[str, str], ...]) -> str:
    """A figure's group as ``field=value, …`` (empty for an ungrouped figure)."""
    return ", ".join(f"{k}={v}" for k, v in group)


def _group_columns(figures: Iterable[Figure]) -> list[str]:
    return list(dict.fromkeys(f"group_{k}" for f in figures for k, _ in f.group))


def figure_row(figure: Figure) -> dict[str, Any]:
    """One figure's row (group fields also in ``group_<field>`` columns)."""
    row: dict[str, Any] = {
        "indicator": figure.indicator.id,
        "label": figure.indicator.label,
        "unit": figure.indicator.unit,
        "period": figure.period.key,
        "period_label": figure.period.label,
        "start": figure.period.start,
        "end": figure.period.end,
        "group": group_text(figure.group),
        "value": figure.value,
        "undefined_reason": figure.undefined_reason,
        "events": len(figure.event_ids()),
        "excluded": figure.excluded,
        "as_of_position": figure.as_of.position,
        "seal_root": figure.as_of.seal_root,
    }
    row.update({f"group_{k}": v for k, v in figure.group})
    return row


def figure_rows(figures: Iterable[Figure]) -> Rows:
    """One row per figure."""
    figures = list(figures)
    columns = FIGURE_COLUMNS + _group_columns(figures)
    return columns, [figure_row(f) for f in figures], _kinds(columns)


def series_rows(series: Iterable[Series]) -> Rows:
    """One row per step (and group) of each series, with the step's number and, when the
    series has them, the year-earlier period and value."""
    series = list(series)
    extra = ["step", "by"]
    if any(s.previous is not None for s in series):
        extra += ["previous_period", "previous_value"]
    rows: list[dict[str, Any]] = []
    for one in series:
        steps = {period: number for number, period in enumerate(one.periods, start=1)}
        earlier = one.previous or ()
        for index, figure in enumerate(one.figures):
            row = figure_row(figure) | {"step": steps[figure.period], "by": one.by}
            if one.previous is not None:
                row["previous_period"] = earlier[index].period.key
                row["previous_value"] = earlier[index].value
            rows.append(row)
    figures = [f for s in series for f in s.figures]
    columns = FIGURE_COLUMNS + extra + _group_columns(figures)
    return columns, rows, _kinds(columns)


def _parts(figure: Figure, part: str) -> Iterator[tuple[Figure, str]]:
    if figure.numerator is None and figure.denominator is None:
        yield figure, part
    for name, sub in (("numerator", figure.numerator), ("denominator", figure.denominator)):
        if sub is not None:
            yield from _parts(sub, f"{part}.{name}" if part else name)


def lineage_rows(figures: Iterable[Figure]) -> Rows:
    """One row per contribution of each figure (a ratio's through its parts, named in
    ``part``); ``indicator``, ``period`` and ``group`` are the figure's."""
    rows = []
    for figure in figures:
        for source, part in _parts(figure, ""):
            for c in source.contributions:
                rows.append(
                    {
                        "indicator": figure.indicator.id,
                        "period": figure.period.key,
                        "group": group_text(figure.group),
                        "part": part,
                        "event_id": str(c.event_id),
                        "position": c.position,
                        "occurred_on": c.occurred_on,
                        "type": c.type,
                        "stream": c.stream,
                        "amount": c.amount,
                        "key": c.key,
                        "note": c.note,
                    }
                )
    return LINEAGE_COLUMNS, rows, _kinds(LINEAGE_COLUMNS)


def _payload_fields(record: RecordedEvent) -> dict[str, Any]:
    from civicledger.events.redaction import RedactedPayload

    payload = record.payload
    if isinstance(payload, RedactedPayload):
        fields = dict(payload.values)  # what is left of it
    elif attrs.has(type(payload)):
        fields = {a.name: getattr(payload, a.name) for a in attrs.fields(type(payload))}
    else:
        fields = {}
    fields.pop("occurred_on", None)  # the envelope's column
    erased = dict.fromkeys(record.redacted_fields)  # null, but still a column
    return {name: plain(value) for name, value in fields.items()} | erased


def event_rows(records: Iterable[RecordedEvent]) -> Rows:
    """One row per event: the envelope, then each payload field in a column of its own
    (the union over the event types read, in order of first appearance; null where a
    type has no such field or its value was redacted)."""
    rows = []
    payload_columns: dict[str, None] = {}
    for record in records:
        fields = _payload_fields(record)
        payload_columns.update(dict.fromkeys(fields))
        rows.append(
            {
                "position": record.position,
                "event_id": str(record.event_id),
                "stream": record.stream,
                "stream_version": record.stream_version,
                "type": record.type,
                "schema_version": record.schema_version,
                "occurred_on": record.occurred_on,
                "recorded_at": record.recorded_at,
                "actor": record.actor,
                "redacted": list(record.redacted_fields),
            }
            | {f"payload.{name}": value for name, value in fields.items()}
        )
    columns = EVENT_COLUMNS + [f"payload.{name}" for name in payload_columns]
    return columns, rows, _kinds(columns)


def followup_rows(followups: Iterable[FollowUp]) -> Rows:
    """One row per follow-up, typed (the latest progress note and evidence reference)."""
    rows = [
        {
            "problem_id": f.problem_id,
            "source": plain(f.source),
            "description": f.description,
            "category": f.category,
            "identified_on": f.identified_on,
            "identified_by": f.identified_by,
            "measures": len(f.measures),
            "status": plain(f.status),
            "status_label": f.status.label,
            "status_since": f.status_since,
            "percent": f.percent,
            "due_on": f.due_on,
            "overdue": f.overdue,
            "done_on": f.done_on,
            "closed_on": f.closed_on,
            "carried_over": f.carried_over,
            "progress": f.progress[-1].note if f.progress else None,
            "evidence": f.evidence[-1] if f.evidence else None,
            "as_of": f.as_of,
        }
        for f in followups
    ]
    return FOLLOWUP_COLUMNS, rows, _kinds(FOLLOWUP_COLUMNS)
