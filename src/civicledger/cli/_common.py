"""What every command shares: the database option, opening the ledger, output helpers."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from civicledger.errors import CivicLedgerError, ValidationError

F = TypeVar("F", bound=Callable[..., Any])

DB_VARIABLE = "CIVICLEDGER_DB"
DEFAULT_DB = "civicledger.db"

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2


def database_url(value: str | None) -> str:
    """Turn ``--db`` (a URL or a plain file path) into an SQLAlchemy URL.

    The option wins over ``CIVICLEDGER_DB``, which wins over ``./civicledger.db``.
    """
    value = value or os.environ.get(DB_VARIABLE) or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value)}"


class CivicGroup(click.Group):
    """A click group that turns civicledger errors into one clear line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CivicLedgerError as error:
            if ctx.find_root().params.get("debug"):
                raise
            for line in error_lines(error):
                click.echo(f"civicledger: error: {line}", err=True)
            ctx.exit(EXIT_USAGE)


def error_lines(error: CivicLedgerError) -> list[str]:
    """The lines that describe an error: one, or one per problem of a whole-file check."""
    if isinstance(error, ValidationError) and error.problems:
        lines = [_located(p) for p in error.problems]
        lines.append(str(error))
        return lines
    return [_located(error)]


def _located(error: CivicLedgerError) -> str:
    text = str(error)
    if (
        isinstance(error, ValidationError)
        and error.line is not None
        and f"line {error.line}" not in text
    ):
        text = f"line {error.line}: {text}"
    return text


def pass_ledger(f: F) -> F:
    """Open the ledger named by the global options and pass it as the first argument."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        with open_ledger(ctx) as ledger:
            return ctx.invoke(f, ledger, *args, **kwargs)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper  # type: ignore[return-value]


@contextmanager
def open_ledger(ctx: click.Context) -> Iterator[Any]:
    """Open the ledger of the root command's ``--db`` and ``--ledger`` options."""
    from civicledger.ledger import Ledger

    root = ctx.find_root().params
    url = database_url(root.get("db"))
    with Ledger.open(url, ledger=root.get("ledger") or "default") as ledger:
        yield ledger


def output_option(f: F) -> F:
    """``-o/--output FILE``: write there instead of standard output."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to FILE instead of standard output.",
    )(f)


def write_output(data: str | bytes, output: Path | None) -> None:
    """Write text or bytes to a file, or text to standard output."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            click.echo(data, nl=not data.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        output.write_bytes(data)
    else:
        output.write_text(data, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render rows as an aligned plain-text table (CJK-aware)."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        padded = [v + " " * (w - display_width(v)) for v, w in zip(row, widths, strict=True)]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])]) + "\n"
