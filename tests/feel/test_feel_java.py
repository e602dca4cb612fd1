"""Java external functions: a fixed table of JDK methods, anything else null and a note."""

from __future__ import annotations

from decimal import Decimal

import pytest

from composite.feel import compile_expression

D = Decimal


def java(cls: str, signature: str, call: str) -> tuple[object, list[str]]:
    params = "a, b" if "," in call else "a"
    text = (f'{{f: function({params}) external {{java: {{class: "{cls}", method signature: "{signature}"}}}}, '
            f"r: {call}}}.r")
    notes: list[str] = []
    return compile_expression(text).evaluate({}, notes=notes), notes


@pytest.mark.parametrize(
    ("cls", "signature", "call", "expected"),
    [
        ("java.lang.Math", "max(double, double)", "f(123.45, 456.78)", D("456.78")),
        ("java.lang.Math", "max(int,int)", "f(123, 456)", D(456)),
        ("java.lang.Math", "cos(double)", "f(0)", D("1.0")),
        ("java.lang.Integer", "valueOf(java.lang.String)", 'f("123")', D(123)),
        ("java.lang.Double", "valueOf(java.lang.String)", 'f("1234.56")', D("1234.56")),
        ("java.lang.String", "valueOf(char)", 'f("a")', "a"),
        ("java.lang.String", "format(java.lang.String, [Ljava.lang.Object;)", 'f("foo %s", "bar")', "foo bar"),
        ("java.lang.String", "format(java.lang.String, [Ljava.lang.Object;)", 'f("%05.1f", 3.14159)', "003.1"),
    ],
)
def test_known_jdk_methods(cls: str, signature: str, call: str, expected: object) -> None:
    value, notes = java(cls, signature, call)
    assert value == expected, notes


@pytest.mark.parametrize(
    ("cls", "signature", "call", "says"),
    [
        ("java.lang.Runtime", "exec(java.lang.String)", 'f("ls")', "is not one composite provides"),
        ("java.lang.Math", "foo(double)", "f(1)", "is not one composite provides"),
        ("java.lang.String", "valueOf(char)", 'f("abc")', "a string of one character"),
        ("java.lang.Integer", "valueOf(java.lang.String)", 'f("12x")', "NumberFormatException"),
    ],
)
def test_anything_else_is_null_and_a_note(cls: str, signature: str, call: str, says: str) -> None:
    value, notes = java(cls, signature, call)
    assert value is None
    assert any(says in note for note in notes), notes
