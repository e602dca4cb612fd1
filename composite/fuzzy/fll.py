"""FuzzyLite Language (.fll) import and export, so rule bases move both ways with fuzzylite.

What FLL cannot say travels in comments fuzzylite ignores: `#@ name: strained` before a rule,
`#@ resolution: 11` and `#@ out-of-range: reject` in a variable, `#@ numerics: skfuzzy` in
the engine. Imported engines use fuzzylite numerics unless such a comment says otherwise.
Inputs outside their range are clipped (and flagged) whatever `lock-range` says: composite
never evaluates a term beyond the range its author drew it on.
"""

from __future__ import annotations

import math
import re
from typing import Any

from composite._files import check_utf8
from composite.errors import Problem, ProjectError
from composite.fuzzy.model import (
    And,
    Expr,
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
    parse_activation,
)
from composite.fuzzy.rules import RuleSyntaxError, format_antecedent, format_consequents, parse_fll_rule

__all__ = ["read_fll", "to_fll"]

FLL_INPUT_RESOLUTION = 1001  # samples of an input's range, used only by the skfuzzy numerics
FLL_DEFAULT_RESOLUTION = 1000  # fuzzylite's IntegralDefuzzifier default

# FLL term type -> (our shape, number of parameters, order of our parameters in FLL's)
_IMPORT_TERMS: dict[str, tuple[str, int, tuple[int, ...]]] = {
    "Triangle": ("triangle", 3, (0, 1, 2)),
    "Trapezoid": ("trapezoid", 4, (0, 1, 2, 3)),
    "Bell": ("bell", 3, (0, 1, 2)),
    "Gaussian": ("gaussian", 2, (0, 1)),
    "GaussianProduct": ("gauss2mf", 4, (0, 1, 2, 3)),
    "Sigmoid": ("sigmf", 2, (0, 1)),
    "SigmoidDifference": ("sigmoid_difference", 4, (0, 1, 2, 3)),  # |sigmf(left, rising) - sigmf(right, falling)|
    "SigmoidProduct": ("psigmf", 4, (0, 1, 3, 2)),  # left rising falling right -> b1 c1 b2 c2
    "SShape": ("smf", 2, (0, 1)),
    "ZShape": ("zmf", 2, (0, 1)),
    "PiShape": ("pimf", 4, (0, 1, 2, 3)),
    "Ramp": ("ramp", 2, (0, 1)),
    "Cosine": ("cosine", 2, (0, 1)),
    "Concave": ("concave", 2, (0, 1)),
    "Rectangle": ("rectangle", 2, (0, 1)),
    "Spike": ("spike", 2, (0, 1)),
    "Arc": ("arc", 2, (0, 1)),
    "Binary": ("binary", 2, (0, 1)),
    "SemiEllipse": ("semi_ellipse", 2, (0, 1)),
}

# our shape -> (FLL type, order of FLL's parameters in ours)
_EXPORT_TERMS: dict[str, tuple[str, tuple[int, ...]]] = {
    "trimf": ("Triangle", (0, 1, 2)),
    "triangle": ("Triangle", (0, 1, 2)),
    "trapmf": ("Trapezoid", (0, 1, 2, 3)),
    "trapezoid": ("Trapezoid", (0, 1, 2, 3)),
    "gaussmf": ("Gaussian", (0, 1)),
    "gaussian": ("Gaussian", (0, 1)),
    "gbellmf": ("Bell", (2, 0, 1)),  # a b c (width slope centre) -> centre width slope
    "bell": ("Bell", (0, 1, 2)),
    "gauss2mf": ("GaussianProduct", (0, 1, 2, 3)),
    "sigmf": ("Sigmoid", (0, 1)),
    "dsigmf": ("SigmoidDifference", (0, 1, 3, 2)),
    "psigmf": ("SigmoidProduct", (0, 1, 3, 2)),
    "smf": ("SShape", (0, 1)),
    "zmf": ("ZShape", (0, 1)),
    "pimf": ("PiShape", (0, 1, 2, 3)),
    "sigmoid_difference": ("SigmoidDifference", (0, 1, 2, 3)),
    "ramp": ("Ramp", (0, 1)),
    "cosine": ("Cosine", (0, 1)),
    "concave": ("Concave", (0, 1)),
    "rectangle": ("Rectangle", (0, 1)),
    "spike": ("Spike", (0, 1)),
    "arc": ("Arc", (0, 1)),
    "binary": ("Binary", (0, 1)),
    "semi_ellipse": ("SemiEllipse", (0, 1)),
}

