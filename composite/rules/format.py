"""Rule files, `rules/*.rules.yaml`, read into a `RuleSet`: every rule and condition located.

The format is documented for rule authors in docs/rules.md. Every problem of a file is reported
at once, each with the file, line and field it is about.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Mapping

from composite._yaml import LineDict, LineList, load_yaml
from composite.errors import CompositeError, Problem, ProjectError
from composite.expr import Expression, first_use, parse
from composite.expr._uses import unquoted_text
from composite.expr._ast import KEYWORDS
from composite.rules.compile import Condition, Const, compile_condition, names
from composite.rules.limits import check_condition

CONFLICT_POLICIES: dict[str, str] = {
    "priority": "the rule with the higher priority wins; between equal priorities, the one that fired first",
    "first": "the rule that fired first wins",
    "last": "the rule that fired last wins",
    "error": "two rules writing different values to one name is an evaluation error",
}
DEFAULT_CONFLICT = "priority"

if TYPE_CHECKING:
    from composite.knowledge import Knowledge

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RULESET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TOP_KEYS = ("ruleset", "description", "defaults", "conflict", "rules")
_RULE_KEYS = ("name", "description", "when", "then", "priority")
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, eq=False)
class Rule:
    """One rule: when its condition holds, it assigns the constants of `then`.

    `index` is the rule's position in its file; `line` the line of its entry.
    """

    name: str
    index: int
    when: Expression
    condition: Condition
    then: dict[str, Any]
    priority: int = 0
    description: str | None = None
    file: str | None = None
    line: int | None = None
    then_lines: dict[str, int | None] = field(default_factory=dict)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """The names the condition tests, in order of appearance."""
        return tuple(names(self.condition))

    @property
    def unconditional(self) -> bool:
        return isinstance(self.condition, Const) and self.condition.value


@dataclass(frozen=True, eq=False)
class RuleSet:
    """A rule file: its rules in file order, the defaults of the names they write, the conflict policy."""

    name: str
    rules: tuple[Rule, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    conflict: str = DEFAULT_CONFLICT
    description: str | None = None
    file: str | None = None
    line: int | None = 1
    default_lines: dict[str, int | None] = field(default_factory=dict)
    digest: str = ""  # "sha256:<hex>" of the file's bytes: the version of the rule set

    @cached_property
    def asserted(self) -> tuple[str, ...]:
        """Names some rule's `then` assigns, in order of first appearance."""
        out: dict[str, None] = {}
        for rule in self.rules:
            out.update(dict.fromkeys(rule.then))
        return tuple(out)

    @cached_property
    def writes(self) -> tuple[str, ...]:
        """Names the rule set always outputs: those the rules assign, then defaults of others."""
        out = dict.fromkeys(self.asserted)
        out.update(dict.fromkeys(self.defaults))
        return tuple(out)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """Names the conditions test that the rule set does not assign itself: its inputs."""
        asserted = set(self.asserted)
        out: dict[str, None] = {}
        for rule in self.rules:
            out.update((n, None) for n in rule.reads if n not in asserted)
        return tuple(out)

    @cached_property
    def chained(self) -> frozenset[str]:
        """Assigned names that conditions test: writing one can make further rules fire."""
        tested = {n for rule in self.rules for n in rule.reads}
        return frozenset(n for n in self.asserted if n in tested)

    @property
    def version(self) -> str:
        """`name@<12 hex digits of the file hash>`: a changed file is a new version."""
        return f"{self.name}@{self.digest.split(':')[-1][:12]}"

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules)
        raise KeyError(f"rule set '{self.name}' has no rule '{name}'; its rules: {known}")

    def describe(self) -> dict[str, Any]:
        """JSON-ready: enough to rebuild the rule set (`from_description`) from a stored snapshot."""
        return {
            "ruleset": self.name,
            "version": self.version,
            "file": self.file,
            "conflict": self.conflict,
            "defaults": dict(self.defaults),
            "rules": [
                {
                    "name": r.name,
                    "when": r.when.text,
                    "then": dict(r.then),
                    "priority": r.priority,
                    "line": r.line,
                    "when_line": r.when.line,
                    "when_column": r.when.column,
                    **({"description": r.description} if r.description else {}),
                }
                for r in self.rules
            ],
        }

    @classmethod
    def from_description(cls, described: Mapping[str, Any]) -> "RuleSet":
        """The rule set `describe()` described (conditions parsed again, safely)."""
        file = described.get("file")
        rules = []
        for index, entry in enumerate(described.get("rules", [])):
            when = parse(entry["when"], source=file, line=entry.get("when_line") or 1,
                         column=entry.get("when_column") or 1)
            rules.append(Rule(entry["name"], index, when, compile_condition(when), dict(entry.get("then", {})),
                              int(entry.get("priority", 0)), entry.get("description"), file, entry.get("line")))
        version = str(described.get("version", ""))
        return cls(str(described.get("ruleset", "")), tuple(rules), dict(described.get("defaults", {})),
                   described.get("conflict", DEFAULT_CONFLICT), None, file,
                   digest="sha256:" + version.partition("@")[2])


