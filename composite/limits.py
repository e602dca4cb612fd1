"""Limits on the work one request may cause, and values shown short in every error message.

`Limits` is what `CompositeEngine(..., limits=Limits(...))` takes; the defaults fit a credit
application or a sensor reading with room to spare and stop a 10 MB string, a million fields or
a 100,000-deep JSON array before any of it is parsed, checked or stored. See docs/limits.md.
"""

from __future__ import annotations

import json
import re
import reprlib
from dataclasses import dataclass
from typing import Any

from composite.errors import RequestError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Limits:
    """Bounds on one request (and on each row and cell of a batch).

    max_fields          fields in one request, columns in one batch
    max_string_length   characters in one string value (and in a field name)
    max_depth           nesting of arrays and objects in a JSON request text
    max_request_bytes   size of a JSON request text (`composite decide --input`)
    """

    max_fields: int = 1_000
    max_string_length: int = 10_000
    max_depth: int = 32
    max_request_bytes: int = 10_000_000

    def __post_init__(self) -> None:
        for name in ("max_fields", "max_string_length", "max_depth", "max_request_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlong = 40
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 5
_repr.maxlevel = 3


def short(value: Any) -> str:
    """`repr(value)`, cut to a few dozen characters: never a 10 MB value in an error message."""
    try:
        return _repr.repr(value)
    except Exception:  # a value whose repr fails still gets a message
        return f"<{type(value).__name__}>"


def show(value: Any) -> str:
    """The value's type and its short repr, as error messages show a wrong value."""
    return f"{type(value).__name__} {short(value)}"


# -- JSON request text --------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, without parsing it (no recursion)."""
    deepest = depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json_request(text: str | bytes, *, where: str = "the request", limits: Limits = DEFAULT_LIMITS) -> Any:
    """A JSON request text parsed within the limits; every failure is a RequestError at `where`.

    Refused: more than `max_request_bytes`, bytes that are not UTF-8, nesting deeper than
    `max_depth`, invalid JSON (with its line and column), an object with the same key twice
    (JSON parsers would silently keep one of them) and JSON that is not an object (an array, a
    string, a number, true/false or null: `request_not_object`, saying what was found).
    """
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > limits.max_request_bytes:
        raise RequestError(f"the request is {size:,} bytes, more than the limit {limits.max_request_bytes:,} "
                           f"(Limits.max_request_bytes)", code="request_too_large", file=where)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError(f"the request is not UTF-8 text (byte {exc.start})", code="input_not_utf8",
                               file=where) from None
    depth = _depth(text)
    if depth > limits.max_depth:
        raise RequestError(f"the request nests arrays and objects {depth} deep, more than the limit "
                           f"{limits.max_depth} (Limits.max_depth)", code="request_too_deep", file=where)

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise RequestError(f"the key {short(key)} appears twice in one object", code="duplicate_key",
                                   file=where, field=key[:200])
            out[key] = value
        return out

    try:
        request = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise RequestError(f"the input is not valid JSON: {exc.msg}", code="input_not_json", file=where,
                           line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # cannot happen below max_depth; kept so no input ever ends in a traceback
        raise RequestError("the request nests too deep to parse", code="request_too_deep", file=where) from None
    except ValueError as exc:  # an integer of more than 4,300 digits: Python refuses to parse it
        raise RequestError(f"the input has a value JSON cannot take: {short(str(exc))}", code="input_not_json",
                           file=where) from None
    if not isinstance(request, dict):
        raise RequestError(f"the request is {_found(request)}, not an object: expected a JSON object of input "
                           'fields, {"name": value, ...}', code="request_not_object", file=where)
    return request


def _found(value: Any) -> str:
    """What a parsed JSON value is, as an error message says it (values cut short)."""
    if value is None:
        return "JSON null"
    if isinstance(value, bool):
        return f"the JSON boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"the JSON number {short(value)}"
    if isinstance(value, str):
        return f"the JSON string {short(value)}"
    return f"a JSON array of {len(value):,} value{'' if len(value) == 1 else 's'}"


__all__ = ["DEFAULT_LIMITS", "INT64_MAX", "INT64_MIN", "Limits", "parse_json_request", "short", "show"]
