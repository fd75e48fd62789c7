"""What every command shares: the database option, opening the ledger, output helpers."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, overload

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
    """The lines that describe an error: one, or a summary and one per problem found.

    Messages already say where (file, line, row, field, event id), so nothing is
    added to them here.
    """
    if isinstance(error, ValidationError) and error.problems:
        summary = str(error).splitlines()[0].rstrip(":")
        return [summary, *(str(p) for p in error.problems)]
    return [str(error)]


@overload
def pass_ledger(f: F) -> F: ...


@overload
def pass_ledger(*, create: bool = False) -> Callable[[F], F]: ...


def pass_ledger(f: F | None = None, *, create: bool = False) -> Any:
    """Open the ledger named by the global options and pass it as the first argument.

    Args:
        f: the command function.
        create: create the database and ledger when missing (commands that record);
            commands that only read refuse a missing one, so a typo creates nothing.
    """

    def decorate(function: F) -> F:
        @click.pass_context
        def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
            with open_ledger(ctx, create=create) as ledger:
                return ctx.invoke(function, ledger, *args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper  # type: ignore[return-value]

    return decorate(f) if f is not None else decorate


@contextmanager
def open_ledger(ctx: click.Context, *, create: bool = False) -> Iterator[Any]:
    """Open the ledger of the root command's ``--db`` and ``--ledger`` options.

    Raises:
        LedgerNotFoundError: ``create`` is False and the database file or the
            ledger does not exist.
    """
    from sqlalchemy.engine import make_url

    from civicledger.errors import LedgerNotFoundError
    from civicledger.ledger import Ledger
    from civicledger.limits import DEFAULT_LIMITS

    root = ctx.find_root().params
    url = database_url(root.get("db"))
    parsed = make_url(url) if "://" in url else None
    if not create and parsed is not None and parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).exists():
            raise LedgerNotFoundError(
                f"no database at {path}; create one with `civicledger init` or pass --db"
            )
    limits = DEFAULT_LIMITS.with_overrides(root.get("limits") or ())
    name = root.get("ledger") or "default"
    with Ledger.open(url, ledger=name, create=create, limits=limits) as ledger:
        yield ledger


PERIOD_HELP = (
    "The period: 2023, 2023-H1, 2023-Q4, 2023-11, 2023-W14, 2023-01..2023-11 (1—11月), "
    "..2023-10-31 (截至10月底) or 2023-01-01..2023-10-31."
)


def period_options(f: F) -> F:
    """``--period TEXT`` and its shorthand ``--year N``; the command gets ``period``.

    Neither given, or both, is a one-line error: no command assumes a year.
    """

    f = click.option("--year", type=int, help="Shorthand for --period YEAR (a calendar year).")(f)
    return click.option("--period", "period", metavar="PERIOD", help=PERIOD_HELP)(f)


def chosen_period(period: str | None, year: int | None) -> Any:
    """The Period that ``--period``/``--year`` name.

    Raises:
        ValidationError: neither or both are given, or the text is not a period.
    """
    from civicledger.projections.service import choose_period

    if period is None and year is None:
        raise ValidationError(
            "name the period with --period (e.g. 2023, 2023-Q4, 2023-01..2023-11) or --year"
        )
    return choose_period(period, year)


def set_option(f: F) -> F:
    """``--set FILE``: the indicator set (TOML), ``indicators.toml`` by default; the command
    gets ``indicator_set``."""
    return click.option(
        "--set",
        "indicator_set",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default="indicators.toml",
        show_default=True,
        help="The indicator set (TOML).",
    )(f)


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
