"""FEEL's values (DMN 1.5 chapter 10.3.2): decimals, strings, temporals, durations, ranges, functions.

Equality, order, arithmetic, `string()` and `instance of` over them as the spec defines them.

FEEL value      Python value
--------------  ----------------------------------------------------------------
null            None
boolean         bool
number          decimal.Decimal (never int or float), arithmetic in FEEL_CONTEXT
string          str
date            datetime.date (exactly; a datetime.datetime is a date and time), or a FarDate
time            datetime.time (tzinfo None = local, a fixed offset, or a ZoneInfo)
date and time   datetime.datetime (the same three kinds of zone), or a FarDateTime
durations       DayTimeDuration(seconds: Decimal), YearMonthDuration(months: int)
list            list
context         dict[str, Any] (insertion ordered)
range           Range(start, end, start_included, end_included) (None end = open)
function        FeelFunction

FarDate and FarDateTime hold the years Python's datetime cannot (before 1, after 9999; see
composite.feel._temporal); every function here takes them where it takes a date or date-time.
Numbers live in _decimal.py, durations in _durations.py, temporal text in _temporal_text.py;
this module re-exports what they offer.

Runtime problems (wrong types, impossible dates) raise `FeelRuntimeError`; the evaluator turns
one into null plus a note in the trace, as DMN prescribes.

>>> feel_equal(Decimal("1"), Decimal("1.0"))
True
>>> feel_string(feel_add(datetime.date(2021, 1, 31), parse_duration("P1M")))
'2021-02-28'
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from composite.feel import _temporal as far
from composite.feel._decimal import FEEL_CONTEXT, feel_number, is_number
from composite.feel._decimal import feel_number as _num
from composite.feel._durations import SECONDS_PER_DAY, DayTimeDuration, YearMonthDuration, parse_duration, truncated
from composite.feel._errors import FeelRuntimeError
from composite.feel._temporal import FarDate, FarDateTime
from composite.feel._temporal_text import (
    date_text,
    offset_zone,
    parse_date,
    parse_date_and_time,
    parse_temporal,
    parse_time,
    time_offset,
    time_text,
    zone_name,
    zone_of,
    zone_text,
)

__all__ = [
    "DayTimeDuration",
    "FEEL_CONTEXT",
    "FarDate",
    "FarDateTime",
    "FeelFunction",
    "FeelRuntimeError",
    "Range",
    "Signature",
    "YearMonthDuration",
    "feel_add",
    "feel_compare",
    "feel_divide",
    "feel_equal",
    "feel_is",
    "feel_multiply",
    "feel_negate",
    "feel_number",
    "feel_power",
    "feel_string",
    "feel_subtract",
    "from_feel",
    "instance_of",
    "is_number",
    "offset_zone",
    "parse_date",
    "parse_date_and_time",
    "parse_duration",
    "parse_temporal",
    "parse_time",
    "parse_type",
    "temporal_property",
    "time_offset",
    "to_feel",
    "type_name",
    "zone_of",
]


# --------------------------------------------------------------------------- ranges and functions


@dataclass(frozen=True)
class Range:
    """A FEEL range: `[1..10)`, `> 5` (start 5 open, no end), `<= @"2020-01-01"`.

    `operator` is the comparison a range came from (`<`, `<=`, `>`, `>=`, `=`, `!=`), None for a
    range written with `..`: DMN 1.5 keeps `(< 10)` and `(null..10)` apart although their
    endpoints agree. `!=` holds its value as both endpoints, excluded, and contains all else.
    """

    start: Any
    end: Any
    start_included: bool = True
    end_included: bool = True
    operator: str | None = None

    @classmethod
    def comparison(cls, operator: str, value: Any) -> Range:
        """The range of a unary comparison: `Range.comparison("<", 10)` is `< 10`."""
        shapes = {"<": (None, value, False, False), "<=": (None, value, False, True),
                  ">": (value, None, False, False), ">=": (value, None, True, False),
                  "=": (value, value, True, True), "!=": (value, value, False, False)}
        if operator not in shapes:
            raise FeelRuntimeError(f"no range for the operator {operator!r}")
        return cls(*shapes[operator], operator=operator)

    def contains(self, value: Any) -> bool | None:
        """Whether `value` lies in the range; None when it cannot be compared with the endpoints."""
        if value is None:
            return None
        if self.operator == "!=":
            equal = feel_equal(value, self.start)
            return None if equal is None else not equal
        if self.start is not None:
            c = feel_compare(self.start, value)
            if c is None:
                return None
            if c > 0 or (c == 0 and not self.start_included):
                return False
        if self.end is not None:
            c = feel_compare(value, self.end)
            if c is None:
                return None
            if c > 0 or (c == 0 and not self.end_included):
                return False
        return True


@dataclass(frozen=True)
class Signature:
    """One way of calling a function: its parameter names, how many are required, and a body.

    The body takes the parameters positionally in `params` order; optional trailing parameters
    not given are left out (the body's own defaults apply). A variadic signature passes its last
    parameter the list of the remaining positional arguments.
    """

    params: tuple[str, ...]
    body: Callable[..., Any]
    required: int
    variadic: bool = False
    by_name: bool = True  # False: for positional calls only (named calls pick among the others)


class FeelFunction:
    """A FEEL function value: a built-in, a user-defined `function(a, b) ...`, or a BKM.

    >>> add = FeelFunction(("a", "b"), lambda a, b: a + b, name="add")
    >>> add.call([Decimal(1), Decimal(2)]), add.call(named={"b": Decimal(2), "a": Decimal(1)})
    (Decimal('3'), Decimal('3'))
    """

    def __init__(self, params: Sequence[str], body: Callable[..., Any], *, name: str = "anonymous",
                 required: int | None = None, variadic: bool = False,
                 overloads: Iterable[Signature] = (),
                 param_types: Sequence[str | None] | None = None, result_type: str | None = None) -> None:
        params = tuple(params)
        first = Signature(params, body, len(params) if required is None else required, variadic)
        self.signatures: tuple[Signature, ...] = (first, *overloads)
        self.name = name
        # declared types (FEEL type text) for `instance of function<...> -> ...`; None = Any
        self.param_types = tuple(param_types) if param_types is not None else (None,) * len(params)
        self.result_type = result_type

    @classmethod
    def of(cls, name: str, signatures: Sequence[Signature]) -> FeelFunction:
        """A function from its signatures, tried in order (positional calls take the first that fits)."""
        function = cls(signatures[0].params, signatures[0].body, name=name, required=signatures[0].required,
                       variadic=signatures[0].variadic)
        function.signatures = tuple(signatures)
        return function

    @property
    def params(self) -> tuple[str, ...]:
        return self.signatures[0].params

    @property
    def variadic(self) -> bool:
        return self.signatures[0].variadic

    def accepts(self, count: int) -> bool:
        """Whether some signature takes `count` positional arguments."""
        return any(count >= s.required if s.variadic else s.required <= count <= len(s.params)
                   for s in self.signatures)

    def call(self, args: Sequence[Any] | None = None, named: Mapping[str, Any] | None = None) -> Any:
        """Call with positional `args`, or with `named` arguments (the spec's parameter names).

        A named parameter left out is null, except optional trailing ones, which are absent.
        Raises FeelRuntimeError when no signature takes those arguments.
        """
        args = list(args or ())
        if named:
            if args:
                raise FeelRuntimeError(f"{self.name}: positional and named arguments cannot be mixed")
            candidates = [s for s in self.signatures if s.by_name and set(named) <= set(s.params)]
            if not candidates:
                unknown = sorted(set(named) - {p for s in self.signatures for p in s.params})
                raise FeelRuntimeError(
                    f"{self.name} has no parameter named {', '.join(unknown) or ', '.join(named)}; its parameters: "
                    + " | ".join("(" + ", ".join(s.params) + ")" for s in self.signatures))
            complete = [s for s in candidates if all(p in named for p in s.params[:s.required])]
            sig = (complete or candidates)[0]
            return sig.body(*_bind_named(sig, named))
        for sig in self.signatures:
            if sig.variadic:
                fixed = len(sig.params) - 1
                if len(args) >= sig.required:
                    if len(args) < fixed:
                        return sig.body(*args)
                    return sig.body(*args[:fixed], args[fixed:])
            elif sig.required <= len(args) <= len(sig.params):
                return sig.body(*args)
        counts = sorted({n for s in self.signatures for n in range(s.required, len(s.params) + 1)})
        raise FeelRuntimeError(f"{self.name} was given {len(args)} argument{'s' if len(args) != 1 else ''}; "
                               f"it takes {' or '.join(str(c) for c in counts)}"
                               + (" or more" if any(s.variadic for s in self.signatures) else ""))

    def __repr__(self) -> str:
        return f"FeelFunction({self.name}({', '.join(self.params)}))"


def _bind_named(sig: Signature, named: Mapping[str, Any]) -> list[Any]:
    given = [sig.params.index(n) for n in named]
    last = max(given + [sig.required - 1])
    bound = [named.get(p) for p in sig.params[:last + 1]]
    if sig.variadic and len(bound) == len(sig.params):
        rest = bound[-1]
        bound[-1] = rest if isinstance(rest, list) else [rest]
    return bound


# --------------------------------------------------------------------------- type names


def type_name(value: Any) -> str:
    """The FEEL type of a value: "number", "date and time", "days and time duration", "Null", ..."""
    if value is None:
        return "Null"
    t = type(value)
    if t is bool:
        return "boolean"
    if t is Decimal:
        return "number"
    if t is str:
        return "string"
    if t is datetime.datetime:
        return "date and time"
    if t is datetime.date:
        return "date"
    if t is datetime.time:
        return "time"
    if t is DayTimeDuration:
        return "days and time duration"
    if t is YearMonthDuration:
        return "years and months duration"
    if t is FarDate:
        return "date"
    if t is FarDateTime:
        return "date and time"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if t is Range:
        return "range"
    if isinstance(value, FeelFunction):
        return "function"
    # not a FEEL value (an int or float that missed to_feel, say): its Python name, so messages show it
    return t.__name__


# --------------------------------------------------------------------------- equality and order


def _instant(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.timezone.utc)


def _whole_second(value: datetime.datetime) -> datetime.datetime:
    # the spec's valuedt counts whole seconds: 10:30:00.0001 = 10:30:00.0002 (TCK 0068 time_005)
    return value.replace(microsecond=0)


def _time_seconds(t: datetime.time) -> Decimal:
    """A time's seconds since midnight UTC (local: since local midnight), as the spec's valuet."""
    seconds = Decimal(t.hour * 3600 + t.minute * 60 + t.second) + Decimal(t.microsecond).scaleb(-6)
    offset = time_offset(t)
    if offset is not None:
        seconds -= Decimal(int(offset.total_seconds()))
    return seconds


def feel_compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 for FEEL `<`, `=`, `>`; None when the two values have no order between them.

    Date-times (and times) compare as instants when both carry a zone or offset and as wall
    clock when neither does, to the whole second (the spec's valuedt); one of each has no order.
    """
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return (a > b) - (a < b)
    if ta is str and tb is str:
        return (a > b) - (a < b)
    if ta is datetime.date and tb is datetime.date:
        return (a > b) - (a < b)
    if far.is_date(a) and far.is_date(b):
        days = far.days_between(a, b)
        return (days > 0) - (days < 0)
    if ta is datetime.datetime and tb is datetime.datetime:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        if a.tzinfo is not None:
            a, b = _instant(a), _instant(b)
        a, b = _whole_second(a), _whole_second(b)
        return (a > b) - (a < b)
    if far.is_date_time(a) and far.is_date_time(b):
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        seconds = far.seconds_between(a, b)
        # to the whole second, as above: the fractions are compared apart from the seconds
        whole = seconds - (Decimal(a.microsecond) - Decimal(b.microsecond)).scaleb(-6)
        return (whole > 0) - (whole < 0)
    if ta is datetime.time and tb is datetime.time:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        sa, sb = _time_seconds(a.replace(microsecond=0)), _time_seconds(b.replace(microsecond=0))
        return (sa > sb) - (sa < sb)
    if ta is DayTimeDuration and tb is DayTimeDuration:
        return a.compare(b)
    if ta is YearMonthDuration and tb is YearMonthDuration:
        return a.compare(b)
    if ta is bool and tb is bool:
        # booleans have equality but no order in FEEL; answer only equality
        return 0 if a == b else None
    return None


def feel_equal(a: Any, b: Any) -> bool | None:
    """FEEL `=`: null = null is true, null = anything else false, different types null.

    Deep on lists and contexts; 1 = 1.0; date-times (and times) are equal when they are the same
    instant (one with a zone and one without never is).
    """
    if a is None or b is None:
        return a is None and b is None
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return a == b if ta is tb else None
    if far.is_date_time(a) and far.is_date_time(b) or ta is datetime.time and tb is datetime.time:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return False
        return feel_compare(a, b) == 0
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return _all_equal(zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        return _all_equal((a[k], b[k]) for k in a)
    if ta is Range and tb is Range:
        return (a.operator == b.operator and a.start_included == b.start_included
                and a.end_included == b.end_included
                and feel_equal(a.start, b.start) is True and feel_equal(a.end, b.end) is True)
    if isinstance(a, FeelFunction) and isinstance(b, FeelFunction):
        return a is b
    c = feel_compare(a, b)
    return None if c is None else c == 0


def _all_equal(pairs: Iterable[tuple[Any, Any]]) -> bool | None:
    unknown = False
    for x, y in pairs:
        e = feel_equal(x, y)
        if e is False:
            return False
        if e is None:
            unknown = True
    return None if unknown else True


def feel_is(a: Any, b: Any) -> bool:
    """The `is(value1, value2)` built-in: same type and same value, zones and offsets included."""
    if type(a) is not type(b) and not (isinstance(a, list) and isinstance(b, list)) and not (
            isinstance(a, dict) and isinstance(b, dict)):
        return False
    if type(a) in (datetime.time, datetime.datetime, FarDateTime):
        # the same wall clock in the same zone (by name) or at the same fixed offset
        if (a.tzinfo is None) != (b.tzinfo is None) or zone_name(a.tzinfo) != zone_name(b.tzinfo):
            return False
        if a.tzinfo is not None and zone_name(a.tzinfo) is None and a.utcoffset() != b.utcoffset():
            return False
        (x, x_cycles), (y, y_cycles) = far.pair(a), far.pair(b)
        return x_cycles == y_cycles and x.replace(tzinfo=None) == y.replace(tzinfo=None)
    return feel_equal(a, b) is True


# --------------------------------------------------------------------------- arithmetic


def _shift_date_time(dt: Any, delta: datetime.timedelta) -> Any:
    if type(dt) is datetime.datetime:
        try:
            if isinstance(dt.tzinfo, ZoneInfo):
                # a zone's wall clock jumps at DST: add elapsed time, then read the wall clock again
                return (_instant(dt) + delta).astimezone(dt.tzinfo)
            return dt + delta
        except OverflowError:
            pass  # beyond year 9999 or before year 1: the far-years arithmetic below holds it
    return far.shift_far(dt, delta)


def _midnight(d: Any, zone: datetime.tzinfo | None = None) -> Any:
    return far.make_date_time(d, datetime.time(tzinfo=zone))


def _shift_time(t: datetime.time, delta: datetime.timedelta) -> datetime.time:
    # times wrap around midnight
    moment = datetime.datetime.combine(datetime.date(2000, 1, 2), t.replace(tzinfo=None)) + delta
    return moment.time().replace(tzinfo=t.tzinfo)


_DATES = (datetime.date, datetime.datetime, FarDate, FarDateTime)
_DURATIONS = (DayTimeDuration, YearMonthDuration)
_TEMPORALS = (*_DATES, datetime.time)


def _mismatch(op: str, a: Any, b: Any) -> FeelRuntimeError:
    return FeelRuntimeError(f"cannot {op} {type_name(a)} and {type_name(b)}")


def feel_add(a: Any, b: Any) -> Any:
    """FEEL `a + b`: numbers, strings (concatenated), durations, temporal + duration."""
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return _num(FEEL_CONTEXT.add(a, b))
    if ta is str and tb is str:
        return a + b
    if ta is tb and ta in _DURATIONS:
        return a.add(b)
    if tb in _TEMPORALS and ta in _DURATIONS:
        a, b, ta, tb = b, a, tb, ta
    if tb is YearMonthDuration and ta in _DATES:
        return far.add_months(a, b.months)
    if tb is DayTimeDuration:
        if far.is_date_time(a):
            return _shift_date_time(a, b.to_timedelta())
        if far.is_date(a):
            # DMN 1.4+: date + duration is a date (the time of day the duration reaches is dropped)
            return _shift_date_time(_midnight(a), b.to_timedelta()).date()
        if ta is datetime.time:
            return _shift_time(a, b.to_timedelta())
    raise _mismatch("add", a, b)


def feel_subtract(a: Any, b: Any) -> Any:
    """FEEL `a - b`: numbers, durations, temporal - duration, temporal - temporal (a duration)."""
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return _num(FEEL_CONTEXT.subtract(a, b))
    if ta is tb and ta in _DURATIONS:
        return a.subtract(b)
    if tb in _DURATIONS and ta in _TEMPORALS:
        return feel_add(a, b.negate())
    if ta in _DATES and tb in _DATES:
        if far.is_date(a) and far.is_date(b):
            return DayTimeDuration(Decimal(far.days_between(a, b) * SECONDS_PER_DAY))
        # a date next to a date and time is its midnight in UTC (DMN 1.5 10.3.2.3.6)
        x = a if far.is_date_time(a) else _midnight(a, datetime.timezone.utc)
        y = b if far.is_date_time(b) else _midnight(b, datetime.timezone.utc)
        if (x.tzinfo is None) != (y.tzinfo is None):
            raise FeelRuntimeError("cannot subtract a date and time with a time zone and one without")
        return DayTimeDuration(_num(far.seconds_between(x, y)).normalize(FEEL_CONTEXT)
                               if (x.microsecond or y.microsecond) else _num(far.seconds_between(x, y)))
    if ta is datetime.time and tb is datetime.time:
        if (a.tzinfo is None) != (b.tzinfo is None):
            raise FeelRuntimeError("cannot subtract a time with a time zone and one without")
        return DayTimeDuration(_num(_time_seconds(a) - _time_seconds(b)))
    raise _mismatch("subtract", a, b)


def feel_multiply(a: Any, b: Any) -> Any:
    """FEEL `a * b`: numbers, and a duration times a number (either way round)."""
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return _num(FEEL_CONTEXT.multiply(a, b))
    if ta is Decimal and tb in _DURATIONS:
        return b.multiply(a)
    if tb is Decimal and ta in _DURATIONS:
        return a.multiply(b)
    raise _mismatch("multiply", a, b)


def feel_divide(a: Any, b: Any) -> Any:
    """FEEL `a / b`: numbers (null on division by zero), duration / number, duration / duration."""
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        if not b:
            raise FeelRuntimeError("division by zero")
        return _num(FEEL_CONTEXT.divide(a, b))
    if tb is Decimal and ta in _DURATIONS:
        return a.divide(b)
    if ta is tb is DayTimeDuration:
        if not b.seconds:
            raise FeelRuntimeError("division by a zero duration")
        return _num(FEEL_CONTEXT.divide(a.seconds, b.seconds))
    if ta is tb is YearMonthDuration:
        if not b.months:
            raise FeelRuntimeError("division by a zero duration")
        return _num(FEEL_CONTEXT.divide(Decimal(a.months), Decimal(b.months)))
    raise _mismatch("divide", a, b)


def feel_power(a: Any, b: Any) -> Any:
    """FEEL `a ** b`: decimal power (an integer exponent is exact to 34 digits)."""
    if a is None or b is None:
        return None
    if type(a) is not Decimal or type(b) is not Decimal:
        raise _mismatch("raise to a power", a, b)
    try:
        if b == b.to_integral_value():
            return _num(FEEL_CONTEXT.power(a, int(b)))
        return _num(FEEL_CONTEXT.power(a, b))
    except (decimal.InvalidOperation, decimal.DivisionByZero, OverflowError, ValueError):
        raise FeelRuntimeError(f"{a} ** {b} is not a number") from None


def feel_negate(a: Any) -> Any:
    """FEEL unary `-a`: numbers and durations."""
    if a is None:
        return None
    if type(a) is Decimal:
        return _num(FEEL_CONTEXT.minus(a))  # in decimal128: Python's default context keeps 28 digits
    if type(a) in _DURATIONS:
        return a.negate()
    raise FeelRuntimeError(f"cannot negate a {type_name(a)}")


# --------------------------------------------------------------------------- string()


def number_text(n: Decimal) -> str:
    """A number as FEEL's string() writes it: plain digits, never an exponent."""
    return format(n, "f")


def feel_string(value: Any) -> str:
    """FEEL's `string(value)` text of any value (null writes as "null" inside lists)."""
    if value is None:
        return "null"
    t = type(value)
    if t is bool:
        return "true" if value else "false"
    if t is Decimal:
        return number_text(value)
    if t is str:
        return value
    if t is datetime.date or t is FarDate:
        return date_text(value)
    if t is datetime.time:
        return time_text(value) + zone_text(value.tzinfo, None)
    if t is datetime.datetime or t is FarDateTime:
        return date_text(value) + "T" + time_text(value) + zone_text(value.tzinfo, far.pair(value)[0])
    if t in _DURATIONS:
        return value.iso()
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_nested(v)}" for k, v in value.items()) + "}"
    if t is Range:
        if value.operator in ("=", "!="):
            return value.operator + " " + _nested(value.start)
        if value.start is None:
            return ("<= " if value.end_included else "< ") + _nested(value.end)
        if value.end is None:
            return (">= " if value.start_included else "> ") + _nested(value.start)
        return (("[" if value.start_included else "(") + _nested(value.start) + ".." + _nested(value.end)
                + ("]" if value.end_included else ")"))
    if isinstance(value, FeelFunction):
        return f"function({', '.join(value.params)})"
    return str(value)


def _nested(value: Any) -> str:
    # strings inside a list or context keep their quotes, so ["a"] and [a] do not look alike
    if type(value) is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return feel_string(value)


# --------------------------------------------------------------------------- Python <-> FEEL


def to_feel(value: Any) -> Any:
    """A Python value as FEEL's: int/float become Decimals (via str), containers are converted deeply.

    ISO strings stay strings: a string becomes a date only when the model says so.
    """
    if value is None or type(value) in (bool, str, Decimal, datetime.date, datetime.datetime, datetime.time,
                                        DayTimeDuration, YearMonthDuration, FarDate, FarDateTime):
        return value
    if isinstance(value, int):  # bool has no subclasses: every bool has returned above
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None  # FEEL has no NaN or infinity
        return Decimal(repr(float(value)))  # repr of the float itself: numpy scalars print their type
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, datetime.timedelta):
        return DayTimeDuration.from_timedelta(value)
    if isinstance(value, (datetime.date, datetime.time)):
        # subclasses (pandas' Timestamp) become the plain value; a missing one (NaT) is null
        if value != value:
            return None
        if isinstance(value, datetime.datetime):
            return datetime.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                                     value.microsecond, tzinfo=value.tzinfo)
        if isinstance(value, datetime.date):
            return datetime.date(value.year, value.month, value.day)
        return datetime.time(value.hour, value.minute, value.second, value.microsecond, tzinfo=value.tzinfo)
    if isinstance(value, Mapping):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_feel(v) for v in value]
    if isinstance(value, (Range, FeelFunction)):
        return value
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return to_feel(value.item())
    raise FeelRuntimeError(f"no FEEL value for a Python {type(value).__name__}")


