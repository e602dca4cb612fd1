"""Dates and date-times in years Python's datetime cannot hold (FEEL allows -999,999,999 to 999,999,999).

Such a value is a Python date placed the same way in the 400-year Gregorian cycle, plus how many cycles away it is.

The Gregorian calendar repeats every 400 years (146,097 days, a whole number of weeks), so the
shifted date has the same month lengths, leap days, weekday and ISO week as the real one. Years
before 1 are held in 1200-1599, before any time zone's first rule (local mean time, as java.time
reads zones that far back); years after 9999 in 8000-8399.

>>> far = make_date(-2017, 12, 31)
>>> far.year, far.month, far.day, far.isoweekday()
(-2017, 12, 31, 6)
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from composite.feel._errors import FeelRuntimeError

CYCLE_YEARS = 400
CYCLE_DAYS = 146_097
_SECONDS_PER_DAY = 86_400
FEEL_YEARS = range(-999_999_999, 1_000_000_000)


def _cycles_for(year: int) -> int:
    """How many 400-year cycles to move `year` by so it lands in its holding band."""
    base = 1200 if year < 1 else 8000
    return (year - base) // CYCLE_YEARS


class _FarCalendar:
    """The calendar of a date held `cycles` 400-year cycles away (the weekdays and weeks repeat)."""

    inner: Any
    cycles: int

    @property
    def year(self) -> int:
        return self.inner.year + CYCLE_YEARS * self.cycles

    @property
    def month(self) -> int:
        return self.inner.month

    @property
    def day(self) -> int:
        return self.inner.day

    def weekday(self) -> int:
        return self.inner.weekday()

    def isoweekday(self) -> int:
        return self.inner.isoweekday()

    def isocalendar(self) -> tuple[int, int, int]:
        year, week, day = self.inner.isocalendar()
        return year + CYCLE_YEARS * self.cycles, week, day

    def timetuple(self) -> Any:
        return self.inner.timetuple()  # only the day of the year is read, which the shift keeps


@dataclass(frozen=True)
class FarDate(_FarCalendar):
    """A FEEL date outside Python's years 1 to 9999."""

    inner: datetime.date
    cycles: int

    def __repr__(self) -> str:
        return f"FarDate({self.year}-{self.month:02d}-{self.day:02d})"


@dataclass(frozen=True)
class FarDateTime(_FarCalendar):
    """A FEEL date and time outside Python's years 1 to 9999 (a zone or offset as for datetime)."""

    inner: datetime.datetime
    cycles: int

    @property
    def hour(self) -> int:
        return self.inner.hour

    @property
    def minute(self) -> int:
        return self.inner.minute

    @property
    def second(self) -> int:
        return self.inner.second

    @property
    def microsecond(self) -> int:
        return self.inner.microsecond

    @property
    def tzinfo(self) -> datetime.tzinfo | None:
        return self.inner.tzinfo

    def utcoffset(self) -> datetime.timedelta | None:
        return self.inner.utcoffset()

    def timetz(self) -> datetime.time:
        return self.inner.timetz()

    def date(self) -> Union[datetime.date, FarDate]:
        return settle(self.inner.date(), self.cycles)

    def __repr__(self) -> str:
        return f"FarDateTime({self.year}-{self.month:02d}-{self.day:02d}T{self.inner.timetz().isoformat()})"


def settle(inner: Any, cycles: int) -> Any:
    """The value `inner` moved by `cycles` 400-year cycles: a Python date or datetime when it fits."""
    year = inner.year + CYCLE_YEARS * cycles
    if year not in FEEL_YEARS:
        raise FeelRuntimeError(f"year {year} is outside FEEL's years (-999999999 to 999999999)")
    if 1 <= year <= 9999:
        return inner.replace(year=year)
    shift = _cycles_for(year)
    held = inner.replace(year=year - CYCLE_YEARS * shift)
    return FarDateTime(held, shift) if isinstance(inner, datetime.datetime) else FarDate(held, shift)


