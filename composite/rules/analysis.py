"""Static checks of rule sets for `composite validate`, and why a rule did not fire.

The checks reason on the compiled conditions (comparisons of one name with a constant, joined by
and/or), against what `knowledge/` says each name can be and what the rules themselves assign:
names nobody defines, comparisons of the wrong type, values outside the allowed ones, and rules
whose condition no combination of values can satisfy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from composite import temporal
from composite.errors import Problem
from composite.expr import BoolOp, Node
from composite.rules.compile import AnyOf, Comparison, Condition, Const, compile_node, holds, test_holds, tests
from composite.rules.format import Rule, RuleSet

if TYPE_CHECKING:
    from composite.knowledge import Concept, Knowledge

_MAX_BRANCHES = 512  # alternatives of one condition examined by the never-fires check


# -- what a name can be ----------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """The values a name can take while rules are matched.

    `kind`: number, integer, text, boolean or any. `values`: a finite list, when known.
    `low`/`high`: an inclusive numeric range. `nullable`: whether the name can be null.
    `source`: where the domain comes from, for messages.
    """

    kind: str = "any"
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    nullable: bool = True
    source: str = ""


def _concept_domain(concept: "Concept") -> Domain:
    kind = {"number": "number", "integer": "integer", "boolean": "boolean"}.get(concept.type, "text")
    if concept.type in temporal.KINDS:
        kind = concept.type
    low, high = concept.range if concept.range is not None else (None, None)
    where = f"{concept.file}:{concept.line}" if concept.file else "knowledge/"
    if concept.values is not None:
        source = f"{where} allows {', '.join(_show(v) for v in concept.values)}"
    elif concept.range is not None:
        source = f"{where} allows [{_show(low)}, {_show(high)}]"
    else:
        source = f"{where} says it is a {concept.type}"
    return Domain(kind, tuple(concept.values) if concept.values is not None else None, low, high,
                  nullable=not concept.required, source=source)


def domains(ruleset: RuleSet, knowledge: "Knowledge | None", *, firing: set[int] | None = None) -> dict[str, Domain]:
    """The domain of every name the conditions test.

    A name the rule set assigns can be null (before any rule assigned it) or one of the values
    its rules assign (only rules in `firing`, when given).
    """
    out: dict[str, Domain] = {}
    asserted = set(ruleset.asserted)
    for rule in ruleset.rules:
        for name in rule.reads:
            if name in out:
                continue
            if name in asserted:
                values: list[Any] = []
                for writer in ruleset.rules:
                    if name in writer.then and (firing is None or writer.index in firing):
                        if not any(_same(v, writer.then[name]) for v in values):
                            values.append(writer.then[name])
                shown = ", ".join(_show(v) for v in values) or "nothing"
                out[name] = Domain("any", tuple(values), nullable=True,
                                   source=f"the rules only ever assign it {shown}")
            elif knowledge is not None and name in knowledge:
                out[name] = _concept_domain(knowledge[name])
            else:
                out[name] = Domain()
    return out


# -- composite validate ----------------------------------------------------------------------


def validate(ruleset: RuleSet, knowledge: "Knowledge | None" = None, *,
             defined: Iterable[str] | None = None) -> list[Problem]:
    """Every problem `composite validate` reports for one rule set, each with its file and line.

    `defined`: the names other nodes of the project write; when given, a condition testing a
    name that neither knowledge nor a node defines is reported at the rule's line.
    """
    problems: list[Problem] = []
    file = ruleset.file
    asserted = set(ruleset.asserted)
    known = set(defined) if defined is not None else None
    for rule in ruleset.rules:
        for test in tests(rule.condition):
            line, column = _where(rule, test)
            name = test.name
            if name in asserted:
                continue
            concept = knowledge.get(name) if knowledge is not None else None
            if concept is None:
                if known is not None and name not in known:
                    close = knowledge.closest(name, also=known | asserted) if knowledge is not None else None
                    advice = (f"did you mean '{close}'?" if close is not None
                              else "define the concept in knowledge/ or correct the name")
                    problems.append(Problem(
                        "rules.unknown_name",
                        f"rule '{rule.name}' tests '{name}', which neither knowledge/ defines nor any node writes; "
                        f"{advice}", file=file, line=line, column=column, field=f"rules.{rule.name}.when", fix=close))
                continue
            problems.extend(_type_problems(rule, test, concept, file, line, column))
        for name, value in rule.then.items():
            concept = knowledge.get(name) if knowledge is not None else None
            if concept is not None:
                message = _value_problem(concept, value)
                if message:
                    problems.append(Problem("rules.assigned_value",
                                            f"rule '{rule.name}' assigns {name} = {_show(value)}, "
                                            f"but {message}", file=file, line=rule.then_lines.get(name, rule.line),
                                            field=f"rules.{rule.name}.then.{name}"))
    for name, value in ruleset.defaults.items():
        concept = knowledge.get(name) if knowledge is not None else None
        if concept is not None and value is not None:
            message = _value_problem(concept, value)
            if message:
                problems.append(Problem("rules.default_value",
                                        f"the default {name} = {_show(value)} is wrong: {message}",
                                        file=file, line=ruleset.default_lines.get(name), field=f"defaults.{name}"))
    problems.extend(_derived_type_problems(ruleset))
    problems.extend(never_firing(ruleset, knowledge))
    return problems


def _where(rule: Rule, test: Comparison) -> tuple[int | None, int | None]:
    if test.node is None:
        return rule.when.line, None
    return rule.when.location(test.node)


def _type_problems(rule: Rule, test: Comparison, concept: "Concept", file: str | None, line: int | None,
                   column: int | None) -> list[Problem]:
    value, name = test.value, test.name
    if value is None:
        return []
    field = f"rules.{rule.name}.when"
    kind = concept.type
    problem = None
    code = "rules.type_mismatch"
    if kind in temporal.KINDS:
        if temporal.kind_of(value) != kind:
            problem = f"'{name}' is {_a(kind)} but rule '{rule.name}' compares it with {_kind_of(value)} {_show(value)}"
    elif kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problem = f"'{name}' is {_a(kind)} but rule '{rule.name}' compares it with {_kind_of(value)} {_show(value)}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            problem = (f"'{name}' is true or false but rule '{rule.name}' compares it with {_kind_of(value)} "
                       f"{_show(value)}")
    elif not isinstance(value, str):
        problem = f"'{name}' is {_a(kind)} but rule '{rule.name}' compares it with {_kind_of(value)} {_show(value)}"
    elif test.op not in ("==", "!="):
        code = "rules.text_order"
        problem = (f"rule '{rule.name}' orders the {kind} '{name}' with '{test.op}': rules compare text letter by "
                   f"letter, not in the order knowledge/ lists; list the values with `{name} in [...]`")
    elif concept.values is not None and value not in concept.values:
        code = "rules.value_not_allowed"
        problem = (f"rule '{rule.name}' compares '{name}' with {_show(value)}, which is not one of its values "
                   f"({', '.join(_show(v) for v in concept.values)}){_meant(concept, value)}")
    if problem is None and kind in ("number", "integer") and concept.values is not None and test.op in ("==", "!="):
        if not any(value == v for v in concept.values):
            code = "rules.value_not_allowed"
            problem = f"rule '{rule.name}' compares '{name}' with {_show(value)}, which is not one of its values"
    if problem is None:
        return []
    severity = "warning" if code == "rules.text_order" else "error"
    return [Problem(code, problem, file=file, line=line, column=column, field=field, severity=severity)]


def _derived_type_problems(ruleset: RuleSet) -> list[Problem]:
    """A name the rules assign, compared with a constant of another type than they assign."""
    problems = []
    assigned: dict[str, set[str]] = {}
    for rule in ruleset.rules:
        for name, value in rule.then.items():
            if value is not None:
                assigned.setdefault(name, set()).add(_kind_of(value))
    for rule in ruleset.rules:
        for test in tests(rule.condition):
            kinds = assigned.get(test.name)
            if not kinds or test.value is None:
                continue
            kind = _kind_of(test.value)
            if kind not in kinds:
                line, column = _where(rule, test)
                problems.append(Problem(
                    "rules.type_mismatch",
                    f"rule '{rule.name}' compares '{test.name}' with {kind} {_show(test.value)}, but the rules only "
                    f"assign it {' or '.join(sorted(kinds))}",
                    file=ruleset.file, line=line, column=column, field=f"rules.{rule.name}.when"))
    return problems


def _value_problem(concept: "Concept", value: Any) -> str | None:
    if value is None:
        return None
    _, error = concept.check(value)
    return f"'{concept.name}' {error}{_meant(concept, value)}" if error else None


def _meant(concept: "Concept", value: Any) -> str:
    """"; did you mean 'fast_track'?" for a near miss of one of the concept's text values, else ""."""
    import difflib

    if not isinstance(value, str) or not concept.values or len(value) > 200:
        return ""
    texts = [v for v in concept.values if isinstance(v, str)]
    close = difflib.get_close_matches(value, texts, n=1, cutoff=0.75)
    return f"; did you mean {_show(close[0])}?" if close else ""