_AND = {"Minimum": "min", "AlgebraicProduct": "product", "BoundedDifference": "bounded_difference",
        "DrasticProduct": "drastic_product", "EinsteinProduct": "einstein_product",
        "HamacherProduct": "hamacher_product", "NilpotentMinimum": "nilpotent_min"}
_OR = {"Maximum": "max", "AlgebraicSum": "probor", "BoundedSum": "bounded_sum", "DrasticSum": "drastic_sum",
       "EinsteinSum": "einstein_sum", "HamacherSum": "hamacher_sum", "NilpotentMaximum": "nilpotent_max",
       "NormalizedSum": "normalized_sum", "UnboundedSum": "sum"}
_IMPLICATION = _AND
_AGGREGATION = _OR
_DEFUZZIFIERS = {"Centroid": "centroid", "Bisector": "bisector", "MeanOfMaximum": "mom",
                 "SmallestOfMaximum": "som", "LargestOfMaximum": "lom", "WeightedAverage": "weighted_average",
                 "WeightedSum": "weighted_sum"}
_WEIGHTED_TYPES = ("Automatic", "TakagiSugeno", "Tsukamoto")
_ACTIVATIONS = ("General", "First", "Last", "Highest", "Lowest", "Proportional", "Threshold")


def _reverse(mapping: dict[str, str]) -> dict[str, str]:
    return {ours: theirs for theirs, ours in mapping.items()}


class _Section:
    def __init__(self, kind: str, name: str, line: int) -> None:
        self.kind = kind
        self.name = name
        self.line = line
        self.entries: list[tuple[str, str, int, dict[str, str]]] = []  # key, value, line, pending #@ notes
        self.notes: dict[str, str] = {}


def _sections(text: str, file: str) -> tuple[list[_Section], list[Problem]]:
    sections: list[_Section] = []
    problems: list[Problem] = []
    pending: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        note = re.match(r"\s*#@\s*([\w-]+)\s*:\s*(.*?)\s*$", raw)
        if note:
            pending[note.group(1)] = note.group(2)
            continue
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        value = value.strip()
        if not sep:
            problems.append(Problem("fll_syntax", f"expected 'key: value', got '{line}'", file=file, line=number))
            continue
        if key in ("Engine", "InputVariable", "OutputVariable", "RuleBlock"):
            # notes belong to the section they follow (ours are written right under its header)
            (sections[-1] if sections else _Section(key, value, number)).notes.update(pending)
            section = _Section(key, value, number)
            if not sections:
                section.notes.update(pending)
            pending = {}
            sections.append(section)
            continue
        if not sections:
            problems.append(Problem("fll_syntax", f"'{key}' before any Engine:, InputVariable:, OutputVariable: or "
                                    "RuleBlock:", file=file, line=number))
            continue
        if key != "rule" and pending:
            sections[-1].notes.update(pending)
            pending = {}
        sections[-1].entries.append((key, value, number, pending))
        pending = {}
    return sections, problems


