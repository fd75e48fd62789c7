"""The disclose command: single payload values of an event, checkable against its leaf."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import output_option, pass_ledger, write_output


def register(group: click.Group) -> None:
    """Add the command to the root group."""
    group.add_command(disclose)


@click.command()
@click.argument("event_id")
@click.option(
    "--field",
    "fields",
    multiple=True,
    required=True,
    help="A top-level payload field to disclose (repeatable).",
)
@click.option(
    "--include-personal",
    is_flag=True,
    help="Also disclose fields declared personal (refused without this flag).",
)
@output_option
@pass_ledger
def disclose(
    ledger: Any,
    event_id: str,
    fields: tuple[str, ...],
    include_personal: bool,
    output: Path | None,
) -> None:
    """Write the disclosure of some payload fields of an event, as JSON (leaf format v2).

    It holds those fields' values and salts and only the digests of the others;
    anyone can check the values against the event's envelope, and with the
    event's proof (civicledger prove) against a seal.

    Example:

        civicledger disclose 7c4f7c21-1277-4a0d-9853-3f4ff8c44e8d --field attendees -o d.json
    """
    found = ledger.disclose(event_id, list(fields), include_personal=include_personal)
    text = json.dumps(found.to_json(), ensure_ascii=False, indent=2, sort_keys=True)
    write_output(text + "\n", output)
