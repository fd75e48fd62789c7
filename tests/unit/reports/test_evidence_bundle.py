"""Evidence bundles (issue 14, items 4 and 5): written by ``ledger.evidence``, checked by
examples/verify_evidence.py without civicledger, and refused when tampered with."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from civicledger import Ledger, ValidationError, VerificationError
from civicledger.audit import Seal, Signer
from civicledger.projections.toml import indicator_from_data
from civicledger.reports.evidence import EVIDENCE_FORMAT, fields_read
from evidence_testkit import rewrite, run_verifier
from report_testkit import ONE_SECTION, small_ledger, write_template

TABLE = """
  [[sections.items]]
  kind = "indicators"
  ids = ["mediation.completed", "mediation.successful", "inspection.passed_by_level"]
"""


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("example.invalid/office")


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory, office: Signer
) -> Iterator[tuple[Ledger, Seal, Path]]:
    """The small ledger sealed, its report rendered as of the seal, and its bundle."""
    folder = tmp_path_factory.mktemp("evidence")
    template = write_template(folder, ONE_SECTION + TABLE)
    with small_ledger() as ledger:
        seal = ledger.seal(office)
        report = ledger.report(template, period="2023", as_of=seal)
        (folder / "report.json").write_text(report.to_json(), encoding="utf-8")
        ledger.evidence(
            folder / "report.json",
            seal,
            folder / "evidence.zip",
            public_key=office.verifier().to_text(),
        )
        yield ledger, seal, folder


def test_every_figure_of_a_bundle_checks_offline(published: tuple[Ledger, Seal, Path]) -> None:
    """The verifier, without civicledger, checks the signature, the tree, and every figure."""
    _, seal, folder = published
    result = run_verifier(folder / "evidence.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "signed by example.invalid/office" in lines[1]
    assert lines[2] == f"envelopes: all {seal.tree_size} rebuild the sealed root"
    figures = [line for line in lines if line.startswith("F")]
    assert len(figures) == 7
    assert all(line.endswith(": checked") for line in figures), figures
    assert any("280余人" in line for line in figures)
    assert any("达66.67%" in line for line in figures)


def test_the_manifest_discloses_only_fields_the_indicators_read(
    published: tuple[Ledger, Seal, Path],
) -> None:
    """Every disclosed name is read by the figure's indicator (per event type); every event
    of its types in its period is listed, counted or with the reason it did not count."""
    _, _, folder = published
    with zipfile.ZipFile(folder / "evidence.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == EVIDENCE_FORMAT
        report = json.loads(archive.read("report.json"))
        lineages = {f["ref"]: f["lineage"] for f in report["figures"]}
        disclosed_names = 0
        for entry in manifest["figures"]:
            for part, lineage in _parts(entry, lineages[entry["ref"]]):
                indicator = indicator_from_data(lineage["definition"])
                read = fields_read(indicator)
                for line in archive.read(part["disclosures"]).splitlines():
                    disclosure = json.loads(line)
                    event_type = json.loads(disclosure["envelope"])["type"]
                    names = {name for _, name, _ in disclosure["disclosed"]}
                    assert names == read[event_type]
                    disclosed_names += len(names)
                uncounted = [e for e in part["events"] if not e["counted"]]
                assert all(e["reason"] for e in uncounted)
                assert {e["event_id"] for e in part["events"] if e["counted"]} == {
                    c["event_id"] for c in lineage["contributions"]
                }
    assert disclosed_names > 0


def _parts(entry: dict[str, Any], lineage: dict[str, Any]) -> Iterator[tuple[dict, dict]]:
    if "numerator" in entry:
        yield from _parts(entry["numerator"], lineage["numerator"])
        yield from _parts(entry["denominator"], lineage["denominator"])
    else:
        yield entry, lineage


def _first_disclosure(files: dict[str, bytes], field: str) -> tuple[str, int, dict[str, Any]]:
    for name in sorted(files):
        if name.startswith("figures/"):
            for number, line in enumerate(files[name].splitlines()):
                data = json.loads(line)
                if any(n == field for _, n, _ in data["disclosed"]):
                    return name, number, data
    raise AssertionError(f"no disclosure of {field}")


def _change_value(files: dict[str, bytes]) -> None:
    name, number, data = _first_disclosure(files, "attendees")
    data["disclosed"] = [[s, n, v + 30 if n == "attendees" else v] for s, n, v in data["disclosed"]]
    lines = files[name].splitlines()
    lines[number] = json.dumps(data, ensure_ascii=False).encode()
    files[name] = b"\n".join(lines) + b"\n"


def _drop_disclosure(files: dict[str, bytes]) -> None:
    name, number, _ = _first_disclosure(files, "attendees")
    lines = files[name].splitlines()
    del lines[number]
    files[name] = b"".join(line + b"\n" for line in lines)


def _disclose_twice(files: dict[str, bytes]) -> None:
    name, number, _ = _first_disclosure(files, "attendees")
    files[name] += files[name].splitlines(keepends=True)[number]


def _envelopes(change: Callable[[list[bytes]], None]) -> Callable[[dict[str, bytes]], None]:
    def apply(files: dict[str, bytes]) -> None:
        lines = files["envelopes.jsonl"].splitlines()
        change(lines)
        files["envelopes.jsonl"] = b"".join(line + b"\n" for line in lines)

    return apply


def _swap(lines: list[bytes]) -> None:
    lines[3], lines[4] = lines[4], lines[3]


def _printed(files: dict[str, bytes]) -> None:
    files["report.json"] = files["report.json"].replace("280余人".encode(), "290余人".encode())


TAMPERINGS = {
    "a disclosed value changed": (_change_value, "do not hash to the envelope's payload digest"),
    "a disclosure dropped": (_drop_disclosure, "has no disclosure of attendees"),
    "a disclosure added twice": (_disclose_twice, "again or although it is not an event"),
    "an event dropped": (_envelopes(lambda lines: lines.pop(5)), "events were dropped"),
    "an event added": (_envelopes(lambda lines: lines.append(lines[-1])), "events were added"),
    "two envelopes swapped": (_envelopes(_swap), "envelope 4 says position 5: envelopes are out"),
    "a printed phrase changed": (_printed, "the report prints '290余人'"),
}


def _manifest_missing_envelopes(files: dict[str, bytes]) -> None:
    manifest = json.loads(files["manifest.json"])
    del manifest["envelopes"]
    files["manifest.json"] = json.dumps(manifest).encode()


MALFORMED = {
    "a manifest that is a list": (
        lambda files: files.update({"manifest.json": b"[]"}),
        "manifest.json: format must be",
    ),
    "a manifest without its envelopes": (_manifest_missing_envelopes, "member 'envelopes'"),
    "no report": (lambda files: files.pop("report.json"), "no file 'report.json'"),
    "a disclosure that is not JSON": (
        lambda files: files.update({"figures/F2.jsonl": b"{not json\n"}),
        "FAILED — the bundle is malformed",
    ),
}
TAMPERINGS |= MALFORMED


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_a_tampered_bundle_fails_naming_what(
    published: tuple[Ledger, Seal, Path], tmp_path: Path, what: str
) -> None:
    """Each tampering, and each bundle not shaped as documented, makes the verifier exit 1
    with a message naming what is wrong (never a traceback)."""
    _, _, folder = published
    change, message = TAMPERINGS[what]
    bundle = rewrite(folder / "evidence.zip", tmp_path / "tampered.zip", change)
    result = run_verifier(bundle)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert message in result.stdout, result.stdout


def test_another_ledgers_seal_fails(
    published: tuple[Ledger, Seal, Path], tmp_path: Path, office: Signer
) -> None:
    """A seal of another ledger, signed by the same key, put in the bundle: refused by name."""
    _, _, folder = published
    with small_ledger() as other:
        foreign = other.seal(office).text.encode()

    def swap_seal(files: dict[str, bytes]) -> None:
        files["seal.txt"] = foreign

    result = run_verifier(rewrite(folder / "evidence.zip", tmp_path / "t.zip", swap_seal))
    assert result.returncode == 1
    assert "not as of this seal" in result.stdout


def test_a_key_that_did_not_sign_the_seal_fails(
    published: tuple[Ledger, Seal, Path], tmp_path: Path
) -> None:
    """--key overrides the bundle's key; a stranger's key finds no signature."""
    _, _, folder = published
    stranger = Signer.generate("example.invalid/office").verifier().to_text()
    result = run_verifier(folder / "evidence.zip", "--key", stranger)
    assert result.returncode == 1
    assert "does not verify" in result.stdout or "no signature" in result.stdout


def test_the_writer_refuses_what_it_cannot_vouch_for(
    published: tuple[Ledger, Seal, Path], tmp_path: Path, office: Signer
) -> None:
    """An unsealed report, a report of another seal, an edited report and a key that did not
    sign the seal are each refused, naming why; nothing is written."""
    ledger, seal, folder = published
    report = (folder / "report.json").read_text(encoding="utf-8")
    target = tmp_path / "e.zip"
    unsealed = ledger.report(folder / "report.toml", period="2023").to_json()
    with pytest.raises(ValidationError, match="not computed as of this seal"):
        ledger.evidence(unsealed, seal, target)
    edited = report.replace("280余人", "290余人")
    with pytest.raises(VerificationError, match="does not verify against this ledger"):
        ledger.evidence(edited, seal, target)
    stranger = Signer.generate("example.invalid/office").verifier().to_text()
    with pytest.raises(VerificationError):
        ledger.evidence(report, seal, target, public_key=stranger)
    with pytest.raises(ValidationError, match="or a Path to its file"):
        ledger.evidence(str(folder / "report.json"), seal, target)
    old = json.loads(report)
    old["format"] = "civicledger-report/1"
    with pytest.raises(ValidationError, match="civicledger-report/2"):
        ledger.evidence(json.dumps(old), seal, target)
    assert not target.exists()


def test_retracted_and_corrected_events(tmp_path: Path, office: Signer) -> None:
    """A retracted training leaves the figures checked (the retraction's target is disclosed);
    a corrected one makes the figures that read it partly checked, saying which event."""
    template = write_template(tmp_path, ONE_SECTION)
    with small_ledger() as ledger:
        trainings = list(ledger.read(types=["training_held"]))
        ledger.retract(trainings[0].event_id, reason="重复登记", actor="clerk")
        seal = ledger.seal(office)
        report = ledger.report(template, period="2023", as_of=seal)
        ledger.evidence(report, seal, tmp_path / "retracted.zip")
        replacement = attrs.evolve(trainings[1].payload, attendees=75)
        ledger.correct(trainings[1].event_id, replacement, reason="录入错误", actor="clerk")
        later = ledger.seal(office)
        corrected = ledger.report(template, period="2023", as_of=later)
        ledger.evidence(corrected, later, tmp_path / "corrected.zip")
    key = office.verifier().to_text()
    result = run_verifier(tmp_path / "retracted.zip", "--key", key)
    assert result.returncode == 0, result.stdout
    figures = [line for line in result.stdout.splitlines() if line[:1] == "F"]
    assert all(line.endswith(": checked") for line in figures), figures
    result = run_verifier(tmp_path / "corrected.zip", "--key", key)
    assert result.returncode == 0, result.stdout
    partly = [line for line in result.stdout.splitlines() if line[:1] == "F" and "partly" in line]
    assert len(partly) == 2, result.stdout
    assert all(f"event {trainings[1].event_id} was corrected" in line for line in partly), partly


def test_an_sm3_ledger_gives_a_bundle_that_checks(tmp_path: Path, office: Signer) -> None:
    """The bundle of an SM3 ledger checks when this Python has SM3 (or says it cannot)."""
    template = write_template(tmp_path, ONE_SECTION)
    with small_ledger(hash_algorithm="sm3") as ledger:
        seal = ledger.seal(office)
        ledger.evidence(
            ledger.report(template, period="2023", as_of=seal), seal, tmp_path / "sm3.zip"
        )
    result = run_verifier(tmp_path / "sm3.zip", "--key", office.verifier().to_text())
    if "cannot compute sm3" in result.stdout:
        assert result.returncode == 1
    else:
        assert result.returncode == 0, result.stdout
        assert "envelopes: all" in result.stdout


def test_a_v1_ledger_cannot_disclose_values_and_says_so(tmp_path: Path) -> None:
    """A ledger of leaf format v1 commits to whole payloads: its bundle is refused by name."""
    from civicledger.store import MemoryStore

    template = write_template(tmp_path, ONE_SECTION)
    with (
        Ledger(MemoryStore(origin="example.invalid/v1", leaf_version=1)) as ledger,
        small_ledger() as source,
    ):
        for event in source.read(types=["training_held", "mediation_completed"]):
            ledger.append(event.stream, [event.payload], actor=event.actor)
        seal = ledger.seal()
        report = ledger.report(template, period="2023", as_of=seal)
        with pytest.raises(ValidationError, match="leaf format v1"):
            ledger.evidence(report, seal, tmp_path / "v1.zip")
    assert not (tmp_path / "v1.zip").exists()
