"""FEEL's tokens, read one at a time so the parser can widen the names it knows as it goes.

Names may hold spaces and `. / - ' + *` (DMN 1.5, 10.3.1.2); a known name is matched greedily first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# Words the grammar gives a meaning; two unknown words next to each other join into one name
# unless one of these stands between them.
KEYWORDS = frozenset(
    {
        "and", "or", "if", "then", "else", "for", "in", "return", "some", "every", "satisfies",
        "between", "instance", "of", "function", "true", "false", "null", "external",
    }
)

_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
# FEEL's name characters are Unicode letters plus `_ ? $`, and every character beyond the Basic
# Multilingual Plane (emoji included: `{🐎: "bar"}` is a context).
_NAME = re.compile(r"(?:[^\W\d]|[_?$\U00010000-\U000EFFFF])[\w?$\U00010000-\U000EFFFF]*")
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.S)
_OPERATORS = ("**", "..", "<=", ">=", "!=", "->", "*", "/", "+", "-", "<", ">", "=", "(", ")",
              "[", "]", "{", "}", ",", ":", ".", "@")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


# What a character from another language means in FEEL.
_HINTS = {
    "&": ": FEEL writes 'and'",
    "|": ": FEEL writes 'or'",
    "!": ": FEEL writes not(x) for a negation and != for 'not equal'",
    "'": ': FEEL strings are in double quotes ("text"); a name holding \' must be one in scope',
    "%": ": FEEL has no % operator; use modulo(a, b)",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "op", "eof", "error"
    value: object
    start: int
    end: int


def is_simple_name(name: str) -> bool:
    """A name the plain identifier rule reads whole; others need the scope's list of names."""
    return bool(_NAME.fullmatch(name)) and name not in KEYWORDS


@lru_cache(maxsize=256)
def _known_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    # Longest first, so the greedy rule of the spec picks `date and time` over `date`.
    parts = []
    for name in sorted(names, key=len, reverse=True):
        words = name.split()
        if not words:
            continue
        parts.append(r"\s+".join(re.escape(w) for w in words))
    if not parts:
        return None
    return re.compile("(?:" + "|".join(parts) + r")(?![\w?$])")


def skip_space(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def next_token(text: str, pos: int, known: frozenset[str]) -> Token:
    """The token at `pos` (after any blank or comment); `known` are the multi-part names in scope."""
    pos = skip_space(text, pos)
    if pos >= len(text):
        return Token("eof", None, pos, pos)
    char = text[pos]
    if char.isdigit() or (char == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
        match = _NUMBER.match(text, pos)
        assert match is not None
        return Token("number", Decimal(match.group()), pos, match.end())
    if char == '"':
        return _string(text, pos)
    if known and (char.isalpha() or char in "_?$" or char >= "\U00010000"):
        pattern = _known_pattern(known)
        match = pattern.match(text, pos) if pattern else None
        if match:
            return Token("name", " ".join(match.group().split()), pos, match.end())
    match = _NAME.match(text, pos)
    if match:
        return Token("name", match.group(), pos, match.end())
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return Token("op", op, pos, pos + len(op))
    return Token("error", f"unexpected character {char!r}{_HINTS.get(char, '')}", pos, pos + 1)


def _string(text: str, start: int) -> Token:
    units: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            joined = "".join(units)
            try:
                # \uD83D\uDCA9-style pairs arrive as two halves; join them into one character.
                joined = joined.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeError:
                return Token("error", "a string holds half of a surrogate pair", start, pos + 1)
            return Token("string", joined, start, pos + 1)
        if char == "\\" and pos + 1 < len(text):
            escape = text[pos + 1]
            if escape in _ESCAPES:
                units.append(_ESCAPES[escape])
                pos += 2
                continue
            width = 4 if escape == "u" else 6 if escape == "U" else 0
            digits = text[pos + 2: pos + 2 + width]
            if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                units.append(chr(int(digits, 16)))
                pos += 2 + width
                continue
            # Regular expressions (`matches(x, "\d+")`) keep any other backslash as written.
            units.append("\\")
            pos += 1
            continue
        units.append(char)
        pos += 1
    return Token("error", 'a string that never ends: close it with "', start, len(text))
