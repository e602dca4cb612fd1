"""Missing values are one thing: null, in memory, in the store and for every later node.

A fuzzy output with no default where no rule fires is null, and a later `x > 60` is an error
naming both nodes (never a silent false), in `decide` and `decide_batch` alike, with nothing
stored; explicit null handling (`== null`, `coalesce`) works; `composite validate` warns about
the path with its location; the row and column evaluators agree on nulls.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine
from composite.errors import EvaluationError
from composite.expr import parse

FUZZY = """\
fuzzy: strain
inputs:
  burden:
    range: [0, 10]
    terms:
      low: [trimf, 0, 0, 4]
      high: [trimf, 6, 10, 10]
outputs:
  strain:
    range: [0, 100]
    terms:
      low: [trimf, 0, 0, 50]
      high: [trimf, 50, 100, 100]
rules:
  - {name: light, if: burden is low, then: strain is low}
  - {name: heavy, if: burden is high, then: strain is high}
"""

CONCEPTS = """\
concepts:
  burden: {type: number, range: [0, 10], description: Instalment burden}
"""


def project(root: Path, verdict: str, *, extra_nodes: str = "", files: dict[str, str] | None = None) -> Path:
    (root / "rules").mkdir(parents=True)
    (root / "knowledge").mkdir()
    (root / "rules" / "strain.fuzzy.yaml").write_text(FUZZY)
    (root / "knowledge" / "concepts.yaml").write_text(CONCEPTS)
    for name, text in (files or {}).items():
        (root / name).write_text(textwrap.dedent(text))
    (root / "composite.yaml").write_text(textwrap.dedent("""\
        name: gaps
        version: "1"
        outputs: [strain, verdict]
        nodes:
          - name: strain_judgement
            kind: fuzzy
            file: rules/strain.fuzzy.yaml
          - name: verdict_node
            kind: expression
            writes:
              verdict: {verdict}
        """).format(verdict=verdict) + textwrap.indent(textwrap.dedent(extra_nodes), "  "))
    return root


def engine_for(root: Path) -> CompositeEngine:
    return CompositeEngine.from_path(root, store="memory")


# -- the error --------------------------------------------------------------------------------


def test_a_fuzzy_gap_feeding_a_comparison_fails_naming_both_nodes(tmp_path: Path) -> None:
    engine = engine_for(project(tmp_path, 'if strain > 60 then "high" else "ok"'))
    assert engine.decide({"burden": 1}).outputs["verdict"] == "ok"
    assert engine.decide({"burden": 9}).outputs["verdict"] == "high"
    stored = len(engine.history(100))
    with pytest.raises(EvaluationError) as info:
        engine.decide({"burden": 5})  # between 'low' (ends at 4) and 'high' (starts at 6): no rule fires
    error = info.value
    assert error.code == "expression_null"
    assert "node 'verdict_node'" in error.message
    assert "'strain' is null" in error.message
    assert "node 'strain_judgement' (fuzzy)" in error.message
    assert (error.file, error.line, error.column) == ("composite.yaml", 11, 19)
    assert error.missing == "strain"  # type: ignore[attr-defined]
    assert len(engine.history(100)) == stored  # nothing stored


def test_the_batch_fails_the_same_way_naming_the_rows_and_stores_nothing(tmp_path: Path) -> None:
    engine = engine_for(project(tmp_path, 'if strain > 60 then "high" else "ok"'))
    with pytest.raises(EvaluationError) as single:
        engine.decide({"burden": 5}, record=False)
    with pytest.raises(EvaluationError) as info:
        engine.decide_batch([{"burden": 1}, {"burden": 5}, {"burden": 9}, {"burden": 4.5}])
    error = info.value
    assert error.code == single.value.code == "expression_null"
    assert (error.file, error.line, error.column) == (single.value.file, single.value.line, single.value.column)
    assert error.rows == (1, 3)  # type: ignore[attr-defined]
    assert "(rows 1, 3)" in error.message
    assert "node 'strain_judgement' (fuzzy)" in error.message
    assert engine.history(100) == []


def test_a_fuzzy_node_reading_a_null_fails_naming_it(tmp_path: Path) -> None:
    extra = """\
      - name: second_opinion
        kind: fuzzy
        file: rules/again.fuzzy.yaml
    """
    again = """\
        fuzzy: again
        inputs:
          strain: {range: [0, 100], terms: {low: [trimf, 0, 0, 100], high: [trimf, 0, 100, 100]}}
        outputs:
          again: {range: [0, 1], terms: {low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}}
        rules:
          - {name: up, if: strain is high, then: again is high}
          - {name: down, if: strain is low, then: again is low}
        """
    root = project(tmp_path, "coalesce(strain, 0)", extra_nodes=extra, files={"rules/again.fuzzy.yaml": again})
    engine = engine_for(root)
    assert engine.decide({"burden": 1}).outputs["verdict"] > 0
    with pytest.raises(EvaluationError) as info:
        engine.decide({"burden": 5})
    error = info.value
    assert error.code == "null_input" and error.field == "strain"
    assert "fuzzy node 'second_opinion': input 'strain' is null" in error.message
    assert "node 'strain_judgement' (fuzzy)" in error.message
    with pytest.raises(EvaluationError) as batch:
        engine.decide_batch([{"burden": 1}, {"burden": 5}])
    assert batch.value.code == "null_input" and batch.value.rows == (1,)  # type: ignore[attr-defined]
    assert "(row 1)" in batch.value.message
    assert engine.history(100) == [] or all(d.id for d in engine.history(100))
    assert len(engine.history(100)) == 1  # only the decision for burden 1


# -- null is one thing, and explicit handling works -----------------------------------------------


@pytest.mark.parametrize("verdict", [
    'if strain == null then "unknown" else if strain > 60 then "high" else "ok"',
    'if strain != null and strain > 60 then "high" else if strain == null then "unknown" else "ok"',
    'if coalesce(strain, -1) < 0 then "unknown" else if strain > 60 then "high" else "ok"',
])
def test_explicit_null_handling_decides_alike_in_decide_and_batch(tmp_path: Path, verdict: str) -> None:
    engine = engine_for(project(tmp_path, verdict))
    decision = engine.decide({"burden": 5})
    assert decision.outputs == {"strain": None, "verdict": "unknown"}  # None in memory, not NaN
    assert engine.get(decision.id).outputs == decision.outputs  # and null in the store
    trace = {step.name: step for step in decision.trace.nodes}
    assert trace["strain_judgement"].wrote == {"strain": None}
    frame = engine.decide_batch([{"burden": 1}, {"burden": 5}, {"burden": 9}])
    assert frame["verdict"].tolist() == ["ok", "unknown", "high"]
    strain = frame["strain"].tolist()
    assert strain[1] is None and isinstance(strain[0], float) and isinstance(strain[2], float)
    assert strain[0] == engine.decide({"burden": 1}).outputs["strain"]
    assert engine.get(frame["decision_id"][1]).outputs == {"strain": None, "verdict": "unknown"}


def test_coalesce_gives_the_first_value_that_is_not_null_and_evaluates_lazily() -> None:
    e = parse("coalesce(x, y, 0)")
    assert e.evaluate({"x": None, "y": None}) == 0
    assert e.evaluate({"x": None, "y": 2.5}) == 2.5
    assert e.evaluate({"x": 1, "y": None}) == 1
    assert parse("coalesce(x, 1 / 0)").evaluate({"x": 3}) == 3  # later arguments only when needed
    x = np.array([1, None, None], dtype=object)
    y = np.array([None, 2.5, None], dtype=object)
    assert e.evaluate_columns({"x": x, "y": y}, 3).tolist() == [1.0, 2.5, 0.0]
    assert parse("coalesce(x, 1 / 0)").evaluate_columns({"x": np.array([3, 4])}, 2).tolist() == [3, 4]
    assert parse("coalesce(x, null)").evaluate_columns({"x": x}, 3).tolist() == [1, None, None]


@pytest.mark.parametrize("text, what", [
    ("x + 1", "'+'"), ("-x", "'-'"), ("x < 2", "'<'"), ("abs(x)", "abs()"), ("max(1, x)", "max()"),
    ("round(x, 1)", "round()"), ("x and true", "'and'"), ("not x", "'not'"), ("if x then 1 else 2", "'if'"),
])
def test_null_in_arithmetic_orderings_functions_and_conditions_is_one_error(text: str, what: str) -> None:
    e = parse(text, source="rules/f.yaml", line=4, column=9)
    with pytest.raises(EvaluationError) as row:
        e.evaluate({"x": None})
    with pytest.raises(EvaluationError) as column:
        e.evaluate_columns({"x": np.array([None], dtype=object)}, 1)
    for error in (row.value, column.value):
        assert error.code == "expression_null"
        assert "'x' is null (a missing value)" in error.message and what in error.message
        assert error.missing == "x"  # type: ignore[attr-defined]
        assert (error.file, error.line, error.column) == ("rules/f.yaml", 4, 9 + re.search(r"\bx\b", text).start())
    assert column.value.rows == (0,)  # type: ignore[attr-defined]


def test_null_compares_and_is_tested_without_error() -> None:
    for text, expected in [("x == null", True), ("x != 1", True), ("x in [1, null]", True), ("x not in [1]", True),
                           ("x == 0", False)]:
        assert parse(text).evaluate({"x": None}) is expected
        assert parse(text).evaluate_columns({"x": np.array([None], dtype=object)}, 1).tolist() == [expected]


# -- validate ---------------------------------------------------------------------------------


def validate(root: Path) -> tuple[int, str]:
    from composite.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["validate", "--project", str(root)])
    return code, out.getvalue()


def test_validate_warns_about_the_fuzzy_gap_reaching_the_comparison(tmp_path: Path) -> None:
    code, out = validate(project(tmp_path, 'if strain > 60 then "high" else "ok"'))
    assert code == 0  # a warning, not an error
    lines = [line for line in out.splitlines() if "[missing_value_path]" in line]
    assert len(lines) == 1, out
    warning = lines[0]
    assert warning.startswith("composite.yaml:11:19, field 'nodes.verdict_node': warning: ")
    assert "node 'strain_judgement' (fuzzy) (rules/strain.fuzzy.yaml:9) has no default" in warning
    assert "no rule gives it a value when burden = 4;" in warning  # 'low' ends at 4, 'high' starts at 6
    assert "node 'verdict_node' (expression) cannot take null" in warning


@pytest.mark.parametrize("verdict", [
    'if strain == null then "unknown" else if strain > 60 then "high" else "ok"',
    'if strain != null and strain > 60 then "high" else "ok"',
    'coalesce(strain, 0) > 60',
    'strain',
])
def test_validate_is_quiet_when_null_is_handled(tmp_path: Path, verdict: str) -> None:
    code, out = validate(project(tmp_path, verdict))
    assert code == 0 and "missing_value_path" not in out, out


def test_validate_follows_nulls_through_rule_defaults_tables_and_expressions(tmp_path: Path) -> None:
    extra = """\
      - {name: limits, kind: rules, file: rules/limits.rules.yaml}
      - {name: band, kind: table, file: rules/band.table.yaml}
      - name: room
        kind: expression
        writes:
          passed_on: if burden > 5 then limit else 0
          room: passed_on - 10
          points: band_points * 2
    """
    files = {
        "rules/limits.rules.yaml": """\
            ruleset: limits
            defaults: {limit: null}
            rules:
              - {name: big, when: burden > 8, then: {limit: 100}}
            """,
        "rules/band.table.yaml": """\
            table: band
            hit_policy: FIRST
            inputs: [burden]
            outputs: [band_points]
            rules:
              - ['< 3', 10]
              - ['> 7', 20]
            """,
    }
    code, out = validate(project(tmp_path, "coalesce(strain, 0)", extra_nodes=extra, files=files))
    lines = [line for line in out.splitlines() if "[missing_value_path]" in line]
    assert code == 0
    assert len(lines) == 2, out
    by_name = {("limit" if "passed_on" in line else "band"): line for line in lines}
    assert "node 'room' (expression)" in by_name["limit"] and "'room: passed_on - 10'" in by_name["limit"]
    assert "passes on the null of 'limit'" in by_name["limit"]
    assert "node 'band' (table) (rules/band.table.yaml" in by_name["band"]
    assert "'band_points' can be null" in by_name["band"]


def test_the_shipped_projects_have_no_missing_value_path() -> None:
    repo = Path(__file__).resolve().parents[1]
    for root in (repo, repo / "examples" / "tipping"):
        code, out = validate(root)
        assert code == 0 and "missing_value_path" not in out, out


# -- the row and column evaluators agree on nulls -------------------------------------------------

NAMES = ("n1", "n2", "b1")
LEAF = {
    "num": st.sampled_from(["n1", "n2", "1", "2.5", "0", "null"]),
    "bool": st.sampled_from(["b1", "true", "false", "null"]),
}


@st.composite
def null_expressions(draw: st.DrawFn, kind: str = "num", depth: int = 4) -> str:
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(LEAF[kind])

    def sub(k: str) -> str:
        return draw(null_expressions(k, depth - 1))

    if kind == "num":
        form = draw(st.integers(0, 5))
        if form == 0:
            return f"({sub('num')} {draw(st.sampled_from(['+', '-', '*', '/']))} {sub('num')})"
        if form == 1:
            return f"coalesce({sub('num')}, {sub('num')})"
        if form == 2:
            return f"{draw(st.sampled_from(['abs', 'floor', 'round']))}({sub('num')})"
        if form == 3:
            return f"max({sub('num')}, {sub('num')})"
        if form == 4:
            return f"(-{sub('num')})"
        return f"(if {sub('bool')} then {sub('num')} else {sub('num')})"
    form = draw(st.integers(0, 5))
    if form == 0:
        return f"({sub('num')} {draw(st.sampled_from(['<', '<=', '>', '>=']))} {sub('num')})"
    if form == 1:
        return f"({sub('num')} {draw(st.sampled_from(['==', '!=']))} {sub('num')})"
    if form == 2:
        return f"({sub('bool')} {draw(st.sampled_from(['and', 'or']))} {sub('bool')})"
    if form == 3:
        return f"(not {sub('bool')})"
    if form == 4:
        return f"({sub('num')} {draw(st.sampled_from(['in', 'not in']))} [1, null, 2.5])"
    return f"coalesce({sub('bool')}, {sub('bool')})"


values = {
    "n1": st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, -2.5, 0.0])),
    "n2": st.one_of(st.none(), st.integers(-5, 5)),
    "b1": st.one_of(st.none(), st.booleans()),
}
batches = st.lists(st.fixed_dictionaries(values), min_size=1, max_size=6)


def as_columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    out = {}
    for name in NAMES:
        column = np.empty(len(rows), dtype=object)
        column[:] = [r[name] for r in rows]
        out[name] = column
    return out


def same(a: Any, b: Any) -> bool:
    if a is None or isinstance(a, (bool, str)):
        return type(a) is type(b) and a == b
    if type(b) not in (int, float) or isinstance(b, bool):
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-12)


def outcome(e: Any, row: dict[str, Any]) -> tuple[bool, Any]:
    try:
        return True, e.evaluate(row)
    except EvaluationError as error:
        return False, (error.code, error.line, error.column, getattr(error, "missing", None))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(null_expressions("num"), null_expressions("bool")), rows=batches)
def test_rows_and_columns_agree_with_nulls_in_the_inputs(text: str, rows: list[dict[str, Any]]) -> None:
    e = parse(text)
    outcomes = [outcome(e, row) for row in rows]
    failed = [i for i, (good, _) in enumerate(outcomes) if not good]
    for i, row in enumerate(rows):  # one row alone: the same value, or the same error at the same place
        good, expected = outcomes[i]
        if good:
            (got,) = e.evaluate_columns(as_columns([row]), 1).tolist()
            assert same(expected, got), (text, row, expected, got)
        else:
            with pytest.raises(EvaluationError) as info:
                e.evaluate_columns(as_columns([row]), 1)
            error = info.value
            assert (error.code, error.line, error.column, getattr(error, "missing", None)) == expected, (text, row)
            assert error.rows == (0,)  # type: ignore[attr-defined]
    try:
        result = e.evaluate_columns(as_columns(rows), len(rows))
    except EvaluationError as error:  # the batch fails when a row does, and names only rows that fail
        assert failed and error.rows and set(error.rows) <= set(failed)  # type: ignore[attr-defined]
        assert error.code in {outcomes[i][1][0] for i in failed}
    else:
        assert not failed, (text, rows)
        for i, got in enumerate(result.tolist()):
            expected = outcomes[i][1]
            assert same(expected, got) or (type(expected) is int and same(float(expected), got)), (text, i)