def _held(year: int) -> tuple[int, int]:
    """The year Python holds a FEEL year in, and the cycles between them."""
    if year not in FEEL_YEARS:
        raise FeelRuntimeError(f"year {year} is outside FEEL's years (-999999999 to 999999999)")
    if 1 <= year <= 9999:
        return year, 0
    shift = _cycles_for(year)
    return year - CYCLE_YEARS * shift, shift


def make_date(year: int, month: int, day: int) -> Any:
    """A date for any FEEL year: a datetime.date when Python can hold it, else a FarDate."""
    held, shift = _held(year)
    try:
        inner = datetime.date(held, month, day)
    except ValueError as error:
        raise FeelRuntimeError(f"not a date: {year_text(year)}-{month:02d}-{day:02d} ({error})") from None
    return inner if shift == 0 else FarDate(inner, shift)


def make_date_time(day: Any, clock: datetime.time) -> Any:
    """The date `day` (a date or FarDate) at the time `clock` (with its zone, if any)."""
    inner, shift = pair(day)
    moment = datetime.datetime.combine(inner, clock)
    return moment if shift == 0 else FarDateTime(moment, shift)


def pair(value: Any) -> tuple[Any, int]:
    """A date or date-time as (a Python value, cycles to move it by)."""
    if isinstance(value, (FarDate, FarDateTime)):
        return value.inner, value.cycles
    return value, 0


def is_date(value: Any) -> bool:
    return type(value) is datetime.date or type(value) is FarDate


def is_date_time(value: Any) -> bool:
    return type(value) is datetime.datetime or type(value) is FarDateTime


def add_months(value: Any, months: int) -> Any:
    """Calendar months added, the day clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = value.year * 12 + (value.month - 1) + months
    year, month0 = divmod(index, 12)
    held, shift = _held(year)
    inner, _ = pair(value)
    day = min(value.day, calendar.monthrange(held, month0 + 1)[1])
    moved = inner.replace(year=held, month=month0 + 1, day=day)
    return settle(moved, shift)


def shift_far(value: Any, delta: datetime.timedelta) -> Any:
    """`value` + `delta` (elapsed time for a zoned date-time) in any FEEL year.

    Whole 400-year cycles of the delta move the cycle count, so the Python value held never
    leaves Python's years.
    """
    inner, shift = pair(value)
    # whole cycles toward zero, so a small delta stays small: crossing into another band of years
    # would read a zone's rules of other centuries (Melbourne's daylight saving in year -2021)
    cycles = int(delta.days / CYCLE_DAYS)
    rest = delta - datetime.timedelta(days=cycles * CYCLE_DAYS)
    if inner.year > 9999 - 2 * CYCLE_YEARS:
        # the remainder is under 400 years either way: keep it from running past Python's years
        inner, shift = inner.replace(year=inner.year - 2 * CYCLE_YEARS), shift + 2
    elif inner.year < 2 * CYCLE_YEARS:
        inner, shift = inner.replace(year=inner.year + 2 * CYCLE_YEARS), shift - 2
    if isinstance(inner, datetime.datetime) and inner.tzinfo is not None and hasattr(inner.tzinfo, "key"):
        moved = (inner.astimezone(datetime.timezone.utc) + rest).astimezone(inner.tzinfo)
    else:
        moved = inner + rest
    return settle(moved, shift + cycles)


def seconds_between(a: Any, b: Any) -> Decimal:
    """a - b in seconds, for two date-times (both zoned or both local) in any FEEL years."""
    inner_a, shift_a = pair(a)
    inner_b, shift_b = pair(b)
    delta = inner_a - inner_b
    micros = (delta.days * _SECONDS_PER_DAY + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micros).scaleb(-6) + Decimal((shift_a - shift_b) * CYCLE_DAYS * _SECONDS_PER_DAY)


def days_between(a: Any, b: Any) -> int:
    """a - b in days, for two dates in any FEEL years."""
    inner_a, shift_a = pair(a)
    inner_b, shift_b = pair(b)
    return inner_a.toordinal() - inner_b.toordinal() + (shift_a - shift_b) * CYCLE_DAYS


def year_text(year: int) -> str:
    """A year as ISO 8601 writes it: four digits at least, a minus sign before the years BC."""
    return f"-{-year:04d}" if year < 0 else f"{year:04d}"