# -- rules that can never fire ---------------------------------------------------------------


def never_firing(ruleset: RuleSet, knowledge: "Knowledge | None" = None) -> list[Problem]:
    """Rules whose condition no values allowed by knowledge and the rules themselves satisfy."""
    firing = {rule.index for rule in ruleset.rules}
    reasons: dict[int, str] = {}
    for _ in range(len(ruleset.rules) + 1):  # values assigned only by dead rules are never seen
        space = domains(ruleset, knowledge, firing=firing)
        dead = {}
        for rule in ruleset.rules:
            reason = _unsatisfiable(rule.condition, space)
            if reason is not None:
                dead[rule.index] = reason
        if set(dead) == set(reasons):
            break
        reasons = dead
        firing = {rule.index for rule in ruleset.rules if rule.index not in dead}
    problems = []
    for rule in ruleset.rules:
        if rule.index in reasons:
            problems.append(Problem("rules.never_fires", f"rule '{rule.name}' can never fire: {reasons[rule.index]}",
                                    file=ruleset.file, line=rule.when.line, field=f"rules.{rule.name}.when"))
    return problems


def _branches(condition: Condition) -> list[list[Comparison]] | None:
    """The condition as alternatives of conjunctions of tests (None: too many to examine)."""
    if isinstance(condition, Const):
        return [[]] if condition.value else []
    if isinstance(condition, Comparison):
        return [[condition]]
    parts = []
    for item in condition.items:
        branches = _branches(item)
        if branches is None:
            return None
        parts.append(branches)
    if isinstance(condition, AnyOf):
        out = [b for branches in parts for b in branches]
        return out if len(out) <= _MAX_BRANCHES else None
    out = [[]]
    for branches in parts:
        out = [a + b for a in out for b in branches]
        if len(out) > _MAX_BRANCHES:
            return None
    return out


