"""What changed since publication: figure diffs and revised reports with a consistency proof.

A figure published at a seal answers "what did we know then"; the same figure
computed now answers "what do we know now". :func:`diff` names the events that
explain the difference: late records (recorded after publication), corrections,
retractions and redactions made since. :func:`revise` recomputes published
figures at a newer seal, marks each one revised or confirmed (SDMX observation
status R or A; figures published before a revision are provisional, P), and
carries the RFC 9162 consistency proof that the new seal extends the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from civicledger.corrections.fold import AMENDING_TYPES, CorrectionIndex
from civicledger.errors import ProjectionError, ValidationError
from civicledger.events import RecordedEvent
from civicledger.merkle.hashes import hash_algorithm
from civicledger.merkle.verify import verify_consistency
from civicledger.projections.engine import compute_from_source
from civicledger.projections.figures import AsOf, Figure, Number

if TYPE_CHECKING:
    from civicledger.audit import Seal
    from civicledger.store import EventStore

__all__ = [
    "OBS_STATUS",
    "DiffItem",
    "FigureDiff",
    "RevisedFigure",
    "Revision",
    "RevisionSource",
    "diff",
    "revise",
]


class ConsistencyProver(Protocol):
    """The audit call :func:`revise` needs (``civicledger.Ledger.audit`` has it)."""

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof between two sizes."""
        ...


class RevisionSource(Protocol):
    """What :func:`revise` reads of a ledger; a :class:`civicledger.Ledger` is one."""

    @property
    def store(self) -> EventStore:
        """The ledger's store."""
        ...

    @property
    def origin(self) -> str:
        """The ledger's origin, which its seals name."""
        ...

    @property
    def hash_algorithm(self) -> str:
        """The ledger's hash algorithm."""
        ...

    @property
    def audit(self) -> ConsistencyProver:
        """The ledger's audit group, which makes consistency proofs."""
        ...


DiffReason = Literal["late", "corrected", "retracted", "redacted", "other"]

OBS_STATUS: dict[str, str] = {"provisional": "P", "revised": "R", "confirmed": "A"}
"""SDMX observation status codes (CL_OBS_STATUS) for a figure's revision status."""


@attrs.frozen(kw_only=True)
class DiffItem:
    """One event whose contribution differs between a published and a current figure.

    Attributes:
        event_id: the event.
        reason: ``"late"`` (recorded after publication), ``"corrected"``,
            ``"retracted"``, ``"redacted"`` (since publication), or ``"other"``.
        before: what it contributed to the published figure (None: nothing).
        after: what it contributes now (None: nothing).
        position: its ledger position, when known.
        by: the correction, retraction or redaction event responsible, if any.
        actor: who recorded the late event or the amendment.
        recorded_at: when.
        part: for a ratio, ``"numerator"`` or ``"denominator"``; else None.
    """

    event_id: uuid.UUID
    reason: DiffReason
    before: Number | None
    after: Number | None
    position: int | None = None
    by: uuid.UUID | None = None
    actor: str | None = None
    recorded_at: datetime | None = None
    part: str | None = None

    def render(self) -> str:
        """The item as one English sentence."""
        what = {
            "late": "was recorded after publication",
            "corrected": "was corrected after publication",
            "retracted": "was retracted after publication",
            "redacted": "was redacted after publication",
            "other": "counts differently",
        }[self.reason]
        who = f" by {self.actor}" if self.actor else ""
        via = f" (event {self.by})" if self.by else ""
        where = f" [{self.part}]" if self.part else ""
        return (
            f"event {self.event_id}{where} {what}{via}{who}: "
            f"{_text(self.before)} -> {_text(self.after)}"
        )


def _text(value: Number | None) -> str:
    return "not counted" if value is None else str(value)


@attrs.frozen(kw_only=True)
class FigureDiff:
    """A published figure against the same figure now, with the events that explain it.

    Attributes:
        published: the figure as published.
        current: the figure now.
        change: current value minus published value (None when either is undefined).
        items: every event whose contribution differs, in ledger order.
    """

    published: Figure
    current: Figure
    change: Number | None
    items: tuple[DiffItem, ...]

    @property
    def explained(self) -> bool:
        """Whether the items' contributions add up to the change (always so for counts and
        sums; ratios and latest values are explained by their parts or the one new value)."""
        if self.change is None or self.published.numerator is not None:
            return bool(self.items) or self.change == 0
        total = sum(((i.after or 0) - (i.before or 0) for i in self.items), start=Decimal(0))
        return total == self.change

    def render(self) -> str:
        """The difference and its reasons, in English, one line each."""
        head = (
            f"{self.current.indicator.id} {self.current.period.key}: published "
            f"{_text(self.published.value)} at position {self.published.as_of.position}, "
            f"now {_text(self.current.value)} at position {self.current.as_of.position}"
        )
        return "\n".join([head, *(f"- {item.render()}" for item in self.items)]) + "\n"


