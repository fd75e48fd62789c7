"""Check a civicledger proof with nothing but this file: standard library, plus `cryptography`
for signatures. It imports nothing from civicledger, so an auditor can read all of it.

Usage:
    python verify_standalone.py PROOF [--key VERIFIER_KEY] [--leaf ENVELOPE_FILE]
                                      [--payload PAYLOAD_FILE --salt HEX]

PROOF is a c2sp.org/tlog-proof@v1 text file (``ledger.prove(...)``). VERIFIER_KEY is
the office's verifier key text (``name+keyid+base64``) or a file holding it; the
seal must carry a valid signature by it. ENVELOPE_FILE is the event's canonical
envelope, if you hold it apart from the proof. PAYLOAD_FILE and HEX salt, if
given, are checked against the envelope's payload digest (leaf format v1: the
payload's salt; v2: the event's secret, from which each field's salt derives).

Exit status 0 when everything checks, 1 with a reason when something does not.
The formats are specified in docs/audit.md and docs/hashing.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path
from typing import NamedTuple


class Invalid(Exception):
    """Raised when the proof, seal, key or data do not check."""


def digest(name: str, data: bytes) -> bytes:
    """Hash with the ledger's algorithm: sha256, or sm3 where this Python's OpenSSL has it."""
    if name not in ("sha256", "sm3"):
        raise Invalid(f"unknown hash algorithm {name!r}")
    try:
        return hashlib.new(name, data).digest()
    except ValueError:
        raise Invalid(f"this Python cannot compute {name}") from None


def b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise Invalid(f"{what} is not base64: {text[:40]!r}") from None


def parse_proof(text: str) -> tuple[bytes | None, int, list[bytes], str]:
    """Split a tlog-proof into (extra, index, inclusion hashes, seal text)."""
    head, blank, seal = text.partition("\n\n")
    lines = head.split("\n")
    if not blank or lines[0] != "c2sp.org/tlog-proof@v1":
        raise Invalid("not a c2sp.org/tlog-proof@v1 text")
    extra = None
    if len(lines) > 1 and lines[1].startswith("extra "):
        extra = b64(lines[1][6:], "extra data")
        lines.pop(1)
    if len(lines) < 2 or not lines[1].startswith("index "):
        raise Invalid("the proof has no index line")
    index_text = lines[1][6:]
    if not index_text.isdigit() or (index_text != "0" and index_text[0] == "0"):
        raise Invalid(f"bad index {index_text!r}")
    return extra, int(index_text), [b64(h, "proof hash") for h in lines[2:]], seal


class Checkpoint(NamedTuple):
    """A seal: its signed body, its signature lines (name, key id + signature), its fields."""

    body: str
    signatures: list[tuple[str, bytes]]
    origin: str
    size: int
    root: bytes
    hash: str


def parse_seal(text: str) -> Checkpoint:
    """Split a seal into its signed body, its signature lines and its checkpoint fields."""
    cut = text.rfind("\n\n")
    body, signatures = (text[: cut + 1], text[cut + 2 :]) if cut >= 0 else (text, "")
    lines = body.split("\n")[:-1]
    if not body.endswith("\n") or len(lines) < 3:
        raise Invalid("the checkpoint needs an origin, a tree size and a root hash line")
    origin, size, root, *extensions = lines
    if not size.isdigit() or (size != "0" and size[0] == "0"):
        raise Invalid(f"bad tree size {size!r}")
    alg = "sha256"  # when no "hash" extension line says otherwise
    for line in extensions:
        keyword, _, value = line.partition(" ")
        if keyword == "hash":
            alg = value
    sigs = []
    for line in signatures.split("\n")[:-1]:
        if not line.startswith("\u2014 "):
            raise Invalid(f"bad signature line {line[:40]!r}")
        name, _, encoded = line[2:].rpartition(" ")
        sigs.append((name, b64(encoded, "signature")))
    return Checkpoint(body, sigs, origin, int(size), b64(root, "root hash"), alg)


def root_from_inclusion(alg: str, index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root an inclusion proof leads to."""
    if index >= size:
        raise Invalid(f"index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != len(leaf):
            raise Invalid("a proof hash has the wrong length")
        if sn == 0:
            raise Invalid("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = digest(alg, b"\x01" + p + r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = digest(alg, b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Invalid("the inclusion proof is too short")
    return r


def read_key(key_text: str) -> tuple[str, bytes]:
    """The name and 32-byte public key of a verifier key ``name+hexid+base64(0x01 || key)``."""
    parts = key_text.strip().split("+", 2)
    if len(parts) != 3:
        raise Invalid("a verifier key looks like <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    raw = b64(encoded, "verifier key")
    if len(raw) != 33 or raw[0] != 0x01:
        raise Invalid("the verifier key is not an Ed25519 note key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != hex_id.lower():
        raise Invalid("the verifier key's id does not match its name and key")
    return name, raw[1:]


def ed25519_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether an Ed25519 signature over the message verifies (needs `cryptography`)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise Invalid("checking signatures needs: pip install cryptography") from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def check_signature(body: str, signatures: list[tuple[str, bytes]], key_text: str) -> str:
    """Check the seal is signed by the key ``name+hexid+base64(0x01 || public key)``."""
    name, public = read_key(key_text)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    for sig_name, sig in signatures:
        if sig_name == name and sig[:4] == key_id:
            if not ed25519_valid(public, sig[4:], body.encode()):
                raise Invalid(f"the signature by {name} does not verify")
            return name
    raise Invalid(f"the seal carries no signature by {name}")


COSIGNATURE_SIZE = 4 + 8 + 64
"""Bytes of a cosignature line's signature: key id, time, Ed25519 signature."""


def is_cosignature(signature: bytes) -> bool:
    """Whether a signature line is a C2SP cosignature (a seal's own lines hold 4 + 64 bytes)."""
    return len(signature) == COSIGNATURE_SIZE


def cosignature_key_id(key_text: str) -> bytes:
    """The key id a key's cosignature lines carry: SHA-256(name || 0x0A || 0x04 || key)[:4]."""
    name, public = read_key(key_text)
    return hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]


def check_cosignature(body: str, signature: bytes, key_text: str) -> None:
    """Check one cosignature line (C2SP cosignature/v1, docs/audit.md) of a seal by a key:
    the key signs "cosignature/v1\ntime <seconds>\n" followed by the checkpoint text."""
    _, public = read_key(key_text)
    key_id = cosignature_key_id(key_text)
    if signature[:4] != key_id:
        raise Invalid(
            f"it is by a key with id {signature[:4].hex()}, not by the given key of that name "
            f"{key_text.strip()} (cosignature key id {key_id.hex()})"
        )
    timestamp = int.from_bytes(signature[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    if not ed25519_valid(public, signature[12:], message):
        raise Invalid(
            "it does not verify: the key did not sign this seal's checkpoint at its stated time"
        )


def canonical(value: object) -> bytes:
    """RFC 8785 bytes of a payload value (text, integers, booleans, null, lists, objects)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def payload_digest(alg: str, version: object, salt: bytes, payload: bytes) -> str:
    """The envelope's payload_digest for a canonical payload and its salt (v1) or secret (v2)."""
    if version == 1:
        return digest(alg, salt + payload).hex()
    # v2 (docs/hashing.md): one digest per field, over [field salt, name, value].
    field_digests = []
    for name, value in json.loads(payload).items():
        mac = hmac.new(salt, name.encode(), lambda data=b"": hashlib.new(alg, data))
        disclosure = canonical([mac.digest()[:16].hex(), name, value])
        field_digests.append(digest(alg, disclosure).hex())
    return digest(alg, canonical(sorted(field_digests))).hex()


def verify(
    proof_text: str,
    key_text: str | None = None,
    leaf: bytes | None = None,
    payload: bytes | None = None,
    salt: bytes | None = None,
) -> str:
    """Check a proof; return a one-line summary, or raise Invalid saying what failed."""
    extra, index, hashes, seal_text = parse_proof(proof_text)
    seal = parse_seal(seal_text)
    if leaf is not None and extra is not None and leaf != extra:
        raise Invalid("the envelope given differs from the one in the proof")
    envelope_bytes = leaf if leaf is not None else extra
    if envelope_bytes is None:
        raise Invalid("the proof carries no envelope; pass --leaf")
    try:
        envelope = json.loads(envelope_bytes)
    except ValueError:
        raise Invalid("the envelope is not JSON") from None
    expected = {"origin": seal.origin, "hash": seal.hash, "position": index + 1}
    for field, value in expected.items():
        if envelope.get(field) != value:
            raise Invalid(f"the envelope's {field} is {envelope.get(field)!r}, expected {value!r}")
    leaf_hash = digest(seal.hash, b"\x00" + envelope_bytes)
    if root_from_inclusion(seal.hash, index, seal.size, leaf_hash, hashes) != seal.root:
        raise Invalid("the inclusion proof does not lead to the sealed root")
    summary = f"event {envelope['event_id']} is position {index + 1} of {seal.origin}"
    summary += f", included in the seal of {seal.size} events"
    if key_text is not None:
        summary += f", signed by {check_signature(seal.body, seal.signatures, key_text)}"
    if payload is not None or salt is not None:
        if payload is None or salt is None:
            raise Invalid("checking a payload needs both --payload and --salt")
        recorded = envelope["payload_digest"]
        if payload_digest(seal.hash, envelope.get("v"), salt, payload) != recorded:
            raise Invalid("the payload does not match the digest the leaf commits to")
        summary += ", payload matches"
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a civicledger tlog-proof offline.")
    parser.add_argument("proof", type=Path, help="the .tlog-proof file")
    parser.add_argument("--key", help="verifier key text, or a file holding it")
    parser.add_argument("--leaf", type=Path, help="the event's canonical envelope file")
    parser.add_argument("--payload", type=Path, help="the event's canonical payload file")
    parser.add_argument("--salt", help="the payload's salt, in hex")
    args = parser.parse_args(argv)
    key = args.key
    if key is not None and Path(key).is_file():
        key = Path(key).read_text(encoding="utf-8")
    try:
        print(
            "OK:",
            verify(
                args.proof.read_text(encoding="utf-8"),
                key_text=key,
                leaf=args.leaf.read_bytes() if args.leaf else None,
                payload=args.payload.read_bytes() if args.payload else None,
                salt=bytes.fromhex(args.salt) if args.salt else None,
            ),
        )
    except (Invalid, ValueError, KeyError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
