"""FuzzyLite Function formulas: parsed by our own grammar, never handed to Python."""

from __future__ import annotations

import math

import numpy as np
import pytest

from composite.fuzzy.formula import FormulaError, parse_formula


@pytest.mark.parametrize(("text", "expected"), [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("2 ^ 3 ^ 2", 512.0),  # right-associative, as fuzzylite's ^
    ("-2 ^ 2", -4.0),
    ("2 ** 3", 8.0),
    ("7 % 4", 3.0),
    ("10 / 4 - 1", 1.5),
    ("min(3, 4) + max(3, 4)", 7.0),
    ("pow(2, 10)", 1024.0),
    ("fabs(-3) + abs(-1)", 4.0),
    ("sqrt(16) + exp(0) + log(1) + log10(100)", 7.0),
    ("floor(2.7) + ceil(2.2) + round(2.4)", 7.0),
    ("gt(2, 1) + ge(1, 1) + lt(2, 1) + le(2, 1) + eq(1, 1) + neq(1, 2)", 4.0),
    ("1 and 0 or 1", 1.0),
    ("!0 + !5", 1.0),
    ("cos(pi) + e - e", -1.0),
])
def test_formulas_compute_as_fuzzylite_does(text: str, expected: float) -> None:
    assert parse_formula(text).evaluate({}).item() == pytest.approx(expected)


def test_names_are_variables_read_from_the_environment_and_missing_ones_are_nan() -> None:
    formula = parse_formula("sin(inputX) / inputX")
    assert formula.names == {"inputX"}
    assert formula.evaluate({"inputX": np.array([math.pi / 2])}).tolist() == [pytest.approx(2 / math.pi)]
    assert math.isnan(formula.evaluate({}).item())


@pytest.mark.parametrize(("text", "message", "column"), [
    ("1 +", "expected a number, a name or '('", 4),
    ("(1 + 2", "expected ')'", 7),
    ("foo(1)", "unknown function 'foo'", 1),
    ("min(1)", "'min' takes 2 argument(s), got 1", 1),
    ("x $ 2", "unexpected character '$'", 3),
    ("__import__('os')", "unexpected character '''", 12),  # strings are no part of a formula
    ("1 2", "unexpected '2'", 3),
    ("", "the formula is empty", 1),
])
def test_bad_formulas_say_what_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as error:
        parse_formula(text)
    assert message in error.value.message
    assert error.value.column == column
