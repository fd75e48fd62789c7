"""Fuzzing every entry point of the command line with hostile input.

Whatever the input — arguments, a JSON Lines file, an indicator set or report
template (TOML), a follow-up sheet (CSV/XLSX), a seal, a proof or a report JSON —
the command ends with exit 0, 1 or 2, never a traceback, and a refused command
leaves the ledger exactly as it was (same event count, same root).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small sealed ledger (some events, the four follow-up problems) and its files."""
    folder = tmp_path_factory.mktemp("fuzz")
    lines = (EXAMPLE / "events.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for i, line in enumerate(lines) if i < 150 or '"type":"problem_' in line]
    kept += [line for line in lines if '"type":"rectification_' in line]
    events = folder / "events.jsonl"
    events.write_text("\n".join(kept) + "\n", encoding="utf-8")
    database = folder / "small.db"
    result = CliRunner().invoke(cli, ["--db", str(database), "import", str(events)])
    assert result.exit_code == 0, result.output
    files = {"db": database, "events": events}
    for name, args in {
        "seal": ["seal", "-o", str(folder / "seal.txt")],
        "csv": ["followups", "--format", "csv", "-o", str(folder / "sheet.csv")],
        "xlsx": ["followups", "--format", "xlsx", "-o", str(folder / "sheet.xlsx")],
    }.items():
        result = CliRunner().invoke(cli, ["--db", str(database), *args])
        assert result.exit_code == 0, result.output
        files[name] = Path(args[-1])
    event_id = json.loads(kept[0])["event_id"]
    proof = folder / "proof.txt"
    result = CliRunner().invoke(
        cli,
        ["--db", str(database), "prove", event_id, "--seal", str(files["seal"]), "-o", str(proof)],
    )
    assert result.exit_code == 0, result.output
    files["proof"] = proof
    files["event_id"] = Path(event_id)
    return files


def _state(database: Path) -> tuple[int, str]:
    with Ledger.open(f"sqlite:///{database}") as ledger:
        return ledger.head(), ledger.store.frontier().root().hex()


@contextmanager
def _copy(small: dict[str, Path], tmp_path: Path) -> Iterator[Path]:
    database = tmp_path / "fuzz.db"
    shutil.copy(small["db"], database)
    try:
        yield database
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)


def check(database: Path, invoke: Callable[[], Result]) -> Result:
    """Run a command: exit 0, 1 or 2, no traceback, and on refusal the ledger unchanged."""
    before = _state(database)
    result = invoke()
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert _state(database) == before
        if result.exit_code == 2:
            errors = [line for line in result.stderr.splitlines() if line.strip()]
            assert errors, result.output
    return result


def run_with_file(
    small: dict[str, Path], tmp_path: Path, name: str, data: bytes, *args: str
) -> Result:
    """Write ``data`` to a file and run ``civicledger ARGS`` with ``{}`` replaced by its path."""
    path = tmp_path / name
    path.write_bytes(data)
    with _copy(small, tmp_path) as database:
        argv = ["--db", str(database), *(str(path) if a == "{}" else a for a in args)]
        return check(database, lambda: CliRunner().invoke(cli, argv))


def mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """A file's bytes with a slice replaced, or truncated, or random bytes."""

    @st.composite
    def edit(draw: st.DrawFn) -> bytes:
        start = draw(st.integers(0, len(original)))
        end = draw(st.integers(start, min(len(original), start + 40)))
        insert = draw(
            st.one_of(
                st.binary(max_size=20),
                st.text(max_size=10).map(lambda t: t.encode("utf-8", "surrogatepass")),
                st.sampled_from([b"\\uZZZZ", b"\\ud800", b"\xff\xfe", b"\x00", b'"', b"\n"]),
            )
        )
        return original[:start] + insert + original[end:]

    return st.one_of(edit(), st.binary(max_size=200))


# --- CLI arguments --------------------------------------------------------------------

TOKENS = [
    "info", "verify", "log", "explain", "indicators", "report", "followups", "seal", "append",
    "correct", "retract", "redact", "personal-data", "diff", "prove", "verify-report", "export",
    "projections", "import", "--year", "--set", "--format", "--seal", "--type", "--stream",
    "--from", "--to", "--occurred", "--data", "--reason", "--as-of", "--on", "--language",
    "--why-not", "--compare", "-o", "2023", "0", "-1", "99999999999999999999", "json", "xlsx",
    "zh", "en", "note/x", "meeting_held", "@nofile", "{}", '{"a": 1}', "\ud800", "2023-13-45",
    "1..0", "x" * 300,
]  # fmt: skip


