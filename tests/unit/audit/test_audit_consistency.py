"""Consistency proofs between two seals as text (issue 14, item 6): made by the ledger,
checked offline, and refused when tampered with or mixed with another ledger's seals."""

from __future__ import annotations

import base64

import pytest

from civicledger import Ledger, ValidationError, VerificationError
from civicledger.audit import (
    CONSISTENCY_HEADER,
    ConsistencyProof,
    Seal,
    Signer,
    verify_consistency_proof,
)
from store_testkit import count

ORIGIN = "records.example.org/community-x"


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("records.example.org/office")


def grown(office: Signer, *, origin: str = ORIGIN, first: int = 5, then: int = 7) -> list[Seal]:
    """Seals of one ledger at ``first`` events and at ``first + then`` events."""
    with Ledger.in_memory(origin=origin) as ledger:
        ledger.append("counts", [count(i) for i in range(first)], actor="clerk")
        old = ledger.seal(office)
        ledger.append("counts", [count(i) for i in range(then)], actor="clerk")
        return [old, ledger.seal(office)]


@pytest.fixture(scope="module")
def ledger(office: Signer) -> Ledger:
    """A ledger sealed at 5 and at 12 events (kept open for the module)."""
    ledger = Ledger.in_memory(origin=ORIGIN)
    ledger.append("counts", [count(i) for i in range(5)], actor="clerk")
    ledger.seal(office)
    ledger.append("counts", [count(i) for i in range(7)], actor="clerk")
    ledger.seal(office)
    return ledger


@pytest.fixture(scope="module")
def proof(ledger: Ledger) -> str:
    old, new = ledger.seals()
    return ledger.prove_consistency(old, new)


def test_a_proof_between_two_seals_verifies_offline_with_the_key(
    proof: str, office: Signer
) -> None:
    """The text names its format, carries both seals, and checks with the office's key."""
    assert proof.startswith(CONSISTENCY_HEADER + "\nold ")
    verified = verify_consistency_proof(proof, public_key=office.verifier().to_text())
    assert (verified.old.tree_size, verified.new.tree_size) == (5, 12)
    assert verified.signed_by == ("records.example.org/office",)
    assert str(verified).startswith(f"consistent: {ORIGIN} at size 12 extends its seal at size 5")
    assert verify_consistency_proof(proof).signed_by == ()


def test_the_text_round_trips(proof: str) -> None:
    """Parsing and writing again gives the same bytes."""
    assert ConsistencyProof.parse(proof).to_text() == proof


def test_equal_seals_need_no_hashes(ledger: Ledger) -> None:
    """A seal is consistent with itself: the proof has no hash lines."""
    _, new = ledger.seals()
    text = ledger.prove_consistency(new, new)
    assert ConsistencyProof.parse(text).hashes == ()
    assert verify_consistency_proof(text).new.tree_size == 12


def test_a_changed_hash_fails(proof: str) -> None:
    """Flipping one proof hash makes verification fail, naming both sizes."""
    parsed = ConsistencyProof.parse(proof)
    first = bytes([parsed.hashes[0][0] ^ 1]) + parsed.hashes[0][1:]
    bad = ConsistencyProof(parsed.old, (first, *parsed.hashes[1:]), parsed.new).to_text()
    with pytest.raises(VerificationError, match=r"at size 12 is not proven to extend .* size 5"):
        verify_consistency_proof(bad)


def test_a_missing_hash_fails(proof: str) -> None:
    """A proof one hash short is refused for its length."""
    parsed = ConsistencyProof.parse(proof)
    bad = ConsistencyProof(parsed.old, parsed.hashes[:-1], parsed.new).to_text()
    with pytest.raises(VerificationError, match="not proven to extend"):
        verify_consistency_proof(bad)


def test_an_older_seal_of_another_history_fails(proof: str, office: Signer) -> None:
    """A seal of the same origin over other events (another history, signed by the same
    office) put in place of the older seal: the proof no longer leads to its root."""
    other_old, _ = grown(office)  # same counts, other salts: another tree
    parsed = ConsistencyProof.parse(proof)
    bad = ConsistencyProof(other_old, parsed.hashes, parsed.new).to_text()
    with pytest.raises(VerificationError, match="not proven to extend"):
        verify_consistency_proof(bad, public_key=office.verifier().to_text())


def test_seals_of_two_ledgers_are_refused_by_name(proof: str, office: Signer) -> None:
    """An older seal from a ledger with another origin is refused, naming both origins."""
    foreign, _ = grown(office, origin="records.example.org/elsewhere")
    parsed = ConsistencyProof.parse(proof)
    bad = ConsistencyProof(foreign, parsed.hashes, parsed.new).to_text()
    with pytest.raises(VerificationError, match=r"different ledgers: records\.example\.org/else"):
        verify_consistency_proof(bad)


def test_a_seal_not_signed_by_the_trusted_key_fails(proof: str) -> None:
    """Checking against another key fails, naming which seal."""
    stranger = Signer.generate("records.example.org/office").verifier().to_text()
    with pytest.raises(VerificationError, match="the older seal"):
        verify_consistency_proof(proof, public_key=stranger)


def test_swapped_seals_are_refused(proof: str) -> None:
    """An older seal larger than the newer one is refused (the text cannot be read backwards)."""
    parsed = ConsistencyProof.parse(proof)
    swapped = ConsistencyProof(parsed.new, parsed.hashes, parsed.old).to_text()
    with pytest.raises(VerificationError, match="more than the newer seal's 5"):
        verify_consistency_proof(swapped)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace(CONSISTENCY_HEADER, "c2sp.org/tlog-proof@v1"), "line 1 must be"),
        (lambda t: t.replace("\nold ", "\nolder "), "line 2 must be 'old"),
        (lambda t: t.replace("\nold ", "\nold !"), "line 2: the older seal is not valid base64"),
        (lambda t: t.replace("\n\n", "\n"), "no blank line"),
        (
            lambda t: t.split("\n\n")[0] + "\n\nnot a seal\n",
            "the newer seal .* cannot be read",
        ),
    ],
)
def test_malformed_texts_are_named(proof: str, edit: object, message: str) -> None:
    """Each malformed part is a ValidationError saying which line or part."""
    with pytest.raises(ValidationError, match=message):
        verify_consistency_proof(edit(proof))  # type: ignore[operator]


def test_an_older_seal_line_that_is_not_a_seal_is_named(proof: str) -> None:
    """Line 2 decodes but is not a checkpoint: the message says so, on line 2."""
    junk = base64.b64encode(b"hello\n").decode()
    lines = proof.split("\n")
    lines[1] = "old " + junk
    with pytest.raises(ValidationError, match="line 2: the older seal cannot be read"):
        verify_consistency_proof("\n".join(lines))


def test_the_ledger_refuses_seals_it_did_not_make(ledger: Ledger, office: Signer) -> None:
    """Seals of the same origin but another history give no proof; another origin, and the
    seals in the wrong order, are refused by name."""
    old, new = ledger.seals()
    other_old, _ = grown(office)
    with pytest.raises(VerificationError, match="the ledger changed since"):
        ledger.prove_consistency(other_old, new)
    foreign, _ = grown(office, origin="records.example.org/elsewhere")
    with pytest.raises(ValidationError, match=r"seal is for records\.example\.org/elsewhere"):
        ledger.prove_consistency(foreign, new)
    with pytest.raises(ValidationError, match="give the older seal first"):
        ledger.prove_consistency(new, old)
