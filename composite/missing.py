"""Where a missing value (null) can reach a node that cannot take it: warnings for `composite validate`.

The missing-value rule (docs/limits.md): a value a node could not give is null, and a node that
cannot take null fails naming it. This module finds, before any decision, each path by which that
can happen:

sources   a fuzzy output with no `default` where no rule fires for some input (a gap between
          terms, a term drawn outside its variable's range, rules that cannot fire); a decision
          table with uncovered inputs and no default; a rule file whose default is `null`; an
          expression whose result can be null (a `null` branch, or a null name passed on).
sinks     an expression using the name in arithmetic, an ordering, a function other than
          `coalesce` or a condition, unless a `x == null` / `x != null` test guards that use;
          a fuzzy node (every input must be a number); a model node, for a feature whose concept
          says it is required.

Each warning names the producing node and the consuming node, with file and line. Sources are
found from witnesses (an input for which the fuzzy output really is null, a table gap the table
analysis proved), so every warning is a true one.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from composite.errors import Problem
from composite.expr import BoolOp, Call, Compare, IfElse, In, Literal, Name, Not, walk
from composite.expr._ast import Node as ExprNode

CODE = "missing_value_path"
_GRID_CAP = 20_000  # input combinations tried per fuzzy rule base


@dataclass(frozen=True)
class Source:
    """A name that can be null: who writes it, why, and where that is."""

    node: str
    kind: str
    why: str
    file: str | None
    line: int | None

    def text(self, name: str) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else (f" ({self.file})" if self.file else "")
        return f"'{name}' can be null: node '{self.node}' ({self.kind}){where} {self.why}"


def missing_value_paths(project: Any) -> list[Problem]:
    """Warnings for every path by which a null can reach a node that cannot take it."""
    lines = _node_lines(project)
    sources: dict[str, Source] = {}
    problems: list[Problem] = []
    for node in project.graph.order:
        # an expression node's formulas in order: a later one may use what an earlier one wrote
        steps = [(node, {target: expression}) for target, expression in node.formulas.items()] \
            if node.kind == "expression" else [(node, None)]
        for _, formulas in steps:
            for name, (use_file, use_line, use_column, what) in _unsafe_uses(node, project.knowledge, sources,
                                                                             formulas):
                source = sources[name]
                problems.append(Problem(
                    CODE,
                    f"{source.text(name)}; node '{node.name}' ({node.kind}) cannot take null: {what}. "
                    f"Give '{name}' a default where it is written, or handle null in '{node.name}'",
                    file=use_file or "composite.yaml", line=use_line if use_file else lines.get(node.name),
                    column=use_column, field=f"nodes.{node.name}", severity="warning"))
            for name, source in _sources(node, project, lines, sources, formulas):
                sources.setdefault(name, source)
    return problems


# -- sources -----------------------------------------------------------------------------------


def _sources(node: Any, project: Any, lines: dict[str, int], known: dict[str, Source],
             formulas: dict[str, Any] | None = None) -> Iterator[tuple[str, Source]]:
    kind = node.kind
    if kind == "fuzzy":
        yield from _fuzzy_sources(node)
    elif kind == "table":
        yield from _table_sources(node, project.knowledge)
    elif kind == "rules":
        ruleset = node.ruleset
        for name, value in ruleset.defaults.items():
            if value is None and name in node.writes:
                yield name, Source(node.name, kind, "has the default null (when no rule assigns it)",
                                   ruleset.file or getattr(node, "file", None), ruleset.default_lines.get(name))
    elif kind == "expression":
        for target, expression in (formulas if formulas is not None else node.formulas).items():
            culprit = _nullable_result(expression.ast, known)
            if culprit is not None:
                line, _ = expression.location(culprit)
                why = ("passes on the null of '" + culprit.name + "'") if isinstance(culprit, Name) \
                    else "can give null"
                yield target, Source(node.name, kind, why, expression.source or "composite.yaml", line)


def _fuzzy_sources(node: Any) -> Iterator[tuple[str, Source]]:
    rule_base = node.rule_base
    open_outputs = [out for out in rule_base.outputs if math.isnan(out.default)]
    if not open_outputs:
        return
    grids = [_grid(var, len(rule_base.inputs)) for var in rule_base.inputs]
    combos = list(itertools.product(*grids))
    if not combos:
        return
    columns = {var.name: np.array([c[i] for c in combos], dtype=np.float64) for i, var in enumerate(rule_base.inputs)}
    result = node.evaluator.evaluate_batch(columns, len(combos))
    for out in open_outputs:
        values = np.asarray(result.outputs[out.name], dtype=np.float64)
        empty = np.flatnonzero(np.isnan(values))
        if empty.size:
            at = combos[int(empty[0])]
            example = ", ".join(f"{var.name} = {_num(x)}" for var, x in zip(rule_base.inputs, at))
            outside = _terms_outside(rule_base)
            note = f"; {outside}" if outside else ""
            yield out.name, Source(node.name, "fuzzy", f"has no default, and no rule gives it a value when "
                                   f"{example}{note}", node.file or rule_base.source, out.line)


def _grid(var: Any, inputs: int) -> list[float]:
    """Values of one input worth trying: its ends, every term's corners, the points between them
    and an even spread, thinned so that all inputs together stay under the cap."""
    points = {float(var.lo), float(var.hi)}
    for term in var.terms:
        points.update(float(p) for p in term.params if var.lo <= p <= var.hi)
    per_input = max(3, int(_GRID_CAP ** (1.0 / max(inputs, 1))))
    points.update(np.linspace(var.lo, var.hi, min(per_input, 41)).tolist())
    ordered = sorted(points)
    between = [(a + b) / 2 for a, b in zip(ordered, ordered[1:])]
    values = sorted(set(ordered) | set(between))
    if len(values) > per_input:  # keep the ends and an even selection
        picks = np.linspace(0, len(values) - 1, per_input).round().astype(int)
        values = [values[i] for i in sorted(set(picks.tolist()))]
    return values


def _terms_outside(rule_base: Any) -> str:
    """Terms whose membership is 0 over their whole variable's range (rules using them never fire)."""
    found = []
    for var in tuple(rule_base.inputs) + tuple(rule_base.outputs):
        universe = np.linspace(var.lo, var.hi, max(getattr(var, "resolution", 101), 101))
        for term in var.terms:
            if term.is_function:
                continue
            if not np.any(term.membership(universe) > 0.0):
                found.append(f"term '{term.name}' of '{var.name}' lies outside its range [{_num(var.lo)}, {_num(var.hi)}]")
    return "; ".join(found)


