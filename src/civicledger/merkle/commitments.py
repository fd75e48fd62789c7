"""What a v2 row keeps after a redaction: the salts of the fields left, the digests of the rest.

An intact v2 row stores its payload and the event's secret. A redaction erases
the secret (it would re-derive the erased salts) and stores, in the row's
``commitments`` column, this JSON object (RFC 8785 bytes)::

    {"digests":{"member_id":"<hex field digest>"},"salts":{"household_id":"<hex salt>",...}}

``digests`` holds the digest of every field whose stored value is gone (or was
rewritten by a redaction of a value nested inside it); ``salts`` the salt of every
field still stored as recorded. Together with the remaining values they give the
payload digest again, so the remainder stays provable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from civicledger.errors import ValidationError
from civicledger.events.canonical import canonical_bytes
from civicledger.events.redaction import REDACTED_KEY
from civicledger.merkle.disclosure import FIELD_SALT_SIZE, field_digest, field_salt
from civicledger.merkle.hashes import HashAlgorithm

COMMITMENTS_PREFIX = '{"digests":'
"""How a stored commitments text starts (the database trigger checks it)."""


@attrs.frozen
class Commitments:
    """The salts of the fields a redacted v2 row still holds, and the digests of the others."""

    salts: Mapping[str, bytes]
    digests: Mapping[str, bytes]

    def text(self) -> str:
        """The stored form: RFC 8785 JSON with hex values."""
        data = {
            "digests": {k: v.hex() for k, v in self.digests.items()},
            "salts": {k: v.hex() for k, v in self.salts.items()},
        }
        return canonical_bytes(data).decode("utf-8")

    @classmethod
    def parse(cls, text: str | bytes, digest_size: int) -> Commitments:
        """Read the stored form.

        Raises:
            ValidationError: it is not the documented JSON object; the message says what.
        """
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise ValidationError(f"the stored commitments are not JSON ({e})") from e
        if not isinstance(data, dict) or set(data) != {"digests", "salts"}:
            raise ValidationError(
                'the stored commitments must be an object with exactly "digests" and "salts"'
            )
        return cls(
            salts=_hex_map(data["salts"], FIELD_SALT_SIZE, "salt"),
            digests=_hex_map(data["digests"], digest_size, "digest"),
        )

    def canonical(self) -> bool:
        """Whether no field has both a salt and a digest."""
        return not set(self.salts) & set(self.digests)

    def field_digests(
        self, alg: HashAlgorithm, remainder: Mapping[str, Any] | None
    ) -> tuple[list[bytes], list[str]]:
        """The field digests a redacted payload and these commitments give, which
        :func:`~civicledger.merkle.disclosure.payload_digest_v2` combines into the row's
        payload digest when nothing was changed.

        Each remaining value gives its digest with its kept salt, or, when a redaction
        of a value nested inside it rewrote it, its kept digest; each erased field gives
        its kept digest.

        Args:
            alg: the ledger's hash algorithm.
            remainder: the stored payload in the redacted form, or None when all of it
                is gone.

        Returns:
            The digests, and the names of remaining values that have neither (in the
            payload's order): an erased value restored, or a value added.
        """
        values = (
            {} if remainder is None else {k: v for k, v in remainder.items() if k != REDACTED_KEY}
        )
        removed = [] if remainder is None else remainder.get(REDACTED_KEY, [])
        nested = {k.partition(".")[0] for k in removed if isinstance(k, str) and "." in k}
        digests: list[bytes] = []
        unsalted: list[str] = []
        for name, value in values.items():
            salt = self.salts.get(name)
            if salt is not None:
                digests.append(field_digest(alg, salt, name, value))
            elif name in self.digests and name in nested:
                digests.append(self.digests[name])
            else:
                unsalted.append(name)
        digests += [digest for name, digest in self.digests.items() if name not in values]
        return digests, unsalted


def _hex_map(value: Any, size: int, what: str) -> dict[str, bytes]:
    if not isinstance(value, dict):
        raise ValidationError(f"the stored commitments' {what}s are not an object")
    result = {}
    for name, text in value.items():
        try:
            raw = bytes.fromhex(text) if isinstance(text, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != size or raw.hex() != text:
            raise ValidationError(
                f"the stored {what} of field {name!r} is not {size * 2} lower-case hex digits"
            )
        result[name] = raw
    return result


def after_redaction(
    alg: HashAlgorithm,
    before: Mapping[str, Any] | None,
    secret: bytes | None,
    commitments: Commitments | None,
    after: Mapping[str, Any] | None,
) -> Commitments:
    """The commitments a v2 row keeps once its stored payload goes from ``before`` to ``after``.

    Args:
        alg: the ledger's hash algorithm.
        before: the stored payload data now (plain, or already in the redacted form).
        secret: the event's secret, while the row is intact (None once redacted).
        commitments: what the row keeps now, when it was redacted before.
        after: the stored payload data after this redaction (redacted form), or None.

    Returns:
        The new commitments: a field whose value is gone or changed moves from
        ``salts`` to ``digests``.

    Raises:
        ValidationError: the row has neither its secret nor its commitments, or
            they do not fit its payload.
    """
    old = {} if before is None else {k: v for k, v in before.items() if k != REDACTED_KEY}
    if commitments is not None:
        salts, digests = dict(commitments.salts), dict(commitments.digests)
    elif secret is not None:
        salts = {name: field_salt(alg, secret, name) for name in old}
        digests = {}
    else:
        raise ValidationError("the row has neither its secret nor its commitments")
    new = {} if after is None else {k: v for k, v in after.items() if k != REDACTED_KEY}
    stray = sorted(set(salts) - set(old))
    if stray:
        raise ValidationError(
            f"the row keeps salts for {', '.join(stray)} but no values; its stored payload or "
            "commitments were changed: run verify()"
        )
    for name in list(salts):
        if name not in new or new[name] != old.get(name):
            digests[name] = field_digest(alg, salts.pop(name), name, old[name])
    return Commitments(salts=salts, digests=digests)
