"""The reference root and the Frontier: known roots, stored nodes, serialisation, bad input."""

from __future__ import annotations

import struct
import zlib

import pytest

from civicledger.errors import ValidationError
from civicledger.merkle import (
    SHA256,
    STORED_LEVELS,
    Frontier,
    Node,
    hash_algorithm,
    merkle_root,
)
from merkle_testkit import LEAVES, ROOTS


def leaf(i: int) -> bytes:
    """A distinct, cheap leaf hash for index i."""
    return SHA256.leaf(i.to_bytes(8, "big"))


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    """MTH({}) is H(""), for merkle_root and the empty Frontier alike."""
    assert merkle_root(SHA256, []) == SHA256(b"")
    assert Frontier.empty(SHA256).root() == SHA256(b"")


@pytest.mark.parametrize("size", range(1, 9))
def test_merkle_root_matches_the_rfc6962_reference_roots(size: int) -> None:
    """merkle_root gives the published root for each reference tree size."""
    assert merkle_root(SHA256, LEAVES[:size]).hex() == ROOTS[size - 1]


def test_frontier_root_matches_the_reference_roots_as_it_grows() -> None:
    """After each append, Frontier.root() is the published root of that size."""
    frontier = Frontier.empty(SHA256)
    for size, leaf_hash in enumerate(LEAVES, start=1):
        frontier.append(leaf_hash)
        assert frontier.size == size
        assert frontier.root().hex() == ROOTS[size - 1]


def test_frontier_keeps_one_hash_per_set_bit_of_its_size() -> None:
    """A tree of 13 = 8 + 4 + 1 leaves has three perfect subtrees, largest first."""
    frontier = Frontier.empty(SHA256)
    frontier.extend(leaf(i) for i in range(13))
    assert [(n.level, n.index) for n in frontier.nodes()] == [(3, 0), (2, 2), (0, 12)]
    assert frontier.nodes()[0].hash == merkle_root(SHA256, [leaf(i) for i in range(8)])
    assert frontier.nodes()[1].hash == merkle_root(SHA256, [leaf(i) for i in range(8, 12)])
    assert frontier.hashes == tuple(n.hash for n in frontier.nodes())


def test_append_returns_the_stored_level_nodes_it_completes() -> None:
    """Appending leaf 256 * k - 1 completes level-8 node k - 1, with its subtree's hash."""
    frontier = Frontier.empty(SHA256)
    leaves = [leaf(i) for i in range(3 * 256)]
    completed = {i: frontier.append(h) for i, h in enumerate(leaves)}
    assert {i for i, nodes in completed.items() if nodes} == {255, 511, 767}
    assert completed[511] == [Node(8, 1, merkle_root(SHA256, leaves[256:512]))]
    assert completed[511][0].begin == 256
    assert completed[511][0].end == 512


def test_append_completes_levels_8_and_16_together_at_65536() -> None:
    """Leaf 65535 completes level-8 node 255 and level-16 node 0 in one append."""
    frontier = Frontier.empty(SHA256)
    completed = frontier.extend(leaf(i) for i in range(65536))
    assert [(n.level, n.index) for n in completed[-2:]] == [(8, 255), (16, 0)]
    assert sum(1 for n in completed if n.level == 8) == 256
    assert completed[-1].hash == frontier.root()
    assert STORED_LEVELS == (8, 16)


def test_copy_is_independent_of_later_appends() -> None:
    """Appending to a frontier leaves a copy taken before unchanged."""
    frontier = Frontier.empty(SHA256)
    frontier.extend(leaf(i) for i in range(5))
    before = frontier.copy()
    frontier.append(leaf(5))
    assert before.size == 5
    assert before.root() == merkle_root(SHA256, [leaf(i) for i in range(5)])
    assert before != frontier


@pytest.mark.parametrize("bad", [b"", bytes(31), bytes(33), "00" * 32, None])
def test_append_rejects_a_malformed_leaf_hash_and_stays_unchanged(bad: object) -> None:
    """A leaf hash of the wrong length or type raises ValidationError and appends nothing."""
    frontier = Frontier.empty(SHA256)
    frontier.append(leaf(0))
    with pytest.raises(ValidationError, match="leaf hash must be"):
        frontier.append(bad)  # type: ignore[arg-type]
    assert frontier.size == 1


