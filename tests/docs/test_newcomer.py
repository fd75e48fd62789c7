"""A newcomer's first ten minutes: the demo, the tutorial on its database, the README."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docs_transcripts import ROOT, blocks, run_command, steps

from civicledger.cli import cli
from evidence_testkit import printed_offline_check, rewrite, run_printed

READ_COMMANDS = {"info", "log", "indicators", "explain", "report", "verify", "followups"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`civicledger demo` run once: its folder and what it printed."""
    folder = tmp_path_factory.mktemp("demo") / "demo-output"
    result = CliRunner().invoke(cli, ["demo", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.stdout


def test_demo_prints_a_summary_the_files_and_what_to_try_next(demo: tuple[Path, str]) -> None:
    folder, out = demo
    assert "XX社区党委2023年工作报告" not in out  # the report is in report.md, not the terminal
    assert "2987 events, sealed at size 2987 and signed, verified OK" in out
    names = ("civicledger.db", "seal.txt", "report.md", "evidence.zip", "indicators.csv")
    for name in (*names, "followups.xlsx"):
        assert f"  {name} " in out
        assert (folder / name).stat().st_size > 0
    assert len(out.splitlines()) < 30


def test_the_commands_the_demo_suggests_work(demo: tuple[Path, str]) -> None:
    """Each suggested command runs (from where the demo ran): explain shows the figure,
    verify says OK."""
    _, out = demo
    suggested = re.findall(r"^  (civicledger .*?(?:\\\n.*?)*)$", out, flags=re.M)
    assert [shlex.split(c)[5] for c in suggested] == ["explain", "verify"]
    outputs = []
    for command in suggested:
        code, output = run_command(command, Path.cwd())
        assert code == 0, output
        outputs.append(output)
    assert "283" in outputs[0]
    assert "1 seal (signatures checked): OK" in outputs[1]
    assert "python3 -m webbrowser file://" in out


def test_the_demo_ends_with_evidence_an_outsider_checks_offline(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    """The seal is signed by a demo key the demo says is one; the printed offline check,
    run from where the demo ran, checks every figure against the signed seal; a figure
    changed in the bundle's report fails it, naming the figure."""
    folder, out = demo
    assert "Demo keys: made for this run" in out
    assert "keeps the .key file secret" in out
    secret = folder / "keys" / "xx-community.example.org.key"
    assert secret.read_text(encoding="utf-8").startswith("PRIVATE+KEY+xx-community.example.org+")
    assert secret.stat().st_mode & 0o077 == 0  # owner-only, as civicledger keygen writes it
    seal = (folder / "seal.txt").read_text(encoding="utf-8")
    assert "\n— xx-community.example.org " in seal
    words = printed_offline_check(out)
    assert words[1:3] == ["examples/verify_evidence.py", str(folder / "evidence.zip")]
    assert words[3:] == ["--key", str(folder / "keys" / "xx-community.example.org.pub")]
    result = run_printed(words)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("seal: demo.civicledger.example/xx-community at size 2987, ")
    assert lines[0].endswith("signed by xx-community.example.org")
    assert lines[-1] == "OK: every figure checked or partly checked"
    assert any(" employment.reemployment_trainees = 283 " in line for line in lines)

    def change_a_figure(files: dict[str, bytes]) -> None:
        report = json.loads(files["report.json"])
        figure = next(
            f for f in report["figures"] if f["indicator"] == "employment.reemployment_trainees"
        )
        figure["value"] = "284"
        files["report.json"] = json.dumps(report, ensure_ascii=False).encode()

    forged = rewrite(folder / "evidence.zip", tmp_path / "forged.zip", change_a_figure)
    result = run_printed([*words[:2], str(forged), *words[3:]])
    assert result.returncode == 1, result.stdout
    failed = [line for line in result.stdout.splitlines() if ": FAILED — " in line]
    assert [line.split(":")[0].split()[1] for line in failed] == [
        "employment.reemployment_trainees"
    ]
    assert result.stdout.splitlines()[-1] == "FAILED: see above"


def test_demo_print_shows_the_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "out"), "--print"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# XX社区党委2023年工作报告")
    assert "Try next:" in result.stdout


def test_the_tutorial_read_commands_work_on_the_demo_database(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    """The demo's ledger is the tutorial's: its xx-community commands run on the demo database."""
    folder, _ = demo
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copy(folder / "seal.txt", tmp_path / "seal.txt")
    commands = [
        command.text
        for step in steps(ROOT / "docs" / "tutorial.md")
        if step.kind == "transcript"
        for command in step.commands
        if command.text.startswith("civicledger --db office.db --ledger xx-community ")
        and shlex.split(command.text.replace("\\\n", " "))[5] in READ_COMMANDS
    ]
    assert len(commands) >= 5
    database = shlex.quote(str(folder / "civicledger.db"))
    for command in commands:
        code, output = run_command(command.replace("office.db", database, 1), tmp_path)
        assert code == 0, f"{command}\n{output}"


def _readme_block(marker: str, language: str) -> str:
    [block] = [b for b in blocks(ROOT / "README.md", language) if marker in b]
    return block


def test_the_readme_snippet_can_run_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run twice, the snippet prints the same figure: it does not append to the last run's."""
    monkeypatch.chdir(tmp_path)
    snippet = compile(_readme_block("Ledger", "python"), "README.md", "exec")
    printed = []
    for _ in range(2):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(snippet, {"__name__": "__readme__"})
        printed.append(out.getvalue().splitlines()[0])
    assert printed == ["143", "143"]
    assert not list(tmp_path.iterdir())  # and it leaves no database for the terminal part


def test_the_readme_terminal_commands_run(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    block = _readme_block("civicledger --db", "bash")
    lines = block.replace("\\\n", " ").splitlines()
    outputs = []
    for line in lines:
        for command in line.split(" && "):
            code, output = run_command(command, tmp_path)
            assert code == 0, f"{command}\n{output}"
            outputs.append(output)
    explain = next(o for c, o in zip(lines, outputs, strict=False) if " explain " in c)
    assert "283" in explain
    assert "root (hex) " in outputs[-1]
