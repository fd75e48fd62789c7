"""tlog-proof@v1 texts: their layout, parsing, and offline verification with verify_proof."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime

import pytest

from civicledger import ValidationError, VerificationError
from civicledger.audit import PROOF_HEADER, Seal, Signer, TlogProof, verify_proof
from civicledger.audit.proof import make_proof
from civicledger.merkle import (
    SHA256,
    MemoryNodeReader,
    envelope_bytes,
    inclusion_proof,
    payload_digest,
)

ORIGIN = "records.example.org/community-x"
SALT = b"s" * 16


def payload(position: int) -> bytes:
    return b'{"count":%d}' % position


def envelope(position: int, origin: str = ORIGIN) -> bytes:
    return envelope_bytes(
        origin=origin,
        position=position,
        stream="counts",
        stream_version=position,
        event_id=uuid.UUID(int=position),
        type="count_recorded",
        schema_version=1,
        occurred_on=date(2023, 5, 1),
        recorded_at=datetime(2024, 1, 1, tzinfo=UTC),
        actor="clerk",
        payload_digest=payload_digest(SHA256, SALT, payload(position)),
        hash_name="sha256",
    )


class Tree:
    """A small sealed ledger held in memory: envelopes, the tree, and a seal."""

    def __init__(self, size: int, signer: Signer | None = None) -> None:
        self.envelopes = [envelope(p) for p in range(1, size + 1)]
        self.reader = MemoryNodeReader(SHA256)
        self.reader.extend(SHA256.leaf(e) for e in self.envelopes)
        self.seal = Seal.create(
            origin=ORIGIN,
            tree_size=size,
            root_hash=self.reader.root(),
            sealed_at=datetime(2024, 2, 1, tzinfo=UTC),
            signers=[signer] if signer else [],
        )

    def proof(self, position: int, *, extra: bool = True) -> str:
        hashes = inclusion_proof(SHA256, self.reader, position - 1, self.seal.tree_size)
        data = self.envelopes[position - 1] if extra else None
        return make_proof(position - 1, hashes, self.seal, data)


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture(scope="module")
def tree(office: Signer) -> Tree:
    return Tree(11, office)


def test_proof_text_has_the_tlog_proof_layout(tree: Tree) -> None:
    """Header, extra, index, one base64 hash per line, a blank line, then the seal verbatim."""
    text = tree.proof(6)
    head, _, seal_text = text.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == PROOF_HEADER
    assert lines[1] == "extra " + base64.b64encode(tree.envelopes[5]).decode()
    assert lines[2] == "index 5"
    assert len(lines[3:]) == len(inclusion_proof(SHA256, tree.reader, 5, 11))
    assert seal_text == tree.seal.text


def test_every_position_verifies_with_the_envelope_from_the_proof(tree: Tree) -> None:
    """verify_proof with nothing but the proof text checks each event's inclusion."""
    for position in range(1, 12):
        result = verify_proof(tree.proof(position))
        assert result.position == position
        assert result.leaf_hash == SHA256.leaf(tree.envelopes[position - 1])
        assert result.envelope["event_id"] == str(uuid.UUID(int=position))
        assert result.signed_by == ()


def test_public_key_checks_the_seal_signature(tree: Tree, office: Signer) -> None:
    """Given the office's verifier key, the proof also checks who signed the seal."""
    assert verify_proof(tree.proof(3), public_key=office.verifier().to_text()).signed_by == (
        ORIGIN,
    )
    other = Signer.generate("someone.example")
    with pytest.raises(VerificationError, match="no signature from a trusted key"):
        verify_proof(tree.proof(3), public_key=other.verifier())


def test_leaf_given_by_the_auditor_must_match_the_carried_envelope(tree: Tree) -> None:
    """A leaf the auditor holds is checked against the proof's extra; a different one fails."""
    assert verify_proof(tree.proof(4), leaf=tree.envelopes[3]).position == 4
    with pytest.raises(VerificationError, match="differs"):
        verify_proof(tree.proof(4), leaf=tree.envelopes[4])