class _Importer:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, message: str, line: int | None, field: str | None = None, code: str = "fll") -> None:
        self.problems.append(Problem(code, message, file=self.file, line=line, field=field))

    def number(self, text: str, line: int, what: str) -> float:
        try:
            return float(text)
        except ValueError:
            self.problem(f"{what} must be a number, got '{text}'", line)
            return math.nan

    def flag(self, text: str, line: int, what: str) -> bool:
        if text.lower() not in ("true", "false"):
            self.problem(f"{what} must be true or false, got '{text}'", line)
        return text.lower() == "true"

    def term(self, text: str, line: int, variable: str) -> Term | None:
        parts = text.split()
        if len(parts) < 2:
            self.problem(f"term must be 'name Type parameters...', got '{text}'", line, f"{variable}.term")
            return None
        name, kind = parts[0], parts[1]
        if kind == "Function":
            formula = text.split(None, 2)[2] if len(parts) > 2 else ""
            return Term(name, "function", (), line=line, formula=formula)
        values = [self.number(p, line, "term parameter") for p in parts[2:]]
        if kind == "Discrete":
            height = values.pop() if len(values) % 2 else 1.0
            return Term(name, "discrete", tuple(values), height=height, line=line)
        if kind == "Constant":
            if len(values) != 1:
                self.problem(f"Constant takes one value, got {len(values)}", line, f"{variable}.{name}")
                return None
            return Term(name, "constant", tuple(values), line=line)
        if kind == "Linear":
            return Term(name, "linear", tuple(values), line=line)
        if kind not in _IMPORT_TERMS:
            known = ", ".join(sorted([*_IMPORT_TERMS, "Constant", "Linear", "Discrete", "Function"]))
            self.problem(f"term type '{kind}' is not supported; supported: {known}", line, f"{variable}.{name}",
                         code="fll_unsupported")
            return None
        shape, count, order = _IMPORT_TERMS[kind]
        if len(values) not in (count, count + 1):
            self.problem(f"{kind} takes {count} parameters (and an optional height), got {len(values)}", line,
                         f"{variable}.{name}")
            return None
        height = values[count] if len(values) == count + 1 else 1.0
        return Term(name, shape, tuple(values[i] for i in order), height=height, line=line)

    def choose(self, text: str, table: dict[str, str], line: int, what: str, none: str) -> str:
        if text in ("", "none"):
            return none
        if text not in table:
            self.problem(f"{what} '{text}' is not supported; supported: {', '.join(table)}", line,
                         code="fll_unsupported")
            return none
        return table[text]

    def variable(self, section: _Section) -> tuple[dict[str, Any], list[Term]]:
        fields: dict[str, Any] = {"name": section.name, "line": section.line, "description": ""}
        terms: list[Term] = []
        if not section.name:
            self.problem(f"{section.kind} needs a name", section.line)
        for key, value, line, _ in section.entries:
            if key == "description":
                fields["description"] = value
            elif key == "enabled":
                if not self.flag(value, line, "enabled"):
                    self.problem(f"disabled variable '{section.name}' is not supported", line, code="fll_unsupported")
            elif key == "range":
                parts = value.split()
                if len(parts) != 2:
                    self.problem(f"range must be two numbers, got '{value}'", line, f"{section.name}.range")
                else:
                    fields["lo"] = self.number(parts[0], line, "range minimum")
                    fields["hi"] = self.number(parts[1], line, "range maximum")
            elif key == "lock-range":
                # inputs: we never extrapolate, outside the range is clipped whatever it says
                fields["lock_range"] = self.flag(value, line, "lock-range")
            elif key == "term":
                term = self.term(value, line, section.name)
                if term is not None:
                    # FuzzyLite resolves a term's name to its last declaration (MATLAB exports repeat
                    # names, e.g. juggler's out1mf): the earlier ones no rule can reach are dropped
                    terms = [t for t in terms if t.name != term.name]
                    terms.append(term)
            elif section.kind == "OutputVariable" and key in ("aggregation", "defuzzifier", "default",
                                                             "lock-previous", "lock-valid"):
                fields[key] = (value, line)
            else:
                self.problem(f"unknown key '{key}' in {section.kind}", line, code="fll_syntax")
        if "lo" not in fields:
            self.problem(f"{section.kind} '{section.name}' has no range", section.line)
            fields["lo"], fields["hi"] = math.nan, math.nan
        return fields, terms