@FUZZ
@given(args=st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=6))
def test_fuzzed_arguments(
    small: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # files the arguments name land here
    with _copy(small, tmp_path) as database:
        check(database, lambda: CliRunner().invoke(cli, ["--db", str(database), *args]))


# --- input files ----------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzzed_json_lines_import(
    small: dict[str, Path], tmp_path: Path, data: st.DataObject
) -> None:
    lines = small["events"].read_bytes().splitlines(keepends=True)[:5]
    content = data.draw(mutated(b"".join(lines)))
    run_with_file(small, tmp_path, "in.jsonl", content, "import", "{}")


INDICATORS = b"""\
[[indicator]]
id = "meetings.count"
label = "meetings"
unit = "x"
source = ["meeting_held"]
where = 'attendees >= 1'
measure = "count"
"""

FILTER_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list('\\u"\'=<>!()[], andortruefalsnl0123456789.DZ')),
                       st.characters()),
    max_size=24,
)  # fmt: skip


@FUZZ
@given(data=st.data())
def test_fuzzed_indicator_set(small: dict[str, Path], tmp_path: Path, data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        content = data.draw(mutated(INDICATORS))
    else:  # a fuzzed filter, written as a TOML basic string (JSON's escapes are TOML's)
        where = json.dumps(data.draw(FILTER_TEXT)).encode("utf-8", "surrogatepass")
        content = INDICATORS.replace(b"'attendees >= 1'", where)
    command = data.draw(st.sampled_from(["indicators", "explain"]))
    extra = ["meetings.count"] if command == "explain" else []
    run_with_file(
        small, tmp_path, "set.toml", content, command, *extra, "--year", "2023", "--set", "{}"
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_report_template(
    small: dict[str, Path], tmp_path: Path, data: st.DataObject
) -> None:
    (tmp_path / "indicators.toml").write_bytes(INDICATORS)
    sentence = data.draw(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from([
                '{{ "{0.__class__}".format_map(period) }}',
                "{{ period.format_map(period) }}",
                '{{ "%s" % period }}',
                "{{ year // 0 }}",
                "{{ fig('meetings.count') | cn }}",
                "{{ (year * 99999) ** 9 }}",
                "{{ period[99] }}",
                "{% for x in year %}{% endfor %}",
                "{meetings.count|cn:次}",
                "{meetings.count|nope}",
            ]),
        )
    )  # fmt: skip
    template = f'[report]\ntitle = {json.dumps(sentence)}\nindicators = "indicators.toml"\n'
    template += '[[sections]]\nkey = "a"\nheading = "b"\n'
    content = data.draw(
        st.one_of(st.just(template.encode("utf-8", "surrogatepass")), mutated(template.encode()))
    )
    run_with_file(
        small, tmp_path, "report.toml", content, "report", "--year", "2023", "--template", "{}"
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_followup_sheet(small: dict[str, Path], tmp_path: Path, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["csv", "xlsx"]))
    content = data.draw(mutated(small[kind].read_bytes()))
    run_with_file(small, tmp_path, f"sheet.{kind}", content, "followups", "import", "{}")


@FUZZ
@given(data=st.data())
def test_fuzzed_seal_and_proof_texts(
    small: dict[str, Path], tmp_path: Path, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(["seal", "proof"]))
    content = data.draw(mutated(small[kind].read_bytes()))
    if kind == "proof":
        args = ["verify", "--proof", "{}"]
    else:
        args = data.draw(
            st.sampled_from([
                ["verify", "--seal", "{}"],
                ["prove", str(small["event_id"]), "--seal", "{}"],
                ["report", "--year", "2023", "--seal", "{}", "--template", "nothing.toml"],
            ])
        )  # fmt: skip
    run_with_file(small, tmp_path, f"{kind}.txt", content, *args)


@FUZZ
@given(data=st.data())
def test_fuzzed_report_json(small: dict[str, Path], tmp_path: Path, data: st.DataObject) -> None:
    original = json.dumps({"format": "civicledger-report", "seal": small["seal"].read_text()})
    content = data.draw(mutated(original.encode()))
    run_with_file(small, tmp_path, "report.json", content, "verify-report", "{}")