def test_proof_without_extra_verifies_with_the_auditors_leaf(tree: Tree) -> None:
    """A proof without an extra line needs the leaf, and then verifies."""
    text = tree.proof(7, extra=False)
    assert "\nextra " not in text
    assert verify_proof(text, leaf=tree.envelopes[6].decode()).position == 7
    with pytest.raises(VerificationError, match="no leaf was given"):
        verify_proof(text)


def test_a_changed_envelope_in_the_extra_fails(tree: Tree) -> None:
    """Editing the carried envelope (here the actor) breaks the inclusion."""
    forged = tree.envelopes[1].replace(b'"clerk"', b'"mayor"')
    text = tree.proof(2).replace(
        base64.b64encode(tree.envelopes[1]).decode(), base64.b64encode(forged).decode()
    )
    with pytest.raises(VerificationError, match="not proven included"):
        verify_proof(text)


def test_envelope_for_another_position_or_origin_is_refused(tree: Tree) -> None:
    """The envelope must name the proof's position and the seal's origin."""
    with pytest.raises(VerificationError, match="position"):
        verify_proof(tree.proof(2).replace("index 1\n", "index 2\n"))
    foreign = envelope(2, origin="elsewhere.example")
    text = tree.proof(2, extra=False)
    with pytest.raises(VerificationError, match="origin"):
        verify_proof(text, leaf=foreign)


def test_payload_and_salt_are_checked_against_the_envelope_digest(tree: Tree) -> None:
    """With the payload and salt, verify_proof also proves the payload is the recorded one."""
    assert verify_proof(tree.proof(5), payload=payload(5), salt=SALT).payload_checked
    with pytest.raises(VerificationError, match="payload"):
        verify_proof(tree.proof(5), payload=payload(6), salt=SALT)
    with pytest.raises(ValidationError, match="both"):
        verify_proof(tree.proof(5), payload=payload(5))


def test_parse_round_trips_the_text(tree: Tree) -> None:
    """TlogProof.parse(text).to_text() is the text."""
    text = tree.proof(9)
    assert TlogProof.parse(text).to_text() == text


@pytest.mark.parametrize(
    ("mangle", "fragment", "line"),
    [
        (lambda t: t.replace(PROOF_HEADER, "c2sp.org/tlog-proof@v2"), "line 1 must be", 1),
        (lambda t: t.replace("index 5\n", "index 05\n"), "line 3 must be 'index", 3),
        (lambda t: t.replace("index 5\n", ""), "line 3 must be 'index", 3),
        (lambda t: t.replace("\nextra ", "\nextra !"), "line 2: extra data", 2),
        (lambda t: t.replace("\n\n", "\n"), "no blank line", None),
        (
            lambda t: t.replace("\nhash sha256\n", "\nhash md5\n"),
            "proof line 12: checkpoint line 4",
            12,
        ),
    ],
)
def test_malformed_proofs_are_refused_naming_the_line(
    tree: Tree, mangle: object, fragment: str, line: int | None
) -> None:
    """Each malformed proof raises a ValidationError naming the line of the proof."""
    text = tree.proof(6)
    assert callable(mangle)
    with pytest.raises(ValidationError, match=fragment) as caught:
        TlogProof.parse(mangle(text))
    assert caught.value.line == line


def test_a_proof_hash_of_the_wrong_length_fails(tree: Tree) -> None:
    """A truncated proof hash is rejected by the RFC 9162 verifier."""
    text = tree.proof(6)
    first_hash = text.split("\n")[3]
    short = base64.b64encode(base64.b64decode(first_hash)[:31]).decode()
    with pytest.raises(VerificationError):
        verify_proof(text.replace(first_hash, short))


def test_a_missing_proof_hash_fails(tree: Tree) -> None:
    """Dropping a hash line makes the proof the wrong length for its index and size."""
    lines = tree.proof(6).split("\n")
    del lines[3]
    with pytest.raises(VerificationError, match="hashes"):
        verify_proof("\n".join(lines))
