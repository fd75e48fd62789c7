"""Properties of seals and proofs over random small ledgers (in-memory store)."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import CivicLedgerError, Ledger, ValidationError, VerificationError
from civicledger.audit import Seal, Signer, TlogProof, verify_proof
from civicledger.merkle import SHA256, verify_consistency
from store_testkit import count

MAX_EVENTS = 40


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("office.example")


@pytest.fixture(scope="module")
def witness() -> Signer:
    return Signer.generate("witness.example")


def sealed_ledger(n: int, sizes: list[int]) -> tuple[Ledger, list[Seal]]:
    """A memory ledger of n events with a seal at each of ``sizes`` (ascending, <= n)."""
    ledger = Ledger.in_memory(origin="prop.example/ledger")
    seals = []
    done = 0
    for size in sorted(sizes):
        if size > done:
            ledger.append("s", [count(i) for i in range(done, size)], actor="a")
            done = size
        seals.append(ledger.seal())
    if n > done:
        ledger.append("s", [count(i) for i in range(done, n)], actor="a")
    return ledger, seals


def flip(data: bytes, bit: int) -> bytes:
    index, shift = divmod(bit % (len(data) * 8), 8)
    return data[:index] + bytes([data[index] ^ (1 << shift)]) + data[index + 1 :]


sizes = st.integers(min_value=1, max_value=MAX_EVENTS)


@given(n=sizes, data=st.data())
def test_every_inclusion_proof_verifies(n: int, data: st.DataObject) -> None:
    """For any ledger and any seal size, every event under the seal has a proof that verifies."""
    size = data.draw(st.integers(min_value=1, max_value=n), label="seal size")
    ledger, (seal,) = sealed_ledger(n, [size])
    for record in ledger.read(to_position=size):
        result = verify_proof(ledger.prove(record.event_id, seal))
        assert (result.position, result.leaf_hash) == (record.position, record.leaf_hash)


@given(n=sizes, data=st.data())
def test_consistency_proofs_between_any_two_sizes_verify(n: int, data: st.DataObject) -> None:
    """For any two sizes old <= new of a ledger, the consistency proof links their seals."""
    old = data.draw(st.integers(min_value=1, max_value=n), label="old")
    new = data.draw(st.integers(min_value=old, max_value=n), label="new")
    ledger, (old_seal, new_seal) = sealed_ledger(n, [old, new])
    proof = ledger.audit.consistency_proof(old, new)
    verify_consistency(SHA256, old, new, proof, old_seal.root_hash, new_seal.root_hash)


@given(n=sizes, data=st.data())
def test_any_single_bit_change_to_a_proof_fails(n: int, data: st.DataObject) -> None:
    """Flipping one bit of the envelope, of a proof hash, or of the root makes verification fail."""
    size = data.draw(st.integers(min_value=1, max_value=n), label="seal size")
    position = data.draw(st.integers(min_value=1, max_value=size), label="position")
    ledger, (seal,) = sealed_ledger(n, [size])
    record = next(iter(ledger.read(from_position=position)))
    proof = TlogProof.parse(ledger.prove(record.event_id, seal))
    bit = data.draw(st.integers(min_value=0), label="bit")
    targets = ["envelope", "root"] + (["hash"] * bool(proof.hashes))
    target = data.draw(st.sampled_from(targets), label="target")
    if target == "envelope":
        assert proof.extra is not None
        forged = TlogProof(
            index=proof.index, hashes=proof.hashes, seal=seal, extra=flip(proof.extra, bit)
        )
    elif target == "hash":
        which = data.draw(st.integers(min_value=0, max_value=len(proof.hashes) - 1))
        hashes = list(proof.hashes)
        hashes[which] = flip(hashes[which], bit)
        forged = TlogProof(index=proof.index, hashes=tuple(hashes), seal=seal, extra=proof.extra)
    else:
        assert seal.sealed_at is not None
        other = Seal.create(
            origin=seal.origin,
            tree_size=seal.tree_size,
            root_hash=flip(seal.root_hash, bit),
            sealed_at=seal.sealed_at,
        )
        forged = TlogProof(index=proof.index, hashes=proof.hashes, seal=other, extra=proof.extra)
    with pytest.raises(VerificationError):
        verify_proof(forged.to_text())


origins = st.text(alphabet=string.ascii_letters + string.digits + "./-_:+", min_size=1, max_size=40)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    origin=origins,
    tree_size=st.integers(min_value=0, max_value=2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    sealed_at=moments,
    hash_name=st.sampled_from(["sha256", "sm3"]),
    signed=st.integers(min_value=0, max_value=2),
)
def test_seal_text_round_trips(
    office: Signer,
    witness: Signer,
    origin: str,
    tree_size: int,
    root: bytes,
    sealed_at: datetime,
    hash_name: str,
    signed: int,
) -> None:
    """Seal.parse(seal.text) gives back the same seal, signed, cosigned or not."""
    witnesses = [office, witness]
    seal = Seal.create(
        origin=origin,
        tree_size=tree_size,
        root_hash=root,
        sealed_at=sealed_at,
        hash_name=hash_name,
        signers=witnesses[:signed],
    )
    parsed = Seal.parse(seal.text)
    assert parsed == seal
    assert (parsed.origin, parsed.tree_size, parsed.root_hash) == (origin, tree_size, root)
    assert parsed.sealed_at == sealed_at
    assert parsed.text == seal.text


@given(
    root=st.binary(min_size=32, max_size=32),
    data=st.data(),
)
def test_any_change_to_a_signed_seal_fails_its_signature(
    office: Signer, root: bytes, data: st.DataObject
) -> None:
    """Changing any one character of a signed seal's checkpoint text makes it fail to verify."""
    seal = Seal.create(
        origin="office.example/ledger",
        tree_size=data.draw(st.integers(min_value=0, max_value=10**6)),
        root_hash=root,
        sealed_at=datetime(2024, 1, 1, tzinfo=UTC),
        signers=[office],
    )
    body = seal.body
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="index")
    replacement = data.draw(
        st.sampled_from(string.ascii_letters + string.digits + "+/= \n").filter(
            lambda c: c != body[index]
        ),
        label="replacement",
    )
    changed = body[:index] + replacement + body[index + 1 :]
    text = changed + seal.text[len(body) :]
    with pytest.raises((ValidationError, VerificationError)) as caught:
        Seal.parse(text).verify(office.verifier())
    assert isinstance(caught.value, CivicLedgerError)
