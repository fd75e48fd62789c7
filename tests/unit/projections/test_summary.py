"""The summary of a large figure's contributions: which ones it shows as the largest."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from civicledger.projections.figures import Contribution, Number
from civicledger.projections.summary import LARGEST_SHOWN, contribution_row, summary_lines

HEADER = ["| position | day | id | type | amount | key |", "|---|---|---|---|---|---|"]

amounts = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.decimals(min_value=-5, max_value=5, places=2, allow_nan=False, allow_infinity=False),
)


def _contributions(amounts: list[Number], repeats: list[int]) -> list[Contribution]:
    """Contributions in ledger order; an event that brought several keys repeats its position."""
    found = []
    position = 0
    for index, (amount, repeat) in enumerate(zip(amounts, repeats, strict=True)):
        position += 0 if repeat else 1
        found.append(
            Contribution(
                uuid.UUID(int=index),
                position,
                date(2023, 1 + index % 12, 1),
                "t.done",
                f"s-{index}",
                amount,
                key=f"k{index}",
            )
        )
    return found


@given(st.lists(st.tuples(amounts, st.booleans()), min_size=2, max_size=40))
def test_the_largest_are_the_first_by_size_then_position_in_ledger_order(
    drawn: list[tuple[Number, bool]],
) -> None:
    """The rows shown are the first LARGEST_SHOWN of every contribution sorted by absolute
    amount (largest first), then position, ties kept in ledger order."""
    contributions = _contributions([a for a, _ in drawn], [int(r) for _, r in drawn])
    lines = summary_lines(contributions, 1, "en", HEADER)
    expected = sorted(contributions, key=lambda c: (-abs(Decimal(c.amount)), c.position))
    shown = [contribution_row(c) for c in expected[:LARGEST_SHOWN]]
    assert lines[-len(shown) :] == shown
    assert lines[-len(shown) - 2 : -len(shown)] == HEADER
