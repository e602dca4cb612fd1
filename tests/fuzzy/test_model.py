"""The rule base model: summaries, universes, and the consistency check."""

from __future__ import annotations

import numpy as np

from composite.fuzzy.model import (
    And,
    Consequent,
    FuzzyRuleBase,
    InputVariable,
    Not,
    Operators,
    OutputVariable,
    Proposition,
    Rule,
    Term,
    check_rule_base,
    propositions,
)

X = InputVariable("x", 0.0, 10.0, (Term("low", "trimf", (0, 0, 10)),), resolution=11)
Y = OutputVariable("y", 0.0, 1.0, (Term("on", "trimf", (0, 1, 1)),), defuzzify="bisector")


def test_universe_is_resolution_evenly_spaced_samples_of_the_range() -> None:
    assert np.array_equal(X.universe(), np.arange(11.0))


def test_summary_names_the_kind_rule_count_and_defuzzifier() -> None:
    rule = Rule("r", Proposition("x", "low"), (Consequent("y", "on"),))
    assert FuzzyRuleBase("s", (X,), (Y,), (rule,)).summary() == "Mamdani, 1 rule, bisector"


def test_propositions_lists_every_condition_left_to_right() -> None:
    expr = And((Proposition("a", "x"), Not(Proposition("b", "y", ("very",)))))
    assert propositions(expr) == [Proposition("a", "x"), Proposition("b", "y", ("very",))]


def test_check_finds_unknown_operators_duplicate_rules_and_outputs_read_as_inputs() -> None:
    rules = (Rule("r", Proposition("y", "on"), (Consequent("y", "on"),), line=3),
             Rule("r", Proposition("x", "low"), (Consequent("y", "on"),), line=4))
    problems = check_rule_base(FuzzyRuleBase("s", (X,), (Y,), rules, Operators(and_="avg", line=2), source="s.yaml"))
    messages = {(p.line, p.code): p.message for p in problems}
    assert "is not an input (it is an output no earlier rule writes)" in messages[(3, "fuzzy_unknown_variable")]
    assert (4, "fuzzy_duplicate_rule") in messages
    assert messages[(2, "fuzzy_operator")].startswith("operator and must be one of min, product, bounded_difference, ")
    assert messages[(2, "fuzzy_operator")].endswith(", nilpotent_min, not 'avg'")
    assert all(p.file == "s.yaml" for p in problems)
