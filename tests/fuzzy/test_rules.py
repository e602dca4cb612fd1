"""Rule text: parsing conditions and consequents, both dialects, and writing them back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from composite.fuzzy.model import And, Consequent, InputVariable, Not, Or, Proposition, Term
from composite.fuzzy.rules import (
    RuleSyntaxError,
    format_antecedent,
    parse_antecedent,
    parse_consequents,
    parse_fll_rule,
)
from tests.fuzzy.strategies import antecedents


def test_hedges_follow_is_and_apply_right_to_left() -> None:
    assert parse_antecedent("service is very good and food is not rancid") == And((
        Proposition("service", "good", ("very",)), Proposition("food", "rancid", ("not",))))
    assert parse_antecedent("x is not very high") == Proposition("x", "high", ("not", "very"))


def test_mixing_and_with_or_without_parentheses_is_an_error_that_points_at_the_second_operator() -> None:
    with pytest.raises(RuleSyntaxError) as error:
        parse_antecedent("a is x and b is y or c is z")
    assert "mixed without parentheses" in error.value.message
    assert error.value.column == len("a is x and b is y ") + 1


def test_parentheses_say_which_binds_first() -> None:
    assert parse_antecedent("(a is x and b is y) or c is z") == Or((
        And((Proposition("a", "x"), Proposition("b", "y"))), Proposition("c", "z")))
    assert parse_antecedent("not (a is x or b is y)") == Not(Or((Proposition("a", "x"), Proposition("b", "y"))))


def test_fuzzylite_dialect_gives_and_precedence_over_or() -> None:
    antecedent, consequents, weight = parse_fll_rule("if a is x or b is y and c is z then out is high with 0.5")
    assert antecedent == Or((Proposition("a", "x"), And((Proposition("b", "y"), Proposition("c", "z")))))
    assert consequents == (Consequent("out", "high"),)
    assert weight == 0.5


@pytest.mark.parametrize(("text", "message", "column"), [
    ("a is", "expected a term of 'a'", 5),
    ("a x", "expected 'is' after 'a'", 3),
    ("(a is x", "expected ')'", 8),
    ("a is x)", "unexpected ')'", 7),
    ("a is x and", "expected a variable name", 11),
    ("", "empty", 1),
    ("a is x; b", "unexpected character ';'", 7),
])
def test_syntax_errors_name_what_was_expected_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(RuleSyntaxError) as error:
        parse_antecedent(text)
    assert message in error.value.message
    assert error.value.column == column


def test_consequents_may_name_several_outputs_and_take_hedges_but_not_any() -> None:
    assert parse_consequents("tip is high and mood is good") == (Consequent("tip", "high"), Consequent("mood", "good"))
    assert parse_consequents("tip is very high") == (Consequent("tip", "high", ("very",)),)
    with pytest.raises(RuleSyntaxError, match="'any' cannot modify a consequent"):
        parse_consequents("tip is any high")


INPUTS = (
    InputVariable("a", 0, 1, (Term("x", "trimf", (0, 0, 1)), Term("y", "trimf", (0, 1, 1)))),
    InputVariable("b", 0, 1, (Term("x", "trimf", (0, 0, 1)),)),
)


@settings(max_examples=150, deadline=None)
@given(expr=antecedents(INPUTS, depth=3, hedges=True))
def test_formatted_rules_read_back_the_same_in_our_dialect(expr: object) -> None:
    assert parse_antecedent(format_antecedent(expr)) == expr


@settings(max_examples=100, deadline=None)
@given(expr=antecedents(INPUTS, depth=3))
def test_formatted_rules_without_not_groups_read_back_the_same_in_fuzzylite(expr: object) -> None:
    from composite.fuzzy.fll import _fll_form

    fll = _fll_form(expr)
    antecedent, _, _ = parse_fll_rule(f"if {format_antecedent(fll)} then y is z")
    assert antecedent == fll
