"""The native payload digest against the pure-Python reference, byte for byte.

``civicledger.merkle._native`` hashes a v2 payload from its canonical text; the
pure-Python path hashes the decoded values. For every payload in the domain the
two agree, and the native function accepts only text that is canonical: for
any other text it returns None and the Python path decides. Without the module
(no compiler at install) these tests skip, except in CI, where
``CIVICLEDGER_REQUIRE_NATIVE=1`` makes its absence a failure.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import ValidationError
from civicledger.events.canonical import canonical_bytes
from civicledger.events.text import parse_date, parse_timestamp
from civicledger.merkle import hash_algorithm, native
from civicledger.merkle.disclosure import digest_of_payload, digest_of_payload_text
from civicledger.merkle.leaf import BatchEnvelopes, envelope_bytes

ALG = hash_algorithm("sha256")
NATIVE = native.payload_digest_sha256

REQUIRED = os.environ.get("CIVICLEDGER_REQUIRE_NATIVE") == "1"  # .ci/run sets it

pytestmark = pytest.mark.skipif(
    NATIVE is None and not REQUIRED,
    reason="the native hashing module is not built: it needs gcc and OpenSSL's headers "
    "(Debian: libssl-dev) at `pip install -e .`",
)

# Keys and text from all of Unicode but surrogates, so that escapes, multi-byte
# UTF-8 and RFC 8785's UTF-16 key order (astral characters before U+E000) all occur.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)
keys = st.one_of(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8), text)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=10,
)
payloads = st.dictionaries(keys, values, max_size=8)
secrets = st.binary(min_size=0, max_size=64)


def _python(secret: bytes, payload: dict[str, object]) -> bytes:
    return digest_of_payload(ALG, secret, payload)  # no text: always the Python path


def _is_canonical(data: bytes) -> bool:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(parsed, dict):
        return False
    try:
        return canonical_bytes(parsed) == data
    except ValidationError:
        return False


def test_the_native_module_is_loaded() -> None:
    """Where it was built (and always in CI) the module is what the library uses."""
    assert native.available()


@given(secrets, payloads)
def test_native_digest_is_the_python_digest(secret: bytes, payload: dict[str, object]) -> None:
    data = canonical_bytes(payload)
    expected = _python(secret, payload)
    assert NATIVE is not None
    assert NATIVE(secret, data) == expected
    assert NATIVE(secret, data.decode("utf-8")) == expected  # str, as a database returns it
    assert digest_of_payload(ALG, secret, payload, text=data) == expected
    assert digest_of_payload_text(ALG, secret, data) == expected


# Ways to write the same values that are not RFC 8785: the native function must
# decline each, and the Python path then gives the digest of the values.
def _spaced(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()


def _ascii_escaped(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _unsorted(payload: dict[str, object]) -> bytes:
    return orjson.dumps(dict(reversed(list(payload.items()))))


@given(secrets, payloads, st.sampled_from([_spaced, _ascii_escaped, _unsorted]))
def test_other_spellings_are_left_to_python(
    secret: bytes, payload: dict[str, object], spell: Callable[[dict[str, object]], bytes]
) -> None:
    data = spell(payload)
    assert NATIVE is not None
    result = NATIVE(secret, data)
    if _is_canonical(data):
        assert result == _python(secret, payload)
    else:
        assert result is None
    assert digest_of_payload_text(ALG, secret, data) == _python(secret, payload)


@given(
    secrets,
    payloads,
    st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=3)), min_size=1, max_size=3),
)
def test_damaged_text_is_hashed_only_if_canonical(
    secret: bytes, payload: dict[str, object], edits: list[tuple[int, bytes]]
) -> None:
    """Any edit of canonical text: a digest only for text that is still canonical."""
    data = bytearray(canonical_bytes(payload))
    for at, replacement in edits:
        at %= len(data) + 1
        data[at : at + len(replacement) // 2 + 1] = replacement
    damaged = bytes(data)
    assert NATIVE is not None
    result = NATIVE(secret, damaged)
    if result is not None:
        assert _is_canonical(damaged)
        assert result == _python(secret, orjson.loads(damaged))


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{"a":-0}',
        b'{"a":01}',
        b'{"a":9007199254740992}',
        b'{"a":-9007199254740992}',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"\xef\xbf\xbf":1,"\xf0\x9f\x98\x80":2}',  # U+FFFF before an astral key: not UTF-16 order
        b'{ "a":1}',
        b'{"a":1} ',
        b'{"a":"\\u001F"}',
        b'{"a":"\\u000a"}',
        b'{"a":"\\/"}',
        b'{"a":"\\u0041"}',
        b'{"a":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"a":"\xc0\xaf"}',  # an overlong encoding
        b'{"a":"\x01"}',
        b'{"a":tru}',
        b'{"a":[1,]}',
        b'{"a":1',
        b"[1]",
        b"",
        b"{",
    ],
)
def test_declines_what_is_not_canonical(data: bytes) -> None:
    assert NATIVE is not None
    assert NATIVE(b"secret", data) is None


def test_declines_a_secret_it_does_not_hash() -> None:
    """A secret over one block, or not bytes, goes to the Python path (which checks it)."""
    assert NATIVE is not None
    assert NATIVE(bytes(65), b"{}") is None
    assert NATIVE("secret", b"{}") is None  # type: ignore[arg-type]
    assert NATIVE(b"s", 1) is None  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="secret must be bytes"):
        digest_of_payload_text(ALG, "secret", b"{}")  # type: ignore[arg-type]


def test_deep_nesting_is_left_to_python() -> None:
    deep: object = 1
    for _ in range(70):
        deep = [deep]
    payload = {"a": deep}
    assert NATIVE is not None
    assert NATIVE(b"s", canonical_bytes(payload)) is None
    assert digest_of_payload_text(ALG, b"s", canonical_bytes(payload)) == _python(b"s", payload)


def test_a_large_payload() -> None:
    """More fields than the inline buffers, and a key longer than the inline name buffer."""
    payload: dict[str, object] = {f"field_{i:03}": "值" * i for i in range(100)}
    payload["k" * 300] = [1, 2, 3]
    secret = os.urandom(16)
    assert NATIVE is not None
    assert NATIVE(secret, canonical_bytes(payload)) == _python(secret, payload)


def test_pure_python_switch_turns_it_off() -> None:
    """CIVICLEDGER_PURE_PYTHON=1 leaves every digest to the Python path."""
    import subprocess
    import sys

    code = "from civicledger.merkle import native; print(native.available())"
    env = {**os.environ, "CIVICLEDGER_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# --- the envelope's leaf -------------------------------------------------------------------

LEAF = native.envelope_leaf_sha256
positive = st.integers(min_value=1, max_value=2**53 - 1)
names_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)
moments = st.datetimes(timezones=st.just(UTC))


def _envelope_stamp(moment: datetime) -> str:
    """recorded_at as the envelope writes it (the year always four digits)."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


