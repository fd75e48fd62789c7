"""docs/hashing.md is exact: its values are what the code computes and its verifier works."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from docs_transcripts import blocks, run_python

from civicledger.merkle import (
    SHA256,
    Frontier,
    MemoryNodeReader,
    consistency_proof,
    envelope_bytes,
    hash_algorithm,
    inclusion_proof,
    leaf_hash,
    payload_digest,
)
from civicledger.merkle.leaf import BatchEnvelopes

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "hashing.md").read_text(encoding="utf-8")
VECTORS = ROOT / "tests" / "vectors" / "rfc9162"


def _reference_verifier() -> dict[str, Any]:
    page = ROOT / "docs" / "hashing.md"
    return run_python(blocks(page, section="Reference verifier")[0], page)


VERIFIER = _reference_verifier()

EXAMPLE_MEMBERS: dict[str, Any] = {
    "actor": "张敏",
    "event_id": "0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f",
    "hash": "sha256",
    "occurred_on": "2023-01-06",
    "origin": "civicledger.example/hehua-community",
    "payload_digest": "ad0599b63ddb27ea98dd0ecbb6e484b3da0053f764f4f99f2544b0882385fc5b",
    "position": 42,
    "recorded_at": "2023-01-06T01:30:15.250000Z",
    "schema_version": 1,
    "stream": "meetings/2023",
    "stream_version": 3,
    "type": "meeting_held",
    "v": 1,
}
PAYLOAD = (
    '{"attendees":12,"body":"party_committee","budget":"150.50","occurred_on":"2023-01-06",'
    '"started_at":"2023-01-06T01:30:00.000000Z","tags":["学习"],"topic":"学习党章"}'
).encode()


def _library_envelope(alg_name: str, digest: bytes | None = None, version: int = 1) -> bytes:
    alg = hash_algorithm(alg_name)
    return envelope_bytes(
        origin="civicledger.example/hehua-community",
        position=42,
        stream="meetings/2023",
        stream_version=3,
        event_id=uuid.UUID("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f"),
        type="meeting_held",
        schema_version=1,
        occurred_on=date(2023, 1, 6),
        recorded_at=datetime(2023, 1, 6, 1, 30, 15, 250000, tzinfo=UTC),
        actor="张敏",
        payload_digest=digest or payload_digest(alg, bytes(range(16)), PAYLOAD),
        hash_name=alg_name,
        version=version,
    )


def test_documented_envelope_is_what_the_library_writes() -> None:
    """The example's envelope text, its length and its digests in the doc are the library's."""
    envelope = _library_envelope("sha256")
    assert envelope.decode("utf-8") in DOC
    assert f"these {len(envelope)} bytes" in DOC
    assert payload_digest(SHA256, bytes(range(16)), PAYLOAD).hex() in DOC
    assert leaf_hash(SHA256, envelope).hex() in DOC


def test_documented_sm3_values_are_what_the_library_computes() -> None:
    """The SM3 variant's payload digest and leaf hash in the doc are the library's."""
    sm3 = hash_algorithm("sm3")
    envelope = _library_envelope("sm3")
    assert payload_digest(sm3, bytes(range(16)), PAYLOAD).hex() in DOC
    assert leaf_hash(sm3, envelope).hex() in DOC
    assert sm3(b"").hex() in DOC
    assert SHA256(b"").hex() in DOC


def test_reference_verifier_recomputes_the_example_leaf() -> None:
    """The doc's json.dumps recipe gives the library's envelope bytes and leaf hash."""
    envelope = VERIFIER["envelope_bytes"](EXAMPLE_MEMBERS)
    assert envelope == _library_envelope("sha256")
    assert VERIFIER["leaf_hash"](envelope) == leaf_hash(SHA256, envelope)


REFERENCE_LEAF_DATA = ["", "00", "10", "2021", "3031"]


def _five_leaf_tree() -> MemoryNodeReader:
    reader = MemoryNodeReader(SHA256)
    reader.extend(SHA256.leaf(bytes.fromhex(h)) for h in REFERENCE_LEAF_DATA)
    return reader


def test_documented_example_proofs_are_the_librarys() -> None:
    """The inclusion and consistency proofs printed for the five-leaf tree are generated ones."""
    reader = _five_leaf_tree()
    inclusion = "\n".join(p.hex() for p in inclusion_proof(SHA256, reader, 2, 5))
    consistency = "\n".join(p.hex() for p in consistency_proof(SHA256, reader, 3, 5))
    assert f"```\n{inclusion}\n```" in DOC
    assert f"```\n{consistency}\n```" in DOC
    assert reader.root().hex() in DOC


def test_documented_frontier_bytes_are_the_librarys() -> None:
    """The frontier layout example matches Frontier.to_bytes for the five-leaf tree."""
    frontier = Frontier.empty(SHA256)
    frontier.extend(SHA256.leaf(bytes.fromhex(h)) for h in REFERENCE_LEAF_DATA)
    data = frontier.to_bytes().hex()
    assert f"`{data[:16]} {data[16:32]} {data[32:40]}" in DOC
    assert f"{data[-8:]}`" in DOC


def _vector_cases() -> list[Any]:
    return [
        pytest.param(path, id=str(path.relative_to(VECTORS)))
        for path in sorted(VECTORS.rglob("*.json"))
    ]


@pytest.mark.parametrize("path", _vector_cases())
def test_reference_verifier_decides_every_vector_correctly(path: Path) -> None:
    """The doc's verifier, written from the text alone, accepts and rejects as the vectors say."""
    case = json.loads(path.read_text())
    b64 = base64.b64decode
    proof = [b64(h) for h in case["proof"] or []]
    if "leafIdx" in case:
        accepted = VERIFIER["verify_inclusion"](
            case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof, b64(case["root"])
        )
    else:
        accepted = VERIFIER["verify_consistency"](
            case["size1"], case["size2"], proof, b64(case["root1"]), b64(case["root2"])
        )
    assert accepted is not case["wantErr"]


