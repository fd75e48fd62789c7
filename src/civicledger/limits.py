"""Limits on what civicledger reads from outside: one frozen settings object.

Every reader of outside input (CSV and XLSX sheets, JSON Lines, report
templates) and the recording of dates takes its bounds from a :class:`Limits`.
The defaults suit a county office's files; a caller overrides any of them with
``Limits(sheet_max_rows=500_000)`` (or :meth:`Limits.with_overrides` from text,
as the CLI's ``--limit NAME=VALUE`` does) and passes the object to
:meth:`civicledger.Ledger.open`. A value beyond a limit is refused with a
:class:`LimitError` whose one-line message names the limit, so the caller knows
which setting to raise. ``docs/limits.md`` lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import attrs

from civicledger.errors import ValidationError

__all__ = ["DEFAULT_LIMITS", "LimitError", "Limits", "bounded_lines"]

_MB = 1024 * 1024


def _at_least_one(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int or value < 1:
        raise ValidationError(
            f"limit {attribute.name} must be a whole number of at least 1, got {value!r}",
            field=attribute.name,
        )


def _not_negative(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError(
            f"limit {attribute.name} must be a whole number of at least 0, got {value!r}",
            field=attribute.name,
        )


def _positive_seconds(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) not in (int, float) or not value > 0:
        raise ValidationError(
            f"limit {attribute.name} must be a number of seconds above 0, got {value!r}",
            field=attribute.name,
        )


def _limit(default: int, meaning: str) -> Any:
    return attrs.field(default=default, validator=_at_least_one, metadata={"meaning": meaning})


@attrs.frozen(kw_only=True)
class Limits:
    """The bounds civicledger puts on outside input; every one can be overridden.

    Attributes:
        sheet_max_file_bytes: size of a CSV or XLSX file on disk.
        sheet_max_uncompressed_bytes: total uncompressed size of an XLSX file's
            members, read from the zip directory before anything is unpacked.
        sheet_max_rows: rows of a sheet, as declared by an XLSX sheet's
            ``<dimension>`` and as actually read.
        sheet_max_columns: columns of a sheet, declared and actual.
        sheet_max_cell_chars: characters in one cell (Excel itself holds 32,767).
        jsonl_max_line_bytes: bytes in one JSON Lines line.
        template_max_seconds: time one sentence of a report template may take to render.
        template_max_output_chars: characters one rendered sentence may have.
        template_max_string_chars: length of a string or list a template builds
            (``"x" * n``, ``a + b``, ``a ~ b``).
        template_max_number_digits: decimal digits of a number a template computes
            (``a ** b``, ``a * b``).
        template_max_iterations: loop iterations in one sentence, nested loops counted
            together.
        series_max_periods: months, quarters or weeks in one series
            (``Ledger.series``).
        future_date_tolerance_days: how many days after the ledger clock's today a
            recorded date may lie (time zones, a clerk a day ahead); dates declared
            ``planned`` are not bounded.
    """

    sheet_max_file_bytes: int = _limit(20 * _MB, "size of a CSV or XLSX file, in bytes")
    sheet_max_uncompressed_bytes: int = _limit(
        50 * _MB, "total uncompressed size of an XLSX file, in bytes"
    )
    sheet_max_rows: int = _limit(100_000, "rows in a sheet (declared and actual)")
    sheet_max_columns: int = _limit(200, "columns in a sheet (declared and actual)")
    sheet_max_cell_chars: int = _limit(32_767, "characters in one cell")
    jsonl_max_line_bytes: int = _limit(1 * _MB, "bytes in one JSON Lines line")
    template_max_seconds: float = attrs.field(
        default=10.0,
        validator=_positive_seconds,
        metadata={"meaning": "seconds one template sentence may take to render"},
    )
    template_max_output_chars: int = _limit(1_000_000, "characters in one rendered sentence")
    template_max_string_chars: int = _limit(
        1_000_000, "length of a string or list a template builds"
    )
    template_max_number_digits: int = _limit(1_000, "decimal digits of a number a template builds")
    template_max_iterations: int = _limit(100_000, "loop iterations in one template sentence")
    series_max_periods: int = _limit(1_000, "months, quarters or weeks in one series")
    future_date_tolerance_days: int = attrs.field(
        default=1,
        validator=_not_negative,
        metadata={"meaning": "days after the ledger clock's today a recorded date may lie"},
    )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every limit's name, in declaration order."""
        return tuple(a.name for a in attrs.fields(cls))

    @classmethod
    def meanings(cls) -> Mapping[str, str]:
        """Every limit's name with a short description of what it bounds."""
        return {a.name: str(a.metadata["meaning"]) for a in attrs.fields(cls)}

    def with_overrides(self, settings: Iterable[str]) -> Limits:
        """Return a copy with limits set from ``NAME=VALUE`` texts (the CLI's ``--limit``).

        Raises:
            ValidationError: a text is not ``NAME=VALUE``, names no limit, or holds no
                acceptable value.
        """
        changes: dict[str, int | float] = {}
        for setting in settings:
            name, sep, text = setting.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in self.names():
                raise ValidationError(
                    f"--limit {setting!r}: expected NAME=VALUE with NAME one of "
                    f"{', '.join(self.names())}",
                    field="limit",
                )
            try:
                value: int | float = (
                    float(text) if name == "template_max_seconds" else int(text.replace("_", ""))
                )
            except ValueError:
                raise ValidationError(
                    f"--limit {setting!r}: {text.strip()!r} is not a number", field=name
                ) from None
            changes[name] = value
        return attrs.evolve(self, **changes)  # type: ignore[arg-type]

    def refusal(self, where: str, limit: str, what: str, *, line: int | None = None) -> LimitError:
        """The error for input beyond a limit, naming the limit and its value.

        Args:
            where: the file, line or template part concerned.
            limit: the limit's name.
            what: what went beyond it (``"1048576 rows"``).
            line: the input line concerned, if any.
        """
        value = getattr(self, limit)
        message = f"{where}: {what} exceeds the limit {limit}={value}"
        return LimitError(message, limit=limit, line=line)


DEFAULT_LIMITS = Limits()
"""The limits used when none are given."""


class LimitError(ValidationError):
    """Raised when outside input goes beyond one of the :class:`Limits`.

    Attributes:
        limit: the name of the limit (a :class:`Limits` attribute), to raise it if
            the input is legitimate.
    """

    def __init__(self, message: str, *, limit: str, line: int | None = None) -> None:
        super().__init__(message, field=limit, line=line)
        self.limit = limit


def bounded_lines(handle: IO[bytes], limits: Limits, *, where: str) -> Iterator[bytes]:
    """Yield a binary file's lines, refusing one longer than ``jsonl_max_line_bytes``
    before all of it is read.

    Raises:
        LimitError: naming ``jsonl_max_line_bytes`` and the line number.
    """
    max_bytes = limits.jsonl_max_line_bytes
    number = 0
    while True:
        raw = handle.readline(max_bytes + 2)  # room for the line and its CR LF
        if not raw:
            return
        number += 1
        if len(raw.rstrip(b"\r\n")) > max_bytes:
            raise limits.refusal(
                f"{where}: line {number}",
                "jsonl_max_line_bytes",
                "the line's length",
                line=number,
            )
        yield raw