def _amounts(figure: Figure) -> dict[uuid.UUID, Number]:
    amounts: dict[uuid.UUID, Number] = {}
    for c in figure.contributions:
        amounts[c.event_id] = amounts.get(c.event_id, 0) + c.amount
    return amounts


def _after(as_of: AsOf, position: int, recorded_at: datetime) -> bool:
    """Whether something at ``position`` recorded at ``recorded_at`` was unknown at ``as_of``."""
    if position > as_of.position:
        return True
    return as_of.recorded_before is not None and recorded_at > as_of.recorded_before


def diff(source: Any, published: Figure, current: Figure) -> FigureDiff:
    """Compare a figure as published with the same figure now, naming why it changed.

    Args:
        source: the store both figures were computed from.
        published: the figure as published (computed at an earlier as-of point).
        current: the same indicator, period and group, computed later.

    Returns:
        The diff.

    Raises:
        ValidationError: the figures are of different indicators, periods or groups.
    """
    if (published.indicator.id, published.period, published.group) != (
        current.indicator.id,
        current.period,
        current.group,
    ):
        raise ValidationError(
            f"cannot diff {published} against {current}: a diff compares one indicator, "
            "period and group at two points in time",
            field="current",
        )
    change: Number | None = None
    if published.value is not None and current.value is not None:
        change = current.value - published.value
    pairs: list[tuple[Figure | None, Figure | None, str | None]] = [(published, current, None)]
    if published.numerator is not None or current.numerator is not None:
        pairs = [
            (published.numerator, current.numerator, "numerator"),
            (published.denominator, current.denominator, "denominator"),
        ]
    changed: list[tuple[uuid.UUID, Number | None, Number | None, str | None]] = []
    for before_fig, after_fig, part in pairs:
        before = _amounts(before_fig) if before_fig is not None else {}
        after = _amounts(after_fig) if after_fig is not None else {}
        for event_id in sorted(set(before) | set(after)):
            if before.get(event_id) != after.get(event_id):
                changed.append((event_id, before.get(event_id), after.get(event_id), part))
    items = _classify(source, published.as_of, current, changed)
    return FigureDiff(published=published, current=current, change=change, items=items)


def _classify(
    source: Any,
    then: AsOf,
    current: Figure,
    changed: Sequence[tuple[uuid.UUID, Number | None, Number | None, str | None]],
) -> tuple[DiffItem, ...]:
    if not changed:
        return ()
    wanted = {event_id for event_id, *_ in changed}
    now = current.as_of.position
    index = CorrectionIndex.collect(source.read(types=list(AMENDING_TYPES), to_position=now))
    records: dict[uuid.UUID, RecordedEvent] = {}
    for record in source.read(to_position=now):
        if record.event_id in wanted:
            records[record.event_id] = record
    items = []
    for event_id, before, after, part in changed:
        record = records.get(event_id)
        reason: DiffReason = "other"
        by: RecordedEvent | None = None
        if (
            record is not None
            and before is None
            and _after(then, record.position, record.recorded_at)
        ):
            reason, by = "late", None
        else:
            retraction = index.retraction_of(event_id)
            amendments = _amendments_since(index, event_id, then)
            if retraction is not None and _after(then, retraction.position, retraction.recorded_at):
                reason, by = "retracted", retraction
            elif amendments:
                by = amendments[-1]
                reason = "corrected" if by.type == "event_corrected" else "redacted"
        source_record = by or record
        items.append(
            DiffItem(
                event_id=event_id,
                reason=reason,
                before=before,
                after=after,
                position=record.position if record is not None else None,
                by=by.event_id if by is not None else None,
                actor=source_record.actor if source_record is not None else None,
                recorded_at=source_record.recorded_at if source_record is not None else None,
                part=part,
            )
        )
    items.sort(key=lambda i: (i.position or 0, i.part or ""))
    return tuple(items)


def _amendments_since(
    index: CorrectionIndex, event_id: uuid.UUID, then: AsOf
) -> list[RecordedEvent]:
    found = [
        *index.corrections.get(event_id, ()),
        *index.redactions.get(event_id, ()),
    ]
    # A retracted correction no longer amends; its retraction, if later, does.
    for correction in index.corrections.get(event_id, ()):
        retraction = index.retraction_of(correction.event_id)
        if retraction is not None:
            found.append(retraction)
    return sorted(
        (a for a in found if _after(then, a.position, a.recorded_at)), key=lambda a: a.position
    )


