"""FEEL's date and time functions (DMN 1.5 10.3.4.7): day of year, day of week, month of year, week of year, now, today.

The argument may be a date or a date and time; names are English, as the spec gives them.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, Iterator

from composite.feel._library import Arguments, builtin

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@builtin("day of year", "date")
def day_of_year(date: Any) -> Decimal:
    return Decimal(Arguments("day of year").date_like("date", date).timetuple().tm_yday)


@builtin("day of week", "date")
def day_of_week(date: Any) -> str:
    return _DAYS[Arguments("day of week").date_like("date", date).weekday()]


@builtin("month of year", "date")
def month_of_year(date: Any) -> str:
    return _MONTHS[Arguments("month of year").date_like("date", date).month - 1]


@builtin("week of year", "date")
def week_of_year(date: Any) -> Decimal:
    """The ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday)."""
    return Decimal(Arguments("week of year").date_like("date", date).isocalendar()[1])


# a replayed decision must see the moment it was first made, not the moment it is replayed
_FIXED_NOW: ContextVar[datetime.datetime | None] = ContextVar("feel_fixed_now", default=None)


@contextmanager
def clock(moment: datetime.datetime) -> Iterator[None]:
    """Evaluate with now() = `moment` and today() = its date (replays and tests).

    >>> with clock(datetime.datetime(2020, 1, 1, 12, tzinfo=datetime.timezone.utc)):
    ...     today()
    datetime.date(2020, 1, 1)
    """
    token = _FIXED_NOW.set(moment)
    try:
        yield
    finally:
        _FIXED_NOW.reset(token)


@builtin("now")
def now() -> datetime.datetime:
    """The current date and time with the machine's UTC offset (or the moment `clock` fixed)."""
    fixed = _FIXED_NOW.get()
    return fixed if fixed is not None else datetime.datetime.now().astimezone()


@builtin("today")
def today() -> datetime.date:
    fixed = _FIXED_NOW.get()
    return fixed.date() if fixed is not None else datetime.date.today()