def from_feel(value: Any) -> Any:
    """A FEEL value for JSON: integral Decimals -> int, others -> float; temporals and durations -> text."""
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is Decimal:
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [from_feel(v) for v in value]
    if isinstance(value, dict):
        return {k: from_feel(v) for k, v in value.items()}
    return feel_string(value)  # temporals, durations, ranges and functions as their FEEL text


# --------------------------------------------------------------------------- instance of


class _TypeParser:
    """FEEL's type grammar: names, `list<T>`, `context<a: T, ...>`, `range<T>`, `function<T, ...> -> T`."""

    _NAMES = (
        "days and time duration", "years and months duration", "date and time", "dayTimeDuration",
        "yearMonthDuration", "dateTime", "number", "string", "boolean", "date", "time", "duration", "Any",
        "Null", "context", "list", "range", "function",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> FeelRuntimeError:
        return FeelRuntimeError(f"not a FEEL type: {self.text!r} ({what} at column {self.pos + 1})")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, token: str) -> bool:
        self.skip()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def name(self) -> str:
        self.skip()
        start = self.pos
        # names may hold spaces and dots (`date and time`, `tns.tPerson`); stop at punctuation
        while self.pos < len(self.text) and self.text[self.pos] not in "<>,:()-":
            self.pos += 1
        name = " ".join(self.text[start:self.pos].split())
        if not name:
            raise self.fail("a type name expected")
        return name

    def parse(self) -> tuple:
        node = self.type_()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("unexpected text")
        return node

    def type_(self) -> tuple:
        name = self.name()
        if name in ("list", "range") and self.take("<"):
            inner = self.type_()
            if not self.take(">"):
                raise self.fail("'>' expected")
            return (name, inner)
        if name == "context" and self.take("<"):
            fields: list[tuple[str, tuple]] = []
            if not self.take(">"):
                while True:
                    key = self.name()
                    if not self.take(":"):
                        raise self.fail("':' expected")
                    fields.append((key, self.type_()))
                    if self.take(">"):
                        break
                    if not self.take(","):
                        raise self.fail("',' or '>' expected")
            return ("context", tuple(fields))
        if name == "function" and self.take("<"):
            params: list[tuple] = []
            if not self.take(">"):
                while True:
                    params.append(self.type_())
                    if self.take(">"):
                        break
                    if not self.take(","):
                        raise self.fail("',' or '>' expected")
            if not self.take("->"):
                raise self.fail("'->' expected")
            return ("function", tuple(params), self.type_())
        return ("name", name)


