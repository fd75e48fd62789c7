"""Run the code in a documentation page and compare what it prints with what the page shows.

A page is read as a sequence of steps, in page order:

- a ```console / ```bash / ```shell block with lines starting ``$ `` is a
  *transcript*: each ``$ command`` runs (a trailing backslash continues it on
  the next line) and its output must equal the lines that follow it, up to the
  next ``$ ``. ``civicledger …`` commands run in process (through click's test
  runner: standard output and standard error interleaved, as a terminal shows
  them); any other command runs under ``bash``. Blocks without ``$ `` lines are
  command listings for the reader and are not run.
- a ```python block runs with ``exec`` in one namespace per page; a ```text
  block right after it (only blank lines between) is what it must print.
- a block right after the comment ``<!-- docs-test: skip -->`` is not run (used
  only where a step needs a server the test cannot assume, e.g. PostgreSQL).

Every page runs in a fresh directory holding a copy of ``examples/community_2023``
(as the tutorial asks the reader to set up), with ``CIVICLEDGER_DB`` unset.

Comparison rules (documented in docs/tutorial.md too):

- trailing spaces and trailing blank lines are ignored;
- a line that is just ``…`` in the docs stands for any number of lines (zero or more);
- values that change from run to run are masked on both sides before comparing:
  UUIDs the ledger makes at append time (version 7), timestamps
  (``2026-01-01T00:00:00.123Z``), the random part of a generated origin
  (``civicledger.local/NAME/<32 hex digits>``), the 8-digit key id in a verifier
  key (``NAME+<keyid>+KEY``, ``NAME+<keyid>``), hex strings of 40 digits or more
  (digests and roots), and base64 strings of 40 characters or more (roots,
  proof hashes, signatures, keys). Fixed ids from the example file (version 4
  UUIDs), positions, counts and every figure are compared exactly.

Run ``python tests/docs/docs_transcripts.py docs/tutorial.md`` to print what each
command really prints now, and ``python tests/docs/docs_transcripts.py --fill PAGE``
to write the output under every command that shows none yet (then trim it by
hand; commands that already show output are left alone).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "community_2023"

ELLIPSIS = "…"
SKIP_MARK = "<!-- docs-test: skip -->"
SHELL_LANGUAGES = {"console", "bash", "shell", "sh"}

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[A-Za-z0-9_+-]*)\s*$")

_MASKS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
        "<uuid7>",
    ),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"), "<time>"),
    (re.compile(r"(civicledger\.local/[^/\s]+/)[0-9a-f]{32}\b"), r"\1<random>"),
    (re.compile(r"\+[0-9a-f]{8}\b"), "+<keyid>"),
    (re.compile(r"\b[0-9a-f]{40,}\b"), "<hex>"),
    (re.compile(r"[A-Za-z0-9+/]{40,}={0,2}"), "<base64>"),
]


@dataclass
class Command:
    """One ``$ command`` of a transcript and the output the page shows for it."""

    line: int
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Step:
    """A runnable block of a page: a transcript (commands) or Python code."""

    kind: str  # "transcript" or "python"
    line: int
    commands: list[Command] = field(default_factory=list)
    code: str = ""
    output: list[str] | None = None  # a Python block's expected standard output, if shown


def steps(page: Path) -> list[Step]:
    """The runnable steps of a Markdown page, in page order.

    Args:
        page: the Markdown file.

    Returns:
        Transcripts and Python blocks, skipping blocks marked ``docs-test: skip``.
    """
    lines = page.read_text(encoding="utf-8").splitlines()
    result: list[Step] = []
    i = 0
    skip_next = False
    # A ```text block right after a Python block (nothing but blank lines between)
    # shows what that block prints.
    after_python = False
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            if lines[i].strip() == SKIP_MARK:
                skip_next = True
            elif lines[i].strip():
                skip_next = False
                after_python = False
            i += 1
            continue
        indent, lang = len(match["indent"]), match["lang"].lower()
        start = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:])
            i += 1
        i += 1  # the closing fence
        if skip_next:
            skip_next = False
            after_python = False
            continue
        if lang == "text" and after_python:
            result[-1].output = body
        elif lang == "python":
            result.append(Step("python", start + 1, code="\n".join(body) + "\n"))
        elif lang in SHELL_LANGUAGES and any(b.startswith("$ ") for b in body):
            result.append(Step("transcript", start, commands=_commands(body, start)))
        after_python = lang == "python"
    return result


def blocks(page: Path, language: str = "python", *, section: str | None = None) -> list[str]:
    """The bodies of a page's fenced blocks in one language, in page order.

    The one reader of code blocks for the doc tests that check a page piece by piece
    (:func:`steps` reads a whole runnable page).

    Args:
        page: the Markdown file.
        language: the fence's info string (``""``: fences without one).
        section: only the blocks under the ``## section`` heading (up to the next ``## ``).

    Returns:
        Each block's text, unindented, ending with a newline.
    """
    text = page.read_text(encoding="utf-8")
    if section is not None:
        text = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = text.splitlines()
    found: list[str] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        i += 1
        if not match:
            continue
        indent, body = len(match["indent"]), []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:])
            i += 1
        i += 1  # the closing fence
        if match["lang"] == language:
            found.append("\n".join(body) + "\n")
    return found


def run_python(code: str, page: Path, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a page's Python block (tracebacks name the page) and return its namespace."""
    namespace = {} if namespace is None else namespace
    exec(compile(code, page.relative_to(ROOT).as_posix(), "exec"), namespace)
    return namespace


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    continuing = False
    for offset, text in enumerate(body):
        if continuing:
            commands[-1].text += "\n" + text
            continuing = text.endswith("\\")
        elif text.startswith("$ "):
            commands.append(Command(first_line + offset + 1, text[2:]))
            continuing = text.endswith("\\")
        elif commands:
            commands[-1].expected.append(text)
    return commands


