"""S-FEEL input and output entries: what each one accepts, with FEEL's three-valued logic."""

from __future__ import annotations

import re
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composite.errors import ExpressionSyntaxError
from composite.tables.sfeel import (
    Categorical,
    ColumnView,
    from_feel,
    parse_output_entry,
    parse_unary_tests,
    to_feel,
)


def answers(entry: str, *values: object) -> list[bool | None]:
    tests = parse_unary_tests(entry)
    return [tests.test(to_feel(value)) for value in values]


# -- input entries ----------------------------------------------------------------------------


def test_dash_and_empty_entries_match_anything_including_null() -> None:
    assert answers("-", 1, "x", True, None) == [True, True, True, True]
    assert answers("", 1, None) == [True, True]
    assert answers("   -  ", "x") == [True]


@pytest.mark.parametrize(("entry", "expected"), [
    ("< 18", [True, False, False]),
    ("<= 18", [True, True, False]),
    ("> 18", [False, False, True]),
    (">= 18", [False, True, True]),
    (">=18", [False, True, True]),
    ("= 18", [False, True, False]),
    ("18", [False, True, False]),
    ("!= 18", [True, False, True]),
])
def test_comparisons_against_a_number(entry: str, expected: list[bool]) -> None:
    assert answers(entry, 17, 18, 19) == expected


@pytest.mark.parametrize(("entry", "expected"), [
    ("[1..10]", [False, True, True, True, False]),
    ("(1..10]", [False, False, True, True, False]),
    ("]1..10]", [False, False, True, True, False]),
    ("[1..10)", [False, True, True, False, False]),
    ("[1..10[", [False, True, True, False, False]),
    ("]1..10[", [False, False, True, False, False]),
    ("(1..10)", [False, False, True, False, False]),
])
def test_ranges_include_or_exclude_each_end(entry: str, expected: list[bool]) -> None:
    assert answers(entry, 0, 1, 5, 10, 11) == expected


def test_decimal_comparisons_are_exact() -> None:
    assert answers(">= 2.5", 2.5, 2.4999999, D("2.50")) == [True, False, True]
    assert answers("0.3", 0.3, 0.1 + 0.2) == [True, False]  # 0.1 + 0.2 is 0.30000000000000004
    assert answers("< -2.5", -3, -2.5, 0) == [True, False, False]
    assert answers("[-5..-1]", -5, -1, 0) == [True, True, False]


def test_a_list_matches_when_any_of_its_tests_matches() -> None:
    assert answers('"Medium","Low"', "Low", "Medium", "High") == [True, True, False]
    assert answers("< 0, [10..20], 99", -1, 15, 99, 50) == [True, True, True, False]


def test_not_matches_what_its_tests_reject() -> None:
    assert answers('not("A", "B")', "A", "B", "C") == [False, False, True]
    assert answers("not(< 18)", 17, 18) == [False, True]
    assert answers("not([1..5])", 0, 3) == [True, False]


def test_null_input_fails_comparisons_but_passes_not_of_a_value() -> None:
    # FEEL: null < 18 is null (no match); null = "A" is false, so not("A") is true.
    assert answers("< 18", None) == [None]
    assert answers('"A"', None) == [False]
    assert answers('not("A")', None) == [True]
    assert answers("not(< 18)", None) == [None]
    assert answers("null", None, 0, "") == [True, False, False]
    assert answers("not(null)", None, 0) == [False, True]
    assert answers("!= null", None, "x") == [False, True]


def test_values_of_another_type_compare_to_null_and_never_match() -> None:
    assert answers('"18"', 18) == [None]
    assert answers("< 18", "17") == [None]
    assert answers('not("A")', 5) == [None]
    assert answers("true", 1) == [None]
    assert answers("1", True) == [None]
    assert parse_unary_tests("true").matches(True)
    assert not parse_unary_tests("1").matches(True)


def test_strings_compare_by_order_and_support_escapes() -> None:
    assert answers('< "m"', "apple", "zebra") == [True, False]
    assert answers(r'"say \"hi\""', 'say "hi"') == [True]
    assert answers(r'"\u00e9t\u00e9"', "été") == [True]


def test_booleans_are_values_not_an_order() -> None:
    assert answers("false", False, True) == [True, False]
    with pytest.raises(ExpressionSyntaxError, match="needs a number or a string"):
        parse_unary_tests("< true")


@pytest.mark.parametrize(("entry", "message", "column"), [
    ("overdrawn", 'a string is written in quotes: "overdrawn"', 1),
    ('"open', "a string is not closed", 1),
    ("[1..", "expected a value", 5),
    ("not(1", "to close not(", 6),
    ("1 2", "expected ','", 3),
    ("< 18,", "expected a value", 6),
    ('[1.."z"]', "both ends of a range must be of one type", 1),
    ("'x'", 'double quotes: "x"', 1),
    ("@", "unexpected character", 1),
])
def test_syntax_errors_say_what_and_where(entry: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError, match=re.escape(message)) as caught:
        parse_unary_tests(entry)
    assert caught.value.column == column


def test_single_quoted_strings_are_accepted_only_when_asked_for() -> None:
    assert parse_unary_tests("'gold', 'silver'", single_quotes=True).matches("silver")
    with pytest.raises(ExpressionSyntaxError):
        parse_unary_tests("'gold'")


