"""Issue 14: a redaction cannot be forged with raw SQL, on SQLite and PostgreSQL.

The adversary is an insider with write access to the database and no trigger
dropped. Each forgery either is refused by the database or is named by
``verify()`` at the forged row's position.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from civicledger import Ledger
from civicledger.audit import ProblemKind
from civicledger.catalog.meetings import MeetingHeld
from civicledger.catalog.party import HouseholdVisited
from civicledger.catalog.vocabularies import MeetingBody
from civicledger.merkle import hash_algorithm
from civicledger.merkle.commitments import Commitments, after_redaction
from civicledger.store.sql import SqlStore

MEETING = MeetingHeld(
    occurred_on=date(2023, 5, 4), body=MeetingBody.PARTY_COMMITTEE, topic="flood", attendees=283
)
VISIT = HouseholdVisited(
    occurred_on=date(2023, 5, 5),
    member_id="M-ZHANG-0042",
    household_id="H-LIU-0007",
    in_person=True,
)


def _open(url: str, name: str, leaf_version: int) -> Ledger:
    return Ledger(SqlStore.open(url, name, leaf_version=leaf_version))


def _update(ledger: Ledger, position: int, **values: str | bytes | None) -> None:
    store = ledger.store
    assert isinstance(store, SqlStore)
    sets = ", ".join(f"{column} = :{column}" for column in values)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE civicledger_events SET {sets} "
                "WHERE ledger_id = :ledger AND position = :position"
            ),
            {**values, "ledger": store.ledger_id, "position": position},
        )


def _row(ledger: Ledger, position: int) -> tuple[str | None, bytes | None, str | None]:
    store = ledger.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        payload, salt, kept = conn.execute(
            sa.text(
                "SELECT payload, salt, commitments FROM civicledger_events "
                "WHERE ledger_id = :ledger AND position = :position"
            ),
            {"ledger": store.ledger_id, "position": position},
        ).one()
    return payload, None if salt is None else bytes(salt), kept


def _problems(ledger: Ledger) -> list[tuple[int | None, ProblemKind]]:
    return [(p.position, p.kind) for p in ledger.verify().problems]


FORGED = '{"$redacted":[],"attendees":5000,"body":"party_committee","branch":null,' + (
    '"location":null,"occurred_on":"2023-05-04","topic":"flood"}'
)


@pytest.mark.parametrize("leaf_version", [1, 2])
def test_a_forged_remainder_is_named(ledger_url: str, ledger_name: str, leaf_version: int) -> None:
    """The issue's UPDATE (salt NULL, a changed remainder, no event_redacted) is named."""
    with _open(ledger_url, ledger_name, leaf_version) as ledger:
        ledger.append("meetings", [MEETING, MEETING], actor="clerk")
        if leaf_version == 1:
            _update(ledger, 2, salt=None, payload=FORGED)
            assert _problems(ledger) == [(2, ProblemKind.UNRECORDED_REDACTION)]
            return
        # A v2 row may only become a redaction with its commitments: the bare UPDATE is refused.
        with pytest.raises(sa.exc.DatabaseError, match="only a redaction"):
            _update(ledger, 2, salt=None, payload=FORGED)
        # The insider knows the secret, so can write the salts a redaction would keep.
        _, secret, _ = _row(ledger, 2)
        alg = hash_algorithm(ledger.hash_algorithm)
        original = json.loads(MEETING_JSON)
        kept = after_redaction(alg, original, secret, None, original)
        _update(ledger, 2, salt=None, payload=FORGED, commitments=kept.text())
        assert _problems(ledger) == [(2, ProblemKind.PAYLOAD_DIGEST)]


MEETING_JSON = (
    '{"attendees":283,"body":"party_committee","branch":null,"location":null,'
    '"occurred_on":"2023-05-04","topic":"flood"}'
)


@pytest.mark.parametrize("leaf_version", [1, 2])
def test_a_payload_erased_without_a_redaction_event_is_named(
    ledger_url: str, ledger_name: str, leaf_version: int
) -> None:
    """payload = NULL (with whatever else the trigger wants) and no event_redacted: named."""
    with _open(ledger_url, ledger_name, leaf_version) as ledger:
        ledger.append("meetings", [MEETING, MEETING, MEETING], actor="clerk")
        values: dict[str, str | bytes | None] = {"salt": None, "payload": None}
        if leaf_version == 2:
            _, secret, _ = _row(ledger, 3)
            alg = hash_algorithm(ledger.hash_algorithm)
            original = json.loads(MEETING_JSON)
            values["commitments"] = after_redaction(alg, original, secret, None, None).text()
        _update(ledger, 3, **values)
        problems = _problems(ledger)
        assert problems
        assert {p for p, _ in problems} == {3}
        assert {k for _, k in problems} == {ProblemKind.UNRECORDED_REDACTION}


@pytest.mark.parametrize("leaf_version", [1, 2])
def test_a_junk_remainder_is_named(ledger_url: str, ledger_name: str, leaf_version: int) -> None:
    """A remainder that starts like the redacted form but is not JSON is named at its position."""
    with _open(ledger_url, ledger_name, leaf_version) as ledger:
        ledger.append("meetings", [MEETING, MEETING], actor="clerk")
        values: dict[str, str | bytes | None] = {"salt": None, "payload": '{"$redacted" junk'}
        if leaf_version == 2:
            values["commitments"] = '{"digests":{},"salts":{}}'
        if ledger.store.engine.dialect.name == "postgresql":  # type: ignore[attr-defined]
            # The generated payload_json column parses every stored payload: junk is refused.
            with pytest.raises(sa.exc.DataError, match="json"):
                _update(ledger, 1, **values)
            assert ledger.verify().ok
            return
        _update(ledger, 1, **values)
        assert _problems(ledger) == [(1, ProblemKind.MALFORMED)]


