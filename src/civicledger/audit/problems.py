"""What verification can find wrong: the kinds of problem, and one problem at a position."""

from __future__ import annotations

import enum

import attrs


class ProblemKind(enum.StrEnum):
    """What a verification problem is about."""

    PAYLOAD_DIGEST = "payload digest mismatch"
    """The stored payload (or what a redaction left of it) does not hash to the stored digest."""
    LEAF = "envelope/leaf mismatch"
    """The leaf hash of the stored envelope differs from the stored leaf hash."""
    MALFORMED = "malformed row"
    """A stored row cannot be read into an envelope (bad date, digest length…)."""
    REDACTION = "inconsistent redaction"
    """A row is half redacted: its salt, payload and commitments do not fit together."""
    UNRECORDED_REDACTION = "unrecorded redaction"
    """A value was erased, but no ``event_redacted`` recorded after the event names it."""
    UNERASED_VALUE = "unerased value"
    """An ``event_redacted`` names a field the row still holds: restored, or never erased."""
    REPEATED_REDACTION = "repeated redaction"
    """Two ``event_redacted`` events name the same field of the same event."""
    MISSING = "missing position"
    """Positions between 1 and the head have no row."""
    DUPLICATE = "duplicate position"
    """A position appears twice."""
    PAST_HEAD = "row past the head"
    """A row is stored after the head: written around the store (a raw insert)."""
    TILE = "stored node mismatch"
    """A stored interior Merkle node differs from the one the rows give."""
    ROOT = "frontier/root mismatch"
    """The stored frontier is unreadable, of the wrong size, or has another root."""
    SEAL_ROOT = "seal root mismatch"
    """A seal's root differs from the root the rows give at its size."""
    SEAL = "malformed seal"
    """A stored seal cannot be read, is for another ledger, or is past the head."""
    SEAL_SIGNATURE = "bad seal signature"
    """A seal's signature does not verify with the given keys."""
    COSIGNATURE = "bad cosignature"
    """A stored cosignature does not verify, names no seal, or is not by the trusted key."""
    DERIVED = "derived column mismatch"
    """PostgreSQL's parsed payload column (what the SQL pushdown reads) is no longer generated
    from the payload, or holds another value than the payload parsed again."""


@attrs.frozen
class Problem:
    """One thing verification found wrong.

    Attributes:
        position: the event position concerned (for a seal or the root, the tree
            size), or None when no position applies.
        kind: what is wrong.
        detail: a sentence saying what differs.
    """

    position: int | None
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"{where}{self.kind}: {self.detail}"
