"""The package's layering: lower layers never pull in storage or CLI libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_PACKAGES = [
    "civicledger.events",
    "civicledger.merkle",
    "civicledger.catalog",
    "civicledger.projections",
    "civicledger.followups",
    "civicledger.reports",
]


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_layers_do_not_import_sqlalchemy_or_click(package: str) -> None:
    """Importing a pure layer loads neither sqlalchemy nor click."""
    script = (
        f"import sys, importlib; importlib.import_module({package!r}); "
        "print(sorted(m for m in ('sqlalchemy', 'click') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "[]"


def test_importing_civicledger_does_no_work() -> None:
    """`import civicledger` builds no engine, registry or converter at import time."""
    script = (
        "import civicledger, sys; "
        "from civicledger.events.registry import default_registry; "
        "from civicledger.events.codec import default_codec; "
        "print(default_registry.cache_info().currsize, default_codec.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert result.stdout.split() == ["0", "0"]


def test_version_is_exposed() -> None:
    """civicledger.__version__ is a version string."""
    import civicledger

    assert civicledger.__version__.count(".") == 2


def test_a_ledger_opened_with_the_default_codec_reads_catalogue_events(tmp_path: object) -> None:
    """A fresh process can open a ledger and read catalogue events without importing them."""
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
