"""`composite validate`: every problem a decision would meet later, found before any decision is made.

`validate_project(path_or_project)` loads the project and joins, de-duplicated and sorted by file
and line: what each node's own `validate()` reports (rule sets, decision tables), where a null can
reach a node that cannot take it (composite.missing), the static type pass over every expression,
rule condition and table entry against the types of knowledge/ and of what the nodes write
(composite.expr._types), the fuzzy checks (composite.fuzzy.check) and, when the scenarios module
offers it, `check_scenarios`. A project that does not load is a report too, with the load errors.

`ValidationReport.to_json()` is the shape CI annotations read::

    {
      "project": "claim-triage",            # the project's name (its path when it did not load)
      "version": "0.1.0",                   # null when it did not load
      "ok": false,                          # true when there is no error (warnings allowed)
      "errors": 1,
      "warnings": 2,
      "problems": [
        {"severity": "error",               # "error" fails validate; "warning" is reported only
         "code": "type.compare",            # stable, for filtering
         "message": "suspicion is a number; \\"60\\" is text",
         "file": "rules/routing.rules.yaml", # relative to the project folder; null when unknown
         "line": 12, "column": 11,          # 1-based; null when unknown
         "fix": "write suspicion > 60"}     # what to write instead; null when no fix is known
      ]
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from composite._yaml import LineDict, LineList, load_yaml
from composite.errors import CompositeError, Problem
from composite.expr._types import (
    BOOLEAN,
    NUMBER,
    TEXT,
    UNKNOWN,
    ValueType,
    check_expression,
    describe,
    join,
    of_concept,
    of_value,
)

# What to do about the problems the older checks report without a fix of their own.
_FIXES: dict[str, str] = {
    "rules.unknown_name": "define the concept in knowledge/, or correct the name to one a node writes",
    "rules.type_mismatch": "compare the name with a value of its own type",
    "rules.value_not_allowed": "use one of the concept's allowed values, or add the value to knowledge/",
    "rules.text_order": "list the values with `name in [...]` instead of ordering text",
    "rules.assigned_value": "assign a value the concept allows, or change the concept in knowledge/",
    "rules.default_value": "give a default the concept allows, or change the concept in knowledge/",
    "rules.never_fires": "correct the condition so that some allowed values satisfy it, or delete the rule",
    "table_row_never_matches": "correct the entry so that it accepts values the input can take, or delete the row",
    "table_overlap": "make the rows' entries exclusive, or choose the FIRST or PRIORITY hit policy",
    "table_any_conflict": "give the overlapping rows the same outputs, or make their entries exclusive",
    "table_row_unreachable": "move the row above the rows that hide it, or delete it",
    "table_gap": "add a row for the uncovered inputs, or give the outputs a default",
    "table_undecidable": "compare text with = or lists of values instead of < and >",
    "missing_value_path": "give the name a default where it is written, or handle null where it is read "
                          "(coalesce(x, ...) or if x == null then ... else ...)",
}

TABLE_ENTRY = "type.table_entry"
WRITTEN = "type.written"
NODE_INPUT = "type.node_input"
COMBINER_VALUE = "type.combiner_value"


@dataclass(frozen=True)
class ValidationReport:
    """What `validate_project` found: the problems, sorted by file and line, and what was validated."""

    project: str
    version: str | None
    problems: tuple[Problem, ...]
    summary: str | None = None  # "19 nodes, 16 inputs, outputs decision, reason" when it loaded
    loaded: bool = True

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """The report as the module docstring draws it."""
        return {
            "project": self.project,
            "version": self.version,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [{"severity": "warning" if not p.is_error else "error", "code": p.code,
                          "message": p.message, "file": p.file, "line": p.line, "column": p.column,
                          "fix": p.fix} for p in self.problems],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def lines(self) -> list[str]:
        """The report as text, one problem per line with its fix below it, then the verdict."""
        out = []
        for problem in self.problems:
            out.append(str(problem))
            if problem.fix:
                out.append(f"  fix: {problem.fix}")
        if self.errors:
            out.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in project '{self.project}'")
        else:
            out.append(f"ok: project '{self.project}' {self.version}: {self.summary}"
                       + (f" ({len(self.warnings)} warning(s))" if self.warnings else ""))
        return out


def validate_project(source: str | Path | Any) -> ValidationReport:
    """Validate a project folder (or .dmn / .fll file), or a `Project` already loaded.

    Never raises for a project that does not load: its load problems are the report.

    Examples
    --------
    >>> from importlib import resources
    >>> report = validate_project(resources.files("composite") / "templates" / "blank")
    >>> report.ok, report.to_dict()["errors"], report.project
    (True, 0, 'my-decision')
    """
    from composite.project import load_project

    if isinstance(source, (str, Path)):
        try:
            project = load_project(source)
        except CompositeError as error:
            problems = tuple(_sorted(_with_fixes(error.problems)))
            return ValidationReport(str(source), None, problems, loaded=False)
    else:
        project = source
    problems = _node_problems(project)
    try:
        from composite.missing import missing_value_paths

        problems += missing_value_paths(project)
    except CompositeError as error:  # a check that cannot finish says why, and the others still run
        problems += error.problems
    problems += type_problems(project)
    problems += fuzzy_problems(project)
    try:
        import composite.scenarios as scenarios
    except ImportError:  # pragma: no cover - the module ships with the package
        scenarios = None  # type: ignore[assignment]
    check_scenarios = getattr(scenarios, "check_scenarios", None)
    if callable(check_scenarios):
        problems += list(check_scenarios(project) or [])
    problems = _sorted(_deduplicated(_with_fixes(problems)))
    summary = (f"{len(project.nodes)} nodes, {len(project.graph.inputs)} inputs, "
               f"outputs {', '.join(project.outputs)}")
    return ValidationReport(project.name, project.version, tuple(problems), summary)


def _node_problems(project: Any) -> list[Problem]:
    """What each node kind checks of itself (rule sets, decision tables)."""
    problems: list[Problem] = []
    defined = set(project.graph.writer) | set(project.knowledge.concepts)
    for node in project.graph.order:
        check = getattr(node, "validate", None)
        if callable(check):
            problems.extend(check(project.knowledge, defined=defined) or [])
    return problems


# -- the fuzzy checks --------------------------------------------------------------------------


def fuzzy_problems(project: Any) -> list[Problem]:
    """`composite.fuzzy.check` for every fuzzy node, in its own file."""
    from composite.fuzzy.check import check_fuzzy

    problems: list[Problem] = []
    for node in project.graph.order:
        if node.kind != "fuzzy":
            continue
        file = getattr(node, "file", None) or node.rule_base.source
        problems += check_fuzzy(node.rule_base, knowledge=project.knowledge, evaluator=node.evaluator,
                                text=project.sources.get(file) if file else None, file=file)
    return problems


# -- the type pass over the whole project ------------------------------------------------------


def type_problems(project: Any) -> list[Problem]:
    """Every expression, rule condition and table entry checked against the types of the names it
    reads: knowledge/ concepts first, else the type of what the node writing the name gives."""
    knowledge = project.knowledge
    env: dict[str, ValueType] = {name: of_concept(concept) for name, concept in knowledge.concepts.items()}
    lines = _node_lines(project)
    problems: list[Problem] = []
    for node in project.graph.order:
        checker = _CHECKS.get(node.kind)
        written = checker(node, env, project, lines, problems) if checker else {}
        for name in node.writes:
            if name not in knowledge.concepts:  # the declared concept is the contract; else what is written
                env[name] = written.get(name, UNKNOWN)
    return problems


def _expression_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                     problems: list[Problem]) -> dict[str, ValueType]:
    local = dict(env)
    written = {}
    for target, expression in node.formulas.items():
        kind, found = check_expression(expression, local, field=f"nodes.{node.name}.writes.{target}")
        problems += found
        concept = project.knowledge.get(target)
        if concept is not None and not found:
            problems += _against_concept(expression, target, kind, of_concept(concept), node.name)
        kind = replace(kind, source=kind.source or f"node '{node.name}'")
        written[target] = kind
        local[target] = of_concept(concept) if concept is not None else kind
    return written


def _against_concept(expression: Any, target: str, kind: ValueType, declared: ValueType, node: str) -> list[Problem]:
    """A formula whose result is not what knowledge/ says the name is."""
    line, column = expression.location(expression.ast)
    where = dict(file=expression.source, line=line, column=column, field=f"nodes.{node}.writes.{target}")
    if kind.known and declared.known and kind.kind != declared.kind:
        return [Problem(WRITTEN, f"'{target}' is {describe(declared.kind)} in knowledge/ ({declared.source}), "
                        f"but its formula gives {describe(kind.kind)}",
                        fix=f"make the formula give {describe(declared.kind)}, or change the concept's type",
                        **where)]
    if kind.kind == TEXT and kind.values is not None and declared.values is not None:
        stray = [v for v in kind.values if v not in declared.values]
        if stray:
            import difflib

            close = difflib.get_close_matches(stray[0], [v for v in declared.values if isinstance(v, str)], n=1)
            hint = f"did you mean \"{close[0]}\"? " if close else ""
            return [Problem(WRITTEN, f"the formula of '{target}' can give \"{stray[0]}\", which is not one of its "
                            f"values in knowledge/ ({declared.source})",
                            fix=f"{hint}give one of {', '.join(_quote(v) for v in declared.values)}, or add "
                            f"\"{stray[0]}\" to the concept's values", **where)]
    return []


def _rules_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    ruleset = node.ruleset
    own: dict[str, ValueType] = {}
    source = f"rule set '{ruleset.name}'"
    for rule in ruleset.rules:
        for name, value in rule.then.items():
            own[name] = join(own[name], of_value(value, source)) if name in own else of_value(value, source)
    for name, value in ruleset.defaults.items():
        if name in own:
            own[name] = join(own[name], of_value(value, source))
        else:
            own[name] = of_value(value, source)
    # A name the rules assign and test is null (not yet assigned) or one of the values they assign.
    local = dict(env)
    for name in ruleset.asserted:
        if name not in project.knowledge.concepts:
            local[name] = replace(own[name], nullable=True)
    for rule in ruleset.rules:
        _, found = check_expression(rule.when, local, expect=BOOLEAN, what=f"the condition of rule '{rule.name}'",
                                    field=f"rules.{rule.name}.when")
        problems += found
    return {name: _widened(kind) for name, kind in own.items()}


def _widened(kind: ValueType) -> ValueType:
    """What other nodes may assume of a name the rules assign: its texts, not its numbers' range
    (a range of two assigned constants would make every threshold between them look suspicious)."""
    if kind.kind == NUMBER:
        return replace(kind, values=None, low=None, high=None)
    return kind


def _table_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    from composite.tables.table import HitPolicy

    written: dict[str, ValueType] = {}
    plan = getattr(node, "_plan", ())
    for decision in node.model.decisions:
        table = decision.table
        positions = _entry_positions(project, table)
        columns: dict[str, ValueType] = {}
        for output in table.outputs:
            kind: ValueType | None = None
            entries = [rule.outputs[i] for rule in table.rules for i, o in enumerate(table.outputs)
                       if o.name == output.name and i < len(rule.outputs)]
            if output.default is not None:
                entries.append(output.default)
            for entry in entries:
                part = of_value(_plain(entry.literal), f"table '{table.name}'") if entry.is_literal \
                    else ValueType(NUMBER)
                kind = part if kind is None else join(kind, part)
            columns[output.name] = _widened(kind or UNKNOWN)
        for number, rule in enumerate(table.rules, start=1):
            for position, (table_input, entry) in enumerate(zip(table.inputs, rule.inputs)):
                expected = env.get(table_input.name, UNKNOWN)
                if not expected.known:  # the table's own `type:` when nothing else says
                    expected = _declared(table_input.type)
                problems += _entry_problems(table, number, rule, table_input.name, entry, expected,
                                            positions.get((number - 1, table_input.name)))
            for output, entry in zip(table.outputs, rule.outputs):
                if not entry.is_literal:
                    problems += _computed_problems(table, number, rule, output.name, entry, env,
                                                   positions.get((number - 1, output.name)))
                target = _written_name(plan, decision.name, output.name)
                concept = project.knowledge.get(target) if target else None
                if concept is None or not entry.is_literal or entry.literal is None:
                    continue
                problems += _output_problems(table, number, rule, output.name, _plain(entry.literal),
                                             of_concept(concept), positions.get((number - 1, output.name)))
        single = table.hit_policy.single_hit or table.aggregation is not None
        for written_name, decision_name, key in plan:
            if decision_name != decision.name:
                continue
            if table.aggregation is not None:
                written[written_name] = ValueType(NUMBER) if table.aggregation.value in ("SUM", "COUNT") \
                    else columns.get(table.outputs[0].name, UNKNOWN)
            elif not single or table.hit_policy is HitPolicy.COLLECT:
                written[written_name] = UNKNOWN  # a list of values
            elif key is not None:
                written[written_name] = columns.get(key, UNKNOWN)
            elif len(table.outputs) == 1:
                written[written_name] = columns.get(table.outputs[0].name, UNKNOWN)
    return written


def _entry_problems(table: Any, number: int, rule: Any, name: str, entry: Any, expected: ValueType,
                    position: tuple[int | None, int | None] | None) -> list[Problem]:
    """An input entry whose constants are of another type than the input, or not among its values."""
    if not expected.known or entry.is_any:
        return []
    line, column = position if position is not None else (rule.line, None)
    where = dict(file=table.source, line=line or rule.line, column=column, field=f"{table.name}.rules[{number}].{name}")
    for value in (_plain(v) for v in entry.literals()):
        if value is None:
            continue
        kind = of_value(value)
        if kind.kind != expected.kind:
            fix = _entry_fix(value, expected.kind)
            return [Problem(TABLE_ENTRY, f"table '{table.name}' row {number}: the entry {entry.text} for {name} holds "
                            f"{describe(kind.kind)} {_quote(value)}, but {name} is {describe(expected.kind)}"
                            f"{_from(expected)}: the row never matches", fix=fix, **where)]
        if kind.kind == TEXT and expected.values is not None and value not in expected.values:
            return [Problem(TABLE_ENTRY, f"table '{table.name}' row {number}: {_quote(value)} is not a value of {name}"
                            f"{_from(expected)}: it is one of {', '.join(_quote(v) for v in expected.values)}",
                            fix=_did_you_mean(value, expected.values), **where)]
    return []


def _computed_problems(table: Any, number: int, rule: Any, name: str, entry: Any, env: Mapping[str, ValueType],
                       position: tuple[int | None, int | None] | None) -> list[Problem]:
    """An output entry computing with a name that is text or true/false (FEEL makes that null)."""
    tree = getattr(entry, "tree", None)
    if not isinstance(tree, tuple):
        return []
    line, column = position if position is not None else (rule.line, None)
    for operand, op in _arithmetic_names(tree):
        kind = env.get(operand, UNKNOWN)
        if kind.kind in (TEXT, BOOLEAN) and not (op == "+" and kind.kind == TEXT):
            return [Problem(TABLE_ENTRY, f"table '{table.name}' row {number}: the output entry {entry.text} for {name} "
                            f"computes with {operand}, which is {describe(kind.kind)}{_from(kind)}: the result is "
                            "always null", file=table.source, line=line or rule.line, column=column,
                            field=f"{table.name}.rules[{number}].{name}",
                            fix=f"compute with numbers only, or give {name} a literal value")]
    return []


def _arithmetic_names(tree: tuple, op: str = "") -> Iterable[tuple[str, str]]:
    """(name, the operation it is an operand of) for every name in an S-FEEL output entry's tree."""
    tag = tree[0]
    if tag == "name":
        if op:  # a name alone is passed on as it is
            yield tree[1], op
    elif tag == "neg":
        yield from _arithmetic_names(tree[1], "-")
    elif tag != "lit":
        for child in tree[1:]:
            if isinstance(child, tuple):
                yield from _arithmetic_names(child, tag)


