"""XPath regular expressions (FEEL's matches, replace, split) translated to Python's re, where the two differ.

Each case is a difference between the flavours: dot, end anchor, whitespace, properties, subtraction, flags, groups.
"""

from __future__ import annotations

import pytest

from composite.feel._xpath_regex import compile_xpath, replace_xpath, split_xpath
from composite.feel.values import FeelRuntimeError


def found(text: str, pattern: str, flags: str = "") -> bool:
    return compile_xpath(pattern, flags).search(text) is not None


@pytest.mark.parametrize(("text", "pattern", "flags", "expected"), [
    ("a\rb", "a.b", "", False),  # XPath's dot stops at \r as well as \n
    ("a\nb", "a.b", "s", True),
    ("abc\n", "abc$", "", False),  # $ is the very end, not before a final newline
    ("abc\ndef", "abc$", "m", True),
    ("a\u00a0b", r"a\sb", "", False),  # \s is XML's four whitespace characters only
    ("a\tb", r"a\sb", "", True),
    ("a_b", r"^\w+$", "", False),
    ("Äb", r"^\p{Lu}\p{Ll}$", "", True),
    ("ab", r"^\P{Lu}+$", "", True),
    ("é", r"\p{IsBasicLatin}", "", False),
    ("é", r"\p{IsLatin-1Supplement}", "", True),
    ("b", "[a-z-[aeiou]]", "", True),
    ("e", "[a-z-[aeiou]]", "", False),
    ("&", "[&&]", "", True),  # no set operations in XPath classes
    ("ABC", "abc", "i", True),
    ("a.c", "a.c", "q", True),
    ("abc", "a.c", "q", False),
    ("a b", "a b", "x", False),  # x drops whitespace outside classes
    ("ab", "a b", "x", True),
    ("a b", "a[ ]b", "x", True),
    ("xyx", r"(x)y\1", "", True),
    ("xyz", r"(?:x)y", "", True),  # XPath 3 non-capturing groups
])
def test_xpath_semantics(text: str, pattern: str, flags: str, expected: bool) -> None:
    assert found(text, pattern, flags) is expected


@pytest.mark.parametrize(("pattern", "flags"), [
    ("a", "g"), ("(?=a)", ""), (r"\b", ""), (r"[\1]", ""), (r"(a)\2", ""), (r"\p{Nonsense}", ""), ("[a", ""),
    ("[]", ""), ("a\\", ""),
])
def test_patterns_xpath_rejects_are_errors(pattern: str, flags: str) -> None:
    with pytest.raises(FeelRuntimeError, match="regular expression"):
        compile_xpath(pattern, flags)


def test_replacement_groups_and_escapes() -> None:
    assert replace_xpath("abc", "(b)", "[$1$0]") == "a[bb]c"
    assert replace_xpath("abc", "(b)", "$12") == "ab2c"  # one group: $12 is group 1, then "2"
    assert replace_xpath("abc", "b", r"\$\\") == "a$\\c"
    assert replace_xpath("a.c", ".", "$1", "q") == "a$1c"  # q: pattern and replacement are literal
    with pytest.raises(FeelRuntimeError, match="empty string"):
        replace_xpath("abc", "x?", "-")
    with pytest.raises(FeelRuntimeError, match="replacement"):
        replace_xpath("abc", "b", "$")


def test_split_keeps_empty_pieces_and_rejects_empty_delimiters() -> None:
    assert split_xpath("a,,b,", ",") == ["a", "", "b", ""]
    assert split_xpath("a1b22c", r"\d+") == ["a", "b", "c"]
    with pytest.raises(FeelRuntimeError):
        split_xpath("abc", "x*")
