"""Ed25519 note keys: signer and verifier keys in the C2SP signed-note text formats.

``cryptography`` is imported only when a key is used, so the rest of
civicledger works without the ``signing`` extra.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from civicledger.errors import CivicLedgerError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

ED25519 = 0x01
"""The signed-note signature type byte of Ed25519."""

ED25519_KEY_SIZE = 32
"""Length in bytes of an Ed25519 public key and of its private seed."""

ED25519_SIGNATURE_SIZE = 64
"""Length in bytes of an Ed25519 signature."""

_PRIVATE_PREFIX = "PRIVATE+KEY+"
_INSTALL_HINT = "install it with: pip install 'civicledger[signing]'"


def _ed25519() -> Any:
    """Import the Ed25519 module of ``cryptography``, or explain how to get it."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as e:
        raise CivicLedgerError(
            f"signing and checking seals needs the 'cryptography' package; {_INSTALL_HINT}"
        ) from e
    return ed25519


def check_key_name(name: object) -> str:
    """Check a note key name: non-empty, without spaces, control characters or ``+``.

    Args:
        name: the candidate name (e.g. ``"example.org/office"``).

    Returns:
        The name.

    Raises:
        ValidationError: the name breaks the signed-note rules.
    """
    if not isinstance(name, str) or not name:
        raise ValidationError(f"key name must be non-empty text, got {name!r}", field="key name")
    bad = next((c for c in name if c.isspace() or c == "+" or ord(c) < 0x20), None)
    if bad is not None:
        raise ValidationError(
            f"key name {name!r} contains {bad!r}; key names may not contain spaces or '+'",
            field="key name",
        )
    return name


def key_id(name: str, public_key: bytes) -> int:
    """Compute an Ed25519 note key id: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``.

    Args:
        name: the key name.
        public_key: the 32-byte Ed25519 public key.

    Returns:
        The key id as an unsigned 32-bit integer (big-endian reading of the 4 bytes).
    """
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    (value,) = struct.unpack(">I", digest[:4])
    return int(value)


