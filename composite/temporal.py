"""Dates, times and durations as projects write them: strict ISO-8601 text to values and back.

knowledge/ concepts, the expression language, decision tables and the store share these values:
`datetime.date`, `datetime.datetime`, `datetime.time` and the FEEL durations of composite.feel.values.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

# Concept types and the kind names messages use.
DATE, DATETIME, TIME, DURATION, YEARS_MONTHS = "date", "datetime", "time", "duration", "years_months"
KINDS = (DATE, DATETIME, TIME, DURATION, YEARS_MONTHS)

EXAMPLES = {
    DATE: "a date like 2026-03-01",
    DATETIME: "a date and time like 2026-03-01T14:30:00 (an offset such as Z or +01:00 is optional)",
    TIME: "a time like 14:30:00",
    DURATION: "a duration in days and time like P90D or PT36H",
    YEARS_MONTHS: "a duration in years and months like P1Y6M",
}

# Only the extended ISO forms, so that "20260301" or "2026-W09" never pass for a date by accident.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
_OFFSET = r"(?:Z|[+-]\d{2}:\d{2})?"
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T" + _TIME + _OFFSET)
_TIME_OF_DAY = re.compile(_TIME + _OFFSET)


_DURATIONS: tuple[type, type] | None = None


def durations() -> tuple[type, type]:
    """(DayTimeDuration, YearMonthDuration): the FEEL duration types, shared with composite.feel."""
    global _DURATIONS
    if _DURATIONS is None:  # imported on first use: a project without durations never loads FEEL
        from composite.feel.values import DayTimeDuration, YearMonthDuration

        _DURATIONS = (DayTimeDuration, YearMonthDuration)
    return _DURATIONS


def kind_of(value: Any) -> str | None:
    """The temporal kind of a value (date, datetime, time, duration, years_months), or None."""
    kind = type(value)
    if kind is _dt.date:
        return DATE
    if kind is _dt.datetime:
        return DATETIME
    if kind is _dt.time:
        return TIME
    name = kind.__name__
    if name == "DayTimeDuration" or name == "YearMonthDuration":
        day_time, years_months = durations()
        if kind is day_time:
            return DURATION
        if kind is years_months:
            return YEARS_MONTHS
    return None


def is_temporal(value: Any) -> bool:
    return kind_of(value) is not None


def parse(kind: str, text: str) -> Any:
    """The value of ISO text of `kind`; ValueError saying what was expected.

    >>> parse("date", "2026-03-01")
    datetime.date(2026, 3, 1)
    """
    if not isinstance(text, str):
        raise ValueError(f"expected {EXAMPLES[kind]}")
    stripped = text.strip()
    try:
        if kind == DATE and _DATE.fullmatch(stripped):
            return _dt.date.fromisoformat(stripped)
        if kind == DATETIME and _DATETIME.fullmatch(stripped):
            return _dt.datetime.fromisoformat(stripped.replace("Z", "+00:00"))
        if kind == TIME and _TIME_OF_DAY.fullmatch(stripped):
            return _dt.time.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError as exc:  # the right shape, an impossible value: 2026-02-30, 25:00
        raise ValueError(f"expected {EXAMPLES[kind]}; {_why(exc)}") from None
    if kind in (DURATION, YEARS_MONTHS):
        return _duration(kind, stripped)
    raise ValueError(f"expected {EXAMPLES[kind]}")


def parse_any_duration(text: str) -> Any:
    """`P90D` or `P1Y2M`: a days-and-time or a years-and-months duration, by its text."""
    if not isinstance(text, str):
        raise ValueError("expected a duration like P90D or P1Y6M")
    try:
        return _feel_duration(text.strip())
    except ValueError:
        raise ValueError("expected a duration like P90D, PT36H or P1Y6M") from None


def _feel_duration(text: str) -> Any:
    """FEEL's duration of `text`, of either kind; ValueError."""
    from composite.feel import values

    try:
        return values.parse_duration(text)
    except (values.FeelRuntimeError, ValueError, TypeError, ArithmeticError):
        raise ValueError("not a duration") from None


