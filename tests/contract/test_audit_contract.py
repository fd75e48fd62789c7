"""Seals, proofs and verification through the Ledger facade, on memory, SQLite and PostgreSQL.

The PostgreSQL classes run when CIVICLEDGER_TEST_POSTGRES_URL names a server and
skip (saying so) otherwise. The tamper tests change stored rows with raw SQL,
switching the append-only triggers off for the change, and check that
``verify()`` names the exact position.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, exc, text

from backend_testkit import MakeLedger
from civicledger import (
    DamagedRowError,
    Ledger,
    LedgerNotFoundError,
    StoreError,
    ValidationError,
    VerificationError,
)
from civicledger.audit import ProblemKind, Seal, Signer, verify_proof
from civicledger.catalog.party import HouseholdVisited
from civicledger.merkle import (
    hash_algorithm,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from civicledger.store.sql import SqlStore
from civicledger.store.sql.schema import events, ledgers
from store_testkit import count, note


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("records.example.org/office")


def fill(ledger: Ledger, n: int) -> list[uuid.UUID]:
    """Append n count events in one batch; return their ids."""
    return [r.event_id for r in ledger.append("counts", [count(i) for i in range(n)], actor="a")]


def root_of(ledger: Ledger, size: int) -> bytes:
    leaves = [r.leaf_hash for r in ledger.read(to_position=size)]
    return merkle_root(hash_algorithm(ledger.hash_algorithm), leaves)


class AuditContract:
    """Audit behaviour every backend must have. Subclasses provide ``make_ledger``."""

    @pytest.fixture
    def ledger(self, make_ledger: MakeLedger) -> Ledger:
        return make_ledger()

    # -- seals ----------------------------------------------------------------------

    def test_seal_covers_the_head_with_the_root_of_its_leaves(self, ledger: Ledger) -> None:
        """A seal states the origin, the head and the Merkle root of the stored leaves."""
        fill(ledger, 300)
        seal = ledger.seal()
        assert (seal.origin, seal.tree_size) == (ledger.origin, 300)
        assert seal.root_hash == root_of(ledger, 300)
        assert Seal.parse(seal.text) == seal

    def test_seals_are_stored_and_listed_oldest_first(self, ledger: Ledger) -> None:
        """Every seal made is listed by seals(), in order, with its exact text."""
        assert ledger.seals() == []
        first = ledger.seal()
        fill(ledger, 3)
        second = ledger.seal()
        assert [s.text for s in ledger.seals()] == [first.text, second.text]
        assert [s.tree_size for s in ledger.seals()] == [0, 3]

    def test_empty_ledger_seals_the_empty_tree(self, ledger: Ledger) -> None:
        """Sealing an empty ledger gives size 0 and the hash of the empty string."""
        seal = ledger.seal()
        assert seal.tree_size == 0
        assert seal.root_hash == hash_algorithm(ledger.hash_algorithm)(b"")
        assert ledger.verify().ok

    def test_signed_seal_verifies_with_the_office_key(self, ledger: Ledger, office: Signer) -> None:
        """seal(signer) signs the checkpoint; the verifier key text checks it, as stored."""
        fill(ledger, 5)
        ledger.seal(office.to_text())
        (stored,) = ledger.seals()
        assert stored.verify(office.verifier().to_text()) == (office.name,)

    # -- proofs ---------------------------------------------------------------------

    def test_every_event_proves_under_a_seal(self, ledger: Ledger, office: Signer) -> None:
        """prove() gives a tlog-proof that verify_proof accepts, for each event of the seal."""
        ids = fill(ledger, 21)
        seal = ledger.seal(office)
        for position, event_id in enumerate(ids, start=1):
            result = verify_proof(ledger.prove(event_id, seal), public_key=office.verifier())
            assert result.position == position
            assert result.envelope["event_id"] == str(event_id)
            assert result.root_hash == seal.root_hash

    def test_old_seal_still_proves_after_more_appends(self, ledger: Ledger) -> None:
        """A proof against an older seal works after the ledger grew, given the seal text."""
        ids = fill(ledger, 10)
        seal = ledger.seal()
        fill(ledger, 300)
        proof = ledger.prove(str(ids[3]), seal.text)
        assert verify_proof(proof).tree_size == 10

    def test_prove_refuses_an_event_recorded_after_the_seal(self, ledger: Ledger) -> None:
        """An event after the seal's size cannot be proven under it; the error says to reseal."""
        fill(ledger, 2)
        seal = ledger.seal()
        (late,) = fill(ledger, 1)
        with pytest.raises(ValidationError, match="newer seal"):
            ledger.prove(late, seal)

    def test_prove_refuses_unknown_ids_and_foreign_seals(
        self, ledger: Ledger, make_ledger: MakeLedger
    ) -> None:
        """An unknown event id or another ledger's seal is refused, naming it."""
        (event_id,) = fill(ledger, 1)
        seal = ledger.seal()
        unknown = uuid.uuid4()
        with pytest.raises(ValidationError, match=str(unknown)):
            ledger.prove(unknown, seal)
        with pytest.raises(ValidationError, match="must be an event id"):
            ledger.prove("not-a-uuid", seal)
        other = make_ledger()
        fill(other, 1)
        with pytest.raises(ValidationError, match="from another ledger"):
            ledger.prove(event_id, other.seal())

    def test_prove_refuses_a_seal_this_ledger_did_not_make(self, ledger: Ledger) -> None:
        """A seal with this ledger's origin but another root cannot be proven against."""
        ids = fill(ledger, 6)
        real = ledger.seal()
        assert real.sealed_at is not None
        forged = Seal.create(
            origin=ledger.origin, tree_size=6, root_hash=b"\x05" * 32, sealed_at=real.sealed_at
        )
        with pytest.raises(VerificationError, match="another root"):
            ledger.prove(ids[0], forged)

    def test_raw_inclusion_proofs_verify_against_the_root(self, ledger: Ledger) -> None:
        """inclusion_proof(position, size) returns RFC 9162 hashes that lead to the root."""
        fill(ledger, 300)
        alg = hash_algorithm(ledger.hash_algorithm)
        for size in (1, 255, 256, 257, 300):
            root = root_of(ledger, size)
            for position in {1, size // 2 + 1, size}:
                proof = ledger.audit.inclusion_proof(position, size)
                leaf = next(iter(ledger.read(from_position=position))).leaf_hash
                verify_inclusion(alg, position - 1, size, leaf, proof, root)

    def test_raw_consistency_proofs_link_two_seals(self, ledger: Ledger) -> None:
        """consistency_proof(old, new) proves the newer seal's tree extends the older one."""
        fill(ledger, 7)
        old = ledger.seal()
        fill(ledger, 290)
        new = ledger.seal()
        alg = hash_algorithm(ledger.hash_algorithm)
        proof = ledger.audit.consistency_proof(old.tree_size, new.tree_size)
        verify_consistency(alg, 7, 297, proof, old.root_hash, new.root_hash)
        assert ledger.audit.consistency_proof(7) == proof  # the head by default

    def test_raw_proofs_outside_the_ledger_are_refused(self, ledger: Ledger) -> None:
        """Positions and sizes past the head, or below 1, raise ValidationError naming them."""
        fill(ledger, 4)
        with pytest.raises(ValidationError, match="tree_size 5"):
            ledger.audit.inclusion_proof(1, 5)
        with pytest.raises(ValidationError, match="position 0"):
            ledger.audit.inclusion_proof(0)
        with pytest.raises(ValidationError, match="new_size"):
            ledger.audit.consistency_proof(1, 9)
        with pytest.raises(ValidationError, match="size1"):
            ledger.audit.consistency_proof(0, 4)

    # -- verification ---------------------------------------------------------------

    def test_intact_ledger_verifies(self, ledger: Ledger, office: Signer) -> None:
        """verify() of an untouched ledger with signed seals is OK, signatures included."""
        fill(ledger, 300)
        ledger.seal(office)
        ledger.append("notes", [note("x")], actor="b")
        ledger.seal(office)
        report = ledger.verify(office.verifier())
        assert report.ok, str(report)
        assert (report.events_checked, report.seals_checked) == (301, 2)
        assert report.root_hash == ledger.seals()[-1].root_hash

    def test_seals_signed_by_another_key_are_reported(self, ledger: Ledger, office: Signer) -> None:
        """Given the office key, a seal signed by someone else is a bad seal signature."""
        fill(ledger, 3)
        ledger.seal(Signer.generate("intruder.example"))
        report = ledger.verify(office.verifier())
        assert [(p.position, p.kind) for p in report.problems] == [(3, ProblemKind.SEAL_SIGNATURE)]

    def test_sm3_ledgers_seal_prove_and_verify(self, make_ledger: MakeLedger) -> None:
        """An SM3 ledger's seals say so, and its proofs and verification use SM3."""
        ledger = make_ledger(hash_algorithm="sm3")
        ids = fill(ledger, 9)
        seal = ledger.seal()
        assert seal.hash_name == "sm3"
        assert verify_proof(ledger.prove(ids[4], seal)).position == 5
        assert ledger.verify().ok


class TestAudit(AuditContract):
    """The contract on each backend (``make_ledger`` comes from tests/contract/conftest.py)."""


# -- the SQL backends: persistence, database-enforced append-only seals, tampering ---------


@pytest.fixture
def sql_ledger(ledger_url: str, ledger_name: str) -> Iterator[Ledger]:
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        yield ledger


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A SQLite ledger: only SQLite stores a value of another type than its column's."""
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        yield ledger


@contextlib.contextmanager
def tampering(ledger: Ledger, table: str = "civicledger_events") -> Iterator[Connection]:
    """A raw connection with the table's triggers off, put back exactly as they were."""
    engine = ledger.store.engine  # type: ignore[attr-defined]
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            # SQLite cannot disable a trigger: keep each one's definition, drop it, recreate it.
            saved = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
                ),
                {"t": table},
            ).all()
            assert saved, f"{table} has no triggers to switch off"
            for name, _ in saved:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        if postgres:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            for _, sql in saved:
                conn.execute(text(sql))


