"""JSON: the report's full structure, every figure with its lineage, the seal and the template."""

from __future__ import annotations

from typing import Any

import attrs
import orjson

from civicledger.reports.model import Item, Num, Report, Section, Span, plain_text

__all__ = ["FORMAT", "ROLLUP_FORMAT", "render_json", "report_to_data"]

FORMAT = "civicledger-report/2"
"""The ``format`` field of a report's JSON; bumped if the structure changes.

Version 2 added ``excluded_events`` (the ids behind each ``excluded`` count) to
every figure's lineage."""

ROLLUP_FORMAT = "civicledger-rollup-report/1"
"""The ``format`` field of a report over a set of ledgers (see ``docs/rollups.md``): the
structure of :data:`FORMAT` with ``ledgers`` (each ledger and its seal) instead of
``as_of``, and figures that name their ledger or their per-ledger parts."""


def _span(span: Span) -> dict[str, Any]:
    if isinstance(span, Num):
        return {"num": span.text, "exact": span.exact, "rule": span.rule, "ref": span.ref}
    return {"text": span.text}


def _item(item: Item) -> dict[str, Any]:
    table = None
    if item.table is not None:
        table = {
            "kind": item.table.kind,
            "caption": item.table.caption,
            "columns": list(item.table.columns),
            "rows": [[[_span(s) for s in cell] for cell in row] for row in item.table.rows],
        }
    return {
        "kind": item.kind,
        "marker": item.marker,
        "text": plain_text(item.spans),
        "spans": [_span(s) for s in item.spans],
        "table": table,
        "lineage": item.lineage,
        "line": item.line,
    }


def _section(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "level": section.level,
        "order": section.order,
        "marker": section.marker,
        "heading": section.heading,
        "intro": [_item(i) for i in section.intro],
        "items": [_item(i) for i in section.items],
        "sections": [_section(s) for s in section.sections],
    }


def report_to_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data with a stable key order.

    Args:
        report: the computed report.

    Returns:
        A dict holding everything needed to check the report and rebuild it.
    """
    data: dict[str, Any] = {
        "format": ROLLUP_FORMAT if report.ledgers else FORMAT,
        "title": report.title,
        "period": {
            "key": report.period,
            "label": report.period_label,
            "start": report.period_start,
            "end": report.period_end,
        },
        **(
            {
                "ledgers": [attrs.asdict(seal) for seal in report.ledgers],
                "distinct": report.distinct,
            }
            if report.ledgers
            else {"as_of": attrs.asdict(report.as_of)}
        ),
        "template": {
            "name": report.template_name,
            "sha256": report.template_sha256,
            "source": report.template_source,
        },
        "indicators": {"sha256": report.indicators_sha256, "source": report.indicators_source},
        "intro": [_item(i) for i in report.intro],
        "sections": [_section(s) for s in report.sections],
        # The explanation is the lineage in prose (HTML and Markdown print it); the
        # JSON keeps the lineage itself, which is what a verifier compares.
        "figures": [
            {
                "ref": f.ref,
                "indicator": f.indicator,
                "label": f.label,
                "unit": f.unit,
                "period": f.period,
                "value": f.value,
                "lineage": f.lineage,  # already JSON-ready (Figure.to_dict)
                # A set report's figures: a ledger's own, or a roll-up and its parts.
                **({"ledger": f.ledger} if f.ledger else {}),
                **({"parts": list(f.parts)} if f.parts else {}),
            }
            for f in report.figures
        ],
        # A set report's rows name their ledger; one ledger's keep their shape.
        "followups": [
            attrs.asdict(r, filter=lambda a, v: a.name != "ledger" or bool(v))
            for r in report.followups
        ],
        # Only when the template asks (rules = true): documents without it keep their shape.
        **({"rules": list(report.rules)} if report.rules else {}),
    }
    if report.warnings:  # only when there are some, so complete reports keep their shape
        data["warnings"] = list(report.warnings)
    return data


def render_json(report: Report) -> str:
    """Render a report as JSON (UTF-8 text, two-space indent, newline at the end).

    Args:
        report: the computed report.

    Returns:
        The JSON text.
    """
    # orjson writes what json.dumps(ensure_ascii=False, indent=2) writes, several times
    # faster: a report over a large ledger carries hundreds of thousands of contributions.
    return orjson.dumps(report_to_data(report), option=orjson.OPT_INDENT_2).decode() + "\n"
