"""Chinese figure phrasing for work reports (280余, 1.25万, 达33.33%, 两个), exact value kept.

Pure functions: no I/O, no clock, no floats. Every function returns a :class:`Phrase`
that carries the text, the exact input and a machine-readable ``rule`` saying how
the text was derived, so an explanation can always show the figure behind the words.
The rules are specified in ``docs/phrasing.md``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Final, TypeAlias

import attrs

from civicledger.errors import ValidationError
from civicledger.projections.rounding import (
    ROUNDING_MODES,
    RoundingMode,
    check_rounding,
    round_fraction,
)
from civicledger.reports.magnitude import word_form
from civicledger.reports.units import DEFAULT_UNITS, UnitRegistry

__all__ = [
    "APPROX_STYLES",
    "CLASSIFIERS",
    "FILTERS",
    "Number",
    "Phrase",
    "approximate",
    "change",
    "chinese_numeral",
    "count_phrase",
    "default_precision",
    "estimated",
    "exact",
    "phrase",
    "rate",
    "scaled",
    "with_classifier",
]

Number: TypeAlias = int | Decimal
"""A figure: an ``int`` or a finite ``Decimal``. Floats are refused everywhere."""


@attrs.frozen
class Phrase:
    """A figure as words, with the exact value it was derived from.

    Attributes:
        text: the words to print, e.g. ``"280余"``; ``str(phrase)`` returns it.
        exact: the input value, unchanged (the numerator for a rate, the current
            value for a year-over-year change).
        rule: how ``text`` was derived, e.g. ``"approx:余:precision=10"``.
        base: the denominator of a rate or the previous value of a change, else None.
        defined: False when no figure could honestly be stated (a change from 0).
    """

    text: str
    exact: Number
    rule: str
    base: Number | None = None
    defined: bool = True

    def __str__(self) -> str:
        return self.text


APPROX_STYLES: Final = ("余", "超", "超过", "约", "近", "逾")
"""Approximation styles accepted by :func:`approximate`."""

CLASSIFIERS: Final = frozenset(DEFAULT_UNITS)
"""The units of :data:`~civicledger.reports.units.DEFAULT_UNITS` (classifiers and measure units)."""

FILTERS: Final = ("exact", "approx", "scaled", "cn", "rate", "change")
"""Filter names of the :func:`phrase` spec grammar."""

_WAN: Final = 10**4
_YI: Final = 10**8
_UNITS: Final = MappingProxyType({"万": _WAN, "亿": _YI})
_RATE_VERBS: Final = MappingProxyType({"达": "达", "占": "占", "bare": ""})
_DIGITS: Final = "零一二三四五六七八九"
_MAX_DECIMALS: Final = 6
_MAX_NUMERAL: Final = 10**8 - 1


def _number(value: object, what: str) -> Number:
    """Return value if it is an int or a finite Decimal; refuse floats, bools and the rest."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        kind = "a float" if isinstance(value, float) else type(value).__name__
        raise ValidationError(
            f"{what} must be an int or a Decimal, not {kind} ({value!r}); "
            "floats are refused so that no figure is silently rounded",
            field=what,
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"{what} must be a finite number, got {value!r}", field=what)
    return value


def _count(value: object, what: str) -> int:
    """Return value as an int if it is a whole, non-negative number."""
    number = _number(value, what)
    if number < 0 or number != int(number):
        raise ValidationError(f"{what} must be a whole number >= 0, got {number}", field=what)
    return int(number)


def _plain(value: Number) -> str:
    """Exact digits, no thousands separators; a Decimal keeps the scale it was given."""
    text = str(value) if isinstance(value, int) else format(value, "f")
    return text[1:] if text.startswith("-") and value == 0 else text


def _fixed(units: int, decimals: int, *, strip: bool) -> str:
    """Render ``units / 10**decimals`` exactly, optionally without trailing zeros."""
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(decimals + 1, "0")
    whole, frac = (digits[:-decimals], digits[-decimals:]) if decimals else (digits, "")
    if strip:
        frac = frac.rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def _lossless_scaled(q: Fraction) -> tuple[str, str] | None:
    """Return (mantissa, unit) if q >= 1万 can be written in 亿 or 万 with <= 2 decimals."""
    for unit in ("亿", "万"):
        if abs(q) >= _UNITS[unit]:
            mantissa = q / _UNITS[unit] * 100
            if mantissa.denominator == 1:
                return _fixed(int(mantissa), 2, strip=True), unit
    return None


