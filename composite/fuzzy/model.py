"""The fuzzy rule base as data: variables with terms, rules, operators; no evaluation here.

Both readers (`*.fuzzy.yaml` and FuzzyLite `.fll`) build a `FuzzyRuleBase`; `check_rule_base`
finds every inconsistency at once, located in the file it came from.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Mapping, Union

import numpy as np

from composite.errors import Problem
from composite.fuzzy.formula import Formula, FormulaError, parse_formula
from composite.fuzzy.membership import INVERSES, SHAPES

Numerics = Literal["skfuzzy", "fuzzylite"]
NUMERICS: tuple[str, ...] = ("skfuzzy", "fuzzylite")

# T-norms (and, implication) and S-norms (or, aggregation): fuzzylite's, under short names
AND_OPERATORS = ("min", "product", "bounded_difference", "drastic_product", "einstein_product", "hamacher_product",
                 "nilpotent_min")
OR_OPERATORS = ("max", "probor", "bounded_sum", "drastic_sum", "einstein_sum", "hamacher_sum", "nilpotent_max",
                "normalized_sum", "sum")
IMPLICATIONS = AND_OPERATORS
AGGREGATIONS = OR_OPERATORS
DEFUZZIFIERS = ("centroid", "bisector", "mom", "som", "lom")
TSK_DEFUZZIFIERS = ("weighted_average", "weighted_sum")
HEDGES = ("not", "very", "somewhat", "extremely", "seldom", "any")
OUT_OF_RANGE = ("clip", "reject")
CONSEQUENT_SHAPES = ("constant", "linear", "function")  # Takagi-Sugeno output terms
KINDS = ("mamdani", "takagi_sugeno", "hybrid")

DEFAULT_RESOLUTION = 101
# Samples of one variable's universe: each rule's output is an array this long, so a typo such as
# `resolution: 1000000000` must be refused, not allocated (docs/limits.md).
MAX_RESOLUTION = 100_000


@dataclass(frozen=True)
class Term:
    """A linguistic term: a membership function (or, for Takagi-Sugeno outputs, a function).

    A `function` term is a formula of `x` and of the rule base's variables (FuzzyLite's Function).
    """

    name: str
    shape: str  # a key of membership.SHAPES, or "constant" / "linear" / "function"
    params: tuple[float, ...]
    height: float = 1.0
    line: int | None = None
    formula: str | None = None  # the text of a `function` term

    def membership(self, x: np.ndarray, variables: Mapping[str, Any] | None = None) -> np.ndarray:
        """Membership of every value in `x` (a 1-d float array); `variables` feed a formula's names."""
        x = np.asarray(x, dtype=np.float64)
        if self.shape == "function":
            y = np.broadcast_to(self.parsed().evaluate({**(variables or {}), "x": x}), x.shape)
        else:
            y = SHAPES[self.shape](x, self.params)
        return y if self.height == 1.0 else self.height * y

    def parsed(self) -> Formula:
        """The parsed formula of a `function` term (FormulaError if it does not parse)."""
        return _parsed(self.formula or "")

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The x at which a monotonic term reaches `y` (Tsukamoto's inference)."""
        return INVERSES[self.shape](np.asarray(y, dtype=np.float64), self.height, *self.params)

    @property
    def is_function(self) -> bool:
        return self.shape in CONSEQUENT_SHAPES

    @property
    def is_monotonic(self) -> bool:
        return self.shape in INVERSES


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Formula:
    return parse_formula(text)


@dataclass(frozen=True)
class Variable:
    name: str
    lo: float
    hi: float
    terms: tuple[Term, ...]
    resolution: int = DEFAULT_RESOLUTION  # number of samples of the universe
    description: str = ""
    line: int | None = None

    def term(self, name: str) -> Term | None:
        for term in self.terms:
            if term.name == name:
                return term
        return None

    @property
    def term_names(self) -> tuple[str, ...]:
        return tuple(term.name for term in self.terms)

    def universe(self) -> np.ndarray:
        """The discretised universe scikit-fuzzy works on: `resolution` evenly spaced points."""
        return np.linspace(self.lo, self.hi, self.resolution)


@dataclass(frozen=True)
class InputVariable(Variable):
    out_of_range: str = "clip"  # clip (and flag it) or reject the request


@dataclass(frozen=True)
class OutputVariable(Variable):
    defuzzify: str = "centroid"
    default: float = math.nan  # used, and flagged, when no rule fires
    aggregation: str | None = None  # None: the rule base's; a weighted output groups a term's rules with it
    lock_previous: bool = False  # a batch row where no rule fires keeps the row before's value (FuzzyLite)
    lock_range: bool = False  # the value is clipped to the range

    @property
    def weighted(self) -> bool:
        """Takagi-Sugeno or Tsukamoto: a weighted average (or sum) of the rules' values."""
        return self.defuzzify in TSK_DEFUZZIFIERS


@dataclass(frozen=True)
class Operators:
    and_: str = "min"
    or_: str = "max"
    implication: str = "min"
    aggregation: str = "max"
    line: int | None = None  # where they were declared, for error messages
    activation: str = "general"  # which rules take effect: see ACTIVATIONS


# FuzzyLite's activation methods: which of a block's rules take effect, written as in
# `activation: highest 2` (name, then its parameters)
ACTIVATIONS = {
    "general": "every rule",
    "first": "the first n rules (default 1) whose strength is above 0 and at least a threshold (default 0)",
    "last": "the last n rules (default 1) whose strength is above 0 and at least a threshold (default 0)",
    "highest": "the n strongest rules (default 1) above 0",
    "lowest": "the n weakest rules (default 1) above 0",
    "proportional": "every rule above 0, its strength divided by the sum of their strengths",
    "threshold": "every rule whose strength compares to a value: threshold >= 0.5 (<, <=, ==, !=, >=, >)",
}
COMPARATORS = ("<", "<=", "==", "!=", ">=", ">")


def parse_activation(text: str) -> tuple[str, tuple[Any, ...]]:
    """`highest 2` -> ("highest", (2,)); ValueError saying what is wrong.

    >>> parse_activation("threshold >= 0.5")
    ('threshold', ('>=', 0.5))
    >>> parse_activation("first")
    ('first', (1, 0.0))
    """
    parts = text.split()
    name = parts[0].lower() if parts else "general"
    args = parts[1:]
    if name not in ACTIVATIONS:
        raise ValueError(f"activation '{text}' is unknown; known: {', '.join(ACTIVATIONS)}")
    try:
        if name in ("general", "proportional"):
            if args:
                raise ValueError
            return name, ()
        if name == "threshold" and not args:
            return name, (">", 0.0)  # fuzzylite's defaults
        if name in ("first", "last"):
            if len(args) > 2:
                raise ValueError
            count = int(args[0]) if args else 1
            threshold = float(args[1]) if len(args) > 1 else 0.0
            if count < 1:
                raise ValueError
            return name, (count, threshold)
        if name in ("highest", "lowest"):
            if len(args) > 1:
                raise ValueError
            count = int(args[0]) if args else 1
            if count < 1:
                raise ValueError
            return name, (count,)
        if len(args) != 2 or args[0] not in COMPARATORS:
            raise ValueError
        return name, (args[0], float(args[1]))
    except ValueError:
        raise ValueError(f"activation '{text}' does not parse: {name} takes {ACTIVATIONS[name]}") from None


# -- rule antecedents --------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposition:
    """`variable is [hedges] term`; hedges apply right to left (`very not good` = very(not(good)))."""

    variable: str
    term: str
    hedges: tuple[str, ...] = ()


@dataclass(frozen=True)
class Not:
    operand: "Expr"


@dataclass(frozen=True)
class And:
    operands: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    operands: tuple["Expr", ...]


Expr = Union[Proposition, Not, And, Or]


@dataclass(frozen=True)
class Consequent:
    variable: str
    term: str
    hedges: tuple[str, ...] = ()  # applied to the rule's strength, right to left


@dataclass(frozen=True)
class Rule:
    name: str
    antecedent: Expr
    consequents: tuple[Consequent, ...]
    weight: float = 1.0
    text: str = ""
    line: int | None = None
    # where the `if` text starts in its file, when it is written on one line: errors point into it
    if_at: tuple[int, int] | None = field(default=None, compare=False)
    block: int = 0  # its rule block (FuzzyLite): the index into FuzzyRuleBase.blocks


def propositions(expr: Expr) -> list[Proposition]:
    """Every `variable is term` in `expr`, left to right."""
    if isinstance(expr, Proposition):
        return [expr]
    if isinstance(expr, Not):
        return propositions(expr.operand)
    return [p for operand in expr.operands for p in propositions(operand)]


@dataclass(frozen=True)
class FuzzyRuleBase:
    """A complete fuzzy system: Mamdani or Takagi-Sugeno."""

    name: str
    inputs: tuple[InputVariable, ...]
    outputs: tuple[OutputVariable, ...]
    rules: tuple[Rule, ...]
    operators: Operators = field(default_factory=Operators)
    kind: str = "mamdani"  # or "takagi_sugeno", or "hybrid" (outputs of both kinds)
    description: str = ""
    numerics: str | None = None  # the numerics the author asks for; a node option may override
    source: str | None = None  # the file it was read from, for error messages
    # FuzzyLite rule blocks: the and, or and implication of each; empty: `operators` for every rule
    blocks: tuple[Operators, ...] = ()

    def operators_of(self, rule: Rule) -> Operators:
        """The operators a rule is evaluated with: its block's, else the rule base's."""
        return self.blocks[rule.block] if 0 <= rule.block < len(self.blocks) else self.operators

    def input(self, name: str) -> InputVariable | None:
        return next((v for v in self.inputs if v.name == name), None)

    def output(self, name: str) -> OutputVariable | None:
        return next((v for v in self.outputs if v.name == name), None)

    def variable(self, name: str) -> Variable | None:
        return self.input(name) or self.output(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.outputs)

    def summary(self) -> str:
        """One line for `composite graph`: "Mamdani, 9 rules, centroid"."""
        kind = {"mamdani": "Mamdani", "hybrid": "hybrid"}.get(self.kind, "Takagi-Sugeno")
        methods = sorted({o.defuzzify for o in self.outputs}) or ["-"]
        count = len(self.rules)
        return f"{kind}, {count} rule{'s' if count != 1 else ''}, {'/'.join(m.replace('_', ' ') for m in methods)}"


def check_rule_base(rb: FuzzyRuleBase) -> list[Problem]:
    """Every inconsistency of `rb`, each located at its line of `rb.source`."""
    problems: list[Problem] = []

    def problem(code: str, message: str, line: int | None, where: str, column: int | None = None) -> None:
        problems.append(Problem(code, message, file=rb.source, line=line, column=column, field=where))

    if rb.kind not in KINDS:
        problem("fuzzy_kind", f"kind must be mamdani, takagi_sugeno or hybrid, not '{rb.kind}'", None, "kind")
    if rb.numerics is not None and rb.numerics not in NUMERICS:
        problem("fuzzy_numerics", f"numerics must be one of {', '.join(NUMERICS)}, not '{rb.numerics}'", None,
                "numerics")
    if not rb.inputs:
        problem("fuzzy_no_inputs", "a fuzzy rule base needs at least one input variable", None, "inputs")
    if not rb.outputs:
        problem("fuzzy_no_outputs", "a fuzzy rule base needs at least one output variable", None, "outputs")
    names: dict[str, str] = {}
    for group, variables in (("inputs", rb.inputs), ("outputs", rb.outputs)):
        for var in variables:
            where = f"{group}.{var.name}"
            if var.name in names:
                problem("fuzzy_duplicate_variable", f"variable '{var.name}' is declared twice", var.line, where)
            names[var.name] = group
            # a weighted output's range only bounds lock-range: FuzzyLite's juggler leaves it [0, 0]
            empty_allowed = isinstance(var, OutputVariable) and var.weighted and var.lo == var.hi
            if not (math.isfinite(var.lo) and math.isfinite(var.hi)) or (var.lo >= var.hi and not empty_allowed):
                problem("fuzzy_range", f"range [{var.lo}, {var.hi}] of '{var.name}' must be finite with min < max",
                        var.line, f"{where}.range")
            if not isinstance(var.resolution, int) or not 2 <= var.resolution <= MAX_RESOLUTION:
                problem("fuzzy_resolution", f"resolution of '{var.name}' must be an integer from 2 to "
                        f"{MAX_RESOLUTION:,}, got {var.resolution!r}", var.line, f"{where}.resolution")
            # a Takagi-Sugeno input may have no terms: linear consequents read its value (FuzzyLite)
            if not var.terms and not (group == "inputs" and rb.kind != "mamdani"):
                problem("fuzzy_no_terms", f"variable '{var.name}' has no terms", var.line, f"{where}.terms")
            seen: set[str] = set()
            for term in var.terms:
                tw = f"{where}.terms.{term.name}"
                if term.name in seen:
                    problem("fuzzy_duplicate_term", f"term '{term.name}' of '{var.name}' is declared twice",
                            term.line, tw)
                seen.add(term.name)
                problems.extend(_term_problems(rb, var, term, group, tw))
            if isinstance(var, InputVariable) and var.out_of_range not in OUT_OF_RANGE:
                problem("fuzzy_out_of_range", f"out_of_range must be clip or reject, not '{var.out_of_range}'",
                        var.line, f"{where}.out_of_range")
            if isinstance(var, OutputVariable):
                allowed = {"takagi_sugeno": TSK_DEFUZZIFIERS, "mamdani": DEFUZZIFIERS}.get(
                    rb.kind, DEFUZZIFIERS + TSK_DEFUZZIFIERS)
                if var.aggregation is not None and var.aggregation not in AGGREGATIONS:
                    problem("fuzzy_operator", f"aggregation of '{var.name}' must be one of {', '.join(AGGREGATIONS)}, "
                            f"not '{var.aggregation}'", var.line, f"{where}.aggregation")
                if var.defuzzify not in allowed:
                    problem("fuzzy_defuzzify", f"defuzzify of '{var.name}' must be one of {', '.join(allowed)} "
                            f"for a {rb.kind.replace('_', '-')} system, not '{var.defuzzify}'", var.line,
                            f"{where}.defuzzify")
    chained = any(rb.input(p.variable) is None and rb.output(p.variable) is not None
                  for rule in rb.rules for p in propositions(rule.antecedent))
    for ops in (rb.operators, *rb.blocks):
        try:
            activation = parse_activation(ops.activation)[0]
        except ValueError as exc:
            problem("fuzzy_activation", str(exc), ops.line, "operators.activation")
            activation = "general"
        if activation != "general" and chained:
            problem("fuzzy_activation", f"activation '{ops.activation}' with rules that read outputs is not "
                    "supported; use general, or read inputs only", ops.line, "operators.activation")
        for key, value, allowed in (("and", ops.and_, AND_OPERATORS), ("or", ops.or_, OR_OPERATORS),
                                    ("implication", ops.implication, IMPLICATIONS),
                                    ("aggregation", ops.aggregation, AGGREGATIONS)):
            if value not in allowed:
                problem("fuzzy_operator", f"operator {key} must be one of {', '.join(allowed)}, not '{value}'",
                        ops.line, f"operators.{key}")
    written: set[str] = set()  # outputs some earlier rule writes: a later rule may read them (chained)
    rule_names: set[str] = set()
    for index, rule in enumerate(rb.rules):
        where = f"rules[{index}]"
        if rule.name in rule_names:
            problem("fuzzy_duplicate_rule", f"rule name '{rule.name}' is used twice", rule.line, f"{where}.name")
        rule_names.add(rule.name)
        if not (math.isfinite(rule.weight) and 0.0 <= rule.weight <= 1.0):
            problem("fuzzy_rule_weight", f"weight of rule '{rule.name}' must be between 0 and 1, not {rule.weight}",
                    rule.line, f"{where}.weight")
        for prop in propositions(rule.antecedent):
            var: Variable | None = rb.input(prop.variable)
            if var is None and prop.variable in written:
                var = rb.output(prop.variable)
            if var is None:
                close = difflib.get_close_matches(prop.variable, list(rb.input_names), n=1, cutoff=0.75)
                hint = " (it is an output no earlier rule writes)" if rb.output(prop.variable) else ""
                # Rules spelling a name one way and `inputs:` another: either may be the typo.
                known = (f"did you mean '{close[0]}'? (inputs: {', '.join(rb.input_names)}; or, if the rule is right, "
                         "correct the input's name under inputs:)") if close and not hint \
                    else f"inputs: {', '.join(rb.input_names)}"
                line, column = _in_condition(rule, prop.variable)
                problem("fuzzy_unknown_variable", f"rule '{rule.name}' reads '{prop.variable}', which is not an input"
                        f"{hint}; {known}", line, f"{where}.if", column)
            elif var.term(prop.term) is None and not (prop.hedges and prop.hedges[-1] == "any"):
                problem("fuzzy_unknown_term", f"rule '{rule.name}': '{prop.variable}' has no term '{prop.term}'; "
                        f"terms: {', '.join(var.term_names)}", rule.line, f"{where}.if")
            for hedge in prop.hedges:
                if hedge not in HEDGES:
                    problem("fuzzy_hedge", f"rule '{rule.name}': unknown hedge '{hedge}'", rule.line, f"{where}.if")
        if not rule.consequents:
            problem("fuzzy_no_consequent", f"rule '{rule.name}' has no consequent", rule.line, f"{where}.then")
        for cons in rule.consequents:
            written.add(cons.variable)
            for hedge in cons.hedges:
                if hedge not in HEDGES or hedge == "any":
                    problem("fuzzy_hedge", f"rule '{rule.name}': hedge '{hedge}' cannot modify a consequent",
                            rule.line, f"{where}.then")
            out = rb.output(cons.variable)
            if out is None:
                problem("fuzzy_unknown_variable", f"rule '{rule.name}' writes '{cons.variable}', which is not an "
                        f"output; outputs: {', '.join(rb.output_names)}", rule.line, f"{where}.then")
            elif out.term(cons.term) is None:
                problem("fuzzy_unknown_term", f"rule '{rule.name}': '{cons.variable}' has no term '{cons.term}'; "
                        f"terms: {', '.join(out.term_names)}", rule.line, f"{where}.then")
    return problems


def _in_condition(rule: Rule, name: str) -> tuple[int | None, int | None]:
    """(line, column) of `name` in the rule's `if` text, when the file position of that text is known."""
    if rule.if_at is None:
        return rule.line, None
    condition = rule.text[3:].split(" then ", 1)[0]  # `text` is "if <condition> then <consequents>"
    found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", condition)
    line, column = rule.if_at
    return line, (column + found.start()) if found else None


def _term_problems(rb: FuzzyRuleBase, var: Variable, term: Term, group: str, where: str) -> list[Problem]:
    def located(message: str, code: str = "fuzzy_term") -> list[Problem]:
        return [Problem(code, f"term '{term.name}' of '{var.name}': {message}", file=rb.source, line=term.line,
                        field=where)]

    takagi_output = isinstance(var, OutputVariable) and var.weighted
    if term.shape == "function":
        try:
            formula = term.parsed()
        except FormulaError as exc:
            return located(f"formula '{term.formula}': {exc.message} (column {exc.column})", "fuzzy_formula")
        unknown = sorted(formula.names - {"x"} - {v.name for v in (*rb.inputs, *rb.outputs)})
        if unknown:
            return located(f"formula '{term.formula}' reads {', '.join(unknown)}, which is neither x nor a variable; "
                           f"variables: {', '.join((*rb.input_names, *rb.output_names))}", "fuzzy_formula")
        if not takagi_output and formula.names - {"x"}:
            return located(f"formula '{term.formula}' reads {', '.join(sorted(formula.names - {'x'}))}: a membership "
                           "function (of an input or a Mamdani output) may read only x here", "fuzzy_formula")
        # FuzzyLite bounds no formula to [0, 1] (its own example dips below 0); nothing to check on a grid
        return []
    elif term.is_function:
        if not takagi_output:
            return located(f"'{term.shape}' terms are Takagi-Sugeno consequents; use a membership function here")
        if term.shape == "constant" and len(term.params) != 1:
            return located("constant takes one value")
        if term.shape == "linear" and len(term.params) not in (len(rb.inputs), len(rb.inputs) + 1):
            return located(f"linear takes one coefficient per input ({', '.join(rb.input_names)}) plus a constant: "
                           f"{len(rb.inputs) + 1} numbers, got {len(term.params)}")
        if not all(math.isfinite(p) for p in term.params):
            return located("coefficients must be finite numbers")
        return []
    elif takagi_output and not term.is_monotonic:
        return located("Takagi-Sugeno outputs take constant, linear or function terms, e.g. [constant, 5] or "
                       "[linear, 0.5, 1.2, 3]; Tsukamoto outputs take monotonic terms (ramp, sigmf, smf, zmf, "
                       "concave, arc)")
    shape = SHAPES.get(term.shape)
    if shape is None and term.shape != "function":
        known = ", ".join(sorted(SHAPES))
        return located(f"unknown membership function '{term.shape}'; known: {known}", "fuzzy_unknown_shape")
    message = shape.problem(term.params) if shape is not None else None
    if message:
        return located(message)
    if not (math.isfinite(term.height) and 0.0 < term.height <= 1.0):
        return located(f"height must be in (0, 1], not {term.height}")
    if math.isfinite(var.lo) and math.isfinite(var.hi) and var.lo < var.hi and 2 <= var.resolution <= MAX_RESOLUTION:
        with np.errstate(all="ignore"):
            grid = np.linspace(var.lo, var.hi, max(var.resolution, 1001))
            y = term.membership(grid)
        if not np.all(np.isfinite(y)):
            return located("its membership is not a number somewhere in the range; check the parameters")
        # scikit-fuzzy refuses memberships outside [0, 1] (with the same 1e-6 slack)
        if y.max() > 1.0 + 1e-6 or y.min() < -1e-6:
            return located(f"its membership leaves [0, 1] (from {y.min():.3g} to {y.max():.3g})")
    return []
