"""Cosignatures: another key countersigns a ledger's seal (C2SP ``cosignature/v1``).

A street office that receives its communities' ledgers countersigns their seals:
its signature says "we saw this checkpoint, at this time". The signed message is
``cosignature/v1``, a ``time`` line and the seal's checkpoint text, so the time of
countersigning is signed too. The signature line names the cosigner's key with the
key id for algorithm 0x04 and carries the 8-byte time before the Ed25519
signature; appended to the seal's text it leaves a valid signed note, whose other
verifiers skip the line as an unknown key's.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import attrs

from civicledger.audit.checkpoint import Seal
from civicledger.audit.keys import ED25519_SIGNATURE_SIZE, Signer, Verifier
from civicledger.audit.note import NoteSignature, join_note, split_note
from civicledger.errors import ValidationError, VerificationError
from civicledger.events.text import format_timestamp

COSIGNATURE_V1 = 0x04
"""The C2SP signature type byte of a ``cosignature/v1`` key id."""

_TIME = struct.Struct(">Q")

COSIGNATURE_SIZE = _TIME.size + ED25519_SIGNATURE_SIZE
"""Bytes after the key id on a cosignature line: the time, then the signature."""


def cosignature_key_id(name: str, public_key: bytes) -> int:
    """The key id of a cosignature: ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``.

    Args:
        name: the cosigner's key name.
        public_key: its 32-byte Ed25519 public key.

    Returns:
        The key id as an unsigned 32-bit integer.
    """
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_V1]) + public_key
    ).digest()
    (value,) = struct.unpack(">I", digest[:4])
    return int(value)


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a cosignature signs: the header, the time and the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


@attrs.frozen
class Cosignature:
    """A countersignature of one seal by another key.

    Make one with :meth:`make` (or ``ledger.cosign(seal, key)``); read a stored
    one back with :meth:`parse`; :meth:`check` verifies it.

    Attributes:
        seal: the countersigned seal.
        verifier: the cosigner's public key (its name says who cosigned).
        timestamp: when it cosigned, in seconds since 1970 (UTC), as signed.
        signature: the 64-byte Ed25519 signature.
    """

    seal: Seal
    verifier: Verifier
    timestamp: int
    signature: bytes = attrs.field(repr=False)

    @property
    def signer(self) -> str:
        """The cosigner's key name."""
        return self.verifier.name

    @property
    def cosigned_at(self) -> datetime:
        """When it cosigned (UTC, whole seconds), as signed."""
        return datetime.fromtimestamp(self.timestamp, UTC)

    @property
    def key_id(self) -> int:
        """The cosignature key id on the signature line."""
        return cosignature_key_id(self.verifier.name, self.verifier.public_key)

    def note_signature(self) -> NoteSignature:
        """The signature line's content (key id, then time and signature)."""
        return NoteSignature(self.signer, self.key_id, _TIME.pack(self.timestamp) + self.signature)

    @property
    def line(self) -> str:
        """The signature line, without its newline."""
        return self.note_signature().line().rstrip("\n")

    @classmethod
    def make(cls, seal: Seal, signer: Signer, at: datetime) -> Cosignature:
        """Countersign a seal.

        Args:
            seal: the seal.
            signer: the cosigner's key.
            at: when (timezone-aware; whole seconds are signed).

        Returns:
            The cosignature.
        """
        timestamp = int(at.timestamp())
        signature = signer.sign(cosignature_message(seal.body, timestamp))
        return cls(seal, signer.verifier(), timestamp, signature)

    @classmethod
    def parse(cls, seal: Seal, verifier: str, line: str) -> Cosignature:
        """Read a cosignature from its cosigner's verifier key text and its signature line.

        Args:
            seal: the seal it countersigns.
            verifier: the cosigner's verifier key text.
            line: the signature line (a final newline is allowed).

        Returns:
            The cosignature (not yet checked: call :meth:`check`).

        Raises:
            ValidationError: the key text or the line is malformed, or the line is not
                a cosignature by that key.
        """
        key = Verifier.from_text(verifier)
        if not isinstance(line, str) or "\n" in line.removesuffix("\n"):
            raise ValidationError("a cosignature is one signature line", field="signature")
        _, (note,) = split_note(f"x\n\n{line.removesuffix(chr(10))}\n")
        if note.name != key.name:
            raise ValidationError(
                f"the cosignature line is signed {note.name!r}, but its key is {key.name!r}",
                field="signature",
            )
        expected = cosignature_key_id(key.name, key.public_key)
        if note.key_id != expected:
            raise ValidationError(
                f"the cosignature line of {key.name} has key id {note.key_id:08x}, not the "
                f"cosignature key id {expected:08x} of its key",
                field="signature",
            )
        if len(note.signature) != _TIME.size + ED25519_SIGNATURE_SIZE:
            raise ValidationError(
                f"the cosignature of {key.name} has {len(note.signature)} bytes after its key "
                f"id, not {_TIME.size + ED25519_SIGNATURE_SIZE} (time and signature)",
                field="signature",
            )
        (timestamp,) = _TIME.unpack_from(note.signature)
        return cls(seal, key, int(timestamp), note.signature[_TIME.size :])

    def check(self) -> None:
        """Verify the signature over the seal's checkpoint and the signed time.

        Raises:
            VerificationError: it does not verify.
            CivicLedgerError: the ``cryptography`` package is not installed.
        """
        message = cosignature_message(self.seal.body, self.timestamp)
        if not self.verifier.verify(message, self.signature):
            raise VerificationError(
                f"the cosignature by {self.signer} ({self.verifier.key_id:08x}) of the seal at "
                f"size {self.seal.tree_size} does not verify: it was not made by that key over "
                "this seal at its stated time"
            )


