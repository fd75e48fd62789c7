"""Cosignatures of seals through the Ledger facade, on memory, SQLite and PostgreSQL.

The raw-SQL tests act as an insider with write access to the database: they
insert forged rows, and change or delete stored ones (switching the triggers
off where the database refuses), and check that verify() names the cosignature.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, text

from civicledger import Ledger, StoreError, ValidationError
from civicledger.audit import Cosignature, ProblemKind, Seal, Signer, with_cosignatures
from civicledger.events.text import format_timestamp
from contract.test_audit_contract import fill, tampering

MakeLedger = Callable[..., Ledger]


@pytest.fixture(scope="module")
def office() -> Signer:
    return Signer.generate("community.example/office")


@pytest.fixture(scope="module")
def street() -> Signer:
    return Signer.generate("street.example/office")


class CosignContract:
    """Cosigning behaviour every backend must have. Subclasses provide ``make_ledger``."""

    @pytest.fixture
    def ledger(self, make_ledger: MakeLedger) -> Ledger:
        return make_ledger()

    def test_a_cosignature_is_stored_listed_and_verified(
        self, ledger: Ledger, office: Signer, street: Signer
    ) -> None:
        fill(ledger, 5)
        seal = ledger.seal(office)
        cosignature = ledger.cosign(seal, street)
        assert cosignature.signer == street.name
        assert cosignature.seal == seal
        [listed] = ledger.cosignatures()
        assert listed == cosignature
        listed.check()
        report = ledger.verify([office.verifier(), street.verifier()])
        assert report.ok, str(report)
        assert report.cosignatures_checked == 1
        assert "1 cosignature" in str(report)

    def test_the_seal_is_found_by_its_checkpoint_whatever_its_signatures(
        self, ledger: Ledger, office: Signer, street: Signer
    ) -> None:
        fill(ledger, 3)
        seal = ledger.seal(office)
        bare = Seal.parse(seal.body)
        assert ledger.cosign(bare.text, street).seal == seal

    def test_each_key_cosigns_a_seal_once(
        self, ledger: Ledger, office: Signer, street: Signer
    ) -> None:
        seal = ledger.seal()
        ledger.cosign(seal, street)
        with pytest.raises(ValidationError, match="already countersigned seal 1"):
            ledger.cosign(seal, street)
        ledger.cosign(seal, office)
        assert [c.signer for c in ledger.cosignatures()] == [street.name, office.name]

    def test_a_seal_not_stored_here_is_refused(
        self, ledger: Ledger, make_ledger: MakeLedger, street: Signer
    ) -> None:
        fill(ledger, 2)
        ledger.seal()
        other = make_ledger()
        with pytest.raises(ValidationError, match="another ledger"):
            ledger.cosign(other.seal(), street)
        unsealed = Seal.create(
            origin=ledger.origin,
            tree_size=2,
            root_hash=ledger.seals()[0].root_hash,
            sealed_at=ledger.seals()[0].sealed_at,  # type: ignore[arg-type]
            hash_name=ledger.hash_algorithm,
        )
        stored_sealed_at = ledger.seals()[0].sealed_at
        assert unsealed.sealed_at == stored_sealed_at
        later = Seal.parse(unsealed.text.replace("sealed-at 20", "sealed-at 19"))
        with pytest.raises(ValidationError, match="not among this ledger's stored seals"):
            ledger.cosign(later, street)
        assert ledger.cosignatures() == []

    def test_the_cosigned_seal_text_is_a_signed_note_both_keys_verify(
        self, ledger: Ledger, office: Signer, street: Signer
    ) -> None:
        fill(ledger, 4)
        seal = ledger.seal(office)
        cosigned = with_cosignatures(seal, [ledger.cosign(seal, street)])
        assert cosigned.body == seal.body
        assert cosigned.verify(office.verifier().to_text()) == (office.name,)
        [line] = [s for s in cosigned.signatures if s.name == street.name]
        parsed = Cosignature.parse(seal, street.verifier().to_text(), line.line())
        parsed.check()


class TestMemoryCosign(CosignContract):
    @pytest.fixture
    def make_ledger(self) -> Iterator[MakeLedger]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> Ledger:
            ledgers.append(Ledger.in_memory(**options))
            return ledgers[-1]

        yield make
        for ledger in ledgers:
            ledger.close()


class TestSqliteCosign(CosignContract):
    @pytest.fixture
    def make_ledger(self, tmp_path: Path) -> Iterator[MakeLedger]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> Ledger:
            path = tmp_path / f"ledger-{len(ledgers)}.db"
            ledgers.append(Ledger.open(f"sqlite:///{path}", **options))
            return ledgers[-1]

        yield make
        for ledger in ledgers:
            ledger.close()


@pytest.mark.postgres
class TestPostgresCosign(CosignContract):
    @pytest.fixture
    def make_ledger(self, postgres_url: str) -> Iterator[MakeLedger]:
        ledgers: list[Ledger] = []

        def make(**options: Any) -> Ledger:
            ledgers.append(
                Ledger.open(postgres_url, ledger=f"cosign-{uuid.uuid4().hex}", **options)
            )
            return ledgers[-1]

        yield make
        for ledger in ledgers:
            ledger.close()


# -- raw SQL: the insider -------------------------------------------------------------------


@pytest.fixture
def cosigned(ledger_url: str, ledger_name: str, office: Signer, street: Signer) -> Iterator[Ledger]:
    """A SQL ledger with one signed seal, countersigned by the street."""
    with Ledger.open(ledger_url, ledger=ledger_name) as ledger:
        fill(ledger, 6)
        ledger.cosign(ledger.seal(office), street)
        yield ledger


def cosignature_problems(ledger: Ledger, *keys: Signer) -> list[str]:
    report = ledger.verify([k.verifier() for k in keys] or None)
    assert all(p.kind is ProblemKind.COSIGNATURE for p in report.problems), str(report)
    return [p.detail for p in report.problems]


def insert_row(ledger: Ledger, columns: dict[str, Any], seal_id: int | None = None) -> None:
    """Insert a cosignature row of the ledger's newest seal (or of row ``seal_id``)."""
    engine = ledger.store.engine  # type: ignore[attr-defined]
    ledger_id = ledger.store.ledger_id  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if seal_id is None:
            seal_id = conn.execute(
                text("SELECT max(id) FROM civicledger_seals WHERE ledger_id = :id"),
                {"id": ledger_id},
            ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO civicledger_cosignatures "
                "(ledger_id, seal_id, signer, cosigned_at, verifier, signature) "
                "VALUES (:ledger_id, :seal_id, :signer, :cosigned_at, :verifier, :signature)"
            ),
            {"ledger_id": ledger_id, "seal_id": seal_id, **columns},
        )


