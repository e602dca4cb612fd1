"""The column indexes change no answer: indexed decisions equal the unindexed reference.

For generated tables (numeric ranges and comparisons, equality, lists, negations, strings,
booleans, nulls, wildcards, every hit policy; small ones and a few hundred rows) and generated
inputs (boundaries, values between them, nulls, NaN, other types, contexts), `evaluate` with the
index equals `evaluate(..., indexed=False)` result for result, and errors message for message;
`evaluate_batch` with the index equals the match-matrix path, results list and row index
included. Both the precomputed (dense) and the on-demand (sparse) segment indexes are checked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import composite.tables.index as index_module
from composite.errors import EvaluationError, ProjectError
from composite.tables import (
    DecisionTable,
    Rule,
    TableInput,
    TableOutput,
    parse_hit_policy,
    parse_output_entry,
    parse_unary_tests,
)
from composite.tables.index import bits_of, rows_of
from composite.tables.sfeel import Categorical

POLICIES = ["U", "A", "P", "F", "R", "O", "C", "C+", "C<", "C>", "C#"]
NUMBERS = ["-3", "0", "1", "2", "2.5", "3", "5", "10", "12", "0.1", "-0.5", "0.10000000000000000000001"]
STRINGS = ['"A"', '"B"', '"C"', '""', '"Bz"']
NUMERIC_OUTPUTS = ["1", "2", "2.5", "-1", "0.1"]
ANY_OUTPUTS = NUMERIC_OUTPUTS + ['"p"', "null", "x + 1"]
PRIORITY_VALUES = '2, 1, -1, 2.5, "p", 0.1'

number = st.sampled_from(NUMBERS)
string = st.sampled_from(STRINGS)
comparison = st.builds(lambda op, value: f"{op} {value}", st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
                       st.one_of(number, string))
equality = st.builds(lambda op, value: f"{op} {value}", st.sampled_from(["=", "!="]),
                     st.sampled_from(["null", "true", "false"]))
number_range = st.builds(lambda low, high, left, right: f"{left}{low}..{high}{right}",
                         number, number, st.sampled_from("[(]"), st.sampled_from("])["))
string_range = st.builds(lambda low, high, left, right: f"{left}{low}..{high}{right}",
                         string, string, st.sampled_from("[(]"), st.sampled_from("])["))
positive = st.one_of(number, string, comparison, equality, number_range, string_range,
                     st.sampled_from(["null", "true", "false"]))
listed = st.lists(positive, min_size=1, max_size=3).map(", ".join)
entry = st.one_of(st.just("-"), positive, listed, listed.map(lambda text: f"not({text})"))

scalar = st.one_of(
    st.none(),
    st.sampled_from([Decimal(text) for text in NUMBERS]),  # the boundaries themselves
    st.sampled_from([text.strip('"') for text in STRINGS]),
    st.integers(-4, 13),
    st.sampled_from([2.5, 0.1, 3.0, -0.5, -0.0, float("nan"), float("inf"), 1e-30]),
    st.sampled_from([Decimal("0.10000000000000000000001"), Decimal("2.50"), Decimal("-3")]),
    st.sampled_from(["A", "B", "Bz", "C", "", "a"]),
    st.booleans(),
    st.sampled_from([{"a": 1}, [1, 2]]),
)


def make_table(policy: str, rows: Sequence[Sequence[str]], width: int, *,
               input_values: str | None = None) -> DecisionTable:
    hit_policy, aggregation = parse_hit_policy(policy)
    outputs = ["y", "z"][:width]
    ranked = policy in ("P", "O")
    return DecisionTable(
        "t",
        [TableInput("x", values=parse_unary_tests(input_values) if input_values else None), TableInput("s")],
        [TableOutput(name, values=parse_unary_tests(PRIORITY_VALUES) if ranked and name == "y" else None)
         for name in outputs],
        [Rule(tuple(parse_unary_tests(cell) for cell in row[:2]),
              tuple(parse_output_entry(cell) for cell in row[2:]), id=f"r{n}", line=10 + n)
         for n, row in enumerate(rows, start=1)],
        hit_policy=hit_policy, aggregation=aggregation, source="rules/t.table.yaml")


@st.composite
def tables(draw: Any, max_rows: int = 8) -> DecisionTable:
    policy = draw(st.sampled_from(POLICIES))
    aggregated = policy in ("C+", "C<", "C>")
    width = 1 if policy.startswith("C") and len(policy) == 2 else draw(st.integers(1, 2))
    pool = NUMERIC_OUTPUTS if aggregated else ANY_OUTPUTS
    rows = draw(st.lists(st.tuples(entry, entry, *[st.sampled_from(pool) for _ in range(width)]),
                         min_size=0, max_size=max_rows))
    try:
        return make_table(policy, rows, width)
    except ProjectError:
        return make_table(policy, [row for row in rows if '"p"' not in row], width)


@st.composite
def large_tables(draw: Any) -> DecisionTable:
    """A few hundred rows of numeric ranges and categories, with wildcards and overlaps."""
    policy = draw(st.sampled_from(POLICIES))
    count = draw(st.integers(50, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    random = np.random.default_rng(seed)
    rows = []
    for row in range(count):
        low = int(random.integers(-5, 200))
        kind = random.integers(0, 6)
        x = ["-", f"[{low}..{low + int(random.integers(0, 20))})", f">= {low}", f"< {low}", str(low),
             f"not([{low}..{low + 3}])"][kind]
        s = ["-", '"A"', '"B"', '"A", "B"', 'not("C")', "null"][random.integers(0, 6)]
        output = str(int(random.integers(0, 4))) if policy not in ("P", "O") else ["2", "1", "-1", "0.1"][
            random.integers(0, 4)]
        rows.append((x, s, output))
    return make_table(policy, rows, 1)


def outcome(call: Any) -> Any:
    try:
        return call()
    except EvaluationError as error:
        return ("error", str(error), error.code, getattr(error, "rules", None), getattr(error, "rows", None),
                [(p.code, p.message, p.line, p.field) for p in error.problems])


def single(table: DecisionTable, x: Any, s: Any, indexed: bool) -> Any:
    result = outcome(lambda: table.evaluate({"x": x, "s": s}, indexed=indexed))
    if isinstance(result, tuple):
        return result
    return (result.matched, result.selected, result.value, dict(result.outputs), result.defaulted)


def batch(table: DecisionTable, columns: dict[str, Any], size: int, indexed: bool) -> Any:
    result = outcome(lambda: table.evaluate_batch(columns, size, indexed=indexed))
    if isinstance(result, tuple):
        return result
    return ([(r.matched, r.selected, r.value, dict(r.outputs), r.defaulted) for r in result.results],
            result.index.tolist())


def column(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def check(table: DecisionTable, rows: list[tuple[Any, Any]]) -> None:
    for x, s in rows:
        assert single(table, x, s, True) == single(table, x, s, False), (x, s)
    xs, ss = column([x for x, _ in rows]), column([s for _, s in rows])
    layouts = [{"x": xs, "s": ss}, {"s": ss}]
    if all(x is None or (type(x) in (int, float)) for x in xs):
        layouts.append({"x": np.array([np.nan if x is None else float(x) for x in xs]), "s": ss})
    if all(type(x) is int for x in xs):
        layouts.append({"x": np.array(list(xs), dtype=np.int64),
                        "s": Categorical(["A", None, "B"], np.arange(len(rows)) % 3)})
    singles = [single(table, x, s, True) for x, s in rows]
    failed = [row for row, result in enumerate(singles) if result[0] == "error"]
    for columns in layouts:
        got = batch(table, columns, len(rows), True)
        assert got == batch(table, columns, len(rows), False)
        if columns is layouts[0]:  # column-wise equals row by row (as in test_hit_policies, larger tables)
            if failed:
                assert got[0] == "error" and got[4] == failed
            else:
                results, positions = got
                assert [results[position] for position in positions] == singles


@pytest.fixture(params=["dense", "sparse"])
def mode(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sparse":
        monkeypatch.setattr(index_module, "DENSE_WORDS", 0)
    return request.param


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(table=tables(), rows=st.lists(st.tuples(scalar, scalar), min_size=1, max_size=10))
def test_indexed_equals_unindexed_on_generated_tables(mode: str, table: DecisionTable,
                                                      rows: list[tuple[Any, Any]]) -> None:
    check(table, rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(table=large_tables(), xs=st.lists(st.one_of(st.none(), st.integers(-10, 230),
                                                   st.floats(-10, 230), st.just(float("nan"))), min_size=1, max_size=40),
       ss=st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C"])), min_size=40, max_size=40))
def test_indexed_equals_unindexed_on_large_tables(mode: str, table: DecisionTable, xs: list[Any],
                                                  ss: list[Any]) -> None:
    check(table, list(zip(xs, ss)))


def test_allowed_input_values_are_checked_before_the_index() -> None:
    table = make_table("F", [("[0..10]", "-", "1")], 1, input_values="[0..100]")
    for indexed in (True, False):
        with pytest.raises(EvaluationError, match="not one of its allowed values"):
            table.evaluate({"x": 200}, indexed=indexed)
    assert single(table, 5, None, True) == single(table, 5, None, False)


def test_unique_stops_at_nothing_but_names_every_matching_row() -> None:
    table = make_table("U", [(">= 0", "-", "1"), ("-", "-", "2"), ("[0..5]", '"A"', "3")], 1)
    got, expected = single(table, 3, "A", True), single(table, 3, "A", False)
    assert got == expected and got[0] == "error" and got[3] == [1, 2, 3]


def test_a_10000_row_table_decides_like_the_reference() -> None:
    rows = [(f"[{i}..{i + 1})", ['"A"', '"B"', "-"][i % 3], str(i)) for i in range(10_000)]
    table = make_table("F", rows, 1)
    for x, s in [(9_999.5, "A"), (9_999.5, "B"), (0, "A"), (5_000, None), (-1, "A"), (None, "B"), ("A", "A")]:
        assert single(table, x, s, True) == single(table, x, s, False)


def test_bitsets_round_trip() -> None:
    mask = np.zeros(1000, dtype=bool)
    mask[[0, 7, 63, 64, 999]] = True
    assert rows_of(bits_of(mask)) == [0, 7, 63, 64, 999]
    many = np.arange(300) % 3 == 0
    assert rows_of(bits_of(many)) == list(range(0, 300, 3))
    assert rows_of(0) == []
