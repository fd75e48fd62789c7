"""docs/storage.md agrees with the code: its snippet runs and its call table is exact."""

from __future__ import annotations

import inspect
import re

import pytest
from docs_transcripts import ROOT, blocks, run_python

from civicledger import Ledger

PAGE = ROOT / "docs" / "storage.md"
DOC = PAGE.read_text(encoding="utf-8")


def test_python_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The page's Python example runs and prints the conflict it provokes."""
    (code,) = blocks(PAGE)
    run_python(code, PAGE)
    assert "'household/17': expected version NO_STREAM" in capsys.readouterr().out


@pytest.mark.parametrize(
    "method", ["open", "in_memory", "append", "append_batch", "read", "read_stream", "subscribe"]
)
def test_call_table_shows_each_signature(method: str) -> None:
    """Each facade call in the table is written with its real parameters and defaults."""
    signature = inspect.signature(getattr(Ledger, method))
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls"):
            continue
        assert re.search(rf"`[^`]*\b{method}\([^`]*\b{name}\b", DOC), (method, name)
        if parameter.default is not inspect.Parameter.empty:
            shown = repr(parameter.default).replace("'", '"')
            assert re.search(rf"`[^`]*\b{method}\([^`]*\b{name}={re.escape(shown)}", DOC), (
                method,
                name,
                shown,
            )
