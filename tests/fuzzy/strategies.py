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
TSK_METHODS = ("weighted_average", "weighted_sum")


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


FUZZYLITE_SHAPES = ("triangle", "trapezoid", "bell", "gaussian", "ramp", "cosine", "concave", "rectangle", "spike",
                    "arc", "binary", "semi_ellipse", "sigmoid_difference", "discrete", "pimf", "smf", "zmf")
MONOTONIC_SHAPES = ("ramp", "sigmf", "smf", "zmf", "concave", "arc")
ACTIVATIONS = ("general", "general", "first", "last 2", "highest", "lowest 2", "proportional", "threshold >= 0.3",
               "first 2 0.2")


@st.composite
def fuzzylite_terms(draw: st.DrawFn, lo: float, hi: float, name: str, shapes: tuple[str, ...]) -> Term:
    """One term of fuzzylite's own types, drawn inside (or a little beyond) [lo, hi]."""
    width = hi - lo
    shape = draw(st.sampled_from(shapes))
    point = st.floats(lo - 0.2 * width, hi + 0.2 * width).map(_round)
    two = draw(st.lists(point, min_size=2, max_size=2, unique=True))
    a, b = sorted(two)
    if shape == "triangle":
        params: tuple[float, ...] = tuple(sorted(draw(st.lists(point, min_size=3, max_size=3))))
    elif shape in ("trapezoid", "pimf"):
        params = tuple(sorted(draw(st.lists(point, min_size=4, max_size=4, unique=True))))
    elif shape == "bell":
        params = (draw(point), _round(draw(st.floats(0.1 * width, 0.5 * width))), draw(st.sampled_from([1.0, 2.5])))
    elif shape == "gaussian":
        params = (draw(point), _round(draw(st.floats(0.05 * width, 0.6 * width))))
    elif shape in ("cosine", "spike"):
        params = (draw(point), _round(draw(st.floats(0.1 * width, width))))
    elif shape == "binary":
        params = (draw(point), draw(st.sampled_from([math.inf, -math.inf])))
    elif shape in ("smf", "zmf"):
        params = (a, b)
    elif shape == "sigmf":
        params = (draw(point), draw(st.sampled_from([-12.0, -3.0, 3.0, 12.0])) / width)
    elif shape == "sigmoid_difference":
        params = (a, 10.0 / width, 10.0 / width, b)
    elif shape == "discrete":
        xs = sorted(draw(st.lists(point, min_size=2, max_size=5, unique=True)))
        ys = draw(st.lists(st.floats(0, 1).map(_round), min_size=len(xs), max_size=len(xs)))
        params = tuple(v for pair in zip(xs, ys) for v in pair)
    else:  # ramp, concave, rectangle, arc, semi_ellipse: two distinct points, either order
        params = tuple(two)
    return Term(name, shape, params)


@st.composite
def fuzzylite_rule_bases(draw: st.DrawFn) -> FuzzyRuleBase:
    """Hybrid systems with fuzzylite's terms, norms, hedges (any, and in consequents), rule blocks,
    activation methods, per-output aggregation, lock-range, and a Takagi-Sugeno or Tsukamoto output."""
    from composite.fuzzy.model import AGGREGATIONS, AND_OPERATORS, OR_OPERATORS

    inputs = []
    for i in range(draw(st.integers(1, 3))):
        lo = float(draw(st.integers(-5, 5)))
        hi = lo + float(draw(st.sampled_from([1, 4, 10])))
        made = tuple(draw(fuzzylite_terms(lo, hi, f"t{k}", FUZZYLITE_SHAPES)) for k in range(draw(st.integers(1, 3))))
        inputs.append(InputVariable(f"x{i}", lo, hi, made, resolution=draw(st.integers(3, 41))))
    mamdani = OutputVariable(
        "m", 0.0, 10.0, tuple(draw(fuzzylite_terms(0.0, 10.0, f"t{k}", FUZZYLITE_SHAPES)) for k in range(3)),
        resolution=draw(st.sampled_from([50, 200])), defuzzify=draw(st.sampled_from(MAMDANI_METHODS)),
        default=draw(st.sampled_from([math.nan, 5.0])), aggregation=draw(st.sampled_from((None, *AGGREGATIONS))),
        lock_range=draw(st.booleans()))
    if draw(st.booleans()):  # Tsukamoto: monotonic terms
        weighted_terms = tuple(draw(fuzzylite_terms(0.0, 1.0, f"w{k}", MONOTONIC_SHAPES)) for k in range(2))
    else:
        coefficient = st.floats(-3, 3).map(_round)
        weighted_terms = (Term("w0", "constant", (draw(coefficient),)),
                          Term("w1", "linear", tuple(draw(coefficient) for _ in range(len(inputs) + 1))),
                          Term("w2", "function", (), formula=f"x0 * {draw(coefficient)} + x"))
    weighted = OutputVariable("w", 0.0, 1.0, weighted_terms, defuzzify=draw(st.sampled_from(TSK_METHODS)),
                              aggregation=draw(st.sampled_from((None, "sum", "max"))), lock_range=draw(st.booleans()))
    chained = draw(st.booleans())  # chained rules take every rule: general activation only
    blocks = tuple(
        Operators(and_=draw(st.sampled_from(AND_OPERATORS)), or_=draw(st.sampled_from(OR_OPERATORS)),
                  implication=draw(st.sampled_from(AND_OPERATORS)),
                  activation="general" if chained else draw(st.sampled_from(ACTIVATIONS)))
        for _ in range(draw(st.integers(1, 2))))
    hedged = st.sampled_from([(), (), ("very",), ("somewhat",), ("not",), ("extremely",), ("seldom",)])
    rules = []
    for r in range(draw(st.integers(1, 6))):
        targets = draw(st.lists(st.sampled_from((mamdani, weighted)), min_size=1, max_size=2,
                                unique_by=lambda v: v.name))
        consequents = tuple(Consequent(v.name, draw(st.sampled_from(v.terms)).name, draw(hedged)) for v in targets)
        antecedent = draw(antecedents(tuple(inputs), hedges=True))
        if draw(st.integers(0, 5)) == 0:
            antecedent = And((antecedent, Proposition(inputs[0].name, "", draw(st.sampled_from([("any",),
                                                                                              ("not", "any")])))))
        rules.append(Rule(f"r{r}", antecedent, consequents, draw(st.sampled_from([1.0, 0.5])),
                          block=draw(st.integers(0, len(blocks) - 1))))
    rules.sort(key=lambda rule: rule.block)  # FuzzyLite runs block by block
    if chained:
        # chained: a last rule reads what an earlier one wrote to an output's term
        read = draw(st.sampled_from([c for rule in rules for c in rule.consequents]))
        other = weighted if read.variable == mamdani.name else mamdani
        rules.append(Rule("chained", Proposition(read.variable, read.term, draw(hedged)),
                          (Consequent(other.name, draw(st.sampled_from(other.terms)).name),),
                          block=len(blocks) - 1))
    rule_base = FuzzyRuleBase("random", tuple(inputs), (mamdani, weighted), tuple(rules), blocks[0], kind="hybrid",
                              numerics="fuzzylite", blocks=blocks if len(blocks) > 1 else ())
    problems = check_rule_base(rule_base)
    assert not problems, problems
    return rule_base
