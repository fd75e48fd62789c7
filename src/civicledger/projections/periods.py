"""Report periods: a year, a quarter, a month or any inclusive range of business dates."""

from __future__ import annotations

import calendar
import re
from datetime import date

import attrs

from civicledger.errors import ValidationError

__all__ = ["Period"]

_QUARTER_NAMES = ("一", "二", "三", "四")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _check_order(instance: Period, attribute: attrs.Attribute[date], value: date) -> None:
    if value < instance.start:
        raise ValidationError(
            f"period end {value} is before its start {instance.start}", field="end"
        )


@attrs.frozen(order=False)
class Period:
    """An inclusive range of business dates (``occurred_on``) a figure is computed for.

    Build one with :meth:`year`, :meth:`quarter`, :meth:`month` or :meth:`between`;
    :meth:`parse` reads the short forms ``2023``, ``2023-Q1``, ``2023-05`` and
    ``2023-01-01..2023-06-30``.

    Attributes:
        start: the first day of the period.
        end: the last day of the period (inclusive).
        label: how reports name the period (``"2023年"``, ``"2023年第一季度"``).
    """

    start: date
    end: date = attrs.field(validator=_check_order)
    label: str

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year`` (1 January to 31 December)."""
        _check_year(year)
        return cls(date(year, 1, 1), date(year, 12, 31), f"{year}年")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """The calendar quarter ``quarter`` (1-4) of ``year``.

        Raises:
            ValidationError: the quarter is not 1 to 4.
        """
        _check_year(year)
        if type(quarter) is not int or not 1 <= quarter <= 4:
            raise ValidationError(f"quarter must be 1 to 4, got {quarter!r}", field="quarter")
        first_month = 3 * quarter - 2
        last_month = first_month + 2
        end = date(year, last_month, calendar.monthrange(year, last_month)[1])
        return cls(date(year, first_month, 1), end, f"{year}年第{_QUARTER_NAMES[quarter - 1]}季度")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``month`` (1-12) of ``year``.

        Raises:
            ValidationError: the month is not 1 to 12.
        """
        _check_year(year)
        if type(month) is not int or not 1 <= month <= 12:
            raise ValidationError(f"month must be 1 to 12, got {month!r}", field="month")
        end = date(year, month, calendar.monthrange(year, month)[1])
        return cls(date(year, month, 1), end, f"{year}年{month}月")

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
        return cls(start, end, label)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``2023``, ``2023-Q1``, ``2023-05`` or ``2023-01-01..2023-06-30``.

        Raises:
            ValidationError: the text is in none of these forms.
        """
        text = text.strip()
        if m := _YEAR.match(text):
            return cls.year(int(m.group(1)))
        if m := _QUARTER.match(text):
            return cls.quarter(int(m.group(1)), int(m.group(2)))
        if m := _MONTH.match(text):
            return cls.month(int(m.group(1)), int(m.group(2)))
        if m := _RANGE.match(text):
            try:
                start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            except ValueError as e:
                raise ValidationError(f"period {text!r}: {e}", field="period") from None
            return cls.between(start, end)
        raise ValidationError(
            f"period {text!r} is not YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD",
            field="period",
        )

    @property
    def key(self) -> str:
        """A short machine form that :meth:`parse` reads back (``"2023-Q1"``)."""
        if (
            self.start.month == 1
            and self.start.day == 1
            and self.end == date(self.start.year, 12, 31)
        ):
            return f"{self.start.year}"
        if self.start.day == 1 and self.start.year == self.end.year:
            last = calendar.monthrange(self.end.year, self.end.month)[1]
            if self.end.day == last:
                months = self.end.month - self.start.month + 1
                if months == 1:
                    return f"{self.start.year}-{self.start.month:02d}"
                if months == 3 and self.start.month % 3 == 1:
                    return f"{self.start.year}-Q{(self.start.month + 2) // 3}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls within the period (both ends included)."""
        return self.start <= day <= self.end

    def previous_year(self) -> Period:
        """The same span one year earlier (for year-over-year comparison)."""
        key = self.key
        if re.fullmatch(r"\d{4}", key):
            return Period.year(self.start.year - 1)
        if m := _QUARTER.match(key):
            return Period.quarter(int(m.group(1)) - 1, int(m.group(2)))
        if m := _MONTH.match(key):
            return Period.month(int(m.group(1)) - 1, int(m.group(2)))
        return Period.between(_minus_year(self.start), _minus_year(self.end))

    def __str__(self) -> str:
        return self.label


def _check_year(year: int) -> None:
    if type(year) is not int or not 1 <= year <= 9998:
        raise ValidationError(f"year must be an integer from 1 to 9998, got {year!r}", field="year")


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
