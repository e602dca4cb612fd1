"""The registry the built-in functions are declared into, and the argument checks they share.

A check returns the argument as the type needed or raises FeelRuntimeError naming function and parameter.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

from composite.feel.values import (
    DayTimeDuration,
    FarDate,
    FarDateTime,
    FeelFunction,
    FeelRuntimeError,
    Range,
    Signature,
    YearMonthDuration,
    type_name,
)

BUILTINS: dict[str, FeelFunction] = {}


def builtin(name: str, *params: str, required: int | None = None, variadic: bool = False,
            overloads: Iterable[tuple[tuple[str, ...], int] | tuple[tuple[str, ...], int, bool]] = (),
            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a built-in by its FEEL name and spec parameter names; overloads share the body.

    An overload is (parameter names, how many are required[, variadic]); the body takes the
    arguments positionally, so overloads of one arity differ only in their names for named calls.
    """

    def declare(body: Callable[..., Any]) -> Callable[..., Any]:
        extra = [Signature(o[0], body, o[1], bool(o[2]) if len(o) > 2 else False) for o in overloads]
        BUILTINS[name] = FeelFunction(params, body, name=name, required=required, variadic=variadic, overloads=extra)
        return body

    return declare


def describe(value: Any) -> str:
    """A value's type for a message: 'null', 'a string', 'a number'."""
    name = type_name(value)
    if name == "Null":
        return "null"
    return ("an " if name[0] in "aeiou" else "a ") + name


class Arguments:
    """The checks of one built-in's arguments, so that every message names the function."""

    def __init__(self, function: str) -> None:
        self.name = function

    def fail(self, message: str) -> FeelRuntimeError:
        return FeelRuntimeError(f"{self.name}: {message}")

    def wrong(self, param: str, value: Any, expected: str) -> FeelRuntimeError:
        return self.fail(f"{param} must be {expected}, not {describe(value)}")

    def number(self, param: str, value: Any) -> Decimal:
        if type(value) is not Decimal:
            raise self.wrong(param, value, "a number")
        return value

    def integer(self, param: str, value: Any) -> int:
        """A number used as a count or position: its fraction is dropped (2.5 -> 2), as the TCK expects."""
        return int(self.number(param, value))

    def string(self, param: str, value: Any) -> str:
        if type(value) is not str:
            raise self.wrong(param, value, "a string")
        return value

    def boolean(self, param: str, value: Any) -> bool:
        if type(value) is not bool:
            raise self.wrong(param, value, "a boolean")
        return value

    def list(self, param: str, value: Any) -> list[Any]:
        """A list; a single non-null value is the list of itself (FEEL's singleton-list conversion)."""
        if isinstance(value, list):
            return value
        if value is None:
            raise self.wrong(param, value, "a list")
        return [value]

    def context(self, param: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.wrong(param, value, "a context")
        return value

    def function(self, param: str, value: Any) -> FeelFunction:
        if not isinstance(value, FeelFunction):
            raise self.wrong(param, value, "a function")
        return value

    def date_like(self, param: str, value: Any) -> Any:
        """A date, or a date and time (its date is used), in any FEEL year."""
        if type(value) not in (datetime.date, datetime.datetime, FarDate, FarDateTime):
            raise self.wrong(param, value, "a date or a date and time")
        return value

    def duration(self, param: str, value: Any) -> DayTimeDuration | YearMonthDuration:
        if type(value) not in (DayTimeDuration, YearMonthDuration):
            raise self.wrong(param, value, "a duration")
        return value

    def range(self, param: str, value: Any) -> Range:
        if type(value) is not Range:
            raise self.wrong(param, value, "a range")
        return value


MISSING: Any = object()
"""An optional parameter not given (a named call may pass null for it, which is different)."""
