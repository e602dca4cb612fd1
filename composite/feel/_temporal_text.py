"""Dates, times and date-times as text: ISO 8601 / XML Schema reading, and the forms FEEL's string() writes.

Zones are IANA names (`@Europe/Paris`), fixed offsets (`+01:00`) or `Z`; years run as far as FEEL allows.
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from composite.feel import _temporal as far
from composite.feel._durations import DURATION_TEXT, parse_duration
from composite.feel._errors import FeelRuntimeError

def zone_name(tz: datetime.tzinfo | None) -> str | None:
    return tz.key if isinstance(tz, ZoneInfo) else None


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone `name` (`Europe/Paris`, `Etc/UTC`), or a FeelRuntimeError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FeelRuntimeError(f"unknown time zone: {name!r}") from None


def offset_zone(delta: datetime.timedelta) -> datetime.timezone:
    """A fixed offset; zero is UTC so that `Z` and `+00:00` are one value."""
    if not -datetime.timedelta(hours=18) <= delta <= datetime.timedelta(hours=18):
        raise FeelRuntimeError(f"time offset out of range: {delta}")
    return datetime.timezone.utc if not delta else datetime.timezone(delta)


_DATE = r"(?P<year>-?\d{4,9})-(?P<month>\d\d)-(?P<day>\d\d)"
_TIME = (r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)(?P<fraction>\.\d+)?"
         r"(?:(?P<utc>[zZ])|(?P<offset>[+-]\d\d:\d\d(?::\d\d)?)|@(?P<zone>[A-Za-z][A-Za-z0-9_+\-/]*))?")
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME)
_DATE_TIME_RE = re.compile(_DATE + "T" + _TIME)


def _date_of(match: re.Match[str]) -> Any:
    digits = match["year"].lstrip("-")
    if len(digits) > 4 and digits.startswith("0"):
        raise FeelRuntimeError(f"not a date (a year of more than four digits has no leading zero): {match.group(0)!r}")
    return far.make_date(int(match["year"]), int(match["month"]), int(match["day"]))


def _zone_of_match(match: re.Match[str]) -> datetime.tzinfo | None:
    if match["utc"]:
        return datetime.timezone.utc
    if match["offset"]:
        text = match["offset"]
        sign = -1 if text[0] == "-" else 1
        pieces = [int(p) for p in text[1:].split(":")]
        hours, minutes, seconds = (pieces + [0])[:3]
        if minutes > 59 or seconds > 59:
            raise FeelRuntimeError(f"not a time offset: {text!r}")
        return offset_zone(sign * datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds))
    if match["zone"]:
        return zone_of(match["zone"])
    return None


def _time_of(match: re.Match[str]) -> datetime.time:
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    micro = int((match["fraction"] or ".")[1:7].ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise FeelRuntimeError(f"not a time: {match.group(0)!r}")
    return datetime.time(hour, minute, second, micro, tzinfo=_zone_of_match(match))


def parse_date(text: str) -> Any:
    """`YYYY-MM-DD`: `date("2018-12-10")`."""
    match = _DATE_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise FeelRuntimeError(f"not a date (YYYY-MM-DD): {text!r}")
    return _date_of(match)


def parse_time(text: str) -> datetime.time:
    """`hh:mm:ss[.fff][Z|+hh:mm|@Zone/Name]`."""
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise FeelRuntimeError(f"not a time (hh:mm:ss with an optional offset or @zone): {text!r}")
    return _time_of(match)


def parse_date_and_time(text: str) -> Any:
    """`YYYY-MM-DDThh:mm:ss[...]`, or a date alone (midnight, local)."""
    if not isinstance(text, str):
        raise FeelRuntimeError(f"not a date and time: {text!r}")
    match = _DATE_TIME_RE.fullmatch(text)
    if match is None:
        if _DATE_RE.fullmatch(text):
            return far.make_date_time(parse_date(text), datetime.time())
        raise FeelRuntimeError(f"not a date and time (YYYY-MM-DDThh:mm:ss): {text!r}")
    if match["hour"] == "24" and match["minute"] == "00" and match["second"] == "00" and not (
            match["fraction"] or "").strip(".0"):
        # XML Schema's end of day: 24:00:00 is the next day's midnight
        next_day = far.shift_far(_date_of(match), datetime.timedelta(days=1))
        return far.make_date_time(next_day, datetime.time(tzinfo=_zone_of_match(match)))
    return far.make_date_time(_date_of(match), _time_of(match))


def parse_temporal(text: str) -> Any:
    """An `@"..."` literal: a date, time, date and time or duration, by its shape."""
    if not isinstance(text, str):
        raise FeelRuntimeError(f"not a temporal literal: {text!r}")
    if _DATE_TIME_RE.fullmatch(text):
        return parse_date_and_time(text)
    if _DATE_RE.fullmatch(text):
        return parse_date(text)
    if _TIME_RE.fullmatch(text):
        return parse_time(text)
    if DURATION_TEXT.fullmatch(text):
        return parse_duration(text)
    raise FeelRuntimeError(f"not a date, time, date and time or duration: {text!r}")


def _fraction(micro: int) -> str:
    return ("." + f"{micro:06d}".rstrip("0")) if micro else ""


def _offset_text(delta: datetime.timedelta) -> str:
    if not delta:
        return "Z"
    sign = "-" if delta < datetime.timedelta(0) else "+"
    total = int(abs(delta).total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def zone_text(tz: datetime.tzinfo | None, moment: datetime.datetime | None) -> str:
    if tz is None:
        return ""
    name = zone_name(tz)
    if name is not None:
        return "@" + name
    offset = tz.utcoffset(moment)
    return _offset_text(offset) if offset is not None else ""


def time_text(t: datetime.time | datetime.datetime) -> str:
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{_fraction(t.microsecond)}"


def date_text(d: Any) -> str:
    return f"{far.year_text(d.year)}-{d.month:02d}-{d.day:02d}"


def time_offset(t: datetime.time) -> datetime.timedelta | None:
    """A time's offset from UTC, None for a local time.

    A named zone's offset depends on the date, which a time lacks; the offset the zone has today
    would make answers change with the calendar, so a zone's time uses its offset on 2000-01-01.
    """
    if t.tzinfo is None:
        return None
    if isinstance(t.tzinfo, ZoneInfo):
        return datetime.datetime.combine(datetime.date(2000, 1, 1), t.replace(tzinfo=None),
                                         tzinfo=t.tzinfo).utcoffset()
    return t.utcoffset()
