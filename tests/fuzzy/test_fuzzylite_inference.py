"""FuzzyLite's inference beyond scikit-fuzzy's: every norm, `any` and hedged consequents, chained rules,
rule blocks, hybrid and Tsukamoto outputs, lock-previous and lock-range; one row equal to the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite.errors import ProjectError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.evidence import FuzzyEvidence
from composite.fuzzy.fll import _negates_group, read_fll, to_fll
from composite.fuzzy.yamlformat import read_fuzzy_yaml, to_fuzzy_yaml
from tests.fuzzy.strategies import fuzzylite_rule_bases, input_values

TWO_INPUTS = """
fuzzy: norms
kind: takagi_sugeno
numerics: fuzzylite
inputs:
  a: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
  b: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
outputs:
  y: {range: [0, 10], terms: {c: [constant, 5]}}
"""


def _strengths(text: str, values: dict[str, float]) -> list[float]:
    rb = read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    evaluator = FuzzyEvaluator(rb, numerics="fuzzylite")
    row = evaluator.evaluate(values)
    batch = evaluator.evaluate_batch({k: [v] for k, v in values.items()})
    assert row.evidence == batch.evidence[0]
    return [r["strength"] for r in row.evidence["rules"]]


@pytest.mark.parametrize(("norm", "expected"), [
    ("min", 0.5), ("product", 0.4), ("bounded_difference", 0.3), ("drastic_product", 0.0),
    ("einstein_product", 0.4 / 1.1), ("hamacher_product", 0.4 / 0.9), ("nilpotent_min", 0.5),
])
def test_every_t_norm_joins_an_and(norm: str, expected: float) -> None:
    text = TWO_INPUTS + f"operators: {{and: {norm}}}\nrules: [{{if: a is high and b is high, then: y is c}}]\n"
    assert _strengths(text, {"a": 0.5, "b": 0.8}) == [pytest.approx(expected)]


@pytest.mark.parametrize(("norm", "expected"), [
    ("max", 0.8), ("probor", 0.9), ("bounded_sum", 1.0), ("drastic_sum", 1.0), ("einstein_sum", 1.3 / 1.4),
    ("hamacher_sum", 0.5 / 0.6), ("nilpotent_max", 1.0), ("normalized_sum", 1.0), ("sum", 1.3),
])
def test_every_s_norm_joins_an_or(norm: str, expected: float) -> None:
    text = TWO_INPUTS + f"operators: {{or: {norm}}}\nrules: [{{if: a is high or b is high, then: y is c}}]\n"
    assert _strengths(text, {"a": 0.5, "b": 0.8}) == [pytest.approx(expected)]


def test_any_holds_whatever_the_value_and_not_any_never() -> None:
    text = TWO_INPUTS + "rules: [{if: a is any, then: y is c}, {if: a is not any, then: y is c}]\n"
    assert _strengths(text, {"a": 0.0, "b": 0.0}) == [1.0, 0.0]


def test_rule_blocks_keep_their_own_operators() -> None:
    text = TWO_INPUTS + """blocks: [{and: min}, {and: product}]
rules:
  - {if: a is high and b is high, then: y is c, block: 0}
  - {if: a is high and b is high, then: y is c, block: 1}
"""
    assert _strengths(text, {"a": 0.5, "b": 0.8}) == [0.5, pytest.approx(0.4)]


def test_a_rule_block_out_of_range_is_refused_at_its_line() -> None:
    text = TWO_INPUTS + "blocks: [{and: min}]\nrules:\n  - {if: a is high, then: y is c, block: 3}\n"
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    expected = "block of rule 'rule_1' must be an index into 'blocks:', 0 to 0; got 3"
    assert any(p.line == 12 and expected in p.message for p in error.value.problems)


CHAINED = """
fuzzy: chained
kind: takagi_sugeno
inputs:
  x: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
outputs:
  power: {range: [0, 1], terms: {big: [constant, 1]}}
  echo: {range: [0, 1], terms: {yes: [constant, 1]}}
rules:
  - {name: first, if: x is high, then: power is big}
  - {name: again, if: x is very high, then: power is big}
  - {name: reads_power, if: power is big, then: echo is yes}
  - {name: reads_power_very, if: power is very big, then: echo is yes}
