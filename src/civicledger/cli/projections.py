"""Commands for projections kept at a stored position: list, catch-up, rebuild, show."""

from __future__ import annotations

import importlib
import json
from typing import Any

import click

from civicledger.cli._common import pass_ledger, table
from civicledger.errors import ValidationError

PROJECTION_HELP = (
    "a built-in projection's name (see `civicledger projections list`) or MODULE:ATTRIBUTE "
    "naming your own Projection object"
)


def register(group: click.Group) -> None:
    """Add this module's commands to the root group."""
    group.add_command(projections)


def resolve(target: str) -> Any:
    """Find a projection by built-in name or by ``module:attribute``.

    Raises:
        ValidationError: nothing by that name, or the attribute is not a Projection.
    """
    from civicledger.projections import Projection
    from civicledger.projections.builtin import BUILTIN_PROJECTIONS

    if target in BUILTIN_PROJECTIONS:
        return BUILTIN_PROJECTIONS[target]
    module_name, _, attribute = target.partition(":")
    if not attribute:
        known = ", ".join(sorted(BUILTIN_PROJECTIONS))
        raise ValidationError(
            f"no built-in projection {target!r} (built in: {known}); name your own as "
            "MODULE:ATTRIBUTE"
        )
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as e:
        raise ValidationError(f"cannot load projection {target!r}: {e}") from e
    if not isinstance(found, Projection) or not found.name:
        raise ValidationError(f"{target} is not a named civicledger Projection")
    return found


@click.group()
def projections() -> None:
    """Keep projections current from their stored positions, or rebuild them from scratch.

    Example:

        civicledger projections rebuild event_counts
    """


@projections.command("list")
@pass_ledger
def list_(ledger: Any) -> None:
    """List the built-in projections and the position each has reached.

    Example:

        civicledger projections list
    """
    from civicledger.projections.builtin import BUILTIN_PROJECTIONS

    head = ledger.head()
    rows = []
    for name, projection in sorted(BUILTIN_PROJECTIONS.items()):
        stored = ledger.projection_positions.load(name)
        position = "—" if stored is None else stored[0]
        rows.append((name, position, head, (projection.__doc__ or "").strip().split("\n")[0]))
    click.echo(table(["projection", "position", "head", ""], rows), nl=False)


@projections.command("catch-up")
@click.argument("target", metavar="PROJECTION")
@click.option("--batch-size", type=int, default=1000, show_default=True)
@pass_ledger
def catch_up(ledger: Any, target: str, batch_size: int) -> None:
    """Bring a projection up to the ledger's head, batch by batch, saving its position.

    PROJECTION is a built-in name or MODULE:ATTRIBUTE.

    Example:

        civicledger projections catch-up event_counts
    """
    from civicledger.projections import Runner

    projection = resolve(target)
    saved = Runner(projection, ledger.store).catch_up(
        ledger.projection_positions, batch_size=batch_size
    )
    click.echo(f"{saved.name} at position {saved.position}")


@projections.command()
@click.argument("target", metavar="PROJECTION")
@pass_ledger
def rebuild(ledger: Any, target: str) -> None:
    """Replay a projection from the first event into a fresh state, then swap it in.

    PROJECTION is a built-in name or MODULE:ATTRIBUTE.

    Example:

        civicledger projections rebuild event_counts
    """
    from civicledger.projections import Runner

    projection = resolve(target)
    saved = Runner(projection, ledger.store).rebuild(ledger.projection_positions)
    click.echo(f"rebuilt {saved.name} to position {saved.position}")


@projections.command()
@click.argument("target", metavar="PROJECTION")
@pass_ledger
def show(ledger: Any, target: str) -> None:
    """Print a projection's stored position and state as JSON.

    Example:

        civicledger projections show event_counts
    """
    projection = resolve(target)
    stored = ledger.projection_positions.load(projection.name)
    if stored is None:
        raise ValidationError(
            f"{projection.name} has no stored position yet; run `civicledger projections catch-up "
            f"{target}`"
        )
    position, state = stored
    data = {"projection": projection.name, "position": position, "state": state}
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
