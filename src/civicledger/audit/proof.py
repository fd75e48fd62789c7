"""C2SP tlog-proof@v1 texts: writing them, reading them, and checking them offline.

civicledger's proofs carry the event's canonical envelope as the ``extra``
data. The envelope is exactly the leaf's data (leaf hash = H(0x00 || extra)),
so the extra needs no trust: it is authenticated by the inclusion proof.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import orjson

from civicledger.audit.checkpoint import Seal
from civicledger.audit.keys import PublicKeys
from civicledger.errors import ValidationError, VerificationError
from civicledger.merkle.disclosure import LEAF_V2, digest_of_payload_text
from civicledger.merkle.hashes import HashAlgorithm, hash_algorithm
from civicledger.merkle.leaf import payload_digest
from civicledger.merkle.verify import verify_inclusion

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
"""The first line of every proof."""

_INDEX = re.compile(r"^index (0|[1-9][0-9]*)$")


@attrs.frozen
class TlogProof:
    """A parsed tlog-proof@v1 text.

    Attributes:
        index: the leaf index (the event's position - 1).
        hashes: the inclusion proof, leaf's sibling first.
        seal: the checkpoint the proof is for.
        extra: the opaque extra data (civicledger: the canonical envelope), if any.
    """

    index: int
    hashes: tuple[bytes, ...] = attrs.field(repr=lambda hs: f"<{len(hs)} hashes>")
    seal: Seal
    extra: bytes | None = attrs.field(default=None, repr=False)

    def to_text(self) -> str:
        """Write the proof text.

        Returns:
            The header, the optional ``extra`` line, the ``index`` line, one base64
            hash per line, a blank line, then the seal text verbatim.
        """
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.hashes)
        return "\n".join(lines) + "\n\n" + self.seal.text

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        """Read a tlog-proof@v1 text.

        Args:
            text: the proof text.

        Returns:
            The parsed proof (nothing is verified yet).

        Raises:
            ValidationError: the text is malformed; the message names the line.
        """
        if not isinstance(text, str):
            raise ValidationError(f"proof must be text, got {text.__class__.__name__}")
        head, blank, seal_text = text.partition("\n\n")
        if not blank:
            raise ValidationError("proof has no blank line before its checkpoint")
        lines = head.split("\n")
        if lines[0] != PROOF_HEADER:
            raise ValidationError(
                f"proof line 1 must be {PROOF_HEADER!r}, got {lines[0][:60]!r}", line=1
            )
        number = 2
        extra = None
        if len(lines) > 1 and lines[1].startswith("extra "):
            extra = _b64(lines[1][len("extra ") :], number, "extra data")
            number += 1
        if len(lines) < number or not (match := _INDEX.match(lines[number - 1])):
            got = lines[number - 1][:40] if len(lines) >= number else "nothing"
            raise ValidationError(
                f"proof line {number} must be 'index <decimal without leading zeros>', got {got!r}",
                line=number,
            )
        index = int(match.group(1))
        hashes = tuple(
            _b64(line, n, "proof hash") for n, line in enumerate(lines[number:], number + 1)
        )
        offset = len(lines) + 1
        try:
            seal = Seal.parse(seal_text)
        except ValidationError as e:
            shifted = e.line + offset if e.line is not None else None
            where = f"proof line {shifted}" if shifted else "proof checkpoint"
            raise ValidationError(f"{where}: {e.message}", line=shifted, field=e.field) from e
        return cls(index=index, hashes=hashes, seal=seal, extra=extra)


@attrs.frozen
class VerifiedProof:
    """What :func:`verify_proof` established.

    Attributes:
        position: the event's position (index + 1).
        tree_size: the size of the sealed tree the event is included in.
        root_hash: that tree's root hash.
        origin: the ledger's origin.
        leaf_hash: the event's leaf hash.
        envelope: the event's envelope (decoded JSON: event_id, type, stream, …).
        signed_by: names of the trusted keys whose signatures verified (empty when
            no public key was given).
        payload_checked: whether a payload and salt were checked against the digest.
        seal: the seal the proof is for.
    """

    position: int
    tree_size: int
    root_hash: bytes = attrs.field(repr=lambda h: h.hex())
    origin: str
    leaf_hash: bytes = attrs.field(repr=lambda h: h.hex())
    envelope: Mapping[str, Any] = attrs.field(repr=False)
    signed_by: tuple[str, ...]
    payload_checked: bool
    seal: Seal = attrs.field(repr=False)


def verify_proof(
    proof_text: str,
    leaf: bytes | str | None = None,
    public_key: PublicKeys = None,
    *,
    payload: bytes | None = None,
    salt: bytes | None = None,
) -> VerifiedProof:
    """Check a tlog-proof offline: the envelope, its inclusion, and the seal's signatures.

    Steps: parse the proof; take the leaf data (``leaf`` or the proof's extra;
    both must agree when both are given); check that the envelope names the
    seal's origin and hash algorithm and the proof's position; hash it as a leaf
    and check the inclusion proof leads to the seal's root (RFC 9162
    §2.1.3.2); check signatures when keys are given; check the payload against
    the envelope's digest when a payload and salt are given.

    Args:
        proof_text: the tlog-proof@v1 text.
        leaf: the event's canonical envelope (bytes or text), or None to use the
            envelope carried in the proof.
        public_key: trusted key(s) (verifier key text or Verifier, or a list); when
            None, signatures are not checked and ``signed_by`` is empty.
        payload: the event's canonical payload bytes, to check against the digest.
        salt: the payload's salt (leaf format v1) or the event's secret (v2), with ``payload``.

    Returns:
        What was verified.

    Raises:
        ValidationError: the proof, leaf or keys are malformed.
        VerificationError: anything does not verify; the message says what.
    """
    proof = TlogProof.parse(proof_text)
    seal = proof.seal
    data = _leaf_data(leaf, proof.extra)
    envelope = _decode_envelope(data)
    position = proof.index + 1
    expected = {"origin": seal.origin, "hash": seal.hash_name, "position": position}
    for key, value in expected.items():
        if envelope.get(key) != value:
            raise VerificationError(
                f"envelope {key} is {envelope.get(key)!r} but the proof is for {value!r}"
            )
    alg = hash_algorithm(seal.hash_name)
    leaf_hash = alg.leaf(data)
    try:
        verify_inclusion(alg, proof.index, seal.tree_size, leaf_hash, proof.hashes, seal.root_hash)
    except VerificationError as e:
        raise VerificationError(
            f"event at position {position} is not proven included in the seal of "
            f"{seal.origin} at size {seal.tree_size}: {e}"
        ) from e
    signed_by = seal.verify(public_key) if public_key is not None else ()
    checked = False
    if payload is not None or salt is not None:
        if payload is None or salt is None:
            raise ValidationError("checking a payload needs both the payload and its salt")
        digest = _payload_digest(alg, envelope.get("v"), salt, payload)
        if digest.hex() != envelope.get("payload_digest"):
            raise VerificationError(
                f"payload of the event at position {position} does not match the digest "
                "its leaf commits to"
            )
        checked = True
    return VerifiedProof(
        position=position,
        tree_size=seal.tree_size,
        root_hash=seal.root_hash,
        origin=seal.origin,
        leaf_hash=leaf_hash,
        envelope=MappingProxyType(envelope),
        signed_by=signed_by,
        payload_checked=checked,
        seal=seal,
    )


def make_proof(index: int, hashes: Sequence[bytes], seal: Seal, envelope: bytes | None) -> str:
    """Write a tlog-proof@v1 text.

    Args:
        index: the leaf index (position - 1).
        hashes: the inclusion proof for ``index`` in the tree of ``seal.tree_size``.
        seal: the seal.
        envelope: the event's canonical envelope, carried as the extra data.

    Returns:
        The proof text.
    """
    return TlogProof(index=index, hashes=tuple(hashes), seal=seal, extra=envelope).to_text()


def _leaf_data(leaf: bytes | str | None, extra: bytes | None) -> bytes:
    if isinstance(leaf, str):
        leaf = leaf.encode("utf-8")
    if leaf is not None and not isinstance(leaf, bytes):
        raise ValidationError(
            f"leaf must be the envelope's bytes or text, got {leaf.__class__.__name__}",
            field="leaf",
        )
    if leaf is None and extra is None:
        raise VerificationError(
            "the proof carries no envelope (no extra line) and no leaf was given"
        )
    if leaf is not None and extra is not None and leaf != extra:
        raise VerificationError("the given leaf differs from the envelope carried in the proof")
    data = leaf if leaf is not None else extra
    assert data is not None
    return data


def _decode_envelope(data: bytes) -> dict[str, Any]:
    try:
        envelope = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise VerificationError(f"the leaf is not an envelope (not JSON): {e}") from e
    if not isinstance(envelope, dict):
        raise VerificationError("the leaf is not an envelope (not a JSON object)")
    return envelope


def _b64(text: str, line: int, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError(f"proof line {line}: {what} is not valid base64", line=line) from e


def _payload_digest(alg: HashAlgorithm, version: object, salt: bytes, payload: bytes) -> bytes:
    """The payload digest of a whole payload: v1 salts it, v2 commits to each field."""
    if version != LEAF_V2:
        return payload_digest(alg, salt, payload)
    return digest_of_payload_text(alg, salt, payload)
