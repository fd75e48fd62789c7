"""A ledger made before leaf format v2 opens, reads, verifies and proves exactly as before.

The fixture (tests/fixtures/README.md) was written by the code before v2; the
expected values beside it were computed by that code too.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger.audit import ProblemKind, verify_proof

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1_ledger.expected.json").read_text())
VERIFIER = "fixture.example/office+0e9a7d35+AaSBWxPQEq3b+uMyIeh8N4gAdQHyrzqqOczfdCWLGuqK"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "v1_ledger.db"
    shutil.copyfile(FIXTURES / "v1_ledger.db", target)
    return target


@pytest.fixture
def ledger(copy: Path) -> Iterator[Ledger]:
    with Ledger.open(f"sqlite:///{copy}", "community", create=False) as opened:
        yield opened


def test_the_fixture_is_schema_version_1_and_opening_upgrades_it_in_place(copy: Path) -> None:
    """Opening adds the v2 columns and the v3 tables (v4 adds nothing to a SQLite file); the
    ledger keeps leaf format v1."""
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT value FROM civicledger_meta").fetchone() == ("1",)
    with Ledger.open(f"sqlite:///{copy}", "community", create=False) as ledger:
        assert ledger.store.leaf_version == 1
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT value FROM civicledger_meta").fetchone() == ("4",)
        assert db.execute("SELECT leaf_version FROM civicledger_ledgers").fetchall() == [(1,)]


def test_it_reads_and_verifies_as_before(ledger: Ledger) -> None:
    """The same leaves, root and redacted fields; verify is OK with the seal's signature."""
    records = list(ledger.read())
    assert [r.leaf_hash.hex() for r in records] == EXPECTED["leaves"]
    redacted = {str(r.position): list(r.redacted_fields) for r in records if r.redacted_fields}
    assert redacted == EXPECTED["redacted_fields"]
    report = ledger.verify(VERIFIER)
    assert report.ok, str(report)
    assert report.redacted == 4
    assert report.root_hash is not None
    assert report.root_hash.hex() == EXPECTED["root_at_head"]


def test_it_proves_byte_for_byte_as_before(ledger: Ledger) -> None:
    """The proof of event 4 under the stored seal is the text the old code wrote."""
    (seal,) = ledger.seals()
    event = list(ledger.read())[3]
    text = ledger.prove(event.event_id, seal)
    assert text == (FIXTURES / "v1_ledger_position4.tlog-proof").read_text()
    assert verify_proof(text, public_key=VERIFIER).envelope["v"] == 1


def test_new_appends_stay_v1_and_verify(ledger: Ledger) -> None:
    """A v1 ledger keeps v1 leaves for new events (a ledger never mixes formats)."""
    (first, *_) = ledger.read()
    ledger.append("meetings/2023", [first.payload], actor="clerk")
    seal = ledger.seal()
    proof = ledger.prove(list(ledger.read())[-1].event_id, seal)
    assert verify_proof(proof).envelope["v"] == 1
    assert ledger.verify().ok


def test_a_v1_ledger_refuses_to_disclose(ledger: Ledger) -> None:
    """v1 leaves commit to the whole payload, so single values cannot be disclosed."""
    from civicledger.errors import ValidationError

    (first, *_) = ledger.read()
    with pytest.raises(ValidationError, match="v1"):
        ledger.disclose(first.event_id, ["attendees"])


def test_a_forged_v1_remainder_in_the_fixture_is_named(copy: Path) -> None:
    """In the upgraded fixture, erasing a meeting's payload without a redaction is named."""
    with Ledger.open(f"sqlite:///{copy}", "community", create=False):
        pass
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE civicledger_events SET salt = NULL, payload = NULL WHERE position = 2")
    with Ledger.open(f"sqlite:///{copy}", "community", create=False) as ledger:
        problems = [(p.position, p.kind) for p in ledger.verify().problems]
    assert problems == [(2, ProblemKind.UNRECORDED_REDACTION)]
