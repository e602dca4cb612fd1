"""Checks of a fuzzy rule base that need its numbers, for `composite validate`.

`check_rule_base` (model.py) checks that a rule base is well formed; these checks find what a
well-formed one can still get wrong: a term drawn outside its variable's range, a range narrower
than what knowledge/ allows for the concept, rules that can never fire, and inputs for which no
rule fires while the output has no default. Every finding is computed with the evaluator's own
memberships, on a grid that holds each term's corners, so a warning comes with a witness.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any, Sequence

import numpy as np

from composite.errors import Problem
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.model import FuzzyRuleBase, InputVariable, Not, Proposition, Rule, Variable, propositions

TERM_OUTSIDE = "fuzzy.term_outside"
UNIVERSE_NARROWER = "fuzzy.universe_narrower"
RULE_NEVER_FIRES = "fuzzy.rule_never_fires"
NO_RULE_FIRES = "fuzzy.no_rule_fires"

_GRID_CAP = 20_000  # input combinations tried, per rule and for the whole rule base
_FINE = 2_001  # samples of a range when looking for any membership at all


def check_fuzzy(rule_base: FuzzyRuleBase, *, knowledge: Any = None, evaluator: FuzzyEvaluator | None = None,
                text: str | None = None, file: str | None = None) -> list[Problem]:
    """Every finding for one rule base, located in `file` (default: the rule base's source).

    `knowledge`: the project's concepts, for the ranges the inputs must cover. `evaluator`: the
    node's own (its numerics decide what "zero membership" means). `text`: the file's text, for
    columns and the line of each `range:`.

    Examples
    --------
    >>> from composite.fuzzy import read_fuzzy_yaml
    >>> rb = read_fuzzy_yaml('''
    ... fuzzy: f
    ... inputs:
    ...   x: {range: [0, 10], terms: {low: [trimf, 0, 0, 5], high: [trimf, 20, 25, 30]}}
    ... outputs:
    ...   y: {range: [0, 1], terms: {small: [trimf, 0, 0, 1]}, default: 0}
    ... rules:
    ...   - {if: x is low, then: y is small}
    ... ''', file="f.fuzzy.yaml")
    >>> [p.code for p in check_fuzzy(rb)]
    ['fuzzy.term_outside']
    """
    file = file or rule_base.source
    lines = text.splitlines() if text is not None else []
    try:
        evaluator = evaluator or FuzzyEvaluator(rule_base)
    except Exception:  # a rule base check_rule_base already refused; nothing more to say here
        return []
    finder = _Finder(rule_base, evaluator, file, lines)
    problems = finder.terms_outside()
    problems += finder.narrow_universes(knowledge)
    problems += finder.rules_never_firing()
    problems += finder.inputs_without_rules()
    return problems


class _Finder:
    def __init__(self, rule_base: FuzzyRuleBase, evaluator: FuzzyEvaluator, file: str | None,
                 lines: list[str]) -> None:
        self.rb = rule_base
        self.evaluator = evaluator
        self.file = file
        self.lines = lines
        self.outside: dict[tuple[str, str], str] = {}  # (variable, term) -> why, for rule messages

    def problem(self, code: str, message: str, line: int | None, word: str | None, fix: str, *,
                severity: str = "error", field: str | None = None) -> Problem:
        return Problem(code, message, file=self.file, line=line, column=_column(self.lines, line, word),
                       field=field, severity=severity, fix=fix)

    # -- terms whose support lies outside the range --------------------------------------------

    def terms_outside(self) -> list[Problem]:
        problems = []
        for group, variables in (("inputs", self.rb.inputs), ("outputs", self.rb.outputs)):
            for var in variables:
                grid = _fine_grid(var)
                for term in var.terms:
                    if term.is_function:
                        continue
                    with np.errstate(all="ignore"):
                        y = term.membership(grid)
                    if np.any(y > 0.0):
                        continue
                    rng = f"[{_num(var.lo)}, {_num(var.hi)}]"
                    self.outside[(var.name, term.name)] = f"'{var.name} is {term.name}' is 0 over {rng}"
                    users = [rule.name for rule in self.rb.rules if _uses(rule, var.name, term.name)]
                    dead = f"; rule{'s' if len(users) > 1 else ''} {', '.join(users)} can never fire" \
                        if users and group == "inputs" else ""
                    problems.append(self.problem(
                        TERM_OUTSIDE, f"term '{term.name}' of '{var.name}' lies outside its range {rng}: its "
                        f"membership is 0 for every value in the range{dead}", term.line, term.name,
                        f"draw '{term.name}' inside {rng} (its parameters are "
                        f"{', '.join(_num(p) for p in term.params)}), "
                        f"or widen the range of '{var.name}'", field=f"{group}.{var.name}.terms.{term.name}"))
        return problems

    # -- ranges narrower than the concept's ------------------------------------------------------

    def narrow_universes(self, knowledge: Any) -> list[Problem]:
        problems: list[Problem] = []
        if knowledge is None or not hasattr(knowledge, "get"):
            return problems
        for var in self.rb.inputs:
            concept = knowledge.get(var.name)
            if concept is None or getattr(concept, "range", None) is None:
                continue
            low, high = concept.range
            reject = isinstance(var, InputVariable) and var.out_of_range == "reject"
            # Clipping onto an end where one term is fully true and the others false (a shoulder)
            # reads values beyond it as the author drew the end: nothing is lost, nothing to say.
            below = low is not None and low < var.lo and (reject or not _shoulder(var, var.lo))
            above = high is not None and high > var.hi and (reject or not _shoulder(var, var.hi))
            if not (below or above):
                continue
            parts = ([f"from {_num(low)} up to {_num(var.lo)}"] if below else []) + \
                ([f"from {_num(var.hi)} up to {_num(high)}"] if above else [])
            where = f" ({concept.file}:{concept.line})" if getattr(concept, "file", None) and concept.line else ""
            happens = "rejected (out_of_range: reject), though knowledge/ allows them" if reject else \
                "clipped to the nearest end, where the terms are not a shoulder (one term fully true), so " \
                "they are read as values inside the range"
            line = _key_line(self.lines, var.line, "range") or var.line
            problems.append(self.problem(
                UNIVERSE_NARROWER, f"the range [{_num(var.lo)}, {_num(var.hi)}] of input '{var.name}' is narrower than "
                f"knowledge/ allows, [{_num(low)}, {_num(high)}]{where}: values {' and '.join(parts)} are {happens}",
                line, "range" if line != var.line else var.name,
                f"widen the range of '{var.name}' to "
                f"[{_num(low if below else var.lo)}, {_num(high if above else var.hi)}] "
                "(and draw its terms over it), or narrow the concept's range in knowledge/",
                severity="warning", field=f"inputs.{var.name}.range"))
        return problems

    # -- rules that can never fire ----------------------------------------------------------------

    def rules_never_firing(self) -> list[Problem]:
        problems = []
        for index, rule in enumerate(self.rb.rules):
            names = list(dict.fromkeys(p.variable for p in propositions(rule.antecedent)))
            if any(self.rb.input(n) is None for n in names):
                continue  # check_rule_base reports the unknown variable
            if rule.weight == 0.0:
                why = "its weight is 0"
            else:
                variables = [self.rb.input(n) for n in names]
                grids = [_grid(var, len(variables)) for var in variables]  # type: ignore[arg-type]
                strengths = self.strengths(dict(zip(names, grids)), [index])[0]
                if strengths.size == 0 or np.any(strengths > 0.0):
                    continue
                known = [self.outside[(p.variable, p.term)] for p in _plain(rule.antecedent)
                         if (p.variable, p.term) in self.outside]
                if known:
                    continue  # the term's own error names the rule
                why = f"its condition is 0 for every value of {', '.join(names)} in " \
                      f"{'its range' if len(names) == 1 else 'their ranges'}"
                reason = self.unsampled(rule) or _disjoint_pair(rule, self.rb)
                if reason:
                    why += f": {reason}"
            problems.append(self.problem(
                RULE_NEVER_FIRES, f"fuzzy rule '{rule.name}' can never fire: {why}", rule.line, rule.name,
                "join the contradicting conditions with 'or', redraw the terms so they overlap, or delete the rule",
                field=f"rules[{index}]"))
        return problems

    def unsampled(self, rule: Rule) -> str | None:
        """A term inside the range that the evaluator never sees: it falls between two of the points
        scikit-fuzzy samples the range at, so its membership is 0 at all of them."""
        for prop in _plain(rule.antecedent):
            var = self.rb.input(prop.variable)
            inp = next((i for i in self.evaluator._inputs if i.name == prop.variable), None)
            if var is None or inp is None or prop.term not in inp.term_names:
                continue
            memberships = inp.memberships_batch(_fine_grid(var))[inp.term_names.index(prop.term)]
            if not np.any(memberships > 0.0):
                return (f"'{prop.variable} is {prop.term}' lies between the {var.resolution} points its range is "
                        f"sampled at (resolution: {var.resolution}), so it is 0 at every one of them; raise the "
                        "resolution or widen the term")
        return None

    # -- inputs for which no rule fires ----------------------------------------------------------

    def inputs_without_rules(self) -> list[Problem]:
        problems: list[Problem] = []
        open_outputs = [out for out in self.rb.outputs if math.isnan(out.default)]
        if not open_outputs or not self.rb.rules:
            return problems
        inputs = self.rb.inputs
        grids = {var.name: _grid(var, len(inputs)) for var in inputs}
        order = list(range(len(self.rb.rules)))
        strengths = self.strengths(grids, order)
        combos = list(itertools.product(*(grids[var.name] for var in inputs)))
        for out in open_outputs:
            writers = [i for i, rule in enumerate(self.rb.rules)
                       if any(c.variable == out.name for c in rule.consequents)]
            fired = np.zeros(len(combos), dtype=bool)
            for i in writers:
                fired |= strengths[i] > 0.0
            empty = np.flatnonzero(~fired)
            if not empty.size:
                continue
            at = combos[int(empty[0])]
            witness = ", ".join(f"{var.name} = {_num(x)}" for var, x in zip(inputs, at))
            middle = (out.lo + out.hi) / 2
            problems.append(self.problem(
                NO_RULE_FIRES, f"no rule gives '{out.name}' a value when {witness} ({empty.size} of {len(combos)} "
                f"input combinations tried), and '{out.name}' has no default: it is null then",
                out.line, out.name,
                f"add a rule that covers {witness}, or give '{out.name}' a default (e.g. default: {_num(middle)})",
                severity="warning", field=f"outputs.{out.name}.default"))
        return problems

    def strengths(self, grids: dict[str, Sequence[float]], rules: Sequence[int]) -> list[np.ndarray]:
        """Firing strengths of `rules` on every combination of the grids (other inputs at their minimum)."""
        inputs = self.evaluator._inputs
        shown = [inp.name for inp in inputs if inp.name in grids]
        combos = list(itertools.product(*(grids[name] for name in shown)))
        size = len(combos)
        if size == 0:
            return [np.zeros(0) for _ in rules]
        memberships: list[np.ndarray] = []
        for inp in inputs:
            if inp.name in grids:
                k = shown.index(inp.name)
                x = np.array([c[k] for c in combos], dtype=np.float64)
            else:
                x = np.full(size, inp.lo, dtype=np.float64)
            memberships.extend(inp.memberships_batch(x))
        every = self.evaluator._strengths(memberships, size)  # in rule order: chained rules read earlier ones
        return [every[i] for i in rules]


# -- helpers -------------------------------------------------------------------------------------


def _fine_grid(var: Variable) -> np.ndarray:
    points = set(np.linspace(var.lo, var.hi, max(var.resolution, _FINE)).tolist())
    for term in var.terms:
        points.update(float(p) for p in term.params if var.lo <= p <= var.hi)
    return np.array(sorted(points), dtype=np.float64)


def _grid(var: Variable, inputs: int) -> list[float]:
    """Values of one input worth trying: its ends, every term's corners, the points between them
    and an even spread, thinned so that all inputs together stay under the cap."""
    points = {float(var.lo), float(var.hi)}
    for term in var.terms:
        points.update(float(p) for p in term.params if var.lo <= p <= var.hi)
    per_input = max(3, int(_GRID_CAP ** (1.0 / max(inputs, 1))))
    points.update(np.linspace(var.lo, var.hi, min(per_input, 201)).tolist())
    ordered = sorted(points)
    between = [(a + b) / 2 for a, b in zip(ordered, ordered[1:])]
    values = sorted(set(ordered) | set(between))
    if len(values) > per_input:  # keep the ends and an even selection
        picks = np.linspace(0, len(values) - 1, per_input).round().astype(int)
        values = [values[i] for i in sorted(set(picks.tolist()))]
    return values


def _shoulder(var: Variable, x: float) -> bool:
    """True when at `x` one term is fully true and every other false."""
    with np.errstate(all="ignore"):
        values = [float(term.membership(np.array([x], dtype=np.float64))[0]) for term in var.terms
                  if not term.is_function]
    full = [v for v in values if v >= 1.0 - 1e-9]
    return len(full) == 1 and all(v <= 1e-9 or v >= 1.0 - 1e-9 for v in values)


def _uses(rule: Rule, variable: str, term: str) -> bool:
    return any(p.variable == variable and p.term == term for p in _plain(rule.antecedent))


def _plain(expr: Any, negated: bool = False) -> list[Proposition]:
    """Propositions that must hold for the rule to fire (not under a `not`)."""
    if isinstance(expr, Proposition):
        return [] if negated or "not" in expr.hedges else [expr]
    if isinstance(expr, Not):
        return _plain(expr.operand, not negated)
    return [p for operand in expr.operands for p in _plain(operand, negated)]


def _disjoint_pair(rule: Rule, rb: FuzzyRuleBase) -> str | None:
    """`'x is low' and 'x is high' never hold together` for the first such pair in the rule."""
    plain = _plain(rule.antecedent)
    for a, b in itertools.combinations(plain, 2):
        if a.variable != b.variable or a.term == b.term:
            continue
        var = rb.input(a.variable)
        if var is None:
            continue
        ta, tb = var.term(a.term), var.term(b.term)
        if ta is None or tb is None:
            continue
        grid = _fine_grid(var)
        with np.errstate(all="ignore"):
            if not np.any(np.minimum(ta.membership(grid), tb.membership(grid)) > 0.0):
                return f"'{a.variable} is {a.term}' and '{b.variable} is {b.term}' never hold together"
    return None


def _column(lines: list[str], line: int | None, word: str | None) -> int | None:
    """The 1-based column of `word` on `line` (of the first text there when it is not found)."""
    if line is None or not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    if word:
        match = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
        if match:
            return match.start() + 1
    stripped = len(text) - len(text.lstrip(" -\t"))
    return stripped + 1 if text.strip() else None


def _key_line(lines: list[str], start: int | None, key: str) -> int | None:
    """The line of `key:` inside the block that starts at `start` (a variable's own lines)."""
    if start is None or not 0 < start <= len(lines):
        return None
    first = lines[start - 1]
    indent = len(first) - len(first.lstrip())
    if re.search(rf"[{{,]\s*{key}\s*:", first):  # a flow mapping on the variable's own line
        return start
    for number in range(start + 1, len(lines) + 1):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if len(text) - len(text.lstrip()) <= indent:
            return None
        if re.match(rf"\s*{key}\s*:", text):
            return number
    return None


def _num(x: float | None) -> str:
    if x is None:
        return "..."
    return f"{x:g}"


__all__ = ["NO_RULE_FIRES", "RULE_NEVER_FIRES", "TERM_OUTSIDE", "UNIVERSE_NARROWER", "check_fuzzy"]
