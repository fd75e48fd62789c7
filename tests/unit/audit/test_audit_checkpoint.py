"""Seals: the C2SP checkpoint text, its parsing, signing, cosigning and checking."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from civicledger import ValidationError, VerificationError
from civicledger.audit import Seal, Signer

ROOT = bytes(range(32))
WHEN = datetime(2024, 1, 31, 8, 30, 0, 123456, tzinfo=UTC)

# The example checkpoint of the C2SP tlog-checkpoint spec: a foreign log's seal.
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("records.example.org/community-x")


def make(**overrides: object) -> Seal:
    args: dict[str, object] = {
        "origin": "records.example.org/community-x",
        "tree_size": 1234,
        "root_hash": ROOT,
        "sealed_at": WHEN,
    }
    args.update(overrides)
    return Seal.create(**args)  # type: ignore[arg-type]


def test_unsigned_seal_text_is_the_checkpoint_with_its_extension_lines() -> None:
    """An unsigned seal is origin, size, base64 root, then the hash and sealed-at lines."""
    seal = make()
    root = base64.b64encode(ROOT).decode()
    assert seal.text == (
        f"records.example.org/community-x\n1234\n{root}\n"
        "hash sha256\nsealed-at 2024-01-31T08:30:00.123456Z\n"
    )
    assert not seal.signed
    assert seal.body == seal.text


def test_parse_reads_back_every_field() -> None:
    """Seal.parse of a seal's text gives an equal seal, with the time and hash name."""
    seal = make(hash_name="sm3")
    parsed = Seal.parse(seal.text)
    assert parsed == seal
    assert (parsed.tree_size, parsed.root_hash, parsed.sealed_at) == (1234, ROOT, WHEN)
    assert parsed.hash_name == "sm3"


def test_signed_seal_is_a_signed_note_whose_text_is_the_checkpoint(office: Signer) -> None:
    """A signed seal's body is the unsigned checkpoint, and the office's key verifies it."""
    seal = make(signers=[office])
    assert seal.body == make().text
    assert seal.text.startswith(seal.body + "\n— records.example.org/community-x ")
    assert seal.verify(office.verifier().to_text()) == ("records.example.org/community-x",)


def test_foreign_checkpoint_from_the_spec_parses() -> None:
    """The C2SP spec's example checkpoint reads as a sha256 seal without a time."""
    seal = Seal.parse(C2SP_EXAMPLE)
    assert seal.origin == "example.com/behind-the-sofa"
    assert seal.tree_size == 20852163
    assert seal.sealed_at is None
    assert seal.hash_name == "sha256"
    assert len(seal.signatures) == 1
    assert seal.signatures[0].name == "example.com/behind-the-sofa"


def test_unknown_extension_lines_are_kept_verbatim() -> None:
    """Extension lines civicledger does not know survive a parse."""
    text = make().text + "vendor note 42\n"
    assert Seal.parse(text).extensions[-1] == "vendor note 42"


def test_a_witness_cosignature_adds_a_line_and_both_keys_verify(office: Signer) -> None:
    """cosign appends a second signature over the same checkpoint; each key checks its own."""
    witness = Signer.generate("witness.example")
    seal = make(signers=[office]).cosign(witness)
    assert [s.name for s in seal.signatures] == [office.name, witness.name]
    assert seal.body == make().text
    assert seal.verify([office.verifier(), witness.verifier()]) == (office.name, witness.name)
    assert seal.verify([witness.verifier()]) == (witness.name,)


def test_the_same_key_cannot_cosign_twice(office: Signer) -> None:
    """Cosigning with a key that already signed is refused."""
    with pytest.raises(ValidationError, match="already signed"):
        make(signers=[office]).cosign(office)


def test_a_changed_size_breaks_the_signature(office: Signer) -> None:
    """Editing the tree size of a signed seal makes its signature fail."""
    text = make(signers=[office]).text.replace("\n1234\n", "\n1235\n")
    with pytest.raises(VerificationError, match="does not verify"):
        Seal.parse(text).verify(office.verifier())


def test_verifying_an_unsigned_seal_with_a_key_fails(office: Signer) -> None:
    """An unsigned seal cannot satisfy a caller who asks for a signature."""
    with pytest.raises(VerificationError, match="not signed"):
        make().verify(office.verifier())


def test_verifying_without_keys_is_refused(office: Signer) -> None:
    """Seal.verify needs at least one key to check against."""
    with pytest.raises(ValidationError, match="at least one public key"):
        make(signers=[office]).verify([])


GOOD_ROOT = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("origin\n12\n", "at least 3 lines", 3),
        (f"\n12\n{GOOD_ROOT}\n", "origin must be non-empty", 1),
        (f"origin\n012\n{GOOD_ROOT}\n", "line 2 must be the tree size", 2),
        (f"origin\n-1\n{GOOD_ROOT}\n", "line 2 must be the tree size", 2),
        (f"origin\n1e3\n{GOOD_ROOT}\n", "line 2 must be the tree size", 2),
        ("origin\n12\nnot-base64\n", "line 3 must be the base64", 3),
        ("origin\n12\nAAAA\n", "32-byte sha256", 3),
        (f"origin\n12\n{GOOD_ROOT[:-2]}B=\n", "canonical base64", 3),
        (f"origin\n12\n{GOOD_ROOT}\nhash md5\n", "line 4 names unknown hash", 4),
        (f"origin\n12\n{GOOD_ROOT}\nsealed-at yesterday\n", "line 4", 4),
        (f"origin\n12\n{GOOD_ROOT}", "end with a newline", None),
    ],
)
def test_malformed_checkpoints_are_refused_naming_the_line(
    text: str, fragment: str, line: int | None
) -> None:
    """Each malformed checkpoint raises a ValidationError naming what and the line."""
    with pytest.raises(ValidationError, match=fragment) as caught:
        Seal.parse(text)
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"origin": ""}, "origin"),
        ({"origin": "two\nlines"}, "origin"),
        ({"tree_size": -1}, "tree_size"),
        ({"tree_size": True}, "tree_size"),
        ({"root_hash": b"short"}, "root_hash"),
        ({"hash_name": "md5"}, "hash"),
    ],
)
def test_create_refuses_bad_arguments_naming_the_field(
    overrides: dict[str, object], field: str
) -> None:
    """Seal.create checks each argument and names the one that is wrong."""
    with pytest.raises(ValidationError) as caught:
        make(**overrides)
    assert caught.value.field == field
