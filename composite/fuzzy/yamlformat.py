"""Reader for `rules/*.fuzzy.yaml`: an expert-written fuzzy rule base, every error located.

    fuzzy: affordability
    inputs:
      instalment_rate_pct: {range: [1, 4], terms: {low: [trimf, 1, 1, 2.5], high: [trimf, 2, 4, 4]}}
    outputs:
      affordability: {range: [0, 100], terms: {...}, defuzzify: centroid, default: 50}
    operators: {and: min, or: max, implication: min, aggregation: max}
    rules:
      - {name: strained, if: instalment_rate_pct is high, then: affordability is poor, weight: 1.0}
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import yaml

from composite._yaml import LineDict, LineList, load_yaml
from composite.errors import Problem, ProjectError
from composite.fuzzy.model import (
    DEFAULT_RESOLUTION,
    MAX_RESOLUTION,
    FuzzyRuleBase,
    InputVariable,
    Operators,
    OutputVariable,
    Rule,
    Term,
    check_rule_base,
)
from composite.fuzzy.rules import RuleSyntaxError, format_antecedent, format_consequents, parse_antecedent, \
    parse_consequents

__all__ = ["read_fuzzy_yaml", "to_fuzzy_yaml"]

TOP_KEYS = ("fuzzy", "description", "kind", "numerics", "inputs", "outputs", "operators", "blocks", "rules")
INPUT_KEYS = ("range", "resolution", "terms", "out_of_range", "description")
OUTPUT_KEYS = ("range", "resolution", "terms", "defuzzify", "default", "description", "aggregation", "lock_previous",
               "lock_range")
OPERATOR_KEYS = {"and": "and_", "or": "or_", "implication": "implication", "aggregation": "aggregation",
                 "activation": "activation"}
BLOCK_KEYS = ("and", "or", "implication", "activation")
RULE_KEYS = ("name", "if", "then", "weight", "description", "block")


def _load(data: str | bytes, file: str) -> Any:
    return load_yaml(data, file=file)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, message: str, line: int | None, field: str, code: str = "fuzzy_yaml",
                column: int | None = None) -> None:
        self.problems.append(Problem(code, message, file=self.file, line=line, column=column, field=field))

    @staticmethod
    def line(mapping: Any, key: Any = None) -> int | None:
        if isinstance(mapping, (LineDict, LineList)):
            return mapping.line_of(key) if key is not None else mapping.line
        return None

    def mapping(self, value: Any, field: str, line: int | None, what: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(f"{what} must be a mapping", line, field)
            return None
        for key in value:
            if not isinstance(key, str):
                self.problem(f"key {key!r} must be a name; quote it if it is one", self.line(value, key), field)
        return value

    def unknown_keys(self, value: Mapping[str, Any], allowed: tuple[str, ...], field: str) -> None:
        for key in value:
            if isinstance(key, str) and key not in allowed:
                self.problem(f"unknown key '{key}'; allowed: {', '.join(allowed)}", self.line(value, key),
                             f"{field}.{key}" if field else key)

    def number(self, value: Any, field: str, line: int | None, what: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str) and value.strip().lower() in ("nan", ".nan"):
                return math.nan
            self.problem(f"{what} must be a number, got {value!r}", line, field)
            return None
        return float(value)

    def text(self, value: Any, field: str, line: int | None, what: str, default: str | None = None) -> str | None:
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            self.problem(f"{what} must be text, got {value!r}", line, field)
            return None
        return value

    # -- pieces ---------------------------------------------------------------------------------

    def terms(self, value: Any, field: str, line: int | None) -> tuple[Term, ...]:
        terms = self.mapping(value, field, line, "terms")
        if terms is None:
            return ()
        result = []
        for name, spec in terms.items():
            tline = self.line(terms, name)
            tfield = f"{field}.{name}"
            if not isinstance(spec, list) or not spec or not isinstance(spec[0], str):
                self.problem(f"term '{name}' must be a list: the function, then its parameters, "
                             "e.g. [trimf, 0, 5, 10]", tline, tfield)
                continue
            if spec[0] == "function":
                if len(spec) != 2 or not isinstance(spec[1], str):
                    self.problem(f"term '{name}' must be [function, \"<formula of x and the variables>\"], e.g. "
                                 "[function, \"1 / (1 + x^2)\"]", tline, tfield)
                    continue
                result.append(Term(str(name), "function", (), line=tline, formula=spec[1]))
                continue
            params = []
            for item in spec[1:]:
                number = self.number(item, tfield, tline, f"parameter of term '{name}'")
                if number is not None:
                    params.append(number)
            if len(params) == len(spec) - 1:
                result.append(Term(str(name), spec[0], tuple(params), line=tline))
        return tuple(result)

    def range(self, var: Mapping[str, Any], field: str) -> tuple[float, float]:
        value = var.get("range")
        line = self.line(var, "range")
        if not (isinstance(value, list) and len(value) == 2):
            self.problem("range must be [min, max]", line, f"{field}.range")
            return (math.nan, math.nan)
        lo = self.number(value[0], f"{field}.range", line, "range minimum")
        hi = self.number(value[1], f"{field}.range", line, "range maximum")
        return (lo if lo is not None else math.nan, hi if hi is not None else math.nan)

    def resolution(self, var: Mapping[str, Any], field: str) -> int:
        value = var.get("resolution", DEFAULT_RESOLUTION)
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_RESOLUTION:
            self.problem(f"resolution must be an integer from 2 to {MAX_RESOLUTION:,} (the number of samples of "
                         f"the range), got {value!r}", self.line(var, "resolution"), f"{field}.resolution")
            return DEFAULT_RESOLUTION
        return value

    def variables(self, document: Mapping[str, Any], group: str) -> list[tuple[str, Mapping[str, Any], int | None]]:
        block = document.get(group)
        if block is None:
            self.problem(f"missing '{group}:'", self.line(document), group)
            return []
        block = self.mapping(block, group, self.line(document, group), group)
        if block is None:
            return []
        result = []
        for name, var in block.items():
            line = self.line(block, name)
            var = self.mapping(var, f"{group}.{name}", line, f"variable '{name}'")
            if var is not None and isinstance(name, str):
                result.append((name, var, line))
        return result

    def inputs(self, document: Mapping[str, Any]) -> tuple[InputVariable, ...]:
        result = []
        for name, var, line in self.variables(document, "inputs"):
            field = f"inputs.{name}"
            self.unknown_keys(var, INPUT_KEYS, field)
            lo, hi = self.range(var, field)
            result.append(InputVariable(
                name=name, lo=lo, hi=hi,
                terms=self.terms(var.get("terms"), f"{field}.terms", self.line(var, "terms")),
                resolution=self.resolution(var, field),
                description=self.text(var.get("description"), f"{field}.description", self.line(var, "description"),
                                      "description", "") or "",
                line=line,
                out_of_range=self.text(var.get("out_of_range"), f"{field}.out_of_range",
                                       self.line(var, "out_of_range"), "out_of_range", "clip") or "clip",
            ))
        return tuple(result)

    def outputs(self, document: Mapping[str, Any], kind: str) -> tuple[OutputVariable, ...]:
        result = []
        default_method = "weighted_average" if kind == "takagi_sugeno" else "centroid"
        for name, var, line in self.variables(document, "outputs"):
            field = f"outputs.{name}"
            self.unknown_keys(var, OUTPUT_KEYS, field)
            lo, hi = self.range(var, field)
            default = var.get("default")
            default_value = math.nan if default is None else self.number(
                default, f"{field}.default", self.line(var, "default"), "default")
            result.append(OutputVariable(
                name=name, lo=lo, hi=hi,
                terms=self.terms(var.get("terms"), f"{field}.terms", self.line(var, "terms")),
                resolution=self.resolution(var, field),
                description=self.text(var.get("description"), f"{field}.description", self.line(var, "description"),
                                      "description", "") or "",
                line=line,
                defuzzify=self.text(var.get("defuzzify"), f"{field}.defuzzify", self.line(var, "defuzzify"),
                                    "defuzzify", default_method) or default_method,
                default=math.nan if default_value is None else default_value,
                aggregation=self.text(var["aggregation"], f"{field}.aggregation", self.line(var, "aggregation"),
                                      "aggregation") if var.get("aggregation") is not None else None,
                lock_previous=self.flag(var, "lock_previous", field),
                lock_range=self.flag(var, "lock_range", field),
            ))
        return tuple(result)

    def flag(self, var: Mapping[str, Any], key: str, field: str) -> bool:
        value = var.get(key, False)
        if not isinstance(value, bool):
            self.problem(f"{key} must be true or false, got {value!r}", self.line(var, key), f"{field}.{key}")
            return False
        return value

    def blocks(self, document: Mapping[str, Any], base: Operators) -> tuple[Operators, ...]:
        """FuzzyLite's rule blocks: `blocks: [{and: ..., or: ..., implication: ...}, ...]`; rules name theirs."""
        value = document.get("blocks")
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.problem("'blocks:' must be a list of {and, or, implication} mappings, one per rule block",
                         self.line(document, "blocks"), "blocks")
            return ()
        result = []
        for index, raw in enumerate(value):
            field = f"blocks[{index}]"
            spec = self.mapping(raw, field, self.line(value, index), "a rule block")
            if spec is None:
                result.append(base)
                continue
            self.unknown_keys(spec, BLOCK_KEYS, field)
            chosen = {}
            for key in BLOCK_KEYS:
                if key in spec:
                    text = self.text(spec[key], f"{field}.{key}", self.line(spec, key), f"operator '{key}'")
                    if text is not None:
                        chosen[OPERATOR_KEYS[key]] = text
            result.append(Operators(**{"and_": base.and_, "or_": base.or_, "implication": base.implication,
                                       "activation": base.activation, **chosen},
                                    aggregation=base.aggregation, line=self.line(value, index)))
        return tuple(result)

    def operators(self, document: Mapping[str, Any]) -> Operators:
        value = document.get("operators")
        if value is None:
            return Operators()
        ops = self.mapping(value, "operators", self.line(document, "operators"), "operators")
        if ops is None:
            return Operators()
        self.unknown_keys(ops, tuple(OPERATOR_KEYS), "operators")
        chosen = {}
        for key, attr in OPERATOR_KEYS.items():
            if key in ops:
                text = self.text(ops[key], f"operators.{key}", self.line(ops, key), f"operator '{key}'")
                if text is not None:
                    chosen[attr] = text
        return Operators(**chosen, line=self.line(document, "operators"))

    def rules(self, document: Mapping[str, Any], blocks: int = 0) -> tuple[Rule, ...]:
        value = document.get("rules")
        if not isinstance(value, list):
            self.problem("'rules:' must be a list of rules, each with name, if, then (and optional weight)",
                         self.line(document, "rules"), "rules")
            return ()
        result = []
        for index, raw in enumerate(value):
            field = f"rules[{index}]"
            line = self.line(value, index)
            spec = self.mapping(raw, field, line, "a rule")
            if spec is None:
                continue
            self.unknown_keys(spec, RULE_KEYS, field)
            name = spec.get("name", f"rule_{index + 1}")
            if not isinstance(name, str) or not name:
                self.problem("rule name must be text", self.line(spec, "name"), f"{field}.name")
                name = f"rule_{index + 1}"
            weight = self.number(spec.get("weight", 1.0), f"{field}.weight", self.line(spec, "weight"), "weight")
            condition = self.parse(spec, "if", field, name, parse_antecedent)
            consequents = self.parse(spec, "then", field, name, parse_consequents)
            if condition is None or consequents is None:
                continue
            text = f"if {spec['if']} then {spec['then']}"
            if_line, if_column = spec.position_of_value("if") if isinstance(spec, LineDict) else (None, None)
            if_at = (if_line, if_column) if if_line and if_column and "\n" not in spec["if"] else None
            block = spec.get("block", 0)
            if isinstance(block, bool) or not isinstance(block, int) or not 0 <= block < max(1, blocks):
                where = f"an index into 'blocks:', 0 to {blocks - 1}" if blocks else "0, as there is no 'blocks:'"
                self.problem(f"block of rule '{name}' must be {where}; got {block!r}", self.line(spec, "block"),
                             f"{field}.block")
                block = 0
            result.append(Rule(name, condition, consequents, 1.0 if weight is None else weight, text, line, if_at,
                               block=block))
        return tuple(result)

    def parse(self, spec: Mapping[str, Any], key: str, field: str, name: str, parser: Any) -> Any:
        if key not in spec:
            self.problem(f"rule '{name}' has no '{key}:'", self.line(spec), f"{field}.{key}")
            return None
        text = spec[key]
        line, column = (spec.position_of_value(key) if isinstance(spec, LineDict) else (self.line(spec), None))
        if not isinstance(text, str):
            self.problem(f"'{key}:' of rule '{name}' must be text", line, f"{field}.{key}")
            return None
        try:
            return parser(" ".join(text.split()) if "\n" in text else text)
        except RuleSyntaxError as exc:
            at = (column + exc.column - 1) if column is not None and "\n" not in text else None
            self.problem(f"rule '{name}': {exc.message}", line, f"{field}.{key}", code="fuzzy_rule_syntax", column=at)
            return None


