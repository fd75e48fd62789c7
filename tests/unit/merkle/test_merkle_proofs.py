"""Proof generation and verification: reference proofs, precise rejections, reader problems."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from civicledger.errors import ValidationError, VerificationError
from civicledger.merkle import (
    SHA256,
    MemoryNodeReader,
    consistency_proof,
    inclusion_proof,
    merkle_root,
    root_from_inclusion_proof,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)
from civicledger.merkle.verify import consistency_proof_length, inclusion_proof_length
from merkle_testkit import LEAVES, ROOTS

# Reference proofs over the RFC 6962 test tree (transparency-dev/merkle's test data).
H = {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b086": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
}
INCLUSION = [  # (leaf index, tree size, proof)
    (0, 1, []),
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
    (6, 7, ["0ebc", "b086", "d37e"]),
]


@pytest.fixture
def reference() -> MemoryNodeReader:
    """The eight-leaf RFC 6962 reference tree."""
    reader = MemoryNodeReader(SHA256)
    reader.extend(LEAVES)
    return reader


def leaf(i: int) -> bytes:
    """A distinct, cheap leaf hash for index i."""
    return SHA256.leaf(i.to_bytes(8, "big"))


def root(size: int) -> bytes:
    """The reference tree's published root at ``size``."""
    return bytes.fromhex(ROOTS[size - 1])


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proof_matches_the_reference(
    reference: MemoryNodeReader, index: int, size: int, expected: list[str]
) -> None:
    """inclusion_proof produces the published proof, and it verifies."""
    proof = inclusion_proof(SHA256, reference, index, size)
    assert [p.hex() for p in proof] == [H[k] for k in expected]
    verify_inclusion(SHA256, index, size, LEAVES[index], proof, root(size))


@pytest.mark.parametrize(("size1", "size2", "expected"), CONSISTENCY)
def test_consistency_proof_matches_the_reference(
    reference: MemoryNodeReader, size1: int, size2: int, expected: list[str]
) -> None:
    """consistency_proof produces the published proof, and it verifies."""
    proof = consistency_proof(SHA256, reference, size1, size2)
    assert [p.hex() for p in proof] == [H[k] for k in expected]
    verify_consistency(SHA256, size1, size2, proof, root(size1), root(size2))


def test_proof_lengths_follow_the_tree_shape() -> None:
    """The length formulas agree with the reference proofs."""
    for index, size, expected in INCLUSION:
        assert inclusion_proof_length(index, size) == len(expected)
    for size1, size2, expected in CONSISTENCY[1:]:
        assert consistency_proof_length(size1, size2) == len(expected)


def test_subtree_hash_of_any_range_is_its_merkle_root() -> None:
    """subtree_hash equals merkle_root of the slice, aligned or not, across 256-leaf tiles."""
    reader = MemoryNodeReader(SHA256)
    leaves = [leaf(i) for i in range(1100)]
    reader.extend(leaves)
    for begin, end in [(0, 0), (0, 1), (0, 1100), (3, 700), (256, 768), (255, 1025), (512, 1024)]:
        assert subtree_hash(SHA256, reader, begin, end) == merkle_root(SHA256, leaves[begin:end])


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [(8, 8, "outside a tree of size 8"), (-1, 8, "index must be"), (True, 8, "index must be")],
)
def test_inclusion_proof_rejects_an_index_outside_the_tree(
    reference: MemoryNodeReader, index: int, size: int, message: str
) -> None:
    """Asking for a leaf not in the tree raises ValidationError."""
    with pytest.raises(ValidationError, match=message):
        inclusion_proof(SHA256, reference, index, size)


@pytest.mark.parametrize(
    ("size1", "size2", "message"),
    [(0, 8, "size1 >= 1"), (5, 4, "larger than size2"), (1, -2, "size2 must be")],
)
def test_consistency_proof_rejects_impossible_sizes(
    reference: MemoryNodeReader, size1: int, size2: int, message: str
) -> None:
    """size1 = 0, size1 > size2 and negative sizes raise ValidationError."""
    with pytest.raises(ValidationError, match=message):
        consistency_proof(SHA256, reference, size1, size2)


def test_subtree_hash_rejects_a_reversed_range(reference: MemoryNodeReader) -> None:
    """A range whose begin is after its end raises ValidationError."""
    with pytest.raises(ValidationError, match="after its end"):
        subtree_hash(SHA256, reference, 5, 4)


def test_proof_beyond_the_stored_tree_reports_missing_hashes(
    reference: MemoryNodeReader,
) -> None:
    """A size larger than the reader holds raises VerificationError naming the short read."""
    expected = r"incomplete: asked for leaf hashes \[1, 9\), got 7 of 8"
    with pytest.raises(VerificationError, match=expected):
        inclusion_proof(SHA256, reference, 0, 9)


class _CorruptReader:
    """Serves one malformed leaf hash at index 3."""

    def __init__(self, reader: MemoryNodeReader) -> None:
        self._reader = reader

    def leaf_hashes(self, begin: int, end: int) -> Sequence[bytes]:
        hashes = list(self._reader.leaf_hashes(begin, end))
        if begin <= 3 < end:
            hashes[3 - begin] = b"short"
        return hashes

    def stored_nodes(self, level: int, begin: int, end: int) -> Sequence[bytes]:
        return self._reader.stored_nodes(level, begin, end)