def read_fll(text: str | bytes, *, file: str) -> FuzzyRuleBase:
    """Read a FuzzyLite Language engine into a checked `FuzzyRuleBase` (fuzzylite numerics)."""
    if isinstance(text, bytes):
        text = check_utf8(text, file=file).lstrip("\ufeff")
    sections, problems = _sections(text, file)
    importer = _Importer(file)
    importer.problems.extend(problems)
    engine = next((s for s in sections if s.kind == "Engine"), None)
    name = engine.name if engine and engine.name else file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    description = ""
    numerics = "fuzzylite"
    if engine is not None:
        numerics = engine.notes.get("numerics", numerics)
        for key, value, line, _ in engine.entries:
            if key == "description":
                description = value
            else:
                importer.problem(f"unknown key '{key}' in Engine", line, code="fll_syntax")
    inputs: list[InputVariable] = []
    outputs: list[OutputVariable] = []
    aggregations: list[tuple[str, int]] = []
    kinds: set[str] = set()
    for section in sections:
        if section.kind == "InputVariable":
            fields, terms = importer.variable(section)
            inputs.append(InputVariable(
                name=fields["name"], lo=fields["lo"], hi=fields["hi"], terms=tuple(terms),
                resolution=_int(section.notes.get("resolution"), FLL_INPUT_RESOLUTION),
                description=fields["description"], line=fields["line"],
                out_of_range=section.notes.get("out-of-range", "clip")))
        elif section.kind == "OutputVariable":
            fields, terms = importer.variable(section)
            method, resolution = "centroid", FLL_DEFAULT_RESOLUTION
            if "defuzzifier" in fields:
                value, line = fields["defuzzifier"]
                parts = value.split()
                method = importer.choose(parts[0] if parts else "", _DEFUZZIFIERS, line, "defuzzifier", "centroid")
                if method in ("weighted_average", "weighted_sum"):
                    # the type follows from the terms: constant/linear/function or monotonic (Tsukamoto)
                    if len(parts) > 1 and parts[1] not in _WEIGHTED_TYPES:
                        importer.problem(f"{parts[0]} type '{parts[1]}' is unknown; known: "
                                         f"{', '.join(_WEIGHTED_TYPES)}", line, code="fll_syntax")
                elif len(parts) > 1:
                    resolution = _int(parts[1], FLL_DEFAULT_RESOLUTION)
            weighted = method in ("weighted_average", "weighted_sum")
            kinds.add("takagi_sugeno" if weighted else "mamdani")
            resolution = _int(section.notes.get("resolution"), resolution)
            default = math.nan
            if "default" in fields:
                default = importer.number(fields["default"][0], fields["default"][1], "default")
            own_aggregation: str | None = None
            if "aggregation" in fields:
                value, line = fields["aggregation"]
                own_aggregation = importer.choose(value, _AGGREGATION, line, "aggregation", "") or None
                if not weighted:
                    aggregations.append(own_aggregation or "max")
            lock_previous = False
            if "lock-previous" in fields:
                lock_previous = importer.flag(fields["lock-previous"][0], fields["lock-previous"][1], "lock-previous")
            outputs.append(OutputVariable(
                name=fields["name"], lo=fields["lo"], hi=fields["hi"], terms=tuple(terms), resolution=resolution,
                description=fields["description"], line=fields["line"], defuzzify=method, default=default,
                aggregation=own_aggregation, lock_previous=lock_previous, lock_range=fields.get("lock_range", False)))
    kind = "hybrid" if len(kinds) > 1 else "takagi_sugeno" if kinds == {"takagi_sugeno"} else "mamdani"
    aggregation = aggregations[0] if aggregations else "max"  # the rule base's; each output keeps its own
    rules: list[Rule] = []
    blocks: list[Operators] = []
    for section in (s for s in sections if s.kind == "RuleBlock"):
        block = {"conjunction": "min", "disjunction": "max", "implication": "min", "activation": "general"}
        for key, value, line, notes in section.entries:
            if key == "conjunction":
                block[key] = importer.choose(value, _AND, line, "conjunction", "min")
            elif key == "disjunction":
                block[key] = importer.choose(value, _OR, line, "disjunction", "max")
            elif key == "implication":
                block[key] = importer.choose(value, _IMPLICATION, line, "implication", "min")
            elif key == "activation":
                words = value.split()
                if words and words[0] not in _ACTIVATIONS and words[0] != "none":
                    importer.problem(f"activation '{value}' is not supported; supported: {', '.join(_ACTIVATIONS)}",
                                     line, code="fll_unsupported")
                elif words and words[0] != "none":
                    text = " ".join([words[0].lower(), *words[1:]])
                    try:
                        parse_activation(text)
                        block["activation"] = text
                    except ValueError as exc:
                        importer.problem(str(exc), line, code="fll_syntax")
            elif key == "enabled":
                if not importer.flag(value, line, "enabled"):
                    importer.problem("a disabled rule block is not supported", line, code="fll_unsupported")
            elif key == "description":
                pass
            elif key == "rule":
                try:
                    antecedent, consequents, weight = parse_fll_rule(value)
                except RuleSyntaxError as exc:
                    importer.problem(f"{exc.message} (column {exc.column} of the rule)", line,
                                     code="fuzzy_rule_syntax")
                    continue
                rule_name = notes.get("name") or f"rule_{len(rules) + 1}"
                rules.append(Rule(rule_name, antecedent, consequents, weight, value, line, block=len(blocks)))
            else:
                importer.problem(f"unknown key '{key}' in RuleBlock", line, code="fll_syntax")
        blocks.append(Operators(block["conjunction"], block["disjunction"], block["implication"], aggregation,
                                line=section.line, activation=block["activation"]))
    # one block: its operators are the rule base's; several: each rule keeps its block's
    operators = blocks[0] if blocks else Operators(aggregation=aggregation)
    rule_base = FuzzyRuleBase(
        name=name, inputs=tuple(inputs), outputs=tuple(outputs), rules=tuple(rules),
        operators=operators, kind=kind, description=description,
        numerics=numerics, source=file, blocks=tuple(blocks) if len(blocks) > 1 else ())
    all_problems = importer.problems + check_rule_base(rule_base)
    if all_problems:
        raise ProjectError(f"{file}: {len(all_problems)} problem(s) in the FuzzyLite engine", problems=all_problems)
    return rule_base


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# -- export ------------------------------------------------------------------------------------


