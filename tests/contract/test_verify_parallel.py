"""verify() split across worker processes finds what one pass finds, in every worker's range.

The ledgers are small, so the events-per-worker floor is lowered here: the split
happens in this process, and each worker walks its range in its own process with
its own connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from test_audit_contract import fill, tampering, where

import civicledger.audit.parallel as parallel
from civicledger import Ledger
from civicledger.audit import ProblemKind, VerificationReport
from civicledger.audit.payloads import RedactionIndex
from civicledger.errors import StoreError, ValidationError

SIZE = 1100  # three ranges: 1-256, 257-768, 769-1100
RANGES = ((1, 256), (257, 768), (769, 1100))


@pytest.fixture
def ledger(ledger_url: str, ledger_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setattr(parallel, "EVENTS_PER_WORKER", 256)
    with Ledger.open(ledger_url, ledger=ledger_name) as opened:
        yield opened


def _fill(ledger: Ledger, seal_at: tuple[int, ...] = ()) -> None:
    """SIZE events, sealed at each of ``seal_at``."""
    head = 0
    for size in sorted({*seal_at, SIZE}):
        fill(ledger, size - head)
        head = size
        if size in seal_at:
            ledger.seal()


def _same_as_one_pass(ledger: Ledger) -> VerificationReport:
    """verify() in three processes; its report must equal the single pass's."""
    split = ledger.verify(workers=3)
    single = ledger.verify(workers=1)
    assert split.ranges == RANGES
    assert single.ranges == ((1, SIZE),)
    assert split.problems == single.problems
    assert (split.root_hash, split.events_checked, split.problems_omitted) == (
        single.root_hash,
        single.events_checked,
        single.problems_omitted,
    )
    return split


def test_an_intact_ledger_verifies_in_three_processes_with_seals_anywhere(
    ledger: Ledger,
) -> None:
    """Seals inside a range, on a range boundary and at the head all verify."""
    _fill(ledger, seal_at=(100, 256, 257, 800, SIZE))
    report = _same_as_one_pass(ledger)
    assert report.ok, str(report)
    assert report.seals_checked == 5


def test_a_tampered_row_in_each_range_is_named_at_its_position(ledger: Ledger) -> None:
    """A changed payload, actor, leaf hash and salt, in every worker's range, under a seal:
    each is named where one pass names it."""
    _fill(ledger, seal_at=(SIZE,))
    with tampering(ledger) as conn:
        conn.execute(
            text(
                "UPDATE civicledger_events SET payload = "
                "replace(payload, :old, :new) "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {**where(ledger, 100), "old": '"count":', "new": '"count":9'},
        )
        conn.execute(
            text(
                "UPDATE civicledger_events SET actor = 'x' WHERE ledger_id = :id AND position = :p"
            ),
            where(ledger, 500),
        )
        conn.execute(
            text(
                "UPDATE civicledger_events SET leaf_hash = payload_digest "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(ledger, 1000),
        )
        conn.execute(  # a forged redaction: the worker hands the row back to be checked here
            text(
                "UPDATE civicledger_events SET salt = NULL WHERE ledger_id = :id AND position = :p"
            ),
            where(ledger, 1050),
        )
    report = _same_as_one_pass(ledger)
    found = {(p.position, p.kind) for p in report.problems}
    assert (500, ProblemKind.LEAF) in found
    assert (1000, ProblemKind.LEAF) in found
    assert (1050, ProblemKind.REDACTION) in found
    assert (SIZE, ProblemKind.SEAL_ROOT) in found
    assert (100, ProblemKind.PAYLOAD_DIGEST) in found


def test_rows_deleted_across_a_range_boundary_are_one_gap(ledger: Ledger) -> None:
    """Positions 760-780 span two ranges; the report names one gap, as one pass does."""
    _fill(ledger, seal_at=(770,))
    with tampering(ledger) as conn:
        conn.execute(
            text(
                "DELETE FROM civicledger_events WHERE ledger_id = :id "
                "AND position >= 760 AND position <= 780"
            ),
            {"id": where(ledger, 0)["id"]},
        )
    report = _same_as_one_pass(ledger)
    missing = [p for p in report.problems if p.kind is ProblemKind.MISSING]
    assert [(p.position, "760 to 780" in p.detail) for p in missing] == [(760, True)]
    assert (770, ProblemKind.SEAL_ROOT) in {(p.position, p.kind) for p in report.problems}


def test_a_changed_stored_node_is_named_in_a_workers_range(ledger: Ledger) -> None:
    """A level-8 node a worker compares is named at the end of the leaves it covers."""
    _fill(ledger)
    with tampering(ledger, "civicledger_tiles") as conn:
        conn.execute(
            text(
                "UPDATE civicledger_tiles SET hash = :h "
                "WHERE ledger_id = :id AND level = 8 AND node_index = 3"
            ),
            {"h": b"\x07" * 32, "id": where(ledger, 0)["id"]},
        )
    report = _same_as_one_pass(ledger)
    assert [(p.position, p.kind) for p in report.problems] == [(1024, ProblemKind.TILE)]


@pytest.mark.parametrize("workers", [0, -1, "2", 1.5, True])
def test_workers_must_be_a_positive_int(ledger: Ledger, workers: object) -> None:
    """A workers setting that is not a count of processes is refused, naming it."""
    with pytest.raises(ValidationError, match="workers must be an int >= 1"):
        ledger.verify(workers=workers)  # type: ignore[arg-type]


def test_a_worker_that_cannot_read_its_range_fails_with_a_store_error(tmp_path: Path) -> None:
    """A worker whose database cannot be opened reports why, and the caller raises it."""
    task = parallel.RangeTask(
        url=f"sqlite:///{tmp_path / 'missing' / 'ledger.db'}",
        ledger_id=1,
        ledger_name="gone",
        origin="records.example.org/gone",
        hash_name="sha256",
        leaf_version=2,
        first=257,
        last=512,
        seal_sizes=(),
        index=RedactionIndex(()),
        max_problems=10,
        check_tiles=True,
    )
    with pytest.raises(StoreError, match=r"a verify worker process failed: .*'gone'"):
        parallel._result(parallel._start(task))
