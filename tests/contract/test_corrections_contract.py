"""Corrections and redaction on every backend: memory, SQLite and PostgreSQL.

The PostgreSQL classes run when CIVICLEDGER_TEST_POSTGRES_URL names a server and
skip (saying so) otherwise. The SQL-only tests read the rows with raw SQL to see
what redaction left, and try UPDATEs the database must refuse.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, exc, text

from backend_testkit import SQL_BACKENDS, MakeLedger
from civicledger import Event, Ledger, field
from civicledger.audit import verify_proof
from civicledger.corrections import RedactedPayload
from civicledger.corrections.events import register_correction_types
from civicledger.corrections.fold import effective_envelopes, read_effective
from civicledger.events import Codec, EventRegistry, event, upcast
from civicledger.merkle import hash_algorithm, verify_inclusion
from corrections_testkit import (
    StepClock,
    attendance,
    meeting,
    meetings,
    record_redaction,
    visit,
)


class CorrectionsContract:
    """Behaviour every backend must have. Subclasses provide ``make_ledger``."""

    @pytest.fixture
    def ledger(self, make_ledger: MakeLedger) -> Ledger:
        return make_ledger(clock=StepClock())

    def test_corrections_and_retractions_shape_the_figures(self, ledger: Ledger) -> None:
        """A correction chain and a retraction give the same figures on every backend."""
        (wrong, dup, _) = ledger.append(
            "m", [meeting(32), meeting(8), meeting(10, month=6)], actor="clerk"
        )
        first = ledger.correct(wrong.event_id, meeting(30), reason="first", actor="a")
        ledger.correct(first.event_id, meeting(23), reason="second", actor="b")
        ledger.retract(dup.event_id, reason="dup", actor="c")
        total, count = ledger.indicators([attendance(), meetings()], year=2023)
        assert (total.value, count.value) == (33, 2)
        view = list(ledger.read(effective=True))
        assert [len(r.corrections) for r in view] == [2, 0]

    def test_redaction_keeps_verify_clean_and_old_proofs_valid(self, ledger: Ledger) -> None:
        """Leaves, the tree, seals and proofs made before the redaction all still verify."""
        records = ledger.append("v", [visit(), visit("赵六"), visit("钱七")], actor="clerk")
        seal = ledger.seal()
        proofs = {r.event_id: ledger.prove(r.event_id, seal) for r in records}
        inclusion = ledger.audit.inclusion_proof(2, seal.tree_size)
        ledger.redact(records[1].event_id, fields=["visitor"], reason="erasure", actor="dpo")
        ledger.redact(records[2].event_id, reason="erasure", actor="dpo")
        report = ledger.verify()
        assert report.ok, report
        assert report.redacted == 2
        for text_ in proofs.values():
            verify_proof(text_)
        alg = hash_algorithm(ledger.hash_algorithm)
        verify_inclusion(
            alg, 1, seal.tree_size, ledger.store.leaf_hash(2), inclusion, seal.root_hash
        )
        assert [ledger.prove(r.event_id, seal) for r in records] == list(proofs.values())

    def test_reads_mark_the_redacted_event_and_omit_its_values(self, ledger: Ledger) -> None:
        """The plain read and the effective view both show the fields as absent."""
        (record,) = ledger.append("v", [visit()], actor="clerk")
        ledger.redact(record.event_id, fields=["visitor", "note"], reason="erasure", actor="d")
        for read in (list(ledger.read(stream="v")), list(ledger.read(effective=True))):
            (got,) = read
            assert sorted(got.redacted_fields) == ["note", "visitor"]
            assert isinstance(got.payload, RedactedPayload)
            assert got.payload.values["household"] == "H-7"

    def test_personal_data_is_gone_after_redacting_every_hit(self, ledger: Ledger) -> None:
        """personal_data finds the event and its correction's copy; after redaction, nothing."""
        (record,) = ledger.append("v", [visit(visitor="李四")], actor="clerk")
        ledger.correct(record.event_id, visit(visitor="李四", note="已搬走"), reason="x", actor="a")
        hits = ledger.personal_data("李四")
        assert len(hits) == 2
        ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="dpo")
        assert ledger.personal_data("李四") == []
        assert ledger.verify().ok

    def test_effective_envelopes_are_the_effective_views_events(self, ledger: Ledger) -> None:
        """Position, type and id of the effective view's events, read without payloads:
        a retracted event and the amending events are left out, corrected and redacted
        events stay where they were; as many as the effective read, in its order."""
        (wrong, dup, kept) = ledger.append(
            "m", [meeting(32), meeting(8), meeting(10, month=6)], actor="clerk"
        )
        (seen,) = ledger.append("v", [visit()], actor="clerk")
        ledger.correct(wrong.event_id, meeting(30), reason="typo", actor="a")
        ledger.retract(dup.event_id, reason="dup", actor="c")
        ledger.redact(seen.event_id, fields=["visitor"], reason="erasure", actor="dpo")
        ledger.append("m", [meeting(5, month=7)], actor="clerk")
        types = [wrong.type, seen.type, "event_retracted"]
        for last in (ledger.head(), 5, 3):
            got = list(effective_envelopes(ledger.store, types=types, to_position=last))
            read = ledger.read(types=types, to_position=last, effective=True)
            assert got == [(r.position, r.type, r.event_id) for r in read]
        got = list(effective_envelopes(ledger.store, types=types, to_position=ledger.head()))
        assert [e.event_id for e in got[:3]] == [wrong.event_id, kept.event_id, seen.event_id]
        assert dup.event_id not in {e.event_id for e in got}
        assert list(ledger.store.read_envelopes(types, 2)) == [
            (1, wrong.type, wrong.event_id),
            (2, dup.type, dup.event_id),
        ]

    def test_with_nothing_amended_the_view_is_the_stored_records(self, ledger: Ledger) -> None:
        """No amending event recorded: the effective read is the plain read, whole or by
        type, to any position (the view passes the records through untouched)."""
        ledger.append("m", [meeting(32), meeting(8)], actor="clerk")
        ledger.append("v", [visit()], actor="clerk")
        ledger.append("m", [meeting(5, month=7)], actor="clerk")
        for types in (None, ["ctest.meeting_held"], ["ctest.visit_made", "event_retracted"]):
            for last in (None, 3):
                plain = list(ledger.read(types=types, to_position=last))
                assert plain, (types, last)
                assert list(ledger.read(types=types, to_position=last, effective=True)) == plain

    def test_an_amendment_recorded_after_the_cut_is_absent_from_the_view_at_it(
        self, ledger: Ledger
    ) -> None:
        """Read as it stood before a correction was recorded, the view shows the original
        payload and not the correction event, though the position range holds both."""
        (wrong,) = ledger.append("m", [meeting(32)], actor="clerk")
        (other,) = ledger.append("v", [visit()], actor="clerk")
        cut = other.recorded_at
        ledger.correct(wrong.event_id, meeting(23), reason="typo", actor="chief")
        view = list(read_effective(ledger.store, recorded_before=cut))
        assert [(r.position, r.type, r.corrections) for r in view] == [
            (1, wrong.type, ()),
            (2, other.type, ()),
        ]
        assert view[0].payload == meeting(32)
        (now, _) = read_effective(ledger.store)
        assert now.payload == meeting(23)