def _exact_text(value: Number) -> str:
    """Exact figure for an approximation fallback: scaled when that loses nothing."""
    found = _lossless_scaled(Fraction(value))
    return found[0] + found[1] if found else _plain(value)


def exact(value: Number) -> Phrase:
    """State a figure exactly, in plain digits (no thousands separators, no scaling).

    Args:
        value: the figure.

    Returns:
        A Phrase with rule ``"exact"``.

    Raises:
        ValidationError: if value is a float or not a number.
    """
    number = _number(value, "value")
    return Phrase(_plain(number), number, "exact")


def default_precision(value: Number) -> int:
    """Return the default rounding unit: the largest power of ten <= value / 10.

    This keeps two significant digits (283 -> 10, 612 -> 10, 74_120_000 -> 10**6).

    Args:
        value: a figure >= 10.

    Returns:
        A power of ten, at least 1.

    Raises:
        ValidationError: if value is below 10 or not an int or Decimal.
    """
    number = _number(value, "value")
    if number < 10:
        raise ValidationError(f"values below 10 have no precision, got {number}", field="value")
    return int(10 ** (len(str(int(number))) - 2))


def _check_precision(precision: object) -> int:
    """Return precision if it is a power of ten of at least 10."""
    if (
        isinstance(precision, bool)
        or not isinstance(precision, int)
        or precision < 10
        or str(precision).rstrip("0") != "1"
    ):
        raise ValidationError(
            f"precision must be a power of ten of at least 10 (10, 100, 1000 …), got {precision!r}",
            field="precision",
        )
    return precision


def _approx_text(stated: int, style: str) -> str:
    """Words for an approximate round number (already known to be the right claim)."""
    found = _lossless_scaled(Fraction(stated))
    mantissa, unit = found if found else (str(stated), "")
    if style != "余":
        return style + mantissa + unit
    # 余 sits before the unit after a whole multi-digit count (7400余万, 15余万) and
    # after it otherwise (3万余, 1.2万余): "3余万" and "1.2余万" are not idiomatic.
    if unit and (len(mantissa) < 2 or "." in mantissa):
        return mantissa + unit + "余"
    return mantissa + "余" + unit


def approximate(
    value: Number, *, style: str = "余", precision: int | None = None, words: bool = False
) -> Phrase:
    """Phrase a figure as a true approximate claim: 280余, 超过280, 约280, 近300.

    ``stated`` is a multiple of ``precision``: 余/超/超过 floor (value > stated),
    约 rounds half up (|value - stated| <= precision / 2), 近 rounds up and
    requires value < stated <= value + precision / 2. When the claim would be
    false, empty or not the style's meaning (value below 10, value already a
    multiple of precision, stated 0, 近 too far) the exact figure is stated
    instead and ``rule`` starts with ``exact:``.

    Args:
        value: the figure.
        style: one of 余, 超, 超过, 约, 近.
        precision: the rounding unit, a power of ten >= 10; default
            :func:`default_precision` (two significant digits).
        words: say a round magnitude as a word when the claim is true and close
            (百余, 千余, 万余, 逾千, 约百, 近千; see :mod:`civicledger.reports.magnitude`);
            otherwise the digits rule applies. Rule ``approx:<style>:words=<M>``.

    Returns:
        A Phrase; rule ``approx:<style>:precision=<p>`` or ``exact:<reason>:…``.

    Raises:
        ValidationError: on a float, an unknown style or a bad precision.
    """
    number = _number(value, "value")
    if style not in APPROX_STYLES:
        raise ValidationError(
            f"unknown approximation style {style!r}; known: {', '.join(APPROX_STYLES)}",
            field="style",
        )
    if precision is not None:
        _check_precision(precision)
    if words:
        found = word_form(Fraction(number), style)
        if found is not None:
            return Phrase(found[0], number, f"approx:{style}:words={found[1]}")
    if number < 10:
        return Phrase(_plain(number), number, f"exact:below-10:approx:{style}")
    p = precision if precision is not None else default_precision(number)
    rule = f"approx:{style}:precision={p}"
    q = Fraction(number)
    if style == "约":
        stated = math.floor(q / p + Fraction(1, 2)) * p
    elif style == "近":
        stated = math.ceil(q / p) * p
    else:
        stated = math.floor(q / p) * p
    reason = None
    if stated == q:
        reason = "round"
    elif stated == 0:
        reason = "too-small"
    elif style == "近" and stated - q > Fraction(p, 2):
        reason = "not-near"
    if reason is not None:
        return Phrase(_exact_text(number), number, f"exact:{reason}:{rule}")
    return Phrase(_approx_text(stated, style), number, rule)