def test_describe_reads_as_a_condition() -> None:
    assert parse_unary_tests(">= 18").describe("age") == "age >= 18"
    assert parse_unary_tests('"gold"').describe("tier") == 'tier = "gold"'
    assert parse_unary_tests('not("gold")').describe("tier") == 'tier != "gold"'
    assert parse_unary_tests('"a", "b"').describe("tier") == 'tier in ("a", "b")'
    assert parse_unary_tests("[1..5)").describe("n") == "n in [1..5)"
    assert parse_unary_tests("null").describe("n") == "n is null"


# -- output entries ---------------------------------------------------------------------------


def test_output_literals_keep_their_type() -> None:
    assert parse_output_entry('"Approved"').literal == "Approved"
    assert parse_output_entry("98.83").literal == D("98.83")
    assert parse_output_entry("-4").literal == D(-4)
    assert parse_output_entry("true").literal is True
    assert parse_output_entry("null").literal is None
    assert parse_output_entry("12").is_literal


def test_output_arithmetic_uses_decimals_and_input_names() -> None:
    entry = parse_output_entry("(base + bonus) * 1.1")
    assert entry.names == {"base", "bonus"}
    assert not entry.is_literal
    assert entry.evaluate({"base": 100, "bonus": 0.1}) == D("110.11")
    assert parse_output_entry("a - b / 4").evaluate({"a": 1, "b": 2}) == D("0.5")
    assert parse_output_entry("2 ** 10").evaluate({}) == D(1024)
    assert parse_output_entry('"A" + code').evaluate({"code": "7"}) == "A7"


def test_output_arithmetic_is_null_on_null_division_by_zero_and_mixed_types() -> None:
    assert parse_output_entry("a + 1").evaluate({"a": None}) is None
    assert parse_output_entry("a + 1").evaluate({}) is None
    assert parse_output_entry("1 / a").evaluate({"a": 0}) is None
    assert parse_output_entry('a + "x"').evaluate({"a": 1}) is None


def test_an_empty_output_entry_is_an_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="write null"):
        parse_output_entry("  ")
    with pytest.raises(ExpressionSyntaxError, match="expected an operator"):
        parse_output_entry("1 2")


# -- values -----------------------------------------------------------------------------------


def test_to_feel_turns_numbers_into_decimals_and_nan_into_null() -> None:
    assert to_feel(0.1) == D("0.1")
    assert to_feel(np.int64(7)) == D(7)
    assert to_feel(np.float32(0.5)) == D("0.5")
    assert to_feel(np.nan) is None
    assert to_feel(np.bool_(True)) is True
    assert to_feel(np.str_("x")) == "x"
    assert to_feel({"a": [1, None]}) == {"a": [D(1), None]}


def test_from_feel_gives_ints_for_integral_decimals_and_floats_otherwise() -> None:
    assert from_feel(D("1100")) == 1100 and type(from_feel(D("1100"))) is int
    assert from_feel(D("1.0")) == 1 and type(from_feel(D("1.0"))) is int
    assert from_feel(D("64.32")) == 64.32
    assert from_feel({"x": [D("2.5"), "a", None, True]}) == {"x": [2.5, "a", None, True]}


# -- columns ----------------------------------------------------------------------------------

ENTRIES = ["-", "< 18", ">= 18", "18", "!= 18", "[1..10]", "(1..10)", "not(< 0)", "null", "not(null)",
           '"A"', 'not("A")', '"A", "B"', "< 0.1", "0.1", "true", "false", '< "m"', "< 1",
           "[-2.5..2.5)", "not([1..10], 20)", "123456789012345678901234567890", "!= \"A\"", "= null",
           "0.1000000000000000000001"]

numbers = st.one_of(st.integers(-30, 30), st.floats(-30, 30), st.sampled_from([0.1, 0.3, 2.5, -2.5, float("nan")]))
mixed = st.one_of(st.none(), st.booleans(), st.sampled_from(["A", "B", "C", "m", "zz"]), numbers)


@settings(max_examples=60, deadline=None)
@given(st.lists(numbers, min_size=1, max_size=30))
def test_float_columns_match_exactly_like_single_values(values: list[float]) -> None:
    column = np.array(values, dtype=np.float64)
    view = ColumnView.of(column, len(values))
    for entry in ENTRIES:
        tests = parse_unary_tests(entry)
        assert view.numbers is not None
        assert tests.mask(view).tolist() == [tests.matches(to_feel(v)) for v in column], entry


@settings(max_examples=60, deadline=None)
@given(st.lists(mixed, min_size=1, max_size=30))
def test_object_columns_match_exactly_like_single_values(values: list[object]) -> None:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    view = ColumnView.of(column, len(values))
    for entry in ENTRIES:
        tests = parse_unary_tests(entry)
        assert tests.mask(view).tolist() == [tests.matches(to_feel(v)) for v in values], entry


def test_integer_bool_and_categorical_columns_match_like_single_values() -> None:
    ints = np.array([0, 5, 18, 2**60], dtype=np.int64)  # 2**60 is not exact as a float
    bools = np.array([True, False, True])
    categorical = Categorical(["A", None, D("18")], np.array([0, 1, 2, 0, 2]))
    for entry in ENTRIES:
        tests = parse_unary_tests(entry)
        assert tests.mask(ColumnView.of(ints, 4)).tolist() == [tests.matches(to_feel(v)) for v in ints]
        assert tests.mask(ColumnView.of(bools, 3)).tolist() == [tests.matches(bool(v)) for v in bools]
        expected = [tests.matches(v) for v in categorical.to_array()]
        assert tests.mask(ColumnView.of(categorical, 5)).tolist() == expected
