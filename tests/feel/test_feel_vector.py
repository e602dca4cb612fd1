"""FEEL over columns gives, row for row, the values FEEL gives on each row alone (nulls included)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from composite.feel import compile_expression
from composite.feel.values import to_feel

D = Decimal

NUMBERS = st.one_of(
    st.none(),
    st.sampled_from([D(0), D(1), D(-1), D("0.1"), D("2.5"), D(-7), D("1E+30"), D("123456789.123456789")]),
    st.integers(-50, 50).map(D),
)
STRINGS = st.one_of(st.none(), st.sampled_from(["", "a", "b", "ab", "B", "é"]))
BOOLEANS = st.one_of(st.none(), st.booleans())
DATES = st.one_of(st.none(), st.dates(min_value=dt.date(2019, 12, 30), max_value=dt.date(2020, 1, 3)))
MIXED = st.one_of(NUMBERS, STRINGS, BOOLEANS, DATES)

NUMBER_LEAVES = st.sampled_from(["a", "b", "i", "j", "1", "0", "2.5", "-3", "null", "m", "4611686018427387904"])
STRING_LEAVES = st.sampled_from(["s", "t", '"a"', '""', "m"])
BOOLEAN_LEAVES = st.sampled_from(["p", "q", "true", "false", "null"])


def _numeric(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        children.map(lambda x: f"-({x})"),
        children.map(lambda x: f"abs({x})"),
        children.map(lambda x: f"floor({x})"),
        children.map(lambda x: f"decimal({x}, 1)"),
        st.sampled_from(["string length(s)", "string length(m)", "sum([a, i])", "count([a, s])"]),
        st.tuples(st.sampled_from(["min", "max"]), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(["min", "max"]), children, children).map(lambda t: f"{t[0]}([{t[1]}, {t[2]}, 1])"),
        st.tuples(BOOLEAN_LEAVES, children, children).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


NUMERIC = st.recursive(NUMBER_LEAVES, _numeric, max_leaves=6)
TEXTUAL = st.one_of(
    STRING_LEAVES,
    st.tuples(STRING_LEAVES, STRING_LEAVES).map(lambda t: f"({t[0]} + {t[1]})"),
    st.sampled_from(["upper case(s)", "substring(t, 2)", "string(a)", "string(m)", "substring(s, i)"]),
)
DATE_LEAVES = st.sampled_from(["d", '@"2020-01-01"', '@"2019-12-31"'])
ANY_VALUE = st.one_of(NUMERIC, TEXTUAL, BOOLEAN_LEAVES, DATE_LEAVES)


def _condition(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        children.map(lambda x: f"not({x})"),
        st.tuples(children, children, children).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


COMPARISON = st.one_of(
    st.tuples(ANY_VALUE, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), ANY_VALUE).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(NUMERIC, NUMERIC, NUMERIC).map(lambda t: f"({t[0]} between {t[1]} and {t[2]})"),
    st.tuples(DATE_LEAVES, DATE_LEAVES, DATE_LEAVES).map(lambda t: f"({t[0]} between {t[1]} and {t[2]})"),
    st.tuples(DATE_LEAVES, st.sampled_from(["[", "("]), DATE_LEAVES, DATE_LEAVES).map(
        lambda t: f"({t[0]} in {t[1]}{t[2]}..{t[3]}])"),
    st.tuples(NUMERIC, st.sampled_from(["[", "(", "]"]), NUMERIC, NUMERIC, st.sampled_from(["]", ")", "["])).map(
        lambda t: f"({t[0]} in {t[1]}{t[2]}..{t[3]}{t[4]})"),
    st.tuples(ANY_VALUE, st.lists(st.sampled_from(["1", "2.5", '"a"', "null", "true"]), min_size=1, max_size=3)).map(
        lambda t: f"({t[0]} in ({', '.join(t[1])}))"),
    st.tuples(ANY_VALUE, st.sampled_from(["<", "<=", ">", ">="]), NUMERIC).map(lambda t: f"({t[0]} in {t[1]} {t[2]})"),
    st.tuples(ANY_VALUE, st.lists(st.sampled_from(["1", '"a"', "null"]), min_size=1, max_size=3)).map(
        lambda t: f"({t[0]} in [{', '.join(t[1])}])"),
)
CONDITION = st.recursive(st.one_of(BOOLEAN_LEAVES, COMPARISON), _condition, max_leaves=5)
EXPRESSION = st.one_of(NUMERIC, CONDITION, TEXTUAL,
                       st.tuples(CONDITION, ANY_VALUE, ANY_VALUE).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"))


@st.composite
def tables(draw: st.DrawFn) -> dict[str, list[object]]:
    size = draw(st.integers(0, 12))
    column = lambda values: st.lists(values, min_size=size, max_size=size)  # noqa: E731
    # i and j are numpy integer columns: the column path keeps them as int64 while it can
    whole = st.one_of(st.integers(-5, 5), st.integers(-(2**40), 2**40), st.sampled_from([2**31, 2**62, -(2**63)]))
    integers = lambda: np.array(draw(column(whole)), dtype=np.int64)  # noqa: E731
    return {"a": draw(column(NUMBERS)), "b": draw(column(NUMBERS)), "i": integers(), "j": integers(),
            "s": draw(column(STRINGS)),
            "t": draw(column(STRINGS)), "p": draw(column(BOOLEANS)), "q": draw(column(BOOLEANS)),
            "d": draw(column(DATES)),
            "m": draw(column(MIXED))}


def _row_by_row(text: str, columns: dict[str, list[object]]) -> list[object]:
    expression = compile_expression(text)
    names = list(columns)
    rows = zip(*(list(map(to_feel, column)) for column in columns.values()))
    return [expression.evaluate(dict(zip(names, values))) for values in rows]


def _same(x: object, y: object) -> bool:
    # Decimal("2.50") and Decimal("2.5") are one FEEL number, but the two paths must agree on digits too
    return type(x) is type(y) and (x == y if not isinstance(x, Decimal) else str(x) == str(y))


@settings(max_examples=200, deadline=None)
@given(EXPRESSION, tables())
def test_columns_and_rows_agree(text: str, columns: dict[str, list[object]]) -> None:
    expected = _row_by_row(text, columns)
    got = compile_expression(text).evaluate_columns(columns)
    assert len(got) == len(expected)
    assert all(_same(x, y) for x, y in zip(got, expected)), (text, got, expected)


def test_columns_from_numpy_and_pandas_read_as_decimals() -> None:
    expression = compile_expression("if income > 0 then debt / income else null")
    frame = pd.DataFrame({"income": [1000.0, 0.0, np.nan], "debt": [250, 10, 5]})
    assert expression.evaluate_columns({k: frame[k] for k in frame}) == [D("0.25"), None, None]
    assert expression.evaluate_columns({"income": np.array([4, 8]), "debt": np.array([1, 2])}) == [D("0.25")] * 2


def test_column_notes_name_the_row() -> None:
    notes: list[str] = []
    values = compile_expression("a / b").evaluate_columns({"a": [D(1), D(2)], "b": [D(1), D(0)]}, notes=notes)
    assert values == [D(1), None]
    assert notes == ["row 1: a / b: division by zero -> null"]


def test_parts_not_vectorised_run_per_row_inside_a_column_expression() -> None:
    text = "if sum([a, b]) > 3 then {x: a}.x + 1 else for i in 1..2 return i"
    columns = {"a": [D(1), D(3)], "b": [D(1), D(2)]}
    assert compile_expression(text).evaluate_columns(columns) == _row_by_row(text, columns)


def test_mixed_column_kinds_agree() -> None:
    columns = {"m": [D(1), "a", True, None, D(2)]}
    for text in ("m + 1", "m = 1", "m < 2", "m and true", 'if m = "a" then m else -m', "m in [1..2]"):
        assert compile_expression(text).evaluate_columns(columns) == _row_by_row(text, columns), text


ENDPOINT = st.sampled_from(["1", "2.5", "-3", "a", "i", '"a"', "s", "null", "d", '@"2020-01-01"'])
POSITIVE_TEST = st.one_of(
    st.tuples(st.sampled_from(["<", "<=", ">", ">=", "=", "!="]), ENDPOINT).map(lambda t: f"{t[0]} {t[1]}"),
    st.tuples(st.sampled_from(["[", "(", "]"]), ENDPOINT, ENDPOINT, st.sampled_from(["]", ")", "["])).map(
        lambda t: f"{t[0]}{t[1]}..{t[2]}{t[3]}"),
    ENDPOINT,
    st.lists(ENDPOINT, min_size=1, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
    st.sampled_from(["? > a", "? = s", "? + 1 > 2"]),
)
UNARY_TESTS = st.one_of(
    st.just("-"),
    st.lists(POSITIVE_TEST, min_size=1, max_size=3).map(", ".join),
    st.lists(POSITIVE_TEST, min_size=1, max_size=3).map(lambda tests: f"not({', '.join(tests)})"),
)


@settings(max_examples=150, deadline=None)
@given(UNARY_TESTS, tables(), st.sampled_from(["m", "a", "i", "s", "p", "d"]))
def test_unary_tests_on_columns_and_rows_agree(text: str, columns: dict[str, list[object]], input_name: str) -> None:
    from composite.feel import compile_unary_tests

    tests = compile_unary_tests(text)
    inputs = columns[input_name]  # m mixes numbers, strings, booleans and nulls
    names = list(columns)
    rows = [dict(zip(names, map(to_feel, values))) for values in zip(*columns.values())]
    expected = [tests.test(to_feel(value), row) for value, row in zip(inputs, rows)]
    assert tests.test_columns(inputs, columns) == expected, text


def test_pandas_and_numpy_dates_nullable_integers_and_missing_values_read_as_feel_values() -> None:
    import datetime as dt

    year = compile_expression("d.year + 1")
    assert year.evaluate_columns({"d": np.array(["2020-01-01", "2021-06-01"], dtype="datetime64[ns]")}) == [
        D(2021), D(2022)]
    assert year.evaluate_columns({"d": pd.Series(pd.to_datetime(["2020-01-01", None]))}) == [D(2021), None]
    assert compile_expression("d").evaluate_columns({"d": np.array(["2020-01-01"], dtype="datetime64[D]")}) == [
        dt.date(2020, 1, 1)]
    one_day = np.array([86_400 * 10**9], dtype="timedelta64[ns]")
    assert compile_expression("t.days").evaluate_columns({"t": one_day}) == [D(1)]
    assert compile_expression("x + 1").evaluate_columns({"x": pd.Series([1, None], dtype="Int64")}) == [D(2), None]
    assert compile_expression("x * 2").evaluate_columns({"x": pd.Series([1.5, np.nan])}) == [D("3.0"), None]
