"""Dates, times and durations in the expression language: the scalar operations and functions.

Both evaluators use these (the column evaluator value by value), so a row and a batch agree exactly.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from decimal import Decimal
from typing import Any

import numpy as np

from composite import temporal

TYPE = "expression_type"
DOMAIN = "expression_domain"
OVERFLOW = "expression_overflow"

_MIDNIGHT = _dt.time(0)
_DAY = Decimal(86400)


class TemporalError(Exception):
    """An operation on dates, times or durations refused its operands (`code` as in _compile)."""

    def __init__(self, message: str, code: str = TYPE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def kind(value: Any) -> str | None:
    return temporal.kind_of(value)


def kind_of_type(kind: type) -> bool:
    """Whether values of this exact type are dates, times or durations of the language."""
    if kind in (_dt.date, _dt.datetime, _dt.time):
        return True
    return kind.__name__ in ("DayTimeDuration", "YearMonthDuration") and kind in temporal.durations()


def _day_time(seconds: Decimal) -> Any:
    day_time, _ = temporal.durations()
    return day_time(seconds)


def _years_months(months: int) -> Any:
    _, years_months = temporal.durations()
    return years_months(months)


def _timedelta(seconds: Decimal) -> _dt.timedelta:
    """Exact to the microsecond (a float of seconds is not, past about 285 years)."""
    micro = int((seconds * 1_000_000).to_integral_value())
    return _dt.timedelta(microseconds=micro)


def _seconds(delta: _dt.timedelta) -> Decimal:
    micro = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micro) / 1_000_000


def _plus_months(value: _dt.date, months: int) -> _dt.date:
    """The same day `months` later; a day the month lacks becomes its last day (Jan 31 + P1M = Feb 28)."""
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise TemporalError("the date falls outside the years 1 to 9999", OVERFLOW)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def add(a: Any, b: Any) -> Any:
    """date + duration, date-time + duration, duration + duration (either order for a duration)."""
    ka, kb = kind(a), kind(b)
    if ka in (temporal.DURATION, temporal.YEARS_MONTHS) and kb in (temporal.DATE, temporal.DATETIME,
                                                                     temporal.TIME):
        a, b, ka, kb = b, a, kb, ka
    try:
        if ka == kb == temporal.DURATION:
            return _day_time(a.seconds + b.seconds)
        if ka == kb == temporal.YEARS_MONTHS:
            return _years_months(a.months + b.months)
        if kb == temporal.DURATION:
            if ka == temporal.DATE:
                # FEEL: the date at midnight plus the duration, then its date
                return (_dt.datetime.combine(a, _MIDNIGHT) + _timedelta(b.seconds)).date()
            if ka == temporal.DATETIME:
                return a + _timedelta(b.seconds)
            if ka == temporal.TIME:
                moved = _dt.datetime.combine(_dt.date(2000, 1, 1), a.replace(tzinfo=None)) + _timedelta(b.seconds)
                return moved.time().replace(tzinfo=a.tzinfo)
        if kb == temporal.YEARS_MONTHS and ka in (temporal.DATE, temporal.DATETIME):
            return _plus_months(a, b.months)
    except OverflowError:
        raise TemporalError("the date falls outside the years 1 to 9999", OVERFLOW) from None
    raise _refused("+", a, b)


def sub(a: Any, b: Any) -> Any:
    """date - date and date-time - date-time give a duration; date - duration a date; and so on."""
    ka, kb = kind(a), kind(b)
    try:
        if ka == kb == temporal.DATE:
            return _day_time(Decimal((a - b).days) * _DAY)
        if ka == kb == temporal.DATETIME:
            try:
                return _day_time(_seconds(a - b))
            except TypeError:
                raise TemporalError("'-' cannot subtract a date and time with an offset and one without; give both "
                                    "an offset or neither, or subtract their dates: date(a) - date(b)") from None
        if ka == kb == temporal.TIME:
            if (a.tzinfo is None) != (b.tzinfo is None):
                raise TemporalError("'-' cannot subtract a time with an offset and one without")
            day = _dt.date(2000, 1, 1)
            return _day_time(_seconds(_dt.datetime.combine(day, a) - _dt.datetime.combine(day, b)))
        if ka == kb == temporal.DURATION:
            return _day_time(a.seconds - b.seconds)
        if ka == kb == temporal.YEARS_MONTHS:
            return _years_months(a.months - b.months)
        if ka in (temporal.DATE, temporal.DATETIME, temporal.TIME) and kb == temporal.DURATION:
            return add(a, _day_time(-b.seconds))
        if ka in (temporal.DATE, temporal.DATETIME) and kb == temporal.YEARS_MONTHS:
            return _plus_months(a, -b.months)
    except OverflowError:
        raise TemporalError("the date falls outside the years 1 to 9999", OVERFLOW) from None
    raise _refused("-", a, b)


def mul(a: Any, b: Any) -> Any:
    """duration * number (either order): a days-and-time duration to the microsecond, whole months."""
    ka, kb = kind(a), kind(b)
    if ka is None:
        a, b, ka, kb = b, a, kb, ka
    if kb is None and type(b) in (int, float) and b == b and b not in (float("inf"), float("-inf")):
        factor = Decimal(b) if type(b) is int else Decimal(repr(b))
        if ka == temporal.DURATION:
            return _day_time((a.seconds * factor).quantize(Decimal("0.000001")))
        if ka == temporal.YEARS_MONTHS:
            product = a.months * factor
            if product != product.to_integral_value():
                raise TemporalError(f"'*' makes {product} months; a years-and-months duration holds whole months",
                                    DOMAIN)
            return _years_months(int(product))
    raise _refused("*", a, b)


BINARY = {"+": add, "-": sub, "*": mul}

NAMES = {temporal.DATE: "date", temporal.DATETIME: "date and time", temporal.TIME: "time",
         temporal.DURATION: "duration", temporal.YEARS_MONTHS: "years-and-months duration"}


def plain(value: Any) -> Any:
    """A pandas Timestamp or numpy datetime64 as Python's date-time, or None for anything else."""
    if isinstance(value, _dt.datetime):
        if getattr(value, "nanosecond", 0):
            return None
        return _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                            value.microsecond, value.tzinfo, fold=value.fold)
    if isinstance(value, np.datetime64):
        return temporal.from_datetime64(value)
    return None


