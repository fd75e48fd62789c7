"""verify_ledger over rows held in memory: each kind of damage is named at its position."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from civicledger.audit import ProblemKind, Seal, Signer, VerificationReport
from civicledger.audit.verify import StoredSeal, verify_ledger
from civicledger.merkle import (
    SHA256,
    MemoryNodeReader,
    envelope_bytes,
    payload_digest,
)
from civicledger.store.rows import StoredRow, batched

ORIGIN = "records.example.org/community-x"
RECORDED = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def row(position: int) -> StoredRow:
    salt = bytes([position % 256]) * 16
    payload = b'{"count":%d}' % position
    digest = payload_digest(SHA256, salt, payload)
    fields = {
        "position": position,
        "stream": f"counts/{position % 3}",
        "stream_version": position,
        "event_id": uuid.UUID(int=position),
        "type": "count_recorded",
        "schema_version": 1,
        "occurred_on": date(2023, 5, 1),
        "recorded_at": RECORDED,
        "actor": "clerk",
    }
    leaf = SHA256.leaf(
        envelope_bytes(origin=ORIGIN, payload_digest=digest, hash_name="sha256", **fields)  # type: ignore[arg-type]
    )
    return StoredRow(payload=payload, salt=salt, payload_digest=digest, leaf_hash=leaf, **fields)  # type: ignore[arg-type]


class Ledger:
    """A ledger's stored state, held as plain values the tests can damage."""

    def __init__(self, size: int = 600) -> None:
        self.rows = [row(p) for p in range(1, size + 1)]
        self.tree = MemoryNodeReader(SHA256)
        self.tree.extend(r.leaf_hash for r in self.rows)
        self.frontier = self.tree.frontier
        self.seals: list[StoredSeal] = []

    def seal(self, size: int, signer: Signer | None = None) -> Seal:
        reader = MemoryNodeReader(SHA256)
        reader.extend(r.leaf_hash for r in self.rows[:size])
        seal = Seal.create(
            origin=ORIGIN,
            tree_size=size,
            root_hash=reader.root(),
            sealed_at=RECORDED,
            signers=[signer] if signer else [],
        )
        self.seals.append(StoredSeal(len(self.seals) + 1, size, seal.root_hash, seal.text))
        return seal

    def change(self, position: int, **changes: object) -> None:
        self.rows[position - 1] = self.rows[position - 1]._replace(**changes)

    def verify(self, **options: object) -> VerificationReport:
        return verify_ledger(
            origin=ORIGIN,
            alg=SHA256,
            head=self.frontier.size,
            batches=batched(self.rows),
            stored_frontier=self.frontier,
            seals=self.seals,
            reader=self.tree,
            **options,  # type: ignore[arg-type]
        )


def kinds(report: VerificationReport) -> list[tuple[int | None, ProblemKind]]:
    return [(p.position, p.kind) for p in report.problems]


def test_an_intact_ledger_verifies_with_its_root() -> None:
    """Untouched rows, nodes, frontier and seals give an OK report with the right root."""
    ledger = Ledger()
    ledger.seal(1)
    ledger.seal(256)
    ledger.seal(600)
    report = ledger.verify()
    assert report.ok, str(report)
    assert report.root_hash == ledger.frontier.root()
    assert (report.events_checked, report.seals_checked) == (600, 3)
    assert str(report).splitlines()[0].endswith(": OK")


def test_a_changed_payload_is_a_digest_mismatch_at_its_position() -> None:
    """Editing a stored payload is reported at exactly that position, and nothing else breaks."""
    ledger = Ledger()
    ledger.change(77, payload=b'{"count":78}')
    assert kinds(ledger.verify()) == [(77, ProblemKind.PAYLOAD_DIGEST)]


def test_a_changed_actor_is_a_leaf_mismatch_and_breaks_the_roots_after_it() -> None:
    """Editing an envelope column breaks its leaf, its stored node, the frontier and later seals."""
    ledger = Ledger()
    ledger.seal(100)
    ledger.seal(300)
    ledger.change(200, actor="mayor")
    assert kinds(ledger.verify()) == [
        (200, ProblemKind.LEAF),
        (256, ProblemKind.TILE),
        (300, ProblemKind.SEAL_ROOT),
        (600, ProblemKind.ROOT),
    ]


def test_a_changed_stored_leaf_hash_is_a_leaf_mismatch_only() -> None:
    """Overwriting only the stored leaf hash is caught; the tree from the rows is still right."""
    ledger = Ledger()
    ledger.change(5, leaf_hash=b"\x00" * 32)
    assert kinds(ledger.verify()) == [(5, ProblemKind.LEAF)]


def test_a_deleted_row_is_a_missing_position() -> None:
    """A row removed from the middle is named, and later roots are reported unrecomputable."""
    ledger = Ledger()
    ledger.seal(10)
    ledger.seal(50)
    del ledger.rows[29]
    report = ledger.verify()
    assert kinds(report) == [(30, ProblemKind.MISSING), (50, ProblemKind.SEAL_ROOT)]
    assert "position 30" in str(report)
    assert report.root_hash is None


def test_rows_deleted_at_the_end_are_missing_up_to_the_head() -> None:
    """Deleting the last rows reports the missing range up to the head."""
    ledger = Ledger(20)
    del ledger.rows[17:]
    report = ledger.verify()
    assert kinds(report) == [(18, ProblemKind.MISSING)]
    assert "positions 18 to 20" in report.problems[0].detail