def cosigners(seal: Seal) -> list[tuple[str, datetime]]:
    """Who cosigned a seal text, and when, read from its cosignature lines (not checked).

    A line is a cosignature when it carries the 8-byte time and the 64-byte signature
    of ``cosignature/v1``; ordinary signature lines carry the signature alone.

    Returns:
        ``(key name, time)`` per cosignature line, in the order of the lines.
    """
    return [
        (line.name, datetime.fromtimestamp(_TIME.unpack_from(line.signature)[0], UTC))
        for line in seal.signatures
        if len(line.signature) == COSIGNATURE_SIZE
    ]


def checked_cosignatures(
    seal: Seal, keys: Sequence[Verifier]
) -> list[tuple[str, datetime, Verifier | None]]:
    """Check each cosignature line of a seal text by the given key of its cosigner's name.

    A line whose cosigner has no key among ``keys`` cannot be checked: it is returned
    with None, for the caller to say so, never passed over in silence. A line by a
    key that carries a given key's name must be by that very key (a new key made with
    the street's name is an impostor, not an unknown witness).

    Args:
        seal: the seal text, its cosignature lines after its own signatures.
        keys: the cosigners' verifier keys the caller trusts (may be empty).

    Returns:
        ``(cosigner's name, signed time, its key or None when not given)`` per
        cosignature line, in the order of the lines.

    Raises:
        VerificationError: a line is not by the given key of its name, or does not
            verify over the seal's checkpoint at its signed time; the message names
            the seal and the cosigner.
    """
    by_name: dict[str, list[Verifier]] = {}
    for given in keys:
        by_name.setdefault(given.name, []).append(given)
    found: list[tuple[str, datetime, Verifier | None]] = []
    for line in seal.signatures:
        if len(line.signature) != COSIGNATURE_SIZE:
            continue  # the seal's own signature, or a plain witness line
        named = by_name.get(line.name, [])
        # Of several keys of one name (a cosigner's old and new key), the one that made
        # the line; with none, the first, which then fails naming the key id it lacks.
        key = next(
            (k for k in named if cosignature_key_id(k.name, k.public_key) == line.key_id),
            named[0] if named else None,
        )
        if key is not None:
            where = f"the cosignature by {line.name} of the seal of {seal.origin} at size "
            where += str(seal.tree_size)
            try:
                cosignature = Cosignature.parse(seal, key.to_text(), line.line())
            except ValidationError:
                raise VerificationError(
                    f"{where} has key id {line.key_id:08x}, not that of the given key "
                    f"{key.to_text()}: another key signed it under that name"
                ) from None
            message = cosignature_message(seal.body, cosignature.timestamp)
            if not key.verify(message, cosignature.signature):
                raise VerificationError(
                    f"{where} does not verify: it was not made by the key {key.to_text()} "
                    "over this seal's checkpoint at its stated time"
                )
        (timestamp,) = _TIME.unpack_from(line.signature)
        found.append((line.name, datetime.fromtimestamp(timestamp, UTC), key))
    return found


