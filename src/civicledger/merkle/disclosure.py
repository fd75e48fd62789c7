"""Leaf format v2: one salted commitment per payload field, and disclosures of single fields.

In a v2 leaf the payload digest is a hash over one digest per top-level payload
field, each the hash of a *disclosure* ``[salt, name, value]`` (the shape of the
disclosures of RFC 9901, SD-JWT). Handing out a field's disclosure lets anyone
check that value against the leaf, and so against a seal, while the other
fields stay hidden behind their digests. ``docs/hashing.md`` specifies every byte.

Each field's salt is derived from one random secret per event with HMAC, so the
store keeps one secret per event; the salts are independent and unguessable
without it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import orjson

from civicledger.errors import ValidationError, VerificationError
from civicledger.events.canonical import canonical_bytes
from civicledger.merkle import native
from civicledger.merkle.hashes import DIGEST_SIZES, HashAlgorithm, hash_algorithm

LEAF_V2 = 2
"""The envelope (and leaf format) version with one commitment per field."""

FIELD_SALT_SIZE = 16
"""Bytes of a field salt: the first 16 bytes of the HMAC of the field name."""

DISCLOSURE_FORMAT = "civicledger-disclosure/1"
"""The ``format`` member of a disclosure's JSON form."""

_BLOCK = 64  # HMAC block size of SHA-256 and SM3 (RFC 2104's B)
_IPAD = bytes(x ^ 0x36 for x in range(256))  # translation tables: key XOR ipad / opad
_OPAD = bytes(x ^ 0x5C for x in range(256))


@functools.cache
def _openssl_has(name: str) -> bool:
    try:
        hashlib.new(name)
    except ValueError:
        return False
    return True


def _hmacs(alg: HashAlgorithm, key: bytes, messages: Iterable[bytes]) -> list[bytes]:
    """RFC 2104 HMAC over the ledger's hash of each message, with one key.

    With OpenSSL's hash the padded key is hashed once and the state copied per
    message; otherwise (SM3 from gmssl) it is written out in full. Same bytes.
    """
    if len(key) > _BLOCK:
        key = alg(key)
    padded = key.ljust(_BLOCK, b"\x00")
    if _openssl_has(alg.name):
        inner = hashlib.new(alg.name, padded.translate(_IPAD))
        outer = hashlib.new(alg.name, padded.translate(_OPAD))
        result = []
        for message in messages:
            step = inner.copy()
            step.update(message)
            final = outer.copy()
            final.update(step.digest())
            result.append(final.digest())
        return result
    ipad, opad = padded.translate(_IPAD), padded.translate(_OPAD)
    return [alg(opad + alg(ipad + message)) for message in messages]


def field_salt(alg: HashAlgorithm, secret: bytes, name: str) -> bytes:
    """The salt of payload field ``name``: ``HMAC_H(secret, utf8(name))[:16]``.

    Args:
        alg: the ledger's hash algorithm.
        secret: the event's 16-byte secret.
        name: the top-level payload field name.

    Returns:
        16 bytes.

    Raises:
        ValidationError: the secret is not bytes.
    """
    if not isinstance(secret, bytes):
        raise ValidationError(
            f"event secret must be bytes, got {secret.__class__.__name__}", field="salt"
        )
    return _hmacs(alg, secret, [name.encode("utf-8")])[0][:FIELD_SALT_SIZE]


def disclosure_bytes(salt: bytes, name: str, value: object) -> bytes:
    """The RFC 8785 bytes of the disclosure ``[salt_hex, name, value]``.

    Args:
        salt: the field's salt (16 bytes).
        name: the field name.
        value: the field's value as in the canonical payload JSON.

    Returns:
        The canonical bytes.

    Raises:
        ValidationError: the salt is not 16 bytes, the name is not text, or the
            value is not canonical JSON (a float, say).
    """
    if not isinstance(salt, bytes) or len(salt) != FIELD_SALT_SIZE:
        raise ValidationError(
            f"a field salt must be {FIELD_SALT_SIZE} bytes, got {salt!r}", field=str(name)
        )
    if not isinstance(name, str):
        raise ValidationError(f"a field name must be text, got {name!r}", field="name")
    return canonical_bytes([salt.hex(), name, value])