def where(ledger: Ledger, position: int) -> dict[str, int]:
    return {"id": ledger.store.ledger_id, "p": position}  # type: ignore[attr-defined]


def problems(ledger: Ledger) -> list[tuple[int | None, ProblemKind]]:
    return [(p.position, p.kind) for p in ledger.verify().problems]


def test_seals_survive_reopening_the_database(ledger_url: str, ledger_name: str) -> None:
    """Seals are stored in the database: a new connection lists them and verifies them."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        fill(ledger, 4)
        seal = ledger.seal()
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        assert ledger.seals() == [seal]
        assert ledger.verify().ok


def test_the_database_refuses_to_change_or_delete_a_seal(sql_ledger: Ledger) -> None:
    """Raw UPDATE and DELETE on the seals table are rejected by its triggers."""
    fill(sql_ledger, 2)
    sql_ledger.seal()
    engine = sql_ledger.store.engine  # type: ignore[attr-defined]
    for statement in (
        "UPDATE civicledger_seals SET tree_size = 1",
        "DELETE FROM civicledger_seals",
    ):
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(sql_ledger.seals()) == 1


def test_a_changed_payload_is_named_at_its_position(sql_ledger: Ledger) -> None:
    """Rewriting one stored payload makes verify() report a payload digest mismatch there."""
    fill(sql_ledger, 300)
    sql_ledger.seal()
    with tampering(sql_ledger) as conn:
        conn.execute(
            text(
                "UPDATE civicledger_events SET payload = replace(payload, :old, :new) "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {**where(sql_ledger, 42), "old": '"count":41', "new": '"count":14'},
        )
    assert problems(sql_ledger) == [(42, ProblemKind.PAYLOAD_DIGEST)]


def test_a_changed_actor_is_named_at_its_position(sql_ledger: Ledger) -> None:
    """Rewriting an actor breaks that leaf and every root that covers it; all are listed."""
    fill(sql_ledger, 300)
    sql_ledger.seal()
    with tampering(sql_ledger) as conn:
        conn.execute(
            text(
                "UPDATE civicledger_events SET actor = 'mayor' "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(sql_ledger, 7),
        )
    found = problems(sql_ledger)
    assert found[0] == (7, ProblemKind.LEAF)
    assert {(256, ProblemKind.TILE), (300, ProblemKind.SEAL_ROOT), (300, ProblemKind.ROOT)} <= set(
        found
    )
    assert "position 7: envelope/leaf mismatch" in str(sql_ledger.verify())


def test_a_changed_leaf_hash_is_named_and_proofs_refuse_it(sql_ledger: Ledger) -> None:
    """Overwriting a stored leaf hash is reported there, and prove() refuses that event and
    its neighbours rather than hand out proofs that would fail."""
    ids = fill(sql_ledger, 20)
    seal = sql_ledger.seal()
    with tampering(sql_ledger) as conn:
        conn.execute(
            text(
                "UPDATE civicledger_events SET leaf_hash = :h "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {**where(sql_ledger, 12), "h": b"\x00" * 32},
        )
    assert problems(sql_ledger) == [(12, ProblemKind.LEAF)]
    with pytest.raises(VerificationError, match="position 12 no longer hashes"):
        sql_ledger.prove(ids[11], seal)
    with pytest.raises(VerificationError, match="another root"):
        sql_ledger.prove(ids[12], seal)  # its proof path goes through the damaged leaf


def test_a_deleted_row_is_named_as_missing(sql_ledger: Ledger) -> None:
    """Deleting a stored row makes verify() report the missing position."""
    fill(sql_ledger, 30)
    sql_ledger.seal()
    with tampering(sql_ledger) as conn:
        conn.execute(
            text("DELETE FROM civicledger_events WHERE ledger_id = :id AND position = :p"),
            where(sql_ledger, 17),
        )
    found = problems(sql_ledger)
    assert found[0] == (17, ProblemKind.MISSING)
    assert (30, ProblemKind.SEAL_ROOT) in found


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("CAST(x'7b2261223a22ff227d' AS TEXT)", ProblemKind.MALFORMED),  # not UTF-8
        ("CAST(payload AS BLOB)", None),  # the same bytes, typed as a BLOB: nothing changed
    ],
)
def test_a_payload_sqlite_was_made_to_hold_is_checked_as_its_bytes(
    sqlite_ledger: Ledger, value: str, kind: ProblemKind | None
) -> None:
    """SQLite keeps whatever an UPDATE stores: verify() checks the stored bytes, in this
    process and in workers, and names a row whose bytes are not the payload's."""
    fill(sqlite_ledger, 300)
    sqlite_ledger.seal()
    with tampering(sqlite_ledger) as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_events SET payload = {value} "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(sqlite_ledger, 42),
        )
    found = [(p.position, p.kind) for p in sqlite_ledger.verify(workers=1).problems]
    assert found == ([] if kind is None else [(42, kind)])


