"""`function(x) external {java: {class: ..., method signature: ...}}`: a fixed list of JDK methods.

Nothing is looked up by reflection or run from the model's text: a (class, method, parameter types)
triple not in the table below gives null and a note, like any other FEEL runtime problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from composite.feel.values import FeelRuntimeError

_FLOATS = {"double", "float", "java.lang.Double", "java.lang.Float"}
_INTS = {"int", "long", "short", "byte", "java.lang.Integer", "java.lang.Long", "java.lang.Short",
         "java.lang.Byte"}
_JAVA_INT = re.compile(r"[+-]?\d+")
_JAVA_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?\s*")


def _to_java(value: Any, kind: str) -> Any:
    if kind in _FLOATS:
        if type(value) is not Decimal:
            raise FeelRuntimeError(f"a Java {kind} needs a number, not {value!r}")
        return float(value)
    if kind in _INTS:
        if type(value) is not Decimal:
            raise FeelRuntimeError(f"a Java {kind} needs a number, not {value!r}")
        return int(value)
    if kind in ("char", "java.lang.Character"):
        if not isinstance(value, str) or len(value) != 1:
            raise FeelRuntimeError(f"a Java char needs a string of one character, not {value!r}")
        return value
    if kind == "java.lang.String":
        if not isinstance(value, str):
            raise FeelRuntimeError(f"a Java String needs a string, not {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise FeelRuntimeError(f"a Java boolean needs a boolean, not {value!r}")
        return value
    return value  # java.lang.Object and arrays of it: as they are


def _from_java(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FeelRuntimeError("the Java method answered NaN or an infinity, which FEEL has not")
        return Decimal(repr(value))
    return value


def _parse_int(text: str) -> int:
    if not _JAVA_INT.fullmatch(text):
        raise FeelRuntimeError(f"NumberFormatException: {text!r}")
    return int(text)


def _parse_float(text: str) -> float:
    if not _JAVA_FLOAT.fullmatch(text):
        raise FeelRuntimeError(f"NumberFormatException: {text!r}")
    return float(text.strip().rstrip("fFdD"))


_FORMAT = re.compile(r"%(?:(\d+)\$)?([-+ 0,]*)(\d+)?(?:\.(\d+))?([sdfn%])")


def _format(pattern: str, args: list[Any]) -> str:
    """java.lang.String.format for %s, %d, %f (with width, precision and flags - + 0 ,), %n, %%."""
    position = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal position
        index, flags, width, precision, conversion = match.groups()
        if conversion == "%":
            return "%"
        if conversion == "n":
            return "\n"
        if index:
            value = args[int(index) - 1]
        else:
            value = args[position]
            position += 1
        if conversion == "s":
            text = "null" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
            if precision:
                text = text[: int(precision)]
            spec = ""
        else:
            if type(value) is not Decimal:
                raise FeelRuntimeError(f"%{conversion} needs a number, not {value!r}")
            if conversion == "d" and value != value.to_integral_value():
                raise FeelRuntimeError(f"%d needs a whole number, not {value}")
            value = int(value) if conversion == "d" else value
            spec = ("," if "," in flags else "") + (f".{precision or 6}f" if conversion == "f" else "d")
            spec = ("+" if "+" in flags else " " if " " in flags else "") + spec
            text = format(value, spec)
        width_number = int(width) if width else 0
        if "-" in flags:
            return text.ljust(width_number)
        if "0" in flags and conversion != "s":
            sign = text[0] if text[:1] in "+- " and text else ""
            return sign + text[len(sign):].rjust(width_number - len(sign), "0")
        return text.rjust(width_number)

    try:
        return _FORMAT.sub(replace, pattern)
    except IndexError:
        raise FeelRuntimeError("MissingFormatArgumentException: fewer arguments than the format asks for") from None


_MATH_1 = {"cos": math.cos, "sin": math.sin, "tan": math.tan, "acos": math.acos, "asin": math.asin,
           "atan": math.atan, "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10,
           "floor": math.floor, "ceil": math.ceil, "toRadians": math.radians, "toDegrees": math.degrees}


def _method(cls: str, name: str, kinds: tuple[str, ...]) -> Callable[..., Any] | None:
    numeric = all(kind in _FLOATS | _INTS for kind in kinds)
    if cls == "java.lang.Math" and numeric:
        floats = any(kind in _FLOATS for kind in kinds)
        if name in _MATH_1 and len(kinds) == 1:
            function = _MATH_1[name]
            return lambda x: float(function(x))
        if name in ("max", "min") and len(kinds) == 2:
            pick = max if name == "max" else min
            return (lambda a, b: float(pick(a, b))) if floats else pick
        if name == "abs" and len(kinds) == 1:
            return (lambda a: float(abs(a))) if floats else abs
        if name == "pow" and len(kinds) == 2:
            return lambda a, b: float(math.pow(a, b))
        if name == "signum" and len(kinds) == 1:
            return lambda a: float((a > 0) - (a < 0))
        if name == "round" and len(kinds) == 1:
            return lambda a: math.floor(a + 0.5)
        return None
    if cls in ("java.lang.Integer", "java.lang.Long", "java.lang.Short", "java.lang.Byte") and len(kinds) == 1:
        if name in ("valueOf", "parseInt", "parseLong", "parseShort", "parseByte"):
            if kinds[0] == "java.lang.String":
                return _parse_int
            if kinds[0] in _INTS:
                return lambda a: a
        return None
    if cls in ("java.lang.Double", "java.lang.Float") and len(kinds) == 1:
        if name in ("valueOf", "parseDouble", "parseFloat"):
            if kinds[0] == "java.lang.String":
                return _parse_float
            if kinds[0] in _FLOATS | _INTS:
                return float
        return None
    if cls == "java.lang.String":
        if name == "valueOf" and len(kinds) == 1:
            if kinds[0] in ("char", "java.lang.String", "java.lang.Object"):
                return str
            if kinds[0] in _INTS:
                return lambda a: str(a)
            if kinds[0] == "boolean":
                return lambda a: "true" if a else "false"
            return None
        if name == "format" and kinds == ("java.lang.String", "[Ljava.lang.Object;"):
            return lambda pattern, *rest: _format(pattern, list(rest))
    return None


_SIGNATURE = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*\((.*)\)\s*")


def java_method(definition: Any) -> tuple[Callable[[list[Any]], Any] | None, str]:
    """The callable for an external definition's context, or None and why not."""
    java = definition.get("java") if isinstance(definition, dict) else None
    if not isinstance(java, dict):
        return None, "external functions other than Java (PMML) are not supported"
    cls, signature = java.get("class"), java.get("method signature")
    match = _SIGNATURE.fullmatch(signature) if isinstance(signature, str) else None
    if not isinstance(cls, str) or match is None:
        return None, "a Java external function needs a class and a method signature such as 'max(double, double)'"
    name = match.group(1)
    kinds = tuple(kind.strip() for kind in match.group(2).split(",")) if match.group(2).strip() else ()
    method = _method(cls, name, kinds)
    if method is None:
        return None, f"the Java method {cls}.{name}({', '.join(kinds)}) is not one composite provides"

    def call(args: list[Any]) -> Any:
        if kinds and kinds[-1].startswith("[L"):  # varargs: the last parameter takes the rest
            fixed = len(kinds) - 1
            if len(args) < fixed:
                raise FeelRuntimeError(f"{cls}.{name} needs at least {fixed} arguments")
            converted = [_to_java(a, k) for a, k in zip(args[:fixed], kinds)] + list(args[fixed:])
        else:
            if len(args) != len(kinds):
                raise FeelRuntimeError(f"{cls}.{name} takes {len(kinds)} arguments, not {len(args)}")
            converted = [_to_java(a, k) for a, k in zip(args, kinds)]
        try:
            return _from_java(method(*converted))
        except (ValueError, OverflowError, ArithmeticError) as error:
            raise FeelRuntimeError(f"{cls}.{name}: {error}") from None

    return call, ""