def _output_problems(table: Any, number: int, rule: Any, name: str, value: Any, declared: ValueType,
                     position: tuple[int | None, int | None] | None) -> list[Problem]:
    """An output entry that is not what knowledge/ says the written name is."""
    line, column = position if position is not None else (rule.line, None)
    where = dict(file=table.source, line=line or rule.line, column=column, field=f"{table.name}.rules[{number}].{name}")
    kind = of_value(value)
    if declared.known and kind.known and kind.kind != declared.kind:
        return [Problem(TABLE_ENTRY, f"table '{table.name}' row {number} gives {name} = {_quote(value)}, "
                        f"{describe(kind.kind)}, but {name} is {describe(declared.kind)}{_from(declared)}",
                        fix=_entry_fix(value, declared.kind), **where)]
    if kind.kind == TEXT and declared.values is not None and value not in declared.values:
        return [Problem(TABLE_ENTRY, f"table '{table.name}' row {number} gives {name} = {_quote(value)}, which is "
                        f"not one of its values{_from(declared)}: {', '.join(_quote(v) for v in declared.values)}",
                        fix=_did_you_mean(value, declared.values), **where)]
    return []


def _fuzzy_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    for name in node.reads:
        kind = env.get(name, UNKNOWN)
        if kind.kind in (TEXT, BOOLEAN):
            problems.append(Problem(NODE_INPUT, f"fuzzy node '{node.name}' reads '{name}', which is "
                                    f"{describe(kind.kind)}{_from(kind)}; a fuzzy rule base takes numbers",
                                    file="composite.yaml", line=lines.get(node.name), field=f"nodes.{node.name}",
                                    fix=f"give the rule base a number: write '{name}' as a level in an expression "
                                    "node first (if ... then 1 else ...)"))
    source = f"node '{node.name}' (fuzzy)"
    return {out.name: ValueType(NUMBER, low=out.lo, high=out.hi, nullable=out.default != out.default, source=source)
            for out in node.rule_base.outputs}