def scaled(value: Number, *, unit: str | None = None, rounding: RoundingMode = "half-up") -> Phrase:
    """Write a figure in 万 or 亿 with at most two decimals, no trailing zeros.

    With ``unit=None`` a figure of at least 1亿 is written in 亿, at least 1万 in 万
    (a 万 figure that rounds to 10000万 is promoted to 亿), and anything smaller
    stays in plain exact digits. The mantissa is rounded half up to two decimals;
    ``rule`` ends ``:exact`` when nothing was lost, ``:round-half-up=2dp`` otherwise.

    Args:
        value: the figure.
        unit: None (automatic), "万" or "亿" (forced, even below the threshold).
        rounding: how the mantissa is rounded (half-up, half-even, down, up).

    Returns:
        A Phrase such as ``"1.25万"`` or ``"3亿"``.

    Raises:
        ValidationError: on a float, an unknown unit, or a non-zero figure that
            would read as 0 in the forced unit.
    """
    number = _number(value, "value")
    q = Fraction(number)
    if unit is None:
        name = "亿" if abs(q) >= _YI else "万" if abs(q) >= _WAN else ""
        if not name:
            return Phrase(_plain(number), number, "scaled:none")
    elif unit in _UNITS:
        name = unit
    else:
        raise ValidationError(f"unknown unit {unit!r}; known: 万, 亿", field="unit")
    mode = check_rounding(rounding)
    units = round_fraction(q / _UNITS[name], 2, mode)
    if unit is None and name == "万" and abs(units) >= 10**4 * 100:
        name, units = "亿", round_fraction(q / _YI, 2, mode)
    if units == 0 and q != 0:
        raise ValidationError(
            f"{_plain(number)} would read as 0{name} with two decimals; use exact instead",
            field="value",
        )
    lossless = Fraction(units, 100) * _UNITS[name] == q
    rule = f"scaled:{name}:" + ("exact" if lossless else f"round-{mode}=2dp")
    return Phrase(_fixed(units, 2, strip=True) + name, number, rule)


def _decimals(decimals: object) -> int:
    """Return decimals if it is an int from 0 to 6."""
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise ValidationError(f"decimals must be an int, got {decimals!r}", field="decimals")
    if not 0 <= decimals <= _MAX_DECIMALS:
        raise ValidationError(f"decimals must be 0 to 6, got {decimals}", field="decimals")
    return decimals


def _percent(pct: Fraction, decimals: int, mode: RoundingMode) -> tuple[str, str]:
    """(text, rule note) for a percentage >= 0 with ``decimals`` places, never a false 0 or 100."""
    units = round_fraction(pct, decimals, mode)
    if units == 0 and pct != 0:
        return f"不足{_fixed(1, decimals, strip=False)}%", ":under-smallest"
    # Rounding must not turn "almost all" into "all": 99.999% reads 99.99%, which
    # "达" (reaches) still states truthfully.
    if units == 100 * 10**decimals and pct < 100:
        return _fixed(units - 1, decimals, strip=False) + "%", ":held-below-100"
    return _fixed(units, decimals, strip=False) + "%", ""


def rate(
    numerator: Number,
    denominator: Number,
    *,
    decimals: int = 2,
    verb: str = "达",
    rounding: RoundingMode = "half-up",
) -> Phrase:
    """Phrase numerator / denominator as a percentage: 达33.33%, 占66.67%.

    Exactly ``decimals`` places, rounded half up (ties away from zero) on the exact
    fraction. A non-zero rate never prints as 0 (``不足0.01%``) and a rate below
    100% never prints as 100% (``99.99%``). Rates are never approximated.

    Args:
        numerator: the part, >= 0.
        denominator: the whole, > 0.
        decimals: places after the point, 0 to 6.
        verb: "达", "占" or "" (bare percentage).
        rounding: half-up (default), half-even, down or up.

    Returns:
        A Phrase with ``exact=numerator`` and ``base=denominator``.

    Raises:
        ValidationError: when the denominator is 0 (the rate is not defined),
            on negative or float inputs, or on an unknown verb.
    """
    num = _number(numerator, "numerator")
    den = _number(denominator, "denominator")
    places = _decimals(decimals)
    if verb not in ("达", "占", ""):
        raise ValidationError(f"unknown rate verb {verb!r}; known: 达, 占, ''", field="verb")
    if num < 0 or den < 0:
        raise ValidationError(f"a rate needs non-negative parts, got {num}/{den}", field="rate")
    if den == 0:
        raise ValidationError(
            f"rate not defined: the denominator is 0 (numerator {_plain(num)}); "
            "state the counts instead of a percentage",
            field="denominator",
        )
    mode = check_rounding(rounding)
    text, note = _percent(Fraction(num) * 100 / Fraction(den), places, mode)
    rule = f"rate:{verb or 'bare'}:decimals={places}:round-{mode}{note}"
    return Phrase((verb if text[0].isdigit() else "") + text, num, rule, base=den)