members = st.fixed_dictionaries(
    {
        "actor": st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
        "event_id": st.uuids(),
        "occurred_on": st.dates(),
        "origin": names_text,
        "payload_digest": st.binary(min_size=32, max_size=32),
        "position": positive,
        "recorded_at": moments,
        "schema_version": positive,
        "stream": names_text,
        "stream_version": positive,
        "type": names_text,
        "version": st.sampled_from([1, 2]),
    }
)


def _python_leaf(m: dict[str, Any]) -> bytes:
    return ALG.leaf(envelope_bytes(hash_name="sha256", **m))


def _native_leaf(m: dict[str, Any], occurred_on: object, recorded_at: object) -> bytes | None:
    assert LEAF is not None
    return LEAF(
        m["actor"],
        m["event_id"],
        "sha256",
        occurred_on,  # type: ignore[arg-type]
        m["origin"],
        m["payload_digest"],
        m["position"],
        recorded_at,  # type: ignore[arg-type]
        m["schema_version"],
        m["stream"],
        m["stream_version"],
        m["type"],
        m["version"],
    )


@given(members)
def test_native_leaf_is_the_python_leaf(m: dict[str, Any]) -> None:
    expected = _python_leaf(m)
    stamp = _envelope_stamp(m["recorded_at"])
    assert _native_leaf(m, m["occurred_on"], stamp) == expected  # as an append passes them
    assert _native_leaf(m, m["occurred_on"].isoformat(), stamp) == expected  # as stored
    batch = BatchEnvelopes(
        origin=m["origin"], recorded_at=m["recorded_at"], hash_name="sha256", version=m["version"]
    )
    parts = [m[k] for k in ("position", "stream", "stream_version", "event_id", "type")]
    rest = [m[k] for k in ("schema_version", "occurred_on", "actor", "payload_digest")]
    assert batch.leaf_hash(*parts, *rest) == expected


