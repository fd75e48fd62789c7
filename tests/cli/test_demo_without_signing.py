"""The demos on a machine without ``cryptography``: they sign their seals, so they stop
before writing a ledger and say which extra to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger.cli import cli


@pytest.mark.parametrize("street", [[], ["--street"]], ids=["community", "street"])
def test_the_demo_names_the_signing_extra_and_writes_no_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, street: list[str]
) -> None:
    # A None entry makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["demo", *street, "--dir", str(out)])
    assert result.exit_code == 2, result.output
    assert "pip install 'civicledger[signing]'" in result.stderr
    assert "Traceback" not in result.output
    assert not list(out.glob("*.db"))
    assert not list((out / "keys").glob("*.key"))