"""


def test_a_later_rule_reads_what_the_earlier_rules_gave_an_output_term() -> None:
    # power is big to 0.3 + 0.09 (a weighted output adds up its rules), so the chained rules fire at that
    assert _strengths(CHAINED, {"x": 0.3}) == [0.3, pytest.approx(0.09), pytest.approx(0.39),
                                                pytest.approx(0.39**2)]


def test_an_output_no_earlier_rule_writes_cannot_be_read() -> None:
    text = CHAINED.replace("  - {name: first, if: x is high, then: power is big}\n", "").replace(
        "{name: again, if: x is very high", "{name: again, if: echo is yes")
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    assert any("reads 'echo', which is not an input (it is an output no earlier rule writes)" in p.message
               for p in error.value.problems)


def test_hedged_consequents_weigh_the_rule_by_the_hedge() -> None:
    text = TWO_INPUTS.replace("{c: [constant, 5]}", "{c: [constant, 5], d: [constant, 10]}") + \
        "rules: [{if: a is high, then: y is very c}, {if: a is high, then: y is d}]\n"
    rb = read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    y = FuzzyEvaluator(rb, numerics="fuzzylite").evaluate({"a": 0.5, "b": 0.0}).outputs["y"]
    assert y == pytest.approx((0.25 * 5 + 0.5 * 10) / 0.75)


TSUKAMOTO = """
fuzzy: tsukamoto
kind: takagi_sugeno
inputs:
  x: {range: [0, 1], terms: {low: [ramp, 1, 0], high: [ramp, 0, 1]}}
outputs:
  y: {range: [0, 1], terms: {up: [ramp, 0, 1], down: [ramp, 1, 0.5]}}
rules:
  - {if: x is high, then: y is up}
  - {if: x is low, then: y is down}
"""


def test_tsukamoto_outputs_average_where_each_monotonic_term_reaches_its_rule() -> None:
    rb = read_fuzzy_yaml(TSUKAMOTO, file="t.fuzzy.yaml")
    y = FuzzyEvaluator(rb, numerics="fuzzylite").evaluate({"x": 0.2}).outputs["y"]
    # up reaches 0.2 at 0.2; down (from 1 to 0.5) reaches 0.8 at 1 - 0.5 * 0.8 = 0.6
    assert y == pytest.approx((0.2 * 0.2 + 0.8 * 0.6) / 1.0)


def test_a_tsukamoto_output_refuses_a_term_that_is_not_monotonic() -> None:
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(TSUKAMOTO.replace("up: [ramp, 0, 1]", "up: [trimf, 0, 0.5, 1]"), file="t.fuzzy.yaml")
    assert any("Tsukamoto outputs take monotonic terms" in p.message for p in error.value.problems)


HYBRID = """
fuzzy: hybrid
kind: hybrid
numerics: fuzzylite
inputs:
  x: {range: [0, 1], terms: {low: [ramp, 1, 0], high: [ramp, 0, 1]}}
outputs:
  mamdani: {range: [0, 1], resolution: 1000, terms: {low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}}
  sugeno: {range: [0, 1], defuzzify: weighted_average, terms: {low: [constant, 0], high: [constant, 1]}}
rules:
  - {if: x is low, then: mamdani is low and sugeno is low}
  - {if: x is high, then: mamdani is high and sugeno is high}
"""


def test_a_hybrid_rule_base_defuzzifies_each_output_its_own_way() -> None:
    rb = read_fuzzy_yaml(HYBRID, file="t.fuzzy.yaml")
    outputs = FuzzyEvaluator(rb, numerics="fuzzylite").evaluate({"x": 1.0}).outputs
    assert outputs["sugeno"] == 1.0
    midpoints = (np.arange(1000) + 0.5) / 1000
    assert outputs["mamdani"] == pytest.approx((midpoints * midpoints).sum() / midpoints.sum())


LOCKS = """
fuzzy: locks
kind: takagi_sugeno
inputs:
  x: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
outputs:
  held: {range: [0, 10], terms: {line: [linear, 2, 0]}, lock_previous: true}
  bounded: {range: [0, 4], terms: {steep: [linear, 10, 0]}, lock_range: true}
rules:
  - {if: x is high, then: held is line and bounded is steep}
