"""Ledgers written with native hashing verify in pure Python, and the other way round.

The native module (``civicledger.merkle._native``) and the pure-Python path are
two implementations of leaf format v2's payload digest, the envelope's leaf and
the Merkle fold (whose level-8 nodes are the stored tiles), and of verify's check
of a run of intact rows. Here one writes a
ledger and the other verifies it, on SQLite and PostgreSQL, and both name the
position of a payload rewritten with raw SQL. Runs only where the module is
built (always in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_audit_contract import tampering, where

from civicledger import Ledger
from civicledger.audit import ProblemKind
from civicledger.merkle import native

EVENTS = Path(__file__).resolve().parents[2] / "examples" / "community_2023" / "events.jsonl"

pytestmark = pytest.mark.skipif(
    not native.available(), reason="the native hashing module is not built"
)


@pytest.fixture
def ledger(ledger_url: str, ledger_name: str) -> Iterator[Ledger]:
    with Ledger.open(ledger_url, ledger=ledger_name) as opened:
        yield opened


DIGEST, LEAF, FOLD, RUN = (
    native.payload_digest_sha256,
    native.envelope_leaf_sha256,
    native.fold_sha256,
    native.intact_leaves_sha256,
)


def _use_native(monkeypatch: pytest.MonkeyPatch, on: bool) -> list[int]:
    """Switch the native path on (counting its digests, leaves, leaves folded, and each
    row a run of intact rows checks) or off; the count's list."""
    calls = [0]

    def digest(*args: Any) -> bytes | None:
        calls[0] += 1
        assert DIGEST is not None
        return DIGEST(*args)

    def leaf(*args: Any) -> bytes | None:
        calls[0] += 1
        assert LEAF is not None
        return LEAF(*args)

    def fold(*args: Any) -> list[tuple[int, int, bytes]] | None:
        calls[0] += len(args[2]) // 32  # each leaf folded (an append folds its batch at once)
        assert FOLD is not None
        return FOLD(*args)

    def run(*args: Any) -> bytes | None:
        assert RUN is not None
        leaves = RUN(*args)
        calls[0] += 3 * len(leaves or b"") // 32  # a digest, a leaf and a fold per row
        return leaves

    monkeypatch.setattr(native, "payload_digest_sha256", digest if on else None)
    monkeypatch.setattr(native, "envelope_leaf_sha256", leaf if on else None)
    monkeypatch.setattr(native, "fold_sha256", fold if on else None)
    monkeypatch.setattr(native, "intact_leaves_sha256", run if on else None)
    return calls


@pytest.mark.parametrize("writer", ["native", "python"])
def test_one_path_writes_what_the_other_verifies(
    ledger: Ledger, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = _use_native(monkeypatch, writer == "native")
    ledger.import_jsonl(EVENTS)
    ledger.seal()
    verified = _use_native(monkeypatch, writer != "native")
    report = ledger.verify(workers=1)  # in this process, where the switch applies
    assert report.ok, report.problems
    native_calls = written if writer == "native" else verified
    assert native_calls[0] >= 3 * ledger.store.head()  # a digest, a leaf and a fold each
    assert report.events_checked == ledger.store.head() > 100


@pytest.mark.parametrize("verifier", ["native", "python"])
def test_both_paths_name_a_rewritten_payload(
    ledger: Ledger, verifier: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.import_jsonl(EVENTS)
    ledger.seal()
    victim = next(r for r in ledger.read() if r.position > 40 and r.type == "meeting_held")
    with tampering(ledger) as conn:
        stored = conn.execute(
            text("SELECT payload FROM civicledger_events WHERE ledger_id = :id AND position = :p"),
            where(ledger, victim.position),
        ).scalar_one()
        conn.execute(
            text(
                "UPDATE civicledger_events SET payload = :payload "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {**where(ledger, victim.position), "payload": _edited(stored)},
        )
    calls = _use_native(monkeypatch, verifier == "native")
    found = [(p.position, p.kind) for p in ledger.verify(workers=1).problems]
    assert found == [(victim.position, ProblemKind.PAYLOAD_DIGEST)]
    assert (calls[0] > 0) == (verifier == "native")


def _edited(stored: str | bytes) -> str:
    """The stored payload with one value changed and the text kept canonical."""
    payload = stored.decode() if isinstance(stored, bytes) else stored
    assert '"attendees":' in payload
    head, tail = payload.split('"attendees":', 1)
    digits = len(tail) - len(tail.lstrip("0123456789"))
    return f'{head}"attendees":{int(tail[:digits]) + 1}{tail[digits:]}'


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_on", "2023-02-30"),  # not a calendar date
        ("occurred_on", "2023-3-05"),  # another spelling
        ("occurred_on", "2023-03-06"),  # another valid date
        ("recorded_at", "2023-01-06T01:30:15.250000z"),  # another spelling
        ("recorded_at", "2023-01-06T24:00:00.000000Z"),
    ],
)
def test_both_paths_name_a_rewritten_date_alike(
    ledger: Ledger, column: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The native leaf takes stored dates only as written; any rewrite is named at its
    position, and both paths report exactly the same problems."""
    ledger.import_jsonl(EVENTS)
    ledger.seal()
    with tampering(ledger) as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_events SET {column} = :value "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {**where(ledger, 50), "value": value},
        )
    found = {}
    for verifier in ("native", "python"):
        _use_native(monkeypatch, verifier == "native")
        found[verifier] = [(p.position, p.kind) for p in ledger.verify(workers=1).problems]
    assert found["native"] == found["python"]
    assert found["native"][0][0] == 50
