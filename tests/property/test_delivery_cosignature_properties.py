"""Cosignatures by delivery file over random cosignature sets: whichever seals are cosigned by
whichever keys, before or after a first delivery, the replica ends with exactly the sender's
cosignatures, receiving again adds none, and one damaged cosignature line is refused, naming
its cosigner, with the receiving database unchanged."""

from __future__ import annotations

import base64
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.audit import Signer
from civicledger.errors import CivicLedgerError
from property.test_sync_file_properties import grow

WITNESSES = [Signer.generate(f"witness-{n}.example") for n in range(3)]

# For each (seal, witness): not cosigned, cosigned before the first delivery (the first seal
# only), or cosigned after it.
NEVER, EARLY, LATE = "never", "early", "late"


def dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every civicledger table, read with raw SQL."""
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'civicledger%' "
                "ORDER BY name"
            )
        ]
        return [(t, *row) for t in tables for row in db.execute(f"SELECT * FROM {t} ORDER BY 1")]


@st.composite
def plans(draw: st.DrawFn) -> tuple[int, int, list[str], list[str], int | None, int]:
    """(events at the first seal, at the second, when each witness cosigns the first seal,
    whether each cosigns the second, which cosignature line to damage (None: none), where)."""
    first = draw(st.integers(1, 6))
    second = draw(st.integers(first + 1, first + 6))
    of_first = draw(st.lists(st.sampled_from([NEVER, EARLY, LATE]), min_size=3, max_size=3))
    of_second = draw(st.lists(st.sampled_from([NEVER, LATE]), min_size=3, max_size=3))
    damage = draw(st.none() | st.integers(0, 10**6))
    return first, second, of_first, of_second, damage, draw(st.integers(0, 10**6))


@settings(max_examples=15, deadline=None)
@given(plans())
def test_a_replica_by_file_ends_with_exactly_the_senders_cosignatures(
    plan: tuple[int, int, list[str], list[str], int | None, int],
) -> None:
    first, second, of_first, of_second, damage, where = plan
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        street = f"sqlite:///{here / 'street.db'}"
        with Ledger.open(f"sqlite:///{here / 'c.db'}", "c") as sender:
            grow(sender, first)
            seal = sender.seal()
            for witness, when in zip(WITNESSES, of_first, strict=True):
                if when == EARLY:
                    sender.cosign(seal, witness)
            sender.deliver(here / "first.delivery")
            assert Ledger.receive(here / "first.delivery", street).cosignatures == of_first.count(
                EARLY
            )
            grow(sender, second)
            later = sender.seal()
            for witness, when_first, when_second in zip(
                WITNESSES, of_first, of_second, strict=True
            ):
                if when_first == LATE:
                    sender.cosign(seal, witness)
                if when_second == LATE:
                    sender.cosign(later, witness)
            sender.deliver(here / "next.delivery", since=seal)
            expected = sorted(c.line for c in sender.cosignatures())

            text = (here / "next.delivery").read_text(encoding="utf-8")
            lines = text.splitlines(keepends=True)
            spots = [n for n, line in enumerate(lines) if line.startswith('{"cosignature":')]
            if damage is not None and spots:
                n = spots[damage % len(spots)]
                _damage_signature(here / "damaged.delivery", lines, n, where)
                before = dump(here / "street.db")
                with pytest.raises(
                    CivicLedgerError, match=rf"line {n + 1}: the cosignature by"
                ) as e:
                    Ledger.receive(here / "damaged.delivery", street)
                assert "nothing was written" in str(e.value)
                assert dump(here / "street.db") == before

            got = Ledger.receive(here / "next.delivery", street)
            assert got.cosignatures == len(expected) - of_first.count(EARLY)
            assert Ledger.receive(here / "next.delivery", street).cosignatures == 0
            with Ledger.open(street, "c", create=False) as replica:
                assert sorted(c.line for c in replica.cosignatures()) == expected
                report = replica.verify([w.verifier() for w in WITNESSES])
                assert report.ok
                assert report.cosignatures_checked == len(expected)


def _damage_signature(path: Path, lines: list[str], n: int, where: int) -> None:
    """Write the file with one byte of line ``n``'s cosignature (its time or signature)
    flipped."""
    import json

    item = json.loads(lines[n])
    dash, name, encoded = item["cosignature"]["signature"].split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[4 + where % (len(raw) - 4)] ^= 1 << (where % 8)  # after the 4-byte key id
    item["cosignature"]["signature"] = f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}"
    damaged = [*lines[:n], json.dumps(item) + "\n", *lines[n + 1 :]]
    path.write_text("".join(damaged), encoding="utf-8")