"""


def test_lock_previous_fills_a_batch_row_without_rules_from_the_row_before() -> None:
    rb = read_fuzzy_yaml(LOCKS, file="t.fuzzy.yaml")
    evaluator = FuzzyEvaluator(rb, numerics="fuzzylite")
    held = evaluator.evaluate_batch({"x": [0.0, 0.5, 0.0, 0.75]}).outputs["held"]
    assert math.isnan(held[0]) and held[1:].tolist() == [1.0, 1.0, 1.5]
    assert math.isnan(evaluator.evaluate({"x": 0.0}).outputs["held"])  # one row has no row before


def test_lock_range_clips_the_value_to_the_output_range() -> None:
    rb = read_fuzzy_yaml(LOCKS, file="t.fuzzy.yaml")
    evaluator = FuzzyEvaluator(rb, numerics="fuzzylite")
    assert evaluator.evaluate_batch({"x": [0.25, 0.75]}).outputs["bounded"].tolist() == [2.5, 4.0]
    assert evaluator.evaluate({"x": 0.75}).outputs["bounded"] == 4.0


@pytest.mark.parametrize("text", [TWO_INPUTS + "blocks: [{and: min}, {and: product}]\nrules: [{if: a is high and "
                                  "b is any, then: y is very c, block: 1}]\n", CHAINED, TSUKAMOTO, HYBRID, LOCKS])
def test_these_rule_bases_survive_the_yaml_round_trip(text: str) -> None:
    rb = read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    again = read_fuzzy_yaml(to_fuzzy_yaml(rb), file="again.fuzzy.yaml")
    assert to_fuzzy_yaml(again) == to_fuzzy_yaml(rb)
    columns = {name: np.linspace(0, 1, 11) for name in rb.input_names}
    ours = FuzzyEvaluator(rb, numerics="fuzzylite").evaluate_batch(columns).outputs
    theirs = FuzzyEvaluator(again, numerics="fuzzylite").evaluate_batch(columns).outputs
    assert all(np.array_equal(ours[k], theirs[k], equal_nan=True) for k in ours)


def test_validate_checks_a_chained_rule_base_through_the_evaluator() -> None:
    from composite.fuzzy.check import check_fuzzy

    rb = read_fuzzy_yaml(CHAINED, file="t.fuzzy.yaml")
    problems = check_fuzzy(rb)
    # x = 0 fires no rule and neither output has a default: one finding per output, located at it
    assert {(p.code, p.field) for p in problems} == {("fuzzy.no_rule_fires", "outputs.power.default"),
                                                      ("fuzzy.no_rule_fires", "outputs.echo.default")}


THREE_RULES = """
fuzzy: activation
kind: takagi_sugeno
inputs:
  a: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
  b: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
  c: {range: [0, 1], terms: {high: [ramp, 0, 1]}}
outputs:
  y: {range: [0, 20], terms: {zero: [constant, 0], ten: [constant, 10], twenty: [constant, 20]}}
operators: {activation: ACTIVATION}
rules:
  - {if: a is high, then: y is zero}
  - {if: b is high, then: y is ten}
  - {if: c is high, then: y is twenty}
