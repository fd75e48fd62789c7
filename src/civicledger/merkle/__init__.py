"""The Merkle layer: leaf hashing and the RFC 9162 tree, frontier, proofs and verification.

Pure and storage-free: the store calls it inside its append transaction and
implements :class:`NodeReader`; the audit layer builds and checks proofs with
it. ``docs/hashing.md`` specifies every byte.
"""

from civicledger.merkle.hashes import (
    DIGEST_SIZES,
    LEAF_PREFIX,
    NODE_PREFIX,
    SHA256,
    SUPPORTED_HASHES,
    HashAlgorithm,
    hash_algorithm,
)
from civicledger.merkle.leaf import (
    ENVELOPE_VERSION,
    SALT_SIZE,
    envelope_bytes,
    leaf_hash,
    payload_digest,
)
from civicledger.merkle.proofs import (
    consistency_proof,
    inclusion_proof,
    subtree_hash,
)
from civicledger.merkle.reader import MemoryNodeReader, NodeReader
from civicledger.merkle.tree import STORED_LEVELS, Frontier, Node, merkle_root
from civicledger.merkle.verify import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "DIGEST_SIZES",
    "ENVELOPE_VERSION",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "SALT_SIZE",
    "SHA256",
    "STORED_LEVELS",
    "SUPPORTED_HASHES",
    "Frontier",
    "HashAlgorithm",
    "MemoryNodeReader",
    "Node",
    "NodeReader",
    "consistency_proof",
    "envelope_bytes",
    "hash_algorithm",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "payload_digest",
    "root_from_inclusion_proof",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]
