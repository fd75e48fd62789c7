"""Notebook display: figures, figure lists, series and reports as escaped HTML with their
derivation one click away."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from civicledger import Ledger
from civicledger.projections import FigureList, Indicator, IndicatorSet
from civicledger.projections.display import SHOWN_CONTRIBUTIONS
from civicledger.reports import load_template

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "community_2023"


class _Tags(HTMLParser):
    """Collects start tags and checks every opened element is closed."""

    VOID: ClassVar[set[str]] = {"br", "meta", "img"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert self.open[-1] == tag, f"</{tag}> closes <{self.open[-1]}>"
        self.open.pop()


def _parse(text: str) -> _Tags:
    tags = _Tags()
    tags.feed(text)
    tags.close()
    assert tags.open == []
    return tags


def test_a_figure_shows_its_value_and_folds_its_derivation(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """The value is visible; the definition and events sit in a <details> element."""
    figure = example_ledger.compute(example_set["employment.reemployment_trainees"], "2023")
    text = figure._repr_html_()
    tags = _parse(text)
    assert "details" in tags.tags
    assert "<b>283 人</b>" in text
    visible, folded = text.split("<details>", 1)
    assert "employment.reemployment_trainees" not in visible
    assert "employment.reemployment_trainees" in folded
    assert str(figure.contributions[0].event_id) in folded


def test_many_contributions_are_counted_not_all_listed(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """A figure of 256 members lists the first events and says how many more there are."""
    figure = example_ledger.compute(example_set["party.contact_members"], "2023")
    text = figure._repr_html_()
    assert text.count("<tr><td>") == SHOWN_CONTRIBUTIONS
    assert f"另有 {len(figure.contributions) - SHOWN_CONTRIBUTIONS} 条" in text


def test_text_from_the_ledger_is_escaped() -> None:
    """A label with markup shows as text, never as markup."""
    ledger = Ledger.in_memory()
    indicator = Indicator("x.m", "<script>alert(1)</script>", "次", source="meeting_held")
    text = ledger.compute(indicator, "2023")._repr_html_()
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    _parse(text)


def test_an_indicator_table_has_a_row_and_a_derivation_per_figure(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """Each figure of example_ledger.indicators is one row with its own folded derivation."""
    figures = example_ledger.indicators(example_set, period="2023")
    assert isinstance(figures, FigureList)
    text = figures._repr_html_()
    tags = _parse(text)
    assert tags.tags.count("details") == len(figures)
    assert "志愿服务时长" in text
    assert "2964.5 小时" in text


def test_a_series_table_shows_the_year_before(
    example_ledger: Ledger, example_set: IndicatorSet
) -> None:
    """A series with its year earlier has a 上年同期 column."""
    series = example_ledger.series(
        example_set["volunteer.cleanups"], "2023", by="quarter", previous_year=True
    )
    text = series._repr_html_()
    _parse(text)
    assert "<th>上年同期</th>" in text
    assert text.count("<details>") == 4


def test_a_report_in_a_notebook_links_numbers_to_folded_derivations(example_ledger: Ledger) -> None:
    """Every number links to a <details> derivation in the same fragment; no page script."""
    report = example_ledger.report(load_template(EXAMPLE / "report.toml"), period="2023")
    text = report._repr_html_()
    _parse(text)
    assert "<script" not in text
    assert "<html" not in text
    for entry in report.figures:
        assert f'<details class="derivation" id="{entry.ref}">' in text
        assert f'href="#{entry.ref}"' in text
