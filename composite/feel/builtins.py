"""FEEL's built-in function library (DMN 1.5 10.3.4), by FEEL name: `BUILTINS["string length"]`.

Each built-in is a FeelFunction taking positional or named arguments (the spec's parameter names).

The contract with the evaluator
-------------------------------
- Call `BUILTINS[name].call(args)` or `.call(named={"string": ..., "start position": ...})`.
- A built-in given arguments it cannot take (wrong types, null where a value is needed, a
  position outside the list, an unknown parameter name, the wrong number of arguments) raises
  `composite.feel.values.FeelRuntimeError` whose message names the function and the problem.
  The evaluator catches it, the expression's value is null, and the message goes into the
  trace: DMN's "null plus a message", never an exception out of a decision.
- Some built-ins answer null without an error where the spec says so: `all([true, null])`,
  `string(null)`, `sum([])`, `mean([])`, `min([])`, `get value({}, "x")`.
- Built-ins that take functions (`sort`, `list replace`) call `FeelFunction.call`; a
  FeelRuntimeError raised inside propagates the same way.
- `now()` and `today()` read the machine's clock unless `with clock(moment):` fixes them, so a
  replayed decision can see the moment it was first made.

Numbers come back as Decimals in decimal128 (`FEEL_CONTEXT`), durations as DayTimeDuration /
YearMonthDuration, dates and times as `datetime` values; see composite.feel.values.

>>> BUILTINS["substring"].call(["foobar", Decimal(3)])
'obar'
>>> BUILTINS["round half up"].call(named={"n": Decimal("-5.5"), "scale": Decimal(0)})
Decimal('-6')
>>> BUILTINS["list replace"].call([[Decimal(1), Decimal(2)], Decimal(-1), Decimal(4)])
[Decimal('1'), Decimal('4')]
"""

from __future__ import annotations

from decimal import Decimal  # noqa: F401 (the doctests above use it)
from typing import Any

# the modules below declare their functions into BUILTINS as they are imported
from composite.feel import (  # noqa: F401
    _builtins_contexts,
    _builtins_conversion,
    _builtins_lists,
    _builtins_numbers,
    _builtins_ranges,
    _builtins_strings,
    _builtins_temporal,
)
from composite.feel._builtins_temporal import clock
from composite.feel._library import BUILTINS, Arguments, builtin
from composite.feel.values import FeelFunction, FeelRuntimeError, feel_is, temporal_property

__all__ = ["BUILTINS", "FeelFunction", "FeelRuntimeError", "call_builtin", "clock", "temporal_property"]


@builtin("not", "negand")
def not_(value: Any) -> bool | None:
    """Three-valued negation: not(null) is null; anything but a boolean is an error."""
    if value is None:
        return None
    return not Arguments("not").boolean("negand", value)


@builtin("is", "value1", "value2")
def is_(a: Any, b: Any) -> bool:
    """Same type and same value, zones included: is(@"23:00:50Z", @"23:00:50+00:00") is true,
    is(@"2012-12-25", @"2012-12-25T00:00:00Z") is false."""
    return feel_is(a, b)


def call_builtin(name: str, *args: Any, **named: Any) -> Any:
    """A built-in called from Python (tests, the evaluator's helpers): `call_builtin("abs", Decimal(-1))`.

    Named arguments use Python names with underscores for spaces (`start_position=...`).
    """
    function = BUILTINS.get(name)
    if function is None:
        raise FeelRuntimeError(f"no built-in function named {name!r}")
    if named:
        return function.call(None, {k.replace("_", " "): v for k, v in named.items()})
    return function.call(list(args))
