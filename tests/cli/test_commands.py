"""Every command through the CLI, in process, with its outputs and its error lines."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from civicledger.cli import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"

INDICATORS = str(EXAMPLE / "indicators.toml")
TEMPLATE = str(EXAMPLE / "report.toml")


def run(runner: CliRunner, db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    """`--help` works for every command and shows an Example."""

    def commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        found = []
        for name, command in getattr(group, "commands", {}).items():
            found.append((*prefix, name))
            found.extend(commands(command, (*prefix, name)))
        return found

    for path in [(), *commands(cli)]:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example:" in result.output, path


def test_every_command_has_a_docs_section() -> None:
    """docs/cli.md documents every top-level command."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"## `civicledger {name}`" in text, name


def test_init_and_info_describe_a_new_ledger(runner: CliRunner, tmp_path: Path) -> None:
    """init creates the ledger; info shows its identity and size."""
    db = tmp_path / "new.db"
    code, out, _ = run(runner, db, "init")
    assert code == 0
    assert "ledger 'default' ready" in out
    code, out, _ = run(runner, db, "info")
    assert code == 0
    assert "hash algorithm  sha256" in out
    assert "events          0" in out


def test_append_records_an_event_and_log_lists_it(runner: CliRunner, tmp_path: Path) -> None:
    """append records a catalog event; log shows it as a table and as JSON Lines."""
    db = tmp_path / "a.db"
    payload = {
        "occurred_on": "2023-03-03",
        "area": "幸福巷",
        "volunteers": 12,
        "hours": "2",
    }
    data_file = tmp_path / "cleanup.json"
    data_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(
        runner,
        db,
        "append",
        "cleanup/2023-03-03",
        "volunteer_cleanup_held",
        "--data",
        f"@{data_file}",
        "--expected-version",
        "no_stream",
    )
    assert code == 0, err
    assert "at position 1" in out
    code, out, _ = run(runner, db, "log", "--format", "jsonl")
    line = json.loads(out)
    assert line["payload"]["area"] == "幸福巷"
    assert line["position"] == 1
    code, out, _ = run(runner, db, "log")
    assert "volunteer_cleanup_held" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["append", "s", "no_such_type", "--data", "{}"], "unknown event type 'no_such_type'"),
        (["append", "s", "volunteer_cleanup_held", "--data", "{bad"], "--data: invalid JSON"),
        (["append", "s", "volunteer_cleanup_held", "--data", "@/nonexistent.json"], "cannot read"),
        (
            ["append", "s", "volunteer_cleanup_held", "--data", '{"occurred_on": "2023-01-01"}'],
            "volunteer_cleanup_held.",
        ),
    ],
)
def test_bad_appends_fail_with_one_line_and_record_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    """A bad append prints one error line naming the problem, exits 2, records nothing."""
    db = tmp_path / "bad.db"
    code, _, err = run(runner, db, *args)
    assert code == 2
    assert err.startswith("civicledger: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert run(runner, db, "info")[1].count("events          0") == 1


def test_conflicting_expected_version_is_refused(runner: CliRunner, example_db: Path) -> None:
    """An append whose expected version is stale fails with the stream named."""
    payload = '{"occurred_on": "2023-03-03", "area": "幸福巷", "volunteers": 1, "hours": "1"}'
    code, _, err = run(
        runner,
        example_db,
        "append",
        "cleanup/x",
        "volunteer_cleanup_held",
        "--data",
        payload,
        "--expected-version",
        "5",
    )
    assert code == 2
    assert "cleanup/x" in err


def test_import_of_a_bad_file_lists_every_bad_line(runner: CliRunner, tmp_path: Path) -> None:
    """import reports each bad line with its number and records nothing."""
    lines = (EXAMPLE / "events.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    lines[1] = "{not json"
    lines[3] = lines[3].replace('"type":"', '"type":"x_')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "i.db"
    code, _, err = run(runner, db, "import", str(bad))
    assert code == 2
    assert "line 2" in err
    assert "line 4" in err
    assert run(runner, db, "info")[1].count("events          0") == 1


def test_import_dry_run_records_nothing(runner: CliRunner, tmp_path: Path) -> None:
    """--dry-run checks the file and leaves the ledger empty."""
    db = tmp_path / "d.db"
    code, out, _ = run(runner, db, "import", "--dry-run", str(EXAMPLE / "events.jsonl"))
    assert code == 0
    assert "nothing recorded" in out
    assert "events          0" in run(runner, db, "info")[1]


def test_export_round_trips_the_import(runner: CliRunner, example_db: Path, tmp_path: Path) -> None:
    """export writes the events in the form import reads, byte for byte."""
    out_file = tmp_path / "out.jsonl"
    code, _, _ = run(runner, example_db, "export", str(out_file))
    assert code == 0
    assert out_file.read_bytes() == (EXAMPLE / "events.jsonl").read_bytes()


def test_indicators_table_csv_json_and_xlsx(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """indicators renders the example set in each format with the seed's figures."""
    code, out, _ = run(runner, example_db, "indicators", "--year", "2023", "--set", INDICATORS)
    assert code == 0
    assert "employment.reemployment_trainees" in out
    code, out, _ = run(
        runner, example_db, "indicators", "--year", "2023", "--set", INDICATORS, "--format", "json"
    )
    rows = {r["indicator"]: r for r in json.loads(out)}
    assert rows["employment.reemployment_trainees"]["value"] == "283"
    assert rows["party.contact_households"]["value"] == "3000"
    code, out, _ = run(
        runner, example_db, "indicators", "--year", "2023", "--set", INDICATORS, "--format", "csv"
    )
    assert out.splitlines()[0].startswith("indicator,label,period")
    xlsx = tmp_path / "t.xlsx"
    code, _, _ = run(
        runner,
        example_db,
        "indicators",
        "--year",
        "2023",
        "--set",
        INDICATORS,
        "--format",
        "xlsx",
        "-o",
        str(xlsx),
    )
    assert code == 0
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert sheet["A1"].value == "指标编号"


def test_indicators_compare_with_an_earlier_year(runner: CliRunner, example_db: Path) -> None:
    """--compare gives both years and the change (2022 has no events: change not defined)."""
    code, out, _ = run(
        runner,
        example_db,
        "indicators",
        "--year",
        "2023",
        "--set",
        INDICATORS,
        "--compare",
        "2022",
        "--format",
        "json",
    )
    assert code == 0
    rows = {r["indicator"]: r for r in json.loads(out)}
    assert rows["employment.reemployment_sessions"]["current"] == "4"
    assert rows["employment.reemployment_sessions"]["previous"] == "0"


def test_explain_shows_the_derivation_and_why_not(runner: CliRunner, example_db: Path) -> None:
    """explain lists the contributing events and the exact value; --why-not explains a miss."""
    code, out, _ = run(
        runner,
        example_db,
        "explain",
        "employment.reemployment_trainees",
        "--year",
        "2023",
        "--set",
        INDICATORS,
        "--language",
        "en",
    )
    assert code == 0
    assert "283" in out
    code, log_out, _ = run(runner, example_db, "log", "--type", "meeting_held", "--format", "jsonl")
    meeting_id = json.loads(log_out.splitlines()[0])["event_id"]
    code, out, _ = run(
        runner,
        example_db,
        "explain",
        "employment.reemployment_trainees",
        "--year",
        "2023",
        "--set",
        INDICATORS,
        "--why-not",
        meeting_id,
        "--language",
        "en",
    )
    assert code == 0
    assert "meeting_held" in out


def test_explain_json_and_prov(runner: CliRunner, example_db: Path) -> None:
    """explain --format json carries the contributions; prov is a PROV-JSON document."""
    base = ["explain", "employment.reemployment_trainees", "--year", "2023", "--set", INDICATORS]
    code, out, _ = run(runner, example_db, *base, "--format", "json")
    assert code == 0
    assert json.loads(out)["value"] == 283
    _code, out, _ = run(runner, example_db, *base, "--format", "prov")
    assert "wasDerivedFrom" in json.loads(out)


def test_explain_unknown_indicator_names_the_closest_ones(
    runner: CliRunner, example_db: Path
) -> None:
    """A mistyped indicator id is one error line with the closest ids, not all 46."""
    args = ["--year", "2023", "--set", INDICATORS]
    code, _, err = run(runner, example_db, "explain", "employment.merchant", *args)
    assert code == 2
    assert err.count("\n") == 1
    assert "no indicator 'employment.merchant'" in err
    assert "did you mean employment.merchants, employment.merchant_groups" in err
    assert "party.contact_members" not in err
    code, _, err = run(runner, example_db, "explain", "nope", *args)
    assert "none of its 46 ids is close" in err


def test_seal_prove_and_verify(runner: CliRunner, example_db: Path, tmp_path: Path) -> None:
    """seal writes a checkpoint; prove writes a proof; verify checks ledger, seal and proof."""
    seal_file = tmp_path / "seal.txt"
    code, _, _ = run(runner, example_db, "seal", "-o", str(seal_file))
    assert code == 0
    assert seal_file.read_text(encoding="utf-8").splitlines()[1] == "2987"
    code, out, _ = run(runner, example_db, "log", "--to", "1", "--format", "jsonl")
    event_id = json.loads(out)["event_id"]
    proof_file = tmp_path / "proof.txt"
    code, _, err = run(
        runner, example_db, "prove", event_id, "--seal", str(seal_file), "-o", str(proof_file)
    )
    assert code == 0, err
    code, out, _ = run(runner, example_db, "verify", "--seal", str(seal_file))
    assert code == 0
    assert "OK" in out
    code, out, _ = run(runner, example_db, "verify", "--proof", str(proof_file))
    assert code == 0
    assert "position 1" in out


def test_signed_seal_verifies_with_the_public_key(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """keygen makes a key pair; a signed seal verifies with the public key."""
    code, _, _ = (
        runner.invoke(cli, ["keygen", "office.example", "--dir", str(tmp_path)]).exit_code,
        "",
        "",
    )
    assert code == 0
    seal_file = tmp_path / "seal.txt"
    code, _, err = run(
        runner,
        example_db,
        "seal",
        "--key",
        str(tmp_path / "office.example.key"),
        "-o",
        str(seal_file),
    )
    assert code == 0, err
    assert "— office.example " in seal_file.read_text(encoding="utf-8")
    code, _out, err = run(
        runner, example_db, "verify", "--public-key", str(tmp_path / "office.example.pub")
    )
    assert code == 0, err


def test_verify_names_a_tampered_position(runner: CliRunner, example_db: Path) -> None:
    """A row changed behind the ledger's back makes verify exit 1 naming its position."""
    with sqlite3.connect(example_db) as connection:
        triggers = [
            (name, sql)
            for name, sql in connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            )
        ]
        for name, _ in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("UPDATE civicledger_events SET actor = 'mallory' WHERE position = 17")
        for _, sql in triggers:
            connection.execute(sql)
    code, _, err = run(runner, example_db, "verify")
    assert code == 1
    assert "17" in err


def test_report_in_each_format(runner: CliRunner, example_db: Path, tmp_path: Path) -> None:
    """report renders Markdown to stdout and HTML, JSON, DOCX files."""
    base = ["report", "--year", "2023", "--template", TEMPLATE]
    code, out, err = run(runner, example_db, *base)
    assert code == 0, err
    assert out.startswith("# XX社区党委2023年工作报告")
    assert "280余人" in out
    for fmt in ("html", "json", "docx", "xlsx"):
        target = tmp_path / f"r.{fmt}"
        code, _, err = run(runner, example_db, *base, "--format", fmt, "-o", str(target))
        assert code == 0, err
        assert target.stat().st_size > 0
    code, _, err = run(runner, example_db, *base, "--format", "docx")
    assert code == 2
    assert "needs -o" in err


def test_report_from_a_seal_is_byte_identical_after_more_events(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """A report rendered --seal re-renders the same bytes after later appends."""
    seal_file = tmp_path / "seal.txt"
    run(runner, example_db, "seal", "-o", str(seal_file))
    base = ["report", "--year", "2023", "--template", TEMPLATE, "--seal", str(seal_file)]
    first = run(runner, example_db, *base)[1]
    payload = '{"occurred_on": "2023-12-29", "area": "幸福巷", "volunteers": 3, "hours": "1"}'
    assert (
        run(runner, example_db, "append", "late", "volunteer_cleanup_held", "--data", payload)[0]
        == 0
    )
    assert run(runner, example_db, *base)[1] == first


def test_followups_table_json_and_round_trip(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """followups shows the four problems; an unedited export imports as no changes."""
    code, out, _ = run(runner, example_db, "followups", "--on", "2023-12-31")
    assert code == 0
    assert "2023-01" in out
    code, out, _ = run(runner, example_db, "followups", "--as-of", "2023-12-31", "--format", "json")
    assert len(json.loads(out)) == 4
    sheet = tmp_path / "sheet.csv"
    code, _, _ = run(runner, example_db, "followups", "--format", "csv", "-o", str(sheet))
    assert code == 0
    code, out, err = run(runner, example_db, "followups", "import", str(sheet))
    assert code == 0, err
    assert "recorded 0 changes" in out


def test_wrong_database_url_is_one_clear_line(runner: CliRunner) -> None:
    """An unreachable database is one error line, exit 2, no traceback."""
    result = runner.invoke(cli, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "info"])
    assert result.exit_code == 2
    assert "cannot connect" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_a_database_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """Pointing --db at a text file gives a clear error, not a traceback."""
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database\n" * 100, encoding="utf-8")
    result = runner.invoke(cli, ["--db", str(junk), "info"])
    assert result.exit_code == 2
    assert result.stderr.startswith("civicledger: error: ")


def test_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    """A missing import file is reported by click with exit status 2."""
    result = runner.invoke(cli, ["--db", str(tmp_path / "x.db"), "import", "nope.jsonl"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_database_from_environment_variable(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CIVICLEDGER_DB chooses the database when --db is not given."""
    monkeypatch.setenv("CIVICLEDGER_DB", str(tmp_path / "env.db"))
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_cli_reference_is_up_to_date() -> None:
    """docs/cli.md is what tools/cli_reference.py generates from the current --help."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "cli_reference", root / "tools" / "cli_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (root / "docs" / "cli.md").read_text(encoding="utf-8") == module.render(), (
        "run: python tools/cli_reference.py"
    )


def test_verify_report_accepts_a_sealed_report_and_refuses_an_edit(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """verify-report passes the report as rendered and exits 1 on an edited figure."""
    seal_file = tmp_path / "seal.txt"
    run(runner, example_db, "seal", "-o", str(seal_file))
    report_file = tmp_path / "report.json"
    code, _, err = run(
        runner,
        example_db,
        "report",
        "--year",
        "2023",
        "--template",
        TEMPLATE,
        "--seal",
        str(seal_file),
        "--format",
        "json",
        "-o",
        str(report_file),
    )
    assert code == 0, err
    code, _, err = run(runner, example_db, "verify-report", str(report_file))
    assert code == 0, err
    text = report_file.read_text(encoding="utf-8")
    assert '"value": "283"' in text
    report_file.write_text(text.replace('"value": "283"', '"value": "284"', 1), encoding="utf-8")
    code, _, err = run(runner, example_db, "verify-report", str(report_file))
    assert code == 1
    assert err


def test_a_mistyped_ledger_or_database_creates_nothing(runner: CliRunner, example_db: Path) -> None:
    """Read commands refuse a ledger or database that does not exist, naming what does."""
    result = runner.invoke(cli, ["--db", str(example_db), "--ledger", "typo", "info"])
    assert result.exit_code == 2
    assert "no ledger named 'typo'" in result.stderr
    assert "default" in result.stderr
    result = runner.invoke(cli, ["--db", str(example_db), "--ledger", "typo", "init"])
    assert result.exit_code == 0
    missing = example_db.parent / "missing.db"
    result = runner.invoke(cli, ["--db", str(missing), "log"])
    assert result.exit_code == 2
    assert "no database at" in result.stderr
    assert not missing.exists()


def test_init_sets_origin_and_info_lists_seals(runner: CliRunner, tmp_path: Path) -> None:
    """init --origin names the ledger in seals; info counts the seals."""
    db = tmp_path / "o.db"
    code, out, _ = run(
        runner, db, "init", "--origin", "records.example.org/xx", "--hash-algorithm", "sm3"
    )
    assert code == 0
    assert "records.example.org/xx" in out
    code, out, _ = run(runner, db, "seal")
    assert out.startswith("records.example.org/xx\n0\n")
    code, out, _ = run(runner, db, "info")
    assert "hash algorithm  sm3" in out
    assert "seals           1, latest at size 0" in out


def test_whole_file_errors_are_listed_once(runner: CliRunner, tmp_path: Path) -> None:
    """A bad import prints a summary line and each bad line once."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{bad\n{"stream": "x", "type": "nope"}\n', encoding="utf-8")
    code, _, err = run(runner, tmp_path / "x.db", "import", str(bad))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "2 bad line(s)" in lines[0]
    assert [line.count("line ") >= 1 for line in lines[1:]] == [True, True]


def test_import_option_registers_users_event_types(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--import MODULE loads a user's event types so commands can record and read them."""
    (tmp_path / "acme_events.py").write_text(
        "import civicledger\n\n\n"
        '@civicledger.event("acme.bin_emptied")\n'
        "class BinEmptied(civicledger.Event):\n"
        "    bins: int\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    db = tmp_path / "acme.db"
    data = '{"occurred_on": "2023-05-05", "bins": 4}'
    result = runner.invoke(
        cli,
        [
            "--db",
            str(db),
            "--import",
            "acme_events",
            "append",
            "bins",
            "acme.bin_emptied",
            "--data",
            data,
        ],
    )
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(
        cli, ["--db", str(db), "--import", "acme_events", "log", "--format", "jsonl"]
    )
    assert json.loads(result.stdout)["payload"]["bins"] == 4
    result = runner.invoke(cli, ["--db", str(db), "--import", "no_such_module_x", "info"])
    assert result.exit_code == 2
    assert "--import no_such_module_x" in result.stderr


def test_followups_csv_goes_to_standard_output(runner: CliRunner, example_db: Path) -> None:
    """followups --format csv without -o prints the sheet."""
    code, out, _ = run(runner, example_db, "followups", "--on", "2023-12-31", "--format", "csv")
    assert code == 0
    assert len(out.strip().splitlines()) >= 5


def test_projections_catch_up_show_and_rebuild(runner: CliRunner, example_db: Path) -> None:
    """The built-in event_counts projection catches up to the head and rebuilds the same state."""
    code, out, _ = run(runner, example_db, "projections", "list")
    assert code == 0
    assert "event_counts" in out
    code, out, _ = run(runner, example_db, "projections", "catch-up", "event_counts")
    assert code == 0
    assert "at position 2987" in out
    shown = json.loads(run(runner, example_db, "projections", "show", "event_counts")[1])
    assert shown["state"]["training_held|2023-03"] >= 1
    assert sum(shown["state"].values()) == 2987
    code, out, _ = run(runner, example_db, "projections", "rebuild", "event_counts")
    assert code == 0
    assert json.loads(run(runner, example_db, "projections", "show", "event_counts")[1]) == shown
    code, _, err = run(runner, example_db, "projections", "rebuild", "nope")
    assert code == 2
    assert "no built-in projection 'nope'" in err


def test_indicators_check_prints_each_rule_and_fails_on_a_broken_one(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """--check evaluates the rules: all pass on the example; a false rule exits 1."""
    code, out, err = run(
        runner, example_db, "indicators", "--year", "2023", "--set", INDICATORS, "--check"
    )
    assert code == 0, err
    assert "inspection.outcomes_add_up [2023]" in err
    assert "— passed" in err
    assert "FAILED" not in err
    assert "inspection.total" in out  # the figures are printed as without --check
    broken = tmp_path / "broken.toml"
    broken.write_text(
        Path(INDICATORS).read_text(encoding="utf-8")
        + '\n[[rule]]\nid = "mediation.impossible"\n'
        + 'check = "mediation.successful > mediation.completed"\n',
        encoding="utf-8",
    )
    code, _, err = run(
        runner, example_db, "indicators", "--year", "2023", "--set", str(broken), "--check"
    )
    assert code == 1
    assert "mediation.impossible [2023] mediation.successful > mediation.completed" in err
    assert "FAILED" in err


def test_indicators_as_of_a_position_a_time_or_a_seal_file(
    runner: CliRunner, example_db: Path, tmp_path: Path
) -> None:
    """--as-of reads a ledger point from text: position, recorded-at time, or a seal file."""
    base = ["indicators", "--year", "2023", "--set", INDICATORS, "--format", "json"]

    def counted(*extra: str) -> list[int]:
        code, out, err = run(runner, example_db, *base, *extra)
        assert code == 0, err
        return [row["events"] for row in json.loads(out)]

    at_head = counted()
    assert sum(at_head) > 0
    assert set(counted("--as-of", "0")) == {0}
    assert set(counted("--as-of", "2000-01-01T00:00:00Z")) == {0}
    code, seal_text, _ = run(runner, example_db, "seal")
    assert code == 0
    seal_file = tmp_path / "seal.txt"
    seal_file.write_text(seal_text, encoding="utf-8")
    assert counted("--as-of", str(seal_file)) == at_head
    other = tmp_path / "other.db"
    assert run(runner, other, "init")[0] == 0
    code, other_seal, _ = run(runner, other, "seal")
    (tmp_path / "other-seal.txt").write_text(other_seal, encoding="utf-8")
    code, _, err = run(runner, example_db, *base, "--as-of", str(tmp_path / "other-seal.txt"))
    assert code != 0
    assert "another ledger" in err


def test_indicators_as_of_refuses_text_that_is_no_ledger_point(
    runner: CliRunner, example_db: Path
) -> None:
    """A business date is not a ledger point: refused, saying what is accepted."""
    base = ["indicators", "--year", "2023", "--set", INDICATORS]
    code, _, err = run(runner, example_db, *base, "--as-of", "2023-12-31")
    assert code != 0
    assert "not a ledger point" in err
    assert "2023-12-31" in err