def _num(value: float) -> str:
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:.3f}"
    return repr(value)


# (and, or) pairs for which not(a and b) == (not a) or (not b) holds exactly
_DUALS = {("min", "max"), ("product", "probor")}


def _negates_group(expr: Expr) -> bool:
    if isinstance(expr, Not):
        return not isinstance(expr.operand, Proposition) or _negates_group(expr.operand)
    if isinstance(expr, Proposition):
        return False
    return any(_negates_group(e) for e in expr.operands)


def _negated(expr: Expr) -> Expr:
    """not(expr) in a form FLL can write: `not` only as a hedge (De Morgan for groups)."""
    if isinstance(expr, Proposition):
        return Proposition(expr.variable, expr.term, ("not", *expr.hedges))
    if isinstance(expr, Not):
        if isinstance(expr.operand, Proposition):
            # `not not` as two hedges computes 1 - (1 - d) as the original does; dropping both would
            # differ in the last bits, which a sliver of a term can magnify into a visible change
            return _negated(_negated(expr.operand))
        return _fll_form(expr.operand)
    if isinstance(expr, And):
        return Or(tuple(_negated(e) for e in expr.operands))
    return And(tuple(_negated(e) for e in expr.operands))


def _fll_form(expr: Expr) -> Expr:
    if isinstance(expr, Proposition):
        return expr
    if isinstance(expr, Not):
        return _negated(expr.operand)
    operands = tuple(_fll_form(e) for e in expr.operands)
    return And(operands) if isinstance(expr, And) else Or(operands)


def _term_line(term: Term) -> str:
    if term.shape == "constant":
        return f"  term: {term.name} Constant {_num(term.params[0])}"
    if term.shape == "linear":
        return f"  term: {term.name} Linear {' '.join(_num(p) for p in term.params)}"
    if term.shape == "function":
        return f"  term: {term.name} Function {term.formula}"
    if term.shape == "discrete":
        kind, values = "Discrete", list(term.params)
    else:
        kind, order = _EXPORT_TERMS[term.shape]
        values = [term.params[i] for i in order]
    if term.height != 1.0:
        values.append(term.height)
    return f"  term: {term.name} {kind} {' '.join(_num(v) for v in values)}"


