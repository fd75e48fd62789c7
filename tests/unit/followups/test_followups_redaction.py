"""Redacting a measure's owner keeps the measure in the rectification ledger."""

from __future__ import annotations

from datetime import date

from civicledger import Ledger
from civicledger.catalog.followups import ProblemIdentified, ProblemSource, RectificationPlanned
from civicledger.followups.fold import REDACTED_MARK


def test_a_redacted_owner_shows_as_erased_and_the_measure_stays() -> None:
    """After redacting `owner`, followups still lists the measure, its owner marked erased."""
    with Ledger.in_memory() as ledger:
        identified = ProblemIdentified(
            occurred_on=date(2023, 6, 1),
            problem_id="2023-01",
            source=ProblemSource.SELF_REVIEW,
            description="外出登记不规范",
            category="工作纪律",
        )
        planned = RectificationPlanned(
            occurred_on=date(2023, 6, 2),
            problem_id="2023-01",
            measure_id="m1",
            description="每日核对外出登记本",
            owner="张某",
            unit="社区居委会",
            due_on=date(2023, 9, 30),
        )
        ledger.append("problem/2023-01", [identified, planned], actor="office")
        [_, recorded] = list(ledger.read())
        ledger.redact(recorded.event_id, fields=["owner"], reason="erasure request", actor="dpo")
        [row] = ledger.followups(on=date(2023, 12, 31))
        [measure] = row.measures
        assert measure.owner == REDACTED_MARK
        assert measure.description == "每日核对外出登记本"
        assert ledger.verify().ok
