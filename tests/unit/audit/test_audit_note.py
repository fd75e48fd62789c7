"""C2SP signed notes: splitting, joining, and the rules for checking signatures."""

from __future__ import annotations

import pytest

from civicledger import ValidationError, VerificationError
from civicledger.audit import NoteSignature, Signer
from civicledger.audit.note import (
    MAX_SIGNATURES,
    join_note,
    sign_text,
    split_note,
    verify_signatures,
)

TEXT = "line one\nline two\n"


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("office.example")


@pytest.fixture(scope="module")
def witness() -> Signer:
    return Signer.generate("witness.example")


def test_split_returns_the_text_and_each_signature(office: Signer, witness: Signer) -> None:
    """A note with two signature lines splits into its text and both signatures, in order."""
    signatures = [sign_text(TEXT, office), sign_text(TEXT, witness)]
    text, parsed = split_note(join_note(TEXT, signatures))
    assert text == TEXT
    assert parsed == tuple(signatures)


def test_text_ends_at_the_last_blank_line(office: Signer) -> None:
    """A note text may hold blank lines; the signatures start after the last one."""
    text = "para one\n\npara two\n"
    assert split_note(join_note(text, [sign_text(text, office)]))[0] == text


@pytest.mark.parametrize(
    ("note", "fragment", "line"),
    [
        ("no blank line\n", "no blank line", None),
        ("text\n\n", "no signature line", None),
        ("text\n\n— a.example AAAAAAAA", "must end with a newline", None),
        ("text\n\n- a.example AAAAAAAA\n", "line 3 is not a signature line", 3),
        ("text\n\n— a.example\n", "line 3 needs a key name", 3),
        ("text\n\n— a+b AAAAAAAA\n", "line 3", 3),
        ("text\n\n— a.example AAA*\n", "line 3: signature is not valid base64", 3),
        ("text\n\n— a.example AAAA\n", "too short", 3),
        ("te\x07xt\n\n— a.example AAAAAAAA\n", "line 1 contains control character", 1),
    ],
)
def test_malformed_notes_are_refused_naming_the_line(
    note: str, fragment: str, line: int | None
) -> None:
    """Each malformed note raises a ValidationError naming what and, when it applies, the line."""
    with pytest.raises(ValidationError, match=fragment) as caught:
        split_note(note)
    assert caught.value.line == line


def test_too_many_signatures_are_refused() -> None:
    """A note with more than MAX_SIGNATURES lines is refused before any is checked."""
    line = NoteSignature("a.example", 1, b"\x00" * 64).line()
    with pytest.raises(ValidationError, match="at most"):
        split_note(TEXT + "\n" + line * (MAX_SIGNATURES + 1))


def test_join_refuses_a_note_without_signatures() -> None:
    """A signed note needs at least one signature line."""
    with pytest.raises(ValidationError, match="at least one signature"):
        join_note(TEXT, [])


def test_text_must_end_with_a_newline(office: Signer) -> None:
    """Signing a text without its final newline is refused."""
    with pytest.raises(ValidationError, match="end with a newline"):
        sign_text("no newline", office)


def test_trusted_signatures_verify_and_unknown_ones_are_ignored(
    office: Signer, witness: Signer
) -> None:
    """Only trusted keys' signatures are checked; a stranger's line does not matter."""
    stranger = NoteSignature("stranger.example", 7, b"junk")
    signatures = [sign_text(TEXT, office), stranger, sign_text(TEXT, witness)]
    names = verify_signatures(TEXT, signatures, [office.verifier(), witness.verifier()])
    assert names == ("office.example", "witness.example")
    assert verify_signatures(TEXT, signatures, [witness.verifier()]) == ("witness.example",)


def test_a_trusted_signature_over_changed_text_fails(office: Signer) -> None:
    """If the text changed after signing, the trusted key's signature is rejected."""
    signature = sign_text(TEXT, office)
    with pytest.raises(VerificationError, match="does not verify"):
        verify_signatures(TEXT.replace("one", "0ne"), [signature], [office.verifier()])


def test_a_note_without_any_trusted_signature_fails(office: Signer, witness: Signer) -> None:
    """A note signed only by keys the verifier does not trust is rejected."""
    with pytest.raises(VerificationError, match="no signature from a trusted key"):
        verify_signatures(TEXT, [sign_text(TEXT, office)], [witness.verifier()])


def test_same_name_but_other_key_id_is_treated_as_unknown(office: Signer) -> None:
    """A signature whose name matches but key id does not is ignored, not trusted."""
    impostor = Signer.generate("office.example")
    with pytest.raises(VerificationError, match="no signature from a trusted key"):
        verify_signatures(TEXT, [sign_text(TEXT, impostor)], [office.verifier()])
