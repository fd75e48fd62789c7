"""Read filters: checked once, then applied in memory or turned into SQL by the backend."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent


class Envelope(NamedTuple):
    """Where an event sits, its type and its id, read without decoding its payload."""

    position: int
    type: str
    event_id: uuid.UUID


def _blank_is_none(prefix: str | None) -> str | None:
    return prefix or None


def _type_names(types: Sequence[str] | None) -> frozenset[str] | None:
    if types is None:
        return None
    if isinstance(types, str) or not all(isinstance(t, str) for t in types):
        raise ValidationError(f"types must be a list of type names, got {types!r}", field="types")
    return frozenset(types)


@attrs.frozen(kw_only=True)
class ReadFilter:
    """Which recorded events a read yields: one value for every reader of the ledger.

    ``Ledger.read`` and :meth:`EventStore.read` take one (or the same fields as
    keywords); a filter is checked when it is made, so a malformed one never
    reaches a backend::

        this_year = ReadFilter(types=["meeting_held"], occurred_between=(jan1, dec31))
        for record in ledger.read(this_year):
            ...

    Attributes:
        stream: only this stream.
        stream_prefix: only streams whose names start with this text.
        types: only these type names (None = all); stored as a frozenset.
        from_position: the first position to consider (inclusive, >= 1).
        to_position: the last position to consider (inclusive); the head when None.
        occurred_between: only events whose ``occurred_on`` lies in this inclusive
            (first, last) date range.

    Raises:
        ValidationError: a field is malformed; the error names it.
    """

    stream: str | None = None
    stream_prefix: str | None = attrs.field(default=None, converter=_blank_is_none)
    types: frozenset[str] | None = attrs.field(default=None, converter=_type_names)
    from_position: int = 1
    to_position: int | None = None
    occurred_between: tuple[date, date] | None = None

    def __attrs_post_init__(self) -> None:
        stream, prefix = self.stream, self.stream_prefix
        if stream is not None and (not isinstance(stream, str) or not stream):
            raise ValidationError(f"stream must be a non-empty str, got {stream!r}", field="stream")
        if prefix is not None and not isinstance(prefix, str):
            raise ValidationError(
                f"stream_prefix must be a str, got {prefix!r}", field="stream_prefix"
            )
        first, last = self.from_position, self.to_position
        if type(first) is not int or first < 1:
            raise ValidationError(
                f"from_position must be an int >= 1, got {first!r}", field="from_position"
            )
        if last is not None and (type(last) is not int or last < 0):
            raise ValidationError(
                f"to_position must be an int >= 0 or None, got {last!r}", field="to_position"
            )
        between = self.occurred_between
        if between is not None and (
            not isinstance(between, tuple)
            or len(between) != 2
            or not all(isinstance(d, date) and not isinstance(d, datetime) for d in between)
        ):
            raise ValidationError(
                f"occurred_between must be a (first, last) pair of dates, got {between!r}",
                field="occurred_between",
            )

    @property
    def occurred_from(self) -> date | None:
        """The first ``occurred_on`` date (inclusive), or None."""
        return None if self.occurred_between is None else self.occurred_between[0]

    @property
    def occurred_to(self) -> date | None:
        """The last ``occurred_on`` date (inclusive), or None."""
        return None if self.occurred_between is None else self.occurred_between[1]

    @classmethod
    def of(cls, where: ReadFilter | None = None, /, **keywords: Any) -> ReadFilter:
        """The filter a reader was given: ``where``, or one made of the keywords.

        Raises:
            ValidationError: both a filter and keywords that narrow it were given, or
                a keyword is malformed.
        """
        # A keyword left at its default is not given; True is not the default 1.
        given = {
            k: v
            for k, v in keywords.items()
            if type(v) is not type(_DEFAULTS[k]) or v != _DEFAULTS[k]
        }
        if where is None:
            return cls(**given)
        if not isinstance(where, ReadFilter):
            raise ValidationError(f"expected a ReadFilter, got {where!r}", field="where")
        if given:
            raise ValidationError(
                f"give a ReadFilter or keywords, not both (got {', '.join(sorted(given))})",
                field=sorted(given)[0],
            )
        return where

    def matches(self, record: RecordedEvent) -> bool:
        """Whether a record passes every filter except the position range."""
        if self.stream is not None and record.stream != self.stream:
            return False
        if self.stream_prefix is not None and not record.stream.startswith(self.stream_prefix):
            return False
        if self.types is not None and record.type not in self.types:
            return False
        if self.occurred_from is not None and record.occurred_on < self.occurred_from:
            return False
        return not (self.occurred_to is not None and record.occurred_on > self.occurred_to)


_DEFAULTS: dict[str, Any] = {a.name: a.default for a in attrs.fields(ReadFilter)}
