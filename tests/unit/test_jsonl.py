"""JSON Lines import and export: whole-file validation, atomic import, byte-stable round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicledger import Ledger, UnknownEventTypeError, ValidationError
from civicledger.jsonl import export_jsonl, import_jsonl, read_jsonl

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"


def _example_lines(count: int | None = None) -> list[bytes]:
    lines = EXAMPLE.read_bytes().splitlines(keepends=True)
    return lines if count is None else lines[:count]


def _line_of_type(lines: list[bytes], type_name: str, after: int = 0) -> int:
    """The 0-based index of the first line of a type at or after an index."""
    for i in range(after, len(lines)):
        if json.loads(lines[i])["type"] == type_name:
            return i
    raise AssertionError(f"no {type_name} line after {after}")


def _edit(
    line: bytes, change: dict[str, object], payload: dict[str, object] | None = None
) -> bytes:
    obj = json.loads(line)
    obj.update(change)
    for key, value in (payload or {}).items():
        if value is None:
            del obj["payload"][key]
        else:
            obj["payload"][key] = value
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """1,300 example lines with five faults: lines 3, 10 (missing field), 57, 200 and 1,234."""
    lines = _example_lines(1300)
    lines[2] = _edit(lines[2], {"type": "compound_registred"})
    meeting = _line_of_type(lines, "meeting_held", after=9)
    lines[9] = _edit(lines[meeting], {}, {"attendees": None})
    lines[56] = _edit(lines[56], {}, {"occurred_on": "2023-02-30"})
    cleanup = _line_of_type(lines, "volunteer_cleanup_held")
    lines[199] = _edit(lines[cleanup], {}, {"volunteers": -3})
    lines[1233] = b'{"stream": "meetings/party_committee", "type": \n'
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_bad_file_lists_every_bad_line_with_its_number(bad_file: Path) -> None:
    """Every bad line is reported, in file order, with its line number and reason."""
    with pytest.raises(ValidationError) as caught:
        read_jsonl(bad_file)
    problems = caught.value.problems
    assert [p.line for p in problems] == [3, 10, 57, 200, 1234]
    assert isinstance(problems[0], UnknownEventTypeError)
    assert "compound_registred" in problems[0].message
    assert problems[1].field == "attendees"
    assert "2023-02-30" in problems[2].message
    assert problems[2].field == "occurred_on"
    assert problems[3].field == "volunteers"
    assert "negative" in problems[3].message
    assert "malformed JSON" in problems[4].message
    assert "line 1234" in str(caught.value)


def test_bad_file_appends_nothing(bad_file: Path) -> None:
    """Importing a file with any bad line leaves the ledger untouched."""
    with Ledger.in_memory() as ledger:
        with pytest.raises(ValidationError):
            ledger.import_jsonl(bad_file)
        assert ledger.head() == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]\n", "expected a JSON object"),
        (b'{"type": "meeting_held"}\n', "missing key(s)"),
        (
            b'{"actor": "", "payload": {}, "schema_version": 1, "stream": "s", "type": "t",'
            b' "x": 1}\n',
            "unknown key(s) x",
        ),
        (
            b'{"actor": "", "payload": {}, "schema_version": "1", "stream": "s", "type": "t"}\n',
            "schema_version must be an integer",
        ),
        (
            b'{"actor": "", "payload": {}, "schema_version": 1, "stream": "", "type": "t"}\n',
            "stream must be a non-empty string",
        ),
        (
            b'{"actor": "", "event_id": "nope", "payload": {}, "schema_version": 1, "stream": "s",'
            b' "type": "t"}\n',
            "event_id must be a UUID",
        ),
        (b"\xff\xfe{}\n", "malformed JSON"),
    ],
)
def test_malformed_line_is_refused_with_its_reason(
    tmp_path: Path, line: bytes, reason: str
) -> None:
    """A line that is not a well-formed event object is refused and the reason is named."""
    path = tmp_path / "one.jsonl"
    path.write_bytes(_example_lines(1)[0] + line)
    with pytest.raises(ValidationError) as caught:
        read_jsonl(path)
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert reason in problem.message


def test_repeated_event_id_is_refused(tmp_path: Path) -> None:
    """The same event id on two lines is reported on the later line, naming the earlier one."""
    first = _example_lines(1)[0]
    path = tmp_path / "twice.jsonl"
    path.write_bytes(first + first)
    with pytest.raises(ValidationError) as caught:
        read_jsonl(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (2, "event_id")
    assert "line 1" in problem.message


def test_blank_lines_and_a_leading_bom_are_ignored(tmp_path: Path) -> None:
    """Blank lines and a UTF-8 byte-order mark do not count as events or errors."""
    lines = _example_lines(3)
    path = tmp_path / "spaced.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines[0] + b"\n" + lines[1] + b"   \n" + lines[2] + b"\n")
    assert len(read_jsonl(path)) == 3


def test_export_then_import_then_export_is_byte_identical(tmp_path: Path) -> None:
    """The example ledger exports to its own bytes, and a re-imported export exports the same."""
    with Ledger.in_memory() as first:
        assert first.import_jsonl(EXAMPLE) == len(_example_lines())
        assert first.export_jsonl(tmp_path / "one.jsonl") == len(_example_lines())
    assert (tmp_path / "one.jsonl").read_bytes() == EXAMPLE.read_bytes()
    with Ledger.in_memory() as second:
        second.import_jsonl(tmp_path / "one.jsonl")
        second.export_jsonl(tmp_path / "two.jsonl")
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_importing_the_same_file_twice_appends_once(tmp_path: Path) -> None:
    """Lines whose event ids are already stored are retries and append nothing."""
    path = tmp_path / "part.jsonl"
    path.write_bytes(b"".join(_example_lines(50)))
    with Ledger.in_memory() as ledger:
        assert ledger.import_jsonl(path) == 50
        assert ledger.import_jsonl(path) == 0
        assert ledger.head() == 50


def test_import_store_function_keeps_line_order(tmp_path: Path) -> None:
    """Events get positions in the order of the file's lines."""
    path = tmp_path / "part.jsonl"
    lines = _example_lines(20)
    path.write_bytes(b"".join(lines))
    with Ledger.in_memory() as ledger:
        import_jsonl(ledger.store, path)
        ids = [str(r.event_id) for r in ledger.read()]
    assert ids == [json.loads(line)["event_id"] for line in lines]


def test_export_of_an_empty_ledger_is_an_empty_file(tmp_path: Path) -> None:
    """An empty ledger exports to an empty file, which imports as nothing."""
    with Ledger.in_memory() as ledger:
        assert export_jsonl(ledger.store, tmp_path / "empty.jsonl") == 0
        assert (tmp_path / "empty.jsonl").read_bytes() == b""
        assert ledger.import_jsonl(tmp_path / "empty.jsonl") == 0
