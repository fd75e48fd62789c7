"""Seals: C2SP tlog-checkpoint texts over a ledger's Merkle root, optionally signed notes.

A seal's checkpoint text has the three lines of the C2SP format (origin, tree
size, base64 root hash) and two extension lines that civicledger writes and
reads back: ``hash <algorithm>`` and ``sealed-at <UTC timestamp>``. Unsigned
seals are the bare checkpoint text; signed ones are C2SP signed notes, and
witnesses may add cosignature lines (:meth:`Seal.cosign`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from datetime import datetime

import attrs

from civicledger.audit.keys import PublicKeys, Signer, as_verifiers
from civicledger.audit.note import (
    NoteSignature,
    check_note_text,
    join_note,
    sign_text,
    split_note,
    verify_signatures,
)
from civicledger.errors import ValidationError, VerificationError
from civicledger.events.text import format_timestamp, parse_timestamp
from civicledger.merkle.hashes import DIGEST_SIZES, SUPPORTED_HASHES

HASH_EXTENSION = "hash"
"""Extension line keyword naming the ledger's hash algorithm."""

SEALED_AT_EXTENSION = "sealed-at"
"""Extension line keyword giving when the seal was made (UTC)."""

MAX_TREE_SIZE = 2**63 - 1
"""Largest tree size a checkpoint may state (the SQL backends store sizes as BIGINT)."""

_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")


