"""The leaf of an intact row, checked in one step.

Nearly every row of a ledger is intact: its payload and salt are present and
it hashes to its digest and leaf. For such a row :meth:`IntactRows.leaf`
recomputes the digest from the stored canonical payload (never decoded into a
typed event), rebuilds the envelope's leaf as the full checks do, and compares
both; with the native module, each comes from the stored texts in one call, and
:meth:`IntactRows.run` checks a whole run of such rows, straight from the row
source's tuples, in one call.
Anything else (a redaction, a mismatch, a value that cannot be part of an
envelope, or anything the native module declines and Python rejects) returns
None, and the caller runs the full checks, which name the problem; so a row
this accepts is one they would accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from civicledger.audit.payloads import RedactionIndex
from civicledger.errors import ValidationError
from civicledger.events.redaction import REDACTED_PREFIX
from civicledger.merkle import native
from civicledger.merkle.disclosure import LEAF_V2, digest_of_payload_text, text_digester
from civicledger.merkle.hashes import HashAlgorithm
from civicledger.merkle.leaf import SALT_SIZE
from civicledger.store.rows import StoredRow


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
        # Fixed for the walk: only a ledger with redactions asks the index about each row.
        self._redactions = index.targets > 0
        sha256 = alg.name == "sha256"
        # The digest and the envelope's leaf from the stored texts, one call each, where
        # the module is built (each returns None for what it leaves to Python).
        self._native_digest = text_digester(alg) if self._v2 else None
        self._native_leaf = native.envelope_leaf_sha256 if sha256 else None
        self._native_run = native.intact_leaves_sha256 if sha256 else None
        # The ids the redactions name, whose rows the run leaves to leaf() (and its caller).
        self._targets = index.target_ids() if self._redactions else None

    def run(self, rows: Sequence[Any], start: int, position: int, last: int) -> bytes:
        """The leaves, concatenated, of the run of intact rows that starts at ``rows[start]``.

        The run's rows hold positions ``position``, ``position + 1``, ... up to at most
        ``last``, and each is one :meth:`leaf` accepts; it ends at the first row that is
        anything else, which the caller checks on its own. Native only: without the
        module (or for another hash) every run is empty.

        Args:
            rows: tuples in StoredRow's field order, as the row source returned them.
            start: the index of the run's first row.
            position: the position that row must hold.
            last: the last position the run may reach.

        Returns:
            The leaf hashes, back to back (empty when the run is).
        """
        if self._native_run is None or self._origin is None or self._version is None:
            return b""
        leaves = self._native_run(
            rows, start, position, last, self._origin, self._version, REDACTED_PREFIX, self._targets
        )
        return b"" if leaves is None else leaves

    def leaf(self, row: StoredRow) -> bytes | None:
        """The row's leaf hash when the row is intact and matches it; None otherwise."""
        payload, salt = row.payload, row.salt
        if (
            salt is None
            or payload is None
            or row.commitments is not None
            or self._origin is None
            or self._version is None
            or payload.startswith(REDACTED_PREFIX)
            or (self._redactions and self._index.after(row.event_id, row.position))
        ):
            return None
        alg = self._alg
        digest = None if self._native_digest is None else self._native_digest(salt, payload)
        if digest is None:  # no module, another format or hash, or text it leaves to Python
            if self._v2:
                try:
                    digest = digest_of_payload_text(alg, salt, payload)
                except ValidationError:
                    return None
            elif len(salt) == SALT_SIZE:
                digest = alg(salt + payload)
            else:
                return None
        if digest != row.payload_digest:
            return None
        leaf = None
        if self._native_leaf is not None:
            leaf = self._native_leaf(
                row.actor,
                row.event_id,
                "sha256",
                row.occurred_on,
                self._origin,
                row.payload_digest,
                row.position,
                row.recorded_at,  # type: ignore[arg-type]  # not text: the native path declines
                row.schema_version,
                row.stream,
                row.stream_version,
                row.type,
                self._version,
            )
        if leaf is None:
            try:
                envelope = row.envelope(self._origin, alg.name, self._version)
            except ValidationError:
                return None
            leaf = alg.leaf(envelope)
        return leaf if leaf == row.leaf_hash else None
