"""docs/indicators.md stays true: its TOML loads and its worked example is what the code prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicledger import Ledger
from civicledger import indicators as ind

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "community_2023"


def blocks(language: str) -> list[str]:
    """The fenced code blocks of the page in one language ('' for unlabelled ones)."""
    found: list[str] = []
    current: list[str] | None = None
    keep = False
    for line in DOC.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, keep = [], line.strip() == f"```{language}"
            else:
                if keep:
                    found.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return found


@pytest.mark.parametrize("text", [b for b in blocks("toml") if "[[indicator]]" in b])
def test_each_toml_example_in_the_docs_loads(text: str) -> None:
    """Every TOML snippet with indicators is a valid indicator set."""
    assert len(ind.loads(text, source="docs/indicators.md")) >= 1


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """The example ledger."""
    import civicledger.catalog  # noqa: F401 - registers the catalog's event types

    ledger = Ledger.in_memory()
    ledger.import_jsonl(EXAMPLE / "events.jsonl")
    return ledger


def test_worked_explanation_is_what_explain_prints(ledger: Ledger) -> None:
    """The 280余人 walk-through is the exact output of ledger.explain for the example."""
    indicator = ind.load(EXAMPLE / "indicators.toml")["employment.reemployment_trainees"]
    text = ledger.explain(ledger.compute(indicator, 2023))
    (shown,) = [b for b in blocks("") if b.startswith("## 指标 employment.reemployment_trainees")]
    assert shown == text


def test_worked_why_not_is_what_explain_prints(ledger: Ledger) -> None:
    """The why-not example is the output for that event, up to line wrapping."""
    indicator = ind.load(EXAMPLE / "indicators.toml")["employment.reemployment_trainees"]
    (shown,) = [b for b in blocks("") if b.startswith("Event 16b10914")]
    text = ledger.explain(
        ledger.compute(indicator, 2023),
        why_not="16b10914-6725-4c7e-b53c-248121cf25ab",
        language="en",
    )
    assert " ".join(shown.split()) == " ".join(text.split())
