"""Evidence bundles of a report over several ledgers (civicledger-set-evidence/1): written
by ``LedgerSet.evidence`` / ``civicledger evidence --ledger …``, checked per figure per
ledger by examples/verify_evidence.py without civicledger, and refused when tampered with."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger import Ledger, ValidationError, VerificationError
from civicledger.audit import Signer
from civicledger.cli import cli
from civicledger.ledgerset import LATEST_SEAL
from civicledger.reports.evidence_set import SET_EVIDENCE_FORMAT
from evidence_testkit import STREET_TEMPLATE, rewrite, run_verifier, two_communities
from report_testkit import ONE_SECTION, write_template

HEHUA, LIANHUA = "和平街道/荷花社区", "和平街道/莲花社区"


@pytest.fixture(scope="module")
def keys() -> dict[str, Signer]:
    return {name: Signer.generate(f"{name.split('/')[1]}.example") for name in (HEHUA, LIANHUA)}


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Signer]) -> tuple[str, Path]:
    """Two community ledgers, each sealed by its office; the street's report read at those
    seals; and its bundle with both offices' keys."""
    folder = tmp_path_factory.mktemp("street")
    url = f"sqlite:///{folder / 'street.db'}"
    two_communities(url)
    for name, key in keys.items():
        with Ledger.open(url, name) as ledger:
            ledger.seal(key)
    template = write_template(folder, STREET_TEMPLATE)
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        report = ledgers.report(template, period="2023", as_of=LATEST_SEAL)
        (folder / "street.json").write_text(report.to_json(), encoding="utf-8")
        ledgers.evidence(
            folder / "street.json",
            folder / "evidence.zip",
            public_keys=[k.verifier().to_text() for k in keys.values()],
        )
    return url, folder


