"""The names of the rectification ledger's roll-up figures, for indicator sets.

An indicator set may declare a roll-up figure under the office's own id
(``followups = "completion_rate"``, see ``docs/indicators.md``). Loading the set
checks the name here; the figures themselves are computed by
:mod:`civicledger.followups`, a higher layer, which takes its ids from this table
so the two cannot drift apart.
"""

from __future__ import annotations

import attrs

__all__ = ["ROLLUP_FIGURES", "RollupName", "rollup_name"]


@attrs.frozen
class RollupName:
    """One roll-up figure an indicator may name.

    Attributes:
        name: the name after ``followups.`` (``"completion_rate"``).
        group_by: the group its figures are broken down by (empty: one figure).
        additive: whether its groups add up to a whole (a rule may sum them).
    """

    name: str
    group_by: tuple[str, ...] = ()
    additive: bool = True


ROLLUP_FIGURES: tuple[RollupName, ...] = (
    RollupName("total"),
    RollupName("done"),
    RollupName("overdue"),
    RollupName("completion_rate", additive=False),
    RollupName("on_time_rate", additive=False),
    RollupName("done_on_time"),
    RollupName("done_with_deadline"),
    RollupName("average_days_to_resolve", additive=False),
    RollupName("days_to_resolve"),
    RollupName("resolved"),
    RollupName("by_status", ("status",)),
    RollupName("completion_rate_by_category", ("category",), additive=False),
    RollupName("done_by_category", ("category",)),
    RollupName("total_by_category", ("category",)),
    # A follow-up with measures in two units counts in both: unit groups do not add up.
    RollupName("completion_rate_by_unit", ("unit",), additive=False),
    RollupName("done_by_unit", ("unit",), additive=False),
    RollupName("total_by_unit", ("unit",), additive=False),
)
"""Every roll-up figure, ratio parts included, in the order ``followups.FIGURE_IDS`` lists."""


def rollup_name(name: str) -> RollupName | None:
    """The roll-up figure called ``name``, or None if there is none."""
    return next((r for r in ROLLUP_FIGURES if r.name == name), None)
