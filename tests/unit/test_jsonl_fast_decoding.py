"""Import's per-class payload decoder hands every line it refuses to the reference decoder.

``Codec.from_dict`` decodes a new payload with a per-class decoder (type checks, then the
event's checking constructor) and gives anything it refuses to cattrs' reference
converter, so a bad line's error is exactly the reference's. One test per way the fast
decoder refuses a payload: each compares the import's problem with the reference's error.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import civicledger.catalog  # noqa: F401 - registers the catalog's event types
from civicledger import ValidationError
from civicledger.events import default_codec
from civicledger.events.fastpath import NotFast
from civicledger.jsonl import import_jsonl, read_jsonl
from civicledger.store.memory import MemoryStore

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"


def _example(type_name: str) -> dict[str, Any]:
    """The example file's first line of a type, as an object."""
    with EXAMPLE.open("rb") as handle:
        for raw in handle:
            line: dict[str, Any] = json.loads(raw)
            if line["type"] == type_name:
                return line
    raise AssertionError(f"no {type_name} line")


def _with_payload(line: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The line with payload fields set, or removed where the value is ``...``."""
    payload = dict(line["payload"])
    for key, value in changes.items():
        if value is ...:
            del payload[key]
        else:
            payload[key] = value
    return {**line, "payload": payload}


def _reference_error(line: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        default_codec().reference_from_dict(line["type"], line["schema_version"], line["payload"])
    return caught.value


def _import_problem(tmp_path: Path, line: dict[str, Any]) -> ValidationError:
    """Import a file whose second line is ``line``; return that line's problem."""
    path = tmp_path / "lines.jsonl"
    good = json.dumps(_example("meeting_held"), ensure_ascii=False)
    path.write_text(good + "\n" + json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    store = MemoryStore()
    with pytest.raises(ValidationError) as caught:
        import_jsonl(store, path)
    assert store.head() == 0
    (problem,) = caught.value.problems
    return problem


MEETING = "meeting_held"  # text, integer, optional text and a vocabulary
CLEANUP = "volunteer_cleanup_held"  # a decimal
INSPECTION_FAILED = "inspection_failed"  # a list of texts, an optional date, __attrs_post_init__
PROBLEM = "problem_identified"  # an attrs validator on problem_id
VISIT = "household_visited"  # a boolean

CASES = {
    "missing field": (MEETING, {"attendees": ...}),
    "extra field": (MEETING, {"room": "A"}),
    "text given a number": (MEETING, {"topic": 5}),
    "integer given text": (MEETING, {"attendees": "5"}),
    "integer given a boolean": (MEETING, {"attendees": True}),
    "integer given a float": (MEETING, {"attendees": 5.0}),
    "boolean given an integer": (VISIT, {"in_person": 1}),
    "unknown vocabulary value": (MEETING, {"body": "book_club"}),
    "vocabulary given a number": (MEETING, {"body": 3}),
    "optional text given a list": (MEETING, {"branch": ["a"]}),
    "date not a calendar day": (MEETING, {"occurred_on": "2023-02-30"}),
    "date as an ISO week": (MEETING, {"occurred_on": "2023-W01-1"}),
    "date without dashes": (MEETING, {"occurred_on": "20230101"}),
    "date as a number": (MEETING, {"occurred_on": 20230101}),
    "decimal as a float": (CLEANUP, {"hours": 1.5}),
    "decimal in exponent form": (CLEANUP, {"hours": "1e3"}),
    "decimal not a number": (CLEANUP, {"hours": "NaN"}),
    "list given text": (INSPECTION_FAILED, {"findings": "破损"}),
    "list with a number": (INSPECTION_FAILED, {"findings": ["破损", 1]}),
    "field check: negative count": (CLEANUP, {"volunteers": -3}),
    "field check: blank text": (MEETING, {"topic": "  "}),
    "field check: dates out of order": (INSPECTION_FAILED, {"rectify_by": "2023-03-01"}),
    "class check in __attrs_post_init__": (INSPECTION_FAILED, {"findings": []}),
    "attrs validator": (PROBLEM, {"problem_id": "2023/01"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_payload_gets_the_reference_error_at_its_line(tmp_path: Path, case: str) -> None:
    type_name, changes = CASES[case]
    line = _with_payload(_example(type_name), **changes)
    fast = default_codec()._fast_decoders(type_name, line["schema_version"])
    assert fast is not None
    with pytest.raises(NotFast):  # the path under test: the fast decoder refuses
        fast.new(line["payload"])
    reference = _reference_error(line)
    problem = _import_problem(tmp_path, line)
    assert type(problem) is type(reference)
    assert problem.message == f"line 2: {reference.message}"
    assert (problem.line, problem.field, problem.event_type) == (
        2,
        reference.field,
        reference.event_type,
    )


def test_older_schema_version_is_upcast_by_the_reference(tmp_path: Path) -> None:
    """A version older than the newest takes the reference path, which upcasts or names the
    missing upcaster; an unknown version is refused the same way."""
    line = {**_example(MEETING), "schema_version": 7}
    reference = _reference_error(line)
    problem = _import_problem(tmp_path, line)
    assert type(problem) is type(reference)
    assert problem.message == f"line 2: {reference.message}"


def test_valid_lines_decode_to_the_reference_events() -> None:
    """Every line of the example file decodes to what the reference decoder makes of it."""
    codec = default_codec()
    entries = read_jsonl(EXAMPLE)
    with EXAMPLE.open("rb") as handle:
        for entry, raw in zip(entries, handle, strict=True):
            line = json.loads(raw)
            expected = codec.reference_from_dict(
                line["type"], line["schema_version"], line["payload"]
            )
            assert entry.event == expected
            assert repr(entry.event) == repr(expected)


_ID_FORMS = [
    "569fffd6-2ef7-4148-a323-549a5d861c0b",
    "B69D0CD2-641D-43B8-8599-76DE96216094",
    "23167c4f84c84100bbbdcacf97869d5a",
    "{2d5b3223-5593-4070-8e91-fce26deeadfa}",
    "urn:uuid:58dba4ed-0a67-4f70-9876-4957bd1fe162",
    "12345678-1234-1234-1234-12345678_abc",  # int() takes the underscore, so uuid.UUID does
    "+2345678-1234-1234-1234-123456789abc",
    "zz345678-1234-1234-1234-123456789abc",
    "------------------------------------",
    "1234",
]


@pytest.mark.parametrize("text", _ID_FORMS)
def test_a_line_s_event_id_is_read_as_uuid_UUID_reads_it(tmp_path: Path, text: str) -> None:
    """The usual id form skips uuid.UUID's argument dispatch; every form gives its UUID or
    its problem exactly as the constructor decides."""
    line = {**_example("meeting_held"), "event_id": text}
    path = tmp_path / "lines.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    try:
        expected = uuid.UUID(text)
    except ValueError:
        with pytest.raises(ValidationError) as caught:
            read_jsonl(path)
        assert caught.value.problems[0].field == "event_id"
        assert f"got {text!r}" in caught.value.problems[0].message
        return
    [entry] = read_jsonl(path)
    assert entry.event_id == expected
    assert entry.event_id.is_safe == expected.is_safe
