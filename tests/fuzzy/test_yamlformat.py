"""Reading rules/*.fuzzy.yaml: the format, and errors that name the file, line and field."""

from __future__ import annotations

import math
import textwrap

import pytest

from composite.errors import ProjectError
from composite.fuzzy.model import And, Consequent, Proposition
from composite.fuzzy.yamlformat import read_fuzzy_yaml

SKETCH = """
fuzzy: affordability
inputs:
  instalment_rate: {range: [1, 4], terms: {low: [trimf, 1, 1, 2.5], high: [trimf, 2, 4, 4]}}
  savings_level:   {range: [0, 4], terms: {low: [trapmf, 0, 0, 1, 2.5], high: [trapmf, 2.5, 3.5, 4, 4]}}
outputs:
  affordability:
    range: [0, 100]
    terms: {poor: [trapmf, 0, 0, 20, 45], fair: [trimf, 30, 50, 70], good: [trapmf, 55, 80, 100, 100]}
    defuzzify: centroid
    default: 50            # used, and flagged, when no rule fires
operators: {and: min, or: max, implication: min, aggregation: max}
rules:
  - name: strained
    if: instalment_rate is high and savings_level is low
    then: affordability is poor
    weight: 1.0
"""


def _problems(text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(ProjectError) as error:
        read_fuzzy_yaml(textwrap.dedent(text), file="rules/x.fuzzy.yaml")
    assert all(p.file == "rules/x.fuzzy.yaml" for p in error.value.problems)
    return [(p.line, p.field, p.message) for p in error.value.problems]


def test_the_issue_sketch_reads_into_a_rule_base() -> None:
    rb = read_fuzzy_yaml(SKETCH, file="rules/affordability.fuzzy.yaml")
    assert rb.name == "affordability" and rb.kind == "mamdani"
    assert rb.input_names == ("instalment_rate", "savings_level")
    out = rb.outputs[0]
    assert (out.lo, out.hi, out.default, out.defuzzify, out.resolution) == (0.0, 100.0, 50.0, "centroid", 101)
    assert out.term("fair").params == (30.0, 50.0, 70.0)
    rule = rb.rules[0]
    assert rule.antecedent == And((Proposition("instalment_rate", "high"), Proposition("savings_level", "low")))
    assert rule.consequents == (Consequent("affordability", "poor"),)
    assert rule.line == 14


def test_defaults_are_clip_resolution_101_nan_default_and_min_max_operators() -> None:
    rb = read_fuzzy_yaml("""
fuzzy: d
inputs: {x: {range: [0, 1], terms: {on: [trimf, 0, 1, 1], off: [trimf, 0, 0, 1]}}}
outputs: {y: {range: [0, 1], terms: {yes: [trimf, 0, 1, 1]}}}
rules: [{if: x is on, then: y is yes}]
""", file="d.fuzzy.yaml")
    assert rb.inputs[0].out_of_range == "clip" and rb.inputs[0].resolution == 101
    assert math.isnan(rb.outputs[0].default)
    assert (rb.operators.and_, rb.operators.or_, rb.operators.implication, rb.operators.aggregation) == (
        "min", "max", "min", "max")
    assert rb.rules[0].name == "rule_1"
    assert rb.inputs[0].term_names == ("on", "off")  # YAML 1.1 would have read these as booleans


def test_mixing_and_with_or_is_a_load_error_at_the_rule_line_and_column() -> None:
    problems = _problems("""
        fuzzy: m
        inputs: {a: {range: [0, 1], terms: {x: [trimf, 0, 0, 1]}}, b: {range: [0, 1], terms: {y: [trimf, 0, 1, 1]}}}
        outputs: {z: {range: [0, 1], terms: {w: [trimf, 0, 1, 1]}}}
        rules:
          - name: mixed
            if: a is x and b is y or a is x
            then: z is w
    """)
    assert len(problems) == 1
    line, field, message = problems[0]
    assert (line, field) == (7, "rules[0].if")  # the text starts with a blank line
    assert "'and' and 'or' are mixed without parentheses" in message


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    problems = _problems("""
        fuzzy: broken
        inputs:
          x:
            range: [0, 10]
            terms: {low: [trimf, 5, 2, 1], mid: [wiggle, 1, 2]}
            colour: red
        outputs:
          y: {range: [10, 0], terms: {on: [trimf, 0, 1, 1]}, defuzzify: median}
        rules:
          - {name: r1, if: x is high, then: y is on}
          - {name: r2, if: z is low, then: y is off}
    """)
    found = {(line, field) for line, field, _ in problems}
    assert (6, "inputs.x.terms.low") in found  # a <= b <= c violated
    assert (6, "inputs.x.terms.mid") in found  # unknown membership function
    assert (7, "inputs.x.colour") in found
    assert (9, "outputs.y.range") in found
    assert (9, "outputs.y.defuzzify") in found
    assert (11, "rules[0].if") in found  # no term 'high'
    assert (12, "rules[1].if") in found  # no input 'z'
    assert (12, "rules[1].then") in found  # no term 'off'
    messages = " ".join(m for _, _, m in problems)
    assert "unknown membership function 'wiggle'" in messages and "terms: low, mid" in messages


def test_yaml_syntax_errors_and_duplicate_keys_are_located() -> None:
    assert _problems("fuzzy: [unclosed\n")[0][0] is not None
    problems = _problems("""
        fuzzy: dup
        fuzzy: again
    """)
    assert problems[0][0] == 3 and "duplicate key 'fuzzy'" in problems[0][2]


def test_takagi_sugeno_outputs_take_constant_and_linear_terms() -> None:
    rb = read_fuzzy_yaml("""
fuzzy: tsk
kind: takagi_sugeno
inputs: {a: {range: [0, 1], terms: {x: [trimf, 0, 0, 1]}}, b: {range: [0, 1], terms: {y: [trimf, 0, 1, 1]}}}
outputs: {z: {range: [0, 10], terms: {flat: [constant, 3], plane: [linear, 1, 2, 0.5]}}}
rules: [{name: r, if: a is x, then: z is plane}]
""", file="t.fuzzy.yaml")
    assert rb.kind == "takagi_sugeno" and rb.outputs[0].defuzzify == "weighted_average"
    problems = _problems("""
        fuzzy: tsk
        kind: takagi_sugeno
        inputs: {a: {range: [0, 1], terms: {x: [trimf, 0, 0, 1]}}}
        outputs: {z: {range: [0, 10], terms: {plane: [linear, 1, 2, 0.5], tri: [trimf, 0, 1, 2]}}}
        rules: [{name: r, if: a is x, then: z is plane}]
    """)
    messages = [m for _, _, m in problems]
    assert any("one coefficient per input (a) plus a constant: 2 numbers, got 3" in m for m in messages)
    assert any("Takagi-Sugeno outputs take constant, linear or function terms" in m for m in messages)


def test_a_membership_function_leaving_zero_one_is_refused_as_skfuzzy_refuses_it() -> None:
    problems = _problems("""
        fuzzy: neg
        inputs: {x: {range: [0, 10], terms: {bad: [dsigmf, 2, 1, 6, -1]}}}
        outputs: {y: {range: [0, 1], terms: {on: [trimf, 0, 1, 1]}}}
        rules: [{name: r, if: x is bad, then: y is on}]
    """)
    assert any("leaves [0, 1]" in m for _, _, m in problems)


def test_rule_weights_must_lie_between_zero_and_one() -> None:
    problems = _problems("""
        fuzzy: w
        inputs: {x: {range: [0, 1], terms: {t: [trimf, 0, 1, 1]}}}
        outputs: {y: {range: [0, 1], terms: {t: [trimf, 0, 1, 1]}}}
        rules: [{name: r, if: x is t, then: y is t, weight: 2}]
    """)
    assert problems == [(5, "rules[0].weight", "weight of rule 'r' must be between 0 and 1, not 2.0")]
