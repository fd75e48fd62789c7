"""Write docs/cli.md from the commands' own help texts, so the reference cannot drift.

Run: python tools/cli_reference.py   (a test fails when docs/cli.md is out of date)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from civicledger.cli import cli

# Each command's twin in the Python API (the CLI is a thin layer over it).
PYTHON_TWINS = {
    "init": "`Ledger.open(url, ledger=...)`",
    "info": "`ledger.store.origin`, `ledger.hash_algorithm`, `ledger.head()`",
    "append": "`ledger.append(stream, [event], expected_version=..., actor=...)`",
    "import": "`ledger.import_jsonl(path)`",
    "export": "`ledger.export_jsonl(path)`",
    "log": "`ledger.read(stream=..., types=..., occurred_between=...)`",
    "correct": "`ledger.correct(event_id, replacement, reason=..., actor=...)`",
    "retract": "`ledger.retract(event_id, reason=..., actor=...)`",
    "redact": "`ledger.redact(event_id, fields=..., reason=..., actor=...)`",
    "personal-data": "`ledger.personal_data(subject, contains=...)`",
    "diff": "`ledger.indicators(..., as_of=seal)`, `ledger.diff(published, current)`",
    "indicators": "`ledger.indicators(set, period=...)`, `ledger.compare(indicator, period)`",
    "explain": "`ledger.compute(indicator, period)`, `ledger.explain(figure, why_not=...)`",
    "report": "`ledger.report(template, period=..., as_of=seal)`, `report.to_markdown()` …",
    "followups": "`ledger.followups(on=...)`, `ledger.export_followups(path)`, "
    "`ledger.import_followups(path, actor=...)`",
    "seal": "`ledger.seal(signer)`",
    "prove": "`ledger.prove(event_id, seal)`",
    "verify": "`ledger.verify()`, `civicledger.audit.verify_proof(text)`",
    "verify-report": "`civicledger.reports.verify_report(report_json, ledger)`",
    "keygen": "`civicledger.audit.generate_key(name)`",
    "projections": "`Runner(projection, ledger.store).catch_up(ledger.projection_positions)`, "
    "`.rebuild(...)`",
    "demo": "the tutorial's steps, end to end",
}

PYTHON_TWINS_DOC = "Python twin"


def help_text(path: list[str]) -> str:
    """The --help output of a command path, as the terminal shows it."""
    command: click.Command = cli
    context = click.Context(
        cli,
        info_name="civicledger",
        terminal_width=88,
        max_content_width=88,
        help_option_names=["-h", "--help"],
    )
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        context = click.Context(command, info_name=name, parent=context, terminal_width=88)
    return command.get_help(context)


def render() -> str:
    """The whole reference page."""
    parts = [
        "# Command-line reference\n",
        "Generated from the commands' `--help` by `tools/cli_reference.py`; do not edit by hand.",
        "Every command is a thin layer over one library call, named under each heading.",
        "Exit status: 0 success, 1 a check failed, 2 a usage or input error.\n",
        "```text",
        help_text([]).rstrip(),
        "```\n",
    ]
    for name, command in cli.commands.items():
        parts.append(f"## `civicledger {name}`\n")
        parts.append(f"{PYTHON_TWINS_DOC}: {PYTHON_TWINS.get(name, '—')}\n")
        parts.extend(["```text", help_text([name]).rstrip(), "```\n"])
        for sub in getattr(command, "commands", {}):
            parts.extend(
                [
                    f"### `civicledger {name} {sub}`\n",
                    "```text",
                    help_text([name, sub]).rstrip(),
                    "```\n",
                ]
            )
    return "\n".join(parts)


def main() -> None:
    """Write docs/cli.md next to this script's repository root."""
    target = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
