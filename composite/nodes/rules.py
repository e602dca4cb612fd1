"""The `rules` node: a rule file (`rules/*.rules.yaml`) run by forward chaining on durable-rules.

It reads the names its conditions test (other than those it assigns itself) and writes every name
its rules and defaults assign; its evidence lists the rules that fired, in firing order, with the
facts each one matched, the writes that lost a conflict, and the names that took their default.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from composite.errors import CompositeError, Problem, ProjectError
from composite import temporal
from composite.expr import Name, NameUse, first_use, parse, walk
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node
from composite.rules import analysis
from composite.rules.durable import Outcome, engine_for
from composite.rules.format import RuleSet, load_ruleset

if TYPE_CHECKING:
    from composite.knowledge import Knowledge


class FiredRule(BaseModel):
    """One rule that fired: the values its condition tested at that moment, and what it assigned."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    priority: int
    line: int | None = None
    when: str
    matched: dict[str, Any]
    then: dict[str, Any]


class OverriddenWrite(BaseModel):
    """A value a rule assigned that lost to another rule's value for the same name."""

    model_config = ConfigDict(extra="forbid")

    name: str
    loser: str
    value: Any = None
    winner: str
    kept: Any = None


class RuleSetEvidence(BaseModel):
    """Why a rule set decided as it did (`ruleset` is the versioned name: name@file-hash)."""

    model_config = ConfigDict(extra="forbid")

    ruleset: str
    fired: list[FiredRule] = Field(default_factory=list)
    overridden: list[OverriddenWrite] = Field(default_factory=list)
    defaults_used: list[str] = Field(default_factory=list)


class RuleSetNode:
    """A node deciding with one rule file; `evaluate` and `evaluate_batch` agree row for row."""

    kind: ClassVar[str] = "rules"
    evidence_model: ClassVar[type[BaseModel]] = RuleSetEvidence

    def __init__(self, name: str, ruleset: RuleSet, *, description: str | None = None,
                 source: str = "composite.yaml", line: int | None = None) -> None:
        self.name = name
        self.ruleset = ruleset
        self.description = description if description is not None else ruleset.description
        self.source = source
        self.line = line
        self.reads: tuple[str, ...] = tuple(ruleset.reads)
        self.writes: tuple[str, ...] = tuple(ruleset.writes)
        self._engine = engine_for(ruleset)
        self.version = self._engine.version
        self._static = [(r.name, r.priority, r.line, " ".join(r.when.text.split()), r.then) for r in ruleset.rules]

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "RuleSetNode":
        if not spec.file:
            raise ProjectError(
                "a rules node needs 'file:', the rule file it runs, e.g. file: rules/credit_policy.rules.yaml",
                code="rules_needs_file", file=spec.source, line=spec.line, field=f"nodes.{spec.name}.file")
        unknown = [key for key in spec.options if key != "description"]
        if unknown:
            raise ProjectError(
                f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} for a rules node; "
                "it takes name, kind, file and description (the rules live in the file)",
                code="rules_options", file=spec.source, line=spec.line, field=f"nodes.{spec.name}")
        _, data = context.read_artifact(spec.file, spec=spec)
        ruleset = load_ruleset(data, file=spec.file, knowledge=context.knowledge)
        return cls(spec.name, ruleset, description=spec.options.get("description"), source=spec.source, line=spec.line)

    def where_read(self, name: str) -> NameUse | None:
        """Where the first rule testing `name` tests it: load errors point there, not at the node."""
        for rule in self.ruleset.rules:
            use = first_use(rule.when, name, field=f"rules.{rule.name}.when")
            if use is not None:
                return use
        return None

    # -- deciding ------------------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        outcome = self._engine.decide(values)
        return NodeResult(outcome.values, self._evidence(outcome))

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """Each distinct row decided once; outputs spread by index. `evidence=False`: outputs only,
        no fired-rule list built for any row."""
        reads = self.reads
        lists = [_as_list(columns[name], size) for name in reads]
        keys = list(zip(*lists)) if reads else [()] * size
        # Rows with the same values decide alike: run each distinct row once. (1, 1.0 and true
        # hash alike: a row whose types differ from the first row of its key is run on its own.)
        first: dict[tuple[Any, ...], int] = {}
        positions: list[int] = []
        distinct: list[dict[str, Any]] = []
        distinct_keys: list[tuple[Any, ...]] = []
        for key in keys:
            at = first.get(key)
            if at is None or not all(type(a) is type(b) for a, b in zip(distinct_keys[at], key)):
                at = len(distinct)
                first.setdefault(key, at)
                distinct.append(dict(zip(reads, key)))
                distinct_keys.append(key)
            positions.append(at)
        outcomes = self._engine.decide_many(distinct)
        outputs = {name: _column([outcomes[at].values[name] for at in positions]) for name in self.writes}
        if not evidence:
            return BatchResult(outputs, None)
        evidences = [self._evidence(o) for o in outcomes]
        return BatchResult(outputs, [evidences[at] for at in positions])

    def _evidence(self, outcome: Outcome) -> dict[str, Any]:
        static = self._static
        fired = []
        for index, matched in outcome.fired:
            rule, priority, line, when, then = static[index]
            fired.append({"rule": rule, "priority": priority, "line": line, "when": when,
                          "matched": matched, "then": dict(then)})
        overridden = [
            {"name": name, "loser": static[loser][0], "value": value, "winner": static[winner][0], "kept": kept}
            for name, loser, value, winner, kept in outcome.overridden
        ]
        return {"ruleset": self.version, "fired": fired, "overridden": overridden,
                "defaults_used": list(outcome.defaults_used)}

    # -- describing, checking, explaining --------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        count = len(self.ruleset.rules)
        return describe_node(self, f"{count} rule{'s' if count != 1 else ''} ({self.version}), "
                                   f"conflicts: {self.ruleset.conflict}", **self.ruleset.describe())

    def validate(self, knowledge: "Knowledge | None", *, defined: Iterable[str] | None = None) -> list[Problem]:
        """What `composite validate` reports for this rule file (`defined`: names other nodes write)."""
        return analysis.validate(self.ruleset, knowledge, defined=defined)

    def coverage_items(self) -> list[str]:
        """Every rule as `<node>:<rule>`, for the coverage report of `composite test`."""
        return [f"{self.name}:{rule.name}" for rule in self.ruleset.rules]

    def covered_items(self, evidence: Mapping[str, Any]) -> set[str]:
        return {f"{self.name}:{entry.get('rule')}" for entry in evidence.get("fired") or []}

    def why_not(self, rule: str, facts: Mapping[str, Any]) -> analysis.WhyNot:
        """Which conditions of `rule` fail on `facts`, for `composite explain ID --why-not RULE`."""
        return analysis.why_not(self.ruleset, rule, facts)

    @staticmethod
    def explain_why_not(description: Mapping[str, Any], rule: str, *, read: Mapping[str, Any],
                        wrote: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[str]:
        """`why_not` from a stored decision alone: the node's description in the project snapshot
        and the step's trace (facts: what it read plus what its rules assigned)."""
        for fired in evidence.get("fired", []):
            if fired.get("rule") == rule:
                return [f"rule '{rule}' fired (priority {fired.get('priority')}): "
                        f"{condition_with_values(fired.get('when', ''), fired.get('matched', {}))}"]
        try:
            ruleset = RuleSet.from_description(description)
        except (CompositeError, KeyError, TypeError, ValueError) as exc:
            return [f"rule '{rule}': the stored rule set cannot be read again ({exc})"]
        facts = dict(read)
        used = set(evidence.get("defaults_used", []))
        facts.update((k, v) for k, v in wrote.items() if k not in used)
        try:
            return analysis.why_not(ruleset, rule, facts).lines()
        except KeyError as exc:
            return [str(exc.args[0]) if exc.args else f"no rule '{rule}'"]

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: "Knowledge | None") -> list[str]:
        lines = []
        fired = evidence.get("fired") or []
        for entry in fired:
            then = ", ".join(f"{k} = {format_value(v)}" for k, v in (entry.get("then") or {}).items())
            lines.append(f"rule '{entry.get('rule')}' fired (priority {entry.get('priority')}): "
                         f"{condition_with_values(entry.get('when', ''), entry.get('matched') or {})} -> {then}")
        for entry in evidence.get("overridden") or []:
            name = entry.get("name")
            lines.append(f"rule '{entry.get('loser')}' also set {name} = {format_value(entry.get('value'))}, "
                         f"overridden by rule '{entry.get('winner')}': {name} = {format_value(entry.get('kept'))}")
        used = evidence.get("defaults_used") or []
        if used:
            shown = ", ".join(f"{n} = {format_value(wrote.get(n))}" for n in used)
            lines.append(("no rule fired; defaults: " if not fired else "defaults: ") + shown)
        return lines


