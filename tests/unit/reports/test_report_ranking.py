"""Top N over a grouped figure: places, ties stated, every number linked to its figure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import ProjectionError, TemplateError
from civicledger.ledger import Ledger
from civicledger.projections import AsOf, Indicator, Period
from civicledger.projections.figures import Figure
from civicledger.projections.ranking import rank
from civicledger.reports import Num
from civicledger.reports.ranked import ranking_text
from report_testkit import small_ledger, write_template

GROUPED = Indicator("a.by_area", "按片区", "个", source=["x"], group_by=["area"])


def _figures(values: dict[str, int | None]) -> list[Figure]:
    return [
        Figure(GROUPED, Period.year(2023), v, AsOf(1), group=(("area", k),))
        for k, v in values.items()
    ]


def _text(values: dict[str, int | None], n: int) -> str:
    return ranking_text(rank(_figures(values), n), lambda e: f"{e.figure.value}个")


def test_the_top_three_in_order() -> None:
    """Largest first; the words name each group with its figure."""
    text = _text({"城东": 5, "城西": 12, "城南": 9, "城北": 1}, 3)
    assert text == "城西（12个）、城南（9个）、城东（5个）"


def test_a_tie_shares_a_place_and_says_so() -> None:
    """Equal figures share a place (1, 2, 2, 4) and read 并列第二; ties in group-text order."""
    text = _text({"甲": 12, "乙": 10, "丙": 10, "丁": 3}, 3)
    assert text == "甲（12个）、丙（10个，并列第二）、乙（10个，并列第二）"


def test_a_tie_at_the_last_place_brings_every_tied_group_in() -> None:
    """Top 2 with a tie for second shows three groups, none silently dropped."""
    text = _text({"甲": 12, "乙": 10, "丙": 10}, 2)
    assert text == "甲（12个）、丙（10个，并列第二）、乙（10个，并列第二）"


def test_undefined_figures_take_no_place() -> None:
    """A group without a value is not ranked."""
    assert _text({"甲": None, "乙": 1}, 3) == "乙（1个）"


@pytest.mark.parametrize("n", [0, -1, True])
def test_a_bad_n_is_refused(n: int) -> None:
    """A ranking shows at least one place."""
    with pytest.raises(ProjectionError, match="at least 1 place"):
        rank(_figures({"甲": 1}), n)


@given(st.dictionaries(st.sampled_from("甲乙丙丁戊己庚"), st.integers(0, 5)), st.integers(1, 4))
def test_places_are_competition_ranks_and_nothing_tied_is_cut(
    values: dict[str, int], n: int
) -> None:
    """Each place is 1 + the number of larger values; every group placed <= n is shown."""
    placed = rank(_figures(values), n)
    for entry in placed:
        larger = sum(1 for v in values.values() if v > entry.figure.value)  # type: ignore[operator]
        assert entry.place == larger + 1
        assert entry.tied == (list(values.values()).count(entry.figure.value) > 1)
    shown = {e.figure.group[0][1] for e in placed}
    expected = {k for k, v in values.items() if 1 + sum(1 for w in values.values() if w > v) <= n}
    assert shown == expected


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The small ledger: inspections passed at city level twice, district once."""
    return small_ledger()


def _sentence(ledger: Ledger, folder: Path, text: str):  # type: ignore[no-untyped-def]
    body = '[[sections]]\nkey = "a"\nheading = "甲"\n\n'
    body += f"  [[sections.items]]\n  text = '{text}'\n"
    return ledger.report(write_template(folder, body), year=2023)


def test_a_template_states_the_top_groups_with_linked_numbers(
    ledger: Ledger, tmp_path: Path
) -> None:
    """top() in a sentence: each number is linked to its group's figure in the appendix."""
    text = '居前的是{{ top("inspection.passed_by_level", 2, "exact:次") }}。'
    report = _sentence(ledger, tmp_path, text)
    [(_, item)] = list(report.walk_items())
    # Vocabulary keys are shown by their labels (city -> 市级).
    assert "".join(s.text for s in item.spans) == "居前的是市级（2次）、区级（1次）。"
    nums = [s for s in item.spans if isinstance(s, Num)]
    assert [(n.exact, n.rule) for n in nums] == [("2", "exact+次"), ("1", "exact+次")]
    groups = [f.lineage["group"] for f in report.figures]
    assert groups == [{"level": "city"}, {"level": "district"}]


def test_top_of_an_ungrouped_or_unknown_indicator_is_refused(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Only a grouped indicator of the set can be ranked; the error names the line."""
    with pytest.raises(TemplateError, match="top\\(\\) needs a grouped indicator"):
        _sentence(ledger, tmp_path, '{{ top("mediation.completed", 3) }}')
    with pytest.raises(TemplateError, match=r"unknown indicator 'no\.such'"):
        _sentence(ledger, tmp_path, '{{ top("no.such", 3) }}')