class Verifier:
    """An Ed25519 public key with its note name and key id, able to check signatures."""

    __slots__ = ("_key", "key_id", "name", "public_key")

    def __init__(self, name: str, public_key: bytes) -> None:
        """Make a verifier from a key name and a raw public key.

        Args:
            name: the key name that signature lines carry.
            public_key: the 32-byte Ed25519 public key.

        Raises:
            ValidationError: the name or key is malformed.
        """
        self.name = check_key_name(name)
        if not isinstance(public_key, bytes) or len(public_key) != ED25519_KEY_SIZE:
            raise ValidationError(
                f"Ed25519 public key of {name!r} must be {ED25519_KEY_SIZE} bytes",
                field="public key",
            )
        self.public_key = public_key
        self.key_id = key_id(name, public_key)
        self._key: Ed25519PublicKey | None = None

    @classmethod
    def from_text(cls, text: str) -> Verifier:
        """Parse a verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``.

        Args:
            text: the verifier key text (surrounding whitespace is ignored).

        Returns:
            The verifier.

        Raises:
            ValidationError: the text is malformed, not Ed25519, or its key id does not
                match its name and key.
        """
        if not isinstance(text, str):
            raise ValidationError(
                f"verifier key must be text, got {text.__class__.__name__}", field="public key"
            )
        # At most two splits: the base64 key itself may contain '+'.
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ValidationError(
                "verifier key must look like <name>+<8 hex digits>+<base64 key>, "
                f"got {len(parts)} '+'-separated parts",
                field="public key",
            )
        name, hex_id, encoded = parts
        key = _decode_typed_key(encoded, "verifier key")
        verifier = cls(name, key)
        _check_key_id(hex_id, verifier.key_id, name)
        return verifier

    def to_text(self) -> str:
        """The verifier key text ``<name>+<hex key id>+<base64(0x01 || public key)>``.

        Returns:
            The text, suitable to publish.
        """
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Check an Ed25519 signature over ``message``.

        Args:
            message: the signed bytes (a note's text).
            signature: the 64-byte signature (without the key id).

        Returns:
            True when the signature is valid for this key.

        Raises:
            CivicLedgerError: the ``cryptography`` package is not installed.
        """
        ed25519 = _ed25519()
        if self._key is None:
            self._key = ed25519.Ed25519PublicKey.from_public_bytes(self.public_key)
        from cryptography.exceptions import InvalidSignature

        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"Verifier({self.name!r}, key_id={self.key_id:08x})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verifier):
            return NotImplemented
        return (self.name, self.public_key) == (other.name, other.public_key)

    def __hash__(self) -> int:
        return hash((self.name, self.public_key))


class Signer:
    """An Ed25519 private key with its note name, able to sign note texts."""

    __slots__ = ("_key", "key_id", "name", "public_key")

    def __init__(self, name: str, seed: bytes) -> None:
        """Make a signer from a key name and a 32-byte private seed.

        Args:
            name: the key name written on signature lines.
            seed: the 32-byte Ed25519 private key (RFC 8032 seed).

        Raises:
            ValidationError: the name or seed is malformed.
            CivicLedgerError: the ``cryptography`` package is not installed.
        """
        self.name = check_key_name(name)
        if not isinstance(seed, bytes) or len(seed) != ED25519_KEY_SIZE:
            raise ValidationError(
                f"Ed25519 private key of {name!r} must be {ED25519_KEY_SIZE} bytes",
                field="signer key",
            )
        ed25519 = _ed25519()
        self._key: Ed25519PrivateKey = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        from cryptography.hazmat.primitives import serialization

        self.public_key: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Signer:
        """Make a new random key.

        Args:
            name: the key name (e.g. the ledger's origin).

        Returns:
            The signer.

        Raises:
            ValidationError: the name is malformed.
            CivicLedgerError: the ``cryptography`` package is not installed.
        """
        check_key_name(name)
        ed25519 = _ed25519()
        from cryptography.hazmat.primitives import serialization

        seed = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(name, seed)

    @classmethod
    def from_text(cls, text: str) -> Signer:
        """Parse a signer key ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.

        Args:
            text: the signer key text (surrounding whitespace is ignored).

        Returns:
            The signer.

        Raises:
            ValidationError: the text is malformed, not Ed25519, or its key id does not
                match its name and key.
            CivicLedgerError: the ``cryptography`` package is not installed.
        """
        if not isinstance(text, str):
            raise ValidationError(
                f"signer key must be text, got {text.__class__.__name__}", field="signer key"
            )
        stripped = text.strip()
        if not stripped.startswith(_PRIVATE_PREFIX):
            raise ValidationError(
                f"signer key must start with {_PRIVATE_PREFIX!r} (is this a verifier key?)",
                field="signer key",
            )
        parts = stripped[len(_PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise ValidationError(
                "signer key must look like PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>",
                field="signer key",
            )
        name, hex_id, encoded = parts
        signer = cls(name, _decode_typed_key(encoded, "signer key"))
        _check_key_id(hex_id, signer.key_id, name)
        return signer

    def to_text(self) -> str:
        """The signer key text; keep it secret.

        Returns:
            ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.
        """
        from cryptography.hazmat.primitives import serialization

        seed = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        encoded = base64.b64encode(bytes([ED25519]) + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id:08x}+{encoded}"

    def verifier(self) -> Verifier:
        """The matching public verifier.

        Returns:
            A Verifier with this signer's name and public key.
        """
        return Verifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        """Sign ``message`` with Ed25519.

        Args:
            message: the bytes to sign (a note's text).

        Returns:
            The 64-byte signature (without the key id).
        """
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"Signer({self.name!r}, key_id={self.key_id:08x})"


def generate_key(name: str) -> tuple[str, str]:
    """Make a new Ed25519 note key pair, as texts to save.

    Args:
        name: the key name, e.g. the ledger's origin (``"example.org/community-x"``).

    Returns:
        ``(signer_key_text, verifier_key_text)``: keep the first secret, publish the second.

    Raises:
        ValidationError: the name is not a valid key name.
        CivicLedgerError: the ``cryptography`` package is not installed.
    """
    signer = Signer.generate(name)
    return signer.to_text(), signer.verifier().to_text()


PublicKeys: TypeAlias = "str | Verifier | Signer | Iterable[str | Verifier | Signer] | None"
"""What callers may pass as trusted public keys: one key or several, as texts or objects."""


def as_verifiers(keys: PublicKeys) -> tuple[Verifier, ...]:
    """Normalise what callers pass as public keys: one or several texts or Verifiers.

    Args:
        keys: None, a verifier key text, a Verifier, a Signer (its public half), or an
            iterable of those.

    Returns:
        The verifiers (empty for None).

    Raises:
        ValidationError: an item is neither a key text nor a key object.
    """
    if keys is None:
        return ()
    items: Iterable[object] = [keys] if isinstance(keys, str | Verifier | Signer) else keys
    if not isinstance(items, Iterable):
        raise ValidationError(
            f"public key must be a verifier key text or Verifier, got {keys.__class__.__name__}",
            field="public key",
        )
    result = []
    for item in items:
        if isinstance(item, Verifier):
            result.append(item)
        elif isinstance(item, Signer):
            result.append(item.verifier())
        elif isinstance(item, str):
            result.append(Verifier.from_text(item))
        else:
            raise ValidationError(
                f"public key must be a verifier key text or Verifier, "
                f"got {item.__class__.__name__}",
                field="public key",
            )
    return tuple(result)


def _decode_typed_key(encoded: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError(f"{what} is not valid base64: {e}", field=what) from e
    if len(raw) != 1 + ED25519_KEY_SIZE:
        raise ValidationError(
            f"{what} must encode 1 type byte and {ED25519_KEY_SIZE} key bytes, got {len(raw)}",
            field=what,
        )
    if raw[0] != ED25519:
        raise ValidationError(
            f"{what} has signature type 0x{raw[0]:02x}; only Ed25519 (0x01) is supported",
            field=what,
        )
    return raw[1:]


def _check_key_id(hex_id: str, expected: int, name: str) -> None:
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise ValidationError(
            f"key id of {name!r} must be 8 hex digits, got {hex_id!r}", field="key id"
        )
    if int(hex_id, 16) != expected:
        raise ValidationError(
            f"key id {hex_id} of {name!r} does not match its name and public key "
            f"(expected {expected:08x}); the key text is corrupt",
            field="key id",
        )
