"""docs/audit.md agrees with the code: its example seal and key are exact and its snippet runs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docs_transcripts import ROOT, blocks, run_python

from civicledger.audit import Seal, Signer, TlogProof

PAGE = ROOT / "docs" / "audit.md"
DOC = PAGE.read_text(encoding="utf-8")

# The docs' example key: a fixed seed, so the example's Ed25519 signature is reproducible.
DOCS_KEY = Signer(
    "records.example.org/office", hashlib.sha256(b"civicledger docs example key").digest()
)


def page_blocks(language: str = "") -> list[str]:
    """The page's fenced code blocks with this info string (none: plain blocks)."""
    return blocks(PAGE, language)


def test_the_python_example_runs() -> None:
    """The page's Python walkthrough runs as written and its assertions hold."""
    run_python(page_blocks("python")[0], PAGE)


def test_the_cosigning_example_runs() -> None:
    (code,) = [b for b in page_blocks("python") if "ledger.cosign(" in b]
    run_python(code, PAGE)


def test_the_evidence_example_runs_and_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The evidence bundle snippet (run from the repository's root) prints the text after it."""
    (code,) = [b for b in page_blocks("python") if "ledger.evidence(" in b]
    root = ROOT
    monkeypatch.chdir(tmp_path)
    code = code.replace('"examples/', f'"{root}/examples/')
    run_python(code, PAGE)
    printed = capsys.readouterr().out
    (shown,) = [b for b in page_blocks("text") if b.startswith("wrote evidence-2023.zip")]
    assert printed == shown
    assert (tmp_path / "evidence-2023.zip").stat().st_size > 0


def test_the_signed_seal_example_is_exactly_what_seal_create_writes() -> None:
    """The example seal is byte for byte the seal civicledger makes for its stated values."""
    example = next(
        b for b in page_blocks() if b.startswith("records.example.org/community-x\n2987")
    )
    seal = Seal.create(
        origin="records.example.org/community-x",
        tree_size=2987,
        root_hash=hashlib.sha256(b"x").digest(),
        sealed_at=datetime(2024, 1, 5, 9, 30, tzinfo=UTC),
        signers=[DOCS_KEY],
    )
    assert example == seal.text
    assert Seal.parse(example).verify(DOCS_KEY.verifier()) == ("records.example.org/office",)


def test_the_verifier_key_example_is_the_docs_key() -> None:
    """The verifier key text quoted on the page is the public half of the example key."""
    assert DOCS_KEY.verifier().to_text() in DOC


def test_the_proof_example_has_the_layout_the_parser_reads() -> None:
    """The example proof, with its shortened extra line restored, parses as a tlog-proof."""
    example = next(b for b in page_blocks() if b.startswith("c2sp.org/tlog-proof@v1"))
    restored = re.sub(r"^extra .*$", "extra e30=", example, flags=re.MULTILINE)
    proof = TlogProof.parse(restored)
    assert (proof.index, len(proof.hashes), proof.seal.tree_size) == (2, 3, 5)
    assert proof.seal.verify(DOCS_KEY.verifier()) == ("records.example.org/office",)


def test_every_problem_kind_is_named_on_the_page() -> None:
    """Each kind of problem verify() can report is explained in the page."""
    from civicledger.audit import ProblemKind

    text = " ".join(DOC.split())
    for kind in ProblemKind:
        assert f"**{kind.value}**" in text, kind
