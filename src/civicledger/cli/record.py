"""Commands that record and read events: init, info, append, import, export, log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from civicledger.cli._common import (
    output_option,
    pass_ledger,
    read_text_file,
    table,
    write_output,
)
from civicledger.errors import ValidationError
from civicledger.types import ANY, NO_STREAM, STREAM_EXISTS, ExpectedVersion

_STATES = {"any": ANY, "no_stream": NO_STREAM, "stream_exists": STREAM_EXISTS}


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    for command in (init, info, append, import_, export, log):
        group.add_command(command)


@click.command()
@click.option(
    "--origin",
    help="The new ledger's globally unique origin, e.g. records.example.org/xx-community "
    "(it appears in every seal; generated when omitted).",
)
@click.option(
    "--hash-algorithm",
    type=click.Choice(["sha256", "sm3"]),
    help="The new ledger's hash algorithm [default: sha256].",
)
@click.option(
    "--owner-role",
    metavar="OWNER",
    help="PostgreSQL: create the tables as this role, which must exist (with --app-role).",
)
@click.option(
    "--app-role",
    metavar="APP",
    help="PostgreSQL: the role the application runs as; it gets exactly the grants it needs "
    "and cannot alter history (with --owner-role).",
)
@click.option(
    "--partition-by-ledger",
    "partitions",
    type=click.IntRange(1, 1024),
    metavar="N",
    help="PostgreSQL, new database: partition events and tiles by ledger into N hash "
    "partitions (see docs/storage.md).",
)
@click.pass_context
def init(
    ctx: click.Context,
    origin: str | None,
    hash_algorithm: str | None,
    owner_role: str | None,
    app_role: str | None,
    partitions: int | None,
) -> None:
    """Create the database and the ledger if they do not exist.

    With --owner-role and --app-role (PostgreSQL, connected as an administrator or
    the owner), first create or update the tables as OWNER and grant APP only what
    appending, reading, sealing and redacting need; running it again changes nothing.

    With --partition-by-ledger N (PostgreSQL, a database without civicledger tables)
    the events and tiles tables are created partitioned by ledger.

    Example:

        civicledger --db office.db init --origin records.example.org/xx-community
    """
    from civicledger.cli._common import database_url
    from civicledger.ledger import Ledger

    root = ctx.find_root().params
    url = database_url(root.get("db"))
    if (owner_role is None) != (app_role is None):
        raise click.UsageError("--owner-role and --app-role go together; give both or neither")
    if owner_role is not None and app_role is not None:
        from civicledger.store.sql import provision

        access = provision(url, owner=owner_role, app=app_role, partitions=partitions)
        click.echo(f"provisioned: {access}")
    elif partitions is not None:
        from civicledger.store.sql import partition_by_ledger

        partition_by_ledger(url, partitions)
        click.echo(f"events and tiles partitioned by ledger into {partitions} partitions")
    with Ledger.open(
        url,
        ledger=root.get("ledger") or "default",
        origin=origin,
        hash_algorithm=hash_algorithm,
    ) as ledger:
        click.echo(f"ledger {ledger.store.ledger_name!r} ready, origin {ledger.store.origin}")


@click.command()
@pass_ledger
def info(ledger: Any) -> None:
    """Show the ledger's identity, size, hash algorithm, seals and who countersigned them
    when (and, on PostgreSQL, the role it runs as and whether that role could alter history).

    Example:

        civicledger --db office.db info
    """
    store = ledger.store
    seals = ledger.seals()
    latest = f", latest at size {seals[-1].tree_size}" if seals else ""
    rows = [
        ("ledger", store.ledger_name),
        ("origin", store.origin),
        ("hash algorithm", store.hash_algorithm),
        ("events", ledger.head()),
        ("seals", f"{len(seals)}{latest}"),
        *_cosignature_rows(seals, ledger.cosignatures()),
    ]
    access = ledger.access()
    if access is not None:
        verdict = "YES: " + "; ".join(access.reasons) if access.could_alter_history else "no"
        rows += [
            ("role", f"{access.role} (tables owned by {access.owner})"),
            ("alters history", verdict),
        ]
    click.echo(table(["", ""], rows).split("\n", 2)[2], nl=False)


def _cosignature_rows(seals: list[Any], cosignatures: list[Any]) -> list[tuple[str, str]]:
    """One row per countersigned seal: who cosigned it, and when."""
    rows = []
    for number, seal in enumerate(seals, start=1):
        signers = [
            f"{c.signer} at {c.cosigned_at.isoformat()}" for c in cosignatures if c.seal == seal
        ]
        if signers:
            rows.append(
                (f"seal {number} (size {seal.tree_size})", "cosigned by " + "; ".join(signers))
            )
    return rows


@click.command()
@click.argument("stream")
@click.argument("event_type", metavar="TYPE")
@click.option("--data", required=True, help="The payload as JSON, or @FILE to read it from a file.")
@click.option(
    "--expected-version",
    default="any",
    show_default=True,
    help="The stream's version before this event: an integer, any, no_stream or stream_exists.",
)
@click.option("--actor", default="cli", show_default=True, help="Who records the event.")
@pass_ledger(create=True)
def append(
    ledger: Any, stream: str, event_type: str, data: str, expected_version: str, actor: str
) -> None:
    """Record one event of TYPE on STREAM.

    Example:

        civicledger append meeting/2023-01-06 meeting_held --data @meeting.json
    """
    from civicledger.events import default_codec

    payload = load_json_argument(data)
    codec = default_codec()
    event = codec.from_dict(event_type, codec.registry.newest_version(event_type), payload)
    [recorded] = ledger.append(
        stream, [event], expected_version=_expected_version(expected_version), actor=actor
    )
    click.echo(f"recorded {recorded.type} at position {recorded.position}, id {recorded.event_id}")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every line and report, but record nothing.")
@pass_ledger(create=True)
def import_(ledger: Any, path: Path, dry_run: bool) -> None:
    """Import events from a JSON Lines file, all or nothing: one bad line records none.

    Example:

        civicledger import examples/community_2023/events.jsonl
    """
    if dry_run:
        valid = ledger.import_jsonl(path, dry_run=True)
        click.echo(f"{path}: {valid} events are valid; nothing recorded (dry run)")
        return
    count = ledger.import_jsonl(path)
    click.echo(f"imported {count} events from {path}; ledger now has {ledger.head()}")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_ledger
def export(ledger: Any, path: Path) -> None:
    """Export every event as JSON Lines, in the form `import` reads.

    Example:

        civicledger export backup-2023.jsonl
    """
    count = ledger.export_jsonl(path)
    click.echo(f"exported {count} events to {path}")


@click.command()
@click.option("--stream", help="Only this stream.")
@click.option("--stream-prefix", help="Only streams starting with this text.")
@click.option("--type", "types", multiple=True, help="Only this event type (repeatable).")
@click.option("--from", "from_position", type=int, default=1, help="First position.")
@click.option("--to", "to_position", type=int, help="Last position.")
@click.option(
    "--occurred",
    metavar="PERIOD",
    help="Only events dated in this period (2023, 2023-Q4, 2023-01..2023-11, "
    "2023-01-01..2023-03-31, ...).",
)
@click.option(
    "--effective",
    is_flag=True,
    help="Show the corrected view: retracted events left out, corrections applied.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
)
@output_option
@pass_ledger
def log(
    ledger: Any,
    stream: str | None,
    stream_prefix: str | None,
    types: tuple[str, ...],
    from_position: int,
    to_position: int | None,
    occurred: str | None,
    effective: bool,
    output_format: str,
    output: Path | None,
) -> None:
    """List recorded events in order, optionally filtered.

    Example:

        civicledger log --type mediation_completed --occurred 2023
    """
    records = ledger.read(
        stream=stream,
        stream_prefix=stream_prefix,
        types=list(types) or None,
        from_position=from_position,
        to_position=to_position,
        occurred_between=_occurred(occurred),
        effective=effective,
    )
    if output_format == "jsonl":
        write_output("".join(_jsonl_lines(records)), output)
        return
    rows = [
        (r.position, r.occurred_on, r.stream, r.type, r.actor, str(r.event_id)) for r in records
    ]
    headers = ["position", "occurred_on", "stream", "type", "actor", "event_id"]
    write_output(table(headers, rows), output)


def _jsonl_lines(records: Iterator[Any]) -> Iterator[str]:
    from civicledger.events import default_codec
    from civicledger.events.redaction import payload_to_dict
    from civicledger.events.text import format_timestamp

    codec = default_codec()
    for r in records:
        line = {
            "position": r.position,
            "stream": r.stream,
            "stream_version": r.stream_version,
            "type": r.type,
            "schema_version": r.schema_version,
            "event_id": str(r.event_id),
            "recorded_at": format_timestamp(r.recorded_at),
            "actor": r.actor,
            "payload": payload_to_dict(codec, r.payload),
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"


def load_json_argument(data: str) -> Any:
    """Parse a --data option: JSON text, or @FILE naming a file of JSON."""
    source = "--data"
    if data.startswith("@"):
        path = Path(data[1:])
        source = str(path)
        data = read_text_file(path, "payload")
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        raise ValidationError(
            f"{source}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from e


def _expected_version(text: str) -> ExpectedVersion:
    if text.lower() in _STATES:
        return _STATES[text.lower()]
    try:
        version = int(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an integer, any, no_stream or stream_exists",
            param_hint="--expected-version",
        ) from None
    if version < 0:
        raise click.BadParameter("must not be negative", param_hint="--expected-version")
    return version


def _occurred(text: str | None) -> tuple[date, date] | None:
    """The dates of ``--occurred``: any period text, read as everywhere else."""
    if text is None:
        return None
    from civicledger.errors import ValidationError
    from civicledger.projections import Period

    try:
        period = Period.parse(text)
    except ValidationError as e:
        raise click.BadParameter(e.message, param_hint="--occurred") from None
    return period.start, period.end
