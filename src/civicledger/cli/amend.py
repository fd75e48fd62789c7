"""Commands that amend the record without rewriting it: correct, retract, redact,
personal-data, and diff (what changed since a figure was published)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import (
    chosen_period,
    output_option,
    pass_ledger,
    period_options,
    read_text_file,
    set_option,
    table,
    write_output,
)
from civicledger.cli.record import load_json_argument
from civicledger.errors import ValidationError

REASON = click.option("--reason", required=True, help="Why (kept in the ledger).")
ACTOR = click.option("--actor", default="cli", show_default=True, help="Who makes the change.")


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (correct, retract, redact, personal_data, diff):
        group.add_command(command)


@click.command()
@click.argument("event_id")
@click.option("--data", required=True, help="The full corrected payload as JSON, or @FILE.")
@REASON
@ACTOR
@pass_ledger
def correct(ledger: Any, event_id: str, data: str, reason: str, actor: str) -> None:
    """Record a correction of an event: a replacement payload of the same type.

    The original stays in the ledger; figures use the correction from now on,
    and explanations show both.

    Example:

        civicledger correct 0190c7e2-… --data @fixed.json --reason "32 was a typo for 23"
    """
    from civicledger.corrections.service import find_event
    from civicledger.events import default_codec
    from civicledger.types import parse_event_id

    target = find_event(ledger.store, parse_event_id(event_id))
    if target is None:
        raise ValidationError(f"no event {event_id} in this ledger", event_id=event_id)
    codec = default_codec()
    replacement = codec.from_dict(
        target.type, codec.registry.newest_version(target.type), load_json_argument(data)
    )
    recorded = ledger.correct(target.event_id, replacement, reason=reason, actor=actor)
    click.echo(f"recorded correction {recorded.event_id} of {target.type} {target.event_id}")


@click.command()
@click.argument("event_id")
@REASON
@ACTOR
@pass_ledger
def retract(ledger: Any, event_id: str, reason: str, actor: str) -> None:
    """Record that an event should not have been recorded; figures leave it out from now on.

    Example:

        civicledger retract 0190c7e2-… --reason "recorded twice"
    """
    recorded = ledger.retract(event_id, reason=reason, actor=actor)
    click.echo(f"recorded retraction {recorded.event_id} of {event_id}")


@click.command()
@click.argument("event_id")
@click.option(
    "--field",
    "fields",
    multiple=True,
    help="A personal field to erase (repeatable); the whole payload when omitted.",
)
@REASON
@ACTOR
@pass_ledger
def redact(ledger: Any, event_id: str, fields: tuple[str, ...], reason: str, actor: str) -> None:
    """Erase personal data from an event's stored payload; seals and proofs stay valid.

    Example:

        civicledger redact 0190c7e2-… --field parties --reason "erasure request 2024-07"
    """
    recorded = ledger.redact(event_id, fields=list(fields) or None, reason=reason, actor=actor)
    click.echo(f"redacted {event_id}; recorded {recorded.event_id}")


@click.command("personal-data")
@click.argument("subject")
@click.option("--contains", is_flag=True, help="Match values containing SUBJECT, not only equal.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@output_option
@pass_ledger
def personal_data(
    ledger: Any, subject: str, contains: bool, output_format: str, output: Path | None
) -> None:
    """Find every event whose personal fields name SUBJECT (for access and erasure requests).

    Example:

        civicledger personal-data 王小明
    """
    hits = ledger.personal_data(subject, contains=contains)
    rows = [
        {
            "position": h.position,
            "event_id": str(h.event_id),
            "type": h.type,
            "occurred_on": h.occurred_on.isoformat(),
            "fields": ",".join(h.fields),
        }
        for h in hits
    ]
    if output_format == "json":
        write_output(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output)
        return
    headers = ["position", "event_id", "type", "occurred_on", "fields"]
    write_output(table(headers, [list(r.values()) for r in rows]), output)


@click.command()
@period_options
@set_option
@click.option(
    "--seal",
    "seal_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The seal the figures were published under.",
)
@output_option
@pass_ledger
def diff(
    ledger: Any,
    period: str | None,
    year: int | None,
    indicator_set: Path,
    seal_file: Path,
    output: Path | None,
) -> None:
    """Show which figures changed since they were published under a seal, and why.

    Each changed figure names the late, corrected and retracted events behind the change.

    Example:

        civicledger diff --year 2023 --set indicators.toml --seal seal-2023.txt
    """
    from civicledger.audit import Seal

    chosen = chosen_period(period, year)
    seal = Seal.parse(read_text_file(seal_file, "seal"))
    published = ledger.indicators(indicator_set, period=chosen, as_of=seal)
    current = {_key(f): f for f in ledger.indicators(indicator_set, period=chosen)}
    lines = []
    for figure in published:
        now = current.get(_key(figure))
        if now is None or now.value == figure.value:
            continue
        lines.append(ledger.diff(figure, now).render())
    if not lines:
        lines = [f"no figure changed since the seal at size {seal.tree_size}"]
    write_output("\n".join(lines) + "\n", output)


def _key(figure: Any) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return (figure.indicator.id, figure.period.key, figure.group)