def _model_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    spec = getattr(node, "spec", None)
    written: dict[str, ValueType] = {}
    for name in node.writes:
        if spec is not None and name == getattr(spec, "domain_output", None):
            written[name] = ValueType(BOOLEAN, source=f"node '{node.name}' (model)")
        else:
            written[name] = ValueType(NUMBER, source=f"node '{node.name}' (model)")
    return written


def _blend_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    return {name: ValueType(NUMBER, source=f"node '{node.name}' (blend)") for name in node.writes}


def _fallback_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                   problems: list[Problem]) -> dict[str, ValueType]:
    o = node.options
    written = {o.output: join(env.get(o.primary, UNKNOWN), env.get(o.fallback, UNKNOWN))}
    if o.output_source:
        written[o.output_source] = ValueType(TEXT, (o.primary, o.fallback), source=f"node '{node.name}' (fallback)")
    return written


def _review_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                 problems: list[Problem]) -> dict[str, ValueType]:
    o = node.options
    where = dict(file="composite.yaml", line=lines.get(node.name), field=f"nodes.{node.name}")
    for name in o.compare:
        kind = env.get(name, UNKNOWN)
        if kind.kind in (TEXT, BOOLEAN):
            problems.append(Problem(NODE_INPUT, f"review '{node.name}' compares '{name}', which is "
                                    f"{describe(kind.kind)}{_from(kind)}; it takes the difference of two numbers",
                                    fix="compare two scores on one scale, e.g. two probabilities", **where))
    outcome = env.get(o.outcome, UNKNOWN)
    problems += _unknown_values(node.name, "keep", o.keep, o.outcome, outcome, where)
    written = {o.output: join(outcome, of_value(o.refer))}
    if o.output_reason:
        written[o.output_reason] = UNKNOWN
    return written