def orderable(a: Any, b: Any) -> bool:
    """Whether `a < b` is defined: two values of one temporal kind."""
    ka = kind(a)
    return ka is not None and ka == kind(b)


def compare(op: str, a: Any, b: Any) -> bool:
    if kind(a) in (temporal.DURATION, temporal.YEARS_MONTHS):
        order = a.compare(b)
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:  # a naive and an offset date-time or time
        raise TemporalError(f"'{op}' cannot order a date and time with an offset against one without; "
                            "give both an offset or neither") from None


def _refused(op: str, a: Any, b: Any) -> TemporalError:
    from composite.expr._compile import describe

    allowed = {"+": "a date, date-time or time plus a duration, or two durations",
               "-": "two dates, two date-times, two times, two durations, or a date minus a duration",
               "*": "a duration times a number"}[op]
    return TemporalError(f"'{op}' takes {allowed}; got {describe(a)} and {describe(b)}")


# -- functions -------------------------------------------------------------------------------------


def _converted(k: str, x: Any, other: str, convert: Any, needs: str) -> Any:
    """ISO text of kind `k` parsed, a value of `k` as it is, or a value of kind `other` converted."""
    if type(x) is str:
        return _parsed(k, x)
    found = kind(x)
    if found == k:
        return x
    if found == other:
        return convert(x)
    raise TemporalError(f"{k}() needs {needs}, got {_describe(x)}")


def fn_date(x: Any) -> Any:
    """date("2026-03-01"), or the date of a date and time."""
    return _converted(temporal.DATE, x, temporal.DATETIME, _dt.datetime.date,
                      "text like \"2026-03-01\" or a date and time")


def fn_datetime(x: Any) -> Any:
    """datetime("2026-03-01T14:30:00"), or a date at midnight."""
    return _converted(temporal.DATETIME, x, temporal.DATE, lambda d: _dt.datetime.combine(d, _MIDNIGHT),
                      "text like \"2026-03-01T14:30:00\" or a date")


def fn_time(x: Any) -> Any:
    return _converted(temporal.TIME, x, temporal.DATETIME, _dt.datetime.timetz,
                      "text like \"14:30:00\" or a date and time")


def fn_duration(x: Any) -> Any:
    if type(x) is str:
        try:
            return temporal.parse_any_duration(x)
        except ValueError as exc:
            raise TemporalError(f"duration() {exc}, got {_describe(x)}", DOMAIN) from None
    if kind(x) in (temporal.DURATION, temporal.YEARS_MONTHS):
        return x
    raise TemporalError(f"duration() needs text like \"P90D\" or \"P1Y6M\", got {_describe(x)}")


def fn_days(x: Any) -> float:
    """The days of a days-and-time duration, with their fraction: always a number (a float), so that
    a column of them has one type, as every row's value has."""
    if kind(x) != temporal.DURATION:
        raise TemporalError(f"days() needs a duration in days and time (such as a date minus a date), "
                            f"got {_describe(x)}")
    return float(x.seconds / _DAY)


def fn_years(x: Any) -> Any:
    """The years of a date or date-time (its calendar year), or of a years-and-months duration (whole years)."""
    k = kind(x)
    if k in (temporal.DATE, temporal.DATETIME):
        return x.year
    if k == temporal.YEARS_MONTHS:
        return int(x.months / 12)
    raise TemporalError(f"year() needs a date, a date and time or a years-and-months duration, got {_describe(x)}")


def fn_month(x: Any) -> Any:
    if kind(x) in (temporal.DATE, temporal.DATETIME):
        return x.month
    raise TemporalError(f"month() needs a date or a date and time, got {_describe(x)}")


def fn_day(x: Any) -> Any:
    if kind(x) in (temporal.DATE, temporal.DATETIME):
        return x.day
    raise TemporalError(f"day() needs a date or a date and time, got {_describe(x)}")


