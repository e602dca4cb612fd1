"""Java external functions of DMN, for a fixed list of java.lang methods, computed in Python.

No class is loaded and nothing is looked up by reflection: a (class, method signature) pair not listed
here is unknown, and the function is null with a note, as DMN 1.5 section 10.3.2.13.3 allows.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

_INTEGRAL = {"int": 2 ** 31, "long": 2 ** 63, "short": 2 ** 15, "byte": 2 ** 7}
_FLOATING = ("double", "float")
_NUMBER_PATTERN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Unconvertible(Exception):
    """An argument that the Java parameter type cannot take: the call is null."""


def _argument(value: Any, java_type: str) -> Any:
    """A FEEL value as the Java parameter type would receive it (a narrowing Java refuses is refused)."""
    if java_type in _INTEGRAL:
        if not isinstance(value, Decimal) or value != value.to_integral_value():
            raise _Unconvertible(java_type)
        number = int(value)
        if not -_INTEGRAL[java_type] <= number < _INTEGRAL[java_type]:
            raise _Unconvertible(java_type)
        return number
    if java_type in _FLOATING:
        if not isinstance(value, Decimal):
            raise _Unconvertible(java_type)
        return float(value)
    if java_type == "char":
        if not isinstance(value, str) or len(value) != 1:
            raise _Unconvertible(java_type)
        return value
    if java_type == "java.lang.String":
        if not isinstance(value, str):
            raise _Unconvertible(java_type)
        return value
    if java_type in ("java.lang.Object", "[Ljava.lang.Object;"):
        return value
    raise _Unconvertible(java_type)


def _result(value: Any) -> Any:
    """A Java result as a FEEL value: numbers become decimals (a double through its shortest text)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return Decimal(repr(value))
    return value


def _parse(kind: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        stripped = text.strip()
        if not _NUMBER_PATTERN.match(stripped):
            raise _Unconvertible(kind)  # Java throws NumberFormatException: the call is null
        if kind in _INTEGRAL:
            try:
                number = int(stripped)
            except ValueError:
                raise _Unconvertible(kind) from None
            if not -_INTEGRAL[kind] <= number < _INTEGRAL[kind]:
                raise _Unconvertible(kind)
            return number
        try:
            return float(Decimal(stripped))
        except InvalidOperation:
            raise _Unconvertible(kind) from None

    return parse


def _format(pattern: str, arguments: Any) -> str:
    """java.lang.String.format for %s, %d and %% (what DMN models use); other conversions are refused."""
    values = list(arguments) if isinstance(arguments, list) else [arguments]
    out: list[str] = []
    position = 0
    for match in re.finditer(r"%(%|s|d)", pattern):
        out.append(pattern[position:match.start()])
        position = match.end()
        if match.group(1) == "%":
            out.append("%")
            continue
        if not values:
            raise _Unconvertible("format")
        value = values.pop(0)
        if match.group(1) == "d":
            if not isinstance(value, Decimal) or value != value.to_integral_value():
                raise _Unconvertible("format")
            out.append(str(int(value)))
        else:
            out.append(_text(value))
    out.append(pattern[position:])
    if re.search(r"%[^%sd]", pattern):
        raise _Unconvertible("format")
    return "".join(out)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


# (class, method) -> {parameter types: implementation}
_MATH_1 = {name: getattr(math, name) for name in ("cos", "sin", "tan", "acos", "asin", "atan", "exp", "log",
                                                   "log10", "sqrt", "cbrt", "floor", "ceil")}
_METHODS: dict[tuple[str, str], dict[tuple[str, ...], Callable[..., Any]]] = {
    ("java.lang.Math", name): {("double",): function} for name, function in _MATH_1.items()
}
_METHODS.update({
    ("java.lang.Math", "max"): {(kind, kind): max for kind in ("double", "float", "int", "long")},
    ("java.lang.Math", "min"): {(kind, kind): min for kind in ("double", "float", "int", "long")},
    ("java.lang.Math", "abs"): {(kind,): abs for kind in ("double", "float", "int", "long")},
    ("java.lang.Math", "pow"): {("double", "double"): math.pow},
    ("java.lang.Math", "atan2"): {("double", "double"): math.atan2},
    ("java.lang.Math", "hypot"): {("double", "double"): math.hypot},
    ("java.lang.Math", "toRadians"): {("double",): math.radians},
    ("java.lang.Math", "toDegrees"): {("double",): math.degrees},
    ("java.lang.Math", "signum"): {("double",): lambda x: math.copysign(1.0, x) if x else 0.0},
    ("java.lang.Integer", "valueOf"): {("int",): int, ("java.lang.String",): _parse("int")},
    ("java.lang.Integer", "parseInt"): {("java.lang.String",): _parse("int")},
    ("java.lang.Long", "valueOf"): {("long",): int, ("java.lang.String",): _parse("long")},
    ("java.lang.Long", "parseLong"): {("java.lang.String",): _parse("long")},
    ("java.lang.Short", "valueOf"): {("short",): int, ("java.lang.String",): _parse("short")},
    ("java.lang.Byte", "valueOf"): {("byte",): int, ("java.lang.String",): _parse("byte")},
    ("java.lang.Double", "valueOf"): {("double",): float, ("java.lang.String",): _parse("double")},
    ("java.lang.Double", "parseDouble"): {("java.lang.String",): _parse("double")},
    ("java.lang.Float", "valueOf"): {("float",): float, ("java.lang.String",): _parse("float")},
    ("java.lang.Float", "parseFloat"): {("java.lang.String",): _parse("float")},
    ("java.lang.String", "valueOf"): {("char",): str, ("int",): str, ("long",): str, ("double",): repr,
                                      ("java.lang.Object",): _text},
    ("java.lang.String", "format"): {("java.lang.String", "[Ljava.lang.Object;"): _format},
})

_SIGNATURE = re.compile(r"^\s*([A-Za-z_$][\w$]*)\s*\((.*)\)\s*$")


def java_function(class_name: str, signature: str) -> Callable[..., Any] | None:
    """The Python implementation of a listed Java static method, taking and giving FEEL values; or None.

    >>> from decimal import Decimal
    >>> java_function("java.lang.Math", "max(double, double)")(Decimal("123.45"), Decimal("456.78"))
    Decimal('456.78')
    """
    match = _SIGNATURE.match(signature or "")
    if not match:
        return None
    method = match.group(1)
    types = tuple(part.strip() for part in match.group(2).split(",") if part.strip())
    implementation = _METHODS.get((class_name.strip(), method), {}).get(types)
    if implementation is None:
        return None

    def call(*arguments: Any) -> Any:
        if len(arguments) != len(types):
            return None
        try:
            converted = [_argument(value, java_type) for value, java_type in zip(arguments, types)]
            return _result(implementation(*converted))
        except (_Unconvertible, ValueError, OverflowError, ZeroDivisionError):
            return None  # what a Java exception is in FEEL: null

    return call


__all__ = ["java_function"]
