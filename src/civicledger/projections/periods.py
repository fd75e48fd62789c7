"""Report periods as offices write them: years, halves, quarters, months, ISO weeks,
month ranges ("1—11月"), "up to a date" ("截至10月底") and any range of dates.

One textual form is parsed the same everywhere (Python API, TOML, CLI):

=======================  ==========  ==========================  =========================
text                     kind        Chinese label               English label
=======================  ==========  ==========================  =========================
``2022``                 year        2022年                      2022
``2022-H1``              half        2022年上半年                H1 2022
``2022-Q3``              quarter     2022年第三季度              Q3 2022
``2022-03``              month       2022年3月                   March 2022
``2022-W14``             week        2022年第14周                Week 14 of 2022
``2022-01..2022-11``     months      2022年1—11月                January–November 2022
``..2022-10-31``         to_date     截至2022年10月底            Up to the end of October 2022
``2022-01-01..2022-10-31``  range    2022年1月1日至2022年10月31日  1 January 2022 to 31 October 2022
=======================  ==========  ==========================  =========================

A period knows its kind, so comparisons line up by construction:
:meth:`Period.previous_year` (同比) is the same span one year earlier, and
:meth:`Period.previous` (环比) the immediately preceding period of the same kind.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Literal, TypeAlias

import attrs

from civicledger.errors import ValidationError

__all__ = ["PERIOD_FORMS", "Period", "PeriodKind"]

PeriodKind: TypeAlias = Literal[
    "year", "half", "quarter", "month", "week", "months", "to_date", "range"
]

PERIOD_FORMS = (
    "YYYY, YYYY-H1, YYYY-Q3, YYYY-MM, YYYY-Www, YYYY-MM..YYYY-MM, ..YYYY-MM-DD "
    "or YYYY-MM-DD..YYYY-MM-DD"
)
"""The accepted textual forms, as error messages list them."""

_NUMBERS = ("一", "二", "三", "四")
_HALVES = ("上半年", "下半年")
_MONTHS_EN = tuple(calendar.month_name)[1:]

_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})-H(\d)$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-?Q(\d)$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_MONTHS = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$")
_TO_MONTH = re.compile(r"^\.\.(\d{4})-(\d{2})$")
_TO_DATE = re.compile(r"^\.\.(\d{4}-\d{2}-\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _check_order(instance: Period, attribute: attrs.Attribute[date], value: date) -> None:
    if value < instance.start:
        raise ValidationError(
            f"period end {value} is before its start {instance.start}: the period is empty",
            field="end",
        )


@attrs.frozen(order=False)
class Period:
    """An inclusive range of business dates (``occurred_on``) a figure is computed for.

    Build one with a named constructor (:meth:`year`, :meth:`half`, :meth:`quarter`,
    :meth:`month`, :meth:`week`, :meth:`months`, :meth:`to_date`, :meth:`between`)
    or read its short form with :meth:`parse`.

    Attributes:
        start: the first day of the period.
        end: the last day of the period (inclusive).
        label: how Chinese reports name the period (``"2023年1—11月"``).
        kind: what kind of period it is; decides its key, its English label and
            which period it is compared with.
    """

    start: date
    end: date = attrs.field(validator=_check_order)
    label: str
    kind: PeriodKind = "range"

    # -- constructors -------------------------------------------------------------

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year`` (1 January to 31 December)."""
        _check_year(year)
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year}年", "year")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        """The first (1) or second (2) half of ``year``: 上半年 or 下半年."""
        _check_index(half, 2, "half")
        first = cls.months(year, 6 * half - 5, 6 * half)
        return cls(first.start, first.end, f"{year}年{_HALVES[half - 1]}", "half")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """The calendar quarter ``quarter`` (1-4) of ``year``.

        Raises:
            ValidationError: the quarter is not 1 to 4.
        """
        _check_index(quarter, 4, "quarter")
        span = cls.months(year, 3 * quarter - 2, 3 * quarter)
        return cls(span.start, span.end, f"{year}年第{_NUMBERS[quarter - 1]}季度", "quarter")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``month`` (1-12) of ``year``.

        Raises:
            ValidationError: the month is not 1 to 12.
        """
        _check_year(year)
        _check_index(month, 12, "month")
        return cls(date(year, month, 1), _month_end(year, month), f"{year}年{month}月", "month")

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        """ISO week ``week`` of ISO year ``year`` (Monday to Sunday).

        Raises:
            ValidationError: the ISO year has no such week (52 or 53 weeks).
        """
        _check_year(year)
        weeks = _iso_weeks(year)
        if type(week) is not int or not 1 <= week <= weeks:
            raise ValidationError(
                f"week must be 1 to {weeks} ({year} has {weeks} ISO weeks), got {week!r}",
                field="week",
            )
        start = date.fromisocalendar(year, week, 1)
        return cls(start, start + timedelta(days=6), f"{year}年第{week}周", "week")

    @classmethod
    def months(cls, year: int, first: int, last: int, *, last_year: int | None = None) -> Period:
        """Whole months from ``first`` of ``year`` to ``last`` (of ``last_year``, default
        ``year``); ``months(2022, 1, 11)`` is the year to date through November, 1—11月.

        Raises:
            ValidationError: a month is not 1 to 12, or the last is before the first.
        """
        end_year = year if last_year is None else last_year
        _check_year(year)
        _check_year(end_year)
        _check_index(first, 12, "month")
        _check_index(last, 12, "month")
        if (end_year, last) < (year, first):
            raise ValidationError(
                f"month range {year}-{first:02d}..{end_year}-{last:02d} ends before it "
                "starts: the period is empty",
                field="period",
            )
        if end_year == year:
            label = f"{year}年{first}月" if first == last else f"{year}年{first}—{last}月"
        else:
            label = f"{year}年{first}月—{end_year}年{last}月"
        return cls(date(year, first, 1), _month_end(end_year, last), label, "months")

    @classmethod
    def to_date(cls, day: date) -> Period:
        """From 1 January of ``day``'s year up to ``day``: 截至2022年10月底 (at a month's
        end) or 截至2022年10月15日."""
        _check_year(day.year)
        if day == _month_end(day.year, day.month):
            label = f"截至{day.year}年{day.month}月底"
        else:
            label = f"截至{_zh_date(day)}"
        return cls(date(day.year, 1, 1), day, label, "to_date")

    @classmethod
    def between(cls, start: date, end: date, label: str | None = None) -> Period:
        """Any inclusive range of dates.

        Args:
            start: the first day.
            end: the last day (inclusive).
            label: the report name; ``"2023年1月1日至2023年6月30日"`` style if None.

        Raises:
            ValidationError: ``end`` is before ``start``.
        """
        if label is None:
            label = f"{_zh_date(start)}至{_zh_date(end)}"
        return cls(start, end, label, "range")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period's short form (see the module docstring for every form).

        Raises:
            ValidationError: the text is in none of the forms, names a day, month,
                quarter, half or week that does not exist, or an empty range.
        """
        if not isinstance(text, str):
            raise ValidationError(
                f"a period must be text like 2023-Q1, got {text!r}", field="period"
            )
        text = text.strip()
        try:
            return _parse(text)
        except ValidationError as e:
            raise ValidationError(f"period {text!r}: {e.message}", field="period") from None

    # -- what the period is -----------------------------------------------------------

    @property
    def key(self) -> str:
        """The short form that :meth:`parse` reads back (``"2023-Q1"``, ``"2022-01..2022-11"``)."""
        start, end = self.start, self.end
        if self.kind == "year":
            return f"{start.year:04d}"
        if self.kind == "half":
            return f"{start.year:04d}-H{1 if start.month == 1 else 2}"
        if self.kind == "quarter":
            return f"{start.year:04d}-Q{(start.month + 2) // 3}"
        if self.kind == "month":
            return f"{start.year:04d}-{start.month:02d}"
        if self.kind == "week":
            iso = start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.kind == "months":
            return f"{start.year:04d}-{start.month:02d}..{end.year:04d}-{end.month:02d}"
        if self.kind == "to_date":
            return f"..{end.isoformat()}"
        return f"{start.isoformat()}..{end.isoformat()}"

    @property
    def label_en(self) -> str:
        """The English label (``"Q3 2022"``, ``"January–November 2022"``)."""
        start, end = self.start, self.end
        if self.kind == "year":
            return f"{start.year}"
        if self.kind == "half":
            return f"H{1 if start.month == 1 else 2} {start.year}"
        if self.kind == "quarter":
            return f"Q{(start.month + 2) // 3} {start.year}"
        if self.kind == "month":
            return f"{_MONTHS_EN[start.month - 1]} {start.year}"
        if self.kind == "week":
            iso = start.isocalendar()
            return f"Week {iso.week} of {iso.year}"
        if self.kind == "months":
            first, last = _MONTHS_EN[start.month - 1], _MONTHS_EN[end.month - 1]
            if start.year != end.year:
                return f"{first} {start.year}–{last} {end.year}"
            return f"{first} {start.year}" if first == last else f"{first}–{last} {start.year}"
        if self.kind == "to_date":
            if end == _month_end(end.year, end.month):
                return f"Up to the end of {_MONTHS_EN[end.month - 1]} {end.year}"
            return f"Up to {_en_date(end)}"
        return f"{_en_date(start)} to {_en_date(end)}"

    def text(self, language: str = "zh") -> str:
        """The label in ``"zh"`` (as offices print it) or ``"en"``."""
        return self.label_en if language == "en" else self.label

    @property
    def days(self) -> int:
        """How many days the period spans (both ends included)."""
        return (self.end - self.start).days + 1

    @property
    def last_month_start(self) -> date:
        """The first day of the period's last month (or the period's start, if later)."""
        return max(self.start, self.end.replace(day=1))

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls within the period (both ends included)."""
        return self.start <= day <= self.end

    def within(self, kind: Literal["quarter", "month"]) -> list[Period]:
        """The whole quarters or months that lie inside the period, in order."""
        found: list[Period] = []
        year, month = self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            if kind == "month":
                candidate = Period.month(year, month)
            elif month % 3 == 1:
                candidate = Period.quarter(year, (month + 2) // 3)
            else:
                candidate = None
            if candidate is not None and self.start <= candidate.start <= candidate.end <= self.end:
                found.append(candidate)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    # -- comparisons ------------------------------------------------------------------

    def previous_year(self) -> Period:
        """同比: the same span one year earlier, of the same kind.

        1—11月 gives last year's 1—11月, ISO week 14 the ISO week 14 of the year
        before, 截至10月底 last year's 截至10月底 (a month's end stays a month's end).

        Raises:
            ValidationError: the same span does not exist a year earlier (ISO week 53).
        """
        start, end = self.start, self.end
        if self.kind == "year":
            return Period.year(start.year - 1)
        if self.kind == "half":
            return Period.half(start.year - 1, 1 if start.month == 1 else 2)
        if self.kind == "quarter":
            return Period.quarter(start.year - 1, (start.month + 2) // 3)
        if self.kind == "month":
            return Period.month(start.year - 1, start.month)
        if self.kind == "week":
            iso = start.isocalendar()
            if iso.week > _iso_weeks(iso.year - 1):
                raise ValidationError(
                    f"{self.key} has no same week a year earlier: {iso.year - 1} has "
                    f"{_iso_weeks(iso.year - 1)} ISO weeks",
                    field="period",
                )
            return Period.week(iso.year - 1, iso.week)
        if self.kind == "months":
            return Period.months(start.year - 1, start.month, end.month, last_year=end.year - 1)
        if self.kind == "to_date":
            if end == _month_end(end.year, end.month):
                return Period.to_date(_month_end(end.year - 1, end.month))
            return Period.to_date(_minus_year(end))
        return Period.between(_minus_year(start), _minus_year(end))

    def previous(self) -> Period:
        """环比: the immediately preceding period of the same kind.

        The month before a month, the quarter before a quarter, the week before a
        week; for a month range or a date range, the same number of months (days)
        just before it.

        Raises:
            ValidationError: the period runs from the start of its year up to a date
                (截至…), which has no preceding period of the same kind.
        """
        start, end = self.start, self.end
        if self.kind == "year":
            return Period.year(start.year - 1)
        if start == date.min:
            raise ValidationError(f"{self.key} has no preceding period", field="period")
        last = start - timedelta(days=1)  # the day before: the end of the preceding period
        if self.kind == "month":
            return Period.month(last.year, last.month)
        if self.kind == "quarter":
            return Period.quarter(last.year, (last.month + 2) // 3)
        if self.kind == "half":
            return Period.half(last.year, 1 if last.month == 6 else 2)
        if self.kind == "months":
            count = (end.year - start.year) * 12 + end.month - start.month + 1
            first = last.year * 12 + last.month - count  # months since year 0, zero-based
            return Period.months(first // 12, first % 12 + 1, last.month, last_year=last.year)
        if self.kind == "week":
            iso = (start - timedelta(days=7)).isocalendar()
            return Period.week(iso.year, iso.week)
        if self.kind == "to_date":
            raise ValidationError(
                f"{self.label} runs from the start of the year up to a date, so it has no "
                "preceding period of the same kind (环比); compare it 同比, or name a month "
                f"range such as {end.year}-{end.month:02d}..{end.year}-{end.month:02d}",
                field="period",
            )
        try:
            return Period.between(start - timedelta(days=self.days), last)
        except OverflowError:
            raise ValidationError(f"{self.key} has no preceding period", field="period") from None

    def __str__(self) -> str:
        return self.label


def _parse(text: str) -> Period:
    if m := _YEAR.match(text):
        return Period.year(int(m.group(1)))
    if m := _HALF.match(text):
        return Period.half(int(m.group(1)), int(m.group(2)))
    if m := _QUARTER.match(text):
        return Period.quarter(int(m.group(1)), int(m.group(2)))
    if m := _MONTH.match(text):
        return Period.month(int(m.group(1)), int(m.group(2)))
    if m := _WEEK.match(text):
        return Period.week(int(m.group(1)), int(m.group(2)))
    if m := _MONTHS.match(text):
        year, first, last_year, last = (int(g) for g in m.groups())
        return Period.months(year, first, last, last_year=last_year)
    if m := _TO_MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        _check_year(year)
        _check_index(month, 12, "month")
        return Period.to_date(_month_end(year, month))
    if m := _TO_DATE.match(text):
        return Period.to_date(_date(m.group(1)))
    if m := _RANGE.match(text):
        return Period.between(_date(m.group(1)), _date(m.group(2)))
    if text.endswith(".."):
        raise ValidationError("a period needs an end; write ..YYYY-MM-DD for 'up to a date'")
    if ".." in text:
        raise ValidationError(
            "both ends of a range must be months (YYYY-MM..YYYY-MM) or both dates "
            "(YYYY-MM-DD..YYYY-MM-DD)"
        )
    raise ValidationError(f"not a period; write one of {PERIOD_FORMS}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text} is not a calendar date") from None


def _check_year(year: int) -> None:
    if type(year) is not int or not 1 <= year <= 9998:
        raise ValidationError(f"year must be an integer from 1 to 9998, got {year!r}", field="year")


def _check_index(value: int, top: int, name: str) -> None:
    if type(value) is not int or not 1 <= value <= top:
        raise ValidationError(f"{name} must be 1 to {top}, got {value!r}", field=name)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _iso_weeks(year: int) -> int:
    """How many ISO weeks an ISO year has (52 or 53): 28 December is always in the last."""
    return date(year, 12, 28).isocalendar().week


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _en_date(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
