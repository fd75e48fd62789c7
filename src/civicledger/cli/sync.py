"""Commands that deliver a ledger to another database: push."""

from __future__ import annotations

from typing import Any

import click

from civicledger.cli._common import database_url, pass_ledger


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(push)


@click.command()
@click.option(
    "--to",
    "target",
    metavar="URL",
    required=True,
    help="The receiving database: a URL (postgresql+psycopg://...) or a SQLite file path.",
)
@click.option(
    "--as",
    "name",
    metavar="NAME",
    help="The replica's ledger name there [default: this ledger's name].",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Events per transaction; an interrupted push resumes after the last whole batch.",
)
@pass_ledger
def push(ledger: Any, target: str, name: str | None, batch: int) -> None:
    """Send the events and seals a replica of this ledger lacks, creating it on first push.

    The replica keeps every row exactly, checks each one and the roots, and refuses
    a history that differs from what it received (naming the first differing position).

    Example:

        civicledger --ledger hehua push --to postgresql+psycopg://server/street --as street-x/hehua
    """
    result = ledger.push(database_url(target), ledger=name, batch=batch)
    sent = f"{result.events} events and {result.seals} seals"
    if result.cosignatures:
        sent = (
            f"{result.events} events, {result.seals} seals and {result.cosignatures} cosignatures"
        )
    click.echo(f"pushed {sent} to {result.ledger!r}; it now holds {result.head} events")
