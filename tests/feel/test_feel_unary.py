"""DMN unary tests (decision-table input entries): each form, null, and `?` expressions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from composite.feel import FeelSyntaxError, compile_unary_tests

D = Decimal


@pytest.mark.parametrize(
    ("tests", "value", "expected"),
    [
        ("-", D(5), True),
        ("-", None, True),
        ("< 10", D(5), True),
        ("< 10", D(10), False),
        ("<= 10", D(10), True),
        ("> 10", D(11), True),
        (">= 10", D(9), False),
        ("= 3", D(3), True),
        ("!= 3", D(3), False),
        ("[1..10]", D(10), True),
        ("[1..10)", D(10), False),
        ("]1..10]", D(1), False),
        ("(1..10]", D(1), False),
        ("< 5, > 10", D(12), True),
        ("< 5, > 10", D(7), False),
        ('"High", "Low"', "Low", True),
        ('"High", "Low"', "Medium", False),
        ('not("High", "Low")', "Medium", True),
        ('not("High", "Low")', "High", False),
        ("not(< 5)", D(7), True),
        ("null", None, True),
        ("null", D(1), False),
        ("< 10", None, None),
        ('< 10', "a", None),
        ("true", True, True),
        ("true", False, False),
        ("? > 3", D(4), True),
        ("? > 3", D(2), False),
        ("[1, 2, 3]", D(2), True),
        ("[1, 2, 3]", D(4), False),
        ("? > limit", D(4), True),
        ("undefined(?) > 1", D(4), None),  # a null answer is not a match
        ("[@\"2024-01-01\"..@\"2024-12-31\"]", __import__("datetime").date(2024, 6, 1), True),
        ("limit", D(3), True),
        ("< limit", D(3), False),
    ],
)
def test_unary_tests(tests: str, value: object, expected: object) -> None:
    assert compile_unary_tests(tests, names=["limit"]).test(value, {"limit": D(3)}) is expected


def test_unary_tests_read_names_with_spaces_from_the_scope() -> None:
    tests = compile_unary_tests("> Minimum Age", names=["Minimum Age"])
    assert tests.test(D(21), {"Minimum Age": D(18)}) is True


def test_unary_test_syntax_error_points_at_the_column() -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_unary_tests("< 5, > ")
    assert (caught.value.line, caught.value.column) == (1, 8)
    with pytest.raises(FeelSyntaxError):
        compile_unary_tests("")


def test_an_input_expression_that_is_null_is_no_match() -> None:
    assert compile_unary_tests("? > 3").test(None) is None


@pytest.mark.parametrize(
    "tests",
    ["< 10, [20..30]", "-", "not(1, 2)", '"a"', "? > limit", "[1, 2]", "null", ">= limit", "(1..limit]",
     'not("a", < 0)', "limit"],
)
def test_columns_give_what_each_row_gives(tests: str) -> None:
    values = [D(1), D(25), None, D(2), "a", D(-1), True, D(3)]
    limits = [D(1), D(3), D(3), None, D(3), D(3), D(3), D(3)]
    compiled = compile_unary_tests(tests, names=["limit"])
    expected = [compiled.test(v, {"limit": limit}) for v, limit in zip(values, limits)]
    assert compiled.test_columns(values, {"limit": limits}) == expected
