"""What a sentence's filters print: a figure or a count phrased as a linked number.

A template reaches figures only through ``fig()``, which hands it a :class:`FigureRef`
that cannot be printed on its own; a filter (``exact``, ``rate``, ``change`` …)
turns it into a :class:`~civicledger.reports.model.Num` that keeps the exact value,
the rule applied and the figure's appendix ref.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from civicledger.errors import TemplateError, ValidationError
from civicledger.projections import Figure, Period
from civicledger.projections.derived import named_parts
from civicledger.reports.appendix import exact
from civicledger.reports.model import Num
from civicledger.reports.numbers import Phrase, phrase
from civicledger.reports.units import UnitRegistry

__all__ = ["FigureRef", "NotAYear", "phrase_value"]

Fail = Callable[[str, str], TemplateError]
"""Makes the error for a message and the name it is about (template, line bound)."""


class NotAYear:
    """What ``year`` is in a report whose period is not a calendar year: unprintable,
    so a 1—11月 report can never call itself "2022年"."""

    __slots__ = ("_period",)

    def __init__(self, period: Period) -> None:
        self._period = period

    def _refuse(self, *_: Any) -> Any:
        raise TemplateError(
            f"{{{{ year }}}} names a calendar year, but this report covers "
            f"{self._period.label} ({self._period.key}); write {{{{ period }}}} for the "
            "period's label"
        )

    __str__ = __format__ = __add__ = __radd__ = __sub__ = __rsub__ = _refuse


class FigureRef:
    """What ``fig()`` returns in a template: opaque, so only filters can print it."""

    __slots__ = ("figure",)

    def __init__(self, figure: Figure) -> None:
        self.figure = figure

    def __str__(self) -> str:
        raise TemplateError("print a figure through a filter, e.g. {{ fig('x') | exact }}")


def phrase_value(
    value: Any,
    name: str,
    args: Sequence[Any],
    *,
    units: UnitRegistry,
    earlier: Callable[[Figure], Figure | None],
    ref: Callable[[Figure], str],
    fail: Fail,
) -> Num:
    """Phrase a figure (or a plain count) with filter ``name`` and its arguments.

    Args:
        value: what the filter was applied to: a :class:`FigureRef` or a whole number.
        name: the filter (``phrase`` takes the whole spec as its argument).
        args: the filter's arguments.
        units: the template's units.
        earlier: the figure of the same span a year earlier (for ``change``).
        ref: the figure's appendix ref.
        fail: makes the template error for a message and a name.
    """
    spec = name if name != "phrase" else (str(args[0]) if args else "")
    if name != "phrase":
        spec = ":".join([name, *(str(a) for a in args)])
    if isinstance(value, bool) or not isinstance(value, FigureRef | int):
        raise fail(
            f"filter {spec.split(':')[0]!r} needs fig('…') or a whole number, got {value!r}", spec
        )
    try:
        if isinstance(value, int):
            result = phrase(value, spec, units=units)
            return Num(result.text, str(value), result.rule, None)
        figure = value.figure
        return _phrase_figure(figure, spec, units, earlier, ref, lambda m: fail(m, figure.id))
    except ValidationError as e:
        if isinstance(e, TemplateError):
            raise
        raise fail(e.message, spec) from None


def _phrase_figure(
    figure: Figure,
    spec: str,
    units: UnitRegistry,
    earlier: Callable[[Figure], Figure | None],
    ref: Callable[[Figure], str],
    fail: Callable[[str], TemplateError],
) -> Num:
    # The argument "unit" stands for the indicator's own unit (人, 家次 …).
    spec = ":".join(figure.indicator.unit if t.strip() == "unit" else t for t in spec.split(":"))
    kind = spec.split(":")[0]
    if figure.value is None:
        raise fail(
            f"figure {figure.id!r} is not defined for {figure.period.key}: "
            f"{figure.undefined_reason}"
        )
    result: Phrase
    # The figure's own rounding mode and estimate travel with it; decimals stay the
    # spec's (default 2), so a ratio stored to 1 place still reads 91.30% unless asked.
    options: dict[str, Any] = {
        "units": units,
        "estimate": bool(figure.estimated),
        "rounding": figure.indicator.rounding,
    }
    share, growth = named_parts(figure, "share"), named_parts(figure, "growth")
    if kind == "rate":
        parts = share or (figure.numerator, figure.denominator)
        if parts[0] is None or parts[1] is None:
            raise fail(f"'rate' needs a ratio indicator or a share(a, b); {figure.id!r} is neither")
        num, den = parts[0].value, parts[1].value
        if num is None or den is None:
            raise fail(f"figure {figure.id!r} has an undefined part")
        result = phrase((num, den), spec, **options)
        stated = f"{exact(num)}/{exact(den)}"
    elif kind == "change" and growth is not None:
        # growth(a, b) is the change from b to a: its own operands, not last year's.
        now, then = growth[0].value, growth[1].value
        if now is None or then is None:
            raise fail(f"figure {figure.id!r} has an undefined part")
        result = phrase((now, then), spec, **options)
        stated = f"{exact(now)}/{exact(then)}"
    elif kind == "change":
        before = earlier(figure)
        if before is None or before.value is None:
            raise fail(f"no previous-period figure for {figure.id!r} to compare with")
        result = phrase((figure.value, before.value), spec, **options)
        stated = f"{exact(figure.value)}/{exact(before.value)}"
    else:
        result = phrase(figure.value, spec, **options)
        stated = exact(figure.value)
    return Num(result.text, stated, result.rule, ref(figure))
