"""The installed command in a real process: exit codes, stderr, and the demo end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def civicledger(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CIVICLEDGER_DB"}
    return subprocess.run(
        [sys.executable, "-m", "civicledger", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_demo_builds_seals_and_reports_the_example_year(tmp_path: Path) -> None:
    """`civicledger demo` writes the ledger, seal and every report file, and prints a summary."""
    result = civicledger("demo", "--dir", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built the example community's 2023 ledger: 2987 events")
    out = tmp_path / "out"
    for name in (
        "civicledger.db",
        "seal.txt",
        "report.md",
        "report.html",
        "report.docx",
        "report.json",
        "indicators.csv",
        "indicators.xlsx",
        "followups.xlsx",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "verified OK" in result.stdout


def test_usage_error_exits_2_and_check_failure_exits_1(tmp_path: Path) -> None:
    """Unknown options exit 2; a proof that does not verify exits 1; no tracebacks."""
    result = civicledger("log", "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2
    bad_proof = tmp_path / "proof.txt"
    bad_proof.write_text("not a proof\n", encoding="utf-8")
    result = civicledger("verify", "--proof", str(bad_proof), cwd=tmp_path)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version(tmp_path: Path, args: list[str]) -> None:
    """--help and --version work from a real process."""
    result = civicledger(*args, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout


def test_version_says_which_hashing_is_in_use(tmp_path: Path) -> None:
    from civicledger import __version__
    from civicledger.merkle import native

    result = civicledger("--version", cwd=tmp_path)
    hashing = "native (C, OpenSSL)" if native.available() else "pure Python"
    assert result.stdout == f"civicledger, version {__version__}; hashing: {hashing}\n"
    env = {**os.environ, "CIVICLEDGER_PURE_PYTHON": "1"}
    pure = subprocess.run(
        [sys.executable, "-m", "civicledger", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert "hashing: pure Python" in pure.stdout, pure.stderr


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """`civicledger demo --print | head -1`: the closed pipe ends the command quietly, exit 0."""
    env = {k: v for k, v in os.environ.items() if k != "CIVICLEDGER_DB"}
    process = subprocess.Popen(
        [sys.executable, "-m", "civicledger", "demo", "--dir", "out", "--print"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline().startswith("# XX社区".encode())
    process.stdout.close()  # the report and the summary are still to come
    errors = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0, errors
    assert "error" not in errors
