"""Hostile input that once ended in a traceback: now one `civicledger: error:` line, exit 2."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"

INDICATOR = """\
[[indicator]]
id = "compounds.named"
label = "compounds"
unit = "x"
source = ["compound_registered"]
where = {where}
measure = "count"
"""


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def assert_one_error_line(result: Result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("civicledger: error: ")
    for text in expected:
        assert text in errors[0]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("'name == \"\\uZZZZ\"'", "four hex digits"),  # TOML literal: the filter's own escape
        ("'name == \"\\ud800\"'", "surrogate"),  # a lone surrogate by escape
        ("'name in [\"\\udfff\"]'", "surrogate"),
    ],
)
def test_a_bad_escape_in_a_toml_filter_names_file_line_and_column(
    example_db: Path, tmp_path: Path, where: str, expected: str
) -> None:
    indicator_set = tmp_path / "set.toml"
    indicator_set.write_text(INDICATOR.format(where=where), encoding="utf-8")
    result = run(example_db, "indicators", "--year", "2023", "--set", str(indicator_set))
    assert_one_error_line(result, "set.toml, line 6", "column", expected)


def test_a_template_formatting_an_object_is_a_template_error(
    example_db: Path, tmp_path: Path
) -> None:
    shutil.copy(EXAMPLE / "indicators.toml", tmp_path / "indicators.toml")
    template = tmp_path / "report.toml"
    template.write_text(
        '[report]\ntitle = "{{ \\"{0.__class__}\\".format_map(period) }}"\n'
        'indicators = "indicators.toml"\n[[sections]]\nkey = "a"\nheading = "b"\n',
        encoding="utf-8",
    )
    result = run(example_db, "report", "--year", "2023", "--template", str(template))
    assert_one_error_line(result, "report.toml", "format_map")


def test_a_seal_file_that_is_not_text_names_the_file(example_db: Path, tmp_path: Path) -> None:
    seal = tmp_path / "seal.txt"
    seal.write_bytes(b"\x80\xff not a seal")
    result = run(example_db, "verify", "--seal", str(seal))
    assert_one_error_line(result, "seal.txt", "not UTF-8")


def test_an_argument_that_is_not_utf8_is_a_usage_error(example_db: Path) -> None:
    result = run(example_db, "log", "--stream", b"\xff".decode("utf-8", "surrogateescape"))
    assert_one_error_line(result, "argument 5 (\\udcff) is not valid UTF-8 text")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["explain"], "Missing argument 'INDICATOR'. (see `"),
        (["log", "--from", "abc"], "'abc' is not a valid integer"),
        (["--nope"], "No such option '--nope'"),
        (["verify", "--seal", "missing.txt"], "'missing.txt' does not exist"),
    ],
)
def test_a_usage_error_is_one_line_too(example_db: Path, args: list[str], expected: str) -> None:
    assert_one_error_line(run(example_db, *args), expected)


def test_an_unexpected_error_is_still_one_line_and_debug_shows_it(
    example_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catch-all is the last line of defence: a bug still prints one line, exit 2."""
    from civicledger.ledger import Ledger

    def broken(self: Ledger) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(Ledger, "head", broken)
    assert_one_error_line(run(example_db, "info"), "unexpected KeyError", "--debug")
    debug = CliRunner().invoke(cli, ["--debug", "--db", str(example_db), "info"])
    assert isinstance(debug.exception, KeyError)


def test_a_seal_of_another_ledger_is_refused_naming_both_origins(
    example_db: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    assert run(other, "init", "--origin", "other.example/ledger").exit_code == 0
    seal = tmp_path / "other-seal.txt"
    assert run(other, "seal", "-o", str(seal)).exit_code == 0
    event_id = (EXAMPLE / "events.jsonl").read_text(encoding="utf-8")[:200].split('"')[7]
    for args in (
        ["verify", "--seal", str(seal)],
        ["prove", event_id, "--seal", str(seal)],
        [
            "report",
            "--year",
            "2023",
            "--template",
            str(EXAMPLE / "report.toml"),
            "--seal",
            str(seal),
        ],
        ["diff", "--year", "2023", "--set", str(EXAMPLE / "indicators.toml"), "--seal", str(seal)],
    ):
        result = run(example_db, *args)
        assert_one_error_line(
            result, "the seal is for other.example/ledger", "not this ledger civicledger.local/"
        )


def test_the_report_labels_its_root_hash_as_hex(example_db: Path, tmp_path: Path) -> None:
    seal = tmp_path / "seal.txt"
    assert run(example_db, "seal", "-o", str(seal)).exit_code == 0
    report = run(
        example_db, "report", "--year", "2023", "--template", str(EXAMPLE / "report.toml"),
        "--seal", str(seal),
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    assert re.search(r"根哈希（十六进制）[0-9a-f]{64}", report.stdout)
    verify = run(example_db, "verify")
    assert re.search(r"^root \(hex\) [0-9a-f]{64}$", verify.stdout, flags=re.M)


def test_a_postgresql_url_without_its_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    result = CliRunner().invoke(cli, ["--db", "postgresql://nobody@127.0.0.1:1/none", "info"])
    assert_one_error_line(result, "civicledger[postgres]")
