"""Fuzzy rule bases: expert-written fuzzy modules with scikit-fuzzy semantics, fast and explainable.

Read one (`read_fuzzy_yaml`, `read_fll`), evaluate it (`FuzzyEvaluator`), write it to FuzzyLite
(`to_fll`) or to YAML (`to_fuzzy_yaml`). The `fuzzy` node kind (composite.nodes.fuzzy) puts one in a
decision graph; `python -m composite.fuzzy.conformance DIR` checks FuzzyLite engines against their data.
"""

from __future__ import annotations

from composite.fuzzy.evaluate import BatchEvaluation, FuzzyEvaluator, RowEvaluation
from composite.fuzzy.evidence import FuzzyEvidence, render
from composite.fuzzy.fll import read_fll, to_fll
from composite.fuzzy.model import (
    And,
    Consequent,
    FuzzyRuleBase,
    InputVariable,
    Not,
    Operators,
    Or,
    OutputVariable,
    Proposition,
    Rule,
    Term,
    check_rule_base,
)
from composite.fuzzy.rules import RuleSyntaxError, parse_antecedent, parse_consequents
from composite.fuzzy.yamlformat import read_fuzzy_yaml, to_fuzzy_yaml

__all__ = [
    "And",
    "BatchEvaluation",
    "Consequent",
    "FuzzyEvaluator",
    "FuzzyEvidence",
    "FuzzyRuleBase",
    "InputVariable",
    "Not",
    "Operators",
    "Or",
    "OutputVariable",
    "Proposition",
    "RowEvaluation",
    "Rule",
    "RuleSyntaxError",
    "Term",
    "check_rule_base",
    "parse_antecedent",
    "parse_consequents",
    "read_fll",
    "read_fuzzy_yaml",
    "render",
    "to_fll",
    "to_fuzzy_yaml",
]