def to_fll(rule_base: FuzzyRuleBase) -> str:
    """The rule base in the FuzzyLite Language.

    Groups under `not` are rewritten with De Morgan's laws (FLL has `not` only as a hedge). That
    is exact only when `and` and `or` are duals (min with max, product with probabilistic or);
    for any other pair the rule cannot be written in FLL, and this raises a ProjectError naming it.
    """
    ops = rule_base.operators
    if (ops.and_, ops.or_) not in _DUALS:
        for rule in rule_base.rules:
            if _negates_group(rule.antecedent):
                raise ProjectError(
                    f"rule '{rule.name}' negates a group, which FLL can only write by De Morgan's laws, and "
                    f"and={ops.and_} with or={ops.or_} are not duals (use min/max or product/probor)",
                    code="fll_export_not_group", line=rule.line, field=f"rules.{rule.name}")
    lines = [f"Engine: {rule_base.name}"]
    if rule_base.description:
        lines.append(f"  description: {_one_line(rule_base.description)}")
    # A rule base that names no numerics runs with scikit-fuzzy's (see FuzzyNode); say so, or
    # the exported engine would read back with fuzzylite's and give slightly different numbers.
    numerics = rule_base.numerics or "skfuzzy"
    if numerics != "fuzzylite":
        lines.append(f"#@ numerics: {numerics}")
    for var in rule_base.inputs:
        lines.append(f"InputVariable: {var.name}")
        lines.append(f"#@ resolution: {var.resolution}")
        if var.out_of_range != "clip":
            lines.append(f"#@ out-of-range: {var.out_of_range}")
        if var.description:
            lines.append(f"  description: {_one_line(var.description)}")
        lines += ["  enabled: true", f"  range: {_num(var.lo)} {_num(var.hi)}", "  lock-range: true"]
        lines += [_term_line(term) for term in var.terms]
    takagi = rule_base.kind == "takagi_sugeno"
    for var in rule_base.outputs:
        lines.append(f"OutputVariable: {var.name}")
        if var.description:
            lines.append(f"  description: {_one_line(var.description)}")
        lines += ["  enabled: true", f"  range: {_num(var.lo)} {_num(var.hi)}",
                  f"  lock-range: {'true' if var.lock_range else 'false'}"]
        method = _reverse(_DEFUZZIFIERS)[var.defuzzify]
        if var.weighted:
            # FuzzyLite infers Takagi-Sugeno or Tsukamoto from the terms unless told
            kind = " TakagiSugeno" if all(t.is_function for t in var.terms) else ""
            aggregation = _reverse(_AGGREGATION)[var.aggregation] if var.aggregation else "none"
            lines += [f"  aggregation: {aggregation}", f"  defuzzifier: {method}{kind}"]
        else:
            lines += [f"  aggregation: {_reverse(_AGGREGATION)[var.aggregation or ops.aggregation]}",
                      f"  defuzzifier: {method} {var.resolution}"]
        lines += [f"  default: {_num(var.default)}", f"  lock-previous: {'true' if var.lock_previous else 'false'}"]
        lines += [_term_line(term) for term in var.terms]
    blocks = rule_base.blocks or (ops,)
    for index, block in enumerate(blocks):
        lines += [
            f"RuleBlock: {'rules' if len(blocks) == 1 else f'block_{index + 1}'}",
            "  enabled: true",
            f"  conjunction: {_reverse(_AND)[block.and_]}",
            f"  disjunction: {_reverse(_OR)[block.or_]}",
            f"  implication: {'none' if takagi else _reverse(_IMPLICATION)[block.implication]}",
            f"  activation: {_activation(block.activation)}",
        ]
        lines += _rule_lines([r for r in rule_base.rules if len(blocks) == 1 or r.block == index])
    return "\n".join(lines) + "\n"


def _activation(text: str) -> str:
    """Ours (`first 1 0`) in FLL (`First 1 0.000`)."""
    method, params = parse_activation(text)
    name = next(a for a in _ACTIVATIONS if a.lower() == method)
    return " ".join([name, *(p if isinstance(p, str) else str(p) if isinstance(p, int) else _num(p) for p in params)])


def _rule_lines(rules: list[Rule]) -> list[str]:
    lines = []
    for rule in rules:
        lines.append(f"#@ name: {rule.name}")
        text = f"if {format_antecedent(_fll_form(rule.antecedent))} then {format_consequents(rule.consequents)}"
        if rule.weight != 1.0:
            text += f" with {_num(rule.weight)}"
        lines.append(f"  rule: {text}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.replace("#", "").split())