def field_digest(alg: HashAlgorithm, salt: bytes, name: str, value: object) -> bytes:
    """``H(disclosure bytes)``: what the payload digest commits to for one field."""
    return alg(disclosure_bytes(salt, name, value))


def payload_digest_v2(alg: HashAlgorithm, field_digests: Iterable[bytes]) -> bytes:
    """``H(JCS(sorted hex field digests))``; ``H(b"[]")`` for a payload without fields."""
    hexes = sorted(d.hex() for d in field_digests)
    return alg(("[" + ",".join(f'"{h}"' for h in hexes) + "]").encode("ascii"))


def digest_of_payload(
    alg: HashAlgorithm, secret: bytes, payload: Mapping[str, Any], *, text: bytes | None = None
) -> bytes:
    """The v2 payload digest of a whole payload (what the store puts in the envelope).

    The hot path of every v2 append: with the native module and SHA-256 the digest
    comes from the payload's canonical ``text`` in one call. Otherwise payloads the
    codec encoded are in orjson's exact RFC 8785 domain, so each disclosure is
    written by orjson directly; anything outside it takes the checked path.

    Args:
        alg: the ledger's hash algorithm.
        secret: the event's secret.
        payload: the payload as JSON data.
        text: the canonical bytes of ``payload``, when the caller has them.

    Raises:
        ValidationError: the secret is not bytes, or a value is not canonical JSON.
    """
    if text is not None and (digest := _native_digest(alg, secret, text)) is not None:
        return digest
    if not isinstance(secret, bytes):
        raise ValidationError(
            f"event secret must be bytes, got {secret.__class__.__name__}", field="salt"
        )
    if alg.name == "sha256" and len(secret) <= _BLOCK:
        return _digest_of_payload_sha256(secret, payload)
    hexes = []
    macs = _hmacs(alg, secret, [name.encode("utf-8") for name in payload])
    for (name, value), mac in zip(payload.items(), macs, strict=True):
        salt = mac[:FIELD_SALT_SIZE].hex()
        kind = value.__class__
        if kind in _PLAIN or (kind is int and -_SAFE <= value <= _SAFE):
            try:
                data = orjson.dumps([salt, name, value])
            except orjson.JSONEncodeError:  # an unpaired surrogate: the checked path says so
                data = canonical_bytes([salt, name, value])
        else:
            data = canonical_bytes([salt, name, value])  # checks the domain on the way
        hexes.append(alg(data).hex())
    hexes.sort()
    return alg(("[" + ",".join(f'"{h}"' for h in hexes) + "]").encode("ascii"))


def digest_of_payload_text(alg: HashAlgorithm, secret: bytes, text: bytes | str) -> bytes:
    """The v2 payload digest of a payload stored as JSON text (what verification reads).

    With the native module and SHA-256, canonical text is hashed as it is, without
    parsing it; any other text is parsed and hashed by :func:`digest_of_payload`,
    which gives the same digest for the same values.

    Raises:
        ValidationError: the text is not a JSON object, or a value is not canonical JSON.
    """
    if (digest := _native_digest(alg, secret, text)) is not None:
        return digest
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise ValidationError(f"the payload is not JSON ({e})", field="payload") from e
    if data.__class__ is not dict:
        raise ValidationError("the payload is not a JSON object", field="payload")
    return digest_of_payload(alg, secret, data)


def text_digester(alg: HashAlgorithm) -> native.PayloadDigest | None:
    """The native module's digest of canonical payload text for ``alg``, to look up once
    for many payloads (an append batch); None without the module or for another hash.

    It returns None for text it declines, which :func:`digest_of_payload` then digests.
    """
    return native.payload_digest_sha256 if alg.name == "sha256" else None


def _native_digest(alg: HashAlgorithm, secret: bytes, text: bytes | str) -> bytes | None:
    """The native module's digest of canonical text; None without the module, for
    another hash, or for text it declines (the caller then takes the Python path)."""
    digest_text = text_digester(alg)
    return None if digest_text is None else digest_text(secret, text)