@pytest.mark.parametrize(
    ("position", "event_id"),
    [(42, "x'01'"), (301, "x'01'"), (301, "randomblob(16)")],  # in the ledger, past its head
)
def test_an_event_id_that_is_not_a_uuid_is_named_not_raised(
    sqlite_ledger: Ledger, position: int, event_id: str
) -> None:
    """An id no append writes (SQLite keeps any bytes): verify() names the row, where a
    read raises DamagedRowError naming it; a row past the head is named either way."""
    fill(sqlite_ledger, 300)
    sqlite_ledger.seal()
    with tampering(sqlite_ledger) as conn:
        if position > 300:  # a copy of the last row, inserted after the head
            for statement in (
                "CREATE TEMP TABLE stray AS SELECT * FROM civicledger_events "
                "WHERE ledger_id = :id AND position = 300",
                "UPDATE stray SET position = :p, stream_version = stream_version + 1, "
                f"event_id = {event_id}",
                "INSERT INTO civicledger_events SELECT * FROM stray",
                "DROP TABLE stray",
            ):
                conn.execute(text(statement), where(sqlite_ledger, position))
        else:
            conn.execute(
                text(
                    f"UPDATE civicledger_events SET event_id = {event_id} "
                    "WHERE ledger_id = :id AND position = :p"
                ),
                where(sqlite_ledger, position),
            )
    report = sqlite_ledger.verify(workers=1)
    if position > 300:  # reads stop at the head
        assert [(p.position, p.kind) for p in report.problems] == [
            (position, ProblemKind.PAST_HEAD)
        ]
        assert ("a damaged row" in report.problems[0].detail) == (event_id == "x'01'")
        return
    assert [(p.position, p.kind) for p in report.problems] == [(position, ProblemKind.MALFORMED)]
    assert "is not a UUID" in report.problems[0].detail
    with pytest.raises(DamagedRowError, match=f"position {position} has an event id"):
        list(sqlite_ledger.read())


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # Text that is not UTF-8, in columns of each type: the driver fails its whole batch.
        ("stream", "CAST(x'ff' AS TEXT)"),
        ("occurred_on", "CAST(x'ff' AS TEXT)"),
        ("stream_version", "CAST(x'ff' AS TEXT)"),
        ("leaf_hash", "CAST(x'ff' AS TEXT)"),
        # A real number or a BLOB where no append writes one.
        ("salt", "1.5"),
        ("payload_digest", "1.5"),
        ("leaf_hash", "1.5"),
    ],
)
def test_a_value_of_any_type_sqlite_was_made_to_hold_is_named(
    sqlite_ledger: Ledger, column: str, value: str
) -> None:
    """Whatever SQLite stores in a column, verify() names the row at its position."""
    fill(sqlite_ledger, 300)
    sqlite_ledger.seal()
    with tampering(sqlite_ledger) as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_events SET {column} = {value} "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(sqlite_ledger, 42),
        )
    found = sqlite_ledger.verify(workers=1).problems
    assert {p.position for p in found if p.kind is not ProblemKind.SEAL_ROOT} == {42}


