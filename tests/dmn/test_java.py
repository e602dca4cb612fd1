"""Java external functions: a fixed list of java.lang methods computed in Python, others null."""

from __future__ import annotations

from decimal import Decimal

from composite.dmn.java import java_function


def test_math_methods_take_decimals_and_give_decimals() -> None:
    assert java_function("java.lang.Math", "max(double, double)")(Decimal("123.45"), Decimal("456.78")) == \
        Decimal("456.78")
    assert java_function("java.lang.Math", "max(int,int)")(Decimal(123), Decimal(456)) == Decimal(456)
    assert abs(java_function("java.lang.Math", "cos(double)")(Decimal(123)) - Decimal("-0.88796890")) < Decimal("1e-8")


def test_an_argument_the_java_type_cannot_take_makes_the_call_null() -> None:
    assert java_function("java.lang.Math", "max(int,int)")(Decimal("1.5"), Decimal(2)) is None
    assert java_function("java.lang.String", "valueOf(char)")("abc") is None
    assert java_function("java.lang.Integer", "valueOf(java.lang.String)")("12x") is None
    assert java_function("java.lang.Byte", "valueOf(byte)")(Decimal(200)) is None


def test_wrappers_parse_text_and_string_format_fills_s_and_d() -> None:
    assert java_function("java.lang.Integer", "valueOf(java.lang.String)")("123") == Decimal(123)
    assert java_function("java.lang.Double", "valueOf(java.lang.String)")("1234.56") == Decimal("1234.56")
    assert java_function("java.lang.String", "valueOf(char)")("a") == "a"
    assert java_function("java.lang.String", "format(java.lang.String, [Ljava.lang.Object;)")(
        "%s has %d", ["foo", Decimal(3)]) == "foo has 3"


def test_a_method_not_listed_is_unknown() -> None:
    assert java_function("java.lang.Math", "foo(double)") is None
    assert java_function("java.lang.Foo", "valueOf(double)") is None
    assert java_function("java.lang.Runtime", "getRuntime()") is None
    assert java_function("java.lang.Math", "max(java.lang.String, java.lang.String)") is None