_SAFE = 2**53 - 1
_PLAIN = frozenset({str, bool, type(None)})  # scalars orjson writes exactly as RFC 8785 does


def _digest_of_payload_sha256(secret: bytes, payload: Mapping[str, Any]) -> bytes:
    """:func:`digest_of_payload` for SHA-256, written out in one loop: it runs once per
    field of every event appended or verified, and each call saved there shows (the
    HMAC as in :func:`_hmacs`; a salt's hex is the first 32 hex digits of its HMAC)."""
    sha256, dumps = hashlib.sha256, orjson.dumps
    padded = secret.ljust(_BLOCK, b"\x00")
    inner, outer = sha256(padded.translate(_IPAD)), sha256(padded.translate(_OPAD))
    hexes = []
    for name, value in payload.items():
        step = inner.copy()
        step.update(name.encode("utf-8"))
        mac = outer.copy()
        mac.update(step.digest())
        disclosure = [mac.hexdigest()[: 2 * FIELD_SALT_SIZE], name, value]
        kind = value.__class__
        try:
            if kind in _PLAIN or (kind is int and -_SAFE <= value <= _SAFE):
                data = dumps(disclosure)
            else:
                data = canonical_bytes(disclosure)  # checks the domain on the way
        except orjson.JSONEncodeError:  # an unpaired surrogate: the checked path says so
            data = canonical_bytes(disclosure)
        hexes.append(sha256(data).hexdigest())
    hexes.sort()
    joined = '["' + '","'.join(hexes) + '"]' if hexes else "[]"
    return sha256(joined.encode("ascii")).digest()