# Every column but the row's key (a changed key moves the row: missing and duplicate tests).
EVENT_COLUMNS = tuple(c.name for c in events.columns if c.name not in ("ledger_id", "position"))
SQLITE_VALUES = ("'x'", "x'01'", "NULL", "7", "-1", "1.5", "CAST(x'ff' AS TEXT)")
"""A value of each type SQLite keeps, and a text that is not UTF-8."""


def test_every_column_holding_a_value_of_any_type_is_named(tmp_path: Path) -> None:
    """Each value in each column of one row (the triggers dropped and recreated): verify()
    never raises, and names that row, or finds nothing when the column held the value
    already. A read raises DamagedRowError or a ValidationError naming the position, or
    reads the row as stored."""
    original = _sealed_file(tmp_path / "original.db", 300)
    for column, value, ledger, unchanged in _attacks_on_row_42(original, tmp_path):
        assert _verify_names(ledger) == (set() if unchanged else {42}), (column, value)
        assert _read_failure(ledger) in (None, 42), (column, value)


@pytest.mark.parametrize("route", ["push", "file"])
def test_a_row_holding_a_value_of_any_type_is_never_sent(tmp_path: Path, route: str) -> None:
    """Each value in each column of one row: a push or a delivery file refuses the row,
    naming its position, or sends it when the column held the value already. The replica
    holds nothing of a refused delivery, and no file is left half-written."""
    original = _sealed_file(tmp_path / "original.db", 60)
    replica = tmp_path / "replica.db"
    for column, value, ledger, unchanged in _attacks_on_row_42(original, tmp_path):
        named = _sync_failure(ledger, tmp_path, f"sqlite:///{replica}", route)
        assert named == (None if unchanged else 42), (column, value)
        with Ledger.open(f"sqlite:///{replica}", ledger.name) as received:
            assert received.head() == (60 if unchanged else 0), (column, value)
        (tmp_path / "delivery").unlink(missing_ok=True)  # refused when received
        assert not list(tmp_path.glob("delivery*")), (column, value)  # no partial file


