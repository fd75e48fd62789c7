"""The report JSON lists the events that did not count in each figure (issue 14, item 4):
``excluded_events`` beside the ``excluded`` count, format civicledger-report/2."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicledger.ledger import Ledger
from civicledger.reports import verify_report

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


@pytest.fixture(scope="module")
def ledger() -> Iterator[Ledger]:
    with Ledger.in_memory(origin="example.invalid/xx-community") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        yield ledger


@pytest.fixture(scope="module")
def data(ledger: Ledger) -> dict[str, Any]:
    return json.loads(ledger.report(EXAMPLE / "report.toml", year=2023).to_json())


def _levels(lineage: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield lineage
    for part in ("numerator", "denominator"):
        if lineage.get(part):
            yield from _levels(lineage[part])


def test_every_figure_lists_as_many_excluded_events_as_it_counts(
    data: dict[str, Any], ledger: Ledger
) -> None:
    """At every level (ratio parts too) the ids number the count, are events of the
    indicator's types known by then, and none of them contributed."""
    types = {r.event_id: r.type for r in ledger.read()}
    listed = 0
    for figure in data["figures"]:
        for level in _levels(figure["lineage"]):
            ids = level["excluded_events"]
            assert len(ids) == level["excluded"], figure["indicator"]
            assert len(set(ids)) == len(ids)
            contributors = {c["event_id"] for c in level["contributions"]}
            assert not contributors & set(ids)
            definition = level["definition"]
            readable = set(definition["source"])
            measure = definition["measure"]
            if isinstance(measure, dict):
                readable |= set(measure.get("removed_by", ()))
            assert {types[uuid.UUID(i)] for i in ids} <= readable
            listed += len(ids)
    assert listed > 0


def test_a_filtered_count_excludes_exactly_the_other_events_of_its_type(
    data: dict[str, Any], ledger: Ledger
) -> None:
    """meetings.party_committee excludes every meeting of another body, by id."""
    (figure,) = [
        f
        for f in data["figures"]
        if f["indicator"] == "meetings.party_committee" and f["period"] == "2023"
    ]
    others = {
        str(r.event_id)
        for r in ledger.read(types=["meeting_held"])
        if r.payload.body.value != "party_committee"  # type: ignore[attr-defined]
    }
    assert set(figure["lineage"]["excluded_events"]) == others


def test_a_report_of_the_first_format_still_verifies(data: dict[str, Any], ledger: Ledger) -> None:
    """A civicledger-report/1 document (no excluded_events) verifies; edited, it does not."""
    old = json.loads(json.dumps(data))
    old["format"] = "civicledger-report/1"
    for figure in old["figures"]:
        for level in _levels(figure["lineage"]):
            del level["excluded_events"]
    assert verify_report(old, ledger).ok
    old["figures"][0]["value"] = "1"
    assert not verify_report(old, ledger).ok


def test_verify_report_names_a_dropped_excluded_event(data: dict[str, Any], ledger: Ledger) -> None:
    """Removing an id from a published list is found and located."""
    edited = json.loads(json.dumps(data))
    index, figure = next(
        (i, f) for i, f in enumerate(edited["figures"]) if f["lineage"]["excluded_events"]
    )
    figure["lineage"]["excluded_events"].pop()
    check = verify_report(edited, ledger)
    assert not check.ok
    assert f"figure F{index + 1}" in check.problems[0]
    assert "excluded_events" in check.problems[0]