def test_every_figure_of_every_ledger_and_every_rollup_checks_offline(
    street: tuple[str, Path],
) -> None:
    _, folder = street
    result = run_verifier(folder / "evidence.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"{HEHUA}: seal: " in result.stdout
    assert f"{LIANHUA}: envelopes: all 4 rebuild the sealed root" in lines
    assert any(line.startswith(f"{HEHUA}: F1-1 mediation.completed = 3") for line in lines)
    assert any(line.startswith(f"{LIANHUA}: F1-2 mediation.completed = 4") for line in lines)
    assert "F1 mediation.completed = 7: checked — the ledgers' counts added (F1-1 + F1-2)" in lines
    [rate] = [line for line in lines if line.startswith("F2 mediation.success_rate")]
    assert "= 71.43: checked — the rolled-up numerator divided by the rolled-up denominator" in (
        rate
    )
    assert lines[-1] == "OK: every figure checked or partly checked"


def test_the_manifest_has_one_part_per_ledger(street: tuple[str, Path]) -> None:
    _, folder = street
    with zipfile.ZipFile(folder / "evidence.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        report = json.loads(archive.read("report.json"))
        assert archive.read("report.json") == (folder / "street.json").read_bytes()
        assert archive.read("ledgers/2/seal.txt").decode() == report["ledgers"][1]["checkpoint"]
    assert manifest["format"] == SET_EVIDENCE_FORMAT
    assert [(p["name"], p["tree_size"]) for p in manifest["ledgers"]] == [
        (HEHUA, report["ledgers"][0]["tree_size"]),
        (LIANHUA, 4),
    ]
    assert manifest["ledgers"][0]["public_key"] == "ledgers/1/public-key.txt"
    assert {r["ref"]: r["parts"] for r in manifest["rollups"]}["F1"] == ["F1-1", "F1-2"]


def _edit_report(change: Callable[[dict], None]) -> Callable[[dict[str, bytes]], None]:
    def edit(files: dict[str, bytes]) -> None:
        report = json.loads(files["report.json"])
        change(report)
        files["report.json"] = json.dumps(report, ensure_ascii=False).encode()

    return edit


def _rollup_value(report: dict) -> None:
    next(f for f in report["figures"] if f["ref"] == "F1")["value"] = "8"


def _ledger_value(report: dict) -> None:
    next(f for f in report["figures"] if f["ref"] == "F1-2")["value"] = "5"


def _envelope(files: dict[str, bytes]) -> None:
    files["ledgers/2/envelopes.jsonl"] = files["ledgers/2/envelopes.jsonl"].replace(
        b'"actor":"clerk"', b'"actor":"clerc"', 1
    )


def _swap_seals(files: dict[str, bytes]) -> None:
    first, second = files["ledgers/1/seal.txt"], files["ledgers/2/seal.txt"]
    files["ledgers/1/seal.txt"], files["ledgers/2/seal.txt"] = second, first


def _drop_part(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    manifest["ledgers"] = manifest["ledgers"][:1]
    files["manifest.json"] = json.dumps(manifest).encode()


TAMPERINGS: dict[str, tuple[Callable[[dict[str, bytes]], None], list[str]]] = {
    "a rolled-up value": (
        _edit_report(_rollup_value),
        ["F1 mediation.completed = 8: FAILED — the report says '8', its ledgers' figures give '7'"],
    ),
    "a ledger's value": (
        _edit_report(_ledger_value),
        [
            f"{LIANHUA}: F1-2 mediation.completed: FAILED — the report says '5'",
            "F1 mediation.completed = 7: FAILED — its ledger's figure F1-2 failed",
        ],
    ),
    "an envelope": (
        _envelope,
        [
            f"{LIANHUA}: FAILED — the envelopes do not rebuild the sealed root",
            "F1 mediation.completed = 7: FAILED — its ledger's figure F1-2 failed",
        ],
    ),
    "the seals swapped": (
        _swap_seals,
        [f"{HEHUA}: FAILED — its seal in the bundle is not the seal the report embeds"],
    ),
    "a ledger's part dropped": (
        _drop_part,
        [f"{LIANHUA}: FAILED — the bundle has no part for this ledger"],
    ),
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_a_tampered_set_bundle_fails_naming_the_ledger_and_figure(
    street: tuple[str, Path], tmp_path: Path, what: str
) -> None:
    _, folder = street
    change, messages = TAMPERINGS[what]
    result = run_verifier(rewrite(folder / "evidence.zip", tmp_path / "t.zip", change))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for message in messages:
        assert message in result.stdout, result.stdout


def test_each_ledger_needs_its_offices_key(
    street: tuple[str, Path], keys: dict[str, Signer], tmp_path: Path
) -> None:
    """Given keys replace the bundled ones; a ledger none of them signed fails by name."""
    _, folder = street
    result = run_verifier(folder / "evidence.zip", "--key", keys[HEHUA].verifier().to_text())
    assert result.returncode == 1
    assert f"{HEHUA}: F1-1" in result.stdout
    assert f"{LIANHUA}: FAILED — the seal of " in result.stdout


def test_the_writer_refuses_what_it_cannot_vouch_for(
    street: tuple[str, Path], keys: dict[str, Signer], tmp_path: Path
) -> None:
    url, folder = street
    report = (folder / "street.json").read_text(encoding="utf-8")
    target = tmp_path / "e.zip"
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        unsealed = ledgers.report(folder / "report.toml", period="2023").to_json()
        with pytest.raises(ValidationError, match="not read at a seal of ledger"):
            ledgers.evidence(unsealed, target)
        edited = report.replace('"value": "7"', '"value": "8"', 1)
        assert edited != report
        with pytest.raises(VerificationError, match="does not verify against these ledgers"):
            ledgers.evidence(edited, target)
        with pytest.raises(VerificationError, match=f"signed the seal of ledger '{LIANHUA}'"):
            ledgers.evidence(report, target, public_keys=[keys[HEHUA].verifier().to_text()])
        with Ledger.open(url, HEHUA) as one:
            single = one.report(write_template(tmp_path, ONE_SECTION), period="2023").to_json()
        with pytest.raises(ValidationError, match="civicledger-rollup-report/1"):
            ledgers.evidence(single, target)
    refused = pytest.raises(VerificationError, match=f"ledger '{LIANHUA}' of the report")
    with Ledger.open_many(url, names=[HEHUA]) as only_one, refused:
        only_one.evidence(report, target)
    assert not target.exists()


def test_the_cli_writes_a_set_bundle(
    street: tuple[str, Path], keys: dict[str, Signer], tmp_path: Path
) -> None:
    url, folder = street
    key_files = []
    for name, key in keys.items():
        path = tmp_path / f"{name.split('/')[1]}.pub"
        path.write_text(key.verifier().to_text(), encoding="utf-8")
        key_files += ["--public-key", str(path)]
    target = tmp_path / "cli.zip"
    args = ["--db", url.removeprefix("sqlite:///"), "evidence", "--ledger", HEHUA]
    args += ["--ledger", LIANHUA, "--report", str(folder / "street.json"), "-o", str(target)]
    result = CliRunner().invoke(cli, [*args, *key_files])
    assert result.exit_code == 0, result.output
    assert "2 ledgers" in result.stderr
    assert target.read_bytes() == (folder / "evidence.zip").read_bytes()
    refused = CliRunner().invoke(cli, [*args, "--seal", str(folder / "street.json")])
    assert refused.exit_code == 2
    assert "leave out --seal" in refused.stderr
