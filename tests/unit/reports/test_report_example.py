"""The example community's 2023 report: the seed's structure and figures, golden files,
sealed re-rendering and verification."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import pytest

from civicledger.audit import Seal
from civicledger.catalog.notes import NarrativeNoteRecorded
from civicledger.catalog.vocabularies import TrainingProgramme
from civicledger.catalog.welfare import TrainingHeld
from civicledger.ledger import Ledger
from civicledger.reports import Report, load_template, verify_report
from civicledger.reports.model import plain_text
from civicledger.reports.render.chart import _cjk_fonts

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "community_2023"
GOLDEN = ROOT / "tests" / "golden" / "community_2023"
UPDATE = os.environ.get("CIVICLEDGER_UPDATE_GOLDEN") == "1"  # regenerate: set it and run this file


def _example_ledger() -> Ledger:
    ledger = Ledger.in_memory(origin="example.invalid/xx-community")
    ledger.import_jsonl(EXAMPLE / "events.jsonl")
    return ledger


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The example ledger, imported once; tests that append use their own copy."""
    return _example_ledger()


@pytest.fixture(scope="module")
def report(ledger: Ledger) -> Report:
    """The example report as of the ledger's head."""
    return ledger.report(EXAMPLE / "report.toml", year=2023)


# Lineage lists are most of the report's JSON (every contributing event of every figure);
# the golden file keeps each as its length and digest, so a change to one still fails
# the comparison while the file stays small enough to review. Lineage itself has its
# own tests (tests/unit/projections, the evidence bundle tests).
_DIGESTED = ("contributions", "excluded_events")


