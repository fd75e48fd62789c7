"""Which accumulators each event meets: the engine's dispatch table by event type.

An indicator set often splits one event type by a category: seven indicators over
``activity_held``, each ``where kind == "…"``. Tested one by one, every such event
reads ``kind`` seven times to feed at most one or two of them. Here accumulators of
one type whose whole filter is a text equality (``field == "text"`` or
``field in ["text", …]``) on the same field share a :class:`Switch`: the field is read
once per event and only the accumulators that accept its value are fed. Every other
accumulator meets each event of its types as before. Figures, excluded counts and
contributions are the same either way (the differential and property tests hold
the two paths to it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from civicledger.events import RecordedEvent
from civicledger.projections.accumulate import Accumulator
from civicledger.projections.fields import getter
from civicledger.projections.filters import Compare, In

__all__ = ["Apply", "Switch", "dispatch_table"]

Apply = Callable[[RecordedEvent], None]
"""What an event of a type is given to: an accumulator's opening or closing, or a switch."""


class Switch:
    """Accumulators of one event type whose filters each accept some texts of one field.

    An event whose field holds text feeds the accumulators that accept that text and
    is counted in every member's ``seen`` by :meth:`settle`. Any other event (the field
    missing or not text, or some field redacted, where a failed filter notes why) goes
    to every member's own :meth:`~Accumulator.opening`, which tests and counts it.
    """

    def __init__(self, field: str, members: list[tuple[Accumulator, frozenset[str]]]) -> None:
        self.read = getter(field)
        self.members = [accumulator for accumulator, _ in members]
        self.accepting: dict[str, list[Apply]] = {}
        for accumulator, texts in members:
            for text in texts:
                self.accepting.setdefault(text, []).append(accumulator.opening_accepted)
        self.counted = 0  # events counted here rather than in each member's seen

    def __call__(self, record: RecordedEvent) -> None:
        value = self.read(record)
        if value.__class__ is not str or record.redacted_fields:
            for accumulator in self.members:
                accumulator.opening(record)
            return
        self.counted += 1
        for accept in self.accepting.get(value, ()):
            accept(record)

    def settle(self) -> None:
        """Add the events counted here to every member's ``seen`` (before its figures)."""
        for accumulator in self.members:
            accumulator.seen += self.counted
        self.counted = 0


def accepted_texts(accumulator: Accumulator) -> tuple[str, frozenset[str]] | None:
    """The field and the texts an accumulator's whole filter accepts, when its filter is a
    text equality or a membership among texts; None for any other filter."""
    where = accumulator.indicator.where
    if isinstance(where, Compare) and where.op == "==" and isinstance(where.value, str):
        return where.field, frozenset({where.value})
    if isinstance(where, In) and where.values and all(isinstance(v, str) for v in where.values):
        return where.field, frozenset(v for v in where.values if isinstance(v, str))
    return None


def dispatch_table(
    accumulators: Iterable[Accumulator],
) -> tuple[dict[str, list[Apply]], list[Switch]]:
    """What each event type is given to, and the switches among them (to settle after
    the last event)."""
    table: dict[str, list[Apply]] = {}
    shared: dict[tuple[str, str], list[tuple[Accumulator, frozenset[str]]]] = {}
    for accumulator in accumulators:
        texts = accepted_texts(accumulator)
        for type_name in accumulator.indicator.source:
            if texts is None:
                table.setdefault(type_name, []).append(accumulator.opening)
            else:
                shared.setdefault((type_name, texts[0]), []).append((accumulator, texts[1]))
        for type_name in accumulator.indicator.closing_types:
            if type_name not in accumulator.indicator.source:
                table.setdefault(type_name, []).append(accumulator.closing)
    switches = []
    for (type_name, field), members in shared.items():
        if len(members) == 1:  # one test is no dearer than one read: no switch
            table.setdefault(type_name, []).append(members[0][0].opening)
            continue
        switch = Switch(field, members)
        switches.append(switch)
        table.setdefault(type_name, []).append(switch)
    return table, switches