class TestCorrections(CorrectionsContract):
    """The contract on each backend (``make_ledger`` comes from tests/contract/conftest.py)."""


class TestSqlCorrections:
    """What only a database can show: the stored columns, and the trigger's refusals."""

    @pytest.fixture(params=SQL_BACKENDS)
    def backend(self, request: pytest.FixtureRequest) -> str:
        name: str = request.param
        return name

    @pytest.fixture
    def ledger(self, make_ledger: MakeLedger) -> Ledger:
        return make_ledger(clock=StepClock())

    def _row(self, ledger: Ledger, position: int) -> Any:
        engine = ledger.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT payload, salt, payload_digest, leaf_hash, actor "
                    "FROM civicledger_events WHERE ledger_id = :id AND position = :p"
                ),
                {"id": ledger.store.ledger_id, "p": position},  # type: ignore[attr-defined]
            ).one()

    def test_raw_sql_shows_the_values_and_the_salt_gone(self, ledger: Ledger) -> None:
        """The stored payload no longer holds the name; the salt is NULL; digest and leaf stay."""
        (record, whole) = ledger.append("v", [visit(), visit("赵六")], actor="clerk")
        before = self._row(ledger, 1)
        assert "李四" in before.payload
        ledger.redact(record.event_id, fields=["visitor", "note"], reason="erasure", actor="d")
        ledger.redact(whole.event_id, reason="erasure", actor="d")
        after = self._row(ledger, 1)
        assert "李四" not in after.payload
        assert "独居老人" not in after.payload
        assert after.payload.startswith('{"$redacted":["note","visitor"]')
        assert after.salt is None
        assert (bytes(after.payload_digest), bytes(after.leaf_hash)) == (
            bytes(before.payload_digest),
            bytes(before.leaf_hash),
        )
        gone = self._row(ledger, 2)
        assert (gone.payload, gone.salt) == (None, None)

    def _refused(self, ledger: Ledger, statement: str, **params: Any) -> None:
        engine = ledger.store.engine  # type: ignore[attr-defined]
        params["id"] = ledger.store.ledger_id  # type: ignore[attr-defined]
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement), params)

    def test_the_database_refuses_any_other_column_in_a_redaction(self, ledger: Ledger) -> None:
        """A redaction-shaped UPDATE that also changes another column is refused."""
        ledger.append("v", [visit()], actor="clerk")
        where = "WHERE ledger_id = :id AND position = 1"
        for change in ("actor = 'mallory'", "stream = 'x'", "occurred_on = '2023-01-01'",
                       "type = 'other'", "schema_version = 2", "stream_version = 9",
                       "recorded_at = '2020-01-01T00:00:00.000000Z'"):  # fmt: skip
            self._refused(
                ledger,
                f"UPDATE civicledger_events SET payload = NULL, salt = NULL, {change} {where}",
            )
        self._refused(ledger, f"UPDATE civicledger_events SET payload_digest = leaf_hash {where}")
        self._refused(ledger, f"UPDATE civicledger_events SET payload = NULL {where}")
        self._refused(
            ledger,
            f"UPDATE civicledger_events SET payload = :payload, salt = NULL {where}",
            payload='{"attendees":1}',
        )
        self._refused(ledger, f"DELETE FROM civicledger_events {where}")
        assert self._row(ledger, 1).actor == "clerk"
        assert ledger.verify().ok

    def test_a_removed_payload_cannot_come_back(self, ledger: Ledger) -> None:
        """Once NULL, a payload stays NULL: the trigger refuses writing one back."""
        (record,) = ledger.append("v", [visit()], actor="clerk")
        ledger.redact(record.event_id, reason="erasure", actor="d")
        self._refused(
            ledger,
            "UPDATE civicledger_events SET payload = :payload "
            "WHERE ledger_id = :id AND position = 1",
            payload='{"$redacted":[],"visitor":"李四"}',
        )

    def test_the_store_redaction_path_is_what_the_trigger_lets_through(
        self, ledger: Ledger
    ) -> None:
        """The store's own UPDATE (payload and salt only) passes the trigger.

        The redaction event goes first: on PostgreSQL the erasure function refuses an
        erasure that no recorded redaction event names.
        """
        (record,) = ledger.append("v", [visit()], actor="clerk")
        record_redaction(ledger, record, ("note",))
        redacted = ledger.store.redact_payload(record.event_id, ["note"])
        assert redacted.redacted_fields == ("note",)


