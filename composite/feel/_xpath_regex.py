"""XPath / XML Schema regular expressions (what FEEL's matches, replace and split take) in Python's `re`.

They differ in `.`, `$`, `\\s`, `\\p{...}`, class subtraction `[a-z-[aeiou]]`, flags and `$1` in replacements.

>>> compile_xpath("[A-Z-[OI]]", "i").fullmatch("x") is not None
True
>>> replace_xpath("abracadabra", "a(.)", "a$1$1", "")
'abbraccaddabbra'
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from composite.feel.values import FeelRuntimeError

__all__ = ["compile_xpath", "replace_xpath", "split_xpath"]

_FLAGS = set("smixq")
_XML_WHITESPACE = " \t\n\r"

# XML's name characters (\i starts a name, \c continues one), for the escapes XPath inherits from XSD
_NAME_START = ("_:A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
               "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd")
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"

# the Unicode blocks an `\p{IsName}` most often names (the full list is long and rarely used)
_BLOCKS = {
    "BasicLatin": (0x0000, 0x007F), "Latin-1Supplement": (0x0080, 0x00FF), "LatinExtended-A": (0x0100, 0x017F),
    "LatinExtended-B": (0x0180, 0x024F), "IPAExtensions": (0x0250, 0x02AF), "SpacingModifierLetters": (0x02B0, 0x02FF),
    "CombiningDiacriticalMarks": (0x0300, 0x036F), "Greek": (0x0370, 0x03FF), "GreekandCoptic": (0x0370, 0x03FF),
    "Cyrillic": (0x0400, 0x04FF), "Armenian": (0x0530, 0x058F), "Hebrew": (0x0590, 0x05FF),
    "Arabic": (0x0600, 0x06FF), "Devanagari": (0x0900, 0x097F), "Thai": (0x0E00, 0x0E7F),
    "Georgian": (0x10A0, 0x10FF), "HangulJamo": (0x1100, 0x11FF), "LatinExtendedAdditional": (0x1E00, 0x1EFF),
    "GreekExtended": (0x1F00, 0x1FFF), "GeneralPunctuation": (0x2000, 0x206F),
    "SuperscriptsandSubscripts": (0x2070, 0x209F), "CurrencySymbols": (0x20A0, 0x20CF),
    "LetterlikeSymbols": (0x2100, 0x214F), "NumberForms": (0x2150, 0x218F), "Arrows": (0x2190, 0x21FF),
    "MathematicalOperators": (0x2200, 0x22FF), "BoxDrawing": (0x2500, 0x257F), "GeometricShapes": (0x25A0, 0x25FF),
    "MiscellaneousSymbols": (0x2600, 0x26FF), "Dingbats": (0x2700, 0x27BF),
    "CJKSymbolsandPunctuation": (0x3000, 0x303F), "Hiragana": (0x3040, 0x309F), "Katakana": (0x30A0, 0x30FF),
    "CJKUnifiedIdeographs": (0x4E00, 0x9FFF), "HangulSyllables": (0xAC00, 0xD7AF),
    "PrivateUse": (0xE000, 0xF8FF), "AlphabeticPresentationForms": (0xFB00, 0xFB4F),
    "HalfwidthandFullwidthForms": (0xFF00, 0xFFEF), "Specials": (0xFFF0, 0xFFFF),
}


def _fail(pattern: str, why: str) -> FeelRuntimeError:
    return FeelRuntimeError(f"invalid regular expression {pattern!r}: {why}")


@lru_cache(maxsize=1)
def _all_category_ranges() -> dict[str, list[tuple[int, int]]]:
    """Every code point's general category as ranges, in one pass over Unicode (done once, when needed)."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    start, current = 0, unicodedata.category(chr(0))
    for code in range(1, sys.maxunicode + 2):
        category = unicodedata.category(chr(code)) if code <= sys.maxunicode else ""
        if category != current:
            ranges.setdefault(current, []).append((start, code - 1))
            start, current = code, category
    return ranges


@lru_cache(maxsize=None)
def _category_ranges(category: str) -> str:
    """Class text (`a-z...`) for a Unicode general category (`Lu`) or its major class (`L`)."""
    spans = sorted(span for name, found in _all_category_ranges().items() if name.startswith(category)
                   for span in found)
    return "".join(_class_range(a, b) for a, b in spans)


def _class_char(code: int) -> str:
    return f"\\U{code:08x}"


def _class_range(a: int, b: int) -> str:
    return _class_char(a) if a == b else f"{_class_char(a)}-{_class_char(b)}"


_CATEGORIES = {"L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd",
               "Ps", "Pe", "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C", "Cc", "Cf",
               "Co", "Cn"}