def _golden_json(text: str) -> str:
    """The report's JSON as its golden file holds it: lineage lists as count and digest."""

    def compact(value: object) -> object:
        if isinstance(value, dict):
            return {
                k: _digest(v) if k in _DIGESTED and isinstance(v, list) else compact(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [compact(v) for v in value]
        return value

    return json.dumps(compact(json.loads(text)), ensure_ascii=False, indent=2) + "\n"


def _digest(items: list[object]) -> dict[str, object]:
    canonical = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {"count": len(items), "sha256": hashlib.sha256(canonical.encode()).hexdigest()}


def test_the_golden_json_digest_sees_a_changed_contribution(report: Report) -> None:
    """Editing one contributing event's value changes the compact form the golden file holds."""
    data = json.loads(report.to_json())
    figure = next(f for f in data["figures"] if f["lineage"]["contributions"])
    original = _golden_json(json.dumps(data))
    figure["lineage"]["contributions"][0]["amount"] = 999999
    assert _golden_json(json.dumps(data)) != original
    assert len(original) < len(report.to_json()) // 5


def _text(report: Report) -> str:
    return "\n".join(item.marker + plain_text(item.spans) for _, item in report.walk_items())


def test_example_report_has_the_seed_structure(report: Report) -> None:
    """一、工作开展情况 with five sub-sections, 二、存在问题 and the 2024 outlook."""
    assert report.title == "XX社区党委2023年工作报告"
    assert [s.marker + s.heading for s in report.sections] == [
        "一、工作开展情况",
        "二、存在问题",
        "三、2024年工作打算",
    ]
    assert [s.marker for s in report.sections[0].sections] == [
        "（一）",
        "（二）",
        "（三）",
        "（四）",
        "（五）",
    ]
    assert report.sections[0].sections[3].heading == "民政低保、劳动保障、计划生育、老龄工作"


@pytest.mark.parametrize(
    "phrase",
    ["256名", "26名", "3000户", "9支", "四次", "3个", "600余家", "4次", "280余人", "5个", "41个"],
)
def test_example_report_states_every_seed_figure(report: Report, phrase: str) -> None:
    """Each figure of the seed report appears, phrased as the seed phrases it."""
    assert phrase in _text(report)


def test_example_report_lists_the_four_problems_and_carries_them_over(report: Report) -> None:
    """存在问题 enumerates four follow-ups 一是…四是; the outlook carries the open ones over."""
    problems = [i for i in report.sections[1].items if i.kind == "followup"]
    assert [i.marker for i in problems] == ["一是", "二是", "三是", "四是"]
    assert "四个方面问题" in plain_text(report.sections[1].intro[0].spans)
    carried = [i for i in report.sections[2].items if i.kind == "followup"]
    assert len(carried) == 4
    assert {i.lineage["problem_id"] for i in carried if i.lineage} == {
        "2023-01",
        "2023-02",
        "2023-03",
        "2023-04",
    }
    assert len(report.followups) == 4


def test_every_number_links_to_an_appendix_entry_with_lineage(report: Report) -> None:
    """Every figure span points at an appendix entry whose lineage holds the same value."""
    entries = {e.ref: e for e in report.figures}
    for _, item in report.walk_items():
        for cell in [
            item.spans,
            *(c for row in (item.table.rows if item.table else ()) for c in row),
        ]:
            for span in cell:
                ref = getattr(span, "ref", None)
                if ref is not None:
                    lineage = entries[ref].lineage
                    if lineage["numerator"] is not None:
                        parts = (lineage["numerator"]["value"], lineage["denominator"]["value"])
                        assert span.exact == "{}/{}".format(*parts)
                    else:
                        assert span.exact == str(lineage["value"])


@pytest.mark.parametrize("suffix", ["md", "html", "json"])
def test_example_report_matches_its_golden_file(report: Report, suffix: str) -> None:
    """Markdown, HTML and JSON are byte-identical to the reviewed golden files."""
    if suffix == "html" and not _cjk_fonts():
        pytest.skip("the charts' label positions follow Noto CJK's metrics (fonts-noto-cjk)")
    rendered = {
        "md": report.to_markdown,
        "html": report.to_html,
        "json": lambda: _golden_json(report.to_json()),
    }[suffix]()
    golden = GOLDEN / f"report.{suffix}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", ["md", "json"])
@pytest.mark.parametrize(
    ("period", "name"), [("2023-01..2023-11", "2023-01_2023-11"), ("2023-Q4", "2023-Q4")]
)
def test_example_report_for_a_shorter_period_matches_its_golden_file(
    ledger: Ledger, period: str, name: str, suffix: str
) -> None:
    """The same template over 1—11月 and over the fourth quarter: reviewed golden files."""
    report = ledger.report(EXAMPLE / "report.toml", period=period)
    rendered = report.to_markdown() if suffix == "md" else _golden_json(report.to_json())
    golden = GOLDEN / f"report_{name}.{suffix}"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")
    assert report.period == period
    assert "2023年" not in report.title.replace(report.period_label, "")


def test_rendering_twice_gives_the_same_bytes(
    ledger: Ledger, report: Report, tmp_path: Path
) -> None:
    """Same ledger prefix and template: same Markdown, HTML, JSON, DOCX and XLSX bytes."""
    again = ledger.report(load_template(EXAMPLE / "report.toml"), year=2023)
    assert again.to_json() == report.to_json()
    for suffix, write in (("docx", Report.to_docx), ("xlsx", Report.to_xlsx)):
        write(report, tmp_path / f"a.{suffix}")
        write(again, tmp_path / f"b.{suffix}")
        assert (tmp_path / f"a.{suffix}").read_bytes() == (tmp_path / f"b.{suffix}").read_bytes()


def _append_more(ledger: Ledger) -> None:
    """Append events that would change the 2023 report if they counted."""
    training = TrainingHeld(
        occurred_on=date(2023, 12, 28),
        programme=TrainingProgramme.REEMPLOYMENT,
        title="补录的一期培训",
        attendees=50,
    )
    note = NarrativeNoteRecorded(
        occurred_on=date(2023, 12, 30),
        section="outlook",
        key="2024",
        text="改写的打算。",
        author="某",
    )
    ledger.append("training/late", [training], actor="clerk")
    ledger.append("notes/late", [note], actor="secretary")


@pytest.fixture(scope="module")
def sealed() -> tuple[Ledger, Seal, Report, Report]:
    """A ledger sealed, its report as of the seal, more events appended, the report again."""
    ledger = _example_ledger()
    seal = ledger.seal()
    template = load_template(EXAMPLE / "report.toml")
    before = ledger.report(template, year=2023, as_of=seal)
    _append_more(ledger)
    return ledger, seal, before, ledger.report(template, year=2023, as_of=seal)


def test_a_sealed_report_re_renders_identically_after_more_events(
    sealed: tuple[Ledger, Seal, Report, Report],
) -> None:
    """as_of=seal reads exactly the sealed events: appending later changes no byte."""
    ledger, _, before, after = sealed
    assert (after.to_markdown(), after.to_html(), after.to_json()) == (
        before.to_markdown(),
        before.to_html(),
        before.to_json(),
    )
    now = ledger.report(EXAMPLE / "report.toml", year=2023)
    assert now.to_json() != before.to_json()  # the head has moved on
    assert "改写的打算。" in _text(now)
    assert "改写的打算。" not in _text(before)


def test_a_sealed_report_embeds_the_checkpoint_and_template_digest(
    sealed: tuple[Ledger, Seal, Report, Report],
) -> None:
    """JSON, HTML and Markdown carry the seal's checkpoint text and the template's SHA-256."""
    _, seal, report, _ = sealed
    data = json.loads(report.to_json())
    assert data["as_of"]["checkpoint"] == seal.text
    assert data["as_of"]["root_hash"] == seal.root_hash.hex()
    digest = hashlib.sha256((EXAMPLE / "report.toml").read_bytes()).hexdigest()
    assert data["template"]["sha256"] == digest
    for rendered in (report.to_html(), report.to_markdown()):
        assert seal.text.splitlines()[2] in rendered
        assert digest in rendered


def test_verify_report_accepts_a_sealed_report_after_appends(
    sealed: tuple[Ledger, Seal, Report, Report],
) -> None:
    """A sealed report still verifies once more events are appended after the seal."""
    ledger, _, report, _ = sealed
    check = verify_report(report.to_json(), ledger)
    assert check.ok, str(check)
    assert check.figures_checked == len(report.figures)


def test_verify_report_refuses_a_seal_of_another_ledger(
    sealed: tuple[Ledger, Seal, Report, Report], ledger: Ledger
) -> None:
    """A seal whose root another ledger does not reproduce fails: its events are not the sealed."""
    _, _, published, _ = sealed
    check = verify_report(published.to_json(), ledger)  # same events, other salts: another tree
    assert not check.ok
    assert check.ledger_changed
    assert "the ledger no longer matches the report's seal" in check.problems[0]
    assert "or the seal was not made by this ledger" in check.problems[0]


def test_verify_report_names_a_changed_figure(ledger: Ledger, report: Report) -> None:
    """A figure edited in the published JSON is reported with both values."""
    data = json.loads(report.to_json())
    index = next(
        i
        for i, f in enumerate(data["figures"])
        if f["indicator"] == "employment.reemployment_trainees"
    )
    data["figures"][index]["value"] = "290"
    check = verify_report(data, ledger)
    assert not check.ok
    assert check.problems == (
        f"figure F{index + 1} (employment.reemployment_trainees): the report says '290', "
        "the ledger gives '283'",
    )


def test_verify_report_names_an_edited_sentence(ledger: Ledger, report: Report) -> None:
    """Text changed after rendering is found and located."""
    data = json.loads(report.to_json())
    data["sections"][1]["intro"][0]["text"] = "没有问题。"
    check = verify_report(data, ledger)
    assert check.problems == ("the report differs from the ledger at sections[1].intro[0].text",)


def test_verify_report_refuses_a_tampered_template(ledger: Ledger, report: Report) -> None:
    """The embedded template must match its digest."""
    data = json.loads(report.to_json())
    data["template"]["source"] += "\n# edited"
    assert (
        verify_report(data, ledger).problems[0]
        == "the embedded template does not match its SHA-256"
    )
