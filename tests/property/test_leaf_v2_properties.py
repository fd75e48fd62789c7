"""Leaf format v2 properties: a redacted remainder verifies, and any single change is named.

For random payloads and random subsets of redacted fields, the row a v2
redaction leaves checks clean against its digest and its recorded redaction;
changing one remaining value, one salt, one kept digest or one field name is
found. A disclosure of random fields verifies, and any single change fails.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from civicledger.audit.payloads import RedactionIndex, check_payload
from civicledger.errors import VerificationError
from civicledger.events.canonical import canonical_bytes
from civicledger.merkle import hash_algorithm
from civicledger.merkle.commitments import Commitments, after_redaction
from civicledger.merkle.disclosure import (
    Disclosure,
    digest_of_payload,
    field_digest,
    field_salt,
)
from civicledger.store.rows import StoredPayload, StoredRow

ALG = hash_algorithm("sha256")
EVENT = uuid.UUID("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f")

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=6,
)
payloads = st.dictionaries(names, values, min_size=1, max_size=6)


def _row(position: int, payload: bytes | None, salt: bytes | None, **kw: Any) -> StoredRow:
    return StoredRow(
        position=position,
        stream="s",
        stream_version=1,
        event_id=kw.pop("event_id", EVENT),
        type=kw.pop("type", "thing_happened"),
        schema_version=1,
        occurred_on=date(2023, 1, 1),
        recorded_at="2023-01-01T00:00:00.000000Z",
        actor="a",
        payload=payload,
        salt=salt,
        payload_digest=kw.pop("payload_digest"),
        leaf_hash=b"\x00" * 32,
        commitments=kw.pop("commitments", None),
    )


def _redacted(payload: dict[str, Any], erased: list[str]) -> tuple[StoredRow, RedactionIndex]:
    secret = os.urandom(16)
    digest = digest_of_payload(ALG, secret, payload)
    left = {k: v for k, v in payload.items() if k not in erased}
    remainder = {"$redacted": sorted(erased), **left} if left else None
    kept = after_redaction(ALG, payload, secret, None, remainder)
    row = _row(
        1,
        None if remainder is None else canonical_bytes(remainder),
        None,
        payload_digest=digest,
        commitments=kept.text().encode(),
    )
    redaction = canonical_bytes({"fields": sorted(erased), "target_event_id": str(EVENT)})
    return row, RedactionIndex([StoredPayload(2, redaction)])


def _findings(row: StoredRow, index: RedactionIndex) -> list[Any]:
    return check_payload(row, ALG, 2, index)[1]


@st.composite
def redactions(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    payload = draw(payloads)
    erased = draw(st.lists(st.sampled_from(sorted(payload)), min_size=1, unique=True))
    return payload, erased


@given(redactions())
def test_the_remainder_verifies(case: tuple[dict[str, Any], list[str]]) -> None:
    """What a v2 redaction leaves hashes back to the digest, and its erasure is recorded."""
    row, index = _redacted(*case)
    assert _findings(row, index) == []


@given(redactions(), st.data())
def test_a_changed_remaining_value_is_named(
    case: tuple[dict[str, Any], list[str]], data: st.DataObject
) -> None:
    """Any remaining value changed is found."""
    payload, erased = case
    left = [k for k in payload if k not in erased]
    assume(left)
    row, index = _redacted(payload, erased)
    assert row.payload is not None
    remainder = json.loads(row.payload)
    name = data.draw(st.sampled_from(left))
    new = data.draw(values.filter(lambda v: v != remainder[name]))
    forged = row._replace(payload=canonical_bytes({**remainder, name: new}))
    assert _findings(forged, index)


@given(redactions(), st.data())
def test_a_changed_salt_or_digest_is_named(
    case: tuple[dict[str, Any], list[str]], data: st.DataObject
) -> None:
    """Any kept salt or digest changed (one byte) is found."""
    row, index = _redacted(*case)
    assert row.commitments is not None
    kept = Commitments.parse(row.commitments, 32)
    which = data.draw(st.sampled_from(["salt", "digest"] if kept.salts else ["digest"]))
    table = dict(kept.salts if which == "salt" else kept.digests)
    name = data.draw(st.sampled_from(sorted(table)))
    table[name] = bytes([table[name][0] ^ 1]) + table[name][1:]
    changed = (
        Commitments(salts=table, digests=kept.digests)
        if which == "salt"
        else Commitments(salts=kept.salts, digests=table)
    )
    assert _findings(row._replace(commitments=changed.text().encode()), index)


@given(redactions(), st.data(), names)
def test_a_changed_field_name_is_named(
    case: tuple[dict[str, Any], list[str]], data: st.DataObject, new_name: str
) -> None:
    """Renaming any remaining or erased field (value, salt and digest kept) is found."""
    payload, erased = case
    row, index = _redacted(payload, erased)
    assume(new_name not in payload)
    name = data.draw(st.sampled_from(sorted(payload)))
    assert row.commitments is not None
    kept = Commitments.parse(row.commitments, 32)

    def renamed(table: Any) -> dict[str, Any]:
        return {new_name if k == name else k: v for k, v in table.items()}

    remainder = None if row.payload is None else renamed(json.loads(row.payload))
    if remainder is not None:
        remainder["$redacted"] = sorted(
            new_name if k == name else k for k in remainder["$redacted"]
        )
    forged = row._replace(
        payload=None if remainder is None else canonical_bytes(remainder),
        commitments=Commitments(salts=renamed(kept.salts), digests=renamed(kept.digests))
        .text()
        .encode(),
    )
    assert _findings(forged, index)


@given(payloads, st.binary(min_size=16, max_size=16), st.data())
def test_a_disclosure_verifies_and_any_change_fails(
    payload: dict[str, Any], secret: bytes, data: st.DataObject
) -> None:
    """Disclosed values check against the envelope; one changed value, salt or name fails."""
    shown = data.draw(st.lists(st.sampled_from(sorted(payload)), min_size=1, unique=True))
    digest = digest_of_payload(ALG, secret, payload)
    envelope = canonical_bytes(
        {
            "event_id": str(EVENT),
            "hash": "sha256",
            "payload_digest": digest.hex(),
            "position": 3,
            "v": 2,
        }
    )
    disclosed = tuple((field_salt(ALG, secret, n).hex(), n, payload[n]) for n in sorted(shown))
    withheld = tuple(
        sorted(
            field_digest(ALG, field_salt(ALG, secret, n), n, payload[n]).hex()
            for n in payload
            if n not in shown
        )
    )
    good = Disclosure("sha256", str(EVENT), 3, envelope, disclosed, withheld)
    good.verify()
    assert Disclosure.from_json(json.loads(json.dumps(good.to_json()))) == good
    i = data.draw(st.integers(0, len(disclosed) - 1))
    salt, name, value = disclosed[i]
    what = data.draw(st.sampled_from(["value", "salt", "name"]))
    if what == "value":
        changed = (salt, name, data.draw(values.filter(lambda v: v != value)))
    elif what == "salt":
        changed = (("0" if salt[0] != "0" else "1") + salt[1:], name, value)
    else:
        changed = (salt, data.draw(names.filter(lambda n: n != name)), value)
    bad = Disclosure(
        "sha256", str(EVENT), 3, envelope, (*disclosed[:i], changed, *disclosed[i + 1 :]), withheld
    )
    with pytest.raises(VerificationError, match=str(EVENT)):
        bad.verify()


@given(payloads, st.binary(min_size=16, max_size=16))
def test_hmac_without_openssl_gives_the_same_salts(payload: dict[str, Any], secret: bytes) -> None:
    """The written-out HMAC (used for SM3 from gmssl) equals OpenSSL's for every field."""
    from civicledger.merkle import disclosure

    with_openssl = digest_of_payload(ALG, secret, payload)
    disclosure._openssl_has.cache_clear()
    try:
        original = disclosure._openssl_has
        disclosure._openssl_has = lambda name: False  # type: ignore[assignment]
        assert digest_of_payload(ALG, secret, payload) == with_openssl
    finally:
        disclosure._openssl_has = original
