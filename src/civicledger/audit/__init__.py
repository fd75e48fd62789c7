"""Tamper evidence you can check offline: seals (C2SP checkpoints), proofs, keys, reports.

Everything exported here works from texts alone and loads no database library;
``civicledger.Ledger`` makes seals and proofs (through
:mod:`civicledger.audit.auditor`). Signing and checking signatures needs the
``signing`` extra (``pip install 'civicledger[signing]'``).
"""

from civicledger.audit.checkpoint import Seal
from civicledger.audit.consistency import (
    CONSISTENCY_HEADER,
    ConsistencyProof,
    VerifiedConsistency,
    verify_consistency_proof,
)
from civicledger.audit.cosign import Cosignature, cosigners, with_cosignatures
from civicledger.audit.keys import Signer, Verifier, generate_key
from civicledger.audit.note import NoteSignature
from civicledger.audit.points import LedgerPoint, parse_ledger_point
from civicledger.audit.problems import Problem, ProblemKind
from civicledger.audit.proof import PROOF_HEADER, TlogProof, VerifiedProof, verify_proof
from civicledger.audit.verify import VerificationReport

__all__ = [
    "CONSISTENCY_HEADER",
    "PROOF_HEADER",
    "ConsistencyProof",
    "Cosignature",
    "LedgerPoint",
    "NoteSignature",
    "Problem",
    "ProblemKind",
    "Seal",
    "Signer",
    "TlogProof",
    "VerificationReport",
    "VerifiedConsistency",
    "VerifiedProof",
    "Verifier",
    "cosigners",
    "generate_key",
    "parse_ledger_point",
    "verify_consistency_proof",
    "verify_proof",
    "with_cosignatures",
]
