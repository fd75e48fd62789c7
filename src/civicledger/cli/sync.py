"""Commands that deliver a ledger to a replica: push over a database link, or a delivery file
(deliver, then receive) for offices without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import database_url, pass_ledger, read_text_file


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(push)
    group.add_command(deliver)
    group.add_command(receive)


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
    erased = f", {result.erasures} redactions" if result.erasures else ""
    if result.cosignatures:
        erased += f", {result.cosignatures} cosignatures"
    click.echo(
        f"pushed {result.events} events and {result.seals} seals{erased} to {result.ledger!r}; "
        f"it now holds {result.head} events"
    )


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--since-seal",
    "since_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The last seal the receiver holds (a seal file); the file then carries only what "
    "came after it. Without it, everything from the first event (a first delivery).",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Events per batch; the receiver applies each batch in one transaction.",
)
@pass_ledger
def deliver(ledger: Any, path: Path, since_file: Path | None, batch: int) -> None:
    """Write a delivery file for a replica without a network link: events, seals and
    redactions since the last seal it holds, and the cosignatures of the seals, to
    apply there with `receive`.

    Example:

        civicledger --ledger hehua deliver hehua-2023-12.delivery --since-seal street-holds.txt
    """
    since = None if since_file is None else read_text_file(since_file, "seal")
    result = ledger.deliver(path, since=since, batch=batch)
    cosigned = f", {result.cosignatures} cosignatures" if result.cosignatures else ""
    click.echo(
        f"wrote {result.path}: {result.events} events after position {result.since} "
        f"(up to {result.head}), {result.seals} seals and {result.erasures} redacted rows"
        f"{cosigned}"
    )


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as",
    "name",
    metavar="NAME",
    help="The replica's ledger name in this database [default: the sender's name, from the file].",
)
@click.pass_context
def receive(ctx: click.Context, path: Path, name: str | None) -> None:
    """Apply a delivery file (made with `deliver`) to a replica in --db, creating it from a
    first delivery; the checks are those of `push`, and receiving a file again changes
    nothing. The global --ledger is not used: the replica is named by the file or --as.

    Example:

        civicledger --db street-server.db receive hehua-2023-12.delivery --as street-x/hehua
    """
    from civicledger.ledger import Ledger

    url = database_url(ctx.find_root().params.get("db"))
    result = Ledger.receive(path, url, ledger=name)
    cosigned = f", {result.cosignatures} cosignatures" if result.cosignatures else ""
    click.echo(
        f"received {result.events} events, {result.seals} seals and {result.erasures} "
        f"redactions{cosigned} into {result.ledger!r}; it now holds {result.head} events"
    )