def load_ruleset(data: bytes | str, *, file: str, knowledge: "Knowledge | None" = None) -> RuleSet:
    """Read one rule file; a ProjectError lists every problem with its file and line.

    With the project's `knowledge`, a bare word compared with a concept whose allowed values
    include it (`claim_type == auto`) is reported as text to quote, at the word.

    Examples
    --------
    >>> rs = load_ruleset('''
    ... ruleset: demo
    ... defaults: {decision: none}
    ... rules:
    ...   - name: minor
    ...     when: age < 18
    ...     then: {decision: decline}
    ... ''', file="demo.rules.yaml")
    >>> rs.reads, rs.writes, rs.rules[0].line
    (('age',), ('decision',), 5)
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    document = load_yaml(raw, file=file)
    return _Reader(file, knowledge).ruleset(document, digest="sha256:" + hashlib.sha256(raw).hexdigest())


class _Reader:
    def __init__(self, file: str, knowledge: "Knowledge | None" = None) -> None:
        self.file = file
        self.knowledge = knowledge
        self.problems: list[Problem] = []

    def problem(self, code: str, message: str, line: int | None, field: str | None = None,
                column: int | None = None) -> None:
        self.problems.append(Problem(f"rules.{code}", message, file=self.file, line=line, column=column, field=field))

    def ruleset(self, document: Any, *, digest: str) -> RuleSet:
        if not isinstance(document, Mapping):
            raise ProjectError(
                "a rule file must be a mapping with 'ruleset:', 'rules:' and optionally 'defaults:' and 'conflict:'",
                code="rules.schema", file=self.file, line=getattr(document, "line", 1) or 1)
        lines = document if isinstance(document, LineDict) else LineDict()
        for key in document:
            if key not in _TOP_KEYS:
                self.problem("unknown_key", f"unknown key '{key}'; a rule file has {', '.join(_TOP_KEYS)}",
                             lines.line_of(key), str(key))
        name = document.get("ruleset")
        if not isinstance(name, str) or not _RULESET_NAME.match(name):
            self.problem("ruleset_name", "'ruleset:' must name the rule set, e.g. ruleset: credit_policy",
                         lines.line_of("ruleset") if "ruleset" in document else 1, "ruleset")
            name = "?"
        description = document.get("description")
        conflict = document.get("conflict", DEFAULT_CONFLICT)
        if conflict not in CONFLICT_POLICIES:
            self.problem("conflict", f"unknown conflict policy {conflict!r}; use one of {', '.join(CONFLICT_POLICIES)}",
                         lines.line_of("conflict"), "conflict")
            conflict = DEFAULT_CONFLICT
        defaults, default_lines = self.assignments(document.get("defaults", {}), "defaults",
                                                   lines.line_of("defaults") if "defaults" in document else None)
        rules = self.rules(document.get("rules"), lines.line_of("rules") if "rules" in document else 1)
        ruleset = RuleSet(name, tuple(rules), defaults, conflict, description if isinstance(description, str) else None,
                          self.file, getattr(document, "line", 1), default_lines, digest)
        self.check_every_write_has_a_value(ruleset)
        if self.problems:
            count = len(self.problems)
            raise ProjectError(f"{self.file}: {count} problem{'s' if count > 1 else ''}", problems=self.problems)
        return ruleset

    def rules(self, entries: Any, line: int | None) -> list[Rule]:
        if not isinstance(entries, list) or not entries:
            self.problem("no_rules", "'rules:' must be a list of at least one rule (name, when, then)", line, "rules")
            return []
        rules: list[Rule] = []
        seen: dict[str, int | None] = {}
        for index, entry in enumerate(entries):
            entry_line = entries.line_of(index) if isinstance(entries, LineList) else line
            rule = self.rule(entry, index, entry_line)
            if rule is None:
                continue
            if rule.name in seen:
                self.problem("duplicate_rule",
                             f"rule name '{rule.name}' is used twice (first at line {seen[rule.name]})",
                             rule.line, f"rules[{index}].name")
                continue
            seen[rule.name] = rule.line
            rules.append(rule)
        return rules

    def rule(self, entry: Any, index: int, line: int | None) -> Rule | None:
        where = f"rules[{index}]"
        if not isinstance(entry, Mapping):
            self.problem("rule_schema", "a rule is a mapping with name, when, then and optionally priority",
                         line, where)
            return None
        lines = entry if isinstance(entry, LineDict) else LineDict()
        ok = True
        for key in entry:
            if key not in _RULE_KEYS:
                self.problem("unknown_key", f"unknown key '{key}' in a rule; a rule has {', '.join(_RULE_KEYS)}",
                             lines.line_of(key), f"{where}.{key}")
                ok = False
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem("rule_name", "every rule needs a 'name:', e.g. name: applicant_is_minor",
                         lines.line_of("name") if "name" in entry else line, f"{where}.name")
            return None
        where = f"rules.{name}"
        priority = entry.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or not _INT64[0] <= priority <= _INT64[1]:
            self.problem("priority", f"the priority of rule '{name}' must be a whole number, got {priority!r}",
                         lines.line_of("priority"), f"{where}.priority")
            ok = False
            priority = 0
        when = self.condition(entry, name, lines, line, where)
        then, then_lines = self.assignments(entry.get("then"), f"{where}.then",
                                            lines.line_of("then") if "then" in entry else line, required=True)
        description = entry.get("description")
        if when is None or not ok or not then:
            return None
        expression, condition = when
        return Rule(name, index, expression, condition, then, priority,
                    description if isinstance(description, str) else None, self.file, line, then_lines)

    def condition(self, entry: Mapping[str, Any], name: str, lines: LineDict, line: int | None,
                  where: str) -> tuple[Expression, Condition] | None:
        if "when" not in entry:
            self.problem("no_condition", f"rule '{name}' needs 'when:', its condition, e.g. when: age < 18",
                         line, f"{where}.when")
            return None
        text = entry["when"]
        at_line, at_column = lines.position_of_value("when")
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str) or not text.strip():
            self.problem("condition_type", f"the condition of rule '{name}' must be an expression such as `age < 18`, "
                                           f"got {text!r}", at_line, f"{where}.when")
            return None
        if at_line != lines.line_of("when") and at_column and "\n" in text.strip("\n"):
            # A `|` block: YAML strips the indentation of every line; put it back, so that columns
            # past the first line are the file's columns too (whitespace means nothing here).
            first, *rest = text.split("\n")
            text = "\n".join([first] + [" " * (at_column - 1) + line if line else line for line in rest])
        written = None
        if isinstance(entry["when"], str) and "when" in lines:
            # Over several lines (a `>` block, continued plain or quoted text): positions from the
            # text as the file has it, so that every line and column is the file's.
            written, at_line, at_column = lines.source_of_value("when")
        try:
            expression = parse(text, source=self.file, line=at_line or 1, column=at_column or 1, written=written)
            unquoted = self.unquoted_text(expression)
            if unquoted is not None:
                self.problems.append(dataclasses.replace(unquoted, field=f"{where}.when"))
                return None
            condition = compile_condition(expression)
            check_condition(expression, condition)  # what durable-rules cannot hold, even split
            return expression, condition
        except CompositeError as exc:
            for problem in exc.problems:
                self.problems.append(Problem(problem.code, problem.message, file=problem.file or self.file,
                                             line=problem.line, column=problem.column, field=f"{where}.when",
                                             fix=problem.fix))
            return None

    def unquoted_text(self, expression: Expression) -> Problem | None:
        """`claim_type == auto` where `auto` is no concept but one of claim_type's allowed values:
        the text "auto" was meant. Needs the project's knowledge; the graph finds the rest."""
        if self.knowledge is None:
            return None
        for name in sorted(expression.names):
            if name in self.knowledge:
                continue
            use = first_use(expression, name)
            unquoted = unquoted_text(use, self.knowledge) if use is not None else None
            if unquoted is not None:
                return Problem("rules.unquoted_text", unquoted[0], file=self.file, line=use.line, column=use.column,
                               fix=unquoted[1])
        return None

    def assignments(self, mapping: Any, where: str, line: int | None,
                    required: bool = False) -> tuple[dict[str, Any], dict[str, int | None]]:
        if mapping is None and not required:
            return {}, {}
        if not isinstance(mapping, Mapping) or (required and not mapping):
            example = ('then: {decision: decline, reason: "applicant is under 18"}' if required
                       else "defaults: {decision: none}")
            self.problem("assignments",
                         f"'{where.rpartition('.')[2]}' must be a mapping of names to values, e.g. {example}",
                         line, where)
            return {}, {}
        values: dict[str, Any] = {}
        value_lines: dict[str, int | None] = {}
        for key, value in mapping.items():
            at = mapping.line_of(key) if isinstance(mapping, LineDict) else line
            if not isinstance(key, str) or not _NAME.match(key) or key in KEYWORDS:
                self.problem("bad_name", f"'{key}' cannot be a name: use letters, digits and _ (not starting with a "
                                         "digit, not a keyword)", at, f"{where}.{key}")
                continue
            if not _scalar(value):
                self.problem("bad_value", f"the value of '{key}' must be text, a number, true, false or null, got "
                                          f"{type(value).__name__} {value!r}", at, f"{where}.{key}")
                continue
            values[key] = value
            value_lines[key] = at
        return values, value_lines

    def check_every_write_has_a_value(self, ruleset: RuleSet) -> None:
        always = {n for rule in ruleset.rules if rule.unconditional for n in rule.then}
        for name in ruleset.asserted:
            if name in ruleset.defaults or name in always:
                continue
            writers = [r for r in ruleset.rules if name in r.then]
            first = writers[0]
            listed = ", ".join(f"'{r.name}' (line {r.line})" for r in writers[:3])
            listed += " ..." if len(writers) > 3 else ""
            self.problem(
                "missing_default",
                f"'{name}' is written by rule{'s' if len(writers) > 1 else ''} {listed} but has no default: "
                f"when none of them fires it would have no value; add it under 'defaults:' "
                f"(e.g. defaults: {{{name}: null}} for no value)",
                first.then_lines.get(name, first.line), f"rules.{first.name}.then.{name}")


def _scalar(value: Any) -> bool:
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    return isinstance(value, float) and math.isfinite(value)


__all__ = ["CONFLICT_POLICIES", "DEFAULT_CONFLICT", "Rule", "RuleSet", "load_ruleset"]
