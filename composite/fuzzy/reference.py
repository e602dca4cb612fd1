"""The same rule base as a `skfuzzy.control` system: the oracle for tests and benchmarks.

scikit-fuzzy is slow, stateful and fails when no rule fires, so composite never evaluates with
it; tests and benchmarks build it from a `FuzzyRuleBase` to check and time ours against it.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from composite.fuzzy.model import And, Expr, FuzzyRuleBase, Not, Or, Proposition

__all__ = ["skfuzzy_control_system", "skfuzzy_supports"]


def _probor(a: Any, b: Any) -> Any:
    return a + b - a * b


def skfuzzy_supports(rule_base: FuzzyRuleBase) -> str | None:
    """Why scikit-fuzzy cannot run `rule_base` (None when it can)."""
    ops = rule_base.operators
    if rule_base.kind != "mamdani":
        return "scikit-fuzzy's control API is Mamdani only"
    if ops.implication != "min":
        return "scikit-fuzzy's control API implies with min only"
    if ops.aggregation != "max":
        return "scikit-fuzzy's control API aggregates with max only"
    for rule in rule_base.rules:
        if any(_hedged(rule.antecedent)):
            return "scikit-fuzzy has no hedges"
    return None


def _hedged(expr: Expr) -> list[bool]:
    if isinstance(expr, Proposition):
        return [bool(set(expr.hedges) - {"not"})]
    if isinstance(expr, Not):
        return _hedged(expr.operand)
    return [h for e in expr.operands for h in _hedged(e)]


def skfuzzy_control_system(rule_base: FuzzyRuleBase) -> Any:
    """A `skfuzzy.control.ControlSystem` equal to `rule_base`: same universes, terms, rules, operators.

    Universes are `np.linspace(min, max, resolution)`, as ours; `and`/`or` nest to the left, as
    ours fold; a `not` hedge becomes `~`.
    """
    from skfuzzy import control as ctrl

    problem = skfuzzy_supports(rule_base)
    if problem:
        raise ValueError(problem)
    antecedents = {}
    for var in rule_base.inputs:
        antecedent = ctrl.Antecedent(var.universe(), var.name)
        for term in var.terms:
            antecedent[term.name] = term.membership(antecedent.universe)
        antecedents[var.name] = antecedent
    consequents = {}
    for var in rule_base.outputs:
        consequent = ctrl.Consequent(var.universe(), var.name, defuzzify_method=var.defuzzify)
        for term in var.terms:
            consequent[term.name] = term.membership(consequent.universe)
        consequents[var.name] = consequent

    and_func = np.fmin if rule_base.operators.and_ == "min" else np.multiply
    or_func = np.fmax if rule_base.operators.or_ == "max" else _probor

    def build(expr: Expr) -> Any:
        if isinstance(expr, Proposition):
            term = antecedents[expr.variable][expr.term]
            for hedge in reversed(expr.hedges):
                if hedge != "not":
                    raise ValueError("scikit-fuzzy has no hedges")
                term = ~term
            return term
        if isinstance(expr, Not):
            return ~build(expr.operand)
        parts = [build(e) for e in expr.operands]
        if isinstance(expr, And):
            return reduce(lambda a, b: a & b, parts)
        assert isinstance(expr, Or)
        return reduce(lambda a, b: a | b, parts)

    rules = []
    for rule in rule_base.rules:
        outputs = [consequents[c.variable][c.term] % float(rule.weight) for c in rule.consequents]
        rules.append(ctrl.Rule(build(rule.antecedent), outputs[0] if len(outputs) == 1 else tuple(outputs),
                               label=rule.name, and_func=and_func, or_func=or_func))
    return ctrl.ControlSystem(rules)
