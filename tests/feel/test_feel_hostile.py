"""Any text: FEEL parses it or raises FeelSyntaxError; what parses evaluates to a value, never raises."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from composite.feel import FeelSyntaxError, compile_expression, compile_unary_tests
from composite.feel.values import FeelFunction

PIECES = [
    "1", "2.5", "-", "+", "*", "/", "**", "(", ")", "[", "]", "{", "}", ",", ":", ".", "..", "<", "<=", ">",
    ">=", "=", "!=", '"a"', '"\\u00e9"', "@", '@"2024-01-01"', '@"P1D"', "x", "y z", "item", "?", "if",
    "then", "else", "for", "in", "return", "some", "every", "satisfies", "and", "or", "not", "between",
    "instance", "of", "number", "list<number>", "function", "external", "null", "true", "false", " ",
    "string length", "count", "sum", "date", "partial", "\n", "//", "/*", "*/", "'", "#", "\\", "1e400",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map(" ".join))
def test_any_text_parses_or_is_a_syntax_error_and_evaluates_without_raising(text: str) -> None:
    scope = {"x": Decimal(3), "y z": [Decimal(1), None, "a"], "item": {"a": Decimal(1)}}
    try:
        expression = compile_expression(text, names=scope)
    except FeelSyntaxError as error:
        assert error.line is not None and error.column is not None
        return
    notes: list[str] = []
    answer = expression.evaluate(scope, notes=notes)
    columns = expression.evaluate_columns({name: [given, given] for name, given in scope.items()}, notes=notes)
    assert all(_same(answer, row) for row in columns), (text, answer, columns)


def _same(a: object, b: object) -> bool:
    """Equal values of equal types, digits of numbers included; functions equal by kind only."""
    if isinstance(a, FeelFunction) or isinstance(b, FeelFunction):
        return isinstance(a, FeelFunction) and isinstance(b, FeelFunction)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return str(a) == str(b) if isinstance(a, Decimal) else a == b


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map(" ".join))
def test_any_unary_tests_text_parses_or_is_a_syntax_error(text: str) -> None:
    try:
        tests = compile_unary_tests(text, names=["x"])
    except FeelSyntaxError:
        return
    tests.test(Decimal(1), {"x": Decimal(2)})
    tests.test_columns([Decimal(1), None, "a"], {"x": [Decimal(2)] * 3})
