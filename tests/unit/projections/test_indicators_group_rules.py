"""Rules over grouped figures: groups add up to their total; each group within bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger import ValidationError
from civicledger.indicators import dumps, loads
from civicledger.projections import Period, check_rules, compute_from_source
from projection_testkit import MEETING_SET, Body, Log, meeting

YEAR = Period.year(2023)

SET = (
    MEETING_SET
    + """
[[indicator]]
id = "m.by_body"
label = "会议（按机构）"
unit = "次"
source = ["ptest.meeting_held"]
group_by = ["body"]

[[indicator]]
id = "m.attendees"
label = "参会人次"
unit = "人次"
source = ["ptest.meeting_held"]
measure = { sum = "attendees" }

[[rule]]
id = "m.counts_add_up"
check = "m.by_body == m.all"

[[rule]]
id = "m.sums_add_up"
check = "m.attendees_by_body == m.attendees"

[[rule]]
id = "m.not_only_committee"
check = "m.by_body == m.committee"

[[rule]]
id = "m.each_body_at_most_three"
check = "m.by_body <= 3"
"""
)


def _results(meetings: list[tuple[int, Body]]) -> dict[str, list[object]]:
    log = Log()
    log.extend([meeting(n + 1, body=b, attendees=a) for n, (a, b) in enumerate(meetings)])
    indicator_set = loads(SET)
    figures = compute_from_source(log, [(i, YEAR) for i in indicator_set])
    results: dict[str, list[object]] = {}
    for result in check_rules(indicator_set, figures):
        results.setdefault(result.rule.id, []).append(result)
    return results


def test_groups_adding_up_to_the_total_pass_once_per_period() -> None:
    """A grouped count beside an ungrouped one stands for the sum of its groups."""
    results = _results([(5, Body.COMMITTEE), (7, Body.ASSEMBLY), (9, Body.ASSEMBLY)])
    [counts] = results["m.counts_add_up"]
    assert (counts.left, counts.right, counts.passed, counts.group) == (3, 3, True, ())  # type: ignore[attr-defined]
    [other] = results["m.not_only_committee"]
    assert (other.left, other.right, other.passed) == (3, 1, False)  # type: ignore[attr-defined]
    assert "FAILED" in str(other)


def test_a_rule_over_grouped_figures_alone_checks_each_group() -> None:
    """m.by_body <= 3 is checked for every group."""
    results = _results([(1, Body.COMMITTEE)] * 4 + [(1, Body.ASSEMBLY)])
    verdicts = {r.group: r.passed for r in results["m.each_body_at_most_three"]}  # type: ignore[attr-defined]
    assert verdicts == {(("body", "assembly"),): True, (("body", "committee"),): False}


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(list(Body))), max_size=15))
def test_groups_always_sum_to_the_total_for_counts_and_sums(
    meetings: list[tuple[int, Body]],
) -> None:
    """For any ledger, the groups of a count and of a sum add up to the ungrouped figure."""
    results = _results(meetings)
    for rule in ("m.counts_add_up", "m.sums_add_up"):
        [result] = results[rule]
        assert result.passed is True, str(result)  # type: ignore[attr-defined]


def test_a_printed_value_is_checked_within_its_tolerance() -> None:
    """A hand-typed draft's number agrees when within the stated tolerance, and says ±."""
    text = SET + (
        '\n[[rule]]\nid = "m.draft_says_three"\ncheck = "m.all == 3"\ntolerance = 1\n'
        '\n[[rule]]\nid = "m.draft_says_ten"\ncheck = "m.all == 10"\ntolerance = "0.5"\n'
    )
    indicator_set = loads(text)
    log = Log()
    log.extend([meeting(n + 1) for n in range(4)])
    figures = compute_from_source(log, [(i, YEAR) for i in indicator_set])
    verdicts = {r.rule.id: r for r in check_rules(indicator_set, figures)}
    assert verdicts["m.draft_says_three"].passed is True
    assert verdicts["m.draft_says_ten"].passed is False
    assert "m.all == 10 ± 0.5: 4 == 10 — FAILED" in str(verdicts["m.draft_says_ten"])
    assert loads(dumps(indicator_set)) == indicator_set


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('check = "m.all <= 3"\ntolerance = 1', "only applies to '=='"),
        ('check = "m.all == 3"\ntolerance = 0.5', "write it as an integer or as text"),
        ('check = "m.all == 3"\ntolerance = "-1"', "must be a number >= 0"),
        ('check = "m.all == 3"\ntolerance = "x"', "must be a number >= 0"),
    ],
)
def test_a_bad_tolerance_is_refused(extra: str, message: str) -> None:
    """Tolerances are for '==' only, never floats, never negative."""
    with pytest.raises(ValidationError, match=message):
        loads(SET + f'\n[[rule]]\nid = "m.bad"\n{extra}\n')
