"""The words of a ranking in a report: "城东（12个）、城西（10个）、城南（10个，并列第二）"."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence

import attrs

from civicledger.events import Vocabulary
from civicledger.projections.ranking import Placed
from civicledger.reports.numbers import chinese_numeral

__all__ = ["group_name", "ranking_text"]


def group_name(field: str, key: str, types: Sequence[str], classes: Mapping[str, type]) -> str:
    """A group value as a report shows it: a vocabulary key by its label, others as recorded."""
    name = field.removeprefix("payload.")
    for type_name in types:
        cls = classes.get(type_name)
        if cls is None or not attrs.has(cls):
            continue
        hint = typing.get_type_hints(cls).get(name)
        options = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        for option in options:
            if isinstance(option, type) and issubclass(option, Vocabulary):
                member = option._value2member_map_.get(key)
                if member is not None:
                    return str(member.label)  # type: ignore[attr-defined]
    return key


def ranking_text(
    placed: Sequence[Placed],
    number: Callable[[Placed], str],
    classes: Mapping[str, type] | None = None,
) -> str:
    """Each group's name and phrased figure, in place order; a shared place says 并列第N.

    Args:
        placed: the ranking (see :func:`civicledger.projections.ranking.rank`).
        number: phrases one entry's figure (the builder links it to the appendix).
        classes: the event classes, to show a vocabulary key by its label.

    Returns:
        The groups joined by 、, e.g. ``城东（12个）、城西（10个，并列第二）``.
    """
    parts = []
    for entry in placed:
        source = entry.figure.indicator.source
        name = "，".join(
            group_name(field, value, source, classes or {}) for field, value in entry.figure.group
        )
        tie = f"，并列第{chinese_numeral(entry.place)}" if entry.tied else ""
        parts.append(f"{name}（{number(entry)}{tie}）")
    return "、".join(parts)
