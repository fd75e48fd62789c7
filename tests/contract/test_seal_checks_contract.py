"""Rendering from a seal checks the seal (issue 14, item 7), on SQLite and PostgreSQL.

An insider changes stored rows with raw SQL (triggers switched off for the change);
``ledger.report(..., as_of=seal)`` must then refuse, naming the seal and the first
changed position, and ``verify_report`` must blame the ledger, not the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from test_audit_contract import tampering

from civicledger import Ledger, ValidationError, VerificationError
from civicledger.audit import Signer
from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.catalog.vocabularies import TrainingProgramme
from civicledger.catalog.welfare import TrainingHeld
from civicledger.errors import SealMismatchError
from civicledger.reports import verify_report
from evidence_testkit import run_verifier
from report_testkit import INDICATORS, ONE_SECTION, trainings, write_template

# The trainings' two indicators of the shared set: this ledger has no mediations.
ONLY_TRAININGS = "[[indicator]]".join(INDICATORS.split("[[indicator]]")[:3])

BODY = ONE_SECTION.split('  [[sections.items]]\n  text = "调解成功率')[0]


@pytest.fixture
def sealed(ledger_url: str, ledger_name: str, tmp_path: Path) -> Iterator[tuple[Ledger, Path]]:
    """Four sealed trainings (283 trainees) and a template over them."""
    origin = f"example.invalid/{ledger_name}"
    with Ledger.open(ledger_url, ledger=ledger_name, origin=origin) as led:
        for number, training in enumerate(trainings(), start=1):
            led.append(f"training/2023-{number}", [training], actor="clerk")
        yield led, write_template(tmp_path, BODY, indicators=ONLY_TRAININGS)


def _change(ledger: Ledger, position: int, column: str, old: str, new: str) -> None:
    with tampering(ledger) as conn:
        conn.execute(
            text(
                f"UPDATE civicledger_events SET {column} = replace({column}, :old, :new) "
                "WHERE ledger_id = :id AND position = :p"
            ),
            {"id": ledger.store.ledger_id, "p": position, "old": old, "new": new},  # type: ignore[attr-defined]
        )


def test_an_intact_ledger_renders_from_its_seal(sealed: tuple[Ledger, Path]) -> None:
    """Nothing changed: the report renders as of the seal and verifies."""
    ledger, template = sealed
    seal = ledger.seal()
    report = ledger.report(template, period="2023", as_of=seal)
    assert "280余人" in report.to_markdown()
    assert verify_report(report.to_json(), ledger).ok


@pytest.mark.parametrize(
    ("column", "old", "new"),
    [("payload", '"attendees":71', '"attendees":98'), ("actor", "clerk", "mallory")],
)
def test_a_changed_row_under_the_seal_is_refused_naming_its_position(
    sealed: tuple[Ledger, Path], column: str, old: str, new: str
) -> None:
    """A payload value or an envelope column changed at position 2: rendering as of the
    seal is refused naming the seal and position 2; verifying the published report says
    the ledger no longer matches the seal."""
    ledger, template = sealed
    seal = ledger.seal()
    published = ledger.report(template, period="2023", as_of=seal).to_json()
    _change(ledger, 2, column, old, new)
    with pytest.raises(SealMismatchError) as caught:
        ledger.report(template, period="2023", as_of=seal)
    assert caught.value.position == 2
    assert caught.value.tree_size == 4
    message = str(caught.value)
    assert f"the seal of {ledger.origin} at size 4" in message
    assert "position 2:" in message
    check = verify_report(published, ledger)
    assert not check.ok
    assert check.ledger_changed
    assert str(check).startswith("report NOT checked: the ledger no longer matches the seal")
    assert "position 2:" in str(check)
    assert "figure" not in str(check)  # no figure is blamed


def test_a_report_not_from_a_seal_is_not_checked_against_one(sealed: tuple[Ledger, Path]) -> None:
    """Without a seal nothing is claimed, so a report of the current rows still renders."""
    ledger, template = sealed
    _change(ledger, 2, "payload", '"attendees":71', '"attendees":98')
    assert "精确值 310" in ledger.report(template, period="2023").to_markdown()


def test_a_seal_of_another_ledger_is_refused(
    sealed: tuple[Ledger, Path], ledger_url: str, ledger_name: str
) -> None:
    """A seal made by another ledger is refused by name before anything is read."""
    ledger, template = sealed
    with Ledger.open(ledger_url, ledger=ledger_name + "-other") as other:
        other.append(
            "training/x",
            [
                TrainingHeld(
                    occurred_on=date(2023, 1, 1),
                    programme=TrainingProgramme.REEMPLOYMENT,
                    title="x",
                    attendees=1,
                )
            ],
            actor="a",
        )
        foreign = other.seal()
    with pytest.raises(ValidationError, match=f"seal is for {other.origin}"):
        ledger.report(template, period="2023", as_of=foreign)


def test_a_redaction_after_the_seal_does_not_break_it(sealed: tuple[Ledger, Path]) -> None:
    """Erasing a personal value under the seal, by a recorded redaction after it, keeps the
    seal's root: the report still renders from the seal and still verifies."""
    ledger, template = sealed
    note = NarrativeNoteRecorded(
        occurred_on=date(2023, 3, 1), section="work", key="k", text="常态走访。", author="王某"
    )
    (recorded,) = ledger.append("notes", [note], actor="secretary")
    seal = ledger.seal()
    published = ledger.report(template, period="2023", as_of=seal).to_json()
    ledger.redact(recorded.event_id, fields=["author"], reason="erasure request", actor="dpo")
    assert ledger.report(template, period="2023", as_of=seal).to_json() == published
    assert verify_report(published, ledger).ok


def test_an_evidence_bundle_from_a_sql_ledger_checks_offline(
    sealed: tuple[Ledger, Path], tmp_path: Path
) -> None:
    """The bundle of a sealed report of a SQL ledger verifies with the standalone script; after
    a stored value under the seal is changed, no bundle is written."""
    ledger, template = sealed
    office = Signer.generate("example.invalid/office")
    seal = ledger.seal(office)
    report = ledger.report(template, period="2023", as_of=seal)
    key = office.verifier().to_text()
    ledger.evidence(report, seal, tmp_path / "e.zip", public_key=key)
    result = run_verifier(tmp_path / "e.zip")
    assert result.returncode == 0, result.stdout
    assert "280余人): checked" in result.stdout
    _change(ledger, 2, "payload", '"attendees":71', '"attendees":98')
    with pytest.raises(VerificationError, match="no longer matches the report's seal"):
        ledger.evidence(report, seal, tmp_path / "after.zip", public_key=key)
    assert not (tmp_path / "after.zip").exists()
