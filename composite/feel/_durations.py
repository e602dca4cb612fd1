"""FEEL's two duration kinds: days and time (exact seconds) and years and months (whole months).

Each reads and writes ISO 8601 (`P1DT2H`, `P1Y2M`, `-PT0.5S`) and does the arithmetic the spec gives it.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from decimal import Decimal

from composite.feel._decimal import FEEL_CONTEXT
from composite.feel._decimal import feel_number as _num
from composite.feel._errors import FeelRuntimeError

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class DayTimeDuration:
    """A days and time duration: an exact, possibly negative, number of seconds."""

    seconds: Decimal

    def __post_init__(self) -> None:
        if type(self.seconds) is not Decimal:
            object.__setattr__(self, "seconds", Decimal(str(self.seconds)))

    @classmethod
    def of(cls, *, days: int | Decimal = 0, hours: int | Decimal = 0, minutes: int | Decimal = 0,
           seconds: int | Decimal = 0) -> DayTimeDuration:
        total = (Decimal(days) * SECONDS_PER_DAY + Decimal(hours) * 3600 + Decimal(minutes) * 60
                 + Decimal(seconds))
        return cls(_num(total))

    @classmethod
    def from_timedelta(cls, delta: datetime.timedelta) -> DayTimeDuration:
        micros = (delta.days * SECONDS_PER_DAY + delta.seconds) * 1_000_000 + delta.microseconds
        whole, fraction = divmod(micros, 1_000_000)
        return cls(Decimal(micros).scaleb(-6).normalize(FEEL_CONTEXT) if fraction else Decimal(whole))

    def to_timedelta(self) -> datetime.timedelta:
        # timedelta keeps microseconds: finer fractions of a second are dropped here only
        micros = int(self.seconds.scaleb(6).to_integral_value(rounding=decimal.ROUND_DOWN))
        return datetime.timedelta(microseconds=micros)

    def negate(self) -> DayTimeDuration:
        return DayTimeDuration(_num(-self.seconds))

    def add(self, other: DayTimeDuration) -> DayTimeDuration:
        return DayTimeDuration(_num(self.seconds + other.seconds))

    def subtract(self, other: DayTimeDuration) -> DayTimeDuration:
        return DayTimeDuration(_num(self.seconds - other.seconds))

    def multiply(self, factor: Decimal) -> DayTimeDuration:
        return DayTimeDuration(_num(FEEL_CONTEXT.multiply(self.seconds, factor)))

    def divide(self, divisor: Decimal) -> DayTimeDuration:
        if not divisor:
            raise FeelRuntimeError("division of a duration by zero")
        return DayTimeDuration(_num(FEEL_CONTEXT.divide(self.seconds, divisor)))

    def compare(self, other: DayTimeDuration) -> int:
        return (self.seconds > other.seconds) - (self.seconds < other.seconds)

    @property
    def days(self) -> int:
        return truncated(self.seconds / SECONDS_PER_DAY)

    # the fields of `P1DT2H3M4S`, each signed like the duration (as java.time's toXxxPart)
    @property
    def hours(self) -> int:
        return _signed_part(self.seconds, 3600, 24)

    @property
    def minutes(self) -> int:
        return _signed_part(self.seconds, 60, 60)

    @property
    def whole_seconds(self) -> Decimal:
        """The seconds field (0 to 59.999..., signed like the duration), as `P1DT2H3M4.5S` writes it."""
        magnitude = abs(self.seconds) % 60
        return -magnitude if self.seconds < 0 else magnitude

    def iso(self) -> str:
        """ISO 8601 / XML Schema text, days as the largest unit: `P1DT2H3M4.5S`, `-PT1S`, `PT0S`."""
        magnitude = abs(self.seconds)
        whole = int(magnitude.to_integral_value(rounding=decimal.ROUND_DOWN))
        fraction = magnitude - whole
        days, rest = divmod(whole, SECONDS_PER_DAY)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        text = "P"
        if days:
            text += f"{days}D"
        clock = ""
        if hours:
            clock += f"{hours}H"
        if minutes:
            clock += f"{minutes}M"
        if secs or fraction:
            clock += _plain(Decimal(secs) + fraction) + "S"
        if clock:
            text += "T" + clock
        if text == "P":
            return "PT0S"
        return ("-" if self.seconds < 0 else "") + text

    def __str__(self) -> str:
        return self.iso()


@dataclass(frozen=True)
class YearMonthDuration:
    """A years and months duration: a whole, possibly negative, number of months."""

    months: int

    def negate(self) -> YearMonthDuration:
        return YearMonthDuration(-self.months)

    def add(self, other: YearMonthDuration) -> YearMonthDuration:
        return YearMonthDuration(self.months + other.months)

    def subtract(self, other: YearMonthDuration) -> YearMonthDuration:
        return YearMonthDuration(self.months - other.months)

    def multiply(self, factor: Decimal) -> YearMonthDuration:
        # the spec multiplies the months and keeps whole months (java truncation, as the TCK expects)
        return YearMonthDuration(truncated(FEEL_CONTEXT.multiply(Decimal(self.months), factor)))

    def divide(self, divisor: Decimal) -> YearMonthDuration:
        if not divisor:
            raise FeelRuntimeError("division of a duration by zero")
        return YearMonthDuration(truncated(FEEL_CONTEXT.divide(Decimal(self.months), divisor)))

    def compare(self, other: YearMonthDuration) -> int:
        return (self.months > other.months) - (self.months < other.months)

    @property
    def years(self) -> int:
        return int(self.months / 12)

    @property
    def months_part(self) -> int:
        return self.months - 12 * int(self.months / 12)

    def iso(self) -> str:
        """ISO 8601 text, normalised: `P1Y2M`, `-P3M`, `P0M`."""
        years, months = divmod(abs(self.months), 12)
        text = "P" + (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return ("-" if self.months < 0 else "") + text

    def __str__(self) -> str:
        return self.iso()


def truncated(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=decimal.ROUND_DOWN))


def _signed_part(seconds: Decimal, unit: int, modulus: int) -> int:
    """The field `unit` of a duration (as java.time's toXxxPart), signed like the duration."""
    magnitude = truncated(abs(seconds) / unit) % modulus
    return -magnitude if seconds < 0 else magnitude


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing fractional zeros: 4.50 -> '4.5', 1E+2 -> '100'."""
    if number == number.to_integral_value():
        return format(number.quantize(Decimal(1)), "f")
    return format(number.normalize(FEEL_CONTEXT), "f")


DURATION_TEXT = re.compile(
    r"(?P<sign>-)?P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?"
    r"(?:T(?!$)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d*)?)S)?)?"
)


def parse_duration(text: str) -> DayTimeDuration | YearMonthDuration:
    """An ISO 8601 duration: `P1Y2M` is years and months, `P1DT2H` or `PT0.5S` days and time.

    >>> parse_duration("-P1DT2H").seconds
    Decimal('-93600')
    >>> parse_duration("P14M").iso()
    'P1Y2M'
    """
    match = DURATION_TEXT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise FeelRuntimeError(f"not an ISO 8601 duration: {text!r}")
    parts = match.groupdict()
    sign = -1 if parts["sign"] else 1
    ym = parts["years"] is not None or parts["months"] is not None
    dt = any(parts[k] is not None for k in ("days", "hours", "minutes", "seconds"))
    if ym and dt:
        # XML Schema allows P1Y2DT3H; FEEL has no duration kind that holds both
        raise FeelRuntimeError(f"a duration is either years and months or days and time, not both: {text!r}")
    if ym:
        return YearMonthDuration(sign * (int(parts["years"] or 0) * 12 + int(parts["months"] or 0)))
    seconds = DayTimeDuration.of(
        days=int(parts["days"] or 0), hours=int(parts["hours"] or 0), minutes=int(parts["minutes"] or 0),
        seconds=Decimal(parts["seconds"] or 0),
    ).seconds
    return DayTimeDuration(_num(sign * seconds))
