"""Conditions compile from the expression language to durable-rules conditions, faithfully or not at all."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite.errors import ProjectError
from composite.expr import parse
from composite.rules.compile import AllOf, AnyOf, Comparison, Const, compile_condition, holds, to_durable
from composite.rules.durable import encode, engine_for
from tests.rules.helpers import rules


def durable(text: str) -> dict:
    return to_durable(compile_condition(parse(text)))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("age < 18", {"$lt": {"age": 18}}),
        ("age <= 18", {"$lte": {"age": 18}}),
        ("age > 18.5", {"$gt": {"age": 18.5}}),
        ("age >= -3", {"$gte": {"age": -3}}),
        ("18 > age", {"$lt": {"age": 18}}),  # a constant on the left is turned around
        ('employment == "unemployed"', {"employment": "unemployed"}),
        ('employment != "unemployed"', {"$or": [{"$neq": {"employment": "unemployed"}}, {"$nex": {"employment": 1}}]}),
        ("reason == null", {"$nex": {"reason": 1}}),
        ("reason != null", {"$ex": {"reason": 1}}),
        ("has_guarantor", {"has_guarantor": True}),
        ("not has_guarantor", {"has_guarantor": False}),
        ('housing in ["own", "free"]', {"$or": [{"housing": "own"}, {"housing": "free"}]}),
        ('housing not in ["rent"]', {"$or": [{"$neq": {"housing": "rent"}}, {"$nex": {"housing": 1}}]}),
        ("not (age < 18)", {"$gte": {"age": 18}}),
        ("not (age < 18 and amount > 5)", {"$or": [{"$gte": {"age": 18}}, {"$lte": {"amount": 5}}]}),
        ("age < 18 or amount > 5 and rate == 3",
         {"$or": [{"$lt": {"age": 18}}, {"$and": [{"$gt": {"amount": 5}}, {"rate": 3}]}]}),
        ("amount > 2 * 1000", {"$gt": {"amount": 2000}}),  # names-free parts are computed at load time
        ("age < 18 and true", {"$lt": {"age": 18}}),
        ("age < 18 or true", {"~": 1}),
        ("false", {"~": 0}),
        ("x in []", {"~": 0}),
    ],
)
def test_each_supported_construct_compiles_to_a_durable_condition(text: str, expected: dict):
    assert durable(text) == expected


def test_negation_is_pushed_down_to_the_comparisons():
    condition = compile_condition(parse('not (a == 1 or b in ["x", "y"])'))
    assert condition == AllOf((Comparison("a", "!=", 1), Comparison("b", "!=", "x"), Comparison("b", "!=", "y")))
    assert compile_condition(parse("not not (a > 1)")) == Comparison("a", ">", 1)
    assert isinstance(compile_condition(parse("a > 1 or b > 2")), AnyOf)
    assert compile_condition(parse("1 < 2")) == Const(True)


def test_floats_are_written_as_durable_rules_parses_them():
    # Python writes 1e20 as '1e+20', which durable-rules refuses: it needs a decimal point.
    assert encode(1e20) == "1.0e+20"
    assert encode(1.5e-7) == "1.5e-07"
    assert encode(0.1) == "0.1"
    assert encode({"a": [1, "é\"", None, True]}) == '{"a":[1,"é\\"",null,true]}'
    with pytest.raises(ValueError):
        encode(float("inf"))


@pytest.mark.parametrize(
    "when, column, fragment",
    [
        ("age < limit", 11, "compares two values ('age' and 'limit')"),
        ("amount / months > 500", 11, "cannot compute with a value"),
        ("abs(balance) > 100", 11, "cannot call abs()"),
        ("age > 18 and (if a then b else c)", 24, "'if ... then ... else' cannot be a rule condition"),
        ("age", None, None),  # a bare name is fine: a yes/no value
        ("1 + 2", 11, "a condition must be true or false"),
        ("age < null", 11, "orders a value against null"),
        ("flag > true", 11, "true and false have no order"),
        ("x in [1, y]", 20, "the options of 'in' must be constants"),
    ],
)
def test_a_construct_durable_rules_cannot_express_is_a_load_error_with_file_and_line(when, column, fragment):
    text = f"""
    ruleset: t
    defaults: {{out: 0}}
    rules:
      - name: first
        when: age > 1
        then: {{out: 1}}
      - name: second
        when: {when}
        then: {{out: 2}}
    """
    if fragment is None:
        assert rules(text).rules[1].reads == ("age",)
        return
    with pytest.raises(ProjectError) as caught:
        rules(text)
    problem = caught.value.problems[0]
    assert problem.code == "rules.unsupported_condition"
    assert problem.file == "rules/test.rules.yaml"
    assert problem.line == 8
    assert problem.column == column
    assert fragment in problem.message


# -- durable-rules decides exactly what the conditions say -------------------------------------

CONDITIONS = [
    "age < 18",
    "age >= 65 and amount > 1000.5",
    'employment == "unemployed"',
    'employment != "unemployed"',
    'employment in ["employed", "self_employed"]',
    'employment not in ["employed"]',
    "not (age < 30 or amount <= 200)",
    "flag",
    "not flag",
    'flag and (age > 40 or employment == "employed")',
    "amount == 500",
    "amount != 500",
    "age == 17.0",
    'name < "m"',
    'name >= "m" and name != "zz"',
]

rows = st.fixed_dictionaries({
    "age": st.integers(0, 100),
    "amount": st.one_of(st.integers(0, 2000), st.floats(0, 2000, allow_nan=False),
                        st.sampled_from([500, 500.0, 1000.5])),
    "employment": st.sampled_from(["unemployed", "employed", "self_employed", "retired"]),
    "flag": st.booleans(),
    "name": st.text(alphabet="abmnyz", max_size=3),
})


def _probe():
    text = "ruleset: probe\nrules:\n"
    text += "".join(f"  - {{name: c{i}, when: '{c}', then: {{hit_{i}: true}}}}\n" for i, c in enumerate(CONDITIONS))
    text += "defaults: {" + ", ".join(f"hit_{i}: false" for i in range(len(CONDITIONS))) + "}\n"
    return rules(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=rows, nulls=st.sets(st.sampled_from(["age", "amount", "employment", "flag", "name"]), max_size=2))
def test_durable_rules_fires_exactly_the_rules_whose_conditions_hold(row, nulls):
    ruleset = _probe()
    engine = engine_for(ruleset)
    facts = {k: (None if k in nulls else v) for k, v in row.items()}
    outcome = engine.decide(facts)
    fired = {ruleset.rules[i].name for i, _ in outcome.fired}
    expected = {rule.name for rule in ruleset.rules if holds(rule.condition, facts)}
    assert fired == expected
    if not nulls:  # on complete, well-typed rows the expression language itself agrees
        assert expected == {rule.name for rule in ruleset.rules if rule.when.evaluate(facts)}
