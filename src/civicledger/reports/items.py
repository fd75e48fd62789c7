"""Report items that are not figures: narrative notes, absence claims and follow-up rows.

Each function builds the items of one template item kind from what the report
has gathered (an :class:`ItemContext`, which the report builder in
:mod:`civicledger.reports.build` is); figure tables and charts stay with the
builder, which keeps the figure appendix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.errors import ProjectionError, TemplateError
from civicledger.events import RecordedEvent
from civicledger.followups import FollowUp
from civicledger.projections import Period
from civicledger.reports.model import FollowUpRow, Item, Span, Text
from civicledger.reports.rows import followup_table, row_data, sentence_end
from civicledger.reports.template import ItemSpec, Sentence, Template

__all__ = ["ItemContext", "absence_item", "followup_items", "note_items"]


class ItemContext(Protocol):
    """What building these items needs from the report being built."""

    rows_used: dict[str, FollowUpRow]
    """The follow-up rows the report shows, by problem id (items add theirs)."""

    @property
    def template(self) -> Template:
        """The report's template."""
        ...

    @property
    def period(self) -> Period:
        """The report's period."""
        ...

    @property
    def notes(self) -> Mapping[tuple[str, str], RecordedEvent]:
        """The latest narrative note per (section, key) dated in the period."""
        ...

    @property
    def hits(self) -> Mapping[str, list[RecordedEvent]]:
        """For each type an absence claim names, its events dated in the period."""
        ...

    def fail(self, message: str, line: int | None, name: str | None) -> TemplateError:
        """A template error naming the template, the line and the name."""
        ...

    def render(self, sentence: Sentence, **extra: Any) -> tuple[Span, ...]:
        """A template sentence rendered to spans."""
        ...

    def select_rows(self, select: str, category: str | None) -> list[FollowUp]:
        """The follow-ups an item selects."""
        ...

    def caption(self, spec: ItemSpec) -> str:
        """An item's caption, rendered."""
        ...

    def followup_row(self, followup: FollowUp) -> FollowUpRow:
        """A follow-up as the report states it (in a set report, naming its ledger)."""
        ...

    def ledger_column(self, spec: ItemSpec) -> str:
        """The header of a follow-up table's ledger column; ``""`` for none."""
        ...


def note_items(report: ItemContext, spec: ItemSpec) -> list[Item]:
    """The narrative notes a ``note`` item names, each with the event it came from.

    Raises:
        TemplateError: no note is recorded for it in the period and the item is not
            optional.
    """
    section, key = spec.options["section"], spec.options["key"]
    chosen = [
        record
        for (s, k), record in report.notes.items()
        if (s == section or s.startswith(section + ".")) and (key is None or k == key)
    ]
    if not chosen and not spec.options["optional"]:
        what = f"section {section!r}" + (f", key {key!r}" if key else "")
        raise report.fail(
            f"no narrative note recorded for {what} in {report.period.key} "
            "(record one with NarrativeNoteRecorded, or mark the item optional = true)",
            spec.line,
            f"{section}.{key}" if key else section,
        )
    items = []
    for record in chosen:
        payload = record.payload
        assert isinstance(payload, NarrativeNoteRecorded)
        lineage = {
            "kind": "narrative_note",
            "section": payload.section,
            "key": payload.key,
            "event_id": str(record.event_id),
            "position": record.position,
            "occurred_on": record.occurred_on.isoformat(),
        }
        items.append(
            Item("note", "", (Text(payload.text.strip()),), lineage=lineage, line=spec.line)
        )
    return items


def absence_item(
    report: ItemContext, spec: ItemSpec, *, searched_up_to: int | dict[str, int]
) -> Item:
    """An ``absence`` claim (no event of these types in the period), checked against the
    events up to ``searched_up_to`` (in a set report, each ledger's position by name);
    its ``otherwise`` text when there are some.

    Raises:
        ProjectionError: the claim is false and the item has no ``otherwise`` text.
    """
    types = spec.options["types"]
    found = sorted((r for t in types for r in report.hits[t]), key=lambda r: r.position)
    lineage: dict[str, Any] = {
        "kind": "absence",
        "types": list(types),
        "period": {
            "key": report.period.key,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
        },
        "searched_up_to": searched_up_to,
        "found": [{"event_id": str(r.event_id), "position": r.position} for r in found],
    }
    if not found:
        assert spec.text is not None
        return Item("absence", "", report.render(spec.text), lineage=lineage, line=spec.line)
    if spec.otherwise is None:
        first = ", ".join(f"{r.type} at position {r.position}" for r in found[:3])
        raise ProjectionError(
            f"{report.template.name}:{spec.line}: the claim that no {', '.join(types)} event "
            f"occurred in {report.period.key} is false: the ledger has {len(found)} ({first}); "
            "add an 'otherwise' text or remove the claim"
        )
    return Item(
        "sentence",
        "",
        report.render(spec.otherwise, found=len(found)),
        lineage=lineage,
        line=spec.line,
    )


def followup_items(report: ItemContext, spec: ItemSpec) -> list[Item]:
    """The follow-ups a ``followups`` item selects: one table, or one item per problem."""
    chosen = [
        report.followup_row(r)
        for r in report.select_rows(spec.options["select"], spec.options["category"])
    ]
    for row in chosen:
        report.rows_used.setdefault(row.problem_id, row)
    if spec.options["style"] == "table":
        table = followup_table(chosen, report.caption(spec), report.ledger_column(spec))
        lineage = {"kind": "followups", "problems": [r.problem_id for r in chosen]}
        return [Item("table", "", (), table=table, lineage=lineage, line=spec.line)]
    items = []
    for row in chosen:
        if spec.text is not None:
            spans = report.render(spec.text, f=row_data(row))
        else:
            spans = (Text(sentence_end(row.description)),)
        lineage = {"kind": "followup", "problem_id": row.problem_id, "status": row.status}
        items.append(Item("followup", "", spans, lineage=lineage, line=spec.line))
    return items
