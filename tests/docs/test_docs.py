"""The documentation runs as written: transcripts, Python blocks, README snippets, the site build.

How transcripts are run and compared is described in docs_transcripts.py (and,
for readers, at the top of docs/tutorial.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docs_transcripts import ROOT, Command, blocks, matches, run_page, run_python, steps

DOCS = ROOT / "docs"
RUNNABLE_PAGES = [
    DOCS / "index.md",
    DOCS / "tutorial.md",
    DOCS / "jsonl.md",
    DOCS / "analysis.md",
    *sorted((DOCS / "howto").glob("*.md")),
]


@pytest.mark.parametrize("page", RUNNABLE_PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_command_prints_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    """Each command and Python block of the page runs in order and prints what is shown."""
    mismatches = run_page(page, tmp_path)
    assert not mismatches, "\n\n".join(str(m) for m in mismatches)


def test_the_tutorial_has_transcripts_and_python() -> None:
    """The tutorial is made of runnable steps (a parser that found none would pass vacuously)."""
    found = steps(DOCS / "tutorial.md")
    commands = [c for s in found if s.kind == "transcript" for c in s.commands]
    assert len(commands) >= 20
    assert sum(s.kind == "python" for s in found) >= 3


def test_a_transcript_line_that_differs_is_reported(tmp_path: Path) -> None:
    """A page whose shown output is wrong fails, naming the page, the line and both outputs."""
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ civicledger --db x.db init\n…\n$ civicledger --db x.db info\n"
        "ledger          default\nevents          7\n```\n",
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    [mismatch] = run_page(page, work)
    assert mismatch.line == 4
    assert "events          0" in mismatch.actual


def test_a_python_block_that_prints_otherwise_is_reported(tmp_path: Path) -> None:
    """A ```text block after a Python block is its expected output, and a difference fails."""
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(6 * 7)\n```\n\n```text\n41\n```\n\n"
        "```python\nprint('same')\n```\n\n```text\nsame\n```\n",
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    [mismatch] = run_page(page, work)
    assert (mismatch.line, mismatch.expected, mismatch.actual) == (2, ["41"], ["42"])


def test_elision_and_masks_follow_the_documented_rules() -> None:
    """`…` stands for any lines; ledger-made ids, times, origins and hashes are masked."""
    assert matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…"], ["a"])
    assert matches(["…", "c", "…"], ["a", "c", "e"])
    assert not matches(["a", "…", "d"], ["a", "b", "c"])
    assert not matches(["a", "…", "x", "…"], ["a", "b"])
    assert matches(
        ["id 01a21f8e-ce50-701e-9d6a-177e5e2a4fbc at 2026-11-28T00:29:48.353079Z  "],
        ["id 01a21f8e-0000-7000-8000-000000000000 at 2027-01-01T00:00:00Z"],
    )
    assert matches(
        ["origin civicledger.local/x/0e9e4539f7cb87ad878dccbb6737e467"],
        ["origin civicledger.local/x/11111111111111111111111111111111"],
    )
    # Ids from the example file (version 4) and every number are compared exactly.
    assert not matches(
        ["c33be68f-c3b2-46b4-b55f-22f7891fbb46"], ["c33be68f-c3b2-46b4-b55f-22f7891fbb47"]
    )
    assert not matches(["精确值：283 人"], ["精确值：284 人"])


def test_continued_commands_and_skipped_blocks_are_parsed(tmp_path: Path) -> None:
    """A trailing backslash continues a command; a block after the skip mark is not run."""
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ civicledger --db x.db \\\n    info\nout\n```\n\n"
        "<!-- docs-test: skip -->\n```python\nraise SystemExit\n```\n"
        "```bash\nplain listing, not run\n```\n",
        encoding="utf-8",
    )
    [step] = steps(page)
    assert step.commands == [Command(2, "civicledger --db x.db \\\n    info", ["out"])]


def test_readme_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of README.md runs, in order, from an empty folder."""
    readme = ROOT / "README.md"
    snippets = blocks(readme)
    assert snippets, "README.md has no python snippet"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for snippet in snippets:
        run_python(snippet, readme, namespace)


def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    """`mkdocs build --strict` passes: every page is in the nav and every link resolves."""
    if shutil.which("mkdocs") is None and not _has_module("mkdocs"):
        pytest.skip("mkdocs is not installed (pip install -e '.[dev]' installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_api_reference_is_up_to_date() -> None:
    """docs/api.md is what tools/api_reference.py generates from the current code."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "api_reference", ROOT / "tools" / "api_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    actual = (DOCS / "api.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/api.md is stale; run: python tools/api_reference.py"


def test_api_reference_lists_every_public_ledger_method() -> None:
    """Every public Ledger member appears on the API page, grouped or under "Other methods"."""
    from civicledger import Ledger

    page = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in (n for n in vars(Ledger) if not n.startswith("_")):
        assert re.search(rf"^`{name}[(:]", page, flags=re.M), name
