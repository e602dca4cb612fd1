"""FEEL's conversion functions (DMN 1.5 10.3.4.1): date, date and time, time, number, string, duration, range.

Text is read with the same grammar as `@"..."` literals; wrong types and impossible values raise FeelRuntimeError.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from composite.feel._library import MISSING, Arguments, builtin
from composite.feel._temporal import FarDate, FarDateTime, make_date, make_date_time
from composite.feel.values import (
    DayTimeDuration,
    FeelRuntimeError,
    Range,
    YearMonthDuration,
    feel_compare,
    feel_number,
    feel_string,
    offset_zone,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_temporal,
    parse_time,
    type_name,
)


@builtin("date", "from", overloads=[(("year", "month", "day"), 3)])
def date(first: Any, month: Any = MISSING, day: Any = MISSING) -> datetime.date | FarDate:
    args = Arguments("date")
    if month is MISSING:
        value = first
        if type(value) is str:
            return parse_date(value)
        if type(value) in (datetime.datetime, FarDateTime):
            return value.date()
        if type(value) in (datetime.date, FarDate):
            return value
        raise args.wrong("from", value, "a date string or a date and time")
    try:
        return make_date(args.integer("year", first), args.integer("month", month), args.integer("day", day))
    except FeelRuntimeError as error:
        raise args.fail(str(error)) from None


@builtin("date and time", "from", overloads=[(("date", "time"), 2)])
def date_and_time(first: Any, time: Any = MISSING) -> datetime.datetime | FarDateTime:
    args = Arguments("date and time")
    if time is MISSING:
        value = first
        if type(value) is str:
            return parse_date_and_time(value)
        if type(value) in (datetime.datetime, FarDateTime):
            return value
        if type(value) in (datetime.date, FarDate):
            return make_date_time(value, datetime.time())
        raise args.wrong("from", value, "a date and time string")
    day = args.date_like("date", first)
    if type(time) is not datetime.time:
        raise args.wrong("time", time, "a time")
    return make_date_time(day if type(day) in (datetime.date, FarDate) else day.date(), time)


@builtin("time", "from", overloads=[(("hour", "minute", "second", "offset"), 3)])
def time(first: Any, minute: Any = MISSING, second: Any = MISSING, offset: Any = None) -> datetime.time:
    args = Arguments("time")
    if minute is MISSING:
        value = first
        if type(value) is str:
            return parse_time(value)
        if type(value) in (datetime.datetime, FarDateTime):
            return value.timetz()
        if type(value) in (datetime.date, FarDate):
            # a date's time is its midnight in UTC, as the spec's example gives (00:00:00Z)
            return datetime.time(tzinfo=datetime.timezone.utc)
        if type(value) is datetime.time:
            return value
        raise args.wrong("from", value, "a time string, a date or a date and time")
    hour, minute_n = args.integer("hour", first), args.integer("minute", minute)
    seconds = args.number("second", second)
    if not (0 <= hour <= 23 and 0 <= minute_n <= 59 and 0 <= seconds < 60):
        raise args.fail(f"no such time {first}:{minute}:{second}")
    whole = int(seconds)
    micro = int((seconds - whole) * 1_000_000)
    zone = None
    if offset is not None:
        if type(offset) is not DayTimeDuration:
            raise args.wrong("offset", offset, "a days and time duration")
        zone = offset_zone(offset.to_timedelta())
    return datetime.time(hour, minute_n, whole, micro, tzinfo=zone)


_GROUPING = (" ", ",", ".")
_DECIMAL = (",", ".")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@builtin("number", "from", overloads=[(("from", "grouping separator", "decimal separator"), 3)])
def number(text: Any, grouping: Any = None, decimal_separator: Any = None) -> Decimal:
    args = Arguments("number")
    text = args.string("from", text)
    if grouping is not None and grouping not in _GROUPING:
        raise args.fail(f"grouping separator must be a space, ',' or '.', not {feel_string(grouping)!r}")
    if decimal_separator is not None and decimal_separator not in _DECIMAL:
        raise args.fail(f"decimal separator must be ',' or '.', not {feel_string(decimal_separator)!r}")
    if grouping is not None and grouping == decimal_separator:
        raise args.fail("the grouping and decimal separators must differ")
    if grouping is not None:
        text = text.replace(grouping, "")
    if decimal_separator is not None and decimal_separator != ".":
        if "." in text:
            raise args.fail(f"{text!r} is not a number")
        text = text.replace(decimal_separator, ".")
    if not _NUMBER.fullmatch(text):
        raise args.fail(f"{text!r} is not a number")
    try:
        return feel_number(Decimal(text))
    except InvalidOperation:
        raise args.fail(f"{text!r} is not a number") from None


@builtin("string", "from")
def string(value: Any) -> str | None:
    return None if value is None else feel_string(value)


@builtin("duration", "from")
def duration(value: Any) -> DayTimeDuration | YearMonthDuration:
    if type(value) in (DayTimeDuration, YearMonthDuration):
        return value
    return parse_duration(Arguments("duration").string("from", value))


@builtin("years and months duration", "from", "to")
def years_and_months_duration(start: Any, end: Any) -> YearMonthDuration:
    """Whole months from one date to another, the days left over dropped (java.time's Period.between)."""
    args = Arguments("years and months duration")
    a = args.date_like("from", start)
    b = args.date_like("to", end)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    days = b.day - a.day
    if months > 0 and days < 0:
        months -= 1
    elif months < 0 and days > 0:
        months += 1
    return YearMonthDuration(months)


# --------------------------------------------------------------------------- range(from)

_ENDPOINT_CALLS = {"date and time": parse_date_and_time, "date": parse_date, "time": parse_time,
                   "duration": parse_duration}
_STRING = r'"(?:[^"\\]|\\.)*"'
_ENDPOINT = re.compile(
    r"\s*(?:(?P<number>-?(?:\d+(?:\.\d*)?|\.\d+))|(?P<string>" + _STRING + r")|@(?P<temporal>" + _STRING + r")"
    r"|(?P<call>date and time|date|time|duration)\s*\(\s*(?P<argument>" + _STRING + r")\s*\))\s*"
)


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r'\\(["\\])', r"\1", body)


