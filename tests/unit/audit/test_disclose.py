"""Issue 14, item 2: disclosing single payload values, through the API and the CLI."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.audit import verify_proof
from civicledger.catalog.meetings import MeetingHeld
from civicledger.catalog.party import HouseholdVisited
from civicledger.catalog.vocabularies import MeetingBody
from civicledger.cli import cli
from civicledger.errors import ValidationError, VerificationError
from civicledger.merkle.disclosure import Disclosure

MEETING = MeetingHeld(
    occurred_on=date(2023, 5, 4), body=MeetingBody.PARTY_COMMITTEE, topic="flood", attendees=68
)
VISIT = HouseholdVisited(
    occurred_on=date(2023, 5, 5), member_id="M-1", household_id="H-7", in_person=True
)


@pytest.mark.parametrize("hash_name", ["sha256", "sm3"])
def test_disclosed_values_check_against_the_sealed_envelope(hash_name: str) -> None:
    """The disclosure verifies; its envelope is the one the event's proof ties to the seal."""
    with Ledger.in_memory(hash_algorithm=hash_name) as ledger:
        (meeting,) = ledger.append("meetings", [MEETING], actor="clerk")
        found = ledger.disclose(meeting.event_id, ["attendees"])
        found.verify()
        assert found.values() == {"attendees": 68}
        assert len(found.withheld) == 5  # body, branch, location, occurred_on, topic
        proof = verify_proof(ledger.prove(meeting.event_id, ledger.seal()))
        assert json.loads(found.envelope) == proof.envelope
        assert Disclosure.from_json(json.loads(json.dumps(found.to_json()))) == found


def test_a_changed_value_or_a_foreign_envelope_fails() -> None:
    """Changing the disclosed value, or pairing it with another event's envelope, fails."""
    with Ledger.in_memory() as ledger:
        first, second = ledger.append("meetings", [MEETING, MEETING], actor="clerk")
        found = ledger.disclose(first.event_id, ["attendees"])
        data = found.to_json()
        data["disclosed"][0][2] = 98
        with pytest.raises(VerificationError, match="attendees"):
            Disclosure.from_json(data).verify()
        other = ledger.disclose(second.event_id, ["attendees"])
        data = found.to_json() | {"envelope": other.envelope.decode()}
        with pytest.raises(VerificationError, match="event_id"):
            Disclosure.from_json(data).verify()


def test_refusals_name_the_field_and_say_why() -> None:
    """Personal without asking, unknown, redacted, an empty list: each a clear error."""
    with Ledger.in_memory() as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
        with pytest.raises(ValidationError, match=r"member_id .*personal.*include_personal=True"):
            ledger.disclose(visit.event_id, ["in_person", "member_id"])
        assert ledger.disclose(visit.event_id, ["member_id"], include_personal=True).values() == {
            "member_id": "M-1"
        }
        with pytest.raises(ValidationError, match="no such field; it has concern, household_id"):
            ledger.disclose(visit.event_id, ["visitor"])
        with pytest.raises(ValidationError, match="non-empty list"):
            ledger.disclose(visit.event_id, [])
        with pytest.raises(ValidationError, match="no event with id"):
            ledger.disclose("0190c7e2-8a7b-7c3d-9e1f-2a3b4c5d6e7f", ["in_person"])
        ledger.redact(visit.event_id, fields=["member_id"], reason="request", actor="dpo")
        with pytest.raises(ValidationError, match=r"member_id .*was redacted"):
            ledger.disclose(visit.event_id, ["member_id"], include_personal=True)
        # The rest of a redacted event still discloses and verifies.
        ledger.disclose(visit.event_id, ["in_person"]).verify()


def test_a_v1_ledger_refuses_with_the_reason() -> None:
    """v1 leaves commit to the whole payload: disclosure says so."""
    from civicledger.store import MemoryStore

    with Ledger(MemoryStore(leaf_version=1)) as ledger:
        (meeting,) = ledger.append("meetings", [MEETING], actor="clerk")
        with pytest.raises(ValidationError, match=r"leaf format v1.*whole payload"):
            ledger.disclose(meeting.event_id, ["attendees"])


