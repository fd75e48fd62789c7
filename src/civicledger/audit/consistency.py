"""Consistency proofs between two seals as text: ``civicledger-consistency-proof/1``.

Modelled on C2SP tlog-proof: a header line, one line carrying the older seal
(base64 of its whole text, signatures included), the RFC 9162 consistency proof
one base64 hash per line, a blank line, then the newer seal verbatim. Sizes and
roots come from the two seals, so the text says nothing that is not checked.
See docs/audit.md for the format and an auditor's recipe.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.keys import PublicKeys
from civicledger.audit.proof import _b64
from civicledger.errors import ValidationError, VerificationError
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.verify import verify_consistency

__all__ = [
    "CONSISTENCY_HEADER",
    "ConsistencyProof",
    "VerifiedConsistency",
    "verify_consistency_proof",
]

CONSISTENCY_HEADER = "civicledger-consistency-proof/1"
"""The first line of every consistency proof text (the format's name and version)."""

_OLD = "old "


@attrs.frozen
class ConsistencyProof:
    """A parsed consistency proof text.

    Attributes:
        old: the older seal.
        hashes: the RFC 9162 consistency proof from ``old.tree_size`` to ``new.tree_size``.
        new: the newer seal.
    """

    old: Seal
    hashes: tuple[bytes, ...] = attrs.field(repr=lambda hs: f"<{len(hs)} hashes>")
    new: Seal

    def to_text(self) -> str:
        """Write the proof text: header, ``old`` line, hash lines, blank line, newer seal."""
        lines = [CONSISTENCY_HEADER, _OLD + base64.b64encode(self.old.text.encode()).decode()]
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.hashes)
        return "\n".join(lines) + "\n\n" + self.new.text

    @classmethod
    def parse(cls, text: str) -> ConsistencyProof:
        """Read a consistency proof text (nothing is verified yet).

        Raises:
            ValidationError: the text is malformed; the message names the line.
        """
        if not isinstance(text, str):
            raise ValidationError(f"proof must be text, got {text.__class__.__name__}")
        head, blank, new_text = text.partition("\n\n")
        if not blank:
            raise ValidationError("consistency proof has no blank line before the newer seal")
        lines = head.split("\n")
        if lines[0] != CONSISTENCY_HEADER:
            raise ValidationError(
                f"consistency proof line 1 must be {CONSISTENCY_HEADER!r}, got {lines[0][:60]!r}",
                line=1,
            )
        if len(lines) < 2 or not lines[1].startswith(_OLD):
            raise ValidationError(
                "consistency proof line 2 must be 'old <base64 of the older seal>'", line=2
            )
        old_bytes = _b64(lines[1][len(_OLD) :], 2, "the older seal")
        try:
            old = Seal.parse(old_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValidationError) as e:
            raise ValidationError(
                f"consistency proof line 2: the older seal cannot be read: {e}", line=2
            ) from e
        hashes = tuple(_b64(line, n, "proof hash") for n, line in enumerate(lines[2:], start=3))
        try:
            new = Seal.parse(new_text)
        except ValidationError as e:
            raise ValidationError(
                f"consistency proof: the newer seal (after the blank line) cannot be read: "
                f"{e.message}"
            ) from e
        return cls(old=old, hashes=hashes, new=new)


@attrs.frozen
class VerifiedConsistency:
    """What :func:`verify_consistency_proof` established.

    Attributes:
        origin: the ledger both seals are of.
        old: the older seal.
        new: the newer seal.
        signed_by: names of the trusted keys whose signatures verified on both
            seals (empty when no key was given).
    """

    origin: str
    old: Seal
    new: Seal
    signed_by: tuple[str, ...]

    def __str__(self) -> str:
        signed = f", both signed by {', '.join(self.signed_by)}" if self.signed_by else ""
        return (
            f"consistent: {self.origin} at size {self.new.tree_size} extends its seal at size "
            f"{self.old.tree_size} unchanged{signed}"
        )


def make_consistency_proof(old: Seal, new: Seal, hashes: Sequence[bytes]) -> str:
    """Write the text of a consistency proof between two seals.

    Args:
        old: the older seal.
        new: the newer seal.
        hashes: the RFC 9162 consistency proof between their sizes.

    Returns:
        The proof text.
    """
    return ConsistencyProof(old=old, hashes=tuple(hashes), new=new).to_text()


def verify_consistency_proof(proof_text: str, public_key: PublicKeys = None) -> VerifiedConsistency:
    """Check offline that the newer seal's ledger extends the older seal's unchanged.

    Steps: parse the text; both seals must name the same origin and hash; check
    their signatures when keys are given; check the RFC 9162 consistency proof
    (§2.1.4.2) from the older root to the newer one.

    Args:
        proof_text: the ``civicledger-consistency-proof/1`` text.
        public_key: trusted key(s); when None, signatures are not checked.

    Returns:
        What was verified.

    Raises:
        ValidationError: the text or a key is malformed.
        VerificationError: the seals are of different ledgers, a signature fails,
            or the proof does not lead to both roots; the message says which.
    """
    proof = ConsistencyProof.parse(proof_text)
    old, new = proof.old, proof.new
    if (old.origin, old.hash_name) != (new.origin, new.hash_name):
        raise VerificationError(
            f"the seals are of different ledgers: {old.origin} ({old.hash_name}) and "
            f"{new.origin} ({new.hash_name})"
        )
    if old.tree_size > new.tree_size:
        raise VerificationError(
            f"the older seal covers {old.tree_size} events, more than the newer seal's "
            f"{new.tree_size}"
        )
    signed_by: tuple[str, ...] = ()
    if public_key is not None:
        for which, seal in (("older", old), ("newer", new)):
            try:
                names = seal.verify(public_key)
            except VerificationError as e:
                raise VerificationError(f"the {which} seal: {e}") from e
            signed_by = names if not signed_by else tuple(n for n in signed_by if n in names)
    try:
        verify_consistency(
            hash_algorithm(old.hash_name),
            old.tree_size,
            new.tree_size,
            proof.hashes,
            old.root_hash,
            new.root_hash,
        )
    except VerificationError as e:
        raise VerificationError(
            f"the seal of {new.origin} at size {new.tree_size} is not proven to extend its seal "
            f"at size {old.tree_size}: {e}"
        ) from e
    return VerifiedConsistency(origin=old.origin, old=old, new=new, signed_by=signed_by)
