"""Proof verification exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 specify, with strict checks."""

from __future__ import annotations

from collections.abc import Sequence

from civicledger.errors import VerificationError
from civicledger.merkle.hashes import HashAlgorithm


def inclusion_proof_length(index: int, size: int) -> int:
    """The number of hashes in the inclusion proof of leaf ``index`` in a tree of ``size``.

    Args:
        index: the leaf index, ``0 <= index < size``.
        size: the tree size.

    Returns:
        The proof length.
    """
    # Below the level where the paths to ``index`` and to the last leaf part,
    # every level has a sibling; above it, only levels where ``index`` is a
    # right child do (the right border has no right siblings).
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(size1: int, size2: int) -> int:
    """The number of hashes in the consistency proof from ``size1`` to ``size2``.

    Args:
        size1: the older size, ``0 < size1 < size2``.
        size2: the newer size.

    Returns:
        The proof length.
    """
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    length = inclusion_proof_length(size1 - 1, size2) - shift
    # When size1 is a power of two the old root is itself a node of the new
    # tree, so the proof leaves it out and the verifier supplies it.
    return length if size1 == 1 << shift else length + 1


def root_from_inclusion_proof(
    alg: HashAlgorithm, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Compute the root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1-4).

    Args:
        alg: the tree's hash algorithm.
        index: the leaf index (position - 1).
        size: the tree size.
        leaf_hash: the leaf's hash.
        proof: the inclusion proof.

    Returns:
        The root hash the proof implies.

    Raises:
        VerificationError: the input is malformed: a negative or non-int index or
            size, ``index >= size``, a hash of the wrong length, or a proof of the
            wrong length for ``(index, size)``.
    """
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise VerificationError(f"leaf index {index} is not less than tree size {size}")
    _check_hash(alg, "leaf hash", leaf_hash)
    _check_proof(alg, proof)
    expected = inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise VerificationError(
            f"inclusion proof for leaf {index} in a tree of size {size} must have "
            f"{expected} hashes, got {len(proof)}"
        )
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:  # pragma: no cover - the length check above rules this out
            raise VerificationError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = alg.node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = alg.node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no cover - the length check above rules this out
        raise VerificationError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(
    alg: HashAlgorithm,
    index: int,
    size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root: bytes,
) -> None:
    """Check that a leaf is in a tree, per RFC 9162 §2.1.3.2.

    Args:
        alg: the tree's hash algorithm.
        index: the leaf index (position - 1).
        size: the tree size.
        leaf_hash: the leaf's hash.
        proof: the inclusion proof.
        root: the tree's root hash (from a seal).

    Raises:
        VerificationError: the input is malformed (see
            :func:`root_from_inclusion_proof`; also a root of the wrong length),
            or the proof leads to a different root.
    """
    _check_hash(alg, "root", root)
    calculated = root_from_inclusion_proof(alg, index, size, leaf_hash, proof)
    if calculated != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} in a tree of size {size} leads to root "
            f"{calculated.hex()}, not the expected {root.hex()}"
        )


# RFC 9162 §2.1.4.2 step for step, so it can be read against the RFC line by line.
def verify_consistency(  # noqa: C901
    alg: HashAlgorithm,
    size1: int,
    size2: int,
    proof: Sequence[bytes],
    root1: bytes,
    root2: bytes,
) -> None:
    """Check that the tree of ``size2`` extends the tree of ``size1``, per RFC 9162 §2.1.4.2.

    RFC 9162 defines proofs for ``0 < size1 < size2``. Beyond it: equal sizes
    verify with an empty proof when the two roots are byte-for-byte equal, and
    ``size1 = 0`` is rejected (every tree extends the empty one, so such a
    "proof" shows nothing), as in the reference test vectors.

    Args:
        alg: the tree's hash algorithm.
        size1: the older tree size.
        size2: the newer tree size.
        proof: the consistency proof.
        root1: the older tree's root hash.
        root2: the newer tree's root hash.

    Raises:
        VerificationError: the input is malformed (``size1 > size2``, ``size1 = 0``,
            an empty proof between different sizes, a non-empty one between equal
            sizes, a hash of the wrong length, a proof of the wrong length), or the
            proof does not lead to both roots.
    """
    _check_size("size1", size1)
    _check_size("size2", size2)
    if size1 > size2:
        raise VerificationError(f"size1 {size1} is larger than size2 {size2}; a tree only grows")
    if size1 == 0:
        raise VerificationError(
            "a consistency proof from the empty tree (size1 = 0) proves nothing; size1 must be >= 1"
        )
    if size1 == size2:
        if len(proof) != 0:
            raise VerificationError(
                f"sizes are equal ({size1}), so the proof must be empty; got {len(proof)} hashes"
            )
        if not isinstance(root1, bytes) or root1 != root2:
            raise VerificationError(f"trees of the same size {size1} have different roots")
        return
    _check_hash(alg, "root1", root1)
    _check_hash(alg, "root2", root2)
    _check_proof(alg, proof)
    if not proof:
        raise VerificationError(
            f"consistency proof from size {size1} to {size2} is empty; different sizes need hashes"
        )
    expected = consistency_proof_length(size1, size2)
    if len(proof) != expected:
        raise VerificationError(
            f"consistency proof from size {size1} to {size2} must have {expected} hashes, "
            f"got {len(proof)}"
        )
    # Step 2: when size1 is a power of two, its root is the proof's first node.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:  # pragma: no cover - the length check above rules this out
            raise VerificationError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = alg.node(c, fr)
            sr = alg.node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = alg.node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # pragma: no cover - the length check above rules this out
        raise VerificationError("consistency proof is shorter than the path to the root")
    if fr != root1:
        raise VerificationError(
            f"consistency proof from size {size1} to {size2} leads to old root {fr.hex()}, "
            f"not the expected {root1.hex()}"
        )
    if sr != root2:
        raise VerificationError(
            f"consistency proof from size {size1} to {size2} leads to new root {sr.hex()}, "
            f"not the expected {root2.hex()}"
        )


def _check_size(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VerificationError(f"{name} must be an int >= 0, got {value!r}")


def _check_hash(alg: HashAlgorithm, what: str, value: object) -> None:
    if not isinstance(value, bytes):
        raise VerificationError(f"{what} must be bytes, got {value.__class__.__name__}")
    if len(value) != alg.digest_size:
        raise VerificationError(
            f"{what} is {len(value)} bytes; a {alg.name} hash is {alg.digest_size}"
        )


def _check_proof(alg: HashAlgorithm, proof: object) -> None:
    if isinstance(proof, str | bytes) or not isinstance(proof, Sequence):
        raise VerificationError(
            f"proof must be a sequence of hashes, got {proof.__class__.__name__}"
        )
    for i, element in enumerate(proof):
        _check_hash(alg, f"proof hash {i}", element)
