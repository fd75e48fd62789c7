"""examples/verify_standalone.py: an auditor's verifier that imports nothing from civicledger."""

from __future__ import annotations

import ast
import base64
import subprocess
import sys
from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger.audit import Signer, TlogProof
from civicledger.events import canonical_bytes, to_dict
from store_testkit import count

SCRIPT = Path(__file__).parents[3] / "examples" / "verify_standalone.py"

# Runs the script with civicledger made unimportable, so any import of it fails loudly.
RUNNER = (
    "import runpy, sys; sys.modules['civicledger'] = None; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """A signed proof of the 5th of 12 events, with its key, envelope, payload and salt."""
    folder = tmp_path_factory.mktemp("standalone")
    office = Signer.generate("records.example.org/office")
    with Ledger.in_memory(origin="records.example.org/community-x") as ledger:
        records = ledger.append("counts", [count(i) for i in range(12)], actor="clerk")
        seal = ledger.seal(office)
        proof = ledger.prove(records[4].event_id, seal)
        salt = ledger.store._salts[4]  # type: ignore[attr-defined]  # test-only peek
    files: dict[str, Path | str] = {"key": office.verifier().to_text()}
    for name, data in {
        "proof": proof.encode(),
        "envelope": TlogProof.parse(proof).extra or b"",
        "payload": canonical_bytes(to_dict(records[4].payload)),
        "other": canonical_bytes(to_dict(records[5].payload)),
    }.items():
        files[name] = folder / name
        Path(files[name]).write_bytes(data)
    files["salt"] = salt.hex()
    return files


def test_a_good_proof_checks_with_key_envelope_and_payload(case: dict[str, Path | str]) -> None:
    """Given the proof, key, envelope, payload and salt, the script prints OK and exits 0."""
    result = run(
        case["proof"],
        "--key",
        case["key"],
        "--leaf",
        case["envelope"],
        "--payload",
        case["payload"],
        "--salt",
        case["salt"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: event ")
    assert "position 5 of records.example.org/community-x" in result.stdout
    assert "signed by records.example.org/office" in result.stdout
    assert "payload matches" in result.stdout


def test_the_script_refuses_a_changed_envelope(case: dict[str, Path | str], tmp_path: Path) -> None:
    """Editing the actor in the proof's envelope makes the script fail with exit status 1."""
    text = Path(case["proof"]).read_text()
    envelope = Path(case["envelope"]).read_bytes()
    forged = base64.b64encode(envelope.replace(b'"clerk"', b'"mayor"')).decode()
    bad = tmp_path / "bad.tlog-proof"
    bad.write_text(text.replace(base64.b64encode(envelope).decode(), forged))
    result = run(bad)
    assert result.returncode == 1
    assert "does not lead to the sealed root" in result.stderr


def test_the_script_refuses_another_key(case: dict[str, Path | str]) -> None:
    """A verifier key the seal was not signed with is refused."""
    result = run(case["proof"], "--key", Signer.generate("x.example").verifier().to_text())
    assert result.returncode == 1
    assert "no signature by x.example" in result.stderr


def test_the_script_refuses_another_payload(case: dict[str, Path | str]) -> None:
    """A payload other than the event's does not match the digest its leaf commits to."""
    result = run(case["proof"], "--payload", case["other"], "--salt", case["salt"])
    assert result.returncode == 1
    assert "payload does not match" in result.stderr


def test_the_script_source_never_imports_civicledger() -> None:
    """The verifier's source has no civicledger import, so an auditor can read it alone."""
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported, "the check found no imports at all"
    assert not [name for name in imported if name.split(".")[0] == "civicledger"]