_ALIASES = {"dateTime": "date and time", "dayTimeDuration": "days and time duration",
            "yearMonthDuration": "years and months duration"}


def parse_type(text: str) -> tuple:
    """A FEEL type text as a small tree: ("name", n), ("list", t), ("context", fields), ..."""
    return _TypeParser(text).parse()


def instance_of(value: Any, type_text: str | tuple,
                resolve: Callable[[str], Callable[[Any], bool] | None] | None = None) -> bool:
    """FEEL `value instance of type`; `resolve(name)` answers model types (item definitions).

    null is an instance of Null only; a context is an instance of `context<a: T>` when it has
    an `a` of type T (more entries are fine); an unknown type name raises FeelRuntimeError.
    """
    node = parse_type(type_text) if isinstance(type_text, str) else type_text
    return _instance(value, node, resolve)


def _instance(value: Any, node: tuple, resolve: Callable[[str], Callable[[Any], bool] | None] | None) -> bool:
    kind = node[0]
    if kind == "name":
        name = _ALIASES.get(node[1], node[1])
        if name == "Null":
            return value is None
        if value is None:
            return False
        if name == "Any":
            return True
        if name == "duration":
            return type(value) in _DURATIONS
        if name in ("number", "string", "boolean", "date", "time", "date and time", "days and time duration",
                    "years and months duration", "list", "context", "range", "function"):
            return type_name(value) == name
        check = resolve(node[1]) if resolve is not None else None
        if check is None:
            raise FeelRuntimeError(f"unknown type: {node[1]!r}")
        return bool(check(value))
    if value is None:
        return False
    if kind == "list":
        return isinstance(value, list) and all(v is None or _instance(v, node[1], resolve) for v in value)
    if kind == "range":
        return type(value) is Range and all(
            v is None or _instance(v, node[1], resolve) for v in (value.start, value.end))
    if kind == "context":
        return isinstance(value, dict) and all(
            key in value and (value[key] is None or _instance(value[key], t, resolve)) for key, t in node[1])
    if kind == "function":
        if not isinstance(value, FeelFunction):
            return False
        params, result = node[1], node[2]
        if any(not s.variadic and not s.required <= len(params) <= len(s.params) for s in value.signatures[:1]):
            return False
        declared = [p for p in value.param_types[:len(params)]]
        # parameters are contravariant: the function must accept at least what the type promises
        for given, expected in zip(declared, params):
            if given is not None and not _subtype(expected, parse_type(given)):
                return False
        if value.result_type is not None and not _subtype(parse_type(value.result_type), result):
            return False
        return True
    raise FeelRuntimeError(f"unknown type form: {node!r}")