def mask(text: str) -> str:
    """Replace the values that change from run to run with fixed markers."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def normalise(lines: list[str]) -> list[str]:
    """Masked lines without trailing spaces, without trailing blank lines."""
    out = [mask(line).rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether actual output fits the expected lines, a ``…`` line standing for any lines."""
    want, got = normalise(expected), normalise(actual)
    parts: list[list[str]] = [[]]
    for line in want:
        if line.strip() == ELLIPSIS:
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return want == got
    head, *middle, tail = parts
    if got[: len(head)] != head or len(got) < len(head) + len(tail):
        return False
    end = len(got) - len(tail)
    if tail and got[end:] != tail:
        return False
    cursor = len(head)
    for part in middle:
        found = _find(got, part, cursor, end)
        if found < 0:
            return False
        cursor = found + len(part)
    return True


def _find(haystack: list[str], needle: list[str], start: int, end: int) -> int:
    for i in range(start, end - len(needle) + 1):
        if haystack[i : i + len(needle)] == needle:
            return i
    return -1


def run_command(text: str, cwd: Path) -> tuple[int, str]:
    """Run one transcript command in ``cwd``; return its exit status and what it printed.

    ``civicledger`` commands run in process (fast, and the same code the console
    script calls); anything else runs under bash.
    """
    joined = text.replace("\\\n", " ")
    words = shlex.split(joined)
    if words and words[0] == "civicledger":
        from click.testing import CliRunner

        from civicledger.cli import cli

        with _chdir(cwd):
            result = CliRunner().invoke(cli, words[1:], prog_name="civicledger")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output
    env = {k: v for k, v in os.environ.items() if k != "CIVICLEDGER_DB"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-c", joined],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _page_session(workdir: Path) -> Iterator[None]:
    """Run as a reader would: the folder importable (like ``python`` started there),
    ``CIVICLEDGER_DB`` unset; afterwards, forget the modules the page wrote."""
    old_db = os.environ.pop("CIVICLEDGER_DB", None)
    sys.path.insert(0, str(workdir))
    try:
        yield
    finally:
        sys.path.remove(str(workdir))
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None) or ""
            if origin.startswith(str(workdir)):
                del sys.modules[name]
        if old_db is not None:
            os.environ["CIVICLEDGER_DB"] = old_db


