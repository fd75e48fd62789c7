"""The example's 2023 report as an evidence bundle, and bundles of random ledgers and
indicator sets: the standalone verifier recomputes every figure (issue 14, items 4-5)."""

from __future__ import annotations

import json
import textwrap
import zipfile
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.audit import Signer
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome, TrainingProgramme
from civicledger.catalog.welfare import TrainingHeld
from civicledger.events import default_registry, is_personal
from evidence_testkit import run_verifier

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


@pytest.mark.slow
def test_the_example_report_gives_a_bundle_where_every_figure_is_checked_or_partly(
    tmp_path: Path,
) -> None:
    """Every figure of the 2023 report is checked, or partly checked saying it reads a
    personal field; no personal field is disclosed anywhere in the bundle."""
    office = Signer.generate("example.invalid/office")
    with Ledger.in_memory(origin="example.invalid/xx-community") as ledger:
        ledger.import_jsonl(EXAMPLE / "events.jsonl")
        seal = ledger.seal(office)
        report = ledger.report(EXAMPLE / "report.toml", year=2023, as_of=seal)
        summary = ledger.evidence(
            report, seal, tmp_path / "evidence.zip", public_key=office.verifier().to_text()
        )
    # The figures of contacts between members and households read their personal ids.
    contacts = {e.ref for e in report.figures if e.indicator.startswith("party.contact_")}
    assert len(contacts) == 3
    assert {ref for ref, _ in summary.checked_to_envelopes} == contacts
    result = run_verifier(tmp_path / "evidence.zip")
    assert result.returncode == 0, result.stdout
    lines = [line for line in result.stdout.splitlines() if line[:1] == "F"]
    assert len(lines) == len(report.figures)
    for line in lines:
        assert line.endswith(": checked") or (
            ": partly checked — " in line and "declared personal" in line
        ), line
    assert "F5 employment.reemployment_trainees = 283 (283, 280余人): checked" in lines
    personal = {
        (name, a.name)
        for (name, _), cls in default_registry().classes.items()
        for a in attrs.fields(cls)
        if is_personal(a)
    }
    with zipfile.ZipFile(tmp_path / "evidence.zip") as archive:
        for entry in archive.namelist():
            if entry.endswith(".jsonl") and entry != "envelopes.jsonl":
                for line in archive.read(entry).splitlines():
                    data = json.loads(line)
                    kind = json.loads(data["envelope"])["type"]
                    assert not {(kind, n) for _, n, _ in data["disclosed"]} & personal


INDICATORS = st.lists(
    st.sampled_from(
        [
            ('source = ["training_held"]', 'measure = { sum = "attendees" }'),
            ('source = ["training_held"]\nwhere = \'programme == "reemployment"\'', ""),
            ('source = ["training_held"]\nwhere = "attendees >= 20 and free == true"', ""),
            ('source = ["training_held"]\ngroup_by = ["programme"]', ""),
            ('source = ["mediation_completed"]', 'measure = { count_distinct = "dispute_kind" }'),
            ('source = ["mediation_completed"]\nwhere = \'outcome != "failed"\'', ""),
            ('source = ["mediation_completed"]', 'measure = { latest = "parties" }'),
        ]
    ),
    min_size=1,
    max_size=4,
    unique=True,
)
TRAININGS = st.lists(
    st.tuples(
        st.integers(1, 12),
        st.sampled_from(list(TrainingProgramme)),
        st.integers(0, 40),
        st.booleans(),
    ),
    max_size=8,
)
MEDIATIONS = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(list(MediationOutcome)), st.integers(2, 5)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(INDICATORS, TRAININGS, MEDIATIONS, st.integers(2022, 2023))
def test_random_ledgers_and_indicators_check_in_full(
    tmp_path: Path,
    indicators: list[tuple[str, str]],
    trainings: list[tuple[int, TrainingProgramme, int, bool]],
    mediations: list[tuple[int, MediationOutcome, int]],
    year: int,
) -> None:
    """For random events and indicator definitions, every figure of the bundle checks."""
    with Ledger.in_memory(origin="example.invalid/random") as ledger:
        # One more training in 2023, so a grouped indicator always has a group to show.
        dated = [(year, *t) for t in trainings] + [
            (2023, 6, TrainingProgramme.REEMPLOYMENT, 5, True)
        ]
        for when, month, programme, attendees, free in dated:
            training = TrainingHeld(
                occurred_on=date(when, month, 1),
                programme=programme,
                title="培训",
                attendees=attendees,
                free=free,
            )
            ledger.append("training", [training], actor="clerk")
        for month, outcome, parties in mediations:
            mediation = MediationCompleted(
                occurred_on=date(2023, month, 2),
                case_id=f"TJ-{month}",
                dispute_kind=DisputeKind.NEIGHBOURHOOD,
                parties=parties,
                outcome=outcome,
            )
            ledger.append("mediation", [mediation], actor="mediator")
        text = "".join(
            f'[[indicator]]\nid = "t.i{n}"\nlabel = "x"\nunit = "次"\n{source}\n{measure}\n\n'
            for n, (source, measure) in enumerate(indicators)
        )
        (tmp_path / "indicators.toml").write_text(text, encoding="utf-8")
        ids = ", ".join(f'"t.i{n}"' for n in range(len(indicators)))
        template = tmp_path / "report.toml"
        template.write_text(
            textwrap.dedent(
                f"""\
                [report]
                title = "{{{{ year }}}}"
                indicators = "indicators.toml"

                [[sections]]
                key = "s"
                heading = "数据"

                  [[sections.items]]
                  kind = "indicators"
                  ids = [{ids}]
                """
            ),
            encoding="utf-8",
        )
        office = Signer.generate("example.invalid/office")
        seal = ledger.seal(office)
        report = ledger.report(template, year=2023, as_of=seal)
        ledger.evidence(report, seal, tmp_path / "e.zip", public_key=office.verifier().to_text())
    result = run_verifier(tmp_path / "e.zip")
    assert result.returncode == 0, result.stdout
    figures = [line for line in result.stdout.splitlines() if line[:1] == "F"]
    assert len(figures) == len(report.figures)
    assert all(line.endswith(": checked") for line in figures), figures