def read_fuzzy_yaml(data: str | bytes, *, file: str) -> FuzzyRuleBase:
    """Read a `*.fuzzy.yaml` document into a checked `FuzzyRuleBase`.

    Every problem is reported at once in one ProjectError, each with its file, line and field.
    """
    document = _load(data, file)
    reader = _Reader(file)
    if not isinstance(document, Mapping):
        raise ProjectError("a fuzzy rule base must be a mapping with fuzzy, inputs, outputs and rules",
                           code="fuzzy_yaml", file=file, line=1)
    reader.unknown_keys(document, TOP_KEYS, "")
    name = document.get("fuzzy")
    if not isinstance(name, str) or not name:
        reader.problem("'fuzzy:' must name the rule base, e.g. fuzzy: affordability", reader.line(document, "fuzzy"),
                       "fuzzy")
        name = file
    kind = reader.text(document.get("kind"), "kind", reader.line(document, "kind"), "kind", "mamdani") or "mamdani"
    kind = kind.replace("-", "_").lower()
    if kind in ("tsk", "sugeno", "takagi_sugeno_kang"):
        kind = "takagi_sugeno"
    numerics = document.get("numerics")
    operators = reader.operators(document)
    blocks = reader.blocks(document, operators)
    rule_base = FuzzyRuleBase(
        name=name,
        inputs=reader.inputs(document),
        outputs=reader.outputs(document, kind),
        rules=reader.rules(document, len(blocks)),
        operators=operators,
        blocks=blocks,
        kind=kind,
        description=reader.text(document.get("description"), "description", reader.line(document, "description"),
                                "description", "") or "",
        numerics=str(numerics) if numerics is not None else None,
        source=file,
    )
    problems = reader.problems + check_rule_base(rule_base)
    if problems:
        raise ProjectError(f"{file}: {len(problems)} problem(s) in the fuzzy rule base", problems=problems)
    return rule_base