LEDGER_COLUMNS = {
    "origin": "origin",
    "hash_algorithm": "hash algorithm",
    "created_at": "creation time",
    "head": "head",
    "frontier": "frontier",
    "leaf_version": "leaf format",
}
"""The ledger row's columns but its key and name, and how an error names each."""


def test_a_ledger_row_holding_a_value_of_any_type_is_refused_or_named(tmp_path: Path) -> None:
    """Each value in each column of the ledger's row (its identity, head and frontier,
    written by raw SQL): opening it raises a StoreError naming the column, or verify()
    names what changed; an append is refused, never half done. Only the creation time,
    which no hash covers, may change unnoticed."""
    original = _sealed_file(tmp_path / "original.db", 300)
    assert set(LEDGER_COLUMNS) == {c.name for c in ledgers.columns} - {"id", "name"}
    for column in LEDGER_COLUMNS:
        for value in SQLITE_VALUES:
            copy = tmp_path / "copy.db"
            copy.write_bytes(original.read_bytes())
            with contextlib.closing(sqlite3.connect(copy)) as db:
                stored = f"SELECT typeof({column}) || hex({column}) FROM civicledger_ledgers"
                before = db.execute(stored).fetchone()
                try:
                    with db:
                        db.execute(f"UPDATE civicledger_ledgers SET {column} = {value}")
                except sqlite3.IntegrityError:
                    continue  # refused by a constraint: nothing changed
                changed = db.execute(stored).fetchone() != before
            refused, found = _open_verify_append(copy)
            if refused is not None:
                assert LEDGER_COLUMNS[column] in refused, (column, value, refused)
            elif changed and column != "created_at":
                assert found, (column, value)


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("hash_algorithm", "'md5'", "hash algorithm"),
        ("leaf_version", "7", "leaf format 7"),
        ("head", "-1", "head -1"),
    ],
)
def test_a_ledger_row_changed_on_either_backend_is_refused_naming_the_column(
    ledger_url: str, ledger_name: str, column: str, value: str, named: str
) -> None:
    """PostgreSQL keeps each column's type, but the owner can still write a value of that
    type no ledger has: it is refused the same way as on SQLite."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        fill(ledger, 3)
        with ledger.store.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(
                text(f"UPDATE civicledger_ledgers SET {column} = {value} WHERE id = :id"),
                {"id": ledger.store.ledger_id},  # type: ignore[attr-defined]
            )
    with (
        pytest.raises(StoreError, match=re.escape(f"ledger {ledger_name!r}: the stored {named}")),
        Ledger.open(ledger_url, ledger=ledger_name, create=False) as reopened,
    ):
        reopened.head()


def _open_verify_append(path: Path) -> tuple[str | None, int]:
    """Open a ledger, verify it and append to it: the error refusing the opening, or
    how many problems verify() found (an append refused must leave the head as it was)."""
    try:
        with Ledger.open(f"sqlite:///{path}", create=False) as ledger:
            found = len(ledger.verify(workers=1).problems)
            held = ledger.head()
            try:
                fill(ledger, 1)
            except StoreError:
                assert ledger.head() == held
    except StoreError as e:
        return str(e), 0
    return None, found


@pytest.mark.parametrize("value", ["x'01'", "CAST(x'ff' AS TEXT)"])
def test_a_ledger_name_made_another_kind_of_value_names_no_ledger(
    tmp_path: Path, value: str
) -> None:
    """Its ledger is no longer found by name, and the error lists what the row holds; a
    set of every ledger in the database leaves it out."""
    path = tmp_path / "ledger.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        fill(ledger, 3)
    with Ledger.open(f"sqlite:///{path}", "other") as other:
        fill(other, 2)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(f"UPDATE civicledger_ledgers SET name = {value} WHERE name = 'default'")
    with pytest.raises(LedgerNotFoundError, match=r"it has: .*other"):
        Ledger.open(f"sqlite:///{path}", create=False)
    with Ledger.open_many(f"sqlite:///{path}", prefix="") as every:
        assert every.names == ("other",)


def _sync_failure(ledger: Ledger, folder: Path, replica: str, route: str) -> int | None:
    """The position a failed push or delivery names (-1: none); None if it went through."""
    try:
        if route == "push":
            ledger.push(replica)
        else:
            ledger.deliver(folder / "delivery")
            Ledger.receive(folder / "delivery", replica)
    except (StoreError, ValidationError, VerificationError) as e:
        if isinstance(e, DamagedRowError):
            return e.position
        named = re.search(r"position (\d+)", str(e))
        return int(named[1]) if named else -1
    return None


@pytest.mark.parametrize("leaf_version", [2, 1])
def test_a_redacted_row_holding_a_value_of_any_type_is_named_and_never_sent(
    tmp_path: Path, leaf_version: int
) -> None:
    """The attacks above on a row a redaction left (no salt; the remainder; in v2 the
    commitments): verify() names that row, a read names it or reads it, and a push refuses
    it naming its position, or sends it when the column held the value already. A v1 row
    whose remainder is erased whole has a redaction's shape and is sent; the replica's
    verify() names it, as the sender's does, since no field digest is kept to check."""
    original = tmp_path / "original.db"
    with Ledger(SqlStore.open(f"sqlite:///{original}", leaf_version=leaf_version)) as ledger:
        fill(ledger, 41)
        visit = HouseholdVisited(
            occurred_on=date(2023, 5, 1), member_id="M-1", household_id="H-1", in_person=True
        )
        [redacted] = ledger.append("visits", [visit], actor="clerk")
        fill(ledger, 5)
        ledger.redact(redacted.event_id, fields=["member_id"], reason="erasure", actor="dpo")
        ledger.seal()
    assert redacted.position == 42
    replica = tmp_path / "replica.db"
    for column, value, ledger, unchanged in _attacks_on_row_42(original, tmp_path):
        assert _verify_names(ledger) == (set() if unchanged else {42}), (column, value)
        assert _read_failure(ledger) in (None, 42), (column, value)
        sent = _sync_failure(ledger, tmp_path, f"sqlite:///{replica}", "push")
        whole_v1_erasure = (leaf_version, column, value) == (1, "payload", "NULL")
        assert sent == (None if unchanged or whole_v1_erasure else 42), (column, value)
        if whole_v1_erasure:
            with Ledger.open(f"sqlite:///{replica}", "default", create=False) as received:
                assert _verify_names(received) == {42}


