"""The unit registry: the classifiers (量词) and measure units a phrase may end with.

A phrase such as ``280余人`` or ``约百米`` carries its unit inside the linked
number, so the unit must be a word the phrasing knows. The registry is open:
:data:`DEFAULT_UNITS` holds the common words, and a report template adds its
own in a ``[units]`` table (see ``docs/phrasing.md``). A registry is an
immutable value; extending one returns a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

import attrs

from civicledger.errors import ValidationError

__all__ = ["DEFAULT_UNITS", "UNIT_KINDS", "UnitKind", "UnitRegistry"]

UnitKind: TypeAlias = Literal["classifier", "measure"]
"""A classifier counts whole things (名, 户, 场); a measure unit measures (米, 元, 小时)."""

UNIT_KINDS: Final[tuple[UnitKind, ...]] = ("classifier", "measure")

# Words that already mean something in the spec grammar: a unit must not shadow them.
_RESERVED: Final = frozenset(
    {"余", "超", "超过", "约", "近", "逾", "万", "亿", "达", "占", "bare", "words", "unit"}
    | {"half-up", "half-even", "down", "up"}
)


def _check_word(word: object) -> str:
    if not isinstance(word, str) or not word or not word.isprintable():
        raise ValidationError(f"bad unit {word!r}", field="units")
    if any(c.isspace() or c.isdigit() or c in ":|{}\"'\\" for c in word):
        raise ValidationError(
            f"bad unit {word!r}: no spaces, digits, quotes or ':|{{}}'", field="units"
        )
    if word in _RESERVED:
        raise ValidationError(
            f"unit {word!r} is a word of the phrasing spec grammar; it cannot be a unit",
            field="units",
        )
    return word


def _units(value: Mapping[str, UnitKind]) -> Mapping[str, UnitKind]:
    for word, kind in value.items():
        _check_word(word)
        if kind not in UNIT_KINDS:
            raise ValidationError(
                f"unit {word!r}: kind must be one of {', '.join(UNIT_KINDS)}, got {kind!r}",
                field="units",
            )
    return MappingProxyType(dict(value))


@attrs.frozen
class UnitRegistry:
    """Known units by word, each a classifier or a measure unit.

    Attributes:
        units: word -> kind, read-only.
    """

    units: Mapping[str, UnitKind] = attrs.field(converter=_units)

    def __contains__(self, word: object) -> bool:
        return word in self.units

    def __iter__(self) -> Iterator[str]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def kind(self, word: str) -> UnitKind:
        """The kind of a known unit.

        Raises:
            ValidationError: the word is not a known unit.
        """
        if word not in self.units:
            raise ValidationError(f"unknown unit {word!r}", field="classifier")
        return self.units[word]

    def extended(
        self, classifiers: Iterable[str] = (), measures: Iterable[str] = ()
    ) -> UnitRegistry:
        """A registry with more words; a word already known keeps its kind only if it agrees.

        Raises:
            ValidationError: a word is malformed, reserved, or already known as the other kind.
        """
        merged = dict(self.units)
        for kind, words in (("classifier", classifiers), ("measure", measures)):
            for word in words:
                _check_word(word)
                if merged.get(word, kind) != kind:
                    raise ValidationError(
                        f"unit {word!r} is already a {merged[word]}, not a {kind}", field="units"
                    )
                merged[word] = kind  # type: ignore[assignment]
        return UnitRegistry(merged)

    def extended_from_toml(self, table: Any) -> UnitRegistry:
        """A registry extended by a TOML ``[units]`` table: ``classifiers`` and ``measures`` lists.

        Raises:
            ValidationError: the table has another key or a value is not a list of words.
        """
        if not isinstance(table, Mapping):
            raise ValidationError("[units] must be a table", field="units")
        unknown = sorted(set(table) - {"classifiers", "measures"})
        if unknown:
            raise ValidationError(
                f"unknown setting {unknown[0]!r} in [units]; expected classifiers and measures",
                field=f"units.{unknown[0]}",
            )
        lists = []
        for key in ("classifiers", "measures"):
            words = table.get(key, [])
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise ValidationError(f"units.{key} must be a list of words", field=f"units.{key}")
            lists.append(words)
        return self.extended(lists[0], lists[1])


DEFAULT_UNITS: Final = UnitRegistry(
    {
        **dict.fromkeys(
            (
                *("名", "人", "人次", "万人次", "户", "户次", "家", "家次", "个", "支", "次"),
                *("场", "场次", "件", "起", "项", "位", "组", "队", "所", "处", "条", "份"),
                *("期", "批", "间", "栋", "座", "台", "辆", "张", "篇", "本", "类", "轮"),
                *("届", "节", "块", "卡", "岗位", "套", "课时"),
            ),
            "classifier",
        ),
        **dict.fromkeys(
            (
                *("米", "公里", "平方米", "平方公里", "元", "万元", "亿元"),
                *("天", "小时"),
            ),
            "measure",
        ),
    }
)
"""The units every report knows; a template's ``[units]`` table adds more."""
