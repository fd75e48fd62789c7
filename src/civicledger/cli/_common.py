"""What every command shares: the database option, opening the ledger, output helpers."""

from __future__ import annotations

import io
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
    """A click group that turns every error into one clear line and exit status 2.

    Each parser raises the project's own error naming the file, line and field;
    an operating-system error (a file that cannot be read or written) is one line
    too. Anything else is a bug, and still one line rather than a traceback: the
    last line of defence, never the way input errors are meant to be reported.
    ``--debug`` shows the traceback of any of them.
    """

    def main(  # click overloads main on standalone_mode; one signature serves both
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; a usage error is one ``civicledger: error:`` line too."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as e:
            e.show()  # `civicledger` alone: the help, as click shows it
            sys.exit(e.exit_code)
        except click.UsageError as e:
            where = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            message = " ".join(e.format_message().split("\n"))
            click.echo(f"civicledger: error: {_printable(message)}{where}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else EXIT_OK)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for number, arg in enumerate(args, start=1):
            if not _is_text(arg):
                raise click.UsageError(
                    f"argument {number} ({_printable(arg)}) is not valid UTF-8 text"
                )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # Whoever read our output stopped (`civicledger log | head`): not an error.
            _silence_stdout()
            ctx.exit(EXIT_OK)
        except Exception as error:
            if ctx.find_root().params.get("debug"):
                raise
            for line in error_lines(error):
                click.echo(f"civicledger: error: {_printable(line)}", err=True)
            ctx.exit(EXIT_USAGE)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test runner's buffer): nothing will be flushed to a pipe


def _is_text(value: str) -> bool:
    """False when a string holds a surrogate (bytes that were not UTF-8)."""
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def _printable(line: str) -> str:
    return line.encode("utf-8", "backslashreplace").decode("utf-8")


def error_lines(error: Exception) -> list[str]:
    """The lines that describe an error: one, or a summary and one per problem found.

    Messages already say where (file, line, row, field, event id), so nothing is
    added to them here.
    """
    if isinstance(error, ValidationError) and error.problems:
        summary = str(error).splitlines()[0].rstrip(":")
        return [summary, *(str(p) for p in error.problems)]
    if isinstance(error, CivicLedgerError):
        return [str(error)]
    if isinstance(error, OSError):
        return [str(error)]
    return [
        f"unexpected {type(error).__name__}: {' '.join(str(error).splitlines())} "
        "(this is a bug; run with --debug for the traceback and report it)"
    ]


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
    from civicledger.ledger import Ledger
    from civicledger.limits import DEFAULT_LIMITS

    root = ctx.find_root().params
    url = database_url(root.get("db"))
    if not create:
        _refuse_missing_sqlite_file(url)
    limits = DEFAULT_LIMITS.with_overrides(root.get("limits") or ())
    name = root.get("ledger") or "default"
    with Ledger.open(url, ledger=name, create=create, limits=limits) as ledger:
        yield ledger


def ledger_set_options(f: F) -> F:
    """``--ledger NAME`` (repeatable) and ``--ledgers PREFIX``: read a set of ledgers as one.

    The command gets ``ledger_names`` and ``ledger_prefix``; open them with
    :func:`open_source`.
    """
    f = click.option(
        "--ledgers",
        "ledger_prefix",
        metavar="PREFIX",
        help="Roll up every ledger whose name starts with PREFIX (e.g. street-x/).",
    )(f)
    return click.option(
        "--ledger",
        "ledger_names",
        metavar="NAME",
        multiple=True,
        help="Roll up this ledger (repeatable); replaces the global --ledger.",
    )(f)


@contextmanager
def open_source(
    ctx: click.Context, names: Sequence[str], prefix: str | None
) -> Iterator[tuple[Any, bool]]:
    """Open the global ``--ledger``, or the set named by :func:`ledger_set_options`.

    Yields:
        (the Ledger or LedgerSet, whether it is a set).

    Raises:
        ValidationError: both ``--ledger`` and ``--ledgers`` are given.
        LedgerNotFoundError: a ledger or the database does not exist.
    """
    if not names and prefix is None:
        with open_ledger(ctx) as ledger:
            yield ledger, False
        return
    if names and prefix is not None:
        raise ValidationError(
            "name the ledgers with --ledger NAME ... or --ledgers PREFIX, not both"
        )
    from civicledger.ledger import Ledger
    from civicledger.limits import DEFAULT_LIMITS

    root = ctx.find_root().params
    url = database_url(root.get("db"))
    _refuse_missing_sqlite_file(url)
    limits = DEFAULT_LIMITS.with_overrides(root.get("limits") or ())
    chosen = list(names) if names else None
    with Ledger.open_many(url, chosen, prefix=prefix, limits=limits) as ledger_set:
        yield ledger_set, True


def _refuse_missing_sqlite_file(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist, so reading creates no database.

    Raises:
        LedgerNotFoundError: the file does not exist.
    """
    from sqlalchemy.engine import make_url

    from civicledger.errors import LedgerNotFoundError

    parsed = make_url(url) if "://" in url else None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).exists():
            raise LedgerNotFoundError(
                f"no database at {path}; create one with `civicledger init` or pass --db"
            )


def read_text_file(path: Path, what: str) -> str:
    """Read a UTF-8 text file the user named (a seal, a proof, a key, a report).

    Raises:
        ValidationError: the file cannot be read or is not UTF-8 text; the message
            names the file and what it was meant to be.
    """
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValidationError(f"{path}: cannot read the {what}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ValidationError(
            f"{path}: the {what} is not UTF-8 text (byte {e.start}: {e.reason})", field=what
        ) from None


PERIOD_HELP = (
    "The period: 2023, 2023-H1, 2023-Q4, 2023-11, 2023-W14, 2023-01..2023-11 (1—11月), "
    "..2023-10-31 (截至10月底) or 2023-01-01..2023-10-31."
)


def as_of_option(f: F) -> F:
    """``--as-of POINT``: a ledger point (a position, a recorded-at time or a seal file)."""
    return click.option(
        "--as-of",
        "as_of",
        metavar="POINT",
        help="Compute as of a ledger point: a position (42), a recorded-at time with its "
        "UTC offset (2024-01-31T10:00:00Z) or a seal file (the events it covers).",
    )(f)


def ledger_point(text: str | None) -> Any:
    """``--as-of``'s value as a ledger point (None when not given).

    Raises:
        ValidationError: the text is not a position or a time and names no readable
            seal file; the message says what is accepted.
    """
    if text is None:
        return None
    from civicledger.audit.points import parse_ledger_point

    if Path(text).is_file():
        return parse_ledger_point(read_text_file(Path(text), "seal"))
    return parse_ledger_point(text)


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
