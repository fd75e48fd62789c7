"""Indicators, indicator sets, and validation rules between indicators.

An :class:`Indicator` says which events count (source types and a filter), what
is done with them (a measure), how they are grouped, over which kind of period,
and whether the figure is a stock as of the period's end. An
:class:`IndicatorSet` holds indicators in order with the DHIS2-style
:class:`ValidationRule` s that relate them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from civicledger.errors import ValidationError
from civicledger.events import RecordedEvent
from civicledger.projections.expressions import Arith, parse_filter
from civicledger.projections.filters import (
    OPERATORS,
    Filter,
    Operator,
    Predicate,
    bind_period,
    from_mapping,
    refers_to_period,
)
from civicledger.projections.measures import (
    Count,
    CountDistinct,
    Derived,
    Extreme,
    Latest,
    Measure,
    Ratio,
    Sum,
)
from civicledger.projections.rollup_names import ROLLUP_FIGURES, rollup_name
from civicledger.projections.rounding import RoundingMode, check_rounding

if TYPE_CHECKING:
    from civicledger.projections.periods import Period

__all__ = ["PERIOD_KINDS", "Indicator", "IndicatorSet", "PeriodKind", "ValidationRule"]

PeriodKind: TypeAlias = Literal["year", "quarter", "month", "range"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("year", "quarter", "month", "range")

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


def _check_id(_i: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError(
            f"{attribute.name} {value!r} must be lower-case words joined by dots and "
            "underscores (e.g. 'employment.reemployment_trainees')",
            field=attribute.name,
        )


def as_filter(value: Any) -> Filter | None:
    """Accept a filter, its printed text, a ``{field: value}`` mapping, a callable or None.

    Raises:
        ValidationError: the value is none of these, or its text does not parse.
    """
    if value is None or isinstance(value, Filter):
        return value
    if isinstance(value, str):
        return parse_filter(value)
    if isinstance(value, Mapping):
        return from_mapping(value)
    if callable(value):
        return Predicate(value)
    raise ValidationError(f"where: {value!r} is not a filter, text, mapping or callable")


def _source(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    result = tuple(value)
    for name in result:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"source must name event types, got {name!r}", field="source")
    return result


def _group_by(value: Any) -> tuple[str, ...]:
    from civicledger.projections.fields import check_field_name

    if isinstance(value, str):
        value = (value,)
    return tuple(check_field_name(v) for v in value)


def _check_measure(_i: Any, _a: Any, value: Any) -> None:
    if not isinstance(value, Count | CountDistinct | Sum | Latest | Extreme | Ratio | Derived):
        raise ValidationError(f"measure: {value!r} is not a measure", field="measure")


def _check_period(_i: Any, _a: Any, value: Any) -> None:
    if value not in PERIOD_KINDS:
        raise ValidationError(
            f"period {value!r} must be one of {', '.join(PERIOD_KINDS)}", field="period"
        )


def _check_text(_i: Any, attribute: attrs.Attribute[str], value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{attribute.name} must be text, got {value!r}", field=attribute.name)


@attrs.frozen
class Indicator:
    """A declared figure: which events count, how, grouped how, over what period.

    Attributes:
        id: a stable dotted id (``"mediation.completed"``).
        label: the Chinese name shown in tables (``"调解纠纷"``).
        unit: the classifier the figure is counted in (人, 户, 次, 个, 支, 家, %).
        source: the event types that feed it (empty for a ratio).
        where: which of those events count, or None for all.
        measure: count, count_distinct, sum, latest or ratio.
        group_by: fields to break the figure down by (one figure per value).
        period: the natural period of the figure.
        state: a stock as of the period's end: events before the period count too.
        description: what the figure means, for readers of the definition.
        rounding: how the figure is rounded wherever it is (a ratio's value, a rate,
            a 万/亿 mantissa in a report): half-up (default), half-even, down or up.
        followups: the rectification ledger's roll-up figure this indicator declares
            under the office's id (``"total"``, ``"completion_rate"``, see
            :data:`.rollup_names.ROLLUP_FIGURES`), or None; such an indicator takes no
            filter or state, and the ledger computes it as of the period's end
            (``Ledger.indicators``, whose figures carry the roll-up's source and
            measure; a declaration leaves them out).
    """

    id: str = attrs.field(validator=_check_id)
    label: str = attrs.field(validator=_check_text)
    unit: str = attrs.field(validator=_check_text)
    source: tuple[str, ...] = attrs.field(default=(), converter=_source)
    where: Filter | None = attrs.field(default=None, converter=as_filter)
    measure: Measure = attrs.field(factory=Count, validator=_check_measure)
    group_by: tuple[str, ...] = attrs.field(default=(), converter=_group_by)
    period: PeriodKind = attrs.field(default="year", validator=_check_period)
    state: bool = False
    description: str = attrs.field(default="", validator=_check_text)
    rounding: RoundingMode = attrs.field(default="half-up", converter=check_rounding)
    followups: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.followups is not None:
            self._check_rollup(self.followups)
        elif isinstance(self.measure, Ratio | Derived):
            if self.source or self.where is not None:
                kind = "a ratio" if isinstance(self.measure, Ratio) else "a derived figure"
                raise ValidationError(
                    f"indicator {self.id!r}: {kind} takes its events from its parts; "
                    "leave source and where out",
                    field="source",
                )
        elif not self.source:
            raise ValidationError(
                f"indicator {self.id!r}: name at least one source event type", field="source"
            )
        both = [t for t in self.closing_types if t in self.source]
        if both:
            raise ValidationError(
                f"indicator {self.id!r}: event type {both[0]!r} is listed both as a source and "
                "in removed_by; an event either opens a key or closes it, so name it once",
                field="measure",
            )

    def _check_rollup(self, name: object) -> None:
        """A roll-up names a known figure, with no filter, state, period kind or other group."""
        found = rollup_name(name) if isinstance(name, str) else None
        if found is None:
            known = ", ".join(r.name for r in ROLLUP_FIGURES)
            raise ValidationError(
                f"indicator {self.id!r}: unknown follow-up figure {name!r}; known: {known}",
                field="followups",
            )
        # Source and measure may describe how the roll-up counts (as on the figures
        # Ledger.indicators returns); a file's declaration may not name them (toml.py).
        for key, given in (
            ("where", self.where is not None),
            ("state", self.state),
            ("period", self.period != "year"),
        ):
            if given:
                raise ValidationError(
                    f"indicator {self.id!r}: a follow-up figure is computed from the "
                    f"rectification ledger as of the period's end; leave {key} out",
                    field=key,
                )
        if self.group_by and self.group_by != found.group_by:
            raise ValidationError(
                f"indicator {self.id!r}: follow-up figure {name!r} is grouped by "
                f"{', '.join(found.group_by) or 'nothing'}; leave group_by out",
                field="group_by",
            )
        # Frozen, but the group is the roll-up's: rules and reports read it from here.
        object.__setattr__(self, "group_by", found.group_by)

    @property
    def adds_up(self) -> bool:
        """Whether the figures of its groups add up to a whole (a count or a sum)."""
        if self.followups is not None:
            found = rollup_name(self.followups)
            return found is not None and found.additive
        return isinstance(self.measure, Count | Sum)

    @property
    def closing_types(self) -> tuple[str, ...]:
        """The ``removed_by`` event types of a stock measure (empty otherwise)."""
        measure = self.measure
        if isinstance(measure, Latest | Extreme | Ratio | Derived):
            return ()
        return measure.removed_by

    @property
    def all_types(self) -> tuple[str, ...]:
        """Every event type the indicator reads (source and closing types)."""
        return tuple(dict.fromkeys(self.source + self.closing_types))

    def for_period(self, period: Period) -> Indicator:
        """The indicator as computed for ``period``: dates its filter takes from the period
        (``period.end``…) written out, in it and in its ratio parts; itself if there are none.
        """
        measure = self.measure
        if isinstance(measure, Ratio):
            parts = [
                p.for_period(period) if isinstance(p, Indicator) else p
                for p in (measure.numerator, measure.denominator)
            ]
            if parts[0] is measure.numerator and parts[1] is measure.denominator:
                return self
            bound = attrs.evolve(measure, numerator=parts[0], denominator=parts[1])
            return attrs.evolve(self, measure=bound)
        if self.where is None or not refers_to_period(self.where):
            return self
        return attrs.evolve(self, where=bind_period(self.where, period))

    def passes(self, record: RecordedEvent) -> bool:
        """Whether the event is of a source type and passes the filter (period aside)."""
        if record.type not in self.source:
            return False
        return self.where is None or self.where.compile()(record)

    def __str__(self) -> str:
        return f"{self.id} ({self.label})"


def _tolerance(value: object) -> Decimal | None:
    """A rule's tolerance: None, an int, or decimal text ("0.05"); never a float."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise ValidationError(
            f'tolerance {value!r}: write it as an integer or as text, e.g. tolerance = "0.05"',
            field="tolerance",
        )
    try:
        number = Decimal(value) if isinstance(value, int | str | Decimal) else None
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise ValidationError(f"tolerance must be a number >= 0, got {value!r}", field="tolerance")
    return number