"""


@pytest.mark.parametrize(("activation", "strengths", "y"), [
    ("general", [0.2, 0.7, 0.5], 17 / 1.4),
    ("first", [0.2, 0.0, 0.0], 0.0),
    ("first 2 0.3", [0.0, 0.7, 0.5], 17 / 1.2),
    ("last", [0.0, 0.0, 0.5], 20.0),
    ("highest", [0.0, 0.7, 0.0], 10.0),
    ("highest 2", [0.0, 0.7, 0.5], 17 / 1.2),
    ("lowest", [0.2, 0.0, 0.0], 0.0),
    ("proportional", [0.2 / 1.4, 0.7 / 1.4, 0.5 / 1.4], 17 / 1.4),
    ("threshold >= 0.5", [0.0, 0.7, 0.5], 17 / 1.2),
])
def test_activation_methods_choose_the_rules_that_take_effect(activation: str, strengths: list[float],
                                                              y: float) -> None:
    rb = read_fuzzy_yaml(THREE_RULES.replace("ACTIVATION", activation), file="t.fuzzy.yaml")
    evaluator = FuzzyEvaluator(rb, numerics="fuzzylite")
    values = {"a": 0.2, "b": 0.7, "c": 0.5}
    row = evaluator.evaluate(values)
    batch = evaluator.evaluate_batch({k: [v] for k, v in values.items()})
    assert row.evidence == batch.evidence[0]
    assert [r["strength"] for r in row.evidence["rules"]] == pytest.approx(strengths)
    assert row.outputs["y"] == pytest.approx(y)
    again = read_fuzzy_yaml(to_fuzzy_yaml(rb), file="again.fuzzy.yaml")
    assert FuzzyEvaluator(again, numerics="fuzzylite").evaluate(values).outputs["y"] == row.outputs["y"]
    from_fll = read_fll(to_fll(rb), file="again.fll")
    assert FuzzyEvaluator(from_fll, numerics="fuzzylite").evaluate(values).outputs["y"] == row.outputs["y"]


def test_an_activation_that_does_not_parse_is_refused_with_what_it_takes() -> None:
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(THREE_RULES.replace("ACTIVATION", "highest two"), file="t.fuzzy.yaml")
    assert any("activation 'highest two' does not parse: highest takes the n strongest rules" in p.message
               for p in error.value.problems)


@pytest.mark.parametrize(("term", "message"), [
    ('[function, "lt(x, 0.5"]', "formula 'lt(x, 0.5': expected ')' to close 'lt(', found the end (column 10)"),
    ('[function, "x * speed"]', "formula 'x * speed' reads speed, which is neither x nor a variable"),
    ('[function, "x * b"]', "formula 'x * b' reads b: a membership function (of an input or a Mamdani output) "
                            "may read only x here"),
])
def test_function_terms_are_checked_at_load(term: str, message: str) -> None:
    text = TWO_INPUTS.replace("b: {range: [0, 1], terms: {high: [ramp, 0, 1]}}",
                              f"b: {{range: [0, 1], terms: {{high: [ramp, 0, 1]}}}}\n  c: {{range: [0, 1], terms: "
                              f"{{f: {term}}}}}") + "rules: [{if: a is high, then: y is c}]\n"
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(text, file="t.fuzzy.yaml")
    assert any(message in p.message for p in error.value.problems), error.value.problems


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), numerics=st.sampled_from(["fuzzylite", "skfuzzy"]))
def test_one_row_equals_the_batch_with_every_fuzzylite_feature(data: st.DataObject, numerics: str) -> None:
    rule_base = data.draw(fuzzylite_rule_bases())
    rows = data.draw(st.lists(input_values(rule_base), min_size=1, max_size=5))
    evaluator = FuzzyEvaluator(rule_base, numerics=numerics)
    batch = evaluator.evaluate_batch({name: [row[name] for row in rows] for name in rule_base.input_names})
    for i, row in enumerate(rows):
        single = evaluator.evaluate(row)
        for name in rule_base.output_names:
            assert np.array_equal(batch.outputs[name][i], single.outputs[name], equal_nan=True), (name, i)
        assert batch.evidence[i] == single.evidence
        FuzzyEvidence.model_validate(single.evidence)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_fuzzylite_feature_survives_export_to_yaml_and_fll(data: st.DataObject) -> None:
    rule_base = data.draw(fuzzylite_rule_bases())
    rows = data.draw(st.lists(input_values(rule_base), min_size=1, max_size=5))
    columns = {name: [row[name] for row in rows] for name in rule_base.input_names}
    expected = FuzzyEvaluator(rule_base, numerics="fuzzylite").evaluate_batch(columns, evidence=False).outputs
    copies = [read_fuzzy_yaml(to_fuzzy_yaml(rule_base), file="again.fuzzy.yaml")]
    # FLL writes `not (group)` by De Morgan's laws, which is exact only in real numbers
    if not any(_negates_group(rule.antecedent) for rule in rule_base.rules):
        copies.append(read_fll(to_fll(rule_base), file="again.fll"))
    for copy in copies:
        got = FuzzyEvaluator(copy, numerics="fuzzylite").evaluate_batch(columns, evidence=False).outputs
        assert all(np.array_equal(got[name], expected[name], equal_nan=True) for name in expected)