def _duration(kind: str, text: str) -> Any:
    day_time, years_months = durations()
    wanted = day_time if kind == DURATION else years_months
    try:
        value = _feel_duration(text)
    except ValueError:
        raise ValueError(f"expected {EXAMPLES[kind]}") from None
    if type(value) is not wanted:
        raise ValueError(f"expected {EXAMPLES[kind]}")
    return value


def _why(exc: ValueError) -> str:
    text = str(exc)
    return text.split(": '")[0] if text else "no such date or time"


def iso(value: Any) -> str:
    """The ISO-8601 text of a temporal value: what JSON output, explanations and the store show."""
    kind = kind_of(value)
    if kind in (DATE, DATETIME, TIME):
        return value.isoformat()
    if kind in (DURATION, YEARS_MONTHS):
        return str(value.iso())
    raise TypeError(f"not a date, time or duration: {value!r}")


def coerce(kind: str, value: Any) -> Any:
    """A request's value for a concept of temporal `kind`: ISO text or the value itself; ValueError.

    A date-and-time at midnight (a pandas Timestamp of a date column) stands for its date.
    """
    if isinstance(value, str):
        return parse(kind, value)
    found = kind_of(value)
    if found == kind:
        return value
    if kind == DATE and isinstance(value, _dt.datetime) and value.tzinfo is None \
            and value.time() == _dt.time(0) and getattr(value, "nanosecond", 0) == 0:
        return _dt.date(value.year, value.month, value.day)
    if kind == DATETIME and isinstance(value, _dt.datetime):  # a pandas Timestamp: a plain datetime
        if getattr(value, "nanosecond", 0):
            raise ValueError(f"expected {EXAMPLES[kind]}; nanoseconds are not kept")
        return _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                            value.microsecond, value.tzinfo, fold=value.fold)
    raise ValueError(f"expected {EXAMPLES[kind]}")


def written(value: Any) -> str:
    """A temporal value as an expression writes it: date("2026-03-01"), duration("P1Y6M")."""
    kind = kind_of(value)
    return f'{"duration" if kind == YEARS_MONTHS else kind}("{iso(value)}")'


def from_datetime64(value: Any) -> Any:
    """A numpy datetime64 as Python's date (day precision) or date-time (to the microsecond); None for NaT."""
    import numpy as np

    if np.isnat(value):
        return None
    unit = np.datetime_data(value.dtype)[0]
    if unit in ("Y", "M", "W", "D"):
        return value.astype("datetime64[D]").item()
    return value.astype("datetime64[us]").item()


def order(a: Any, b: Any) -> int:
    """-1, 0 or 1 as `a` is before, at or after `b` (two values of one kind); TypeError when a
    date-time with an offset meets one without, which have no order."""
    if kind_of(a) in (DURATION, YEARS_MONTHS):
        return a.compare(b)
    return (a > b) - (a < b)


_DAY_ZERO = _dt.datetime(1, 1, 1)


def moment(value: Any) -> int | None:
    """A date, time or duration as the integer durable-rules orders it by, or None for other values.

    Dates and date-times count microseconds from 0001-01-01 (a date is its midnight; an offset is
    taken away, so date-times with offsets compare as instants), times microseconds from midnight,
    durations microseconds or months: how rule conditions (durable-rules compares numbers) order them.
    """
    kind = type(value)
    if kind is _dt.date:
        return (value.toordinal() - 1) * 86_400_000_000
    if kind is _dt.datetime:
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return _micros(value - _DAY_ZERO)
    if kind is _dt.time:
        offset = value.utcoffset() or _dt.timedelta(0)
        return _micros(_dt.datetime.combine(_DAY_ZERO, value.replace(tzinfo=None)) - _DAY_ZERO - offset)
    name = kind.__name__
    if name == "DayTimeDuration":
        return int((value.seconds * 1_000_000).to_integral_value())
    if name == "YearMonthDuration":
        return int(value.months)
    return None


def _micros(delta: _dt.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


__all__ = ["DATE", "DATETIME", "DURATION", "EXAMPLES", "KINDS", "TIME", "YEARS_MONTHS", "coerce", "is_temporal",
           "iso", "kind_of", "moment", "order", "parse", "parse_any_duration"]
