"""The static type pass: each mistake it names, where, and the fix it offers."""

from __future__ import annotations

import pytest

from composite.expr import parse
from composite.expr._types import ValueType, check_expression, infer, join, of_value

ENV = {
    "suspicion": ValueType("number", low=0, high=100, source="knowledge/claims.yaml:3"),
    "claim_type": ValueType("text", values=("auto", "home", "health"), source="knowledge/claims.yaml:4"),
    "police_report": ValueType("boolean"),
    "note": ValueType("text"),
}


def problems(text: str, *, expect: str | None = None):
    # the expression as if written at line 7, column 11 of a rule file
    _, found = check_expression(parse(text, source="rules/r.rules.yaml", line=7, column=11), ENV, expect=expect)
    return found


def test_number_compared_with_quoted_number_names_both_types_and_the_unquoted_fix():
    [problem] = problems('suspicion > "60"')
    assert (problem.code, problem.severity) == ("type.compare", "error")
    assert problem.message == 'suspicion is a number; "60" is text'
    assert problem.fix == "write suspicion > 60"
    assert (problem.file, problem.line, problem.column) == ("rules/r.rules.yaml", 7, 11)


def test_text_outside_the_allowed_values_suggests_the_nearest_one():
    [problem] = problems('claim_type == "autoo"')
    assert problem.code == "type.value_not_allowed"
    assert problem.message == ('"autoo" is not a value of claim_type (knowledge/claims.yaml:4): it is one of '
                               '"auto", "home", "health"')
    assert problem.fix == 'did you mean "auto"? write claim_type == "auto"'


def test_an_option_of_in_outside_the_allowed_values_is_located_at_the_option():
    [problem] = problems('claim_type in ["auto", "hom"]')
    assert problem.code == "type.value_not_allowed"
    assert (problem.line, problem.column) == (7, 11 + len('claim_type in ["auto", '))
    assert problem.fix == 'did you mean "home"? write claim_type in ["auto", "home"]'


@pytest.mark.parametrize(("text", "verdict"), [
    ("suspicion > 200", "never true"),
    ("suspicion <= 200", "always true"),
    ("suspicion == -1", "never true"),
    ("-5 < suspicion", "always true"),
])
def test_a_constant_outside_the_range_is_a_warning_saying_never_or_always_true(text, verdict):
    [problem] = problems(text)
    assert (problem.code, problem.severity) == ("type.outside_range", "warning")
    assert f"is {verdict}" in problem.message
    assert "[0, 100] of suspicion (knowledge/claims.yaml:3)" in problem.message
    assert problem.fix == "compare suspicion with a value inside [0, 100], or widen the range where it is declared"


def test_a_constant_at_the_end_of_the_range_is_not_reported():
    assert problems("suspicion >= 0 and suspicion <= 100") == []


def test_arithmetic_on_text():
    [problem] = problems('suspicion + "10"')
    assert problem.code == "type.arithmetic"
    assert problem.message == """'+' joins two texts or adds two numbers; here suspicion is a number and "10" is text"""
    assert problem.fix == "write suspicion + 10"
    [problem] = problems("note * 2")
    assert (problem.code, problem.message) == ("type.arithmetic", "'*' needs numbers; note is text")


def test_and_on_a_number_and_if_on_text():
    [problem] = problems("suspicion and police_report")
    assert (problem.code, problem.message) == ("type.not_boolean", "'and' needs true or false; suspicion is a number")
    assert problem.fix == "compare it, e.g. suspicion > 0"
    [problem] = problems("if note then 1 else 2")
    assert problem.message == "the condition of 'if' needs true or false; note is text"
    assert problem.column == 11 + len("if ")


def test_a_condition_must_be_true_or_false():
    [problem] = problems("suspicion * 2", expect="boolean")
    assert problem.code == "type.not_boolean"
    assert problem.message == "the expression must be true or false; suspicion * 2 is a number"


def test_a_boolean_compared_with_a_number():
    [problem] = problems("police_report == 1")
    assert (problem.code, problem.message) == ("type.compare", "police_report is true/false; 1 is a number")


def test_a_function_of_numbers_given_text():
    [problem] = problems("round(note)")
    assert (problem.code, problem.column) == ("type.function", 11 + len("round("))


def test_well_typed_expressions_and_unknown_names_are_quiet():
    assert problems('if claim_type == "auto" and police_report then suspicion * 2 else 0') == []
    assert problems('unknown_name > "60" and other + 1 > 2') == []
    assert problems("suspicion == null or coalesce(suspicion, 0) > 50") == []


def test_inferred_types_join_branches():
    kind, issues = infer(parse('if police_report then "fast" else "slow"').ast, ENV)
    assert (kind.kind, kind.values, issues) == ("text", ("fast", "slow"), [])
    assert join(of_value(None), of_value(3)).nullable is True
    assert join(of_value(3), of_value("a")).kind == "any"