def _subtype(a: tuple, b: tuple) -> bool:
    """Whether type a conforms to type b (enough for function types: equal, Any, or Null)."""
    if b == ("name", "Any") or a == ("name", "Null"):
        return True
    if a[0] == "name" and b[0] == "name":
        return _ALIASES.get(a[1], a[1]) == _ALIASES.get(b[1], b[1])
    if a[0] != b[0]:
        return False
    if a[0] in ("list", "range"):
        return _subtype(a[1], b[1])
    if a[0] == "context":
        fields_a = dict(a[1])
        return all(k in fields_a and _subtype(fields_a[k], t) for k, t in b[1])
    if a[0] == "function":
        return (len(a[1]) == len(b[1]) and all(_subtype(y, x) for x, y in zip(a[1], b[1]))
                and _subtype(a[2], b[2]))
    return False


# --------------------------------------------------------------------------- properties


def temporal_property(value: Any, name: str) -> Any:
    """`value.name` for temporals, durations and ranges (`d.year`, `t.time offset`, `r.start`).

    Raises FeelRuntimeError for a property the value's type does not have.
    """
    t = type(value)
    if t in _DATES:
        if name == "year":
            return Decimal(value.year)
        if name == "month":
            return Decimal(value.month)
        if name == "day":
            return Decimal(value.day)
        if name == "weekday":
            return Decimal(value.isoweekday())
    if t in (datetime.time, datetime.datetime, FarDateTime):
        if name == "hour":
            return Decimal(value.hour)
        if name == "minute":
            return Decimal(value.minute)
        if name == "second":
            return Decimal(value.second)
        if name == "time offset":
            offset = time_offset(value) if t is datetime.time else value.utcoffset()
            return None if offset is None else DayTimeDuration.from_timedelta(offset)
        if name == "timezone":
            return zone_name(value.tzinfo)
    if t is DayTimeDuration:
        if name == "days":
            return Decimal(value.days)
        if name == "hours":
            return Decimal(value.hours)
        if name == "minutes":
            return Decimal(value.minutes)
        if name == "seconds":
            return Decimal(truncated(value.whole_seconds))
    if t is YearMonthDuration:
        if name == "years":
            return Decimal(value.years)
        if name == "months":
            return Decimal(value.months_part)
    if t is Range:
        if name == "start":
            return value.start
        if name == "end":
            return value.end
        if name == "start included":
            return value.start_included
        if name == "end included":
            return value.end_included
    raise FeelRuntimeError(f"a {type_name(value)} has no property {name!r}")