def _endpoint(args: Arguments, text: str) -> Any:
    match = _ENDPOINT.fullmatch(text)
    if match is None:
        raise args.fail(f"{text.strip()!r} is not a literal range endpoint (a number, string or temporal literal)")
    if match["number"]:
        return Decimal(match["number"])
    if match["string"]:
        return _unquote(match["string"])
    if match["temporal"]:
        return parse_temporal(_unquote(match["temporal"]))
    return _ENDPOINT_CALLS[match["call"]](_unquote(match["argument"]))


@builtin("range", "from")
def range_(text: Any) -> Range:
    """A range from its literal text: `range("[18..21)")`; endpoints are literals of one type."""
    args = Arguments("range")
    source = args.string("from", text).strip()
    if len(source) < 2 or source[0] not in "[(]" or source[-1] not in "])[":
        raise args.fail(f"{source!r} is not a range like [1..10] or (1..10]")
    body = source[1:-1]
    # the first '..' outside a string literal splits the endpoints
    split = _split_endpoints(body)
    if split is None:
        raise args.fail(f"{source!r} has no '..' between two endpoints")
    start = _endpoint(args, body[:split])
    end = _endpoint(args, body[split + 2:])
    if type_name(start) != type_name(end):
        raise args.fail(f"the endpoints of {source!r} are {type_name(start)} and {type_name(end)}")
    order = feel_compare(start, end)
    if order is None:
        raise args.fail(f"the endpoints of {source!r} cannot be compared")
    if order > 0:
        raise args.fail(f"the range {source!r} starts after it ends")
    return Range(start, end, source[0] == "[", source[-1] == "]")


def _split_endpoints(body: str) -> int | None:
    quoted = False
    i = 0
    while i < len(body) - 1:
        ch = body[i]
        if quoted:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif body.startswith("..", i):
            return i
        i += 1
    return None