def _sealed_file(path: Path, events: int) -> Path:
    """A SQLite ledger of ``events`` events and one seal, to copy before each attack."""
    with Ledger.open(f"sqlite:///{path}") as ledger:
        fill(ledger, events)
        ledger.seal()
    return path


def _attacks_on_row_42(original: Path, folder: Path) -> Iterator[tuple[str, str, Ledger, bool]]:
    """Each of :data:`SQLITE_VALUES` in each of :data:`EVENT_COLUMNS` at position 42 of a
    fresh copy of ``original`` (one a constraint refuses is skipped: nothing changed):
    (column, value, the open copy, whether the column held the value already). The
    replica a previous attack left in ``folder`` is removed first."""
    for column in EVENT_COLUMNS:
        for value in SQLITE_VALUES:
            copy = folder / "copy.db"
            copy.write_bytes(original.read_bytes())
            (folder / "replica.db").unlink(missing_ok=True)
            with Ledger.open(f"sqlite:///{copy}") as ledger:
                unchanged = _set_in_row_42(ledger, column, value)
                if unchanged is not None:
                    yield column, value, ledger, unchanged


def _verify_names(ledger: Ledger) -> set[int | None]:
    """The positions verify() names, but for the problems above a row (the stored nodes,
    seal root and frontier a changed leaf changes too)."""
    above = (ProblemKind.TILE, ProblemKind.SEAL_ROOT, ProblemKind.ROOT)
    return {p.position for p in ledger.verify(workers=1).problems if p.kind not in above}


