"""Evidence bundles carry the keys of the cosigners of their seals (civicledger-evidence/2,
civicledger-set-evidence/2), and examples/verify_evidence.py checks every cosignature of
every seal: a forged one, one by the wrong key or one moved to another seal fails, naming
the ledger, the seal and the cosigner; one whose key nobody gave is not checkable. The /1
bundles of tests/fixtures/evidence_v1, made before /2, still verify."""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicledger import Ledger, VerificationError
from civicledger.audit import Signer
from civicledger.cli import cli
from civicledger.ledgerset import LATEST_SEAL
from civicledger.reports.evidence import EVIDENCE_FORMAT
from civicledger.reports.evidence_set import SET_EVIDENCE_FORMAT
from contract.test_cosignatures import forged_by, insert_row
from evidence_testkit import STREET_TEMPLATE, rewrite, run_verifier, two_communities
from report_testkit import ONE_SECTION, write_template

HEHUA, LIANHUA = "和平街道/荷花社区", "和平街道/莲花社区"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "evidence_v1"
Files = dict[str, bytes]


@pytest.fixture(scope="module")
def street_key() -> Signer:
    return Signer.generate("street.example/office")


@pytest.fixture(scope="module")
def offices() -> dict[str, Signer]:
    return {name: Signer.generate(f"{name.split('/')[1]}.example") for name in (HEHUA, LIANHUA)}


@pytest.fixture(scope="module")
def street(
    tmp_path_factory: pytest.TempPathFactory, offices: dict[str, Signer], street_key: Signer
) -> tuple[str, Path]:
    """Two communities, each sealed by its office and the seal countersigned by the street;
    the street's report read at those seals, and its bundle with the street's key."""
    folder = tmp_path_factory.mktemp("cosigned-street")
    url = f"sqlite:///{folder / 'street.db'}"
    two_communities(url)
    for name, key in offices.items():
        with Ledger.open(url, name) as ledger:
            ledger.cosign(ledger.seal(key), street_key)
    template = write_template(folder, STREET_TEMPLATE)
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        report = ledgers.report(template, period="2023", as_of=LATEST_SEAL)
        (folder / "street.json").write_text(report.to_json(), encoding="utf-8")
        summary = ledgers.evidence(
            folder / "street.json",
            folder / "evidence.zip",
            public_keys=[k.verifier().to_text() for k in offices.values()],
            cosigner_keys=[street_key.verifier().to_text()],
        )
    assert f"{LIANHUA}: seal cosigned by street.example/office: checked" in str(summary)
    return url, folder


def _origin(url: str, name: str) -> str:
    """A ledger's origin (two_communities lets Ledger.open make one up)."""
    with Ledger.open(url, name) as ledger:
        return ledger.origin


def _lines(result: object) -> list[str]:
    return str(getattr(result, "stdout", "")).splitlines()


