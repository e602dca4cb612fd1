"""FEEL's string functions (DMN 1.5 10.3.4.3): positions count characters (code points) from 1.

Patterns are XPath regular expressions (composite.feel._xpath_regex).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from composite.feel._library import MISSING, Arguments, builtin
from composite.feel._xpath_regex import compile_xpath, replace_xpath, split_xpath


@builtin("substring", "string", "start position", "length", required=2)
def substring(text: Any, start: Any, length: Any = MISSING) -> str:
    args = Arguments("substring")
    text = args.string("string", text)
    position = args.integer("start position", start)
    if position == 0:
        raise args.fail("start position 0 is before the first character (positions count from 1, or -1 from the end)")
    first = position - 1 if position > 0 else len(text) + position
    if first < 0 or first > len(text):
        raise args.fail(f"start position {position} is outside a string of {len(text)} characters")
    if length is MISSING:
        return text[first:]
    count = args.integer("length", length)
    if count < 0:
        raise args.fail(f"length must not be negative, not {count}")
    return text[first:first + count]


@builtin("string length", "string")
def string_length(text: Any) -> Decimal:
    return Decimal(len(Arguments("string length").string("string", text)))


@builtin("upper case", "string")
def upper_case(text: Any) -> str:
    return Arguments("upper case").string("string", text).upper()


@builtin("lower case", "string")
def lower_case(text: Any) -> str:
    return Arguments("lower case").string("string", text).lower()


@builtin("substring before", "string", "match")
def substring_before(text: Any, match: Any) -> str:
    args = Arguments("substring before")
    text, match = args.string("string", text), args.string("match", match)
    index = text.find(match)
    return "" if index < 0 else text[:index]


@builtin("substring after", "string", "match")
def substring_after(text: Any, match: Any) -> str:
    args = Arguments("substring after")
    text, match = args.string("string", text), args.string("match", match)
    index = text.find(match)
    return "" if index < 0 else text[index + len(match):]


def _flags(args: Arguments, flags: Any) -> str:
    # null flags are no flags (the TCK's matches("abracadabra", "bra", null) is true)
    return "" if flags is MISSING or flags is None else args.string("flags", flags)


@builtin("replace", "input", "pattern", "replacement", "flags", required=3)
def replace(text: Any, pattern: Any, replacement: Any, flags: Any = MISSING) -> str:
    args = Arguments("replace")
    return replace_xpath(args.string("input", text), args.string("pattern", pattern),
                         args.string("replacement", replacement), _flags(args, flags))


@builtin("contains", "string", "match")
def contains(text: Any, match: Any) -> bool:
    args = Arguments("contains")
    return args.string("match", match) in args.string("string", text)


@builtin("starts with", "string", "match")
def starts_with(text: Any, match: Any) -> bool:
    args = Arguments("starts with")
    return args.string("string", text).startswith(args.string("match", match))


@builtin("ends with", "string", "match")
def ends_with(text: Any, match: Any) -> bool:
    args = Arguments("ends with")
    return args.string("string", text).endswith(args.string("match", match))


@builtin("matches", "input", "pattern", "flags", required=2)
def matches(text: Any, pattern: Any, flags: Any = MISSING) -> bool:
    args = Arguments("matches")
    text, pattern = args.string("input", text), args.string("pattern", pattern)
    return compile_xpath(pattern, _flags(args, flags)).search(text) is not None


@builtin("split", "string", "delimiter", "flags", required=2)
def split(text: Any, delimiter: Any, flags: Any = MISSING) -> list[str]:
    args = Arguments("split")
    return split_xpath(args.string("string", text), args.string("delimiter", delimiter), _flags(args, flags))


@builtin("string join", "list", "delimiter", required=1)
def string_join(items: Any, delimiter: Any = MISSING) -> str:
    args = Arguments("string join")
    items = args.list("list", items)
    separator = "" if delimiter is MISSING or delimiter is None else args.string("delimiter", delimiter)
    texts: list[str] = []
    for position, item in enumerate(items, start=1):
        if item is None:
            continue  # nulls are left out, as the spec's example shows
        if type(item) is not str:
            raise args.fail(f"item {position} of the list is not a string")
        texts.append(item)
    return separator.join(texts)
