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
from collections.abc import Callable

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import ValidationError
from civicledger.events.canonical import canonical_bytes
from civicledger.merkle import hash_algorithm, native
from civicledger.merkle.disclosure import digest_of_payload, digest_of_payload_text

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