def _guard_node(node: Any, env: dict[str, ValueType], project: Any, lines: Mapping[str, int],
                problems: list[Problem]) -> dict[str, ValueType]:
    o = node.options
    where = dict(file="composite.yaml", line=lines.get(node.name), field=f"nodes.{node.name}")
    override = env.get(o.override, UNKNOWN)
    problems += _unknown_values(node.name, "passes", o.passes, o.override, override, where)
    written = {o.output: join(override, env.get(o.otherwise, UNKNOWN))}
    if o.output_reason:
        written[o.output_reason] = UNKNOWN
    return written


def _unknown_values(node: str, option: str, listed: Iterable[Any], name: str, kind: ValueType,
                    where: Mapping[str, Any]) -> list[Problem]:
    """A combiner option listing a value the name it is about never takes (a typo, usually)."""
    if kind.kind != TEXT or kind.values is None:
        return []
    for value in listed:
        if isinstance(value, str) and value not in kind.values:
            return [Problem(COMBINER_VALUE, f"node '{node}' lists {_quote(value)} in '{option}', but '{name}' is "
                            f"never {_quote(value)}{_from(kind)}: it is one of "
                            f"{', '.join(_quote(v) for v in kind.values)}",
                            fix=_did_you_mean(value, kind.values), severity="warning", **where)]
    return []