def _table_sources(node: Any, knowledge: Any) -> Iterator[tuple[str, Source]]:
    from composite.nodes.table import _domains
    from composite.tables.analysis import _no_match_is_null, _where, analyse

    for written, decision_name, _key in node._plan:
        table = node.model.decision(decision_name).table
        if not _no_match_is_null(table):
            continue
        try:
            analysis = analyse(table, _domains(table, knowledge, node.model))
        except Exception:  # an undecidable table says so in its own findings
            continue
        if analysis.gaps:
            yield written, Source(node.name, "table", f"has no default, and no row matches when "
                                  f"{_where(analysis.gaps[0].where)}", table.source, table.line)


def _nullable_result(tree: ExprNode, known: dict[str, Source]) -> ExprNode | None:
    """The sub-expression through which the value of `tree` can be null, if any."""
    if isinstance(tree, Literal):
        return tree if tree.value is None else None
    if isinstance(tree, Name):
        return tree if tree.name in known else None
    if isinstance(tree, IfElse):
        return _nullable_result(tree.then, known) or _nullable_result(tree.orelse, known)
    if isinstance(tree, Call) and tree.function == "coalesce":
        last = [_nullable_result(arg, known) for arg in tree.args]
        return last[-1] if all(x is not None for x in last) else None
    return None  # every other operation gives a value or fails


# -- sinks -------------------------------------------------------------------------------------


def _unsafe_uses(node: Any, knowledge: Any, sources: dict[str, Source], formulas: dict[str, Any] | None = None,
                 ) -> Iterator[tuple[str, tuple[str | None, int | None, int | None, str]]]:
    kind = node.kind
    if kind == "expression":
        for target, expression in (formulas if formulas is not None else node.formulas).items():
            reported: set[str] = set()
            for name_node, what in _unguarded(expression.ast, frozenset()):
                if name_node.name in sources and name_node.name not in reported:
                    reported.add(name_node.name)
                    line, column = expression.location(name_node)
                    shown = " ".join(expression.text.split())
                    yield name_node.name, (expression.source or "composite.yaml", line, column,
                                           f"'{target}: {shown}' uses it in {what}, which fails on null")
        return
    nullable = [name for name in node.reads if name in sources]
    if kind == "fuzzy":
        for name in nullable:
            yield name, (None, None, None, "a fuzzy rule base needs a number for every input")
    elif kind == "model":
        for name in nullable:
            concept = knowledge.get(name) if knowledge is not None and hasattr(knowledge, "get") else None
            if concept is not None and getattr(concept, "required", False):
                yield name, (None, None, None, f"knowledge/ says the feature '{name}' is required")


