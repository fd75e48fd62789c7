"""Rendering the example report in every format, from the example ledger in a SQLite file.

Ours only: neither raw sqlite3 nor eventsourcing produces a report, so there is
no floor or peer; the scenario reports the median per step (computing the report
with ``Ledger.report``, then Markdown, HTML, JSON, DOCX and XLSX) and the total.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.context import Context, Scenario
from benchmarks.harness import ScenarioResult, Series, interleave
from civicledger.ledger import Ledger

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
TITLE = "example report: compute and render Markdown, HTML, JSON, DOCX, XLSX"


def run(ctx: Context) -> ScenarioResult:
    """Compute the example report once per repetition and render it in all five formats."""
    path = ctx.scratch("report-example.db")
    with Ledger.open(f"sqlite:///{path}") as ledger:
        size = ledger.import_jsonl(EXAMPLE / "events.jsonl")
    result = ScenarioResult("report_render", TITLE, size)
    out = ctx.work / "report-out"
    out.mkdir(parents=True, exist_ok=True)

    def whole() -> float:
        with Ledger.open(f"sqlite:///{path}") as ledger:
            t0 = time.perf_counter()
            report = ledger.report(EXAMPLE / "report.toml", year=2023)
            t1 = time.perf_counter()
            report.to_markdown()
            t2 = time.perf_counter()
            report.to_html()
            t3 = time.perf_counter()
            report.to_json()
            t4 = time.perf_counter()
            report.to_docx(out / "report.docx")
            t5 = time.perf_counter()
            report.to_xlsx(out / "report.xlsx")
            t6 = time.perf_counter()
        for name, seconds in (
            ("compute", t1 - t0),
            ("markdown", t2 - t1),
            ("html", t3 - t2),
            ("json", t4 - t3),
            ("docx", t5 - t4),
            ("xlsx", t6 - t5),
        ):
            result.series.setdefault(name, Series(name, "ms")).samples.append(seconds * 1000)
        return (t6 - t0) * 1000

    interleave(result, {"ours": ("ms", whole)}, ctx.repetitions)
    result.extra.update(
        {name: f"{s.median:.1f} ms" for name, s in result.series.items() if name != "ours"}
    )
    result.notes.append(
        "ours is the whole run (compute + five renderers), in ms; no floor or peer renders reports."
    )
    return result


SCENARIOS = (
    Scenario(
        "report_render",
        TITLE,
        "ms to compute the example 2023 report from its ledger (Ledger.report) and render it "
        "to Markdown, HTML, JSON, DOCX and XLSX; ours only.",
        run,
    ),
)