def test_a_v2_redaction_of_a_value_without_its_event_is_named(
    ledger_url: str, ledger_name: str
) -> None:
    """A correct-looking v2 erasure (digest kept, salt gone) with no event_redacted is named."""
    with _open(ledger_url, ledger_name, 2) as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        payload, secret, _ = _row(ledger, 1)
        assert payload is not None
        alg = hash_algorithm(ledger.hash_algorithm)
        data = json.loads(payload)
        remainder = {k: v for k, v in data.items() if k != "member_id"}
        remainder = {"$redacted": ["member_id"], **remainder}
        kept = after_redaction(alg, data, secret, None, remainder)
        text = json.dumps(remainder, separators=(",", ":"), sort_keys=True)
        _update(ledger, 1, salt=None, payload=text, commitments=kept.text())
        assert _problems(ledger) == [(1, ProblemKind.UNRECORDED_REDACTION)]
        assert "member_id" in str(ledger.verify())
        # Recording the redaction makes the same row consistent.
        ledger.redact(visit.event_id, fields=["member_id"], reason="request 7", actor="dpo")
        assert ledger.verify().ok


@pytest.mark.parametrize("leaf_version", [1, 2])
def test_a_restored_value_is_named(ledger_url: str, ledger_name: str, leaf_version: int) -> None:
    """Putting an erased value back (its old payload and salt) is named: a redaction names it."""
    with _open(ledger_url, ledger_name, leaf_version) as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        payload, secret, _ = _row(ledger, 1)
        ledger.redact(visit.event_id, fields=["member_id"], reason="request 7", actor="dpo")
        assert ledger.verify().ok
        # The trigger refuses bringing back the salt...
        with pytest.raises(sa.exc.DatabaseError, match="only a redaction"):
            _update(ledger, 1, salt=secret, payload=payload)
        # ...so the insider puts the value back into the remainder instead.
        stored, _, _kept = _row(ledger, 1)
        assert stored is not None
        data = json.loads(stored)
        data["member_id"] = "M-ZHANG-0042"
        data["$redacted"] = []
        _update(ledger, 1, payload=json.dumps(data, separators=(",", ":"), sort_keys=True))
        problems = _problems(ledger)
        assert problems
        assert {p for p, _ in problems} == {1}
        assert ProblemKind.UNERASED_VALUE in {k for _, k in problems}


def test_a_second_erasure_of_one_field_is_named(ledger_url: str, ledger_name: str) -> None:
    """Two event_redacted naming the same field of one event are named (the API refuses it)."""
    with _open(ledger_url, ledger_name, 2) as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        first = ledger.redact(visit.event_id, fields=["member_id"], reason="a", actor="dpo")
        # Asking again finishes the erasure and records nothing new.
        assert ledger.redact(visit.event_id, fields=["member_id"], reason="b", actor="dpo") == first
        assert ledger.head() == 2
        # Appending a second redaction event behind the API's back is named.
        ledger.append("corrections/visits", [first.payload], actor="dpo")
        assert _problems(ledger) == [(1, ProblemKind.REPEATED_REDACTION)]


def test_a_kept_digest_or_salt_changed_is_named(ledger_url: str, ledger_name: str) -> None:
    """After a real redaction, changing a kept digest or a remaining salt is named."""
    with _open(ledger_url, ledger_name, 2) as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        ledger.redact(visit.event_id, fields=["member_id"], reason="request", actor="dpo")
        _, _, text = _row(ledger, 1)
        assert text is not None
        kept = Commitments.parse(text, 32)
        for changed in (
            Commitments(salts=kept.salts, digests={"member_id": bytes(32)}),
            Commitments(salts={**kept.salts, "in_person": bytes(16)}, digests=kept.digests),
        ):
            _update(ledger, 1, commitments=changed.text())
            assert _problems(ledger) == [(1, ProblemKind.PAYLOAD_DIGEST)]
        _update(ledger, 1, commitments=kept.text())
        assert ledger.verify().ok


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone else"), ("payload_digest", b"\x00" * 32), ("stream", "elsewhere")],
)
def test_the_trigger_refuses_any_other_change(
    ledger_url: str, ledger_name: str, column: str, value: str | bytes
) -> None:
    """A redaction-shaped UPDATE that also touches another column is refused."""
    with _open(ledger_url, ledger_name, 2) as ledger:
        ledger.append("meetings", [MEETING], actor="clerk")
        values: dict[str, str | bytes | None] = {
            "salt": None,
            "payload": None,
            "commitments": '{"digests":{},"salts":{}}',
            column: value,
        }
        with pytest.raises(sa.exc.DatabaseError, match="only a redaction"):
            _update(ledger, 1, **values)
        # In a v1 ledger a v2 commitments column is not part of the redaction form.
    with _open(ledger_url, ledger_name + "-v1", 1) as ledger:
        ledger.append("meetings", [MEETING], actor="clerk")
        with pytest.raises(sa.exc.DatabaseError, match="only a redaction"):
            _update(ledger, 1, salt=None, payload=None, commitments='{"digests":{},"salts":{}}')
