"""The leaf of a row exactly as the store writes it, computed with no more work than needed.

Nearly every row of a ledger is intact: its payload and salt are present, its
dates are in their canonical text, and it hashes to its digest and leaf. For
such a row :meth:`IntactRows.leaf` rebuilds the digest from the stored
canonical payload (orjson, the field salts) and the envelope from the stored
columns, and compares both. Anything else (a redaction, a value out of its
usual form, a mismatch) returns None, and the caller runs the full checks,
which name the problem; so a row this accepts is one they would accept.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC

import orjson

from civicledger.audit.payloads import RedactionIndex
from civicledger.audit.rows import StoredRow
from civicledger.errors import ValidationError
from civicledger.events.codec import parse_date, parse_timestamp
from civicledger.events.redaction import is_redacted_text
from civicledger.merkle.disclosure import LEAF_V2, digest_of_payload
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.leaf import MAX_SAFE_INTEGER, SALT_SIZE

_SORT_KEYS = orjson.OPT_SORT_KEYS


class IntactRows:
    """Computes the leaves of intact rows of one ledger."""

    def __init__(
        self, origin: str, alg: HashAlgorithm, leaf_version: int, index: RedactionIndex
    ) -> None:
        """Check rows of the ledger ``origin`` with hash ``alg`` and leaf format ``leaf_version``.

        Args:
            origin: the ledger's origin.
            alg: its hash algorithm.
            leaf_version: its leaf format.
            index: its redactions (a row one names takes the full checks).
        """
        self._origin = origin if origin.__class__ is str and origin else None
        self._alg = alg
        self._v2 = leaf_version == LEAF_V2
        self._version = leaf_version if leaf_version in (1, 2) else None
        self._index = index

    def leaf(self, row: StoredRow) -> bytes | None:
        """The row's leaf hash when the row is intact and matches it; None otherwise."""
        payload, salt = row.payload, row.salt
        if (
            salt is None
            or payload is None
            or row.commitments is not None
            or self._origin is None
            or self._version is None
            or is_redacted_text(payload)
            or (self._index.targets and self._index.after(row.event_id, row.position))
        ):
            return None
        alg = self._alg
        if self._v2:
            try:
                data = orjson.loads(payload)
                if data.__class__ is not dict:
                    return None
                digest = digest_of_payload(alg, salt, data)
            except (orjson.JSONDecodeError, ValidationError):
                return None
        elif len(salt) == SALT_SIZE:
            digest = alg(salt + payload)
        else:
            return None
        if digest != row.payload_digest:
            return None
        position, stream, kind, actor = row.position, row.stream, row.type, row.actor
        stream_version, schema_version = row.stream_version, row.schema_version
        occurred_on, recorded_at = row.occurred_on, row.recorded_at
        if not (
            stream.__class__ is str
            and kind.__class__ is str
            and actor.__class__ is str
            and stream
            and kind
            and position.__class__ is int
            and stream_version.__class__ is int
            and schema_version.__class__ is int
            and 0 < position <= MAX_SAFE_INTEGER
            and 0 < stream_version <= MAX_SAFE_INTEGER
            and 0 < schema_version <= MAX_SAFE_INTEGER
            and row.event_id.__class__ is uuid.UUID
            and occurred_on.__class__ is str
            and recorded_at.__class__ is str
            and _canonical_date(occurred_on)
            and _canonical_timestamp(recorded_at)
        ):
            return None
        # The same members as merkle.leaf.envelope_bytes, from the stored canonical text.
        envelope = {
            "actor": actor,
            "event_id": str(row.event_id),
            "hash": alg.name,
            "occurred_on": occurred_on,
            "origin": self._origin,
            "payload_digest": digest.hex(),
            "position": position,
            "recorded_at": recorded_at,
            "schema_version": schema_version,
            "stream": stream,
            "stream_version": stream_version,
            "type": kind,
            "v": self._version,
        }
        try:
            leaf = alg.leaf(orjson.dumps(envelope, option=_SORT_KEYS))
        except orjson.JSONEncodeError:
            return None
        return leaf if leaf == row.leaf_hash else None


@functools.lru_cache(maxsize=4096)
def _canonical_date(text: str) -> bool:
    """Whether the text is a date the envelope writes unchanged."""
    try:
        return parse_date(text).isoformat() == text
    except ValidationError:
        return False


@functools.lru_cache(maxsize=1024)
def _canonical_timestamp(text: str) -> bool:
    """Whether the text is a UTC timestamp the envelope writes unchanged."""
    try:
        moment = parse_timestamp(text).astimezone(UTC).replace(tzinfo=None)
    except (ValidationError, ValueError, OverflowError):
        return False
    return moment.isoformat(timespec="microseconds") + "Z" == text
