"""FEEL's numeric functions (DMN 1.5 10.3.4.5): rounding to a scale, modulo, sqrt, log, exp, odd, even, abs.

Results are decimals in decimal128; a scale is a whole number from -6111 to 6176, as decimal128 allows.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from composite.feel._library import MISSING, Arguments, builtin
from composite.feel.values import FEEL_CONTEXT, DayTimeDuration, YearMonthDuration, feel_number

_SCALES = range(-6111, 6177)


def _rounded(name: str, n: Any, scale: Any, rounding: str) -> Decimal:
    args = Arguments(name)
    number = args.number("n", n)
    places = 0 if scale is MISSING else args.integer("scale", scale)
    if places not in _SCALES:
        raise args.fail(f"scale {places} is outside decimal128's -6111 to 6176")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -places:
        return number  # already at that scale or coarser: nothing to round
    try:
        return feel_number(number.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=FEEL_CONTEXT))
    except decimal.InvalidOperation:
        raise args.fail(f"{number} cannot be written with {places} decimal places in 34 digits") from None


@builtin("decimal", "n", "scale")
def decimal_(n: Any, scale: Any) -> Decimal:
    """Rounded half to even (bankers' rounding): decimal(2.5, 0) = 2."""
    return _rounded("decimal", n, scale, decimal.ROUND_HALF_EVEN)


@builtin("floor", "n", "scale", required=1)
def floor(n: Any, scale: Any = MISSING) -> Decimal:
    return _rounded("floor", n, scale, decimal.ROUND_FLOOR)


@builtin("ceiling", "n", "scale", required=1)
def ceiling(n: Any, scale: Any = MISSING) -> Decimal:
    return _rounded("ceiling", n, scale, decimal.ROUND_CEILING)


@builtin("round up", "n", "scale")
def round_up(n: Any, scale: Any) -> Decimal:
    """Away from zero: round up(-5.5, 0) = -6."""
    return _rounded("round up", n, scale, decimal.ROUND_UP)


@builtin("round down", "n", "scale")
def round_down(n: Any, scale: Any) -> Decimal:
    """Towards zero: round down(-5.5, 0) = -5."""
    return _rounded("round down", n, scale, decimal.ROUND_DOWN)


@builtin("round half up", "n", "scale")
def round_half_up(n: Any, scale: Any) -> Decimal:
    """Ties away from zero: round half up(-5.5, 0) = -6."""
    return _rounded("round half up", n, scale, decimal.ROUND_HALF_UP)


@builtin("round half down", "n", "scale")
def round_half_down(n: Any, scale: Any) -> Decimal:
    """Ties towards zero: round half down(-5.5, 0) = -5."""
    return _rounded("round half down", n, scale, decimal.ROUND_HALF_DOWN)


@builtin("abs", "n")
def abs_(n: Any) -> Decimal | DayTimeDuration | YearMonthDuration:
    """The magnitude of a number or of either kind of duration."""
    if type(n) is DayTimeDuration:
        return DayTimeDuration(abs(n.seconds))
    if type(n) is YearMonthDuration:
        return YearMonthDuration(abs(n.months))
    return FEEL_CONTEXT.abs(Arguments("abs").number("n", n))


@builtin("modulo", "dividend", "divisor")
def modulo(dividend: Any, divisor: Any) -> Decimal:
    """dividend - divisor * floor(dividend / divisor): the result has the divisor's sign."""
    args = Arguments("modulo")
    a, b = args.number("dividend", dividend), args.number("divisor", divisor)
    if not b:
        raise args.fail("the divisor is zero")
    quotient = FEEL_CONTEXT.divide(a, b).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return feel_number(FEEL_CONTEXT.subtract(a, FEEL_CONTEXT.multiply(b, quotient)))


@builtin("sqrt", "number")
def sqrt(number: Any) -> Decimal:
    args = Arguments("sqrt")
    n = args.number("number", number)
    if n < 0:
        raise args.fail(f"no square root of the negative number {n}")
    return FEEL_CONTEXT.sqrt(n)


@builtin("log", "number")
def log(number: Any) -> Decimal:
    """The natural logarithm."""
    args = Arguments("log")
    n = args.number("number", number)
    if n <= 0:
        raise args.fail(f"no logarithm of {n} (it must be positive)")
    return FEEL_CONTEXT.ln(n)


@builtin("exp", "number")
def exp(number: Any) -> Decimal:
    args = Arguments("exp")
    n = args.number("number", number)
    result = FEEL_CONTEXT.exp(n)
    if not result.is_finite():
        raise args.fail(f"exp({n}) is too large for decimal128")
    return result


def _whole(name: str, number: Any) -> int | None:
    n = Arguments(name).number("number", number)
    return int(n) if n == n.to_integral_value() else None


@builtin("odd", "number")
def odd(number: Any) -> bool:
    whole = _whole("odd", number)
    return whole is not None and whole % 2 == 1


@builtin("even", "number")
def even(number: Any) -> bool:
    whole = _whole("even", number)
    return whole is not None and whole % 2 == 0