stored_dates = st.one_of(
    st.dates().map(date.isoformat),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.text(max_size=12),
)
stored_stamps = st.one_of(
    moments.map(_envelope_stamp),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\Z"),
    st.text(max_size=30),
)


@given(members, stored_dates, stored_stamps)
def test_native_leaf_takes_stored_text_only_as_python_reads_it(
    m: dict[str, Any], occurred_on: str, recorded_at: str
) -> None:
    """A leaf from stored texts only where the Python path parses them to the same leaf."""
    result = _native_leaf(m, occurred_on, recorded_at)
    try:
        parsed = {**m, "occurred_on": parse_date(occurred_on)}
        parsed["recorded_at"] = parse_timestamp(recorded_at)
        expected: bytes | None = _python_leaf(parsed)
    except ValidationError:
        expected = None
    if result is not None:
        assert result == expected
    elif occurred_on == parsed_iso(occurred_on) and recorded_at == stamp_text(recorded_at):
        raise AssertionError("canonical texts were declined")


def parsed_iso(text: str) -> str | None:
    try:
        return parse_date(text).isoformat()
    except ValidationError:
        return None


def stamp_text(text: str) -> str | None:
    try:
        return _envelope_stamp(parse_timestamp(text))
    except ValidationError:
        return None


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("actor", 1),
        ("actor", "\ud800"),
        ("event_id", "0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f"),
        ("hash", "sm3"),
        ("occurred_on", datetime(2023, 1, 1, tzinfo=UTC)),
        ("occurred_on", "2023-02-29"),
        ("origin", ""),
        ("payload_digest", bytes(31)),
        ("position", 0),
        ("position", 2**53),
        ("position", True),
        ("recorded_at", datetime(2023, 1, 1, tzinfo=UTC)),
        ("recorded_at", "2023-01-01T00:00:00.000000+00:00"),
        ("recorded_at", "2023-01-01T00:00:60.000000Z"),
        ("stream", ""),
        ("type", ""),
        ("v", 3),
    ],
)
def test_native_leaf_declines_what_the_envelope_does_not_take_as_is(
    member: str, value: object
) -> None:
    args: dict[str, object] = {
        "actor": "a",
        "event_id": uuid.uuid4(),
        "hash": "sha256",
        "occurred_on": date(2023, 1, 1),
        "origin": "o",
        "payload_digest": bytes(32),
        "position": 1,
        "recorded_at": "2023-01-01T00:00:00.000000Z",
        "schema_version": 1,
        "stream": "s",
        "stream_version": 1,
        "type": "t",
        "v": 1,
    }
    assert LEAF is not None
    assert LEAF(*args.values()) is not None  # type: ignore[arg-type]
    args[member] = value
    assert LEAF(*args.values()) is None  # type: ignore[arg-type]
