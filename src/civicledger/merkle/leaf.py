"""Leaf hashing: the salted payload digest, the canonical envelope, and its leaf hash.

A leaf commits to an event's envelope, and the envelope holds a salted digest of
the payload rather than the payload: a redaction may later drop the payload and
its salt while the leaf, and every proof through it, still verifies.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime
from typing import Any

import orjson

from civicledger.errors import ValidationError
from civicledger.merkle import native
from civicledger.merkle.hashes import (
    DIGEST_SIZES,
    SUPPORTED_HASHES,
    HashAlgorithm,
    hash_algorithm,
)

ENVELOPE_VERSION = 1
"""The envelope format version of leaf format v1, written as its ``"v"`` key."""

LEAF_VERSIONS = (1, 2)
"""The leaf formats: 1 salts the whole payload, 2 commits to each field (``merkle.disclosure``)."""

SALT_SIZE = 16
"""Length in bytes of the random salt that :func:`payload_digest` prepends."""

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer RFC 8785 (I-JSON) represents exactly; envelope integers stay below it."""

_SORT_KEYS = orjson.OPT_SORT_KEYS


def payload_digest(alg: HashAlgorithm, salt: bytes, payload_bytes: bytes) -> bytes:
    """Digest an event's canonical payload with its salt: ``H(salt || payload_bytes)``.

    The salt keeps a low-entropy payload (a yes/no answer, a small count) from
    being guessed by hashing candidates against the published digest.

    Args:
        alg: the ledger's hash algorithm.
        salt: :data:`SALT_SIZE` random bytes chosen by the store for this event.
        payload_bytes: the payload's RFC 8785 canonical bytes.

    Returns:
        The digest, ``alg.digest_size`` bytes long.

    Raises:
        ValidationError: the salt is not exactly SALT_SIZE bytes, or an argument is not bytes.
    """
    if not isinstance(salt, bytes) or len(salt) != SALT_SIZE:
        raise ValidationError(
            f"payload salt must be {SALT_SIZE} bytes, got {_describe_bytes(salt)}", field="salt"
        )
    if not isinstance(payload_bytes, bytes):
        raise ValidationError(
            f"payload bytes must be bytes, got {payload_bytes.__class__.__name__}",
            field="payload",
        )
    return alg(salt + payload_bytes)


def envelope_bytes(
    *,
    origin: str,
    position: int,
    stream: str,
    stream_version: int,
    event_id: uuid.UUID,
    type: str,  # the envelope's own key name; shadows the builtin only in this body
    schema_version: int,
    occurred_on: date,
    recorded_at: datetime,
    actor: str,
    payload_digest: bytes,
    hash_name: str,
    version: int = ENVELOPE_VERSION,
) -> bytes:
    """Encode an event's envelope as RFC 8785 canonical JSON, the data its leaf hashes.

    The object has exactly the keys ``actor``, ``event_id``, ``hash``,
    ``occurred_on``, ``origin``, ``payload_digest``, ``position``,
    ``recorded_at``, ``schema_version``, ``stream``, ``stream_version``,
    ``type`` and ``v``; ``docs/hashing.md`` specifies each one.

    Args:
        origin: the ledger's origin (its globally unique name in seals).
        position: the event's global position, from 1.
        stream: the stream name (non-empty).
        stream_version: the event's version within its stream, from 1.
        event_id: the event's id.
        type: the event's stored type name (non-empty).
        schema_version: the payload's schema version, from 1.
        occurred_on: the business date (a ``date``, not a ``datetime``).
        recorded_at: when the ledger stored it; timezone-aware, written in UTC.
        actor: who recorded it (may be empty).
        payload_digest: the value of :func:`payload_digest`.
        hash_name: the ledger's hash algorithm name.
        version: the ledger's leaf format (1 or 2), written as ``"v"``.

    Returns:
        The canonical UTF-8 bytes.

    Raises:
        ValidationError: an argument has the wrong type or an out-of-range value
            (the error's ``field`` names it), or a string holds an unpaired surrogate.
    """
    # Exact-class checks are the cheap common case; anything else (a subclass, a
    # wrong value) goes through the detailed checks, which raise only if it is wrong.
    if not (
        origin.__class__ is str
        and stream.__class__ is str
        and type.__class__ is str
        and actor.__class__ is str
        and origin
        and stream
        and type
        and position.__class__ is int
        and stream_version.__class__ is int
        and schema_version.__class__ is int
        and 0 < position <= MAX_SAFE_INTEGER
        and 0 < stream_version <= MAX_SAFE_INTEGER
        and 0 < schema_version <= MAX_SAFE_INTEGER
        and event_id.__class__ is uuid.UUID
        and occurred_on.__class__ is date
        and recorded_at.__class__ is datetime
        and payload_digest.__class__ is bytes
        and hash_name.__class__ is str
        and len(payload_digest) == DIGEST_SIZES.get(hash_name)
        and (version == 1 or version == 2)
    ):
        _check_envelope_args(locals())
    recorded_text = _utc_timestamp(recorded_at)
    # Keys in sorted order; OPT_SORT_KEYS keeps the output canonical whatever the order.
    envelope: dict[str, str | int] = {
        "actor": actor,
        "event_id": str(event_id),
        "hash": hash_name,
        "occurred_on": _iso_date(occurred_on),
        "origin": origin,
        "payload_digest": payload_digest.hex(),
        "position": position,
        "recorded_at": recorded_text,
        "schema_version": schema_version,
        "stream": stream,
        "stream_version": stream_version,
        "type": type,
        "v": version,
    }
    try:
        # For this domain (ASCII keys; str values; integers below 2**53) orjson
        # writes exactly the RFC 8785 bytes: a differential test against the
        # reference encoder holds it to that.
        return orjson.dumps(envelope, option=_SORT_KEYS)
    except orjson.JSONEncodeError as e:
        field = next(
            (k for k in ("origin", "stream", "type", "actor") if not _is_utf8(str(envelope[k]))),
            None,
        )
        raise ValidationError(
            f"envelope {field or 'value'} is not valid Unicode text (unpaired surrogate): {e}",
            field=field,
        ) from e