_CHECKS = {
    "expression": _expression_node,
    "rules": _rules_node,
    "table": _table_node,
    "fuzzy": _fuzzy_node,
    "model": _model_node,
    "blend": _blend_node,
    "fallback": _fallback_node,
    "review": _review_node,
    "guard": _guard_node,
}


# -- joining -----------------------------------------------------------------------------------


def _with_fixes(problems: Iterable[Problem]) -> list[Problem]:
    return [p if p.fix or p.code not in _FIXES else replace(p, fix=_FIXES[p.code]) for p in problems]


def _deduplicated(problems: list[Problem]) -> list[Problem]:
    """One report per mistake: the same problem found twice once, and a type problem in place of
    the older check's less specific report of the same place."""
    typed_fix = {(p.file, p.line, p.column): p.fix for p in problems
                 if p.code in ("type.compare", "type.value_not_allowed", "type.text_order") and p.fix}
    rules_at = set()
    for index, p in enumerate(problems):
        if p.code in ("rules.type_mismatch", "rules.value_not_allowed", "rules.text_order"):
            rules_at.add((p.file, p.line, p.column))
            # the rule set's words, with the type pass's fix when it has a precise one
            fix = typed_fix.get((p.file, p.line, p.column))
            if fix and (not p.fix or p.fix == _FIXES.get(p.code)):
                problems[index] = replace(p, fix=fix)
    never_fires = {(p.file, p.field) for p in problems if p.code == "rules.never_fires"}
    typed_rows = {(p.file, (p.field or "").rsplit(".", 1)[0]) for p in problems if p.code == TABLE_ENTRY}
    out: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for p in problems:
        if p.code in ("type.compare", "type.value_not_allowed", "type.text_order") and \
                (p.file, p.line, p.column) in rules_at:
            continue  # the rule set's own check said it first, in its own words
        if p.code == "type.outside_range" and "never true" in p.message and (p.file, p.field) in never_fires:
            continue
        if p.code == "table_row_never_matches" and (p.file, p.field or "") in typed_rows:
            continue  # the entry's type problem says why
        key = (p.severity, p.code, p.message, p.file, p.line, p.column)
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0, p.code))


