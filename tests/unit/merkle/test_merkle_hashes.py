"""Hash algorithms: known answers, the RFC 9162 prefixes, and lookup by name."""

from __future__ import annotations

import hashlib

import pytest

from civicledger.errors import ValidationError
from civicledger.merkle import SHA256, SUPPORTED_HASHES, HashAlgorithm, hash_algorithm
from civicledger.merkle.hashes import _GmsslSm3, _openssl_has_sm3, _sm3_openssl

# GB/T 32905-2016, appendix A, example 1.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
# GB/T 32905-2016, appendix A, example 2: "abcd" repeated 16 times.
SM3_ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
# FIPS 180-4 examples.
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sha256_matches_the_fips_examples() -> None:
    """SHA256 hashes "abc" and "" to the FIPS 180-4 answers."""
    assert SHA256(b"abc").hex() == SHA256_ABC
    assert SHA256(b"").hex() == SHA256_EMPTY
    assert (SHA256.name, SHA256.digest_size) == ("sha256", 32)


def test_sm3_matches_the_standards_examples() -> None:
    """hash_algorithm("sm3") gives the GB/T 32905 known answers."""
    sm3 = hash_algorithm("sm3")
    assert sm3(b"abc").hex() == SM3_ABC
    assert sm3(b"abcd" * 16).hex() == SM3_ABCD16
    assert (sm3.name, sm3.digest_size) == ("sm3", 32)


def test_gmssl_fallback_matches_the_standards_examples() -> None:
    """The gmssl backend, used where OpenSSL lacks SM3, gives the same known answers."""
    assert _GmsslSm3(b"abc").digest().hex() == SM3_ABC
    assert _GmsslSm3(b"abcd" * 16).digest().hex() == SM3_ABCD16


@pytest.mark.skipif(not _openssl_has_sm3(), reason="this OpenSSL has no SM3")
def test_openssl_and_gmssl_sm3_agree_on_long_input() -> None:
    """Both SM3 backends agree beyond one block, where padding bugs would show."""
    data = bytes(range(256)) * 5
    assert _sm3_openssl(data).digest() == _GmsslSm3(data).digest()


def test_leaf_hash_prefixes_0x00() -> None:
    """alg.leaf(d) is H(0x00 || d), as RFC 9162 §2.1.1 defines."""
    assert SHA256.leaf(b"data") == hashlib.sha256(b"\x00data").digest()


def test_node_hash_prefixes_0x01() -> None:
    """alg.node(l, r) is H(0x01 || l || r), as RFC 9162 §2.1.1 defines."""
    left, right = b"L" * 32, b"R" * 32
    assert SHA256.node(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_leaf_and_node_of_the_same_bytes_differ() -> None:
    """Domain separation: a leaf cannot pass for an interior node."""
    data = b"x" * 64
    assert SHA256.leaf(data) != SHA256.node(data[:32], data[32:])


def test_lookup_by_name_returns_equal_algorithms() -> None:
    """hash_algorithm returns the same algorithm each time; SHA256 is the "sha256" one."""
    assert hash_algorithm("sha256") == SHA256
    assert hash_algorithm("sm3") == hash_algorithm("sm3")
    assert hash_algorithm("sm3") != SHA256
    assert set(SUPPORTED_HASHES) == {"sha256", "sm3"}


def test_algorithms_compare_by_name_not_backend() -> None:
    """Two SM3 instances over different backends are equal and hash alike."""
    fallback = HashAlgorithm("sm3", 32, _GmsslSm3)
    assert fallback == hash_algorithm("sm3")
    assert fallback.node(b"a" * 32, b"b" * 32) == hash_algorithm("sm3").node(b"a" * 32, b"b" * 32)


@pytest.mark.parametrize("name", ["SHA256", "sha-256", "md5", "", None, 256])
def test_unknown_algorithm_names_the_name_and_the_supported_ones(name: object) -> None:
    """An unknown name raises ValidationError quoting it and listing sha256 and sm3."""
    with pytest.raises(ValidationError) as caught:
        hash_algorithm(name)  # type: ignore[arg-type]
    message = str(caught.value)
    assert repr(name) in message
    assert "sha256" in message
    assert "sm3" in message
