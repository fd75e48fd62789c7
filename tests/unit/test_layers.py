"""The package's layering: lower layers never pull in storage or CLI libraries.

The import direction itself is checked by ``lint-imports`` (scripts/test) against the
contract in pyproject.toml; here the documented picture is held to that contract.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PURE_PACKAGES = [
    "civicledger.events",
    "civicledger.merkle",
    "civicledger.catalog",
    "civicledger.projections",
    "civicledger.followups",
    "civicledger.reports",
]


def _printed(script: str) -> str:
    """What ``script`` prints, run in a fresh interpreter (so nothing is imported yet)."""
    return subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_layers_do_not_import_sqlalchemy_or_click(package: str) -> None:
    """Importing a pure layer loads neither sqlalchemy nor click."""
    script = (
        f"import sys, importlib; importlib.import_module({package!r}); "
        "print(sorted(m for m in ('sqlalchemy', 'click') if m in sys.modules))"
    )
    assert _printed(script).strip() == "[]"


def test_sqlite_processes_do_not_load_psycopg() -> None:
    """Opening and verifying a SQLite ledger (as a verify worker does) leaves the optional
    PostgreSQL driver unloaded: importing it was a fifth of a worker's start-up."""
    script = (
        "import sys, civicledger.audit.parallel\n"
        "from civicledger import Ledger\n"
        "with Ledger.open('sqlite://') as ledger:\n"
        "    assert ledger.verify().ok\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'psycopg'))\n"
    )
    assert _printed(script).strip() == "[]"


def test_importing_civicledger_does_no_work() -> None:
    """`import civicledger` builds no engine, registry or converter at import time."""
    script = (
        "import civicledger, sys; "
        "from civicledger.events.registry import default_registry; "
        "from civicledger.events.codec import default_codec; "
        "print(default_registry.cache_info().currsize, default_codec.cache_info().currsize)"
    )
    assert _printed(script).split() == ["0", "0"]


def test_version_is_exposed() -> None:
    """civicledger.__version__ is a version string."""
    import civicledger

    assert civicledger.__version__.count(".") == 2


def test_a_ledger_opened_with_the_default_codec_reads_catalog_events(tmp_path: object) -> None:
    """A fresh process can open a ledger and read catalog events without importing them."""
    script = (
        "import sys; from datetime import date; from civicledger import Ledger\n"
        "url = 'sqlite:///' + sys.argv[1]\n"
        "if sys.argv[2] == 'write':\n"
        "    from civicledger.catalog import TrainingHeld, TrainingProgramme\n"
        "    with Ledger.open(url) as ledger:\n"
        "        ledger.append('t', [TrainingHeld(occurred_on=date(2023, 1, 1),\n"
        "            programme=TrainingProgramme.REEMPLOYMENT, title='x', attendees=3)],\n"
        "            actor='a')\n"
        "else:\n"
        "    with Ledger.open(url) as ledger:\n"
        "        print([r.payload.attendees for r in ledger.read()])\n"
    )
    db = f"{tmp_path}/vocab.db"
    subprocess.run([sys.executable, "-c", script, db, "write"], check=True)
    result = subprocess.run(
        [sys.executable, "-c", script, db, "read"], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "[3]"


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def _design_layers() -> list[str]:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1]
    diagram = section.split("```", 2)[1]
    names: list[str] = []
    for line in diagram.splitlines():
        # Entries start two spaces in; a continued description starts deeper.
        if re.match(r"  \S", line):
            names += re.findall(r"(?:^|\s)(\w+)(?:/|\.py)(?=\s)", line + " ")
    return names


def test_the_design_diagram_is_the_import_contract_top_to_bottom() -> None:
    """docs/design.md lists exactly the contract's layers, in the contract's order."""
    assert _design_layers() == _contract_layers()


def test_the_contract_places_every_package_and_module() -> None:
    """Every package and top-level module of civicledger has a layer (besides __init__)."""
    source = ROOT / "src" / "civicledger"
    present = {p.stem for p in source.glob("*.py") if p.stem != "__init__"}
    present |= {p.name for p in source.iterdir() if (p / "__init__.py").exists()}
    assert set(_contract_layers()) == present