def to_fuzzy_yaml(rule_base: FuzzyRuleBase) -> str:
    """The rule base as a `*.fuzzy.yaml` document that reads back to the same rule base.

    Everything FuzzyLite engines use has a key (rule blocks as `blocks:` with each rule's `block:`);
    a term with a height other than 1 has none, and raises a ProjectError naming it.

    >>> rb = read_fuzzy_yaml('''
    ... fuzzy: f
    ... inputs: {x: {range: [0, 1], terms: {low: [ramp, 1, 0]}}}
    ... outputs: {y: {range: [0, 1], terms: {small: [trimf, 0, 0, 1]}, default: 0}}
    ... rules: [{name: r, if: x is very low, then: y is small}]
    ... ''', file="f.fuzzy.yaml")
    >>> text = to_fuzzy_yaml(rb)
    >>> print(text.split("rules:")[1].strip())
    - name: r
      if: x is very low
      then: y is small
    >>> to_fuzzy_yaml(read_fuzzy_yaml(text, file="again.fuzzy.yaml")) == text
    True
    """
    document: dict[str, Any] = {"fuzzy": rule_base.name}
    if rule_base.description:
        document["description"] = rule_base.description
    document["kind"] = rule_base.kind
    if rule_base.numerics is not None:
        document["numerics"] = rule_base.numerics
    for group, variables in (("inputs", rule_base.inputs), ("outputs", rule_base.outputs)):
        block: dict[str, Any] = {}
        for var in variables:
            spec: dict[str, Any] = {}
            if var.description:
                spec["description"] = var.description
            spec["range"] = [var.lo, var.hi]
            spec["resolution"] = var.resolution
            spec["terms"] = {term.name: _term_spec(term, var.name) for term in var.terms}
            if isinstance(var, InputVariable) and var.out_of_range != "clip":
                spec["out_of_range"] = var.out_of_range
            if isinstance(var, OutputVariable):
                spec["defuzzify"] = var.defuzzify
                if not math.isnan(var.default):
                    spec["default"] = var.default
                if var.aggregation is not None:
                    spec["aggregation"] = var.aggregation
                if var.lock_previous:
                    spec["lock_previous"] = True
                if var.lock_range:
                    spec["lock_range"] = True
            block[var.name] = spec
        document[group] = block
    ops = rule_base.operators
    document["operators"] = {"and": ops.and_, "or": ops.or_, "implication": ops.implication,
                             "aggregation": ops.aggregation}
    if ops.activation != "general":
        document["operators"]["activation"] = ops.activation
    if rule_base.blocks:
        # a block without `activation:` takes the operators' one
        document["blocks"] = [{"and": b.and_, "or": b.or_, "implication": b.implication,
                               **({"activation": b.activation} if b.activation != ops.activation else {})}
                              for b in rule_base.blocks]
    rules = []
    for rule in rule_base.rules:
        entry: dict[str, Any] = {"name": rule.name, "if": format_antecedent(rule.antecedent),
                                 "then": format_consequents(rule.consequents)}
        if rule.weight != 1.0:
            entry["weight"] = rule.weight
        if rule_base.blocks:
            entry["block"] = rule.block
        rules.append(entry)
    document["rules"] = rules
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def _term_spec(term: Term, variable: str) -> list[Any]:
    if term.height != 1.0:
        raise ProjectError(f"term '{term.name}' of '{variable}' has height {term.height}, which a *.fuzzy.yaml file "
                           "cannot say; keep the engine in FuzzyLite's .fll", code="fuzzy_yaml_export",
                           line=term.line, field=f"{variable}.terms.{term.name}")
    if term.shape == "function":
        return _Flow(["function", term.formula or ""])
    return _Flow([term.shape, *(int(p) if float(p).is_integer() and abs(p) < 1e15 else p for p in term.params)])


class _Flow(list):  # type: ignore[type-arg]
    """A term's list, written on one line: [trimf, 0, 5, 10]."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", list(data), flow_style=True))