# -- small helpers -----------------------------------------------------------------------------


def _node_lines(project: Any) -> dict[str, int]:
    """The line of each node's entry in composite.yaml."""
    text = getattr(project, "sources", {}).get("composite.yaml")
    if not text:
        return {}
    try:
        document = load_yaml(text, file="composite.yaml")
    except CompositeError:
        return {}
    nodes = document.get("nodes") if isinstance(document, Mapping) else None
    lines: dict[str, int] = {}
    if isinstance(nodes, LineList):
        for index, entry in enumerate(nodes):
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                line = nodes.line_of(index)
                if line is not None:
                    lines[entry["name"]] = line
    return lines


def _entry_positions(project: Any, table: Any) -> dict[tuple[int, str], tuple[int | None, int | None]]:
    """(row index, column name) -> (line, column) of each entry of a YAML table."""
    file = table.source
    text = project.sources.get(file) if file else None
    if not text or not str(file).endswith((".yaml", ".yml")):
        return {}
    try:
        document = load_yaml(text, file=file)
    except CompositeError:
        return {}
    rows = document.get("rules") if isinstance(document, Mapping) else None
    positions: dict[tuple[int, str], tuple[int | None, int | None]] = {}
    if isinstance(rows, list):
        for index, row in enumerate(rows):
            if isinstance(row, LineDict):
                for key in row:
                    positions[(index, str(key))] = row.position_of_value(key)
    return positions


def _written_name(plan: Iterable[tuple[str, str, str | None]], decision: str, output: str) -> str | None:
    for written, decision_name, key in plan:
        if decision_name == decision and key == output:
            return written
    return None


def _declared(kind: str | None) -> ValueType:
    return {"number": ValueType(NUMBER), "string": ValueType(TEXT), "boolean": ValueType(BOOLEAN)}.get(kind or "",
                                                                                                      UNKNOWN)


def _plain(value: Any) -> Any:
    from composite.tables.sfeel import from_feel

    return from_feel(value)


def _entry_fix(value: Any, kind: str) -> str:
    if kind == NUMBER and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return "write a number (without quotes)"
        return f"write {value.strip()} without quotes" if number == number else "write a number"
    if kind == TEXT and not isinstance(value, str):
        return f"write \"{value}\" in double quotes"
    if kind == BOOLEAN:
        return "write true or false"
    return f"write {describe(kind)}"


def _did_you_mean(value: str, allowed: Iterable[Any]) -> str:
    import difflib

    allowed = list(allowed)
    close = difflib.get_close_matches(value, [v for v in allowed if isinstance(v, str)], n=1, cutoff=0.6)
    if close:
        return f"did you mean {_quote(close[0])}? write {_quote(close[0])}"
    return f"use one of {', '.join(_quote(v) for v in allowed)}, or add {_quote(value)} to the values in knowledge/"


def _from(kind: ValueType) -> str:
    return f" ({kind.source})" if kind.source else ""


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["ValidationReport", "fuzzy_problems", "type_problems", "validate_project"]