def _parse_rule(text: str) -> tuple[Arith, Operator, Arith]:
    from civicledger.projections.expressions import _Parser

    parser = _Parser(text, "rule")
    left = parser.arith()
    token = parser.current
    if token.kind != "op" or token.text not in OPERATORS:
        raise parser.fail(f"expected a comparison ({', '.join(OPERATORS)})")
    parser.take()
    right = parser.arith()
    parser.finish()
    return left, token.text, right


@attrs.frozen
class ValidationRule:
    """A check between indicators, e.g. ``mediation.successful <= mediation.completed``.

    Each side is an indicator id or a sum or difference of them (``a + b + c``).
    Rules are evaluated and reported, never used to change a figure.

    Attributes:
        id: a stable id for the rule.
        left: the left side (indicator ids are the "fields").
        op: the comparison.
        right: the right side.
        description: what the rule checks, for the reader of a report.
        tolerance: for ``==`` only, how far apart the sides may be and still agree
            (checking a figure against a value printed in a hand-typed draft:
            ``mediation.success_rate == 91.3`` with tolerance ``0.05``).
    """

    id: str = attrs.field(validator=_check_id)
    left: Arith
    op: Operator
    right: Arith
    description: str = ""
    tolerance: Decimal | None = attrs.field(default=None, converter=_tolerance)

    def __attrs_post_init__(self) -> None:
        if self.tolerance is not None and self.op != "==":
            raise ValidationError(
                f"rule {self.id!r}: a tolerance only applies to '==', not {self.op!r}",
                field="tolerance",
            )

    @classmethod
    def parse(
        cls, id: str, text: str, description: str = "", tolerance: object = None
    ) -> ValidationRule:
        """Build a rule from its text, e.g. ``"a.x + a.y == a.total"``.

        Raises:
            ValidationError: the text is not ``expression op expression``, or the
                tolerance is not a number >= 0 on an ``==`` rule.
        """
        left, op, right = _parse_rule(text)
        return cls(id, left, op, right, description, tolerance)

    def indicator_ids(self) -> frozenset[str]:
        """Every indicator id the rule names."""
        return self.left.fields() | self.right.fields()

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


