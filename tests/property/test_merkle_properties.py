"""Merkle layer properties over random trees, checked against a literal RFC 9162 reference."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import VerificationError
from civicledger.merkle import (
    SHA256,
    Frontier,
    HashAlgorithm,
    MemoryNodeReader,
    consistency_proof,
    envelope_bytes,
    hash_algorithm,
    inclusion_proof,
    merkle_root,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

ALGORITHMS = [SHA256, hash_algorithm("sm3")]
alg_param = pytest.mark.parametrize("alg", ALGORITHMS, ids=lambda a: a.name)


class Reference:
    """RFC 9162 §2.1 written as the text reads: recursive MTH, PATH and SUBPROOF."""

    def __init__(self, alg: HashAlgorithm, leaves: Sequence[bytes]) -> None:
        self.alg = alg
        self.leaves = leaves
        self._memo: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def split(n: int) -> int:
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def mth(self, lo: int, hi: int) -> bytes:
        if (lo, hi) not in self._memo:
            n = hi - lo
            if n == 0:
                value = self.alg(b"")
            elif n == 1:
                value = self.leaves[lo]
            else:
                k = self.split(n)
                value = self.alg.node(self.mth(lo, lo + k), self.mth(lo + k, hi))
            self._memo[lo, hi] = value
        return self._memo[lo, hi]

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = self.split(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [self.mth(lo, hi)]
        k = self.split(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, whole), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def make_tree(alg: HashAlgorithm, size: int, seed: bytes) -> tuple[MemoryNodeReader, Reference]:
    """A reader and a reference over ``size`` distinct leaves derived from ``seed``."""
    leaves = [alg.leaf(seed + i.to_bytes(4, "big")) for i in range(size)]
    reader = MemoryNodeReader(alg)
    reader.extend(leaves)
    return reader, Reference(alg, leaves)


def flip(data: bytes, bit: int) -> bytes:
    """``data`` with one bit inverted."""
    changed = bytearray(data)
    changed[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(changed)


sizes = st.integers(min_value=1, max_value=300)
# Checking every proof of a tree costs about size * min(size, 256) hashes, so
# the exhaustive tests use smaller trees; the large deterministic trees below
# cover the tile boundaries.
small_sizes = st.integers(min_value=1, max_value=100)
seeds = st.binary(max_size=4)


@alg_param
@given(size=small_sizes, seed=seeds)
def test_every_inclusion_proof_verifies_and_equals_the_reference(
    alg: HashAlgorithm, size: int, seed: bytes
) -> None:
    """For every leaf of a random tree, the generated proof is the RFC's PATH and verifies."""
    reader, ref = make_tree(alg, size, seed)
    root = merkle_root(alg, ref.leaves)
    for index in range(size):
        proof = inclusion_proof(alg, reader, index, size)
        assert proof == ref.path(index, 0, size)
        verify_inclusion(alg, index, size, ref.leaves[index], proof, root)


@alg_param
@given(size2=small_sizes, seed=seeds)
def test_every_consistency_proof_verifies_and_equals_the_reference(
    alg: HashAlgorithm, size2: int, seed: bytes
) -> None:
    """From every smaller size, the generated proof is the RFC's PROOF and verifies."""
    reader, ref = make_tree(alg, size2, seed)
    root2 = merkle_root(alg, ref.leaves)
    for size1 in range(1, size2 + 1):
        proof = consistency_proof(alg, reader, size1, size2)
        assert proof == ref.subproof(size1, 0, size2, True)
        verify_consistency(alg, size1, size2, proof, ref.mth(0, size1), root2)


@alg_param
@given(size=sizes, seed=seeds)
def test_frontier_root_equals_merkle_root_at_every_size(
    alg: HashAlgorithm, size: int, seed: bytes
) -> None:
    """After each append the frontier's O(log n) root is the reference MTH of that prefix."""
    _, ref = make_tree(alg, size, seed)
    frontier = Frontier.empty(alg)
    for n, leaf_hash in enumerate(ref.leaves, start=1):
        frontier.append(leaf_hash)
        assert frontier.root() == ref.mth(0, n)


@alg_param
@given(size=st.integers(min_value=0, max_value=2000), seed=seeds)
def test_frontier_round_trips_through_bytes(alg: HashAlgorithm, size: int, seed: bytes) -> None:
    """from_bytes(to_bytes()) restores an equal frontier, with the same root and size."""
    frontier = Frontier.empty(alg)
    frontier.extend(alg.leaf(seed + i.to_bytes(4, "big")) for i in range(size))
    loaded = Frontier.from_bytes(alg, frontier.to_bytes())
    assert loaded == frontier
    assert (loaded.size, loaded.root()) == (size, frontier.root())


