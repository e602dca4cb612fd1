"""Evaluation on a row and on columns: every operator and function, nulls, and clear errors."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from composite.errors import EvaluationError, ExpressionSyntaxError
from composite.expr import parse


def column(values: list[Any]) -> np.ndarray:
    """A column the way callers build them: typed when the values share a type, else object."""
    types = {type(v) for v in values}
    if types == {bool}:
        return np.array(values, dtype=bool)
    if types == {int}:
        return np.array(values, dtype=np.int64)
    if types == {float}:
        return np.array(values, dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def evaluate(text: str, **row: Any) -> Any:
    """The row result, checked against the column evaluator on a one-row batch."""
    e = parse(text)
    value = e.evaluate(row)
    columns = e.evaluate_columns({k: column([v]) for k, v in row.items()}, 1)
    assert columns.shape == (1,)
    other = columns.tolist()[0]
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(other)
    else:
        assert other == value and type(other) is type(value), (other, value)
    return value


def fails(text: str, **row: Any) -> EvaluationError:
    """The row error, after checking that the one-row column batch fails the same way."""
    e = parse(text)
    with pytest.raises(EvaluationError) as on_columns:
        e.evaluate_columns({k: column([v]) for k, v in row.items()}, 1)
    with pytest.raises(EvaluationError) as on_row:
        e.evaluate(row)
    assert on_columns.value.code == on_row.value.code
    assert on_columns.value.rows == (0,)  # type: ignore[attr-defined]
    return on_row.value


def same(value: Any, expected: Any) -> bool:
    return type(value) is type(expected) and value == expected


# -- arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7 + 2", 9),
        ("7 + 2.5", 9.5),
        ("7 - 9", -2),
        ("3 * 4", 12),
        ("3 * 0.5", 1.5),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("7.5 % 2", 1.5),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("2.0 ** 3", 8.0),
        ("4 ** 0.5", 2.0),
        ("-2 ** 2", -4),
        ("(-2) ** 2", 4),
        ("(-8) ** 3.0", -512.0),
        ("2 ** 3 ** 2", 512),
        ("1 + 2 * 3 - 4 / 2", 5.0),
        ("-(3)", -3),
        ("+(3.5)", 3.5),
        ("'con' + \"cat\"", "concat"),
        ("2 ** 62 + (2 ** 62 - 1)", 2**63 - 1),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    assert same(evaluate(text), expected)


def test_arithmetic_on_variables_keeps_python_types() -> None:
    assert same(evaluate("credit_amount / duration_months", credit_amount=1200, duration_months=24), 50.0)
    assert same(evaluate("a * b + 1", a=3, b=4), 13)
    assert same(evaluate("a * b + 1", a=3, b=0.5), 2.5)
    assert same(evaluate("first + ' ' + last", first="Ada", last="Lovelace"), "Ada Lovelace")


# -- comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("2 > 2", False),
        ("2.5 >= 2", True),
        ("1 == 1.0", True),
        ("1 != 1.0", False),
        ("'a' < 'b'", True),
        ("'b' <= 'a'", False),
        ("'abc' == 'abc'", True),
        ("true == 1", False),
        ("false == 0", False),
        ("true != 1", True),
        ("'1' == 1", False),
        ("'1' != 1", True),
        ("null == null", True),
        ("null != null", False),
        ("null == 0", False),
        ("null == false", False),
        ("null == ''", False),
        ("true == true", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


def test_null_values_compare_equal_only_to_null() -> None:
    assert evaluate("x == null", x=None) is True
    assert evaluate("x != null", x=0) is True
    assert evaluate("x == y", x=None, y=None) is True
    assert evaluate("x == y", x=None, y="a") is False


# -- booleans ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("true and false", False),
        ("true and true", True),
        ("false or true", True),
        ("false or false", False),
        ("not true", False),
        ("not false", True),
        ("true and true and false", False),
        ("false or false or true", True),
        ("not 1 > 2 and 3 > 2", True),
    ],
)
def test_boolean_operators(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


def test_and_or_short_circuit_so_the_right_side_may_be_invalid() -> None:
    assert evaluate("d != 0 and n / d > 1", d=0, n=5) is False
    assert evaluate("d == 0 or n / d > 1", d=0, n=5) is True
    assert evaluate("false and 1", ) is False
    assert evaluate("true or 'x'") is True
    assert parse("false and missing").evaluate({}) is False


def test_and_or_not_refuse_non_booleans_instead_of_truthiness() -> None:
    error = fails("x and true", x=1)
    assert error.code == "expression_type"
    assert "'and' needs true or false, got number 1" in error.message
    assert "'or' needs true or false, got string \"\"" in fails("false or s", s="").message
    assert "'not' needs true or false, got null" in fails("not x", x=None).message


# -- in / not in -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, row, expected",
    [
        ("x in [1, 2]", {"x": 2}, True),
        ("x in [1, 2]", {"x": 2.0}, True),
        ("x in [1, 2]", {"x": 3}, False),
        ("x in [1, 2]", {"x": True}, False),
        ("x in [true]", {"x": 1}, False),
        ("x in [true]", {"x": True}, True),
        ("s in ['overdrawn', 'low']", {"s": "low"}, True),
        ("s in ['overdrawn', 'low']", {"s": "LOW"}, False),
        ("s not in ['overdrawn', 'low']", {"s": "high"}, True),
        ("s not in ['overdrawn', 'low']", {"s": "low"}, False),
        ("s in ['1']", {"s": 1}, False),
        ("x in [null]", {"x": None}, True),
        ("x in [null, 0]", {"x": False}, False),
        ("x not in []", {"x": 1}, True),
        ("x in [a, b + 1]", {"x": 3, "a": 1, "b": 2}, True),
        ("x in [a, b + 1]", {"x": 3, "a": 1, "b": 5}, False),
        ("x not in [a, 'z']", {"x": "z", "a": "y"}, False),
    ],
)
def test_in_uses_the_equality_of_the_language(text: str, row: dict[str, Any], expected: bool) -> None:
    assert evaluate(text, **row) is expected


def test_the_brief_example() -> None:
    text = 'checking_status in ["overdrawn", "low"] and duration_months > 24'
    assert evaluate(text, checking_status="low", duration_months=36) is True
    assert evaluate(text, checking_status="low", duration_months=12) is False
    assert evaluate(text, checking_status="high", duration_months=36) is False


# -- if / then / else --------------------------------------------------------------------------


def test_if_evaluates_only_the_selected_branch() -> None:
    text = "if d == 0 then 0 else n / d"
    assert same(evaluate(text, d=0, n=5), 0)
    assert same(evaluate(text, d=2, n=5), 2.5)
    assert same(evaluate("if age < 25 then 10 else 20", age=30), 20)
    chain = "if x < 0 then 'negative' else if x == 0 then 'zero' else 'positive'"
    assert [evaluate(chain, x=v) for v in (-1, 0, 2)] == ["negative", "zero", "positive"]


def test_if_condition_must_be_boolean() -> None:
    error = fails("if x then 1 else 2", x=1)
    assert "the condition of 'if' needs true or false, got number 1" in error.message


# -- functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("abs(-3)", 3),
        ("abs(-2.5)", 2.5),
        ("min(3, 1, 2)", 1),
        ("max(1, 2.5)", 2.5),
        ("min(1, 2.5)", 1.0),
        ("clip(5, 0, 3.5)", 3.5),
        ("clip(5, 0.0, 3)", 3.0),
        ("max(-1, -2, -3)", -1),
        ("clip(5, 0, 3)", 3),
        ("clip(-1, 0, 3)", 0),
        ("clip(2, 0, 3)", 2),
        ("clip(2.5, 0, 3)", 2.5),
        ("log(1)", 0.0),
        ("exp(0)", 1.0),
        ("sqrt(9)", 3.0),
        ("sqrt(2.25)", 1.5),
        ("floor(2.7)", 2.0),
        ("floor(-2.5)", -3.0),
        ("floor(3)", 3),
        ("ceil(2.1)", 3.0),
        ("ceil(-2.1)", -2.0),
        ("ceil(3)", 3),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert same(evaluate(text), expected)


def test_log_and_exp_are_natural() -> None:
    assert evaluate("log(x)", x=math.e) == pytest.approx(1.0)
    assert evaluate("exp(1)") == pytest.approx(math.e)


def test_min_and_max_propagate_nan() -> None:
    assert math.isnan(evaluate("min(1, x)", x=math.nan))
    assert math.isnan(evaluate("max(x, 1)", x=math.nan))


@pytest.mark.parametrize(
    "text, expected",
    [
        # Half away from zero, not Python's half to even (which gives 2 for round(2.5)).
        ("round(0.5)", 1.0),
        ("round(1.5)", 2.0),
        ("round(2.5)", 3.0),
        ("round(-0.5)", -1.0),
        ("round(-2.5)", -3.0),
        ("round(2.4)", 2.0),
        ("round(-2.6)", -3.0),
        # Decimals as written, not as stored in binary (2.675 is stored as 2.67499999...).
        ("round(2.675, 2)", 2.68),
        ("round(1.005, 2)", 1.01),
        ("round(0.125, 2)", 0.13),
        ("round(-0.125, 2)", -0.13),
        ("round(0.124, 2)", 0.12),
        ("round(1234.5678, 1)", 1234.6),
        ("round(1234.5678, -2)", 1200.0),
        ("round(1250.0, -2)", 1300.0),
        # Ints stay ints, and round to tens, hundreds, ... half away from zero.
        ("round(7)", 7),
        ("round(7, 2)", 7),
        ("round(1250, -2)", 1300),
        ("round(1249, -2)", 1200),
        ("round(-1250, -2)", -1300),
        ("round(-1251, -2)", -1300),
        ("round(-1249, -2)", -1200),
        ("round(15, -1)", 20),
        ("round(-15, -1)", -20),
    ],
)
def test_round_is_half_away_from_zero_in_both_evaluators(text: str, expected: Any) -> None:
    assert same(evaluate(text), expected)


def test_round_keeps_nan_and_infinity() -> None:
    assert math.isnan(evaluate("round(x, 2)", x=math.nan))
    assert evaluate("round(x)", x=math.inf) == math.inf
    assert evaluate("round(x, 3)", x=1e300) == 1e300


# -- inputs ------------------------------------------------------------------------------------


def test_numpy_scalars_in_a_row_come_out_as_python_values() -> None:
    e = parse("if b then x + y else 0")
    value = e.evaluate({"b": np.bool_(True), "x": np.int64(3), "y": np.int32(4)})
    assert same(value, 7)
    assert same(parse("y * 2").evaluate({"y": np.float32(0.5)}), 1.0)
    assert same(parse("s + 't'").evaluate({"s": np.str_("s")}), "st")
    assert same(parse("x").evaluate({"x": np.float64(1.5)}), 1.5)


def test_an_unsupported_value_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError) as info:
        parse("x + 1").evaluate({"x": Decimal("1.5")})
    assert info.value.code == "expression_bad_input"
    assert "'x': unsupported value Decimal('1.5') of type Decimal" in info.value.message


def test_a_missing_name_is_named() -> None:
    with pytest.raises(EvaluationError) as info:
        parse("amount / months").evaluate({"amount": 1})
    assert info.value.code == "expression_missing_name"
    assert info.value.message == "expression 'amount / months': no value for 'months'"
    # Python's True is caught when the text is read, not when a row lacks it.
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("x == True")
    assert (caught.value.message, caught.value.column) == ("unexpected 'True'; write 'true' (keywords are lower case)", 6)


# -- evaluation errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, row, code, message",
    [
        ("n / d", {"n": 1, "d": 0}, "expression_division_by_zero", "division by zero"),
        ("n / d", {"n": 1.0, "d": 0.0}, "expression_division_by_zero", "division by zero"),
        ("n % d", {"n": 1, "d": 0}, "expression_division_by_zero", "modulo by zero"),
        ("0 ** -1", {}, "expression_division_by_zero", "zero raised to a negative power"),
        ("log(x)", {"x": 0}, "expression_domain", "log() needs a number > 0, got 0"),
        ("log(x)", {"x": -1.5}, "expression_domain", "log() needs a number > 0, got -1.5"),
        ("sqrt(x)", {"x": -1}, "expression_domain", "sqrt() needs a number >= 0, got -1"),
        ("x ** 0.5", {"x": -8.0}, "expression_domain", "a negative number"),
        ("clip(1, 3, 0)", {}, "expression_domain", "clip() needs lo <= hi"),
        ("2 ** 63", {}, "expression_overflow", "integer overflow"),
        ("x * 4", {"x": 2**62}, "expression_overflow", "integer overflow"),
        ("x + 1", {"x": 2**63 - 1}, "expression_overflow", "integer overflow"),
        ("x - 1", {"x": -(2**63)}, "expression_overflow", "integer overflow"),
        ("-x", {"x": -(2**63)}, "expression_overflow", "integer overflow"),
        ("abs(x)", {"x": -(2**63)}, "expression_overflow", "integer overflow"),
        ("exp(x)", {"x": 1000}, "expression_overflow", "numeric overflow"),
        ("x ** 400", {"x": 10.0}, "expression_overflow", "numeric overflow"),
        ("'a' < 1", {}, "expression_type", "'<' compares two numbers or two strings, got string \"a\" and number 1"),
        ("x >= 'b'", {"x": True}, "expression_type", "'>=' compares two numbers or two strings, got true and"),
        ("'a' + 1", {}, "expression_type", "'+' needs two numbers or two strings, got string \"a\" and number 1"),
        ("x + 1", {"x": None}, "expression_null", "'+' needs two numbers or two strings, got null and number 1"),
        ("x * 2", {"x": None}, "expression_null", "'*' needs two numbers, got null and number 2"),
        ("x - 1", {"x": True}, "expression_type", "'-' needs two numbers, got true and number 1"),
        ("-s", {"s": "a"}, "expression_type", "'-' needs a number, got string \"a\""),
        ("abs(s)", {"s": "a"}, "expression_type", "abs() needs a number, got string \"a\""),
        ("round(b)", {"b": False}, "expression_type", "round() needs a number, got false"),
        ("null < 1", {}, "expression_null", "'<' compares two numbers or two strings, got null"),
    ],
)
def test_evaluation_errors_name_the_problem(text: str, row: dict[str, Any], code: str, message: str) -> None:
    error = fails(text, **row)
    assert error.code == code
    assert message in error.message
    assert error.message.startswith(f"expression '{text}': ")


def test_an_evaluation_error_points_at_the_failing_operation_in_the_file() -> None:
    e = parse("if d == 0\n  then 0\n  else n / d + 1", source="rules/x.yaml", line=7, column=11)
    with pytest.raises(EvaluationError) as info:
        e.evaluate({"d": "0", "n": 1})
    error = info.value
    assert (error.file, error.line, error.column) == ("rules/x.yaml", 9, 8)
    assert error.message == (
        "expression 'if d == 0 then 0 else n / d + 1': '/' needs two numbers, "
        "got number 1 and string \"0\", at 'n / d'"
    )


# -- columns -----------------------------------------------------------------------------------


def test_columns_come_back_with_the_dtype_of_their_values() -> None:
    cols = {"a": np.array([1, 2, 3]), "b": np.array([2.0, 0.5, 1.0]), "s": column(["x", None, "y"])}
    ints = parse("a * 2 + 1").evaluate_columns(cols, 3)
    assert ints.dtype == np.int64 and ints.tolist() == [3, 5, 7]
    floats = parse("a / b").evaluate_columns(cols, 3)
    assert floats.dtype == np.float64 and floats.tolist() == [0.5, 4.0, 3.0]
    flags = parse("a > 1 and s != null").evaluate_columns(cols, 3)
    assert flags.dtype == bool and flags.tolist() == [False, False, True]
    mixed = parse("if a == 2 then 0 else a / b").evaluate_columns(cols, 3)
    assert mixed.dtype == np.float64 and mixed.tolist() == [0.5, 0.0, 3.0]
    texts = parse("if s == null then 'none' else s + '!'").evaluate_columns(cols, 3)
    assert texts.dtype == object and texts.tolist() == ["x!", "none", "y!"]


def test_a_literal_expression_fills_the_batch() -> None:
    assert parse("1 + 2").evaluate_columns({}, 4).tolist() == [3, 3, 3, 3]
    assert parse("'a'").evaluate_columns({}, 2).tolist() == ["a", "a"]
    assert parse("null").evaluate_columns({}, 2).tolist() == [None, None]
    assert parse("true").evaluate_columns({}, 3).dtype == bool
    assert parse("1.5").evaluate_columns({}, 0).shape == (0,)


def test_column_errors_name_the_offending_rows() -> None:
    e = parse("n / d")
    with pytest.raises(EvaluationError) as info:
        e.evaluate_columns({"n": np.arange(4), "d": np.array([1, 0, 2, 0])}, 4)
    error = info.value
    assert error.rows == (1, 3)  # type: ignore[attr-defined]
    assert error.message == "expression 'n / d': division by zero (rows 1, 3)"
    assert error.code == "expression_division_by_zero"


def test_column_errors_list_at_most_five_rows() -> None:
    with pytest.raises(EvaluationError) as info:
        parse("log(x)").evaluate_columns({"x": np.array([1.0] + [0.0] * 8)}, 9)
    assert info.value.message == (
        "expression 'log(x)': log() needs a number > 0 (rows 1, 2, 3, 4, 5 and 3 more)"
    )
    assert info.value.rows == tuple(range(1, 9))  # type: ignore[attr-defined]


def test_columns_do_not_fail_in_untaken_branches_or_short_circuited_operands() -> None:
    cols = {"n": np.array([5, 6, 7, 8]), "d": np.array([0, 2, 0, 4]), "x": np.array([1, 2, 3, 4])}
    assert parse("if d == 0 then 0 else n / d").evaluate_columns(cols, 4).tolist() == [0.0, 3.0, 0.0, 2.0]
    assert parse("d != 0 and n / d > 2").evaluate_columns(cols, 4).tolist() == [False, True, False, False]
    assert parse("d == 0 or n / d > 2").evaluate_columns(cols, 4).tolist() == [True, True, True, False]
    assert parse("false and x").evaluate_columns(cols, 4).tolist() == [False] * 4
    nested = "if d == 0 then 0 else if n / d > 2 then log(d - 1) else -1"
    assert parse(nested).evaluate_columns(cols, 4).tolist() == [0, pytest.approx(0.0), 0, -1]


def test_columns_fail_for_the_rows_of_the_taken_branch() -> None:
    cols = {"n": np.array([5, 6, 7]), "d": np.array([0, 2, 0]), "c": np.array([True, True, False])}
    with pytest.raises(EvaluationError) as info:
        parse("if c then n / d else 0").evaluate_columns(cols, 3)
    assert info.value.rows == (0,)  # type: ignore[attr-defined]


def test_columns_refuse_non_boolean_rows_of_and() -> None:
    cols = {"x": column([True, 1, False]), "y": np.array([True, True, True])}
    with pytest.raises(EvaluationError) as info:
        parse("y and x").evaluate_columns(cols, 3)
    assert info.value.rows == (1,)  # type: ignore[attr-defined]
    assert "'and' needs true or false, got number 1" in info.value.message


def test_string_columns_may_be_object_or_unicode_arrays_with_nulls() -> None:
    status = ["overdrawn", None, "high", "low"]
    for col in (column(status), np.array(["overdrawn", "none", "high", "low"])):
        result = parse('s in ["overdrawn", "low"]').evaluate_columns({"s": col}, 4)
        assert result.dtype == bool and result.tolist() == [True, False, False, True]
    assert parse("s == null").evaluate_columns({"s": column(status)}, 4).tolist() == [False, True, False, False]
    assert parse("s < 'm'").evaluate_columns({"s": np.array(["a", "z"])}, 2).tolist() == [True, False]


def test_mixed_object_columns_follow_the_row_semantics() -> None:
    x = column([1, "1", True, None, 2.5])
    assert parse("x == 1").evaluate_columns({"x": x}, 5).tolist() == [True, False, False, False, False]
    assert parse("x in [1, 2.5]").evaluate_columns({"x": x}, 5).tolist() == [True, False, False, False, True]
    with pytest.raises(EvaluationError) as info:
        parse("x + 1").evaluate_columns({"x": x}, 5)
    # the rows failing as the first did: a string and a boolean; the null of row 3 is another error
    assert info.value.code == "expression_type"
    assert info.value.rows == (1, 2)  # type: ignore[attr-defined]


def test_columns_may_be_lists_or_numpy_arrays_of_any_int_or_float_width() -> None:
    cols = {"a": [1, 2], "b": np.array([1, 2], dtype=np.int8), "c": np.array([0.5, 1], dtype=np.float32)}
    result = parse("a + b + c").evaluate_columns(cols, 2)
    assert result.dtype == np.float64 and result.tolist() == [2.5, 5.0]
    assert parse("x").evaluate_columns({"x": [True, 1]}, 2).tolist() == [True, 1]


def test_the_result_never_aliases_an_input_column() -> None:
    x = np.array([1.0, 2.0])
    result = parse("x").evaluate_columns({"x": x}, 2)
    result[0] = 99.0
    assert x.tolist() == [1.0, 2.0]


def test_bad_columns_are_evaluation_errors() -> None:
    e = parse("x + 1")
    with pytest.raises(EvaluationError, match="no column for 'x'") as info:
        e.evaluate_columns({}, 2)
    assert info.value.code == "expression_missing_name"
    with pytest.raises(EvaluationError, match=r"column 'x' has shape \(3,\), expected \(2,\)"):
        e.evaluate_columns({"x": np.arange(3)}, 2)
    with pytest.raises(EvaluationError, match="has dtype timedelta64"):
        e.evaluate_columns({"x": np.array([1, 2], dtype="timedelta64[D]")}, 2)
    # numpy dates are dates: a number added to one is the language's type error
    with pytest.raises(EvaluationError, match="got date 2024-01-01 and number 1"):
        e.evaluate_columns({"x": np.array(["2024-01-01"] * 2, dtype="datetime64[D]")}, 2)
    with pytest.raises(EvaluationError, match="size must be a whole number >= 0"):
        e.evaluate_columns({"x": np.arange(2)}, -1)