@attrs.frozen(kw_only=True)
class RevisedFigure:
    """A published figure and its value at a later seal.

    Attributes:
        published: the figure as published (status provisional).
        current: the figure at the later seal.
        status: ``"revised"`` when the value changed, else ``"confirmed"``.
        diff: the events that explain any change.
    """

    published: Figure
    current: Figure
    status: Literal["revised", "confirmed"]
    diff: FigureDiff

    @property
    def obs_status(self) -> str:
        """The SDMX observation status code: ``"R"`` or ``"A"``."""
        return OBS_STATUS[self.status]


@attrs.frozen(kw_only=True)
class Revision:
    """Published figures recomputed at a later seal, with the proof that it extends the first.

    Attributes:
        hash_name: the ledger's hash algorithm.
        old_size: the tree size the figures were published at.
        old_root: that tree's root hash.
        new_size: the later seal's tree size.
        new_root: its root hash.
        consistency_proof: the RFC 9162 proof that the new tree extends the old.
        figures: each published figure with its revised value and status.
    """

    hash_name: str
    old_size: int
    old_root: bytes
    new_size: int
    new_root: bytes
    consistency_proof: tuple[bytes, ...]
    figures: tuple[RevisedFigure, ...]

    @property
    def revised(self) -> tuple[RevisedFigure, ...]:
        """The figures whose value changed."""
        return tuple(f for f in self.figures if f.status == "revised")

    def verify(self) -> None:
        """Check the consistency proof: the new seal's tree extends the published one.

        Raises:
            VerificationError: it does not.
        """
        verify_consistency(
            hash_algorithm(self.hash_name),
            self.old_size,
            self.new_size,
            list(self.consistency_proof),
            self.old_root,
            self.new_root,
        )


def revise(ledger: RevisionSource, published: Sequence[Figure], seal: Seal | str) -> Revision:
    """Recompute figures published at one seal as of a later seal.

    Args:
        ledger: the ledger the figures were computed from.
        published: figures computed at a seal (``as_of=seal``), all at the same one.
        seal: the later seal (or its text).

    Returns:
        The revision; its consistency proof has been checked.

    Raises:
        ProjectionError: the figures were not computed at one seal, or the new seal
            is older than theirs.
        ValidationError: the seal is of another ledger.
        VerificationError: the ledger cannot prove the new seal extends the old.
    """
    from civicledger.audit import Seal

    new = Seal.parse(seal) if isinstance(seal, str) else seal
    new.check_ledger(ledger.origin, ledger.hash_algorithm)
    points = {(f.as_of.tree_size, f.as_of.seal_root) for f in published}
    if len(points) != 1 or None in next(iter(points)):
        raise ProjectionError(
            "revise() needs figures computed at one seal (ledger.indicators(..., as_of=seal)); "
            f"these were computed at {sorted(str(p) for p in points)}"
        )
    ((old_size, old_root_hex),) = points
    assert old_size is not None
    assert old_root_hex is not None
    if new.tree_size < old_size:
        raise ProjectionError(
            f"the new seal covers {new.tree_size} events, fewer than the {old_size} the "
            "figures were published at"
        )
    old_root = bytes.fromhex(old_root_hex)
    proof = []
    if new.tree_size > old_size:
        proof = ledger.audit.consistency_proof(old_size, new.tree_size)
    verify_consistency(
        hash_algorithm(ledger.hash_algorithm),
        old_size,
        new.tree_size,
        proof,
        old_root,
        new.root_hash,
    )
    figures = [
        _revised(ledger, figure, current) for figure, current in _recomputed(ledger, published, new)
    ]
    return Revision(
        hash_name=ledger.hash_algorithm,
        old_size=old_size,
        old_root=old_root,
        new_size=new.tree_size,
        new_root=new.root_hash,
        consistency_proof=tuple(proof),
        figures=tuple(figures),
    )


def _recomputed(
    ledger: RevisionSource, published: Sequence[Figure], seal: Seal
) -> Iterable[tuple[Figure, Figure]]:
    requests = list(dict.fromkeys((f.indicator, f.period) for f in published))
    computed = compute_from_source(ledger.store, requests, as_of=seal)
    by_key = {(f.indicator.id, f.period, f.group): f for f in computed}
    for figure in published:
        current = by_key.get((figure.indicator.id, figure.period, figure.group))
        if current is None:  # a group with no events any more: nothing counts in it now
            current = attrs.evolve(
                figure,
                value=0 if figure.value is not None else None,
                as_of=next(iter(computed)).as_of if computed else figure.as_of,
                contributions=(),
                excluded=0,
            )
        yield figure, current


def _revised(ledger: RevisionSource, published: Figure, current: Figure) -> RevisedFigure:
    changes = diff(ledger.store, published, current)
    status: Literal["revised", "confirmed"] = (
        "revised" if published.value != current.value else "confirmed"
    )
    return RevisedFigure(published=published, current=current, status=status, diff=changes)