def _unsatisfiable(condition: Condition, space: Mapping[str, Domain]) -> str | None:
    """Why no values satisfy the condition, or None when some do (or it is too large to tell)."""
    if isinstance(condition, Const):
        return None if condition.value else "its condition is always false"
    branches = _branches(condition)
    if branches is None:
        return None
    reasons = []
    for branch in branches:
        by_name: dict[str, list[Comparison]] = {}
        for test in branch:
            by_name.setdefault(test.name, []).append(test)
        reason = None
        for name, group in by_name.items():
            domain = space.get(name, Domain())
            if not any(all(test_holds(t, v) for t in group) for v in _candidates(domain, group)):
                shown = " and ".join(str(t) for t in group)
                reason = f"no value of '{name}' satisfies {shown}"
                if domain.source:
                    reason += f" ({domain.source})"
                break
        if reason is None:
            return None
        reasons.append(reason)
    if not reasons:
        return "its condition is always false"
    return reasons[0] if len(reasons) == 1 else "none of its alternatives can hold: " + "; ".join(reasons)


def _candidates(domain: Domain, group: list[Comparison]) -> list[Any]:
    """Values that represent every distinct case of `group`'s comparisons within the domain."""
    values: list[Any] = [None] if domain.nullable else []
    if domain.values is not None:
        return values + list(domain.values)
    kind = domain.kind
    constants = [t.value for t in group if t.value is not None]
    if kind == "boolean":
        return values + [True, False]
    if kind in temporal.KINDS:
        return values + _temporal_candidates(kind, constants, domain)
    if kind in ("number", "integer", "any"):
        numbers = sorted({float(c) for c in constants if isinstance(c, (int, float)) and not isinstance(c, bool)})
        points: list[float] = []
        for c in numbers:
            if kind == "integer":
                points += [math.floor(c) - 1, math.floor(c), math.ceil(c), math.ceil(c) + 1]
            else:
                points += [c, math.nextafter(c, -math.inf), math.nextafter(c, math.inf)]
        points += [(a + b) / 2 for a, b in zip(numbers, numbers[1:])]
        low, high = domain.low, domain.high
        points += [v for v in (low, high) if v is not None]
        points += [(numbers[0] if numbers else 0.0) - 1.0, (numbers[-1] if numbers else 0.0) + 1.0]
        for p in points:
            if (low is not None and p < low) or (high is not None and p > high):
                continue
            if kind == "integer":
                if p != math.floor(p):
                    continue
                p = int(p)
            values.append(p)
        if kind != "any":
            return values
    texts = sorted({c for c in constants if isinstance(c, str)})
    values += texts + [t + "\x00" for t in texts] + ["", "\U0010ffff", "\x00\x00another"]
    if kind == "any":
        values += [True, False]
    return values