_SAFE_CALLS = frozenset({"coalesce"})


def _unguarded(tree: ExprNode, safe: frozenset[str]) -> Iterator[tuple[Name, str]]:
    """Names used where null fails, outside the reach of a null test (`x != null and ...`,
    `if x == null then ... else ...`), with what uses them."""
    if isinstance(tree, IfElse):
        yield from _unguarded_in(tree.condition, safe, "the condition of 'if'")
        yield from _unguarded(tree.then, safe | _not_null_when(tree.condition, True))
        yield from _unguarded(tree.orelse, safe | _not_null_when(tree.condition, False))
        return
    if isinstance(tree, BoolOp):
        guarded = safe
        for operand in tree.operands:
            yield from _unguarded_in(operand, guarded, f"'{tree.op}'")
            # `x != null and x > 1`: the right side runs only when the left is true (false for `or`)
            guarded = guarded | _not_null_when(operand, tree.op == "and")
        return
    if isinstance(tree, Not):
        yield from _unguarded_in(tree.operand, safe, "'not'")
        return
    if isinstance(tree, In) or (isinstance(tree, Compare) and tree.op in ("==", "!=")):
        children = (tree.item, *tree.options.items) if isinstance(tree, In) else tree.children()
        for child in children:  # null compares: a name here is safe
            if not isinstance(child, Name):
                yield from _unguarded(child, safe)
        return
    if isinstance(tree, Call) and tree.function in _SAFE_CALLS:
        for arg in tree.args:
            if not isinstance(arg, Name):
                yield from _unguarded(arg, safe)
        return
    if isinstance(tree, (Literal, Name)):
        return
    what = f"{tree.function}()" if isinstance(tree, Call) else f"'{getattr(tree, 'op', '?')}'"
    for child in tree.children():
        yield from _unguarded_in(child, safe, what)


def _unguarded_in(child: ExprNode, safe: frozenset[str], what: str) -> Iterator[tuple[Name, str]]:
    """`child` used as an operand of `what`: a bare name there fails on null unless guarded."""
    if isinstance(child, Name):
        if child.name not in safe:
            yield child, what
        return
    yield from _unguarded(child, safe)


def _not_null_when(condition: ExprNode, outcome: bool) -> frozenset[str]:
    """Names certainly not null when `condition` evaluates to `outcome`."""
    if isinstance(condition, Compare) and condition.op in ("==", "!="):
        pair = (condition.left, condition.right)
        for a, b in (pair, pair[::-1]):
            if isinstance(a, Name) and isinstance(b, Literal) and b.value is None:
                # `x != null` true, or `x == null` false: x has a value
                return frozenset({a.name}) if (condition.op == "!=") == outcome else frozenset()
    if isinstance(condition, Not):
        return _not_null_when(condition.operand, not outcome)
    if isinstance(condition, BoolOp):
        # `a and b` true: both true; `a or b` false: both false
        if (condition.op == "and") == outcome:
            return frozenset().union(*(_not_null_when(o, outcome) for o in condition.operands))
    return frozenset()


# -- helpers -----------------------------------------------------------------------------------


def _node_lines(project: Any) -> dict[str, int]:
    """The line of each node's entry in composite.yaml (for nodes that do not keep it)."""
    lines: dict[str, int] = {}
    try:
        text = (project.root / "composite.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, TypeError):
        return lines
    names = {node.name for node in project.graph.order}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.search(r"\bname:\s*['\"]?([A-Za-z_][\w.-]*)", line)
        if match and match.group(1) in names and match.group(1) not in lines:
            lines[match.group(1)] = number
    return lines


def _num(x: float) -> str:
    return f"{x:g}"


__all__ = ["CODE", "Source", "missing_value_paths"]