def _property_class(pattern: str, name: str) -> str:
    """The class text of `\\p{name}`: a general category or an `Is` block."""
    if name in _CATEGORIES:
        return _category_ranges(name)
    if name.startswith("Is") and name[2:] in _BLOCKS:
        return _class_range(*_BLOCKS[name[2:]])
    raise _fail(pattern, f"unknown character property \\p{{{name}}}")


class _Translator:
    """One pass over an XPath pattern, writing the equivalent Python pattern."""

    def __init__(self, pattern: str, dot_all: bool, multiline: bool) -> None:
        self.source = pattern
        self.dot_all = dot_all
        self.multiline = multiline
        self.pos = 0
        self.groups = 0
        self.closed_groups: set[int] = set()
        self.open_groups: list[int] = []

    def translate(self) -> str:
        out: list[str] = []
        text = self.source
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\\":
                out.append(self.escape(in_class=False))
            elif ch == "[":
                out.append(self.char_class())
            elif ch == ".":
                self.pos += 1
                out.append("." if self.dot_all else "[^\\n\\r]")
            elif ch == "$":
                self.pos += 1
                # XPath's $ ends the input only; Python's also matches before a final newline
                out.append("$" if self.multiline else "\\Z")
            elif ch == "(":
                self.pos += 1
                if text.startswith("?:", self.pos):
                    self.pos += 2
                    out.append("(?:")
                    self.open_groups.append(0)
                elif text.startswith("?", self.pos):
                    raise _fail(text, "'(?' is not XPath syntax")
                else:
                    self.groups += 1
                    self.open_groups.append(self.groups)
                    out.append("(")
            elif ch == ")":
                self.pos += 1
                if self.open_groups:
                    self.closed_groups.add(self.open_groups.pop())
                out.append(")")
            else:
                self.pos += 1
                out.append(ch)
        return "".join(out)

    def escape(self, *, in_class: bool) -> str:
        text = self.source
        if self.pos + 1 >= len(text):
            raise _fail(text, "a '\\' ends the pattern")
        ch = text[self.pos + 1]
        self.pos += 2
        if ch in "pP":
            if self.pos >= len(text) or text[self.pos] != "{":
                raise _fail(text, f"\\{ch} needs a {{name}}")
            end = text.find("}", self.pos)
            if end < 0:
                raise _fail(text, f"\\{ch}{{ is not closed")
            name = text[self.pos + 1:end]
            self.pos = end + 1
            ranges = _property_class(text, name)
            if in_class:
                if ch == "P":
                    raise _fail(text, "\\P{...} inside a character class is not supported")
                return ranges
            return ("[" if ch == "p" else "[^") + ranges + "]"
        if ch.isdigit():
            if in_class or ch == "0":
                raise _fail(text, f"\\{ch} is not allowed {'in a character class' if in_class else 'here'}")
            number = ch
            # a back reference takes as many digits as still name a group seen so far
            while self.pos < len(text) and text[self.pos].isdigit() and int(number + text[self.pos]) <= self.groups:
                number += text[self.pos]
                self.pos += 1
            if int(number) not in self.closed_groups:
                raise _fail(text, f"\\{number} refers to no group closed before it")
            return f"(?:\\{number})"
        if ch == "s":
            return " \\t\\n\\r" if in_class else "[ \\t\\n\\r]"
        if ch == "S":
            return "\\S" if in_class else "[^ \\t\\n\\r]"
        if ch in "dD":
            return "\\" + ch
        if ch == "w":
            # XPath's word characters leave out punctuation, so no underscore (Python's \w has it)
            return "\\w" if in_class else "[^\\W_]"
        if ch == "W":
            return "\\W" if in_class else "[\\W_]"
        if ch == "i":
            return _NAME_START if in_class else f"[{_NAME_START}]"
        if ch == "I":
            return f"[^{_NAME_START}]" if not in_class else _fail_class(text, ch)
        if ch == "c":
            return _NAME_CHAR if in_class else f"[{_NAME_CHAR}]"
        if ch == "C":
            return f"[^{_NAME_CHAR}]" if not in_class else _fail_class(text, ch)
        if ch in "nrt":
            return "\\" + ch
        if ch in "\\|.?*+(){}-[]^$":
            return "\\" + ch
        raise _fail(text, f"\\{ch} is not an XPath escape")

    def char_class(self) -> str:
        """A `[...]` class, with XSD's subtraction `[base-[excluded]]` as a lookahead."""
        text = self.source
        self.pos += 1
        negated = text.startswith("^", self.pos)
        if negated:
            self.pos += 1
        parts: list[str] = []
        subtract: str | None = None
        first = True
        while True:
            if self.pos >= len(text):
                raise _fail(text, "a '[' is not closed")
            ch = text[self.pos]
            if ch == "]" and not first:
                self.pos += 1
                break
            if ch == "-" and text.startswith("[", self.pos + 1):
                self.pos += 1
                subtract = self.char_class()
                if not text.startswith("]", self.pos):
                    raise _fail(text, "a subtraction must end its class")
                self.pos += 1
                break
            if ch == "\\":
                parts.append(self.escape(in_class=True))
            elif ch == "[":
                raise _fail(text, "'[' inside a class must be escaped")
            elif ch in "&~|":
                # Python reserves doubled &&, ~~, || in classes for set operations
                parts.append("\\" + ch)
                self.pos += 1
            else:
                parts.append(ch)
                self.pos += 1
            first = False
        body = "".join(parts)
        if not body:
            raise _fail(text, "an empty character class")
        base = ("[^" if negated else "[") + body + "]"
        return base if subtract is None else f"(?:(?!{subtract}){base})"