def with_cosignatures(seal: Seal, cosignatures: Sequence[Cosignature]) -> Seal:
    """The seal with its cosignature lines after its own signatures (a C2SP signed note).

    Raises:
        ValidationError: a cosignature is of another seal.
    """
    lines = []
    for cosignature in cosignatures:
        if cosignature.seal.body != seal.body:
            raise ValidationError(
                f"the cosignature by {cosignature.signer} is of another seal", field="cosignature"
            )
        lines.append(cosignature.note_signature())
    if not lines:
        return seal
    return Seal.parse(join_note(seal.body, (*seal.signatures, *lines)))


@attrs.frozen
class StoredCosignature:
    """A cosignature as stored: its columns, for verification.

    Attributes:
        number: its order among the ledger's cosignatures, from 1.
        seal_number: the order of the seal it names among the ledger's seals (None
            when the seal row it names does not exist).
        signer: the stored signer column.
        cosigned_at: the stored time column (the codec's timestamp text).
        verifier: the cosigner's verifier key text.
        signature: the signature line.
    """

    number: int
    seal_number: int | None
    signer: str
    cosigned_at: str
    verifier: str
    signature: str


def check_stored(
    stored: Sequence[StoredCosignature],
    seals: Mapping[int, Seal],
    trusted: Sequence[Verifier],
) -> list[tuple[int | None, str]]:
    """Check stored cosignatures: each names a readable seal, reads, agrees with its
    columns and verifies; one by a trusted key's name must be by that key.

    Args:
        stored: the stored cosignatures.
        seals: the ledger's readable seals by number.
        trusted: trusted keys (may be empty).

    Returns:
        ``(tree size or None, sentence)`` for each problem.
    """
    by_name = {key.name: key for key in trusted}
    problems: list[tuple[int | None, str]] = []
    for row in stored:
        label = f"cosignature {row.number} (by {row.signer!r})"
        seal = seals.get(row.seal_number) if row.seal_number is not None else None
        if seal is None:
            problems.append((None, f"{label} names a seal this ledger has no readable row for"))
            continue
        label += f" of seal {row.seal_number}"
        try:
            cosignature = Cosignature.parse(seal, row.verifier, row.signature)
            cosignature.check()
        except (ValidationError, VerificationError) as e:
            message = e.message if isinstance(e, ValidationError) else str(e)
            problems.append((seal.tree_size, f"{label}: {message}"))
            continue
        stated = format_timestamp(cosignature.cosigned_at)
        if (row.signer, row.cosigned_at) != (cosignature.signer, stated):
            problems.append(
                (
                    seal.tree_size,
                    f"{label}: its columns say {row.signer} at {row.cosigned_at}, but it is "
                    f"signed by {cosignature.signer} at {stated}",
                )
            )
        known = by_name.get(cosignature.signer)
        if known is not None and known != cosignature.verifier:
            problems.append(
                (
                    seal.tree_size,
                    f"{label}: it is signed by a key named {cosignature.signer} that is not the "
                    f"trusted key {known.to_text()}",
                )
            )
    return problems
