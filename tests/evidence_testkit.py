"""Running examples/verify_evidence.py from tests: as a module, or as a script that cannot
import civicledger; and rewriting a bundle to tamper with it."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

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