def forged_by(ledger: Ledger, key: Signer, *, signature_of: Signer | None = None) -> dict[str, Any]:
    """The columns of a cosignature of the ledger's newest seal: verifier ``key``'s, signed
    by ``signature_of`` (``key`` itself when None)."""
    seal = ledger.seals()[-1]
    made = Cosignature.make(seal, signature_of or key, seal.sealed_at)  # type: ignore[arg-type]
    claimed = Cosignature(seal, key.verifier(), made.timestamp, made.signature)
    return {
        "signer": key.name,
        "cosigned_at": format_timestamp(claimed.cosigned_at),
        "verifier": key.verifier().to_text(),
        "signature": claimed.line,
    }


def test_the_database_refuses_to_change_or_delete_a_cosignature(cosigned: Ledger) -> None:
    engine = cosigned.store.engine  # type: ignore[attr-defined]
    for statement in (
        "UPDATE civicledger_cosignatures SET cosigned_at = '2020-01-01T00:00:00.000000Z'",
        "DELETE FROM civicledger_cosignatures",
    ):
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(cosigned.cosignatures()) == 1
    assert cosigned.verify().ok


def test_a_forged_signature_inserted_by_sql_is_named(cosigned: Ledger, street: Signer) -> None:
    """The insider writes a line claiming the street's key, signed by a key of its own."""
    insider = Signer.generate("insider")
    cosigned.seal()
    insert_row(cosigned, forged_by(cosigned, street, signature_of=insider))
    [detail] = cosignature_problems(cosigned)
    assert detail.startswith(f"cosignature 2 (by '{street.name}') of seal 2:")
    assert "does not verify" in detail


