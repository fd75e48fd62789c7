"""Hash algorithms for the Merkle layer, with the RFC 9162 leaf and node prefixes."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Protocol

import attrs

from civicledger.errors import CivicLedgerError, ValidationError

LEAF_PREFIX = b"\x00"
"""Byte prepended to a leaf's data before hashing (RFC 9162 §2.1.1)."""

NODE_PREFIX = b"\x01"
"""Byte prepended to two child hashes before hashing (RFC 9162 §2.1.1)."""


class HashObject(Protocol):
    """What a hash constructor returns: ``hashlib``'s objects have this shape."""

    def digest(self) -> bytes:
        """Return the digest of the data passed to the constructor."""
        ...


@attrs.frozen
class HashAlgorithm:
    """A named hash function and the two RFC 9162 Merkle hashes built on it.

    Two instances are equal when their names and digest sizes are, whichever
    backend computes them. Get one with :func:`hash_algorithm` or use
    :data:`SHA256`.

    Attributes:
        name: the algorithm's stored name (``"sha256"`` or ``"sm3"``).
        digest_size: the length of every digest in bytes.
    """

    name: str
    digest_size: int
    # A constructor like hashlib.sha256: calling it on the data and then
    # .digest() costs one Python-level call less per hash than a wrapper
    # function, which shows when a proof or a verify pass folds many nodes.
    _new: Callable[[bytes], HashObject] = attrs.field(eq=False, repr=False, alias="new")

    def __call__(self, data: bytes) -> bytes:
        """Hash ``data``.

        Args:
            data: the bytes to hash.

        Returns:
            The digest, ``digest_size`` bytes long.
        """
        return self._new(data).digest()

    def leaf(self, data: bytes) -> bytes:
        """Hash a Merkle leaf: ``H(0x00 || data)``.

        Args:
            data: the leaf's data (for civicledger, an envelope's canonical bytes).

        Returns:
            The leaf hash.
        """
        return self._new(LEAF_PREFIX + data).digest()

    def node(self, left: bytes, right: bytes) -> bytes:
        """Hash an interior Merkle node: ``H(0x01 || left || right)``.

        Args:
            left: the left child's hash.
            right: the right child's hash.

        Returns:
            The node hash.
        """
        return self._new(NODE_PREFIX + left + right).digest()


SHA256 = HashAlgorithm("sha256", 32, hashlib.sha256)
"""SHA-256 (FIPS 180-4), the default for new ledgers."""


def _sm3_openssl(data: bytes) -> HashObject:
    return hashlib.new("sm3", data)


@attrs.frozen
class _GmsslSm3:
    """SM3 from the gmssl package, shaped like a hashlib object."""

    data: bytes

    def digest(self) -> bytes:
        # gmssl is pure Python and far slower than OpenSSL; it is only the
        # fallback for Python builds whose OpenSSL was compiled without SM3.
        from gmssl import func, sm3

        return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(self.data)))


def _openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


@functools.cache
def _sm3() -> HashAlgorithm:
    if _openssl_has_sm3():
        return HashAlgorithm("sm3", 32, _sm3_openssl)
    try:
        import gmssl  # noqa: F401
    except ImportError as e:
        raise CivicLedgerError(
            "hash algorithm 'sm3' is unavailable: this Python's OpenSSL lacks SM3 and the "
            "gmssl package is not installed; install it with: pip install 'civicledger[sm3]'"
        ) from e
    return HashAlgorithm("sm3", 32, _GmsslSm3)


_FACTORIES: Mapping[str, Callable[[], HashAlgorithm]] = MappingProxyType(
    {"sha256": lambda: SHA256, "sm3": _sm3}
)

SUPPORTED_HASHES: tuple[str, ...] = tuple(_FACTORIES)
"""The names :func:`hash_algorithm` accepts."""

DIGEST_SIZES: Mapping[str, int] = MappingProxyType({"sha256": 32, "sm3": 32})
"""Digest size in bytes of each supported algorithm, known without loading a backend."""


def hash_algorithm(name: str) -> HashAlgorithm:
    """Look up a hash algorithm by its stored name.

    SM3 (GB/T 32905-2016) comes from OpenSSL through :mod:`hashlib` where the
    build provides it, otherwise from the ``gmssl`` package.

    Args:
        name: ``"sha256"`` or ``"sm3"`` (exact, lower case).

    Returns:
        The algorithm.

    Raises:
        ValidationError: the name is not a supported algorithm.
        CivicLedgerError: SM3 was asked for but no backend provides it.
    """
    factory = _FACTORIES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise ValidationError(
            f"unknown hash algorithm {name!r}; supported: {', '.join(SUPPORTED_HASHES)}",
            field="hash",
        )
    return factory()