def change(
    current: Number, previous: Number, *, decimals: int = 2, rounding: RoundingMode = "half-up"
) -> Phrase:
    """Phrase a year-over-year change: 同比增长12.50%, 同比下降3.33%, 与上年持平.

    Equal values (including 0 and 0) read 与上年持平. From a previous value of 0
    no percentage exists: the text is ``上年为0，无法计算同比`` and ``defined`` is
    False. Percentages follow :func:`rate` (half up, never a false 0 or 100).

    Args:
        current: this year's figure, >= 0.
        previous: last year's figure, >= 0.
        decimals: places after the point, 0 to 6.
        rounding: half-up (default), half-even, down or up.

    Returns:
        A Phrase with ``exact=current`` and ``base=previous``.

    Raises:
        ValidationError: on negative or float inputs.
    """
    cur = _number(current, "current")
    prev = _number(previous, "previous")
    places = _decimals(decimals)
    mode = check_rounding(rounding)
    if cur < 0 or prev < 0:
        raise ValidationError(f"a change needs non-negative figures, got {cur}, {prev}")
    if cur == prev:
        return Phrase("与上年持平", cur, "change:equal", base=prev)
    if prev == 0:
        return Phrase(
            "上年为0，无法计算同比", cur, "change:undefined:previous=0", base=prev, defined=False
        )
    word = "增长" if cur > prev else "下降"
    pct = abs(Fraction(cur) - Fraction(prev)) * 100 / Fraction(prev)
    text, note = _percent(pct, places, mode)
    rule = f"change:{word}:decimals={places}:round-{mode}{note}"
    return Phrase(f"同比{word}{text}", cur, rule, base=prev)


def _below_10000(n: int) -> str:
    """Numeral for 1..9999 with 零 for inner gaps (一千零一十, 一百零五)."""
    parts: list[str] = []
    gap = False
    for place, mark in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            gap = bool(parts)
        else:
            if gap:
                parts.append("零")
                gap = False
            parts.append(_DIGITS[digit] + mark)
    return "".join(parts)