def test_a_sqlite_database_made_before_redaction_gets_the_redaction_trigger(
    tmp_path: Path,
) -> None:
    """Opening a database with the old blanket UPDATE ban swaps in the redaction rule."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Ledger.open(url) as ledger:
        (record,) = ledger.append("v", [visit()], actor="clerk")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER civicledger_events_redaction_only"))
        conn.execute(
            text(
                "CREATE TRIGGER civicledger_events_no_update BEFORE UPDATE ON "
                "civicledger_events BEGIN SELECT RAISE(ABORT, 'append-only'); END"
            )
        )
    engine.dispose()
    with Ledger.open(url) as ledger:
        ledger.redact(record.event_id, fields=["visitor"], reason="erasure", actor="d")
        assert ledger.verify().ok


# -- schema evolution: a database written with version 1 reads back as version 2 -------------

_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from civicledger import Event, Ledger, event, field

    @event("evtest.visit_made", version=1)
    class Visit(Event):
        name: str = field(personal=True)
        household: str

    with Ledger.open(sys.argv[1], ledger=sys.argv[2]) as ledger:
        ledger.append("v", [Visit(occurred_on=date(2023, 4, 2), name="李四", household="H-7"),
                            Visit(occurred_on=date(2023, 5, 2), name="赵六", household="H-8")],
                      actor="clerk")
    """
)