def _run(page: Path, workdir: Path) -> Iterator[tuple[Command, int, str]]:
    """Run a page's steps in order in ``workdir``; yield each command with its status and output."""
    prepare(workdir)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    with _page_session(workdir):
        for step in steps(page):
            if step.kind == "python":
                # Padding keeps tracebacks pointing at the page's own line numbers.
                padded = "\n" * (step.line - 1) + step.code
                printed = io.StringIO()
                with _chdir(workdir), contextlib.redirect_stdout(printed):
                    exec(compile(padded, str(page), "exec"), namespace)
                if step.output is not None:
                    python = Command(step.line, "(the Python block above)", step.output)
                    yield python, 0, printed.getvalue()
                continue
            for command in step.commands:
                status, output = run_command(command.text, workdir)
                yield command, status, output


def prepare(workdir: Path) -> None:
    """Set a page's working folder up as the tutorial tells the reader to."""
    shutil.copytree(
        ROOT / "examples",
        workdir / "examples",
        ignore=shutil.ignore_patterns("__pycache__", "*.db", "*.db-*"),
    )


@dataclass
class Mismatch:
    """A command whose output differs from the page."""

    page: str
    line: int
    command: str
    expected: list[str]
    actual: list[str]

    def __str__(self) -> str:
        return (
            f"{self.page}:{self.line}: $ {self.command}\n"
            f"--- the page shows\n" + "\n".join(self.expected) + "\n"
            "--- the command printed\n" + "\n".join(self.actual)
        )


def run_page(page: Path, workdir: Path) -> list[Mismatch]:
    """Run every step of a page in ``workdir``; return the commands whose output differs.

    A Python block that raises stops the page (the exception propagates, naming
    the page and line in its traceback).
    """
    name = page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else str(page)
    mismatches: list[Mismatch] = []
    for command, _, output in _run(page, workdir):
        actual = output.splitlines()
        if not matches(command.expected, actual):
            mismatches.append(Mismatch(name, command.line, command.text, command.expected, actual))
    return mismatches


def _print_transcripts(page: Path) -> None:
    """Print every command of a page with what it prints now, for pasting into the page."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for command, status, output in _run(page, Path(tmp)):
            print(f"# line {command.line}, exit {status}")
            print(f"$ {command.text}")
            print(output.rstrip("\n"))
            print()


def fill(page: Path, *, keep_head: int = 14, keep_tail: int = 4) -> int:
    """Write the real output under every command of a page that shows none yet.

    Long outputs keep their first ``keep_head`` and last ``keep_tail`` lines
    around a ``…`` line; edit the page afterwards to keep the lines that matter.

    Returns:
        How many commands were filled in.
    """
    import tempfile

    lines = page.read_text(encoding="utf-8").splitlines()
    inserts: dict[int, list[str]] = {}  # 0-based index of a command's last line -> output
    with tempfile.TemporaryDirectory() as tmp:
        for command, _, output in _run(page, Path(tmp)):
            if command.expected or command.text.startswith("("):
                continue
            out = [line.rstrip() for line in output.rstrip("\n").splitlines()]
            if len(out) > keep_head + keep_tail + 1:
                out = [*out[:keep_head], ELLIPSIS, *out[-keep_tail:]]
            inserts[command.line - 1 + command.text.count("\n")] = out
    for index in sorted(inserts, reverse=True):
        lines[index + 1 : index + 1] = inserts[index]
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(inserts)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fill"]:
        for argument in sys.argv[2:]:
            print(argument, fill(Path(argument).resolve()), "commands filled in")
    else:
        for argument in sys.argv[1:]:
            _print_transcripts(Path(argument).resolve())
