"""The ``civicledger`` command: a thin layer over the library, one call per command.

Exit status: 0 on success, 1 when a check fails (verification found a problem, a
validation rule failed), 2 on a usage or input error. Errors are one line on
standard error naming what and where; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import click

from civicledger._version import __version__
from civicledger.cli._common import DB_VARIABLE, CivicGroup


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from civicledger.merkle import native

    hashing = "native (C, OpenSSL)" if native.available() else "pure Python"
    click.echo(f"civicledger, version {__version__}; hashing: {hashing}")
    ctx.exit()


@click.group(cls=CivicGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help=f"Database URL or SQLite file path [env: {DB_VARIABLE}; default: ./civicledger.db].",
)
@click.option("--ledger", default="default", show_default=True, help="Ledger name in the database.")
@click.option(
    "--import",
    "modules",
    metavar="MODULE",
    multiple=True,
    envvar="CIVICLEDGER_IMPORT",
    help="Import a Python module that registers your own event types (repeatable) "
    "[env: CIVICLEDGER_IMPORT, space-separated].",
)
@click.option(
    "--limit",
    "limits",
    metavar="NAME=VALUE",
    multiple=True,
    help="Override a limit on outside input for this run, e.g. sheet_max_rows=500000 "
    "(repeatable; see the limits page of the documentation).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, and whether hashing is native or pure Python, and exit.",
)
def cli(
    db: str | None, ledger: str, modules: tuple[str, ...], limits: tuple[str, ...], debug: bool
) -> None:
    """Record civic work as events, and report on it with figures that explain themselves.

    Example:

        civicledger demo --dir demo-output
    """
    import importlib

    from civicledger.errors import CivicLedgerError
    from civicledger.limits import DEFAULT_LIMITS

    DEFAULT_LIMITS.with_overrides(limits)  # a bad --limit fails before any work
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise CivicLedgerError(f"--import {module}: {e}") from e


def _register_commands() -> None:
    # Command modules import the library lazily, so `--help` stays fast.
    from civicledger.cli import (
        amend,
        audit,
        demo,
        disclose,
        figures,
        projections,
        record,
        reporting,
        sync,
    )

    for module in (record, amend, figures, reporting, audit, disclose, projections, sync, demo):
        module.register(cli)


_register_commands()


def main() -> None:
    """Run the command line (the ``civicledger`` console script)."""
    cli(prog_name="civicledger")