_VALID_EVENT_PARTS: dict[str, Any] = {
    "stream": "s",
    "type": "t",
    "actor": "",
    "position": 1,
    "stream_version": 1,
    "schema_version": 1,
    "event_id": uuid.UUID(int=0),
    "occurred_on": date(2000, 1, 1),
}
"""Valid stand-ins for one event's parts, to check a batch's shared parts alone."""


class BatchEnvelopes:
    """The envelopes of one append batch, each the bytes :func:`envelope_bytes` writes.

    All events of a batch share the ledger's origin and hash, the leaf format and
    the transaction's ``recorded_at``: they are checked and formatted once, here,
    and each event's call checks and formats only its own fields. An event whose
    fields fail the cheap checks goes through :func:`envelope_bytes`, which raises
    the same detailed error it always did.
    """

    def __init__(self, *, origin: str, recorded_at: datetime, hash_name: str, version: int) -> None:
        """Check the shared parts (as :func:`envelope_bytes` checks them).

        Raises:
            ValidationError: one of them is invalid.
        """
        self._origin, self._recorded_at = origin, recorded_at
        self._hash_name, self._version = hash_name, version
        digest_size = DIGEST_SIZES.get(hash_name) if hash_name.__class__ is str else None
        if not (
            origin.__class__ is str
            and origin
            and recorded_at.__class__ is datetime
            and digest_size is not None
            and (version == 1 or version == 2)
            and version.__class__ is int
        ):
            _check_envelope_args(  # raises, naming the shared part that is wrong
                {
                    **_VALID_EVENT_PARTS,
                    "origin": origin,
                    "recorded_at": recorded_at,
                    "version": version,
                    "hash_name": hash_name,
                    "payload_digest": bytes(digest_size or 0),
                }
            )
        self._digest_size = digest_size
        self._recorded_text = _utc_timestamp(recorded_at)
        self._leaf_of = hash_algorithm(hash_name).leaf
        # Looked up once per batch, not per event (as Frontier does with its fold).
        self._native_leaf = native.envelope_leaf_sha256 if hash_name == "sha256" else None

    def leaf_hash(
        self,
        position: int,
        stream: str,
        stream_version: int,
        event_id: uuid.UUID,
        type: str,  # the envelope's own key name; shadows the builtin only in this body
        schema_version: int,
        occurred_on: date,
        actor: str,
        payload_digest: bytes,
    ) -> bytes:
        """One event's leaf hash, ``H(0x00 || envelope)``; with the native module and
        SHA-256, without building the envelope as a Python object.

        Raises:
            ValidationError: as :func:`envelope_bytes`.
        """
        if self._native_leaf is not None:
            leaf = self._native_leaf(
                actor,
                event_id,
                "sha256",
                occurred_on,
                self._origin,
                payload_digest,
                position,
                self._recorded_text,
                schema_version,
                stream,
                stream_version,
                type,
                self._version,
            )
            if leaf is not None:
                return leaf
        envelope = self(
            position,
            stream,
            stream_version,
            event_id,
            type,
            schema_version,
            occurred_on,
            actor,
            payload_digest,
        )
        return self._leaf_of(envelope)

    def __call__(
        self,
        position: int,
        stream: str,
        stream_version: int,
        event_id: uuid.UUID,
        type: str,  # the envelope's own key name; shadows the builtin only in this body
        schema_version: int,
        occurred_on: date,
        actor: str,
        payload_digest: bytes,
    ) -> bytes:
        """One event's envelope bytes.

        Raises:
            ValidationError: as :func:`envelope_bytes`.
        """
        if (
            stream.__class__ is str
            and type.__class__ is str
            and actor.__class__ is str
            and stream
            and type
            and position.__class__ is int
            and stream_version.__class__ is int
            and schema_version.__class__ is int
            and 0 < position <= MAX_SAFE_INTEGER
            and 0 < stream_version <= MAX_SAFE_INTEGER
            and 0 < schema_version <= MAX_SAFE_INTEGER
            and event_id.__class__ is uuid.UUID
            and occurred_on.__class__ is date
            and payload_digest.__class__ is bytes
            and len(payload_digest) == self._digest_size
        ):
            # Keys in sorted order, as RFC 8785 wants them: no sort per event.
            envelope = {
                "actor": actor,
                "event_id": str(event_id),
                "hash": self._hash_name,
                "occurred_on": occurred_on.isoformat(),
                "origin": self._origin,
                "payload_digest": payload_digest.hex(),
                "position": position,
                "recorded_at": self._recorded_text,
                "schema_version": schema_version,
                "stream": stream,
                "stream_version": stream_version,
                "type": type,
                "v": self._version,
            }
            try:
                return orjson.dumps(envelope)
            except orjson.JSONEncodeError:
                pass  # an unpaired surrogate: envelope_bytes names the field
        return envelope_bytes(
            origin=self._origin,
            position=position,
            stream=stream,
            stream_version=stream_version,
            event_id=event_id,
            type=type,
            schema_version=schema_version,
            occurred_on=occurred_on,
            recorded_at=self._recorded_at,
            actor=actor,
            payload_digest=payload_digest,
            hash_name=self._hash_name,
            version=self._version,
        )


