"""The evaluator: equal to scikit-fuzzy's ControlSystemSimulation, row equal to batch, thread-safe."""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skfuzzy import control as ctrl

from composite.errors import RequestError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.evidence import FuzzyEvidence
from composite.fuzzy.model import (
    Consequent,
    FuzzyRuleBase,
    InputVariable,
    Operators,
    OutputVariable,
    Proposition,
    Rule,
    Term,
)
from composite.fuzzy.reference import skfuzzy_control_system
from composite.fuzzy.yamlformat import read_fuzzy_yaml
from tests.fuzzy.strategies import input_values, mamdani_rule_bases, takagi_sugeno_rule_bases

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def skfuzzy_outputs(rule_base: FuzzyRuleBase, values: dict[str, float]) -> dict[str, float | None]:
    """What scikit-fuzzy computes; None where it produces no output (no rule fired)."""
    system = skfuzzy_control_system(rule_base)
    simulation = ctrl.ControlSystemSimulation(system)
    used = {n.label for n in system.antecedents}
    for name, value in values.items():
        if name in used:
            simulation.input[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulation.compute()
    return {name: simulation.output.get(name) for name in rule_base.output_names}


def _system(**operators: str) -> FuzzyRuleBase:
    x = InputVariable("x", 0.0, 10.0, (Term("low", "trimf", (0, 0, 4)), Term("high", "trimf", (6, 10, 10))),
                      resolution=11)
    y = OutputVariable("y", 0.0, 1.0, (Term("low", "trimf", (0, 0, 1)), Term("high", "trimf", (0, 1, 1))),
                       resolution=21, default=0.25)
    rules = (Rule("up", Proposition("x", "high"), (Consequent("y", "high"),)),
             Rule("down", Proposition("x", "low"), (Consequent("y", "low"),)))
    return FuzzyRuleBase("gap", (x,), (y,), rules, Operators(**operators))


@PROPERTY
@given(data=st.data())
def test_mamdani_output_equals_skfuzzy_control_to_1e9(data: st.DataObject) -> None:
    rule_base = data.draw(mamdani_rule_bases(skfuzzy_compatible=True))
    values = data.draw(input_values(rule_base))
    ours = FuzzyEvaluator(rule_base).evaluate(values)
    theirs = skfuzzy_outputs(rule_base, values)
    for out in rule_base.outputs:
        evidence = ours.evidence["outputs"][out.name]
        expected = theirs[out.name]
        if evidence["default_used"]:
            # scikit-fuzzy gives no centroid or bisector of an empty set (it raises; lenient, it skips
            # the output); its mom/som/lom of an all-zero set is an artefact we do not copy
            if out.defuzzify in ("centroid", "bisector"):
                assert expected is None
            assert np.array_equal(ours.outputs[out.name], out.default, equal_nan=True)
            continue
        assert expected is not None
        got = ours.outputs[out.name]
        assert (math.isnan(got) and math.isnan(expected)) or abs(got - float(expected)) <= 1e-9, (got, expected)


def test_when_no_rule_fires_we_return_the_default_and_say_so_where_skfuzzy_has_no_output() -> None:
    rule_base = _system()
    result = FuzzyEvaluator(rule_base).evaluate({"x": 5.0})  # between 'low' (ends at 4) and 'high' (from 6)
    assert result.outputs == {"y": 0.25}
    assert result.evidence["outputs"]["y"]["default_used"] is True
    assert result.evidence["outputs"]["y"]["support"] is None
    assert [r["strength"] for r in result.evidence["rules"]] == [0.0, 0.0]
    assert skfuzzy_outputs(rule_base, {"x": 5.0}) == {"y": None}


def test_tipping_tutorial_gives_skfuzzy_tutorial_answer() -> None:
    from tests.fuzzy.test_node import TIPPING

    rule_base = read_fuzzy_yaml(TIPPING.read_text(), file="tipping.fuzzy.yaml")
    result = FuzzyEvaluator(rule_base).evaluate({"food": 6.5, "service": 9.8})
    assert result.outputs["tip"] == pytest.approx(19.847607361963192, abs=1e-12)
    assert skfuzzy_outputs(rule_base, {"food": 6.5, "service": 9.8})["tip"] == result.outputs["tip"]


def _assert_row_equals_batch(rule_base: FuzzyRuleBase, rows: list[dict[str, float]], numerics: str) -> None:
    evaluator = FuzzyEvaluator(rule_base, numerics=numerics)
    columns = {name: np.array([row[name] for row in rows]) for name in rule_base.input_names}
    batch = evaluator.evaluate_batch(columns, len(rows))
    assert len(batch.evidence) == len(rows)
    for i, row in enumerate(rows):
        single = evaluator.evaluate(row)
        for name in rule_base.output_names:
            assert np.array_equal(batch.outputs[name][i], single.outputs[name], equal_nan=True), (name, i)
        assert batch.evidence[i] == single.evidence
        FuzzyEvidence.model_validate(single.evidence)


@PROPERTY
@given(data=st.data(), numerics=st.sampled_from(["skfuzzy", "fuzzylite"]))
def test_evaluate_and_evaluate_batch_agree_bit_for_bit_on_mamdani_systems(data: st.DataObject, numerics: str) -> None:
    rule_base = data.draw(mamdani_rule_bases(skfuzzy_compatible=False))
    rows = data.draw(st.lists(input_values(rule_base), min_size=1, max_size=6))
    _assert_row_equals_batch(rule_base, rows, numerics)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), numerics=st.sampled_from(["skfuzzy", "fuzzylite"]))
