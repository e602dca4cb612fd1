"""Parsing FEEL: what the grammar accepts, how names with spaces are read, where errors point."""

from __future__ import annotations

import pytest

from composite.errors import CompositeError
from composite.feel import FeelSyntaxError, compile_expression
from composite.feel import _ast as ast
from composite.feel._parser import parse_expression


def test_precedence_comparison_below_arithmetic_and_or_below_and() -> None:
    node = parse_expression("a + 1 > b * 2 or c and d")
    assert isinstance(node, ast.Logic) and node.op == "or"
    assert isinstance(node.left, ast.Comparison)
    assert isinstance(node.left.left, ast.Arithmetic) and node.left.left.op == "+"
    assert isinstance(node.right, ast.Logic) and node.right.op == "and"


def test_unknown_words_next_to_each_other_are_one_name() -> None:
    node = parse_expression("Monthly Salary * 12")
    assert isinstance(node, ast.Arithmetic)
    assert node.left == ast.Name("Monthly Salary", start=0, end=15)


def test_names_in_scope_may_hold_operator_characters() -> None:
    assert parse_expression("Loan-to-value", names=["Loan-to-value"]).name == "Loan-to-value"
    minus = parse_expression("Loan-to-value")
    assert isinstance(minus, ast.Arithmetic) and minus.op == "-"


def test_built_in_names_with_keywords_inside_are_one_name() -> None:
    node = parse_expression('date and time("2024-01-01T00:00:00")')
    assert isinstance(node, ast.Call) and node.callee.name == "date and time"
    node = parse_expression('string length("abc")')
    assert node.callee.name == "string length"


def test_context_entries_are_names_for_the_entries_after_them() -> None:
    node = parse_expression("{Net-Pay: 10, Gross: Net-Pay * 2}")
    assert isinstance(node, ast.ContextLiteral)
    assert isinstance(node.entries[1][1], ast.Arithmetic)
    assert node.entries[1][1].left.name == "Net-Pay"


def test_iteration_variable_is_in_scope_of_its_body() -> None:
    node = parse_expression("for unit-price in prices return unit-price * 2")
    assert isinstance(node, ast.For) and node.iterations[0].name == "unit-price"
    assert node.body.left.name == "unit-price"


def test_range_closed_with_an_open_bracket_is_not_a_filter() -> None:
    node = parse_expression("]1..10[")
    assert isinstance(node, ast.Interval) and not node.start_included and not node.end_included
    assert isinstance(parse_expression("xs[1]"), ast.Filter)


def test_type_references() -> None:
    node = parse_expression("f instance of function<number, string> -> list<context<a: number>>")
    kind = node.type
    assert kind.name == "function" and [p.name for p in kind.params] == ["number", "string"]
    assert kind.result.name == "list" and kind.result.params[0].fields[0][0] == "a"


def test_named_arguments() -> None:
    node = parse_expression("f(a: 1, b c: 2)")
    assert isinstance(node, ast.Call) and [name for name, _ in node.named] == ["a", "b c"]


def test_unknown_escapes_stay_in_the_string_for_regular_expressions() -> None:
    assert compile_expression('"\\d{3}\\1"').evaluate({}) == "\\d{3}\\1"
    assert compile_expression('"a\\\\b"').evaluate({}) == "a\\b"


def test_names_may_be_emoji() -> None:
    assert compile_expression('{🐎: "bar"}.🐎').evaluate({}) == "bar"


def test_comments_are_blank() -> None:
    assert compile_expression("1 + // one\n 2 /* two */").evaluate({}) == 3


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("1 +", 1, 4, "expected a value, found the end of the text"),
        ("if x then 1", 1, 12, "expected 'else'"),
        ("[1, 2", 1, 6, "expected ']' to close the list"),
        ('"abc', 1, 1, "a string that never ends"),
        ("1 +\n  * 2", 2, 3, "expected a value, found '*'"),
        ("for x [1] return x", 1, 7, "expected 'in'"),
        ("{a 1}", 1, 4, "expected ':' after the entry name 'a'"),
        ("a # b", 1, 3, "unexpected character '#'"),
        ("1 2", 1, 3, "expected an operator or the end"),
        ("f(a: 1, 2)", 1, 9, "positional and named arguments mixed"),
        ("some x in [1] x > 1", 1, 15, "expected 'satisfies'"),
        # other languages' spellings say what FEEL writes
        ("a == 1", 1, 3, "'==' is not FEEL: equality is one '='"),
        ("a && b", 1, 3, "FEEL writes 'and'"),
        ("a || b", 1, 3, "FEEL writes 'or'"),
        ("'text'", 1, 1, "FEEL strings are in double quotes"),
        ("x in 1..5", 1, 7, "a range needs its brackets: write [1..5]"),
        ("a % 2", 1, 3, "use modulo(a, b)"),
    ],
)
def test_syntax_errors_name_line_column_and_what_was_expected(text: str, line: int, column: int,
                                                                says: str) -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_expression(text)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert says in str(error)
    assert isinstance(error, CompositeError) and error.code == "feel_syntax"


def test_free_names_leave_out_what_the_expression_defines_and_the_built_ins() -> None:
    from composite.feel import compile_unary_tests

    assert compile_expression("for i in xs return i + k + count(ys)").free_names == {"xs", "k", "ys"}
    assert compile_expression("{a: 1, b: a + z}.b").free_names == {"z"}
    assert compile_expression("(function(x) x + y)(2)").free_names == {"y"}
    assert compile_expression("Monthly Salary * 12").free_names == {"Monthly Salary"}
    assert compile_unary_tests("< Max Age, ? > 3").free_names == {"Max Age"}


def test_nesting_beyond_the_limit_is_a_located_syntax_error_not_a_crash() -> None:
    from composite.feel._parser import MAX_DEPTH

    with pytest.raises(FeelSyntaxError) as caught:
        compile_expression("(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5))
    assert "nests more than" in str(caught.value) and caught.value.line == 1
    assert compile_expression("(" * 20 + "1" + ")" * 20).evaluate({}) == 1
    with pytest.raises(FeelSyntaxError):
        compile_expression("+".join(["1"] * 20_000))
    with pytest.raises(FeelSyntaxError):
        compile_expression("-" * 20_000 + "1")


def test_a_function_that_calls_itself_without_end_is_null_and_a_note() -> None:
    notes: list[str] = []
    assert compile_expression("{f: function(n) f(n + 1), r: f(1)}.r").evaluate({}, notes=notes) is None
    assert any("recursion too deep" in note for note in notes)