_V2 = EventRegistry()
register_correction_types(_V2)


@event("evtest.visit_made", version=2, registry=_V2)
class VisitV2(Event):
    """Version 2 renamed ``name`` to ``visitor`` and added ``in_person``."""

    visitor: str = field(personal=True)
    household: str
    in_person: bool = field(default=True)


@upcast("evtest.visit_made", from_version=1, registry=_V2)
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["visitor"] = data.pop("name")
    data["in_person"] = True
    return data


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def v1_database(
    request: pytest.FixtureRequest, tmp_path: Path, ledger_name: str
) -> tuple[str, str]:
    """A database whose ledger a process that only knew version 1 wrote."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'v1.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    subprocess.run([sys.executable, "-c", _WRITER, url, ledger_name], check=True)
    return url, ledger_name


def _stored(ledger: Ledger) -> list[tuple[int, str | None]]:
    engine = ledger.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [
            (row.schema_version, row.payload)
            for row in conn.execute(
                text(
                    "SELECT schema_version, payload FROM civicledger_events "
                    "WHERE ledger_id = :id ORDER BY position"
                ),
                {"id": ledger.store.ledger_id},  # type: ignore[attr-defined]
            )
        ]


def test_a_version_1_ledger_reads_as_version_2_without_rewriting_rows(
    v1_database: tuple[str, str],
) -> None:
    """Rows keep their version 1 text; reads upcast; every leaf still verifies."""
    url, name = v1_database
    with Ledger.open(url, ledger=name, codec=Codec(_V2)) as ledger:
        before = _stored(ledger)
        records = list(ledger.read())
        assert [type(r.payload) for r in records] == [VisitV2, VisitV2]
        assert records[0].payload.visitor == "李四"  # type: ignore[attr-defined]
        assert [r.schema_version for r in records] == [1, 1]
        assert _stored(ledger) == before
        assert all('"name":' in (payload or "") for _, payload in before)
        assert ledger.verify().ok


def test_redacting_a_version_2_field_removes_its_version_1_key(
    v1_database: tuple[str, str],
) -> None:
    """Redaction names the field as version 2 does; the stored version 1 key goes."""
    url, name = v1_database
    with Ledger.open(url, ledger=name, codec=Codec(_V2)) as ledger:
        first = next(ledger.read())
        from civicledger.corrections.service import redact

        redact(
            ledger.store,
            first.event_id,
            fields=["visitor"],
            reason="e",
            actor="d",
            codec=Codec(_V2),
        )
        version, payload = _stored(ledger)[0]
        assert version == 1
        assert payload is not None
        assert "李四" not in payload
        assert payload.startswith('{"$redacted":["name"]')
        read = next(ledger.read())
        assert read.redacted_fields == ("visitor",)
        assert read.payload.values == {"household": "H-7", "in_person": True}  # type: ignore[attr-defined]
        assert ledger.verify().ok