@pytest.mark.parametrize("alg_name", ["sha256", "sm3"])
def test_reference_verifier_accepts_the_librarys_proofs(alg_name: str) -> None:
    """Every inclusion proof and consistency proof of a 300-leaf tree passes the doc's verifier."""
    alg = hash_algorithm(alg_name)
    reader = MemoryNodeReader(alg)
    roots = [alg(b"")]
    for i in range(300):
        reader.append(alg.leaf(i.to_bytes(4, "big")))
        roots.append(reader.root())
    for index in range(0, 300, 7):
        proof = inclusion_proof(alg, reader, index, 300)
        leaf = reader.leaf_hashes(index, index + 1)[0]
        assert VERIFIER["verify_inclusion"](index, 300, leaf, proof, roots[300], alg_name)
    for size1 in range(1, 300, 11):
        proof = consistency_proof(alg, reader, size1, 300)
        assert VERIFIER["verify_consistency"](size1, 300, proof, roots[size1], roots[300], alg_name)


# --- leaf format v2 (issue 14): §1a's worked example -----------------------------------


def _section_1a() -> str:
    return DOC.split("## 1a.", 1)[1].split("\n## 2.", 1)[0]


@pytest.mark.parametrize("alg_name", ["sha256", "sm3"])
def test_documented_v2_values_are_what_the_library_computes(alg_name: str) -> None:
    """Every salt, field digest, payload digest and leaf hash printed for v2 is the library's."""
    from civicledger.events.canonical import canonical_bytes
    from civicledger.merkle.disclosure import (
        digest_of_payload,
        digest_of_payload_text,
        disclosure_bytes,
        field_digest,
        field_salt,
        payload_digest_v2,
    )

    alg = hash_algorithm(alg_name)
    section = _section_1a()
    data = json.loads(PAYLOAD)
    secret = bytes(range(16))
    salts = {name: field_salt(alg, secret, name) for name in data}
    digests = {name: field_digest(alg, salts[name], name, data[name]) for name in data}
    shown = ["attendees"] if alg_name == "sm3" else list(data)
    for name in shown:
        assert salts[name].hex() in section, name
        assert digests[name].hex() in section, name
    if alg_name == "sha256":
        for name in data:
            assert f"| `{name}` | `{salts[name].hex()}` | `{digests[name].hex()}` |" in section
        attendees = disclosure_bytes(salts["attendees"], "attendees", 12)
        assert f"the {len(attendees)} bytes\n`{attendees.decode()}`" in section
    payload_digest_hex = digest_of_payload(alg, secret, data)
    assert payload_digest_hex == payload_digest_v2(alg, digests.values())
    assert payload_digest_hex.hex() in section
    # From the canonical text too: the native module's input, where it is built.
    assert digest_of_payload_text(alg, secret, canonical_bytes(data)) == payload_digest_hex
    envelope = _library_envelope(alg_name, payload_digest_hex, version=2)
    if alg_name == "sha256":
        assert f"```\n{envelope.decode()}\n```" in section
    assert leaf_hash(alg, envelope).hex() in section
    # As an append computes it: the native module's leaf, where it is built.
    batch = BatchEnvelopes(
        origin="civicledger.example/hehua-community",
        recorded_at=datetime(2023, 1, 6, 1, 30, 15, 250000, tzinfo=UTC),
        hash_name=alg_name,
        version=2,
    )
    leaf_of_batch = batch.leaf_hash(
        42,
        "meetings/2023",
        3,
        uuid.UUID("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f"),
        "meeting_held",
        1,
        date(2023, 1, 6),
        "张敏",
        payload_digest_hex,
    )
    assert leaf_of_batch == leaf_hash(alg, envelope)
    assert payload_digest_v2(alg, []).hex() in section


@pytest.mark.parametrize("alg_name", ["sha256", "sm3"])
def test_reference_verifier_recomputes_the_v2_payload_digest(alg_name: str) -> None:
    """The doc's v2 functions, with salts from the stdlib's hmac, give the library's digest."""
    import hashlib
    import hmac

    from civicledger.merkle.disclosure import digest_of_payload

    data = json.loads(PAYLOAD)
    secret = bytes(range(16))

    def salt(name: str) -> str:
        mac = hmac.new(secret, name.encode(), lambda d=b"": hashlib.new(alg_name, d))
        return mac.digest()[:16].hex()

    digests = [VERIFIER["field_digest"](salt(n), n, v, alg_name) for n, v in data.items()]
    expected = digest_of_payload(hash_algorithm(alg_name), secret, data).hex()
    assert VERIFIER["payload_digest_v2"](digests, alg_name) == expected
