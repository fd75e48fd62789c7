"""Importing the example ledger gives the same ledger on every backend."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civicledger import Ledger, RecordedEvent, ValidationError, jsonl
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


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Import 50 lines at a time, so the example year spans many batches."""
    monkeypatch.setattr(jsonl, "IMPORT_BATCH", 50)
    return 50


def _ledgers(url: str, name: str) -> Iterator[Ledger]:
    """The in-memory reference, then the SQL backend (the SQL store streams; memory collects)."""
    for ledger in (Ledger.in_memory(), Ledger.open(url, ledger=name)):
        with ledger:
            yield ledger


def test_a_bad_line_late_in_the_file_rolls_back_every_batch(
    ledger_url: str, ledger_name: str, tmp_path: Path, small_batches: int
) -> None:
    """Batches appended before the bad line are rolled back; every bad line is listed."""
    lines = EVENTS.read_text(encoding="utf-8").splitlines()[:400]
    lines[299] = "{not json"
    lines[349] = lines[349].replace('"payload":{', '"payload":{"unknown_field":1,', 1)
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for ledger in _ledgers(ledger_url, ledger_name):
        with pytest.raises(ValidationError) as caught:
            ledger.import_jsonl(source)
        assert [p.line for p in caught.value.problems] == [300, 350]
        assert ledger.head() == 0
        assert ledger.import_jsonl(EVENTS) == 2987  # nothing of the bad file was kept


def test_an_id_twice_in_the_file_is_refused_across_batches(
    ledger_url: str, ledger_name: str, tmp_path: Path, small_batches: int
) -> None:
    lines = EVENTS.read_text(encoding="utf-8").splitlines()[:200]
    source = tmp_path / "twice.jsonl"
    source.write_text("\n".join([*lines, lines[10]]) + "\n", encoding="utf-8")
    event_id = json.loads(lines[10])["event_id"]
    for ledger in _ledgers(ledger_url, ledger_name):
        with pytest.raises(ValidationError, match=f"event_id {event_id} appears twice"):
            ledger.import_jsonl(source)
        assert ledger.head() == 0
        with pytest.raises(ValidationError, match="appears twice"):
            ledger.import_jsonl(source, dry_run=True)
        # A re-import of what is stored is a retry, as before: nothing new.
        good = tmp_path / "good.jsonl"
        good.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert ledger.import_jsonl(good, dry_run=True) == 200
        assert ledger.head() == 0
        assert ledger.import_jsonl(good) == 200
        assert ledger.import_jsonl(good) == 0


def test_import_memory_does_not_grow_with_the_file(tmp_path: Path, small_batches: int) -> None:
    """Peak Python allocations of an import of 5x the lines stay about the same (SQLite)."""
    lines = EVENTS.read_text(encoding="utf-8").splitlines()
    peaks = []
    for count in (600, 3000):
        source = tmp_path / f"in-{count}.jsonl"
        source.write_text("\n".join(lines[:count]) + "\n", encoding="utf-8")
        with Ledger.open(f"sqlite:///{tmp_path / f'{count}.db'}") as ledger:
            tracemalloc.start()
            try:
                ledger.import_jsonl(source)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks
