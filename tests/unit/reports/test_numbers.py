"""Chinese figure phrasing: the table of rules, the refusals, and the truth of every claim."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicledger.errors import ValidationError
from civicledger.reports.numbers import (
    APPROX_STYLES,
    CLASSIFIERS,
    Number,
    Phrase,
    approximate,
    change,
    chinese_numeral,
    count_phrase,
    default_precision,
    exact,
    phrase,
    rate,
    scaled,
    with_classifier,
)

D = Decimal

# (value, spec, text): the phrasing rules as data; docs/phrasing.md shows the same table.
CASES: list[tuple[Number | tuple[Number, Number], str, str]] = [
    # approximations: boundaries around 10, 100, 1000, 1万, 1亿
    (9, "approx", "9"),
    (10, "approx", "10"),
    (99, "approx", "99"),
    (100, "approx", "100"),
    (101, "approx", "100余"),
    (280, "approx", "280"),
    (283, "approx", "280余"),
    (283, "approx:超过", "超过280"),
    (283, "approx:超", "超280"),
    (283, "approx:约", "约280"),
    (285, "approx:约", "约290"),
    (283, "approx:近", "283"),
    (296, "approx:近", "近300"),
    (612, "approx", "610余"),
    (612, "approx:100", "600余"),
    (612, "approx:约:100", "约600"),
    (30, "approx:100", "30"),
    (999, "approx", "990余"),
    (999, "approx:近", "近1000"),
    (1000, "approx", "1000"),
    (1001, "approx", "1000余"),
    (9999, "approx", "9900余"),
    (9999, "approx:约", "约1万"),
    (10000, "approx", "1万"),
    (10001, "approx", "1万余"),
    (12345, "approx", "1.2万余"),
    (150_001, "approx", "15余万"),
    (74_120_000, "approx", "7400余万"),
    (74_120_000, "approx:约", "约7400万"),
    (74_120_000, "approx:100", "7412万"),
    (99_999_999, "approx", "9900余万"),
    (99_999_999, "approx:近", "近1亿"),
    (100_000_000, "approx", "1亿"),
    (100_000_001, "approx", "1亿余"),
    (123_456_789, "approx:超过", "超过1.2亿"),
    (D("283.5"), "approx", "280余"),
    (283, "approx:人", "280余人"),
    (74_120_000, "approx:约:人次", "约7400万人次"),
    # exact figures: plain digits, no thousands separators
    (12345, "exact", "12345"),
    (74_120_000, "exact", "74120000"),
    (D("280.50"), "exact", "280.50"),
    (283, "exact:人", "283人"),
    # 万/亿 scaling
    (9999, "scaled", "9999"),
    (10000, "scaled", "1万"),
    (10001, "scaled", "1万"),
    (12345, "scaled", "1.23万"),
    (12500, "scaled:人次", "1.25万人次"),
    (5000, "scaled:万", "0.5万"),
    (99_999_999, "scaled", "1亿"),
    (100_000_000, "scaled", "1亿"),
    (300_000_000, "scaled", "3亿"),
    (D("12345.67"), "scaled:万:元", "1.23万元"),
    # rates: exactly two decimals, half up, never a false 0% or 100%
    ((1, 3), "rate", "达33.33%"),
    ((2, 3), "rate:占", "占66.67%"),
    ((3, 3), "rate", "达100.00%"),
    ((1, 32), "rate", "达3.13%"),
    ((0, 5), "rate", "达0.00%"),
    ((99_999, 100_000), "rate", "达99.99%"),
    ((1, 100_000), "rate", "不足0.01%"),
    ((1, 3), "rate:bare:1", "33.3%"),
    (D("0.5"), "rate", "达50.00%"),
    # year-over-year changes
    ((112, 100), "change", "同比增长12.00%"),
    ((29, 30), "change", "同比下降3.33%"),
    ((5, 5), "change", "与上年持平"),
    ((0, 0), "change", "与上年持平"),
    ((5, 0), "change", "上年为0，无法计算同比"),
    ((0, 7), "change", "同比下降100.00%"),
    ((100_001, 100_000), "change", "同比增长不足0.01%"),
    ((4, 3), "change:1", "同比增长33.3%"),
    # Chinese numerals for structural counts
    (0, "cn", "零"),
    (2, "cn", "二"),
    (2, "cn:个", "两个"),
    (2, "exact:个", "2个"),
    (5, "cn:项", "五项"),
    (10, "cn", "十"),
    (11, "cn", "十一"),
    (12, "cn:次", "十二次"),
    (20, "cn", "二十"),
    (22, "cn:个", "二十二个"),
    (99, "cn", "九十九"),
    (101, "cn", "一百零一"),
    (1010, "cn", "一千零一十"),
    (10010, "cn", "一万零一十"),
    (110_000, "cn", "十一万"),
    # magnitude words (opt-in with "words"): 余/逾 for M < v < 2M, 约 within 5%, 近 within 10%
    (9, "approx:words", "9"),
    (10, "approx:words", "10"),
    (11, "approx:words", "十余"),
    (19, "approx:words", "十余"),
    (20, "approx:words", "20"),
    (99, "approx:words", "99"),
    (99, "approx:约:words", "约百"),
    (99, "approx:近:words", "近百"),
    (100, "approx:words", "100"),
    (100, "approx:约:words", "100"),
    (101, "approx:words", "百余"),
    (101, "approx:逾:words", "逾百"),
    (105, "approx:约:words", "约百"),
    (106, "approx:约:words", "约110"),
    (150, "approx:words", "百余"),
    (199, "approx:words", "百余"),
    (200, "approx:words", "200"),
    (283, "approx:words", "280余"),
    (899, "approx:近:words", "近900"),
    (900, "approx:近:words", "近千"),
    (999, "approx:words", "990余"),
    (999, "approx:近:words", "近千"),
    (999, "approx:约:words", "约千"),
    (1000, "approx:words", "1000"),
    (1000, "approx:近:words", "1000"),
    (1001, "approx:words", "千余"),
    (1001, "approx:超过:words", "超过千"),
    (1999, "approx:逾:words", "逾千"),
    (2000, "approx:逾:words", "2000"),
    (9999, "approx:words", "9900余"),
    (9999, "approx:近:words", "近万"),
    (10000, "approx:words", "1万"),
    (10001, "approx:words", "万余"),
    (15000, "approx:words", "万余"),
    (150_000, "approx:逾:words", "逾十万"),
    (100_000_001, "approx:words", "亿余"),
    (101, "approx:words:个", "百余个"),
    (1200, "approx:words:人", "千余人"),
    (98, "approx:约:words:米", "约百米"),
    (960, "approx:近:words:平方米", "近千平方米"),
    # 逾 in digits: a floor, like 超
    (283, "approx:逾", "逾280"),
    (1001, "approx:逾", "逾1000"),
    # units of the registry the issue lists
    (12, "exact:家次", "12家次"),
    (12, "exact:户次", "12户次"),
    (D("3.5"), "exact:平方公里", "3.5平方公里"),
    (5, "cn:块", "五块"),
    (2, "cn:卡", "两卡"),
    (D("1.5"), "exact:亿元", "1.5亿元"),
    (12500, "scaled:元", "1.25万元"),
    # rounding modes: rate, change and scaled mantissas
    ((1, 32), "rate", "达3.13%"),
    ((1, 32), "rate:half-up", "达3.13%"),
    ((1, 32), "rate:half-even", "达3.12%"),
    ((3, 32), "rate:half-even", "达9.38%"),
    ((1, 32), "rate:down", "达3.12%"),
    ((1, 32), "rate:up", "达3.13%"),
    ((1, 3), "rate:up", "达33.34%"),
    ((2, 3), "rate:down", "达66.66%"),
    ((1, 8), "rate:1", "达12.5%"),
    ((1, 8), "rate:half-even:0", "达12%"),
    ((1, 8), "rate:half-up:0", "达13%"),
    ((1, 3), "rate:占:1", "占33.3%"),
    ((1, 3), "rate:0", "达33%"),
    ((1, 3), "rate:up:2", "达33.34%"),
    ((12345, 10000), "change:down:1", "同比增长23.4%"),
    ((12345, 10000), "change:up:1", "同比增长23.5%"),
    (12345, "scaled:down", "1.23万"),
    (12345, "scaled:up", "1.24万"),
    (12350, "scaled:half-even", "1.24万"),
    (12250, "scaled:half-even", "1.22万"),
    (12250, "scaled:half-up", "1.23万"),
]


@pytest.mark.parametrize(("value", "spec", "text"), CASES)
def test_phrase_table(value: Number | tuple[Number, Number], spec: str, text: str) -> None:
    """Each (value, spec) in the table phrases to exactly the listed text."""
    assert phrase(value, spec).text == text


def test_table_has_at_least_forty_cases() -> None:
    """The phrasing table covers at least forty cases, as the issue asks."""
    assert len(CASES) >= 40


def test_str_of_a_phrase_is_its_text() -> None:
    """str(phrase) gives the words, so templates can print a Phrase directly."""
    assert str(approximate(283)) == "280余"


def test_approximation_rule_names_style_and_precision() -> None:
    """An approximation records its style and rounding unit in the rule."""
    result = approximate(612, precision=100)
    assert (result.rule, result.exact) == ("approx:余:precision=100", 612)


@pytest.mark.parametrize(
    ("value", "style", "precision", "rule"),
    [
        (280, "余", None, "exact:round:approx:余:precision=10"),
        (7, "余", None, "exact:below-10:approx:余"),
        (30, "余", 100, "exact:too-small:approx:余:precision=100"),
        (40, "约", 100, "exact:too-small:approx:约:precision=100"),
        (294, "近", None, "exact:not-near:approx:近:precision=10"),
    ],
)
def test_false_or_empty_claims_fall_back_to_the_exact_figure(
    value: int, style: str, precision: int | None, rule: str
) -> None:
    """When a style's claim would be false or empty, the exact figure is stated and marked."""
    result = approximate(value, style=style, precision=precision)
    assert (result.text, result.rule) == (str(value), rule)


def test_default_precision_keeps_two_significant_digits() -> None:
    """The default rounding unit is the largest power of ten not above value / 10."""
    assert [default_precision(v) for v in (10, 99, 100, 283, 9999, 10000, 74_120_000)] == [
        1,
        1,
        10,
        10,
        100,
        1000,
        10**6,
    ]


def test_scaled_rule_says_whether_rounding_happened() -> None:
    """A scaled figure's rule tells an exact rescaling from a rounded one."""
    assert scaled(12500).rule == "scaled:万:exact"
    assert scaled(12345).rule == "scaled:万:round-half-up=2dp"
    assert scaled(9999).rule == "scaled:none"


def test_rate_keeps_numerator_and_denominator() -> None:
    """A rate keeps both exact parts, so 1/3 can be explained, not only 33.33%."""
    result = rate(1, 3)
    assert (result.exact, result.base, result.rule) == (1, 3, "rate:达:decimals=2:round-half-up")


def test_rate_rounds_half_up_not_to_even() -> None:
    """A tie rounds away from zero: 12.5% with no decimals reads 13%."""
    assert rate(1, 8, decimals=0).text == "达13%"


@pytest.mark.parametrize(
    ("result", "rule"),
    [
        (rate(1, 100_000), "rate:达:decimals=2:round-half-up:under-smallest"),
        (rate(99_999, 100_000), "rate:达:decimals=2:round-half-up:held-below-100"),
        (change(1, 100_000), "change:下降:decimals=2:round-half-up:held-below-100"),
        (change(100_001, 100_000), "change:增长:decimals=2:round-half-up:under-smallest"),
    ],
)
def test_percentage_guards_are_recorded_in_the_rule(result: Phrase, rule: str) -> None:
    """When a percentage is kept off a false 0 or 100, the rule says so."""
    assert result.rule == rule


def test_change_from_zero_is_flagged_not_defined() -> None:
    """A change from 0 carries defined=False and the previous value, never a percentage."""
    result = change(5, 0)
    assert (result.defined, result.exact, result.base) == (False, 5, 0)
    assert "%" not in result.text


def test_count_phrase_uses_liang_only_for_a_lone_two() -> None:
    """两 replaces 二 only when the whole count is 2; 十二 and 二十 keep 二."""
    texts = [count_phrase(n, "个", numerals=True).text for n in (2, 12, 20)]
    assert texts == ["两个", "十二个", "二十个"]


def test_count_phrase_without_numerals_uses_digits() -> None:
    """Without numerals a count is written in digits before its classifier."""
    assert count_phrase(41, "个").text == "41个"


def test_with_classifier_turns_a_numeral_two_into_liang() -> None:
    """Adding a classifier to a numeral phrase of 2 gives 两, not 二."""
    assert with_classifier(phrase(2, "cn"), "支").text == "两支"


def test_with_classifier_accepts_a_bare_value() -> None:
    """A bare figure is phrased exactly before the classifier is added."""
    result = with_classifier(3000, "户")
    assert (result.text, result.rule) == ("3000户", "exact+户")


def test_unknown_classifier_lists_the_known_ones() -> None:
    """An unknown classifier is refused with the list of known classifiers."""
    with pytest.raises(ValidationError, match=r"unknown classifier '头'.*人次") as info:
        with_classifier(5, "头")
    assert info.value.field == "classifier"


def test_strict_false_allows_another_classifier() -> None:
    """strict=False lets a caller use a classifier outside the known set."""
    assert with_classifier(5, "头", strict=False).text == "5头"


@pytest.mark.parametrize("classifier", ["", " 人", "2个", "人\n"])
def test_malformed_classifier_is_refused_even_when_not_strict(classifier: str) -> None:
    """Empty classifiers or ones with spaces or digits are refused, strict or not."""
    with pytest.raises(ValidationError, match="bad classifier"):
        with_classifier(5, classifier, strict=False)


def test_classifier_cannot_follow_a_percentage() -> None:
    """A classifier after a rate would be nonsense, so it is refused."""
    with pytest.raises(ValidationError, match="cannot follow"):
        with_classifier(rate(1, 3), "人")


def test_classifier_cannot_scale_twice() -> None:
    """万人次 after a figure already in 万 would state 万 twice, so it is refused."""
    with pytest.raises(ValidationError, match="scale it twice"):
        with_classifier(scaled(12500), "万人次")


def test_spec_words_do_not_overlap() -> None:
    """Classifiers never coincide with styles, units or verbs, so a spec reads one way."""
    assert CLASSIFIERS.isdisjoint({*APPROX_STYLES, "万", "亿", "达", "占", "bare"})


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (exact, (2.5,)),
        (approximate, (283.0,)),
        (scaled, (12345.0,)),
        (rate, (1.0, 3)),
        (change, (5, 4.0)),
        (phrase, (283.0, "approx")),
    ],
)
def test_floats_are_refused_everywhere(
    function: Callable[..., Phrase], args: tuple[object, ...]
) -> None:
    """A float input raises ValidationError instead of being rounded silently."""
    with pytest.raises(ValidationError, match="not a float"):
        function(*args)


@pytest.mark.parametrize("value", [True, "283", D("NaN"), D("Infinity"), None])
def test_non_numbers_are_refused(value: object) -> None:
    """Booleans, strings, NaN and infinities are not figures."""
    with pytest.raises(ValidationError):
        exact(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("numerator", [0, 3])
def test_rate_over_zero_is_not_defined(numerator: int) -> None:
    """A zero denominator raises an error saying the rate is not defined, never 0%."""
    with pytest.raises(ValidationError, match="not defined") as info:
        rate(numerator, 0)
    assert info.value.field == "denominator"


def test_negative_rate_parts_are_refused() -> None:
    """A rate of a negative count is refused."""
    with pytest.raises(ValidationError, match="non-negative"):
        rate(-1, 3)


@pytest.mark.parametrize("precision", [7, 1, 150, 0, -10, True])
def test_precision_must_be_a_power_of_ten(precision: int) -> None:
    """Only 10, 100, 1000 … are rounding units."""
    with pytest.raises(ValidationError, match="power of ten") as info:
        approximate(283, precision=precision)
    assert info.value.field == "precision"


def test_unknown_style_is_refused() -> None:
    """An approximation style outside 余 超 超过 约 近 is refused with the list."""
    with pytest.raises(ValidationError, match="余, 超, 超过, 约, 近"):
        approximate(283, style="多")


def test_forced_unit_that_would_read_zero_is_refused() -> None:
    """A non-zero figure that would print as 0亿 is refused rather than understated."""
    with pytest.raises(ValidationError, match="0亿"):
        scaled(12345, unit="亿")


@pytest.mark.parametrize("n", [-1, 100_000_000, D("2.5")])
def test_numerals_outside_range_are_refused(n: Number) -> None:
    """Numerals are for whole numbers from 0 to 99,999,999."""
    with pytest.raises(ValidationError):
        chinese_numeral(n)


@pytest.mark.parametrize(
    ("value", "spec", "why"),
    [
        (283, "", "unknown filter ''"),
        (283, "round", "unknown filter 'round'"),
        (283, "approx:7", "power of ten"),
        (283, "approx:余:约", "two style arguments"),
        (283, "approx:千", "does not take '千'"),
        (283, "scaled:千", "does not take '千'"),
        (283, "exact:100", "does not take '100'"),
        ((1, 3), "rate:9", "decimals must be 0 to 6"),
        ((1, 0), "rate", "not defined"),
        (283, "change", "pair"),
        ((1, 3), "approx", "takes one figure"),
        (283.0, "exact", "float"),
        (12500, "scaled:万人次", "twice"),
    ],
)
def test_bad_spec_is_refused_naming_the_spec(value: object, spec: str, why: str) -> None:
    """A malformed spec or a value that does not suit it raises an error naming the spec."""
    with pytest.raises(ValidationError, match=re.escape(why)) as info:
        phrase(value, spec)  # type: ignore[arg-type]
    assert f"bad phrasing spec {spec!r}" in str(info.value)
    assert info.value.field == "spec"


def test_spec_tolerates_spaces_around_arguments() -> None:
    """Spaces around spec tokens are ignored, as template authors type them."""
    assert phrase(612, " approx : 约 : 100 ").text == "约600"


def test_decimal_input_is_kept_exactly() -> None:
    """A Decimal figure is kept as the very same object beside its phrase."""
    value = D("74120000.00")
    assert phrase(value, "approx").exact is value
    assert phrase(value, "approx").text == "7400余万"


# ---------------------------------------------------------------------------
# Properties: parse the words back and check the claim they make is true.

_CLAIM = re.compile(r"^(超过|超|逾|约|近)?(-?\d+(?:\.\d+)?)(余)?(万|亿)?(余)?$")
_SCALE = {None: 1, "万": 10**4, "亿": 10**8}


def _stated(text: str) -> tuple[str, Fraction]:
    """Return (style, stated number) read back from an approximation's words."""
    match = _CLAIM.match(text)
    assert match, text
    prefix, digits, more_before, unit, more_after = match.groups()
    assert not (more_before and more_after), text
    assert not (prefix and (more_before or more_after)), text
    style = prefix or ("余" if more_before or more_after else "")
    return style, Fraction(D(digits)) * _SCALE[unit]


def _precision(result: Phrase) -> Fraction:
    """The rounding unit recorded in an approximation's rule."""
    found = re.search(r"precision=(\d+)", result.rule)
    assert found, result.rule
    return Fraction(int(found.group(1)))


figures = st.one_of(
    st.integers(min_value=-100, max_value=10**12),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)
precisions = st.one_of(st.none(), st.sampled_from([10, 100, 1000, 10**4, 10**6]))


@given(figures, st.sampled_from(APPROX_STYLES), precisions)
def test_every_approximation_is_a_true_claim(
    value: Number, style: str, precision: int | None
) -> None:
    """The words state a true claim about the exact value, within the rounding unit."""
    result = approximate(value, style=style, precision=precision)
    assert result.exact is value
    if result.rule.startswith("exact:"):
        # A fallback states the exact figure, possibly scaled without loss.
        assert _stated(result.text) == ("", Fraction(value))
        return
    said, stated = _stated(result.text)
    exact_value, unit = Fraction(value), _precision(result)
    assert said == style
    assert stated % unit == 0
    assert stated > 0
    if style in ("余", "超", "超过", "逾"):
        assert stated < exact_value
        assert exact_value - stated < unit
    elif style == "近":
        assert exact_value < stated
        assert stated - exact_value <= unit / 2
    else:
        assert abs(stated - exact_value) <= unit / 2


@given(figures)
def test_scaled_is_within_half_a_hundredth_of_its_unit(value: Number) -> None:
    """A scaled figure differs from the exact one by at most half the last digit shown."""
    result = scaled(value)
    assert result.exact is value
    match = re.fullmatch(r"(-?\d+(?:\.\d{1,2})?)(万|亿)?", result.text)
    assert match, result.text
    shown = Fraction(D(match.group(1))) * _SCALE[match.group(2)]
    gap = abs(shown - Fraction(value))
    if result.rule.endswith(("exact", "none")):
        assert gap == 0
    else:
        assert gap <= Fraction(_SCALE[match.group(2)], 200)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_rate_is_within_half_a_unit_and_never_falsely_whole(num: int, den: int) -> None:
    """A rate reads within 0.005% of the truth (0.01% when held below 100%), never a false 0/100."""
    text = rate(num, den).text
    exact_pct = Fraction(num * 100, den)
    if text == "不足0.01%":
        assert 0 < exact_pct < Fraction(1, 100)
        return
    shown = Fraction(D(text.removeprefix("达").removesuffix("%")))
    held_below_100 = shown == Fraction(9999, 100) and exact_pct > shown + Fraction(1, 200)
    assert abs(shown - exact_pct) <= (Fraction(1, 100) if held_below_100 else Fraction(1, 200))
    assert (shown == 0) == (num == 0)
    assert shown != 100 or exact_pct >= 100


_NUMERAL_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_PLACES = {"十": 10, "百": 100, "千": 1000}


def _read_numeral(text: str) -> int:
    """Read a Chinese numeral back to an int (the inverse the property checks)."""
    total = section = digit = 0
    for char in text:
        if char in _NUMERAL_DIGITS:
            digit = _NUMERAL_DIGITS[char]
        elif char in _PLACES:
            section += (digit or 1) * _PLACES[char]
            digit = 0
        else:
            assert char == "万", text
            total, section, digit = (section + digit) * 10**4, 0, 0
    return total + section + digit


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numeral_reads_back_to_the_number(n: int) -> None:
    """Every numeral reads back to the number it was written from."""
    text = chinese_numeral(n)
    assert _read_numeral(text) == n
    assert "零零" not in text
    assert not (n and text.endswith("零"))


_DOC = Path(__file__).resolve().parents[3] / "docs" / "phrasing.md"
_DOC_ROW = re.compile(r"^\| (\(\d+, \d+\)|\d+) \| `([^`]+)` \| ([^|]+) \| `([^`]+)` \|$")


def test_examples_in_the_docs_match_the_code() -> None:
    """Every example row in docs/phrasing.md is what the code produces, text and rule."""
    examples = _DOC.read_text(encoding="utf-8").split("## Examples", 1)[1]
    rows = [m.groups() for m in map(_DOC_ROW.match, examples.splitlines()) if m]
    assert len(rows) >= 25
    for value, spec, text, rule in rows:
        pair = re.fullmatch(r"\((\d+), (\d+)\)", value)
        figure = (int(pair[1]), int(pair[2])) if pair else int(value)
        result = phrase(figure, spec)
        assert (result.text, result.rule) == (text, rule), (value, spec)


# ---------------------------------------------------------------------------
# Estimates, magnitude words, rounding modes and the unit registry.

ESTIMATES: list[tuple[Number | tuple[Number, Number], str, str, str]] = [
    (283, "exact", "约283", "estimate:exact"),
    (283, "exact:人", "约283人", "estimate:exact+人"),
    (283, "approx", "约280", "estimate:approx:约:precision=10"),
    (283, "approx:余:人", "约280人", "estimate:approx:约:precision=10+人"),
    (283, "approx:近", "约280", "estimate:approx:约:precision=10"),
    (98, "approx:余:words:米", "约百米", "estimate:approx:约:words=100+米"),
    (9, "approx", "约9", "estimate:exact:below-10:approx:约"),
    (280, "approx", "约280", "estimate:exact:round:approx:约:precision=10"),
    (12500, "scaled:人次", "约1.25万人次", "estimate:scaled:万:exact+人次"),
    (2, "cn:个", "约两个", "estimate:cn:个"),
    ((1, 3), "rate", "约达33.33%", "estimate:rate:达:decimals=2:round-half-up"),
    ((1, 3), "rate:占", "约占33.33%", "estimate:rate:占:decimals=2:round-half-up"),
    ((112, 100), "change", "同比增长约12.00%", "estimate:change:增长:decimals=2:round-half-up"),
    ((29, 30), "change", "同比下降约3.33%", "estimate:change:下降:decimals=2:round-half-up"),
    ((5, 5), "change", "与上年基本持平", "estimate:change:equal"),
]


@pytest.mark.parametrize(("value", "spec", "text", "rule"), ESTIMATES)
def test_an_estimate_is_said_with_yue(
    value: Number | tuple[Number, Number], spec: str, text: str, rule: str
) -> None:
    """An estimated figure reads 约 in every form, and its rule says it was an estimate."""
    result = phrase(value, spec, estimate=True)
    assert (result.text, result.rule) == (text, rule)


def test_an_undefined_change_stays_undefined_when_estimated() -> None:
    """上年为0 states no figure, so there is nothing to call an estimate."""
    result = phrase((5, 0), "change", estimate=True)
    assert (result.text, result.defined) == ("上年为0，无法计算同比", False)


def test_words_rule_names_the_magnitude() -> None:
    """A word form records the magnitude it names; a digits fallback records its precision."""
    assert approximate(1200, words=True).rule == "approx:余:words=1000"
    assert approximate(2550, words=True).rule == "approx:余:precision=100"


_WORDS = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6}
_WORDS |= {"千万": 10**7, "亿": 10**8}
_WORD_CLAIM = re.compile(r"^(超过|超|逾|约|近)?(十万|百万|千万|十|百|千|万|亿)(余)?$")


@given(
    st.integers(min_value=0, max_value=3 * 10**8),
    st.sampled_from(APPROX_STYLES),
)
def test_every_word_form_is_a_true_and_close_claim(value: int, style: str) -> None:
    """百余 is 100 < v < 200, 约百 within 5% of 100, 近千 from 900 to 999; else digits."""
    result = approximate(value, style=style, words=True)
    match = _WORD_CLAIM.match(result.text)
    if match is None:
        assert result.rule == approximate(value, style=style).rule
        return
    prefix, word, more = match.groups()
    magnitude = _WORDS[word]
    assert result.rule == f"approx:{style}:words={magnitude}"
    if style == "约":
        assert prefix == "约"
        assert 0 < abs(value - magnitude) * 20 <= magnitude
    elif style == "近":
        assert prefix == "近"
        assert magnitude * 9 <= value * 10 < magnitude * 10
    else:
        assert (more == "余") == (style == "余")
        assert magnitude < value < 2 * magnitude


_DECIMAL_MODES = {
    "half-up": "ROUND_HALF_UP",
    "half-even": "ROUND_HALF_EVEN",
    "down": "ROUND_DOWN",
    "up": "ROUND_UP",
}


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(sorted(_DECIMAL_MODES)),
    st.sampled_from([0, 1, 2]),
)
def test_rate_rounds_as_the_decimal_module_does(num: int, den: int, mode: str, places: int) -> None:
    """Each rounding mode gives what Decimal.quantize gives with the same-named mode."""
    import decimal

    result = rate(num, den, decimals=places, verb="", rounding=mode)  # type: ignore[arg-type]
    assert result.rule.startswith(f"rate:bare:decimals={places}:round-{mode}")
    if result.rule.endswith((":under-smallest", ":held-below-100")):
        return
    with decimal.localcontext() as context:
        context.prec = 80
        expected = (D(num) * 100 / D(den)).quantize(
            D(1).scaleb(-places), rounding=getattr(decimal, _DECIMAL_MODES[mode])
        )
    assert result.text == f"{expected}%"