def test_a_cosignature_by_a_lookalike_key_is_named_when_keys_are_trusted(
    cosigned: Ledger, office: Signer, street: Signer
) -> None:
    """A valid cosignature by a new key bearing the street's name: only the trusted key tells."""
    lookalike = Signer.generate(street.name)
    insert_row(cosigned, forged_by(cosigned, lookalike))
    assert cosignature_problems(cosigned) == []
    [detail] = cosignature_problems(cosigned, office, street)
    assert "cosignature 2" in detail
    assert "not the trusted key" in detail


def test_a_cosignature_of_another_ledgers_seal_is_named(
    cosigned: Ledger, ledger_url: str, ledger_name: str
) -> None:
    """The row points at a seal row of another ledger in the same database."""
    with Ledger.open(ledger_url, ledger=f"{ledger_name}-other") as other:
        other.seal()
        engine = other.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            foreign = conn.execute(
                text("SELECT max(id) FROM civicledger_seals WHERE ledger_id = :id"),
                {"id": other.store.ledger_id},  # type: ignore[attr-defined]
            ).scalar_one()
    insert_row(cosigned, forged_by(cosigned, Signer.generate("x")), seal_id=foreign)
    [detail] = cosignature_problems(cosigned)
    assert detail == "cosignature 2 (by 'x') names a seal this ledger has no readable row for"
    with pytest.raises(StoreError, match="stored cosignature 2 cannot be read"):
        cosigned.cosignatures()


def test_a_changed_time_or_signer_column_is_named(cosigned: Ledger, street: Signer) -> None:
    with tampering(cosigned, "civicledger_cosignatures") as conn:
        conn.execute(
            text(
                "UPDATE civicledger_cosignatures SET cosigned_at = '2020-01-01T00:00:00.000000Z' "
                "WHERE ledger_id = :id"
            ),
            {"id": cosigned.store.ledger_id},  # type: ignore[attr-defined]
        )
    [detail] = cosignature_problems(cosigned)
    assert "its columns say" in detail
    assert "2020-01-01T00:00:00.000000Z" in detail


def test_a_rewritten_signature_line_is_named(cosigned: Ledger, street: Signer) -> None:
    [stored] = cosigned.cosignatures()
    tampered = Cosignature(stored.seal, stored.verifier, stored.timestamp + 3600, stored.signature)
    with tampering(cosigned, "civicledger_cosignatures") as conn:
        conn.execute(
            text("UPDATE civicledger_cosignatures SET signature = :s WHERE ledger_id = :id"),
            {"s": tampered.line, "id": cosigned.store.ledger_id},  # type: ignore[attr-defined]
        )
    [detail] = cosignature_problems(cosigned)
    assert "does not verify" in detail


def test_a_malformed_row_is_named_and_listing_raises(cosigned: Ledger) -> None:
    with tampering(cosigned, "civicledger_cosignatures") as conn:
        conn.execute(
            text("UPDATE civicledger_cosignatures SET verifier = 'junk' WHERE ledger_id = :id"),
            {"id": cosigned.store.ledger_id},  # type: ignore[attr-defined]
        )
    [detail] = cosignature_problems(cosigned)
    assert detail.startswith("cosignature 1 (by 'street.example/office') of seal 1: verifier key")
    with pytest.raises(StoreError, match="stored cosignature 1 cannot be read"):
        cosigned.cosignatures()
