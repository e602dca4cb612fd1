"""Hypothesis strategies: random fuzzy rule bases and the inputs to feed them."""

from __future__ import annotations

import math

from hypothesis import strategies as st

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

MAMDANI_METHODS = ("centroid", "bisector", "mom", "som", "lom")


def _round(x: float) -> float:
    return round(x, 3)


@st.composite
def terms(draw: st.DrawFn, lo: float, hi: float, name: str, shapes: tuple[str, ...]) -> Term:
    width = hi - lo
    shape = draw(st.sampled_from(shapes))
    # vertices on the grid's neighbourhood or anywhere (also just outside the range)
    point = st.one_of(
        st.floats(lo - 0.3 * width, hi + 0.3 * width).map(_round),
        st.integers(0, 4).map(lambda i: lo + i * width / 4),
    )
    if shape in ("trimf", "triangle"):
        params = tuple(sorted(draw(st.lists(point, min_size=3, max_size=3))))
    elif shape in ("trapmf", "trapezoid"):
        params = tuple(sorted(draw(st.lists(point, min_size=4, max_size=4))))
    elif shape in ("gaussmf", "gaussian"):
        params = (draw(point), _round(draw(st.floats(0.05 * width, 0.6 * width))))
    elif shape in ("gbellmf",):
        params = (_round(draw(st.floats(0.1 * width, 0.5 * width))), draw(st.sampled_from([1.0, 2.0, 3.5])),
                  draw(point))
    else:  # smf / zmf
        a, b = sorted(draw(st.lists(point, min_size=2, max_size=2, unique=True)))
        params = (a, b)
    return Term(name, shape, params)


@st.composite
def variables(draw: st.DrawFn, name: str, cls: type, shapes: tuple[str, ...], **extra: object) -> object:
    lo = float(draw(st.integers(-10, 10)))
    width = float(draw(st.sampled_from([1, 2.5, 4, 10, 25])))
    hi = lo + width
    resolution = draw(st.integers(3, 41))
    count = draw(st.integers(1, 4))
    made = tuple(draw(terms(lo, hi, f"t{i}", shapes)) for i in range(count))
    return cls(name=name, lo=lo, hi=hi, terms=made, resolution=resolution, **extra)


@st.composite
def antecedents(draw: st.DrawFn, inputs: tuple[InputVariable, ...], depth: int = 2, *, hedges: bool = False) -> object:
    def leaf() -> Proposition:
        var = draw(st.sampled_from(inputs))
        term = draw(st.sampled_from(var.terms))
        choices = [(), ("not",)] + ([("very",), ("somewhat",), ("not", "very"), ("extremely",), ("seldom",)]
                                    if hedges else [])
        return Proposition(var.name, term.name, draw(st.sampled_from(choices)))

    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return leaf()
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        return Not(draw(antecedents(inputs, depth - 1, hedges=hedges)))
    parts = tuple(draw(antecedents(inputs, depth - 1, hedges=hedges)) for _ in range(draw(st.integers(2, 3))))
    return And(parts) if kind == "and" else Or(parts)


@st.composite
def mamdani_rule_bases(draw: st.DrawFn, *, skfuzzy_compatible: bool = True) -> FuzzyRuleBase:
    """Random Mamdani systems; skfuzzy-compatible ones use what skfuzzy.control supports."""
    shapes = ("trimf", "trapmf", "gaussmf") if skfuzzy_compatible else (
        "trimf", "trapmf", "gaussmf", "gbellmf", "smf", "zmf", "triangle", "trapezoid", "gaussian")
    n_inputs = draw(st.integers(1, 3))
    inputs = tuple(draw(variables(f"x{i}", InputVariable, shapes)) for i in range(n_inputs))
    n_outputs = draw(st.sampled_from([1, 1, 1, 2]))
    outputs = tuple(
        draw(variables(f"y{i}", OutputVariable, shapes, defuzzify=draw(st.sampled_from(MAMDANI_METHODS)),
                       default=draw(st.sampled_from([math.nan, 0.0, 42.5]))))
        for i in range(n_outputs)
    )
    rules = []
    for r in range(draw(st.integers(1, 6))):
        targets = draw(st.lists(st.sampled_from(outputs), min_size=1, max_size=len(outputs),
                                unique_by=lambda v: v.name))
        consequents = tuple(Consequent(v.name, draw(st.sampled_from(v.terms)).name) for v in targets)
        weight = draw(st.sampled_from([1.0, 1.0, 0.5, 0.8]))
        rules.append(Rule(f"r{r}", draw(antecedents(inputs, hedges=not skfuzzy_compatible)), consequents, weight))
    if skfuzzy_compatible:
        operators = Operators(and_=draw(st.sampled_from(["min", "product"])),
                              or_=draw(st.sampled_from(["max", "probor"])))
    else:
        operators = Operators(
            and_=draw(st.sampled_from(["min", "product"])), or_=draw(st.sampled_from(["max", "probor"])),
            implication=draw(st.sampled_from(["min", "product"])),
            aggregation=draw(st.sampled_from(["max", "sum", "probor"])))
    rule_base = FuzzyRuleBase("random", inputs, outputs, tuple(rules), operators)
    problems = check_rule_base(rule_base)
    assert not problems, problems
    return rule_base


@st.composite
def takagi_sugeno_rule_bases(draw: st.DrawFn) -> FuzzyRuleBase:
    n_inputs = draw(st.integers(1, 3))
    inputs = tuple(draw(variables(f"x{i}", InputVariable, ("trimf", "trapmf", "gaussmf"))) for i in range(n_inputs))
    coefficient = st.floats(-3, 3).map(_round)
    out_terms = []
    for i in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            out_terms.append(Term(f"c{i}", "constant", (draw(coefficient),)))
        else:
            out_terms.append(Term(f"c{i}", "linear", tuple(draw(coefficient) for _ in range(n_inputs + 1))))
    output = OutputVariable("y", -100.0, 100.0, tuple(out_terms), defuzzify="weighted_average",
                            default=draw(st.sampled_from([math.nan, 0.0])))
    rules = tuple(
        Rule(f"r{r}", draw(antecedents(inputs, hedges=True)), (Consequent("y", draw(st.sampled_from(out_terms)).name),),
             draw(st.sampled_from([1.0, 0.5])))
        for r in range(draw(st.integers(1, 5)))
    )
    rule_base = FuzzyRuleBase("tsk", inputs, (output,), rules, kind="takagi_sugeno")
    assert not check_rule_base(rule_base)
    return rule_base


def input_values(rule_base: FuzzyRuleBase) -> st.SearchStrategy[dict[str, float]]:
    """Inputs in (and a little beyond) each range, often on grid points and term vertices."""
    per_input = {}
    for var in rule_base.inputs:
        width = var.hi - var.lo
        special = [var.lo, var.hi] + [p for t in var.terms for p in t.params if var.lo <= p <= var.hi]
        grid = [var.lo + i * width / (var.resolution - 1) for i in range(var.resolution)]
        per_input[var.name] = st.one_of(
            st.floats(var.lo - 0.2 * width, var.hi + 0.2 * width),
            st.sampled_from(special + grid),
            st.floats(var.lo, var.hi).map(_round),
        )
    return st.fixed_dictionaries(per_input)