def test_an_unknown_rounding_mode_is_refused() -> None:
    """A misspelt mode is refused with the list of modes."""
    with pytest.raises(ValidationError, match="half-up, half-even, down, up"):
        rate(1, 3, rounding="banker")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="does not take 'half-even'"):
        phrase(283, "exact:half-even")


def test_a_figures_rounding_mode_applies_unless_the_spec_names_one() -> None:
    """phrase(rounding=...) is the figure's default; a mode in the spec wins."""
    assert phrase((1, 32), "rate", rounding="half-even").text == "达3.12%"
    assert phrase((1, 32), "rate:up", rounding="half-even").text == "达3.13%"


def test_a_template_extends_the_unit_registry() -> None:
    """A unit outside the registry is refused until a [units] table adds it."""
    from civicledger.reports.units import DEFAULT_UNITS

    with pytest.raises(ValidationError, match=r"does not take .床.*units. table"):
        phrase(12, "exact:床")
    units = DEFAULT_UNITS.extended_from_toml({"classifiers": ["床"], "measures": ["立方米"]})
    assert phrase(12, "exact:床", units=units).text == "12床"
    assert phrase(1200, "approx:words:立方米", units=units).text == "千余立方米"
    assert units.kind("立方米") == "measure"
    assert "床" not in DEFAULT_UNITS


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"classifier": ["床"]}, "unknown setting 'classifier'"),
        ({"classifiers": "床"}, "must be a list of words"),
        ({"classifiers": ["约"]}, "word of the phrasing spec grammar"),
        ({"classifiers": ["a b"]}, "no spaces"),
        ({"measures": ["个"]}, "already a classifier"),
        ([], "must be a table"),
    ],
)
def test_a_bad_units_table_is_refused(table: object, message: str) -> None:
    """Each malformed [units] table is refused with what is wrong."""
    from civicledger.reports.units import DEFAULT_UNITS

    with pytest.raises(ValidationError, match=message):
        DEFAULT_UNITS.extended_from_toml(table)


def test_the_issue_units_are_known() -> None:
    """Every unit the issue lists is in the default registry."""
    listed = "名 人 人次 户 户次 家 家次 个 支 次 场 件 起 项 米 公里 平方米 平方公里 块 卡 元 万元"
    listed += " 亿元 小时"
    assert set(listed.split()) <= CLASSIFIERS
