"""Charts of a report: each value a chart shows is the count of its span's events."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicledger import Ledger
from civicledger.catalog.governance import MediationCompleted
from civicledger.catalog.vocabularies import DisputeKind, MediationOutcome
from civicledger.reports.model import Num
from report_testkit import write_template

pytest.importorskip("matplotlib")

CHART = """
[[sections]]
key = "compare"
heading = "同比"

  [[sections.items]]
  kind = "chart"
  chart = "grouped_bar"
  by = "quarter"
  previous_year = true
  ids = ["mediation.completed"]
"""


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.lists(st.dates(date(2021, 12, 1), date(2024, 1, 31)), max_size=25))
def test_a_quarterly_pair_shows_each_quarters_count(days: list[date], tmp_path: Path) -> None:
    """By quarter against the year before: every bar is the number of mediations dated in
    its quarter of its year (dates outside both years count nowhere), and links to the
    appendix entry of that quarter."""
    ledger = Ledger.in_memory()
    for number, day in enumerate(days):
        mediation = MediationCompleted(
            occurred_on=day,
            case_id=f"TJ-{number}",
            dispute_kind=DisputeKind.NEIGHBOURHOOD,
            parties=2,
            outcome=MediationOutcome.ORAL_AGREEMENT,
        )
        ledger.append(f"mediation/{number}", [mediation], actor="mediator")
    report = ledger.report(write_template(tmp_path, CHART), year=2023)
    (item,) = report.sections[0].items
    assert item.table is not None
    entries = {e.ref: e for e in report.figures}
    quarters = Counter((d.year, (d.month + 2) // 3) for d in days)
    for quarter, (_, now, then, _) in enumerate(item.table.rows, start=1):
        for cell, year in ((now, 2023), (then, 2022)):
            (num,) = cell
            assert isinstance(num, Num)
            assert int(num.exact) == quarters[(year, quarter)]
            assert num.ref is not None
            assert entries[num.ref].period == f"{year}-Q{quarter}"