def _set_in_row_42(ledger: Ledger, column: str, value: str) -> bool | None:
    """Store the SQL ``value`` in ``column`` of position 42 (the triggers dropped and
    recreated): whether the column held it already, or None when a constraint refused it."""
    try:
        with tampering(ledger) as conn:
            before = _stored_value(conn, ledger, column)
            conn.execute(
                text(
                    f"UPDATE civicledger_events SET {column} = {value} "
                    "WHERE ledger_id = :id AND position = :p"
                ),
                where(ledger, 42),
            )
            return _stored_value(conn, ledger, column) == before
    except exc.IntegrityError:
        return None


def _read_failure(ledger: Ledger) -> int | None:
    """The position a failed read of the whole ledger names (-1: none); None if it reads."""
    try:
        list(ledger.read())
    except (DamagedRowError, ValidationError) as e:
        named = re.search(r"stored event at position (\d+)", str(e))
        return int(named[1]) if named else -1
    return None


def _stored_value(conn: Connection, ledger: Ledger, column: str) -> str:
    """Row 42's value in ``column`` as its type and the hex of its bytes."""
    return str(
        conn.execute(
            text(
                f"SELECT typeof({column}) || hex({column}) FROM civicledger_events "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(ledger, 42),
        ).scalar_one()
    )


def test_commitments_an_update_stored_as_a_blob_are_checked_as_their_bytes(
    sqlite_ledger: Ledger,
) -> None:
    """A redacted row's commitments re-typed as a BLOB: unchanged bytes still verify,
    changed ones are named."""
    visit = HouseholdVisited(
        occurred_on=date(2023, 5, 1), member_id="M-1", household_id="H-1", in_person=True
    )
    [record] = sqlite_ledger.append("visits", [visit], actor="clerk")
    sqlite_ledger.redact(record.event_id, fields=["member_id"], reason="erasure", actor="dpo")
    for value, named in (("CAST(commitments AS BLOB)", set()), ("x'01'", {1})):
        with tampering(sqlite_ledger) as conn:
            conn.execute(
                text(
                    f"UPDATE civicledger_events SET commitments = {value} "
                    "WHERE ledger_id = :id AND position = :p"
                ),
                where(sqlite_ledger, 1),
            )
        assert {p.position for p in sqlite_ledger.verify(workers=1).problems} == named


@pytest.mark.parametrize(
    ("column", "value", "unrecorded"),
    [
        ("event_id", "x'01'", False),
        ("recorded_at", "'not a time'", False),
        # A redaction whose payload cannot be read names nothing: the erasure is unrecorded.
        ("payload", "x'ff'", True),
    ],
)
def test_a_damaged_redaction_row_is_named_not_raised(
    sqlite_ledger: Ledger, column: str, value: str, unrecorded: bool
) -> None:
    """verify() reads the redaction events before its walk, and only their positions and
    payloads: a damaged one is named at its position like any other row, and the erasure it
    records is checked against what can still be read of it."""
    visits = [
        HouseholdVisited(
            occurred_on=date(2023, 5, day), member_id=f"M-{day}", household_id="H-1", in_person=True
        )
        for day in range(1, 6)
    ]
    recorded = sqlite_ledger.append("visits", visits, actor="clerk")
    redaction = sqlite_ledger.redact(recorded[2].event_id, reason="erasure", actor="dpo")
    fill(sqlite_ledger, 3)
    with tampering(sqlite_ledger) as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_events SET {column} = {value} "
                "WHERE ledger_id = :id AND position = :p"
            ),
            where(sqlite_ledger, redaction.position),
        )
    found = {(p.position, p.kind) for p in sqlite_ledger.verify(workers=1).problems}
    assert found == {(redaction.position, ProblemKind.MALFORMED)} | (
        {(recorded[2].position, ProblemKind.UNRECORDED_REDACTION)} if unrecorded else set()
    )


