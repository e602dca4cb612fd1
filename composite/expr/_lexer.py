"""Turns expression text into tokens that know their offsets, and offsets into file positions.

The lexer knows no grammar: it only rejects text that cannot start or form a token.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, NamedTuple

from composite.expr._ast import KEYWORDS

INT64_MAX = 2**63 - 1

SYNTAX = "expression_syntax"

# Longest first, so that `**` wins over `*` and `<=` over `<`.
_OPERATORS = ("**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "(", ")", "[", "]", ",")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_TAIL = re.compile(r"[A-Za-z0-9_.]*")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_WHITESPACE = " \t\r\n\f"
_DIGITS = "0123456789"

# Operators written the way other languages (or hands) write them, checked before the real
# operators: `<>` would otherwise read as `<` then `>`.
_MISWRITTEN = {
    "=<": ("unexpected '=<'; write '<=' (less than or equal)", "<="),
    "=>": ("unexpected '=>'; write '>=' (greater than or equal)", ">="),
    "<>": ("unexpected '<>'; write '!=' (not equal)", "!="),
}

# Keywords are lower case; `AND`, `Or`, `True`, `NULL` (and Python's `None`) are what people
# bring from SQL, Excel and Python.
_KEYWORD_CASE = {"and": "and", "or": "or", "not": "not", "in": "in", "true": "true", "false": "false",
                 "null": "null", "none": "null"}

# Characters that users bring from other languages, with what to write instead.
_HINTS = {
    "//": "integer division '//' is not supported; write floor(a / b)",
    "&&": "unexpected '&&'; write 'and'",
    "||": "unexpected '||'; write 'or'",
    "&": "unexpected '&'; write 'and'",
    "|": "unexpected '|'; write 'or'",
    "!": "unexpected '!'; write 'not', or '!=' to compare",
    "=": "unexpected '='; write '==' to compare",
    "^": "unexpected '^'; write '**' for a power",
}
_HINT_FIXES = {"&&": "and", "||": "or", "&": "and", "|": "or", "=": "==", "^": "**"}


class SyntaxProblem(Exception):
    """A syntax error at an offset of the expression text; `parse` locates it in the file."""

    def __init__(self, message: str, offset: int, code: str = SYNTAX, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.code = code
        self.fix = fix  # what to write instead, when known


class Token(NamedTuple):
    kind: str  # "number", "string", "name", "keyword", "op" or "end"
    value: Any  # the number, the decoded string, the name, the keyword or the operator
    start: int
    end: int

    def describe(self, text: str) -> str:
        """The token as a message shows it: `'then'`, `name 'x'`, `end of expression`."""
        if self.kind == "end":
            return "end of expression"
        if self.kind in ("op", "keyword"):
            return f"'{self.value}'"
        written = text[self.start : self.end]
        if len(written) > 30:
            written = written[:27] + "..."
        return f"{self.kind} {written}" if self.kind != "name" else f"name '{written}'"


class Positions:
    """Maps offsets in the expression text to 1-based (line, column) in the file it came from.

    `written`: the text as the file has it, when YAML changed its whitespace (a `>` block folds
    lines, a `|` block strips their indentation); the same characters otherwise. Offsets are then
    carried over, character for character, to where the file has them.
    """

    def __init__(self, text: str, line: int = 1, column: int = 1, written: str | None = None) -> None:
        placed = text if written is None else written
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(placed) if ch == "\n"]
        self.line = line
        self.column = column
        self._to_written = _alignment(text, written) if written is not None and written != text else None

    def __call__(self, offset: int) -> tuple[int, int]:
        if self._to_written is not None:
            offset = self._to_written[min(max(offset, 0), len(self._to_written) - 1)]
        index = bisect.bisect_right(self._line_starts, offset) - 1
        column = offset - self._line_starts[index] + 1
        if index == 0:  # only the first line starts mid-line in the file
            column += self.column - 1
        return self.line + index, column


def _alignment(text: str, written: str) -> list[int]:
    """For each offset of `text` (and its end), the offset in `written` of the same character:
    the two differ only in whitespace, so every other character is met in the same order. A
    whitespace offset (or the end) goes right after the character before it."""
    out: list[int] = []
    j = 0  # the next offset of `written` to look at
    after = 0  # right after the last character matched
    for ch in text:
        if ch in _WHITESPACE:
            out.append(after)
            continue
        while j < len(written) and written[j] != ch:
            j += 1
        if j == len(written):  # not the same characters after all: stay where we were
            out.append(after)
            continue
        out.append(j)
        j += 1
        after = j
    out.append(after)
    return out


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with an `end` token placed right after the last real one."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            break
        ch = text[i]
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            token = _number(text, i)
        elif ch == "_" or (ch.isascii() and ch.isalpha()):
            match = _NAME.match(text, i)
            assert match is not None
            word = match.group()
            meant = _KEYWORD_CASE.get(word.lower())
            if meant is not None and word != word.lower():  # `none`, all lower case, may be a name
                raise SyntaxProblem(f"unexpected '{word}'; write '{meant}' (keywords are lower case)", i, fix=meant)
            kind = "keyword" if word in KEYWORDS else "name"
            token = Token(kind, word, i, match.end())
        elif ch in "\"'":
            token = _string(text, i)
        else:
            token = _operator(text, i)
        tokens.append(token)
        i = token.end
    # A missing piece is reported where the text stops, not after trailing blank lines.
    end = tokens[-1].end if tokens else 0
    tokens.append(Token("end", None, end, end))
    return tokens


def _number(text: str, start: int) -> Token:
    match = _NUMBER.match(text, start)
    assert match is not None
    end = match.end()
    tail = _WORD_TAIL.match(text, end)
    if tail is not None and tail.end() > end:  # `12abc`, `1.2.3`, `1e`
        bad = text[start : tail.end()]
        raise SyntaxProblem(f"invalid number '{bad}'", start)
    written = match.group()
    if any(c in written for c in ".eE"):
        return Token("number", float(written), start, end)
    # Compared by length first: int() of thousands of digits is refused by Python itself.
    value = int(written) if len(written.lstrip("0")) <= 19 else INT64_MAX + 1
    if value > INT64_MAX:
        digits = written.lstrip("0")
        shown = written if len(written) <= 40 else f"{written[:20]}... ({len(written)} digits)"
        example = f"{float(int(digits)):g}" if len(digits) <= 300 else f"{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
        raise SyntaxProblem(
            f"integer {shown} does not fit in 64 bits; write it as a decimal, e.g. {example}", start,
        )
    return Token("number", value, start, end)


def _string(text: str, start: int) -> Token:
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return Token("string", "".join(parts), start, i + 1)
        if ch == "\n":
            break
        if ch == "\\":
            escaped = text[i + 1 : i + 2]
            if escaped not in _ESCAPES:
                shown = f"\\{escaped}" if escaped and escaped != "\n" else "\\"
                raise SyntaxProblem(
                    f"unknown escape '{shown}' in string; the escapes are "
                    "\\\\ \\\" \\' \\n \\t \\r",
                    i,
                )
            parts.append(_ESCAPES[escaped])
            i += 2
            continue
        parts.append(ch)
        i += 1
    raise SyntaxProblem(f"unterminated string: no closing {quote} on this line", start)


def _operator(text: str, start: int) -> Token:
    if text.startswith("//", start):  # before `/`, which would otherwise match
        raise SyntaxProblem(_HINTS["//"], start)
    for written, (message, meant) in _MISWRITTEN.items():
        if text.startswith(written, start):
            raise SyntaxProblem(message, start, fix=meant)
    for op in _OPERATORS:
        if text.startswith(op, start):
            return Token("op", op, start, start + len(op))
    for hint, message in _HINTS.items():
        if text.startswith(hint, start):
            raise SyntaxProblem(message, start, fix=_HINT_FIXES.get(hint))
    raise SyntaxProblem(f"unexpected character '{text[start]}'", start)