def _indicators(value: Any) -> tuple[Indicator, ...]:
    return tuple(value)


@attrs.frozen
class IndicatorSet:
    """Indicators in order, with their validation rules; ratio parts resolved by id.

    Building a set replaces every ratio's part ids by the indicators themselves,
    so a ratio can be computed on its own.

    Raises:
        ValidationError: an id is repeated, a ratio or rule names an unknown id,
            or ratios refer to each other in a cycle.
    """

    indicators: tuple[Indicator, ...] = attrs.field(converter=_indicators)
    rules: tuple[ValidationRule, ...] = attrs.field(default=(), converter=tuple)
    title: str = ""
    _by_id: Mapping[str, Indicator] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, Indicator] = {}
        for indicator in self.indicators:
            if not isinstance(indicator, Indicator):
                raise ValidationError(f"{indicator!r} is not an Indicator")
            if indicator.id in by_id:
                raise ValidationError(f"indicator id {indicator.id!r} is defined twice")
            by_id[indicator.id] = indicator
        resolved: dict[str, Indicator] = {}
        for indicator in self.indicators:
            _resolve(indicator.id, by_id, resolved, ())
        object.__setattr__(self, "indicators", tuple(resolved[i.id] for i in self.indicators))
        object.__setattr__(self, "_by_id", resolved)
        for rule in self.rules:
            unknown = sorted(rule.indicator_ids() - resolved.keys())
            if unknown:
                raise ValidationError(
                    f"rule {rule.id!r} names unknown indicator(s) {', '.join(unknown)}",
                    field="rules",
                )

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._by_id

    def __getitem__(self, indicator_id: str) -> Indicator:
        try:
            return self._by_id[indicator_id]
        except KeyError:
            raise ValidationError(
                f"no indicator {indicator_id!r} in this set; {self._closest(indicator_id)}",
                field="indicator",
            ) from None

    def _closest(self, indicator_id: str) -> str:
        """The ids most like a mistyped one (a set has dozens: listing all would bury them)."""
        ids = self.ids()
        close = difflib.get_close_matches(str(indicator_id), ids, n=5, cutoff=0.6)
        if not close:  # a typo in the group part still finds the group's members
            group = str(indicator_id).split(".")[0]
            close = [i for i in ids if i.split(".")[0] == group][:5]
        if close:
            return f"did you mean {', '.join(close)}?"
        return f"none of its {len(ids)} ids is close"

    def ids(self) -> tuple[str, ...]:
        """The indicator ids, in order."""
        return tuple(i.id for i in self.indicators)

    def select(self, ids: Sequence[str]) -> IndicatorSet:
        """A set of only the named indicators (and the ratio parts they need), no rules."""
        return IndicatorSet(tuple(self[i] for i in ids), title=self.title)

    def filtered(self, keep: Callable[[Indicator], bool]) -> tuple[Indicator, ...]:
        """The indicators for which ``keep`` is true, in order."""
        return tuple(i for i in self.indicators if keep(i))


