"""Running examples/verify_evidence.py from tests: as a module, as a script that cannot
import civicledger, or as a demo printed it; rewriting a bundle to tamper with it; and a
street of two community ledgers with a report template over them."""

from __future__ import annotations

import importlib.util
import io
import re
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType

from civicledger import Ledger
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from report_testkit import small_ledger

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "verify_evidence.py"

# Runs the script with civicledger made unimportable, so any import of it fails loudly.
RUNNER = (
    "import runpy, sys; sys.modules['civicledger'] = None; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def load_script() -> ModuleType:
    """The script as a module (its functions tested one by one)."""
    spec = importlib.util.spec_from_file_location("verify_evidence", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_evidence"] = module
    spec.loader.exec_module(module)
    return module


def run_verifier(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the script on a bundle, as an auditor would, without civicledger."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(SCRIPT), str(bundle), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def rewrite(bundle: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """Copy a bundle with its files changed by ``change`` (a dict of name to bytes)."""
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    return target


STREET_TEMPLATE = """
[[sections]]
key = "work"
heading = "工作开展情况"

  [[sections.items]]
  text = "全街道调解纠纷{mediation.completed|exact:件}，调解成功率{mediation.success_rate|rate}。"

  [[sections.items]]
  kind = "indicators"
  by = "ledger"
  ids = ["mediation.completed", "mediation.successful", "employment.reemployment_trainees"]
"""
"""A street report: two rolled-up figures in text, and a table by ledger."""


def two_communities(url: str) -> tuple[str, str]:
    """荷花 with the small ledger's events, 莲花 with four mediations (three successful);
    each sealed once, unsigned. Returns their names."""
    hehua, lianhua = "和平街道/荷花社区", "和平街道/莲花社区"
    with small_ledger() as template, Ledger.open(url, hehua) as ledger:
        for record in template.read():
            ledger.append(record.stream, [record.payload], actor="clerk")
        ledger.seal()
    outcomes = [MediationOutcome.WRITTEN_AGREEMENT] * 2 + [MediationOutcome.FAILED]
    with Ledger.open(url, lianhua) as ledger:
        for number, outcome in enumerate([*outcomes, MediationOutcome.WRITTEN_AGREEMENT], 1):
            case = MediationCompleted(
                occurred_on=date(2023, 7, 1),
                case_id=f"L-{number}",
                dispute_kind=DisputeKind.NEIGHBOURHOOD,
                parties=2,
                outcome=outcome,
            )
            ledger.append(f"m/{number}", [case], actor="clerk")
        ledger.seal()
    return hehua, lianhua


def printed_offline_check(printed: str) -> list[str]:
    """The offline check a demo printed (``… verify_evidence.py BUNDLE --key …``, its
    continued lines joined), as the words a shell would pass."""
    [command] = re.findall(r"^  (\S+ \S*verify_evidence\.py .*?(?:\\\n.*?)*)$", printed, re.M)
    return shlex.split(command.replace("\\\n", " "))


def run_printed(words: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a printed command as the reader would, from the current folder."""
    return subprocess.run(words, capture_output=True, text=True, check=False, timeout=300)