@attrs.frozen
class Seal:
    """A checkpoint over a ledger's head: origin, tree size and root, as text.

    Make one with :meth:`create` (or ``ledger.seal()``) and read one back with
    :meth:`parse`; ``text`` is what to publish or save to a file.

    Attributes:
        origin: the ledger's origin (the checkpoint's first line).
        tree_size: the number of events the seal covers (positions 1..tree_size).
        root_hash: the Merkle tree hash of those events' leaves.
        sealed_at: when the seal was made (None for a foreign checkpoint without
            a ``sealed-at`` line).
        text: the whole seal text: the checkpoint, then (when signed) a blank line
            and the signature lines.
        signatures: the signature lines, the ledger's first, witnesses' after.
        hash_name: the hash algorithm of the tree (``sha256`` when not stated).
        extensions: every extension line after the root hash, verbatim.
    """

    origin: str
    tree_size: int
    root_hash: bytes = attrs.field(repr=lambda h: h.hex())
    sealed_at: datetime | None
    text: str = attrs.field(repr=False)
    signatures: tuple[NoteSignature, ...] = ()
    hash_name: str = "sha256"
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The checkpoint text (the signed part), without signature lines."""
        if not self.signatures:
            return self.text
        return self.text[: self.text.rfind("\n\n") + 1]

    @property
    def signed(self) -> bool:
        """Whether the seal carries at least one signature line."""
        return bool(self.signatures)

    def check_ledger(self, origin: str, hash_name: str) -> None:
        """Refuse a seal of another ledger: one with another origin or hash algorithm.

        Raises:
            ValidationError: the seal's origin or hash algorithm is not the ledger's;
                the message names both.
        """
        if (self.origin, self.hash_name) != (origin, hash_name):
            raise ValidationError(
                f"the seal is for {self.origin} ({self.hash_name}), not this ledger "
                f"{origin} ({hash_name}): it is from another ledger",
                field="seal",
            )

    @classmethod
    def create(
        cls,
        *,
        origin: str,
        tree_size: int,
        root_hash: bytes,
        sealed_at: datetime,
        hash_name: str = "sha256",
        signers: Sequence[Signer] = (),
    ) -> Seal:
        """Write a checkpoint and sign it with each signer.

        Args:
            origin: the ledger's origin.
            tree_size: the number of leaves covered.
            root_hash: the tree's root hash.
            sealed_at: when the seal is made (timezone-aware).
            hash_name: the ledger's hash algorithm.
            signers: keys to sign with (none for an unsigned seal).

        Returns:
            The seal.

        Raises:
            ValidationError: an argument is malformed.
        """
        _check_origin(origin, line=None)
        if not isinstance(tree_size, int) or isinstance(tree_size, bool):
            raise ValidationError(f"tree size must be an int, got {tree_size!r}", field="tree_size")
        if not 0 <= tree_size <= MAX_TREE_SIZE:
            raise ValidationError(f"tree size {tree_size} is out of range", field="tree_size")
        if hash_name not in DIGEST_SIZES:
            raise ValidationError(
                f"unknown hash algorithm {hash_name!r}; supported: {', '.join(SUPPORTED_HASHES)}",
                field="hash",
            )
        if not isinstance(root_hash, bytes) or len(root_hash) != DIGEST_SIZES[hash_name]:
            raise ValidationError(
                f"root hash must be {DIGEST_SIZES[hash_name]} bytes for {hash_name}",
                field="root_hash",
            )
        extensions = (
            f"{HASH_EXTENSION} {hash_name}",
            f"{SEALED_AT_EXTENSION} {format_timestamp(sealed_at)}",
        )
        root = base64.b64encode(root_hash).decode("ascii")
        body = f"{origin}\n{tree_size}\n{root}\n" + "".join(f"{e}\n" for e in extensions)
        signatures = tuple(sign_text(body, signer) for signer in signers)
        text = join_note(body, signatures) if signatures else body
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> Seal:
        """Read a seal (a checkpoint, signed or not) from its text.

        Args:
            text: a checkpoint text, or a signed note whose text is a checkpoint.

        Returns:
            The seal; its ``text`` is exactly the input.

        Raises:
            ValidationError: the text is not a well-formed checkpoint; the message
                names the line.
        """
        if not isinstance(text, str):
            raise ValidationError(f"seal must be text, got {text.__class__.__name__}")
        if "\n\n" in text:
            body, signatures = split_note(text)
        else:
            check_note_text(text, "checkpoint")
            body, signatures = text, ()
        lines = body.split("\n")[:-1]
        if len(lines) < 3:
            raise ValidationError(
                f"checkpoint needs at least 3 lines (origin, tree size, root hash), "
                f"got {len(lines)}",
                line=len(lines) + 1,
            )
        origin, size_text, root_text, *extensions = lines
        _check_origin(origin, line=1)
        if not _SIZE.match(size_text) or int(size_text) > MAX_TREE_SIZE:
            raise ValidationError(
                f"checkpoint line 2 must be the tree size in decimal without leading zeros, "
                f"got {size_text[:40]!r}",
                line=2,
                field="tree_size",
            )
        hash_name = "sha256"
        sealed_at = None
        for number, line in enumerate(extensions, start=4):
            if not line:
                raise ValidationError(
                    f"checkpoint line {number} is empty; extension lines must not be", line=number
                )
            keyword, _, value = line.partition(" ")
            if keyword == HASH_EXTENSION:
                if value not in DIGEST_SIZES:
                    raise ValidationError(
                        f"checkpoint line {number} names unknown hash algorithm {value!r}",
                        line=number,
                        field="hash",
                    )
                hash_name = value
            elif keyword == SEALED_AT_EXTENSION:
                try:
                    sealed_at = parse_timestamp(value)
                except ValidationError as e:
                    raise ValidationError(
                        f"checkpoint line {number}: {e.message}", line=number, field="sealed_at"
                    ) from e
        root_hash = _decode_root(root_text, DIGEST_SIZES[hash_name], hash_name)
        return cls(
            origin=origin,
            tree_size=int(size_text),
            root_hash=root_hash,
            sealed_at=sealed_at,
            text=text,
            signatures=signatures,
            hash_name=hash_name,
            extensions=tuple(extensions),
        )

    def cosign(self, signer: Signer) -> Seal:
        """Add a signature line over the same checkpoint (a witness's cosignature).

        Args:
            signer: the witness's (or the ledger's) key.

        Returns:
            A new seal with the signature appended; the checkpoint text is unchanged.

        Raises:
            ValidationError: the key already signed this seal.
        """
        if any(s.name == signer.name and s.key_id == signer.key_id for s in self.signatures):
            raise ValidationError(
                f"key {signer.name} ({signer.key_id:08x}) has already signed this seal",
                field="signer",
            )
        body = self.body
        return Seal.parse(join_note(body, (*self.signatures, sign_text(body, signer))))

    def verify(self, public_keys: PublicKeys) -> tuple[str, ...]:
        """Check the seal's signatures against trusted keys (the signed-note rules).

        A signature by a trusted key (same name and key id) must verify, others
        are ignored, and at least one trusted key must have signed.

        Args:
            public_keys: a verifier key text or :class:`~civicledger.audit.Verifier`,
                or a list of them (the ledger's key and any witnesses').

        Returns:
            The names of the trusted keys that signed.

        Raises:
            VerificationError: a trusted key's signature fails, or none signed.
            ValidationError: a key text is malformed.
        """
        verifiers = as_verifiers(public_keys)
        if not verifiers:
            raise ValidationError("verifying a seal needs at least one public key")
        if not self.signatures:
            raise VerificationError(f"seal of {self.origin} at size {self.tree_size} is not signed")
        return verify_signatures(self.body, self.signatures, verifiers)


def _check_origin(origin: object, *, line: int | None) -> None:
    where = "checkpoint line 1: " if line else ""
    if not isinstance(origin, str) or not origin:
        raise ValidationError(f"{where}origin must be non-empty text", line=line, field="origin")
    if "\n" in origin or any(ord(c) < 0x20 for c in origin):
        raise ValidationError(
            f"{where}origin {origin!r} contains a control character", line=line, field="origin"
        )


def _decode_root(text: str, size: int, hash_name: str) -> bytes:
    try:
        root = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError(
            f"checkpoint line 3 must be the base64 root hash: {e}", line=3, field="root_hash"
        ) from e
    # Refuse non-canonical base64 (stray padding bits) so one root has one text.
    if len(root) != size or base64.b64encode(root).decode("ascii") != text:
        raise ValidationError(
            f"checkpoint line 3 must be the canonical base64 of a {size}-byte {hash_name} "
            f"root hash, got {text[:60]!r}",
            line=3,
            field="root_hash",
        )
    return root