def _temporal_candidates(kind: str, constants: list[Any], domain: Domain) -> list[Any]:
    """Each constant of the kind, the values just before and after it, and the range's ends."""
    import datetime as dt

    from composite.expr._temporal import add

    mine = [c for c in constants if temporal.kind_of(c) == kind]
    if kind == temporal.DATE:
        step = temporal.parse(temporal.DURATION, "P1D")
    elif kind == temporal.YEARS_MONTHS:
        step = temporal.parse(temporal.YEARS_MONTHS, "P1M")
    else:
        step = temporal.parse(temporal.DURATION, "PT0.000001S")
    out: list[Any] = []
    for c in mine:
        for delta in (step, step.negate()):
            try:
                out.append(add(c, delta))
            except Exception:  # past the calendar's ends: no value there
                continue
        out.append(c)
    out += [v for v in (domain.low, domain.high) if v is not None]
    if not mine and not out:  # nothing to compare with: any one value of the kind stands for all
        out.append({temporal.DATE: dt.date(2000, 1, 1), temporal.DATETIME: dt.datetime(2000, 1, 1),
                    temporal.TIME: dt.time(12)}.get(kind) or step)
    low, high = domain.low, domain.high
    kept = []
    for v in out:
        try:
            if (low is not None and v < low) or (high is not None and v > high):
                continue
        except TypeError:
            continue
        kept.append(v)
    return kept


# -- why a rule did not fire -----------------------------------------------------------------


@dataclass(frozen=True)
class FailedCondition:
    """One part of a rule's condition that is false on the facts, with where it is written."""

    text: str
    line: int | None
    column: int | None
    values: dict[str, Any]


@dataclass(frozen=True)
class WhyNot:
    """Why rule `rule` did (not) fire on some facts: which parts of its condition failed."""

    rule: str
    line: int | None
    holds: bool
    failed: tuple[FailedCondition, ...]

    def lines(self) -> list[str]:
        if self.holds:
            return [f"rule '{self.rule}' (line {self.line}): its condition holds on these facts"]
        out = [f"rule '{self.rule}' (line {self.line}) did not fire:"]
        for part in self.failed:
            values = ", ".join(f"{n} = {_show(v)}" for n, v in part.values.items())
            out.append(f"  `{part.text}` (line {part.line}) is false: {values}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def conjuncts(rule: Rule) -> list[Node]:
    """The top-level parts of the rule's condition that must all hold (`a and b and c`)."""
    tree = rule.when.ast
    if isinstance(tree, BoolOp) and tree.op == "and":
        return list(tree.operands)
    return [tree]


def why_not(ruleset: RuleSet, rule_name: str, facts: Mapping[str, Any]) -> WhyNot:
    """Which conditions of rule `rule_name` fail on `facts` (missing names are null).

    Examples
    --------
    >>> from composite.rules import load_ruleset
    >>> rs = load_ruleset("ruleset: r\\nrules:\\n  - {name: big, when: x > 10 and y == 'a', then: {z: 1}}\\n"
    ...                   "defaults: {z: 0}\\n", file="r.rules.yaml")
    >>> print(why_not(rs, "big", {"x": 3, "y": "a"}))
    rule 'big' (line 3) did not fire:
      `x > 10` (line 3) is false: x = 3
    """
    rule = ruleset.rule(rule_name)
    if holds(rule.condition, facts):
        return WhyNot(rule.name, rule.line, True, ())
    failed = []
    for node in conjuncts(rule):
        part = compile_node(rule.when, node)
        if holds(part, facts):
            continue
        line, column = rule.when.location(node)
        text = " ".join(rule.when.snippet(node).split())
        names = []
        for test in tests(part):
            if test.name not in names:
                names.append(test.name)
        failed.append(FailedCondition(text, line, column, {n: facts.get(n) for n in names}))
    return WhyNot(rule.name, rule.line, False, tuple(failed))


# -- small helpers ---------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _kind_of(value: Any) -> str:
    kind = temporal.kind_of(value)
    if kind is not None:
        return _a(kind)
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "null"


def _a(kind: str) -> str:
    return {"number": "a number", "integer": "an integer", "category": "a category", "string": "text",
            "boolean": "true or false", "date": "a date", "datetime": "a date and time", "time": "a time",
            "duration": "a duration", "years_months": "a duration in years and months"}.get(kind, kind)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if temporal.is_temporal(value):
        return temporal.written(value)
    return str(value)


__all__ = ["Domain", "FailedCondition", "WhyNot", "conjuncts", "domains", "never_firing", "validate", "why_not"]