def test_evaluate_and_evaluate_batch_agree_bit_for_bit_on_takagi_sugeno_systems(data: st.DataObject,
                                                                                numerics: str) -> None:
    rule_base = data.draw(takagi_sugeno_rule_bases())
    rows = data.draw(st.lists(input_values(rule_base), min_size=1, max_size=6))
    _assert_row_equals_batch(rule_base, rows, numerics)


def test_takagi_sugeno_output_is_the_weighted_average_of_rule_consequents() -> None:
    rule_base = read_fuzzy_yaml("""
fuzzy: tsk
kind: takagi_sugeno
inputs:
  x: {range: [0, 10], terms: {low: [trimf, 0, 0, 10], high: [trimf, 0, 10, 10]}}
outputs:
  y: {range: [-100, 100], terms: {flat: [constant, 5], slope: [linear, 2, 1]}}
rules:
  - {name: a, if: x is low, then: y is flat}
  - {name: b, if: x is high, then: y is slope, weight: 0.5}
""", file="tsk.fuzzy.yaml")
    for numerics in ("skfuzzy", "fuzzylite"):
        result = FuzzyEvaluator(rule_base, numerics=numerics).evaluate({"x": 4.0})
        w_low, w_high = 0.6, 0.4 * 0.5
        expected = (w_low * 5 + w_high * (2 * 4 + 1)) / (w_low + w_high)
        assert result.outputs["y"] == pytest.approx(expected, abs=1e-12)
        assert result.evidence["outputs"]["y"]["term"] == "flat"


@pytest.mark.parametrize(("operators", "expected"), [
    ({}, 0.6666666666666666),
    ({"implication": "product"}, 0.6666666666666666),
    ({"aggregation": "sum"}, 0.6666666666666666),
])
def test_a_single_rule_at_full_strength_defuzzifies_the_consequent_term(operators: dict[str, str],
                                                                        expected: float) -> None:
    result = FuzzyEvaluator(_system(**operators)).evaluate({"x": 10.0})
    assert result.outputs["y"] == pytest.approx(expected, abs=1e-12)


def test_product_implication_scales_the_term_where_min_clips_it() -> None:
    clipped = FuzzyEvaluator(_system()).evaluate({"x": 8.0})  # 'high' at 0.5
    scaled = FuzzyEvaluator(_system(implication="product")).evaluate({"x": 8.0})
    assert clipped.evidence["outputs"]["y"]["peak"] == 0.5
    assert scaled.evidence["outputs"]["y"]["peak"] == 0.5
    # a scaled triangle keeps the triangle's centroid (2/3); a clipped one is a trapezoid, lower
    assert scaled.outputs["y"] == pytest.approx(2 / 3, abs=1e-12)
    assert clipped.outputs["y"] < scaled.outputs["y"]


def test_sum_aggregation_adds_overlapping_rules_and_max_does_not() -> None:
    x = InputVariable("x", 0.0, 1.0, (Term("any", "trimf", (0, 0.5, 1)),), resolution=11)
    y = OutputVariable("y", 0.0, 1.0, (Term("mid", "trimf", (0, 0.5, 1)),), resolution=11)
    rules = (Rule("a", Proposition("x", "any"), (Consequent("y", "mid"),)),
             Rule("b", Proposition("x", "any"), (Consequent("y", "mid"),)))
    peaks = {}
    for aggregation in ("max", "sum", "probor"):
        rb = FuzzyRuleBase("s", (x,), (y,), rules, Operators(aggregation=aggregation))
        peaks[aggregation] = FuzzyEvaluator(rb).evaluate({"x": 0.5}).evidence["outputs"]["y"]["peak"]
    assert peaks == {"max": 1.0, "sum": 2.0, "probor": 1.0}