def test_a_repeated_position_is_a_duplicate() -> None:
    """A second row at a position already seen is reported."""
    ledger = Ledger(10)
    ledger.rows.insert(4, ledger.rows[3])
    assert kinds(ledger.verify()) == [(4, ProblemKind.DUPLICATE)]


def test_an_unreadable_date_is_a_malformed_row() -> None:
    """A stored date that is not a date is reported, not raised."""
    ledger = Ledger(10)
    ledger.change(3, occurred_on="2023-02-30")
    assert kinds(ledger.verify()) == [(3, ProblemKind.MALFORMED)]


def test_redacted_rows_still_verify_and_are_counted() -> None:
    """A row without payload and salt is counted as redacted; its leaf still verifies."""
    ledger = Ledger(10)
    ledger.change(2, payload=None, salt=None)
    target = ledger.rows[1]
    record = target._replace(
        position=11,
        type="event_redacted",
        payload=json.dumps({"fields": [], "target_event_id": str(target.event_id)}).encode(),
    )
    report = ledger.verify(redactions=[record])
    assert report.ok
    assert report.redacted == 1
    assert "1 redacted" in str(report)
    # The same erasure with no event_redacted naming it is a forgery, named at its position.
    assert kinds(ledger.verify()) == [(2, ProblemKind.UNRECORDED_REDACTION)]


def test_half_a_redaction_is_reported() -> None:
    """A payload without its salt (or the reverse) is an inconsistent redaction."""
    ledger = Ledger(10)
    ledger.change(6, salt=None)
    assert kinds(ledger.verify()) == [(6, ProblemKind.REDACTION)]


def test_a_seal_over_other_data_is_a_seal_root_mismatch() -> None:
    """A seal whose root is not the rows' root at its size is reported at its size."""
    ledger = Ledger(40)
    seal = ledger.seal(30)
    forged = Seal.create(origin=ORIGIN, tree_size=30, root_hash=b"\x01" * 32, sealed_at=RECORDED)
    ledger.seals.append(StoredSeal(2, 30, forged.root_hash, forged.text))
    report = ledger.verify()
    assert kinds(report) == [(30, ProblemKind.SEAL_ROOT)]
    assert seal.root_hash.hex() in report.problems[0].detail


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda s: StoredSeal(s.number, s.tree_size, s.root_hash, "garbage"), "cannot be read"),
        (lambda s: StoredSeal(s.number, 9, s.root_hash, s.text), "its row says size 9"),
        (
            lambda s: StoredSeal(
                s.number, s.tree_size, s.root_hash, s.text.replace(ORIGIN, "x.example")
            ),
            "not this ledger",
        ),
    ],
)
def test_damaged_seal_rows_are_malformed_seals(
    damage: Callable[[StoredSeal], StoredSeal], fragment: str
) -> None:
    """A stored seal that cannot be read, disagrees with its row, or is foreign is reported."""
    ledger = Ledger(10)
    ledger.seal(10)
    ledger.seals[0] = damage(ledger.seals[0])
    report = ledger.verify()
    assert [p.kind for p in report.problems] == [ProblemKind.SEAL]
    assert fragment in report.problems[0].detail


def test_a_seal_past_the_head_is_reported() -> None:
    """A seal claiming more events than the ledger has is reported."""
    ledger = Ledger(10)
    ledger.seal(10)
    del ledger.rows[9]
    ledger.frontier = MemoryNodeReader(SHA256).frontier  # pretend the head went back
    ledger.frontier.extend(r.leaf_hash for r in ledger.rows)
    assert (10, ProblemKind.SEAL) in kinds(ledger.verify())


def test_a_stored_frontier_with_another_root_is_reported() -> None:
    """A frontier that does not match the rows is a root mismatch at the head."""
    ledger = Ledger(10)
    ledger.frontier = MemoryNodeReader(SHA256).frontier
    ledger.frontier.extend([b"\x02" * 32] * 10)
    assert kinds(ledger.verify()) == [(10, ProblemKind.ROOT)]


def test_an_unreadable_frontier_is_reported() -> None:
    """When the store could not read its frontier, the report says why."""
    ledger = Ledger(10)
    report = verify_ledger(
        origin=ORIGIN,
        alg=SHA256,
        head=10,
        batches=batched(ledger.rows),
        stored_frontier="CRC mismatch",
        seals=[],
    )
    assert kinds(report) == [(10, ProblemKind.ROOT)]
    assert "CRC mismatch" in str(report)


def test_signatures_are_checked_only_when_keys_are_given() -> None:
    """A seal signed by another key is a bad signature when the office's key is given."""
    office, intruder = Signer.generate("office.example"), Signer.generate("intruder.example")
    ledger = Ledger(10)
    ledger.seal(5, office)
    ledger.seal(10, intruder)
    assert ledger.verify().ok
    report = ledger.verify(verifiers=[office.verifier()])
    assert kinds(report) == [(10, ProblemKind.SEAL_SIGNATURE)]
    assert report.signatures_checked


def test_problems_beyond_the_limit_are_counted_not_kept() -> None:
    """With many problems the report keeps max_problems and counts the rest."""
    ledger = Ledger(30)
    for position in range(1, 31):
        ledger.change(position, payload=b"{}")
    report = ledger.verify(max_problems=5)
    assert len(report.problems) == 5
    assert report.problems_omitted == 25
    assert not report.ok
    assert "… and 25 more" in str(report)
    assert "30 problems" in str(report)