def test_to_bytes_round_trips() -> None:
    """from_bytes(to_bytes()) gives an equal frontier with the same root."""
    frontier = Frontier.empty(SHA256)
    frontier.extend(leaf(i) for i in range(1000))
    loaded = Frontier.from_bytes(SHA256, frontier.to_bytes())
    assert loaded == frontier
    assert loaded.root() == frontier.root()
    assert len(frontier.to_bytes()) == 2 + 6 + 8 + 32 * bin(1000).count("1") + 4


def test_loaded_frontier_keeps_growing_like_the_original() -> None:
    """A frontier loaded from bytes appends and completes nodes like the one it came from."""
    original = Frontier.empty(SHA256)
    original.extend(leaf(i) for i in range(255))
    loaded = Frontier.from_bytes(SHA256, original.to_bytes())
    assert loaded.append(leaf(255)) == original.append(leaf(255))
    assert loaded.root() == original.root()


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def _body(version: int = 1, name: bytes = b"sha256", size: int = 1, hashes: bytes = b"") -> bytes:
    return struct.pack(">BB", version, len(name)) + name + struct.pack(">Q", size) + hashes


CORRUPT = [
    (b"", "truncated"),
    (b"\x01\x06sha256", "truncated"),
    (Frontier.empty(SHA256).to_bytes()[:-1] + b"\x00", "CRC-32"),
    (_with_crc(_body(version=2, size=0)), "format version 2"),
    (_with_crc(_body(name=b"sm3", size=0)), "written for hash 'sm3'"),
    (_with_crc(_body(size=1)), "needs 32 bytes of hashes, got 0"),
    (_with_crc(_body(size=3, hashes=bytes(32))), "needs 64 bytes of hashes, got 32"),
    (_with_crc(b"\x01\xff" + b"sha256" + bytes(8)), "written for hash"),
]


@pytest.mark.parametrize(("data", "message"), CORRUPT)
def test_from_bytes_rejects_corrupt_input(data: bytes, message: str) -> None:
    """Truncated, corrupt, wrong-version or wrong-algorithm bytes raise ValidationError."""
    with pytest.raises(ValidationError, match=message):
        Frontier.from_bytes(SHA256, data)


def test_from_bytes_catches_a_flipped_bit_in_a_hash() -> None:
    """A single flipped bit inside a stored subtree hash fails the checksum."""
    frontier = Frontier.empty(SHA256)
    frontier.extend(leaf(i) for i in range(7))
    data = bytearray(frontier.to_bytes())
    data[20] ^= 0x10
    with pytest.raises(ValidationError, match="corrupt"):
        Frontier.from_bytes(SHA256, bytes(data))


def test_from_bytes_refuses_another_algorithms_frontier() -> None:
    """An SM3 frontier cannot be loaded as SHA-256."""
    sm3 = hash_algorithm("sm3")
    frontier = Frontier.empty(sm3)
    frontier.append(sm3.leaf(b"x"))
    with pytest.raises(ValidationError, match="written for hash 'sm3', not 'sha256'"):
        Frontier.from_bytes(SHA256, frontier.to_bytes())


def test_from_bytes_rejects_text() -> None:
    """A str (e.g. a hex dump) is not accepted as frontier bytes."""
    with pytest.raises(ValidationError, match="frontier must be bytes"):
        Frontier.from_bytes(SHA256, "01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (-1, [], "size must be an int >= 0"),
        (3, [bytes(32)], "has 2 subtree hashes, got 1"),
        (1, [bytes(16)], "must be 32 bytes"),
    ],
)
def test_constructor_rejects_inconsistent_parts(
    size: int, hashes: list[bytes], message: str
) -> None:
    """Frontier(alg, size, hashes) checks the hash count and lengths against the size."""
    with pytest.raises(ValidationError, match=message):
        Frontier(SHA256, size, hashes)