@alg_param
@given(size=sizes, seed=seeds, data=st.data())
def test_subtree_hash_of_a_random_range_is_its_merkle_root(
    alg: HashAlgorithm, size: int, seed: bytes, data: st.DataObject
) -> None:
    """subtree_hash(begin, end) equals the reference MTH of the slice."""
    reader, ref = make_tree(alg, size, seed)
    begin = data.draw(st.integers(0, size))
    end = data.draw(st.integers(begin, size))
    assert subtree_hash(alg, reader, begin, end) == Reference(alg, ref.leaves[begin:end]).mth(
        0, end - begin
    )


@alg_param
@given(size=sizes, seed=seeds, data=st.data())
def test_a_flipped_bit_breaks_an_inclusion_proof(
    alg: HashAlgorithm, size: int, seed: bytes, data: st.DataObject
) -> None:
    """One changed bit in the leaf, a proof hash or the root makes verification fail."""
    reader, ref = make_tree(alg, size, seed)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(alg, reader, index, size)
    leaf, root = ref.leaves[index], ref.mth(0, size)
    targets = ["leaf", "root"] + (["proof"] if proof else [])
    target = data.draw(st.sampled_from(targets), label="target")
    bit = data.draw(st.integers(0, alg.digest_size * 8 - 1), label="bit")
    if target == "leaf":
        leaf = flip(leaf, bit)
    elif target == "root":
        root = flip(root, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        proof[i] = flip(proof[i], bit)
    with pytest.raises(VerificationError):
        verify_inclusion(alg, index, size, leaf, proof, root)


@alg_param
@given(size2=st.integers(min_value=2, max_value=300), seed=seeds, data=st.data())
def test_a_flipped_bit_breaks_a_consistency_proof(
    alg: HashAlgorithm, size2: int, seed: bytes, data: st.DataObject
) -> None:
    """One changed bit in either root or a proof hash makes verification fail."""
    reader, ref = make_tree(alg, size2, seed)
    size1 = data.draw(st.integers(1, size2 - 1), label="size1")
    proof = consistency_proof(alg, reader, size1, size2)
    root1, root2 = ref.mth(0, size1), ref.mth(0, size2)
    target = data.draw(st.sampled_from(["root1", "root2", "proof"]), label="target")
    bit = data.draw(st.integers(0, alg.digest_size * 8 - 1), label="bit")
    if target == "root1":
        root1 = flip(root1, bit)
    elif target == "root2":
        root2 = flip(root2, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        proof[i] = flip(proof[i], bit)
    with pytest.raises(VerificationError):
        verify_consistency(alg, size1, size2, proof, root1, root2)


# --- Large trees: deterministic sizes across the 256-leaf and 65,536-leaf tiles ---

LARGE = 65536 + 300


class CountingReader:
    """Wraps a reader and records every read, to hold proofs to their read budget."""

    def __init__(self, reader: MemoryNodeReader) -> None:
        self.reader = reader
        self.calls: list[tuple[int, int, int]] = []

    def leaf_hashes(self, begin: int, end: int) -> Sequence[bytes]:
        self.calls.append((0, begin, end))
        return self.reader.leaf_hashes(begin, end)

    def stored_nodes(self, level: int, begin: int, end: int) -> Sequence[bytes]:
        self.calls.append((level, begin, end))
        return self.reader.stored_nodes(level, begin, end)

    def read(self, level: int) -> int:
        return sum(end - begin for lv, begin, end in self.calls if lv == level)


@pytest.fixture(scope="module")
def large() -> tuple[MemoryNodeReader, Reference]:
    """A SHA-256 tree of 65,836 leaves with its reference."""
    return make_tree(SHA256, LARGE, b"large")


LARGE_SIZES = [255, 256, 257, 511, 512, 513, 65535, 65536, 65537, LARGE]


@pytest.mark.parametrize("size", LARGE_SIZES)
def test_large_tree_inclusion_proofs_verify_and_equal_the_reference(
    large: tuple[MemoryNodeReader, Reference], size: int
) -> None:
    """At sizes around the tile boundaries, proofs for edge leaves match the RFC and verify."""
    reader, ref = large
    root = ref.mth(0, size)
    for index in sorted({0, 1, 254, 255, 256, size // 2, size - 257, size - 2, size - 1}):
        if not 0 <= index < size:
            continue
        proof = inclusion_proof(SHA256, reader, index, size)
        assert proof == ref.path(index, 0, size)
        verify_inclusion(SHA256, index, size, ref.leaves[index], proof, root)


@pytest.mark.parametrize("size2", LARGE_SIZES)
def test_large_tree_consistency_proofs_verify_and_equal_the_reference(
    large: tuple[MemoryNodeReader, Reference], size2: int
) -> None:
    """Across tile boundaries, consistency proofs match the RFC and verify."""
    reader, ref = large
    for size1 in sorted({1, 255, 256, 257, 4097, 65535, 65536, size2 - 1, size2}):
        if not 1 <= size1 <= size2:
            continue
        proof = consistency_proof(SHA256, reader, size1, size2)
        assert proof == ref.subproof(size1, 0, size2, True)
        verify_consistency(SHA256, size1, size2, proof, ref.mth(0, size1), ref.mth(0, size2))


@pytest.mark.parametrize("index", [0, 300, 65535, 65536, 65700, LARGE - 1])
def test_large_tree_proofs_read_tiles_not_the_whole_tree(
    large: tuple[MemoryNodeReader, Reference], index: int
) -> None:
    """An inclusion proof reads at most 2 * 255 leaves and 2 * 255 level-8 nodes, in few calls."""
    reader, _ = large
    counting = CountingReader(reader)
    inclusion_proof(SHA256, counting, index, LARGE)
    assert counting.read(0) <= 2 * 255
    assert counting.read(8) <= 2 * 255
    assert counting.read(16) <= 1
    assert len(counting.calls) <= 5


def test_large_tree_consistency_proof_reads_tiles_not_the_whole_tree(
    large: tuple[MemoryNodeReader, Reference],
) -> None:
    """A consistency proof from an unaligned size also stays within the tile read budget."""
    reader, _ = large
    counting = CountingReader(reader)
    consistency_proof(SHA256, counting, 40000, LARGE)
    assert counting.read(0) <= 2 * 255
    assert counting.read(8) <= 2 * 255
    assert len(counting.calls) <= 6


# --- The envelope's fast encoder against the RFC 8785 reference ---

tricky_text = st.text(alphabet='\x00\x01\x08\x0a\x1f\x7f"\\/\u00e9\u2028\u2029中😀 a', max_size=12)
text = st.one_of(st.text(max_size=20), tricky_text)
positive = st.integers(min_value=1, max_value=2**53 - 1)
offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
)
moments = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.builds(timezone, offsets),
)


@given(
    origin=text.filter(bool),
    stream=text.filter(bool),
    type_name=text.filter(bool),
    actor=text,
    position=positive,
    stream_version=positive,
    schema_version=positive,
    event_id=st.uuids(),
    occurred_on=st.dates(),
    recorded_at=moments,
    digest=st.binary(min_size=32, max_size=32),
    hash_name=st.sampled_from(["sha256", "sm3"]),
)
def test_envelope_bytes_equal_the_rfc8785_reference(
    origin: str,
    stream: str,
    type_name: str,
    actor: str,
    position: int,
    stream_version: int,
    schema_version: int,
    event_id: uuid.UUID,
    occurred_on: date,
    recorded_at: datetime,
    digest: bytes,
    hash_name: str,
) -> None:
    """The orjson fast path, and the doc's json.dumps recipe, write what rfc8785.dumps writes."""
    utc = recorded_at.astimezone(UTC)
    members = {
        "v": 1,
        "origin": origin,
        "position": position,
        "stream": stream,
        "stream_version": stream_version,
        "event_id": str(event_id),
        "type": type_name,
        "schema_version": schema_version,
        "occurred_on": f"{occurred_on.year:04d}-{occurred_on.month:02d}-{occurred_on.day:02d}",
        "recorded_at": (
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
            f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
        ),
        "actor": actor,
        "payload_digest": digest.hex(),
        "hash": hash_name,
    }
    expected = rfc8785.dumps(members)
    # docs/hashing.md tells other implementers this json.dumps call is enough.
    recipe = json.dumps(members, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert recipe.encode("utf-8") == expected
    actual = envelope_bytes(
        origin=origin,
        position=position,
        stream=stream,
        stream_version=stream_version,
        event_id=event_id,
        type=type_name,
        schema_version=schema_version,
        occurred_on=occurred_on,
        recorded_at=recorded_at,
        actor=actor,
        payload_digest=digest,
        hash_name=hash_name,
    )
    assert actual == expected