def chinese_numeral(n: Number) -> str:
    """Write a whole number from 0 to 99,999,999 in Chinese numerals (十二, 一百零一).

    Uses 二 throughout; :func:`count_phrase` turns a lone 2 into 两 before a classifier.

    Args:
        n: a whole number, 0 to 99,999,999.

    Returns:
        The numeral, e.g. ``"十二"``, ``"二十"``, ``"一万零一十"``.

    Raises:
        ValidationError: for negative, fractional or too large numbers.
    """
    count = _count(n, "n")
    if count > _MAX_NUMERAL:
        raise ValidationError(f"numerals go up to 99999999, got {count}", field="n")
    if count == 0:
        return "零"
    high, low = divmod(count, _WAN)
    text = _below_10000(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _below_10000(low)
    # 10–19 and 10万–19万 drop the leading 一: 十二, 十五万.
    return text[1:] if text.startswith("一十") else text


def _check_classifier(classifier: object, strict: bool, units: UnitRegistry) -> str:
    """Return classifier if it is usable (and a known unit, when strict)."""
    if not isinstance(classifier, str) or not classifier or not classifier.isprintable():
        raise ValidationError(f"bad classifier {classifier!r}", field="classifier")
    if any(c.isspace() or c.isdigit() for c in classifier):
        raise ValidationError(f"bad classifier {classifier!r}", field="classifier")
    if strict and classifier not in units:
        raise ValidationError(
            f"unknown classifier {classifier!r}; known: {' '.join(sorted(units))} "
            "(add it to the template's [units] table, or pass strict=False)",
            field="classifier",
        )
    return classifier


def count_phrase(
    n: Number,
    classifier: str,
    *,
    numerals: bool = False,
    strict: bool = True,
    units: UnitRegistry = DEFAULT_UNITS,
) -> Phrase:
    """Phrase a count with its classifier: 5个, or with numerals 两个, 五项, 十二次.

    Args:
        n: a whole number >= 0.
        classifier: e.g. 个, 项; see :data:`CLASSIFIERS`.
        numerals: write the count in Chinese numerals (2 becomes 两).
        strict: refuse classifiers that are not in ``units``.
        units: the known units (default :data:`~civicledger.reports.units.DEFAULT_UNITS`).

    Returns:
        A Phrase with rule ``count:<classifier>`` or ``cn:<classifier>``.

    Raises:
        ValidationError: for a bad count or an unknown classifier.
    """
    count = _count(n, "n")
    word = _check_classifier(classifier, strict, units)
    if not numerals:
        return Phrase(f"{count}{word}", n, f"count:{word}")
    numeral = "两" if count == 2 else chinese_numeral(count)
    return Phrase(numeral + word, n, f"cn:{word}")


def with_classifier(
    phrase_or_value: Phrase | Number,
    classifier: str,
    *,
    strict: bool = True,
    units: UnitRegistry = DEFAULT_UNITS,
) -> Phrase:
    """Append a classifier to a phrase or to an exact figure: 280余人, 1.2万人次.

    Args:
        phrase_or_value: a Phrase, or a figure (phrased exactly).
        classifier: e.g. 人, 户; see :data:`CLASSIFIERS`.
        strict: refuse classifiers that are not in ``units``.
        units: the known units (default :data:`~civicledger.reports.units.DEFAULT_UNITS`).

    Returns:
        A new Phrase; its rule is the old one plus ``+<classifier>``.

    Raises:
        ValidationError: for an unknown classifier, a percentage or undefined
            change (a classifier cannot follow them), or 万/亿 stated twice.
    """
    base = phrase_or_value if isinstance(phrase_or_value, Phrase) else exact(phrase_or_value)
    word = _check_classifier(classifier, strict, units)
    if not base.defined or base.rule.startswith(("rate:", "change:")):
        raise ValidationError(
            f"a classifier cannot follow {base.text!r} ({base.rule})", field="classifier"
        )
    if word[0] in _UNITS and any(unit in base.text for unit in _UNITS):
        raise ValidationError(
            f"{base.text!r} is already scaled; adding {word!r} would scale it twice",
            field="classifier",
        )
    if base.rule == "cn":
        return count_phrase(base.exact, word, numerals=True, strict=strict, units=units)
    return attrs.evolve(base, text=base.text + word, rule=f"{base.rule}+{word}")


def _spec_error(spec: str, why: str) -> ValidationError:
    """A ValidationError naming the spec."""
    return ValidationError(f"bad phrasing spec {spec!r}: {why}", field="spec")


def phrase(
    value: Number | tuple[Number, Number],
    spec: str,
    *,
    units: UnitRegistry = DEFAULT_UNITS,
    estimate: bool = False,
    rounding: RoundingMode = "half-up",
) -> Phrase:
    """Phrase a figure by a spec, the one entry point templates call.

    Grammar: ``name(":" arg)*``; name is one of exact, approx, scaled, cn, rate,
    change. Arguments, in any order, each kind at most once:

    - approx: a style (余 超 超过 逾 约 近), a precision (10, 100, …), ``words``
      (百余, 近千 … when true and close), a unit;
    - exact, cn: a unit (``cn:个`` gives 两个 for 2);
    - scaled: a scale (万 亿), a rounding mode, a unit;
    - rate: a verb (达 占 bare), decimals (0–6), a rounding mode; value is
      (numerator, denominator) or a ratio as a fraction of 1;
    - change: decimals (0–6), a rounding mode; value is (current, previous).

    Args:
        value: the figure, or a pair for rate and change.
        spec: e.g. ``"approx"``, ``"approx:约:100"``, ``"cn:个"``, ``"rate:占:1"``.
        units: the known units (a template's registry; default the built-in one).
        estimate: the figure was estimated: it is said with 约 (see :func:`estimated`),
            and an approximation uses the 约 style whatever style the spec names.
        rounding: the figure's rounding mode, used when the spec names none.

    Returns:
        The Phrase.

    Raises:
        ValidationError: naming the spec when it is malformed, or when the value
            does not suit it.
    """
    if not isinstance(spec, str):
        raise ValidationError(f"phrasing spec must be a string, got {spec!r}", field="spec")
    name, *raw = [token.strip() for token in spec.split(":")]
    if name not in FILTERS:
        raise _spec_error(spec, f"unknown filter {name!r}; known: {', '.join(FILTERS)}")
    args: dict[str, str] = {}
    for token in raw:
        kind = _arg_kind(name, token, units)
        if kind is None:
            hint = _ARG_HELP[name]
            if name in ("exact", "approx", "scaled", "cn") and not token.isascii():
                hint += "; if it is a unit, add it to the template's [units] table"
            raise _spec_error(spec, f"{name!r} does not take {token!r}; {hint}")
        if kind in args:
            raise _spec_error(spec, f"two {kind} arguments ({args[kind]!r}, {token!r})")
        args[kind] = token
    args.setdefault("rounding", rounding)
    if estimate and name == "approx":
        args["style"] = "约"
    try:
        result = _apply(name, args, value)
        if "classifier" in args:
            result = with_classifier(result, args["classifier"], units=units)
    except ValidationError as e:
        raise _spec_error(spec, e.message) from e
    return estimated(result) if estimate else result


def estimated(result: Phrase) -> Phrase:
    """Mark a phrase as resting on an estimated value: it is said with 约.

    ``283人`` becomes ``约283人``, ``达33.33%`` ``约达33.33%``, ``同比增长12.00%``
    ``同比增长约12.00%`` and ``与上年持平`` ``与上年基本持平``; a phrase already saying
    约 keeps its words. The rule gains the prefix ``estimate:``. An undefined
    change is left as it is: it states no figure.

    Args:
        result: the phrase of an estimated figure.

    Returns:
        The marked phrase.
    """
    if not result.defined:
        return result
    text = result.text
    if result.rule == "change:equal":
        text = "与上年基本持平"
    elif result.rule.startswith("change:"):
        text = text.replace("增长", "增长约", 1).replace("下降", "下降约", 1)
    elif not text.startswith("约"):
        text = "约" + text
    return attrs.evolve(result, text=text, rule="estimate:" + result.rule)


_ARG_HELP: Final = MappingProxyType(
    {
        "exact": "it takes a unit",
        "approx": "it takes a style (余 超 超过 逾 约 近), a precision (10, 100 …), "
        "'words', a unit",
        "scaled": "it takes a scale (万 亿), a rounding mode (half-up half-even down up), a unit",
        "cn": "it takes a unit",
        "rate": "it takes a verb (达 占 bare), decimals (0-6) and a rounding mode "
        "(half-up half-even down up)",
        "change": "it takes decimals (0-6) and a rounding mode (half-up half-even down up)",
    }
)


def _arg_kind(name: str, token: str, units: UnitRegistry) -> str | None:
    """Classify one spec argument for filter ``name``, or None if it does not apply."""
    if token in units and name in ("exact", "approx", "scaled", "cn"):
        return "classifier"
    if token.isascii() and token.isdigit():
        if name == "approx":
            return "precision"
        return "decimals" if name in ("rate", "change") else None
    if name == "approx" and token in APPROX_STYLES:
        return "style"
    if name == "approx" and token == "words":
        return "words"
    if name in ("scaled", "rate", "change") and token in ROUNDING_MODES:
        return "rounding"
    if name == "scaled" and token in _UNITS:
        return "unit"
    if name == "rate" and token in _RATE_VERBS:
        return "verb"
    return None


def _apply(name: str, args: dict[str, str], value: Number | tuple[Number, Number]) -> Phrase:
    """Run filter ``name`` with parsed arguments (classifier excluded) on value."""
    if isinstance(value, tuple):
        if name not in ("rate", "change") or len(value) != 2:
            raise ValidationError(f"{name!r} takes one figure, got {value!r}", field="value")
        first, second = value
    elif name == "change":
        raise ValidationError("change takes a pair (current, previous)", field="value")
    else:
        first, second = value, 1
    decimals = int(args.get("decimals", "2"))
    mode = check_rounding(args["rounding"])
    if name == "exact":
        return exact(first)
    if name == "approx":
        precision = int(args["precision"]) if "precision" in args else None
        style = args.get("style", "余")
        return approximate(first, style=style, precision=precision, words="words" in args)
    if name == "scaled":
        return scaled(first, unit=args.get("unit"), rounding=mode)
    if name == "cn":
        return Phrase(chinese_numeral(first), first, "cn")
    if name == "rate":
        verb = _RATE_VERBS[args.get("verb", "达")]
        return rate(first, second, decimals=decimals, verb=verb, rounding=mode)
    return change(first, second, decimals=decimals, rounding=mode)