def _parsed(k: str, text: str) -> Any:
    try:
        return temporal.parse(k, text)
    except ValueError as exc:
        raise TemporalError(f"{k}() {exc}, got {_describe(text)}", DOMAIN) from None


def _describe(x: Any) -> str:
    from composite.expr._compile import describe

    return describe(x)


FUNCTIONS: dict[str, Any] = {
    "date": fn_date,
    "datetime": fn_datetime,
    "time": fn_time,
    "duration": fn_duration,
    "days": fn_days,
    "year": fn_years,
    "month": fn_month,
    "day": fn_day,
}

# The functions whose one argument, when it is a text literal, is checked when the expression loads.
LITERAL_TEXT = {"date": temporal.DATE, "datetime": temporal.DATETIME, "time": temporal.TIME, "duration": None}


def check_literal(function: str, text: str) -> str | None:
    """What is wrong with the text literal of `date("...")` and its kin, or None when it is good."""
    k = LITERAL_TEXT[function]
    try:
        if k is None:
            temporal.parse_any_duration(text)
        else:
            temporal.parse(k, text)
    except ValueError as exc:
        return f"{function}() {exc}, found {text!r}"
    except ImportError:  # composite.feel not there yet: the call reports it when it runs
        return None
    return None


__all__ = ["BINARY", "FUNCTIONS", "NAMES", "TemporalError", "add", "check_literal", "compare", "kind", "mul",
           "orderable", "plain", "sub"]


# -- on columns ------------------------------------------------------------------------------------
# The column evaluator hands two object columns here before going value by value. Columns of plain
# dates and of days-and-time durations are computed with numpy on day numbers and microseconds,
# giving exactly the values the scalar operations above give; anything else returns None.

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
_MIN_ORDINAL, _MAX_ORDINAL = _dt.date.min.toordinal(), _dt.date.max.toordinal()
_MICROS_PER_DAY = 86_400_000_000


def _one_type(values: list[Any]) -> type | None:
    types = set(map(type, values))
    return types.pop() if len(types) == 1 else None


def _ordinals(values: list[Any]) -> Any:
    return np.fromiter(map(_dt.date.toordinal, values), dtype=np.int64, count=len(values))


def _dates_of(ordinals: Any) -> Any:
    return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]").astype(object)


def _micros(values: list[Any], *, exact: bool = False) -> Any:
    """Each duration's microseconds, as `add` rounds them; None when one does not fit 64 bits (or,
    when `exact`, holds a fraction of a microsecond, which rounding would hide from a comparison)."""
    cache: dict[Any, int] = {}
    out = []
    for value in values:
        seconds = value.seconds
        micro = cache.get(seconds)
        if micro is None:
            scaled = seconds * 1_000_000
            micro = cache[seconds] = int(scaled.to_integral_value())
            if exact and micro != scaled:
                return None
        out.append(micro)
    if out and (max(out) >= 2**63 or min(out) < -(2**63)):
        return None
    return np.array(out, dtype=np.int64)


def _durations_of_days(days: Any) -> Any:
    """DayTimeDuration objects for whole day counts, one object per distinct count."""
    distinct, inverse = np.unique(days, return_inverse=True)
    made = np.empty(len(distinct), dtype=object)
    made[:] = [_day_time(Decimal(int(d)) * _DAY) for d in distinct.tolist()]
    return made[inverse.reshape(-1)]


def columns(op: str, a: list[Any], b: list[Any]) -> Any:
    """`a op b` for the live values of two columns, as a numpy array, or None to go value by value.

    Handled: date - date, date +/- duration, duration + date, and the orderings and equality of two
    date columns or two duration columns (in days and time).
    """
    if not a:
        return None
    ta, tb = _one_type(a), _one_type(b)
    if ta is None or tb is None:
        return None
    day_time = temporal.durations()[0] if (ta.__name__ == "DayTimeDuration" or tb.__name__ == "DayTimeDuration") \
        else None
    if ta is _dt.date and tb is _dt.date:
        x, y = _ordinals(a), _ordinals(b)
        if op == "-":
            return _durations_of_days(x - y)
        return _ORDER.get(op, _no)(x, y)
    if day_time is not None and ta is day_time and tb is day_time and op in _ORDER:
        x, y = _micros(a, exact=True), _micros(b, exact=True)
        if x is None or y is None:
            return None
        return _ORDER[op](x, y)
    if op == "+" and ta is day_time and tb is _dt.date:
        a, b, ta, tb = b, a, tb, ta
    if op in ("+", "-") and ta is _dt.date and day_time is not None and tb is day_time:
        micros = _micros(b)
        if micros is None:
            return None
        shift = micros // _MICROS_PER_DAY if op == "+" else (-micros) // _MICROS_PER_DAY  # midnight, then its date
        moved = _ordinals(a) + shift
        if moved.min() < _MIN_ORDINAL or moved.max() > _MAX_ORDINAL:
            return None  # the scalar operation says which value leaves the calendar
        return _dates_of(moved)
    return None


def _no(x: Any, y: Any) -> None:
    return None


_ORDER = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
          "!=": np.not_equal}