def test_the_bundle_lists_each_cosignature_with_its_key(
    street: tuple[str, Path], street_key: Signer
) -> None:
    _, folder = street
    with zipfile.ZipFile(folder / "evidence.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        [part, _] = manifest["ledgers"]
        [entry] = part["cosignatures"]
        key_text = archive.read(entry["public_key"]).decode().strip()
    assert manifest["format"] == SET_EVIDENCE_FORMAT == "civicledger-set-evidence/2"
    assert entry["signer"] == "street.example/office"
    assert entry["cosigned_at"].endswith("Z")
    assert key_text == street_key.verifier().to_text()
    assert manifest["ledgers"][1]["cosignatures"][0]["public_key"] == entry["public_key"]


def test_every_cosignature_is_checked_offline(street: tuple[str, Path]) -> None:
    _, folder = street
    result = run_verifier(folder / "evidence.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    for name, size in ((HEHUA, None), (LIANHUA, 4)):
        [line] = [x for x in _lines(result) if x.startswith(f"{name}: cosignature by")]
        assert "street.example/office" in line
        assert line.endswith(
            "checked (key taken from the bundle; compare it with the one the cosigner publishes)"
        ), line
        if size is not None:
            assert f"at size {size}: checked" in line
    assert _lines(result)[-1] == "OK: every figure checked or partly checked"


def test_a_cosignature_without_its_key_is_not_checkable(
    street: tuple[str, Path], offices: dict[str, Signer], street_key: Signer, tmp_path: Path
) -> None:
    url, folder = street
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        summary = ledgers.evidence(folder / "street.json", tmp_path / "keyless.zip")
    assert f"{HEHUA}: seal cosigned by street.example/office: not checkable" in str(summary)
    with zipfile.ZipFile(tmp_path / "keyless.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [p["cosignatures"][0]["public_key"] for p in manifest["ledgers"]] == [None, None]
    office_keys = [a for k in offices.values() for a in ("--key", k.verifier().to_text())]
    result = run_verifier(tmp_path / "keyless.zip", *office_keys)
    assert result.returncode == 0, result.stdout
    unchecked = [x for x in _lines(result) if ": cosignature by " in x]
    assert len(unchecked) == 2
    assert all(
        x.endswith("not checkable — no key of that name (pass --cosigner-key)") for x in unchecked
    )
    given = run_verifier(
        tmp_path / "keyless.zip", *office_keys, "--cosigner-key", street_key.verifier().to_text()
    )
    assert given.returncode == 0, given.stdout
    assert sum(x.endswith(": checked") for x in _lines(given) if ": cosignature by " in x) == 2


def test_of_several_keys_of_the_cosigners_name_the_one_that_signed_checks(
    street: tuple[str, Path], street_key: Signer, tmp_path: Path
) -> None:
    """A street that changed its key passes both; its cosignatures check by the right one,
    and only that one goes into the bundle."""
    url, folder = street
    old = Signer.generate(street_key.name).verifier()
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        summary = ledgers.evidence(
            folder / "street.json", tmp_path / "e.zip", cosigner_keys=[old, street_key]
        )
    assert str(summary).count("seal cosigned by street.example/office: checked") == 2
    with zipfile.ZipFile(tmp_path / "e.zip") as archive:
        [key_file] = [n for n in archive.namelist() if n.startswith("cosigners/")]
        assert archive.read(key_file).decode().strip() == street_key.verifier().to_text()


# -- tampering -----------------------------------------------------------------------


def _cosignature_line(seal_text: str) -> str:
    return seal_text.rstrip("\n").split("\n")[-1]


def _set_seal(files: Files, number: int, seal_text: str) -> None:
    """Put a seal text into a ledger's folder and into the report, which embeds it."""
    files[f"ledgers/{number}/seal.txt"] = seal_text.encode()
    report = json.loads(files["report.json"])
    report["ledgers"][number - 1]["checkpoint"] = seal_text
    files["report.json"] = json.dumps(report, ensure_ascii=False).encode()


def _forge_signature(files: Files) -> None:
    seal = files["ledgers/2/seal.txt"].decode()
    line = _cosignature_line(seal)
    head, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1  # the last byte of the Ed25519 signature
    _set_seal(files, 2, seal.replace(line, f"{head} {base64.b64encode(raw).decode()}"))


def _move_from_first(files: Files) -> None:
    """The street's line of 荷花's seal put in place of its line of 莲花's seal."""
    first = _cosignature_line(files["ledgers/1/seal.txt"].decode())
    second = files["ledgers/2/seal.txt"].decode()
    _set_seal(files, 2, second.replace(_cosignature_line(second), first))


def _swap_bundled_key(files: Files) -> None:
    """Another key of the street's name in place of the street's key in the bundle."""
    impostor = Signer.generate("street.example/office").verifier().to_text()
    [name] = [n for n in files if n.startswith("cosigners/")]
    files[name] = impostor.encode() + b"\n"


TAMPERINGS: dict[str, tuple[Callable[[Files], None], str]] = {
    "a forged signature": (
        _forge_signature,
        "it does not verify: the key did not sign this seal's checkpoint at its stated time",
    ),
    "a cosignature moved to another seal": (
        _move_from_first,
        "it does not verify: the key did not sign this seal's checkpoint at its stated time",
    ),
    "another key of the cosigner's name in the bundle": (
        _swap_bundled_key,
        "it is by a key with id",
    ),
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_a_bad_cosignature_fails_naming_ledger_seal_and_cosigner(
    street: tuple[str, Path], tmp_path: Path, what: str
) -> None:
    url, folder = street
    change, why = TAMPERINGS[what]
    result = run_verifier(rewrite(folder / "evidence.zip", tmp_path / "t.zip", change))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    # The key file is shared by both seals: swapping it fails both; the others fail 莲花's.
    failures = [x for x in _lines(result) if "FAILED — " in x and ": cosignature by " in x]
    assert len(failures) == (2 if "bundle" in what else 1), result.stdout
    failed = failures[-1]
    assert failed.startswith(f"{LIANHUA}: cosignature by street.example/office ("), failed
    assert f"UTC) of the seal of {_origin(url, LIANHUA)} at size 4: FAILED — " in failed
    assert why in failed, failed
    assert _lines(result)[-1] == "FAILED: see above"


def test_the_auditors_own_key_replaces_the_bundled_one(
    street: tuple[str, Path], offices: dict[str, Signer]
) -> None:
    """An auditor who holds the street's published key catches a bundle whose cosignatures
    were made by another key of the street's name; one without any key cannot check."""
    _, folder = street
    impostor = Signer.generate("street.example/office").verifier().to_text()
    result = run_verifier(folder / "evidence.zip", "--cosigner-key", impostor)
    assert result.returncode == 1
    failed = [x for x in _lines(result) if ": cosignature by " in x and "FAILED" in x]
    assert len(failed) == 2
    assert all("not by the given key of that name" in x for x in failed)


def test_the_writer_refuses_a_cosignature_an_insider_stored_with_raw_sql(
    tmp_path: Path, offices: dict[str, Signer], street_key: Signer
) -> None:
    """A row inserted with raw SQL by a key named like the street's is stored, shown in the
    report and carried by its seal text; the writer, given the street's real key, refuses
    to vouch for it, naming the ledger, the seal and the cosigner."""
    url = f"sqlite:///{tmp_path / 'street.db'}"
    two_communities(url)
    impostor = Signer.generate(street_key.name)
    for name, key in offices.items():
        with Ledger.open(url, name) as ledger:
            ledger.seal(key)
            if name == LIANHUA:
                insert_row(ledger, forged_by(ledger, impostor))
            else:
                ledger.cosign(ledger.seals()[-1], street_key)
    template = write_template(tmp_path, STREET_TEMPLATE)
    target = tmp_path / "e.zip"
    with Ledger.open_many(url, prefix="和平街道/") as ledgers:
        report = ledgers.report(template, period="2023", as_of=LATEST_SEAL)
        assert "street.example/office" in report.ledgers[1].checkpoint  # type: ignore[operator]
        with pytest.raises(VerificationError) as refused:
            ledgers.evidence(report, target, cosigner_keys=[street_key.verifier()])
        # Without the street's key the writer cannot tell: the bundle says so.
        summary = ledgers.evidence(report, target)
    message = str(refused.value)
    assert message.startswith(f"ledger '{LIANHUA}': the cosignature by street.example/office")
    assert f"of the seal of {_origin(url, LIANHUA)} at size 4" in message
    assert "another key signed it under that name" in message
    assert f"{LIANHUA}: seal cosigned by street.example/office: not checkable" in str(summary)


# -- one ledger ---------------------------------------------------------------------


def test_a_one_ledger_bundle_carries_the_reports_cosigned_seal(
    tmp_path: Path, offices: dict[str, Signer], street_key: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the plain seal, the CLI bundles the cosigned seal the report embeds, with the
    street's key, and the verifier checks the cosignature."""
    db = tmp_path / "street.db"
    two_communities(f"sqlite:///{db}")
    template = write_template(tmp_path, ONE_SECTION)
    with Ledger.open(f"sqlite:///{db}", HEHUA) as ledger:
        seal = ledger.seal(offices[HEHUA])
        ledger.cosign(seal, street_key)
        report = ledger.report(template, period="2023", as_of=ledger.cosigned(seal))
    (tmp_path / "report.json").write_text(report.to_json(), encoding="utf-8")
    (tmp_path / "seal.txt").write_text(seal.text, encoding="utf-8")
    for name, key in (("office.pub", offices[HEHUA]), ("street.pub", street_key)):
        (tmp_path / name).write_text(key.verifier().to_text(), encoding="utf-8")
    args = ["--db", str(db), "--ledger", HEHUA, "evidence", "--report", "report.json"]
    args += ["--seal", "seal.txt", "--public-key", "office.pub", "--cosigner-key", "street.pub"]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*args, "-o", "evidence.zip"])
    assert result.exit_code == 0, result.output
    assert "seal cosigned by street.example/office: checked" in result.stderr
    with zipfile.ZipFile(tmp_path / "evidence.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        bundled_seal = archive.read("seal.txt").decode()
    assert manifest["format"] == EVIDENCE_FORMAT == "civicledger-evidence/2"
    assert bundled_seal == json.loads(report.to_json())["as_of"]["checkpoint"] != seal.text
    checked = run_verifier(tmp_path / "evidence.zip")
    assert checked.returncode == 0, checked.stdout
    [line] = [x for x in _lines(checked) if x.startswith("cosignature by")]
    assert f"of the seal of {seal.origin} at size {seal.tree_size}: checked" in line
    assert ": checked (key taken from the bundle" in line

    def forge(files: Files) -> None:
        text = files["seal.txt"].decode()
        line = _cosignature_line(text)
        head, encoded = line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(encoded))
        raw[-1] ^= 1
        forged = text.replace(line, f"{head} {base64.b64encode(raw).decode()}")
        files["seal.txt"] = forged.encode()
        data = json.loads(files["report.json"])
        data["as_of"]["checkpoint"] = forged
        files["report.json"] = json.dumps(data, ensure_ascii=False).encode()

    forged = run_verifier(rewrite(tmp_path / "evidence.zip", tmp_path / "f.zip", forge))
    assert forged.returncode == 1
    assert any(
        x.startswith("cosignature by") and "FAILED — it does not verify" in x
        for x in _lines(forged)
    ), forged.stdout

    def strip_report(files: Files) -> None:
        data = json.loads(files["report.json"])
        data["as_of"]["checkpoint"] = seal.text
        files["report.json"] = json.dumps(data, ensure_ascii=False).encode()

    other = run_verifier(rewrite(tmp_path / "evidence.zip", tmp_path / "s.zip", strip_report))
    assert other.returncode == 1
    assert "the bundle's seal is not the seal the report embeds" in other.stdout


# -- the /1 bundles made before /2 --------------------------------------------------


@pytest.mark.parametrize("bundle", ["community.zip", "street.zip"])
def test_v1_bundles_still_verify_and_their_cosignatures_check_with_a_given_key(
    bundle: str, tmp_path: Path
) -> None:
    copy = shutil.copy(FIXTURES / bundle, tmp_path / bundle)
    with zipfile.ZipFile(copy) as archive:
        fmt = json.loads(archive.read("manifest.json"))["format"]
    assert fmt in ("civicledger-evidence/1", "civicledger-set-evidence/1")
    plain = run_verifier(Path(copy))
    assert plain.returncode == 0, plain.stdout
    cosigned = [x for x in _lines(plain) if "cosignature by fixture.example/street" in x]
    assert cosigned
    assert all(
        x.endswith("not checkable — no key of that name (pass --cosigner-key)") for x in cosigned
    )
    keyed = run_verifier(Path(copy), "--cosigner-key", str(FIXTURES / "street.pub"))
    assert keyed.returncode == 0, keyed.stdout
    checked = [x for x in _lines(keyed) if "cosignature by fixture.example/street" in x]
    assert len(checked) == len(cosigned)
    assert all(x.endswith(": checked") for x in checked)
    impostor = Signer.generate("fixture.example/street").verifier().to_text()
    wrong = run_verifier(Path(copy), "--cosigner-key", impostor)
    assert wrong.returncode == 1
    assert "not by the given key of that name" in wrong.stdout


def test_a_v1_bundle_is_held_to_the_checkpoint_its_report_embeds(tmp_path: Path) -> None:
    """A /1 bundle's seal may lack the report's cosignature lines, so the verifier reads
    the report's own seal text, which must be of the bundle seal's checkpoint."""

    def other_checkpoint(files: Files) -> None:
        data = json.loads(files["report.json"])
        text = data["as_of"]["checkpoint"]
        data["as_of"]["checkpoint"] = text.replace("sealed-at 20", "sealed-at 19", 1)
        files["report.json"] = json.dumps(data, ensure_ascii=False).encode()

    changed = rewrite(FIXTURES / "community.zip", tmp_path / "c.zip", other_checkpoint)
    result = run_verifier(changed)
    assert result.returncode == 1
    assert "the report embeds another checkpoint than the bundle's seal" in result.stdout
