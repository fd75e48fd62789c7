"""Read filters: checked once, then applied in memory or turned into SQL by the backend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent


@attrs.frozen(kw_only=True)
class ReadFilter:
    """The validated arguments of :meth:`EventStore.read`.

    Attributes:
        stream: only this stream.
        stream_prefix: only streams starting with this text.
        types: only these type names (None = all).
        from_position: the first position (inclusive, >= 1).
        to_position: the last position (inclusive), or None for the head.
        occurred_from: first ``occurred_on`` date (inclusive), or None.
        occurred_to: last ``occurred_on`` date (inclusive), or None.
    """

    stream: str | None = None
    stream_prefix: str | None = None
    types: frozenset[str] | None = None
    from_position: int = 1
    to_position: int | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None

    @classmethod
    def of(
        cls,
        *,
        stream: str | None,
        stream_prefix: str | None,
        types: Sequence[str] | None,
        from_position: int,
        to_position: int | None,
        occurred_between: tuple[date, date] | None,
    ) -> ReadFilter:
        """Check read arguments and build the filter.

        Raises:
            ValidationError: an argument is malformed; the error names it.
        """
        if stream is not None and (not isinstance(stream, str) or not stream):
            raise ValidationError(f"stream must be a non-empty str, got {stream!r}", field="stream")
        if stream_prefix is not None and not isinstance(stream_prefix, str):
            raise ValidationError(
                f"stream_prefix must be a str, got {stream_prefix!r}", field="stream_prefix"
            )
        type_set = None
        if types is not None:
            if isinstance(types, str) or not all(isinstance(t, str) for t in types):
                raise ValidationError(
                    f"types must be a list of type names, got {types!r}", field="types"
                )
            type_set = frozenset(types)
        if type(from_position) is not int or from_position < 1:
            raise ValidationError(
                f"from_position must be an int >= 1, got {from_position!r}", field="from_position"
            )
        if to_position is not None and (type(to_position) is not int or to_position < 0):
            raise ValidationError(
                f"to_position must be an int >= 0 or None, got {to_position!r}",
                field="to_position",
            )
        occurred_from = occurred_to = None
        if occurred_between is not None:
            if (
                not isinstance(occurred_between, tuple)
                or len(occurred_between) != 2
                or not all(
                    isinstance(d, date) and not isinstance(d, datetime) for d in occurred_between
                )
            ):
                raise ValidationError(
                    "occurred_between must be a (first, last) pair of dates, "
                    f"got {occurred_between!r}",
                    field="occurred_between",
                )
            occurred_from, occurred_to = occurred_between
        return cls(
            stream=stream,
            stream_prefix=stream_prefix or None,
            types=type_set,
            from_position=from_position,
            to_position=to_position,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
        )

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