def test_malformed_stored_hash_is_reported_with_its_index(reference: MemoryNodeReader) -> None:
    """A stored hash of the wrong length raises VerificationError naming where it is (a leaf
    also by its ledger position)."""
    with pytest.raises(
        VerificationError, match=r"leaf hash at index 3 \(position 4\) is not a 32-byte sha256"
    ):
        inclusion_proof(SHA256, _CorruptReader(reference), 0, 8)


def test_memory_reader_refuses_levels_it_does_not_store(reference: MemoryNodeReader) -> None:
    """stored_nodes at a level other than 8 or 16 raises ValidationError."""
    with pytest.raises(ValidationError, match="level 4 is not stored"):
        reference.stored_nodes(4, 0, 1)


GOOD_INCLUSION = (5, 8, LEAVES[5], [bytes.fromhex(H[k]) for k in ["bc1a", "ca85", "d37e"]])
INCLUSION_REJECTIONS = [
    ((8, 8, *GOOD_INCLUSION[2:]), "leaf index 8 is not less than tree size 8"),
    ((-1, 8, *GOOD_INCLUSION[2:]), "index must be an int >= 0"),
    ((5, 8, LEAVES[5][:31], GOOD_INCLUSION[3]), "leaf hash is 31 bytes"),
    ((5, 8, LEAVES[5], GOOD_INCLUSION[3][:2]), "must have 3 hashes, got 2"),
    ((5, 8, LEAVES[5], [*GOOD_INCLUSION[3], bytes(32)]), "must have 3 hashes, got 4"),
    ((5, 8, LEAVES[5], [GOOD_INCLUSION[3][0], b"", GOOD_INCLUSION[3][2]]), "proof hash 1 is 0"),
    ((5, 8, LEAVES[5], b"".join(GOOD_INCLUSION[3])), "must be a sequence of hashes"),
    ((5, 8, LEAVES[4], GOOD_INCLUSION[3]), "leads to root"),
]


@pytest.mark.parametrize(("arguments", "message"), INCLUSION_REJECTIONS)
def test_verify_inclusion_says_why_it_rejects(arguments: tuple[object, ...], message: str) -> None:
    """Each kind of bad inclusion input raises VerificationError with its own reason."""
    index, size, leaf_hash, proof = arguments
    with pytest.raises(VerificationError, match=message):
        verify_inclusion(SHA256, index, size, leaf_hash, proof, root(8))  # type: ignore[arg-type]


def test_verify_inclusion_rejects_a_root_of_the_wrong_length() -> None:
    """A truncated root is malformed input, not just a mismatch."""
    with pytest.raises(VerificationError, match="root is 31 bytes"):
        verify_inclusion(SHA256, *GOOD_INCLUSION, root(8)[:31])


def test_root_from_inclusion_proof_gives_the_tree_root() -> None:
    """The helper returns the root the proof implies."""
    assert root_from_inclusion_proof(SHA256, *GOOD_INCLUSION) == root(8)


GOOD_CONSISTENCY = [bytes.fromhex(H[k]) for k in ["0ebc", "ca85", "d37e"]]
CONSISTENCY_REJECTIONS = [
    ((7, 6, GOOD_CONSISTENCY, root(6), root(8)), "size1 7 is larger than size2 6"),
    ((0, 8, [], merkle_root(SHA256, []), root(8)), "from the empty tree"),
    ((8, 8, [root(8)], root(8), root(8)), "proof must be empty; got 1"),
    ((8, 8, [], root(7), root(8)), "same size 8 have different roots"),
    ((6, 8, [], root(6), root(8)), "is empty; different sizes need hashes"),
    ((6, 8, GOOD_CONSISTENCY[:2], root(6), root(8)), "must have 3 hashes, got 2"),
    ((6, 8, GOOD_CONSISTENCY, root(6)[:8], root(8)), "root1 is 8 bytes"),
    ((6, 8, GOOD_CONSISTENCY, root(6), b""), "root2 is 0 bytes"),
    ((6, 8, GOOD_CONSISTENCY, root(5), root(8)), "leads to old root"),
    ((6, 8, GOOD_CONSISTENCY, root(6), root(7)), "leads to new root"),
    ((6, 8, [*GOOD_CONSISTENCY[:2], bytes(31)], root(6), root(8)), "proof hash 2 is 31"),
]


@pytest.mark.parametrize(("arguments", "message"), CONSISTENCY_REJECTIONS)
def test_verify_consistency_says_why_it_rejects(
    arguments: tuple[int, int, list[bytes], bytes, bytes], message: str
) -> None:
    """Each kind of bad consistency input raises VerificationError with its own reason."""
    with pytest.raises(VerificationError, match=message):
        verify_consistency(SHA256, *arguments)


def test_equal_sizes_with_equal_roots_verify() -> None:
    """A tree is consistent with itself: equal sizes, equal roots, empty proof."""
    verify_consistency(SHA256, 8, 8, [], root(8), root(8))
