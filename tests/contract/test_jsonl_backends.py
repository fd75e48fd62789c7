"""Importing the example ledger gives the same ledger on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from civicledger import Ledger, RecordedEvent
from civicledger.events import canonical_bytes, to_dict

EVENTS = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"


def _content(records: Iterator[RecordedEvent]) -> list[tuple[Any, ...]]:
    """What must agree across backends: everything but recorded_at and the hashes built on it."""
    return [
        (
            r.position,
            r.stream,
            r.stream_version,
            r.event_id,
            r.type,
            r.schema_version,
            r.occurred_on,
            r.actor,
            canonical_bytes(to_dict(r.payload)),
        )
        for r in records
    ]


def test_example_imports_to_the_same_ledger_as_in_memory(
    ledger_url: str, ledger_name: str, tmp_path: Path
) -> None:
    """The SQL backend holds the same events, in the same order, as the in-memory reference."""
    with Ledger.in_memory() as reference:
        reference.import_jsonl(EVENTS)
        expected = _content(reference.read())
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        assert ledger.import_jsonl(EVENTS) == len(expected)
        assert _content(ledger.read()) == expected
        ledger.export_jsonl(tmp_path / "export.jsonl")
    assert (tmp_path / "export.jsonl").read_bytes() == EVENTS.read_bytes()