def _resolve(
    indicator_id: str,
    by_id: Mapping[str, Indicator],
    done: dict[str, Indicator],
    trail: tuple[str, ...],
) -> Indicator:
    if indicator_id in done:
        return done[indicator_id]
    if indicator_id in trail:
        cycle = " -> ".join((*trail, indicator_id))
        raise ValidationError(
            f"ratios or derived figures refer to each other in a cycle: {cycle}", field="measure"
        )
    if indicator_id not in by_id:
        kind = "ratio" if isinstance(by_id[trail[-1]].measure, Ratio) else "derived figure"
        raise ValidationError(
            f"indicator {trail[-1]!r}: its {kind} names unknown indicator {indicator_id!r}",
            field="measure",
        )
    indicator = by_id[indicator_id]
    measure = indicator.measure
    if isinstance(measure, Ratio):
        parts = []
        for part in (measure.numerator, measure.denominator):
            part_id = part if isinstance(part, str) else part.id
            if isinstance(part, Indicator) and part_id not in by_id:
                parts.append(part)  # a ratio built in Python may bring its own parts
            else:
                parts.append(_resolve(part_id, by_id, done, (*trail, indicator_id)))
        measure = attrs.evolve(measure, numerator=parts[0], denominator=parts[1])
        indicator = attrs.evolve(indicator, measure=measure)
    elif isinstance(measure, Derived):
        trail_here = (*trail, indicator_id)
        given = {o.id: o for o in measure.operands}  # built in Python with its operands
        operands = [
            given[i] if i in given and i not in by_id else _resolve(i, by_id, done, trail_here)
            for i in measure.operand_ids
        ]
        indicator = attrs.evolve(indicator, measure=attrs.evolve(measure, operands=operands))
    done[indicator_id] = indicator
    return indicator