def leaf_hash(alg: HashAlgorithm, envelope: bytes) -> bytes:
    """Hash an envelope as a Merkle leaf: ``H(0x00 || envelope)``.

    Args:
        alg: the ledger's hash algorithm.
        envelope: the value of :func:`envelope_bytes`.

    Returns:
        The leaf hash.
    """
    return alg.leaf(envelope)


# Both caches key on value equality, and equal values format identically (equal
# aware datetimes are the same instant, hence the same UTC text). A batch shares
# one recorded_at and a few dates, so formatting mostly hits the cache.
@functools.lru_cache(maxsize=256)
def _utc_timestamp(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        raise ValidationError(
            f"recorded_at {moment.isoformat()} has no timezone; pass an aware UTC datetime",
            field="recorded_at",
        )
    try:
        utc = moment.replace(tzinfo=None) - offset
    except OverflowError as e:
        raise ValidationError(
            f"recorded_at {moment.isoformat()} is out of range in UTC", field="recorded_at"
        ) from e
    # isoformat pads the year to four digits, unlike strftime("%Y") on glibc.
    return utc.isoformat(timespec="microseconds") + "Z"


@functools.lru_cache(maxsize=256)
def _iso_date(day: date) -> str:
    return date.isoformat(day)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe_bytes(value: object) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return f"a {value.__class__.__name__}"


def _check_envelope_args(args: dict[str, Any]) -> None:
    """Raise a ValidationError naming the first envelope argument that is wrong, if any."""
    for name in ("origin", "stream", "type"):
        value = args[name]
        if not isinstance(value, str):
            raise ValidationError(
                f"envelope {name} must be a str, got {value.__class__.__name__}", field=name
            )
        if not value:
            raise ValidationError(f"envelope {name} must not be empty", field=name)
    if not isinstance(args["actor"], str):
        raise ValidationError(
            f"envelope actor must be a str, got {args['actor'].__class__.__name__}", field="actor"
        )
    for name in ("position", "stream_version", "schema_version"):
        value = args[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError(
                f"envelope {name} must be an int, got {value.__class__.__name__}", field=name
            )
        if not 0 < value <= MAX_SAFE_INTEGER:
            raise ValidationError(
                f"envelope {name} must be between 1 and {MAX_SAFE_INTEGER}, got {value}",
                field=name,
            )
    if not isinstance(args["event_id"], uuid.UUID):
        raise ValidationError(
            f"envelope event_id must be a uuid.UUID, got {args['event_id'].__class__.__name__}",
            field="event_id",
        )
    occurred_on = args["occurred_on"]
    if not isinstance(occurred_on, date) or isinstance(occurred_on, datetime):
        raise ValidationError(
            f"envelope occurred_on must be a datetime.date (not a datetime), "
            f"got {occurred_on.__class__.__name__}",
            field="occurred_on",
        )
    if not isinstance(args["recorded_at"], datetime):
        raise ValidationError(
            "envelope recorded_at must be a datetime, "
            f"got {args['recorded_at'].__class__.__name__}",
            field="recorded_at",
        )
    if args["version"] not in LEAF_VERSIONS or args["version"].__class__ is not int:
        raise ValidationError(
            f"envelope version must be one of {LEAF_VERSIONS}, got {args['version']!r}",
            field="v",
        )
    hash_name = args["hash_name"]
    if not isinstance(hash_name, str) or hash_name not in DIGEST_SIZES:
        raise ValidationError(
            f"envelope hash_name {hash_name!r} is not a supported hash algorithm; "
            f"supported: {', '.join(SUPPORTED_HASHES)}",
            field="hash_name",
        )
    digest = args["payload_digest"]
    if isinstance(digest, bytes) and len(digest) == DIGEST_SIZES[hash_name]:
        return
    raise ValidationError(
        f"envelope payload_digest must be {DIGEST_SIZES[hash_name]} bytes for {hash_name}, "
        f"got {_describe_bytes(digest)}",
        field="payload_digest",
    )
