"""C2SP signed notes: splitting a note into its text and signature lines, signing, checking."""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable, Sequence

import attrs

from civicledger.audit.keys import ED25519_SIGNATURE_SIZE, Signer, Verifier, check_key_name
from civicledger.errors import ValidationError, VerificationError

SIGNATURE_PREFIX = "\u2014 "
"""What every signature line starts with: an em dash (U+2014) and a space."""

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (the note spec asks verifiers to accept 16)."""

_KEY_ID = struct.Struct(">I")


@attrs.frozen
class NoteSignature:
    """One signature line of a signed note.

    Attributes:
        name: the key name on the line.
        key_id: the 32-bit key id that prefixes the signature bytes.
        signature: the signature bytes after the key id (64 for Ed25519; other
            algorithms' lines are kept as they are, unchecked).
    """

    name: str
    key_id: int
    signature: bytes = attrs.field(repr=lambda s: f"<{len(s)} bytes>")

    def line(self) -> str:
        """The signature line, ending in a newline.

        Returns:
            ``— <name> <base64(key id || signature)>\\n``.
        """
        encoded = base64.b64encode(_KEY_ID.pack(self.key_id) + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


def check_note_text(text: str, what: str = "note text") -> None:
    """Check a note text: ends in a newline, no control characters but newline.

    Args:
        text: the text to be signed.
        what: how errors name it.

    Raises:
        ValidationError: the text breaks a rule; the message names the line.
    """
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be text, got {text.__class__.__name__}")
    if not text.endswith("\n"):
        raise ValidationError(f"{what} must end with a newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError(f"{what} is not valid Unicode text: {e.reason}") from e
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        bad = next((c for c in line if ord(c) < 0x20), None)
        if bad is not None:
            raise ValidationError(
                f"{what} line {number} contains control character U+{ord(bad):04X}", line=number
            )


def split_note(message: str) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a signed note into its text and its signature lines.

    The text is everything up to the last blank line (keeping its final newline);
    each line after it must be a well-formed signature line.

    Args:
        message: the whole note.

    Returns:
        ``(text, signatures)``, signatures in the order they appear.

    Raises:
        ValidationError: the note is malformed; the message names the line.
    """
    if not isinstance(message, str):
        raise ValidationError(f"signed note must be text, got {message.__class__.__name__}")
    cut = message.rfind("\n\n")
    if cut < 0:
        raise ValidationError("signed note has no blank line before its signatures")
    text = message[: cut + 1]
    check_note_text(text)
    first_line = text.count("\n") + 2
    block = message[cut + 2 :]
    if not block:
        raise ValidationError(f"signed note has no signature line after line {first_line - 1}")
    if not block.endswith("\n"):
        raise ValidationError("signed note must end with a newline after its last signature")
    lines = block.split("\n")[:-1]
    if len(lines) > MAX_SIGNATURES:
        raise ValidationError(
            f"signed note has {len(lines)} signatures; at most {MAX_SIGNATURES} are accepted"
        )
    signatures = tuple(
        _parse_signature_line(line, number) for number, line in enumerate(lines, first_line)
    )
    return text, signatures


def join_note(text: str, signatures: Sequence[NoteSignature]) -> str:
    """Write a signed note: the text, a blank line, one line per signature.

    Args:
        text: the note text (ending in a newline).
        signatures: at least one signature.

    Returns:
        The signed note.

    Raises:
        ValidationError: the text is malformed or there is no signature.
    """
    check_note_text(text)
    if not signatures:
        raise ValidationError("a signed note needs at least one signature")
    if len(signatures) > MAX_SIGNATURES:
        raise ValidationError(f"a signed note carries at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(s.line() for s in signatures)


def sign_text(text: str, signer: Signer) -> NoteSignature:
    """Sign a note text with an Ed25519 key.

    Args:
        text: the note text (ending in a newline).
        signer: the key.

    Returns:
        The signature line's content.

    Raises:
        ValidationError: the text is malformed.
    """
    check_note_text(text)
    return NoteSignature(signer.name, signer.key_id, signer.sign(text.encode("utf-8")))


def verify_signatures(
    text: str, signatures: Iterable[NoteSignature], verifiers: Sequence[Verifier]
) -> tuple[str, ...]:
    """Check a note's signatures against trusted keys, as the note spec requires.

    A signature whose key name and id both match a trusted key must verify;
    signatures from unknown keys are ignored; at least one must verify.

    Args:
        text: the note text.
        signatures: its signatures.
        verifiers: the trusted keys.

    Returns:
        The names of the keys whose signatures verified, in signature order.

    Raises:
        VerificationError: a trusted key's signature fails, or no trusted key signed.
        CivicLedgerError: the ``cryptography`` package is not installed.
    """
    known = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    verified: list[str] = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if len(sig.signature) != ED25519_SIGNATURE_SIZE or not verifier.verify(
            message, sig.signature
        ):
            raise VerificationError(
                f"signature by {sig.name} (key id {sig.key_id:08x}) does not verify: "
                "the signed text was changed or the signature is corrupt"
            )
        if sig.name not in verified:
            verified.append(sig.name)
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "none given"
        raise VerificationError(f"no signature from a trusted key (trusted keys: {names})")
    return tuple(verified)


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise ValidationError(
            f"signed note line {number} is not a signature line (must start with "
            f"an em dash and a space): {line[:40]!r}",
            line=number,
        )
    rest = line[len(SIGNATURE_PREFIX) :]
    name, space, encoded = rest.rpartition(" ")
    if not space:
        raise ValidationError(
            f"signed note line {number} needs a key name and a signature", line=number
        )
    try:
        check_key_name(name)
    except ValidationError as e:
        raise ValidationError(f"signed note line {number}: {e.message}", line=number) from e
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError(
            f"signed note line {number}: signature is not valid base64", line=number
        ) from e
    if len(raw) <= _KEY_ID.size:
        raise ValidationError(
            f"signed note line {number}: signature has {len(raw)} bytes, "
            "too short for a key id and a signature",
            line=number,
        )
    (key_id,) = _KEY_ID.unpack_from(raw)
    return NoteSignature(name, key_id, raw[_KEY_ID.size :])