def _fail_class(pattern: str, ch: str) -> str:
    raise _fail(pattern, f"\\{ch} inside a character class is not supported")


def _strip_whitespace(pattern: str) -> str:
    """The `x` flag: whitespace outside character classes is dropped before anything else."""
    out: list[str] = []
    depth = 0
    escaped = False
    for ch in pattern:
        if depth == 0 and ch in _XML_WHITESPACE:
            continue  # even after a backslash: `\ s` is `\s` under the x flag
        if escaped:
            escaped = False
            out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            out.append(ch)
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=512)
def compile_xpath(pattern: str, flags: str = "") -> re.Pattern[str]:
    """The Python pattern for an XPath `pattern` with XPath `flags` (s, m, i, x, q)."""
    if not set(flags) <= _FLAGS:
        raise FeelRuntimeError(f"invalid regular expression flags {flags!r}: only s, m, i, x and q are allowed")
    python_flags = re.IGNORECASE if "i" in flags else 0
    if "q" in flags:
        return re.compile(re.escape(pattern), python_flags)
    if "x" in flags:
        pattern = _strip_whitespace(pattern)
    if "s" in flags:
        python_flags |= re.DOTALL
    if "m" in flags:
        python_flags |= re.MULTILINE
    translated = _Translator(pattern, "s" in flags, "m" in flags).translate()
    try:
        return re.compile(translated, python_flags)
    except re.error as error:
        raise _fail(pattern, str(error)) from None


def _replacement(template: str, literal: bool) -> list[str | int]:
    """A replacement as pieces: text, or a group number for `$n`."""
    if literal:
        return [template]
    pieces: list[str | int] = []
    text: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\":
            if i + 1 < len(template) and template[i + 1] in "\\$":
                text.append(template[i + 1])
                i += 2
                continue
            raise FeelRuntimeError(f"invalid replacement {template!r}: a '\\' must escape '\\' or '$'")
        if ch == "$":
            j = i + 1
            while j < len(template) and template[j].isdigit():
                j += 1
            if j == i + 1:
                raise FeelRuntimeError(f"invalid replacement {template!r}: '$' must be followed by a group number")
            if text:
                pieces.append("".join(text))
                text = []
            pieces.append(int(template[i + 1:j]))
            i = j
            continue
        text.append(ch)
        i += 1
    if text:
        pieces.append("".join(text))
    return pieces


def replace_xpath(text: str, pattern: str, replacement: str, flags: str = "") -> str:
    """XPath's fn:replace: every match of `pattern` in `text` replaced, `$n` naming groups."""
    compiled = compile_xpath(pattern, flags)
    if compiled.match(""):
        raise FeelRuntimeError(f"the pattern {pattern!r} matches the empty string, which replace does not allow")
    pieces = _replacement(replacement, "q" in flags)

    def substitute(match: re.Match[str]) -> str:
        out: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            # $12 with 3 groups is group 1 followed by "2", as XPath reads it
            digits = str(piece)
            while len(digits) > 1 and int(digits) > compiled.groups:
                digits = digits[:-1]
            number = int(digits)
            out.append((match.group(number) or "") if number <= compiled.groups else "")
            out.append(str(piece)[len(digits):])
        return "".join(out)

    return compiled.sub(substitute, text)


def split_xpath(text: str, pattern: str, flags: str = "") -> list[str]:
    """XPath's fn:tokenize: the pieces between matches (empty pieces kept)."""
    compiled = compile_xpath(pattern, flags)
    if compiled.match(""):
        raise FeelRuntimeError(f"the delimiter {pattern!r} matches the empty string, which split does not allow")
    pieces: list[str] = []
    last = 0
    for match in compiled.finditer(text):
        pieces.append(text[last:match.start()])
        last = match.end()
    pieces.append(text[last:])
    return pieces
