"""Ed25519 note keys: the signed-note text formats, key ids, and the missing-extra error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from civicledger import CivicLedgerError, ValidationError
from civicledger.audit import Signer, Verifier, generate_key
from civicledger.audit.keys import as_verifiers, key_id
from civicledger.audit.note import join_note, sign_text

# The example key pair and note of golang.org/x/mod/sumdb/note (its package docs
# and tests): an independent implementation our bytes must match exactly.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signing_the_go_example_reproduces_its_note_byte_for_byte() -> None:
    """Our signer key parsing, key id and signature line match Go's sumdb/note exactly."""
    signer = Signer.from_text(GO_SIGNER)
    assert join_note(GO_TEXT, [sign_text(GO_TEXT, signer)]) == GO_NOTE


def test_signer_derives_the_go_verifier_key_text() -> None:
    """The public half of Go's example signer key is Go's example verifier key."""
    assert Signer.from_text(GO_SIGNER).verifier().to_text() == GO_VERIFIER


def test_verifier_key_text_round_trips() -> None:
    """Parsing a verifier key text and writing it back gives the same text."""
    verifier = Verifier.from_text(GO_VERIFIER)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == 0xC74F20A3
    assert verifier.to_text() == GO_VERIFIER


def test_key_id_is_the_first_four_bytes_of_the_spec_hash() -> None:
    """key id = SHA-256(name || 0x0A || 0x01 || public key)[:4], read big-endian."""
    verifier = Verifier.from_text(GO_VERIFIER)
    assert key_id("PeterNeumann", verifier.public_key) == 0xC74F20A3
    assert key_id("PeterNeumann2", verifier.public_key) != 0xC74F20A3


def test_generate_key_returns_a_matching_pair_of_texts() -> None:
    """generate_key gives a signer text and the verifier text of the same key."""
    signer_text, verifier_text = generate_key("example.org/community-x")
    assert signer_text.startswith("PRIVATE+KEY+example.org/community-x+")
    signer = Signer.from_text(signer_text)
    assert signer.to_text() == signer_text
    assert signer.verifier() == Verifier.from_text(verifier_text)
    assert Verifier.from_text(verifier_text).verify(b"x", signer.sign(b"x"))


def test_verifier_rejects_a_signature_over_other_bytes() -> None:
    """A signature made over one message does not verify another."""
    signer = Signer.generate("a.example")
    assert not signer.verifier().verify(b"message 2", signer.sign(b"message 1"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("PeterNeumann+c74f20a3", "got 2 '\\+'-separated parts"),
        ("PeterNeumann+c74f20a3+not base64!", "not valid base64"),
        ("PeterNeumann+c74f20a3+AQID", "1 type byte and 32 key bytes"),
        ("PeterNeumann+c74f20a3+AhpcyQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type 0x02"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "spaces"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "non-empty"),
    ],
)
def test_malformed_verifier_key_texts_are_refused_with_the_reason(text: str, fragment: str) -> None:
    """Each way a verifier key text can be wrong gives a ValidationError saying which."""
    with pytest.raises(ValidationError, match=fragment):
        Verifier.from_text(text)


def test_a_verifier_key_is_not_accepted_as_a_signer_key() -> None:
    """Passing a public key where the private one belongs says so."""
    with pytest.raises(ValidationError, match="verifier key"):
        Signer.from_text(GO_VERIFIER)


def test_key_names_with_plus_or_space_are_refused() -> None:
    """Key names follow the note spec: no '+' and no spaces."""
    for name in ("a+b", "a b", "", "tab\there"):
        with pytest.raises(ValidationError, match="key name"):
            Signer.generate(name)


def test_as_verifiers_accepts_texts_objects_and_lists() -> None:
    """Public keys may be given as a text, a Verifier, a Signer, or a list of them."""
    signer = Signer.from_text(GO_SIGNER)
    expected = Verifier.from_text(GO_VERIFIER)
    assert as_verifiers(GO_VERIFIER) == (expected,)
    assert as_verifiers([expected, signer]) == (expected, expected)
    assert as_verifiers(None) == ()
    with pytest.raises(ValidationError, match="public key"):
        as_verifiers([42])


def test_missing_cryptography_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the cryptography package, signing fails with the pip command to fix it."""
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    with pytest.raises(CivicLedgerError, match=r"pip install 'civicledger\[signing\]'"):
        Signer.generate("a.example")
    with pytest.raises(CivicLedgerError, match="signing"):
        Verifier.from_text(GO_VERIFIER).verify(b"x", b"\x00" * 64)


def test_importing_the_audit_package_loads_no_database_or_crypto_library() -> None:
    """civicledger.audit (the offline verifier) imports neither sqlalchemy nor cryptography."""
    script = (
        "import sys, civicledger.audit; "
        "print(sorted(m for m in ('sqlalchemy', 'click', 'cryptography') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == "[]"