def test_the_disclose_command(tmp_path: Path) -> None:
    """`civicledger disclose` writes the JSON form; personal fields need --include-personal."""
    db = tmp_path / "l.db"
    with Ledger.open(f"sqlite:///{db}") as ledger:
        (visit,) = ledger.append("visits", [VISIT], actor="clerk")
    runner = CliRunner()
    out = tmp_path / "d.json"
    base = ["--db", str(db), "disclose", str(visit.event_id)]
    result = runner.invoke(cli, [*base, "--field", "in_person", "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = Disclosure.from_json(json.loads(out.read_text()))
    found.verify()
    assert found.values() == {"in_person": True}
    result = runner.invoke(cli, [*base, "--field", "household_id"])
    assert result.exit_code == 2
    assert re.search(r"household_id .*personal.*--include-personal", result.output)
    result = runner.invoke(cli, [*base, "--field", "household_id", "--include-personal"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["disclosed"][0][1:] == ["household_id", "H-7"]


def test_from_json_names_what_is_wrong() -> None:
    """A malformed disclosure file is refused with the member at fault."""
    with Ledger.in_memory() as ledger:
        (meeting,) = ledger.append("meetings", [MEETING], actor="clerk")
        good = ledger.disclose(meeting.event_id, ["attendees"]).to_json()
    for change, member in [
        ({"format": "x"}, "format"),
        ({"position": "1"}, "position"),
        ({"disclosed": [["zz", "attendees", 68]]}, "disclosed"),
        ({"withheld": ["00"]}, "withheld"),
        ({"hash": "md5"}, "hash"),
    ]:
        with pytest.raises(ValidationError, match=member):
            Disclosure.from_json(good | change)
    with pytest.raises(ValidationError, match="event_id"):
        Disclosure.from_json({k: v for k, v in good.items() if k != "event_id"})


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def meetings(request: pytest.FixtureRequest, tmp_path: Path, ledger_name: str) -> Iterator[Ledger]:
    """A ledger of 700 meetings and one visit (position 701), on each backend."""
    if request.param == "memory":
        ledger = Ledger.in_memory()
    elif request.param == "sqlite":
        ledger = Ledger.open(f"sqlite:///{tmp_path / 'l.db'}")
    else:
        ledger = Ledger.open(request.getfixturevalue("postgres_url"), ledger_name)
    with ledger:
        ledger.append("meetings", [MEETING] * 700, actor="clerk")
        ledger.append("visits", [VISIT], actor="clerk")
        yield ledger


def test_disclosing_by_position_gives_what_disclose_gives_in_the_order_asked(
    meetings: Ledger,
) -> None:
    """Positions far apart and close together, one asked twice with other fields: each
    disclosure equals disclose() of that event's id, and comes back where it was asked."""
    ids = {r.position: r.event_id for r in meetings.read()}
    asked: list[tuple[int, list[str]]] = [
        (700, ["attendees"]),
        (1, ["topic", "attendees"]),
        (350, ["body"]),
        (1, ["occurred_on"]),
        (2, ["attendees"]),
        (701, ["in_person"]),
        (699, ["topic"]),
    ]
    found = meetings.audit.disclose_positions(asked)
    assert found == [meetings.disclose(ids[p], fields) for p, fields in asked]
    assert [d.position for d in found] == [p for p, _ in asked]
    for disclosure in found:
        disclosure.verify()
    assert meetings.audit.disclose_positions([]) == []


@pytest.mark.parametrize("position", [0, 702, -1, True, "3", 2.0, None])
def test_disclosing_a_position_the_ledger_lacks_names_it(meetings: Ledger, position: Any) -> None:
    with pytest.raises(ValidationError, match=rf"{re.escape(repr(position))} is not a position"):
        meetings.audit.disclose_positions([(1, ["topic"]), (position, ["topic"])])


def test_disclosing_by_position_refuses_as_disclose_does(meetings: Ledger) -> None:
    """A personal field not asked for, an unknown field, an empty list: the same errors."""
    with pytest.raises(ValidationError, match=r"member_id .*personal.*include_personal=True"):
        meetings.audit.disclose_positions([(1, ["topic"]), (701, ["member_id"])])
    [visit] = meetings.audit.disclose_positions([(701, ["member_id"])], include_personal=True)
    assert visit.values() == {"member_id": "M-1"}
    with pytest.raises(ValidationError, match="no such field"):
        meetings.audit.disclose_positions([(2, ["visitor"])])
    with pytest.raises(ValidationError, match="non-empty list"):
        meetings.audit.disclose_positions([(2, [])])


def test_disclosing_a_row_deleted_or_changed_around_the_store_names_it(tmp_path: Path) -> None:
    """An insider deletes one row and changes another (the triggers dropped): disclosing
    either names its position and says to run verify()."""
    path = tmp_path / "l.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.append("meetings", [MEETING] * 5, actor="clerk")
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER civicledger_events_no_delete")
        db.execute("DROP TRIGGER civicledger_events_redaction_only")
        db.execute("DELETE FROM civicledger_events WHERE position = 3")
        db.execute(
            "UPDATE civicledger_events SET payload = replace(payload, '68', '98') "
            "WHERE position = 4"
        )
    with Ledger.open(f"sqlite:///{path}", create=False) as ledger:
        with pytest.raises(VerificationError, match=r"position 3: its row is missing"):
            ledger.audit.disclose_positions([(2, ["attendees"]), (3, ["attendees"])])
        with pytest.raises(VerificationError, match=r"position 4 .*run verify\(\)"):
            ledger.audit.disclose_positions([(4, ["attendees"])])


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ledger, dict[int, Any]]]:
    """A SQLite ledger of 1,200 meetings: room for runs split by gaps of every size."""
    path = tmp_path_factory.mktemp("spread") / "l.db"
    with Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.append("meetings", [MEETING] * 1200, actor="clerk")
        yield ledger, {r.position: r.event_id for r in ledger.read()}


@given(
    st.lists(
        st.tuples(
            st.integers(1, 1200),
            st.lists(st.sampled_from(["attendees", "body", "topic"]), min_size=1, unique=True),
        ),
        max_size=12,
    )
)
def test_any_requests_by_position_give_what_disclose_gives(
    spread: tuple[Ledger, dict[int, Any]], asked: list[tuple[int, list[str]]]
) -> None:
    """Whatever positions are asked, in any order, near or far apart, repeated or not."""
    ledger, ids = spread
    assert ledger.audit.disclose_positions(asked) == [
        ledger.disclose(ids[position], fields) for position, fields in asked
    ]