def test_hedges_very_squares_and_somewhat_takes_the_square_root() -> None:
    rb = read_fuzzy_yaml("""
fuzzy: hedges
inputs: {x: {range: [0, 10], resolution: 11, terms: {high: [trimf, 0, 10, 10]}}}
outputs: {y: {range: [0, 1], terms: {on: [trimf, 0, 1, 1]}}}
rules:
  - {name: very, if: x is very high, then: y is on}
  - {name: somewhat, if: x is somewhat high, then: y is on}
  - {name: not_very, if: x is not very high, then: y is on}
""", file="h.fuzzy.yaml")
    strengths = {r["name"]: r["strength"] for r in FuzzyEvaluator(rb).evaluate({"x": 4.0}).evidence["rules"]}
    assert strengths["very"] == pytest.approx(0.16)
    assert strengths["somewhat"] == pytest.approx(math.sqrt(0.4))
    assert strengths["not_very"] == pytest.approx(0.84)


def test_out_of_range_input_is_clipped_and_flagged() -> None:
    result = FuzzyEvaluator(_system()).evaluate({"x": 12.5})
    entry = result.evidence["inputs"]["x"]
    assert entry == {"value": 10.0, "given": 12.5, "clipped": True, "memberships": {"low": 0.0, "high": 1.0}}
    assert result.outputs["y"] == FuzzyEvaluator(_system()).evaluate({"x": 10.0}).outputs["y"]


def test_out_of_range_input_is_rejected_when_the_variable_says_reject() -> None:
    base = _system()
    strict = FuzzyRuleBase(base.name, (InputVariable(**{**base.inputs[0].__dict__, "out_of_range": "reject"}),),
                           base.outputs, base.rules)
    evaluator = FuzzyEvaluator(strict)
    with pytest.raises(RequestError) as error:
        evaluator.evaluate({"x": -1.0})
    assert error.value.field == "x"
    assert "outside its range [0, 10]" in error.value.message
    with pytest.raises(RequestError) as error:
        evaluator.evaluate_batch({"x": np.array([1.0, 11.0])}, 2)
    assert error.value.field == "x" and "first row 1" in error.value.message


def test_missing_and_non_numeric_inputs_are_all_reported_at_once() -> None:
    rb = read_fuzzy_yaml("""
fuzzy: two
inputs:
  a: {range: [0, 1], terms: {t: [trimf, 0, 1, 1]}}
  b: {range: [0, 1], terms: {t: [trimf, 0, 1, 1]}}
outputs: {y: {range: [0, 1], terms: {t: [trimf, 0, 1, 1]}}}
rules: [{name: r, if: a is t and b is t, then: y is t}]
""", file="two.fuzzy.yaml")
    with pytest.raises(RequestError) as error:
        FuzzyEvaluator(rb).evaluate({"b": "high"})
    assert [(p.code, p.field) for p in error.value.problems] == [("missing_input", "a"), ("not_a_number", "b")]
    with pytest.raises(RequestError):
        FuzzyEvaluator(rb).evaluate({"a": float("nan"), "b": 0.5})


def test_one_evaluator_serves_many_threads_with_the_same_answers() -> None:
    evaluator = FuzzyEvaluator(_system())
    xs = np.linspace(-1, 11, 400)
    expected = [evaluator.evaluate({"x": float(x)}).outputs["y"] for x in xs]
    results: dict[int, list[float]] = {}

    def work(k: int) -> None:
        results[k] = [evaluator.evaluate({"x": float(x)}).outputs["y"] for x in xs[::-1]][::-1]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(8))


def test_fuzzylite_numerics_integrate_with_the_midpoint_rule_at_the_stated_resolution() -> None:
    base = _system()
    y = OutputVariable("y", 0.0, 1.0, base.outputs[0].terms, resolution=4, default=0.25)
    rb = FuzzyRuleBase("mid", base.inputs, (y,), base.rules)
    # only 'high' (0, 1, 1) fires, fully: midpoints 1/8, 3/8, 5/8, 7/8 weighted by themselves
    xs = np.array([0.125, 0.375, 0.625, 0.875])
    expected = float((xs * xs).sum() / xs.sum())
    got = FuzzyEvaluator(rb, numerics="fuzzylite").evaluate({"x": 10.0}).outputs["y"]
    assert got == pytest.approx(expected, abs=1e-15)