def test_a_changed_seal_row_is_reported(sql_ledger: Ledger) -> None:
    """Rewriting a stored seal's text to another root is a seal root mismatch."""
    fill(sql_ledger, 5)
    seal = sql_ledger.seal()
    forged = Seal.create(
        origin=seal.origin,
        tree_size=5,
        root_hash=b"\x07" * 32,
        sealed_at=seal.sealed_at,  # type: ignore[arg-type]
    )
    with tampering(sql_ledger, "civicledger_seals") as conn:
        conn.execute(
            text("UPDATE civicledger_seals SET text = :t, root_hash = :r WHERE ledger_id = :id"),
            {**where(sql_ledger, 0), "t": forged.text, "r": forged.root_hash},
        )
    assert problems(sql_ledger) == [(5, ProblemKind.SEAL_ROOT)]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("tree_size", "'x'"),
        ("tree_size", "1.5"),
        ("tree_size", "CAST(x'ff' AS TEXT)"),
        ("root_hash", "'x'"),
        ("root_hash", "1.5"),
        ("root_hash", "CAST(x'ff' AS TEXT)"),
        ("text", "CAST(x'ff' AS TEXT)"),
        ("text", "x'01'"),
        ("sealed_at", "CAST(x'ff' AS TEXT)"),
        ("sealed_at", "7"),
    ],
)
def test_a_seal_column_sqlite_was_made_to_hold_is_named(
    sqlite_ledger: Ledger, column: str, value: str
) -> None:
    """Whatever SQLite stores in a seal's row, verify() names that seal at its size."""
    fill(sqlite_ledger, 30)
    sqlite_ledger.seal()
    with tampering(sqlite_ledger, "civicledger_seals") as conn:
        conn.execute(
            text(f"UPDATE civicledger_seals SET {column} = {value} WHERE ledger_id = :id"),
            where(sqlite_ledger, 0),
        )
    found = sqlite_ledger.verify(workers=1).problems
    assert [p.kind for p in found] == [ProblemKind.SEAL]
    assert found[0].position in (30, None)


@pytest.mark.parametrize("column", ["signer", "cosigned_at", "verifier", "signature"])
def test_a_cosignature_text_that_is_not_utf8_is_named(
    sqlite_ledger: Ledger, office: Signer, column: str
) -> None:
    """A cosignature column holding bytes that are not UTF-8: verify() names it as a bad
    cosignature, where Python's sqlite3 would fail the whole read."""
    fill(sqlite_ledger, 30)
    sqlite_ledger.cosign(sqlite_ledger.seal(), office)
    assert sqlite_ledger.verify(workers=1).ok
    with tampering(sqlite_ledger, "civicledger_cosignatures") as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_cosignatures SET {column} = CAST(x'ff' AS TEXT) "
                "WHERE ledger_id = :id"
            ),
            where(sqlite_ledger, 0),
        )
    assert [p.kind for p in sqlite_ledger.verify(workers=1).problems] == [ProblemKind.COSIGNATURE]


def test_a_seal_row_whose_time_was_changed_is_named(sql_ledger: Ledger) -> None:
    """The time column kept beside a seal's text is compared with the text's time."""
    fill(sql_ledger, 5)
    sql_ledger.seal()
    with tampering(sql_ledger, "civicledger_seals") as conn:
        conn.execute(
            text(
                "UPDATE civicledger_seals SET sealed_at = '2023-01-01T00:00:00.000000Z' "
                "WHERE ledger_id = :id"
            ),
            where(sql_ledger, 0),
        )
    [problem] = sql_ledger.verify().problems
    assert (problem.position, problem.kind) == (5, ProblemKind.SEAL)
    assert "row says '2023-01-01T00:00:00.000000Z'" in problem.detail


def test_an_unreadable_seal_row_makes_seals_raise_and_verify_report(sql_ledger: Ledger) -> None:
    """A seal text damaged beyond parsing: seals() raises StoreError, verify() reports it."""
    sql_ledger.seal()
    with tampering(sql_ledger, "civicledger_seals") as conn:
        conn.execute(
            text("UPDATE civicledger_seals SET text = 'junk' WHERE ledger_id = :id"),
            where(sql_ledger, 0),
        )
    with pytest.raises(StoreError, match="run verify"):
        sql_ledger.seals()
    assert problems(sql_ledger) == [(0, ProblemKind.SEAL)]
