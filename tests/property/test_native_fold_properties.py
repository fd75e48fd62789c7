"""The native Merkle fold against the pure-Python frontier, node for node.

``Frontier.append`` merges a new leaf into the tree's perfect subtrees in C
(``civicledger.merkle._native.fold_sha256``) where the module is built, and in
Python otherwise. From any frontier, for any leaves, the two give the same
subtree hashes, the same root and the same completed tile nodes; for a hash list
that is not a frontier's the native function changes nothing and returns None.
Without the module these tests skip, except in CI (``CIVICLEDGER_REQUIRE_NATIVE=1``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from civicledger.merkle import hash_algorithm, native
from civicledger.merkle.tree import STORED_LEVELS, Frontier, Node

ALG = hash_algorithm("sha256")
FOLD = native.fold_sha256
MASK = sum(1 << level for level in STORED_LEVELS)

pytestmark = pytest.mark.skipif(
    FOLD is None and os.environ.get("CIVICLEDGER_REQUIRE_NATIVE") != "1",
    reason="the native hashing module is not built: it needs gcc and OpenSSL's headers "
    "(Debian: libssl-dev) at `pip install -e .`",
)

digests = st.binary(min_size=32, max_size=32)


def _frontiers(size: int, hashes: list[bytes]) -> tuple[Frontier, Frontier]:
    """The same frontier twice: folding natively, and in Python."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(native, "fold_sha256", None)
        python = Frontier(ALG, size, hashes)
    return Frontier(ALG, size, hashes), python


def test_the_native_fold_is_loaded() -> None:
    """CI builds the module: a missing fold there is a failure, not a skip."""
    assert FOLD is not None


@given(
    size=st.integers(min_value=0, max_value=2**48),
    data=st.data(),
    leaves=st.lists(digests, max_size=40),
)
@example(size=2**16 - 3, data=None, leaves=[b"\x01" * 32] * 5)  # completes levels 8 and 16
@example(size=2**40 - 1, data=None, leaves=[b"\x02" * 32])  # carries through 40 levels
def test_native_fold_is_the_python_fold(
    size: int, data: st.DataObject | None, leaves: list[bytes]
) -> None:
    """Every append gives the same completed nodes, subtree hashes and root."""
    count = size.bit_count()
    hashes = (
        [bytes([i]) * 32 for i in range(count)]
        if data is None
        else data.draw(st.lists(digests, min_size=count, max_size=count))
    )
    fast, python = _frontiers(size, hashes)
    for leaf in leaves:
        assert fast.append(leaf) == python.append(leaf)
        assert (fast.size, fast.hashes) == (python.size, python.hashes)
    assert fast.root() == python.root()


def test_tile_nodes_of_a_long_run_match() -> None:
    """70,000 leaves from empty: every level-8 and level-16 node, in order, agrees."""
    fast, python = _frontiers(0, [])
    completed: list[tuple[list[Node], list[Node]]] = []
    for i in range(70_000):
        leaf = ALG(i.to_bytes(4, "big"))
        completed.append((fast.append(leaf), python.append(leaf)))
    assert all(ours == theirs for ours, theirs in completed)
    assert [n.level for ours, _ in completed for n in ours].count(16) == 1
    assert fast.root() == python.root()


@pytest.mark.parametrize(
    ("hashes", "size", "leaf", "mask"),
    [
        ([b"a" * 32], 3, b"l" * 32, MASK),  # three leaves have two subtree hashes
        ([b"a" * 32, b"b" * 32], 1, b"l" * 32, MASK),  # more hashes than set bits
        ([b"a" * 31], 1, b"l" * 32, MASK),  # a hash of the wrong width
        (["a" * 32], 1, b"l" * 32, MASK),  # text, not bytes
        ([b"a" * 32], 1, b"l" * 31, MASK),  # a short leaf
        ([b"a" * 32], 1, bytearray(b"l" * 32), MASK),  # not bytes
        ([], -1, b"l" * 32, MASK),  # a negative size
        ([], 2**64, b"l" * 32, MASK),  # beyond 64 bits
        ([b"a" * 32], 1, b"l" * 32, -1),  # a negative mask
        ((b"a" * 32,), 1, b"l" * 32, MASK),  # a tuple, not a list
    ],
)
def test_declines_what_is_not_a_frontier(
    hashes: list[bytes], size: int, leaf: bytes, mask: int
) -> None:
    """The native fold returns None and leaves the list as it was; Python then decides."""
    assert FOLD is not None
    before = list(hashes)
    assert FOLD(hashes, size, leaf, mask) is None
    assert list(hashes) == before