_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def format_value(value: Any) -> str:
    """A value as the rule file would write it: bare words unquoted, other text quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if _BARE.match(value) and value not in ("true", "false", "null"):
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if temporal.is_temporal(value):  # as a condition writes it: date("2026-03-01"), duration("P90D")
        return temporal.written(value)
    return repr(value)


def literal(value: Any) -> str:
    """A value as a constant of the expression language: `17`, `"unemployed"`, `true`, `null`."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return format_value(value)


def condition_with_values(text: str, matched: Mapping[str, Any]) -> str:
    """The condition with each name followed by its value: `age = 17 < 18`."""
    try:
        tree = parse(text).ast
    except CompositeError:
        listed = ", ".join(f"{k} = {literal(v)}" for k, v in matched.items())
        return f"{text} [{listed}]"
    names = sorted((n for n in walk(tree) if isinstance(n, Name) and n.name in matched), key=lambda n: n.end)
    out, at = [], 0
    for node in names:
        out.append(text[at:node.end])
        out.append(f" = {literal(matched[node.name])}")
        at = node.end
    out.append(text[at:])
    return " ".join("".join(out).split())


def _as_list(column: Any, size: int) -> list[Any]:
    if isinstance(column, np.ndarray):
        return column.tolist()
    if hasattr(column, "tolist"):
        return column.tolist()
    values = list(column)
    if len(values) != size:
        raise ProjectError(f"a column has {len(values)} values, expected {size}", code="rules_batch")
    return values


def _column(values: list[Any]) -> np.ndarray:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return np.array(values, dtype=bool)
    if kinds == {int}:
        return np.array(values, dtype=np.int64)
    if kinds == {float} or kinds == {int, float}:
        return np.array(values, dtype=np.float64)
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


__all__ = ["FiredRule", "OverriddenWrite", "RuleSetEvidence", "RuleSetNode", "condition_with_values", "format_value"]