@attrs.frozen
class Disclosure:
    """Some fields of one event, each checkable against its leaf; the others only as digests.

    With the event's inclusion proof (``ledger.prove``) the envelope ties the
    disclosed values to a seal; on its own, :meth:`verify` checks that the values
    belong to the envelope.

    Attributes:
        hash: the ledger's hash algorithm name.
        event_id: the event's id.
        position: its ledger position.
        envelope: the event's canonical envelope bytes (what its leaf hashes).
        disclosed: ``(salt_hex, name, value)`` for each disclosed field, sorted by name.
        withheld: the hex field digests of the other fields, sorted.
    """

    hash: str
    event_id: str
    position: int
    envelope: bytes = attrs.field(repr=False)
    disclosed: tuple[tuple[str, str, object], ...]
    withheld: tuple[str, ...]

    def values(self) -> dict[str, object]:
        """The disclosed values by field name."""
        return {name: value for _, name, value in self.disclosed}

    def envelope_members(self) -> dict[str, Any]:
        """The envelope parsed as JSON.

        Raises:
            VerificationError: the envelope is not a JSON object.
        """
        try:
            members = json.loads(self.envelope.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise VerificationError(
                f"disclosure of event {self.event_id}: the envelope is not JSON ({e})"
            ) from e
        if not isinstance(members, dict):
            raise VerificationError(
                f"disclosure of event {self.event_id}: the envelope is not a JSON object"
            )
        return members

    def verify(self) -> None:
        """Check every disclosed value against the envelope's payload digest.

        Raises:
            VerificationError: the envelope is not a v2 envelope of this event, or
                the fields do not hash to its payload digest (the message names the
                event, and the field when one disclosure is at fault).
        """
        where = f"disclosure of event {self.event_id}"
        members = self.envelope_members()
        if members.get("v") != LEAF_V2:
            raise VerificationError(
                f"{where}: the envelope has format v {members.get('v')!r}, not {LEAF_V2}; only "
                "v2 leaves commit to single fields"
            )
        for key, mine in (
            ("event_id", self.event_id),
            ("position", self.position),
            ("hash", self.hash),
        ):
            if members.get(key) != mine:
                raise VerificationError(
                    f"{where}: the envelope's {key} is {members.get(key)!r}, not {mine!r}"
                )
        try:
            alg = hash_algorithm(self.hash)
        except ValidationError as e:
            raise VerificationError(f"{where}: {e.message}") from e
        digests = []
        for salt_hex, name, value in self.disclosed:
            try:
                digests.append(field_digest(alg, bytes.fromhex(salt_hex), name, value))
            except (ValueError, ValidationError) as e:
                raise VerificationError(f"{where}: field {name!r} cannot be hashed ({e})") from e
        digests += [bytes.fromhex(h) for h in self.withheld]
        expected = members.get("payload_digest")
        actual = payload_digest_v2(alg, digests).hex()
        if actual != expected:
            names = ", ".join(repr(n) for _, n, _ in self.disclosed) or "none"
            raise VerificationError(
                f"{where}: the disclosed fields ({names}) and the withheld digests hash to "
                f"{actual}, but the envelope's payload_digest is {expected}: a disclosed value, "
                "salt or name, or a withheld digest, is not the one recorded"
            )

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``docs/audit.md``): plain data for ``json.dumps``."""
        return {
            "format": DISCLOSURE_FORMAT,
            "hash": self.hash,
            "event_id": self.event_id,
            "position": self.position,
            "envelope": self.envelope.decode("utf-8"),
            "disclosed": [[s, n, v] for s, n, v in self.disclosed],
            "withheld": list(self.withheld),
        }

    @classmethod
    def from_json(cls, data: object) -> Disclosure:
        """Read the JSON form, checking its shape (not its hashes: call :meth:`verify`).

        Raises:
            ValidationError: a member is missing or of the wrong type; the message names it.
        """
        if not isinstance(data, dict):
            raise ValidationError(f"a disclosure must be a JSON object, got {_kind(data)}")
        if data.get("format") != DISCLOSURE_FORMAT:
            raise ValidationError(
                f"disclosure format must be {DISCLOSURE_FORMAT!r}, got {data.get('format')!r}",
                field="format",
            )
        hash_name = _member(data, "hash", str)
        if hash_name not in DIGEST_SIZES:
            raise ValidationError(f"unknown hash algorithm {hash_name!r}", field="hash")
        position = _member(data, "position", int)
        if isinstance(position, bool) or position < 1:
            raise ValidationError(f"position must be an integer from 1, got {position!r}")
        disclosed = []
        for i, item in enumerate(_member(data, "disclosed", list)):
            if not (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and isinstance(item[1], str)
                and _is_salt_hex(item[0])
            ):
                raise ValidationError(
                    f"disclosed[{i}] must be [salt as {FIELD_SALT_SIZE * 2} hex digits, name, "
                    f"value], got {item!r}",
                    field="disclosed",
                )
            disclosed.append((item[0], item[1], item[2]))
        names = [n for _, n, _ in disclosed]
        if len(set(names)) != len(names):
            raise ValidationError("a field is disclosed twice", field="disclosed")
        withheld = _member(data, "withheld", list)
        size = DIGEST_SIZES[hash_name] * 2
        for i, digest in enumerate(withheld):
            if not (isinstance(digest, str) and len(digest) == size and _is_hex(digest)):
                raise ValidationError(
                    f"withheld[{i}] must be a {size}-digit lower-case hex digest, got {digest!r}",
                    field="withheld",
                )
        return cls(
            hash=hash_name,
            event_id=_member(data, "event_id", str),
            position=position,
            envelope=_member(data, "envelope", str).encode("utf-8"),
            disclosed=tuple(sorted(disclosed, key=lambda d: d[1])),
            withheld=tuple(sorted(withheld)),
        )


def _member(data: dict[str, Any], key: str, kind: type) -> Any:
    if key not in data:
        raise ValidationError(f"disclosure member {key!r} is missing", field=key)
    value = data[key]
    if not isinstance(value, kind):
        raise ValidationError(
            f"disclosure member {key!r} must be a {kind.__name__}, got {_kind(value)}", field=key
        )
    return value


def _kind(value: object) -> str:
    return value.__class__.__name__


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _is_salt_hex(text: str) -> bool:
    return len(text) == FIELD_SALT_SIZE * 2 and _is_hex(text)
