"""Issue 9, item 7: any expression text costs bounded work and fails only with the project's error.

Flat chains (a 5,000-term scorecard sum, long `and`/`or` chains) parse and evaluate, row-wise and
column-wise, without recursing per term; nesting deeper than MAX_EXPRESSION_DEPTH is an
ExpressionSyntaxError (a ProjectError) with file, line and column, never a RecursionError; and
fuzzed text or token soup raises nothing but the project's own errors.
"""

from __future__ import annotations

import operator
import sys
from functools import reduce

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite.errors import CompositeError, ExpressionSyntaxError, ProjectError
from composite.expr import parse
from composite.expr._parser import MAX_EXPRESSION_DEPTH

N = 5_000


def columns(values: dict[str, list]) -> tuple[dict[str, np.ndarray], int]:
    size = len(next(iter(values.values())))
    return {name: np.array(column) for name, column in values.items()}, size


def test_a_5000_term_sum_parses_and_evaluates_on_rows_and_columns():
    expression = parse(" + ".join(f"x{i}" for i in range(N)))
    assert expression.evaluate({f"x{i}": i for i in range(N)}) == N * (N - 1) // 2
    cols, size = columns({f"x{i}": [i, 1, -i] for i in range(N)})
    assert expression.evaluate_columns(cols, size).tolist() == [N * (N - 1) // 2, N, -N * (N - 1) // 2]


def test_a_long_mixed_chain_keeps_left_to_right_precedence_and_values():
    terms = [f"{i % 7 + 1} * x{i}" if i % 3 else f"x{i} / 4" for i in range(N)]
    ops = ["+", "-"]
    text = terms[0] + "".join(f" {ops[i % 2]} {term}" for i, term in enumerate(terms[1:]))
    values = {f"x{i}": float(i % 11) for i in range(N)}
    expected = values["x0"] / 4
    for i, _ in enumerate(terms[1:], start=1):
        term = (i % 7 + 1) * values[f"x{i}"] if i % 3 else values[f"x{i}"] / 4
        expected = expected + term if (i - 1) % 2 == 0 else expected - term
    expression = parse(text)
    assert expression.evaluate(values) == pytest.approx(expected)
    cols, size = columns({name: [value, value] for name, value in values.items()})
    assert expression.evaluate_columns(cols, size).tolist() == pytest.approx([expected, expected])


def test_a_long_product_chain_overflows_as_an_evaluation_error_not_a_crash():
    expression = parse(" * ".join(["3"] * 100))
    with pytest.raises(CompositeError) as caught:
        expression.evaluate({})
    assert "64 bits" in caught.value.message


@pytest.mark.parametrize("op, fill, expected", [("and", True, True), ("or", False, False)])
def test_5000_term_and_or_chains_evaluate_on_rows_and_columns(op, fill, expected):
    expression = parse(f" {op} ".join(f"x{i} > 0" if fill else f"x{i} > 0" for i in range(N)))
    value = 1 if fill else 0
    assert expression.evaluate({f"x{i}": value for i in range(N)}) is expected
    flipped = {f"x{i}": value for i in range(N)} | {f"x{N - 1}": 1 - value}
    assert expression.evaluate(flipped) is (not expected)
    cols, size = columns({f"x{i}": [value, value if i != N // 2 else 1 - value] for i in range(N)})
    assert expression.evaluate_columns(cols, size).tolist() == [expected, not expected]


# `column`: 1-based, in the text, of the first token of the sub-expression one level too deep.
@pytest.mark.parametrize("text, column", [
    ("(" * 1000 + "1" + ")" * 1000, MAX_EXPRESSION_DEPTH + 2),
    ("-" * 1000 + "x", MAX_EXPRESSION_DEPTH + 2),
    ("not " * 1000 + "true", 4 * (MAX_EXPRESSION_DEPTH + 1) + 1),
    ("abs(" * 1000 + "1" + ")" * 1000, 4 * (MAX_EXPRESSION_DEPTH + 1) + 1),
    ("if x then 1 else " * 1000 + "2", 17 * MAX_EXPRESSION_DEPTH + 4),
    ("2 ** " * 1000 + "2", 5 * (MAX_EXPRESSION_DEPTH + 1) + 1),
])
def test_nesting_past_the_limit_is_a_located_error(text, column):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text, source="rules/deep.yaml", line=7, column=3)
    error = caught.value
    assert isinstance(error, ProjectError) and error.code == "expression_too_deep"
    assert (error.file, error.line, error.column) == ("rules/deep.yaml", 7, column + 2)  # text starts at column 3
    assert str(MAX_EXPRESSION_DEPTH) in error.message


def test_nesting_up_to_the_limit_parses_and_evaluates():
    depth = MAX_EXPRESSION_DEPTH
    assert parse("(" * depth + "x + 1" + ")" * depth).evaluate({"x": 1}) == 2
    assert parse("-" * depth + "x").evaluate({"x": 3}) == (-3 if depth % 2 else 3)
    chain = "if x == 0 then 0 else " + "".join(f"if x == {i} then {i} else " for i in range(1, depth)) + "99"
    expression = parse(chain)
    assert expression.evaluate({"x": depth - 1}) == depth - 1
    assert expression.evaluate_columns({"x": np.array([0, 5, 999])}, 3).tolist() == [0, 5, 99]


def test_a_deep_caller_stack_still_gets_the_located_error():
    text = "(" * MAX_EXPRESSION_DEPTH + "1" + ")" * MAX_EXPRESSION_DEPTH

    def at_depth(n: int):
        return at_depth(n - 1) if n else parse(text, source="f.yaml")

    headroom = sys.getrecursionlimit() - 150
    try:
        result = at_depth(headroom)
    except ExpressionSyntaxError as error:  # no room left on the stack: the parser says where
        assert error.code == "expression_too_deep" and error.file == "f.yaml" and error.column is not None
    else:
        assert result.evaluate({}) == 1


def test_a_huge_integer_literal_is_a_syntax_error():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("1" + "0" * 5000 + " + x", source="f.yaml")
    assert caught.value.column == 1 and "64 bits" in caught.value.message
    assert len(caught.value.message) < 300  # the 5,001 digits are not repeated in full


# -- fuzz: nothing but the project's own errors ------------------------------------------------

TOKENS = ["x", "y", "s", "flag", "1", "0", "2.5", "1e3", "-", "+", "*", "/", "%", "**", "(", ")", "[", "]",
          ",", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "in", "if", "then", "else", "true",
          "false", "null", '"a"', "'b'", "abs(", "round(", "min(", "max(", "clip(", "sqrt(", "log(", "coalesce(",
          "99999999999999999999", ".5", "1.", "nope(", "@", "#", "//", "'", '"', "\n", "\t", "é"]
ROW = {"x": 3, "y": -2.5, "s": "a", "flag": True}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> None:
    try:
        expression = parse(text, source="fuzz.yaml", line=2, column=5)
    except ExpressionSyntaxError as error:
        assert error.file == "fuzz.yaml" and error.line is not None and error.line >= 2
        return
    for run in (lambda: expression.evaluate(ROW),
                lambda: expression.evaluate_columns({k: np.array([v, v]) for k, v in ROW.items()}, 2)):
        try:
            run()
        except CompositeError:
            pass


@FUZZ
@given(st.text(max_size=60))
def test_random_text_raises_only_the_projects_errors(text):
    _check(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from([" ", ""]))
def test_random_token_sequences_raise_only_the_projects_errors(tokens, separator):
    _check(separator.join(tokens))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["(", "-", "not ", "abs(", "+", "x", "1", ")"]), min_size=200, max_size=3000))
def test_long_random_nesting_never_recurses_past_the_stack(tokens):
    _check(" ".join(tokens))


def test_chains_of_every_operator_fold_like_python():
    for op, fn in (("+", operator.add), ("-", operator.sub), ("*", operator.mul)):
        values = [(i % 5) + 1 for i in range(40)]
        expected = reduce(fn, values)
        if abs(expected) < 2**63:
            assert parse(f" {op} ".join(map(str, values))).evaluate({}) == expected
