"""Why a rule, a decision-table row or a fuzzy rule did (or did not) decide a stored decision.

Names resolve against the decision's project version; an unknown name raises `unknown_name`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from composite.errors import CompositeError
from composite.schemas import Decision, NodeTrace

# How a reference is written, for the error that names none the decision knows.
FORMS = ("a rule's name", "<table node or table>:<row number or row id>",
         "<fuzzy node>:<rule number or name> (or a fuzzy rule's name or text)")


@dataclass(frozen=True)
class Target:
    """One thing `why_not` can be asked about: a rule, a table row or a fuzzy rule of one step."""

    kind: str  # "rule", "row" or "fuzzy"
    step: NodeTrace
    subject: Any  # the rule's name; (table, position) for a row; (rule, position) for a fuzzy rule


def why_not_lines(decision: Decision, snapshot: Mapping[str, Any], name: str) -> list[str]:
    """Why `name` (a rule, a table row or a fuzzy rule) did or did not decide, from the stored decision.

    Raises CompositeError `unknown_name` (with the closest names) when the decision has no such thing."""
    targets, problem = references(decision, snapshot)
    target = targets.get(name) or targets.get(_text_key(name))
    if target is None:
        raise unknown_name(name, targets, problem)
    if target.kind == "rule":
        return _rule_lines(snapshot, target)
    if target.kind == "row":
        return table_row_lines(target.step, *target.subject)
    return fuzzy_rule_lines(target.step, *target.subject)


def references(decision: Decision, snapshot: Mapping[str, Any]) -> tuple[dict[str, Target], str | None]:
    """Every name `why_not` accepts for this decision, and why tables and fuzzy rules are missing if
    the project version could not be loaded again."""
    described = {n["name"]: n for n in snapshot.get("nodes", [])}
    targets: dict[str, Target] = {}
    bare: list[tuple[str, Target]] = []  # row ids and fuzzy rule names: a rule of that name comes first
    for step in decision.trace.nodes:
        for rule in described.get(step.name, {}).get("rules", []) or []:
            if isinstance(rule, Mapping) and rule.get("name"):
                target = Target("rule", step, rule["name"])
                targets.setdefault(rule["name"], target)
                targets.setdefault(f"{step.name}:{rule['name']}", target)
    nodes, problem = _nodes(snapshot, decision)
    for step in decision.trace.nodes:
        node = nodes.get(step.name)
        if step.kind == "table" and hasattr(node, "model"):
            decisions = node.model.decisions
            for decision_ in decisions:
                table = decision_.table
                prefixes = [table.name] + ([step.name] if len(decisions) == 1 and step.name != table.name else [])
                for position, row in enumerate(table.rules):
                    target = Target("row", step, (table, position))
                    for prefix in prefixes:
                        targets.setdefault(f"{prefix}:{position + 1}", target)
                        if row.id:
                            targets.setdefault(f"{prefix}:{row.id}", target)
                    if row.id:
                        bare.append((row.id, target))
        elif step.kind == "fuzzy" and hasattr(node, "rule_base"):
            for position, rule in enumerate(node.rule_base.rules):
                target = Target("fuzzy", step, (rule, position))
                targets.setdefault(f"{step.name}:{position + 1}", target)
                if rule.name:
                    targets.setdefault(f"{step.name}:{rule.name}", target)
                    bare.append((rule.name, target))
                if rule.text:
                    targets.setdefault(_text_key(rule.text), target)
    for key, target in bare:
        targets.setdefault(key, target)
    return targets, problem


def unknown_name(name: str, targets: Mapping[str, Target], problem: str | None = None) -> CompositeError:
    """The error for a name the decision does not know: the closest names, else the forms a name takes."""
    known = [key for key in targets if not key.startswith("\0")]
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    message = f"no rule, table row or fuzzy rule named '{name}' in this decision"
    if close:
        message += "; did you mean " + ", ".join(f"'{key}'" for key in close) + "?"
    else:
        message += "; write " + ", or ".join(FORMS)
    if problem:
        message += f" (table rows and fuzzy rules are not available: {problem})"
    return CompositeError(message, code="unknown_name", field="why_not")


def _text_key(text: str) -> str:
    # a fuzzy rule asked for by its text: compared without case or spacing, kept apart from names
    return "\0" + " ".join(text.lower().split())


def _nodes(snapshot: Mapping[str, Any], decision: Decision) -> tuple[dict[str, Any], str | None]:
    """The decision's project version's nodes by name (loaded again from the snapshot if needed)."""
    if not any(step.kind in ("table", "fuzzy") for step in decision.trace.nodes):
        return {}, None
    try:
        from composite.evidence import project_for

        return dict(project_for(snapshot).graph.nodes), None
    except Exception as exc:  # an old snapshot that no longer loads: rules still answer
        return {}, f"the stored project does not load ({exc})"


# -- rules ---------------------------------------------------------------------------------------


def _rule_lines(snapshot: Mapping[str, Any], target: Target) -> list[str]:
    from composite.nodes import node_class

    step = target.step
    info = next((n for n in snapshot.get("nodes", []) if n.get("name") == step.name), {})
    explain: Callable[..., list[str]] | None = getattr(node_class(step.kind), "explain_why_not", None)
    if explain is None:
        return [f"in step '{step.name}': its kind '{step.kind}' cannot say why a rule did not fire"]
    return [f"in step '{step.name}':"] + [f"  {line}" for line in explain(info, target.subject, read=step.read,
                                                                           wrote=step.wrote, evidence=step.evidence)]


# -- decision-table rows -------------------------------------------------------------------------


def table_row_lines(step: NodeTrace, table: Any, position: int) -> list[str]:
    """Each input entry of the row against the value the table saw, and whether the row was used.

    `table` is the `DecisionTable` of the decision's project version; which rows matched and which
    the hit policy chose comes from the step's stored evidence."""
    from composite.tables.sfeel import format_literal, to_feel

    row = table.rules[position]
    number = position + 1
    values = _table_values(step, table)
    named = f" ({row.id})" if row.id else ""
    where = f", line {row.line} of {table.source}" if row.line and table.source else ""
    gives = ", ".join(f"{output.name} = {getattr(entry, 'text', entry)}"
                      for output, entry in zip(table.outputs, row.outputs))
    lines = [f"row {number}{named} of table '{table.name}' ({table.label}) in step '{step.name}'{where}"
             + (f": gives {gives}" if gives else "")]
    if row.annotation:
        lines.append(f"  [{row.annotation}]")
    failed = 0
    for table_input, entry in zip(table.inputs, row.inputs):
        if entry.is_any:
            continue
        value = values.get(table_input.name)
        # a float as Python shows it, not as the exact decimal S-FEEL compares (60.2044882956085...)
        shown = f"{value:.10g}" if isinstance(value, float) else format_literal(to_feel(value))
        condition = entry.describe(table_input.name)
        if entry.test(to_feel(value)) is True:
            lines.append(f"  matched: {condition} ({table_input.name} = {shown})")
        else:
            failed += 1
            lines.append(f"  FAILED:  {table_input.name} = {shown} {_negated(condition, table_input.name)}")
    stored = next((entry for entry in (step.evidence or {}).get("tables") or [] if entry.get("table") == table.name),
                  None)
    if failed:
        lines.insert(1, f"  did not match: {failed} of its entries failed")
        return lines
    if stored is None:
        lines.insert(1, "  every entry matched (the step's evidence, to say whether the row was used, is unavailable)")
        return lines
    selected = stored.get("selected") or []
    matched = [hit.get("row") for hit in stored.get("matched") or []]
    if number in selected:
        output = ", ".join(f"{key} = {_plain(value)}" for key, value in (stored.get("output") or {}).items())
        lines.insert(1, f"  matched and was used: it decided {output}" if len(selected) == 1 else
                     f"  matched and was used with row{'s' if len(selected) > 2 else ''} "
                     f"{', '.join(str(r) for r in selected if r != number)} ({table.label}): {output}")
    else:
        chosen = ", ".join(str(r) for r in selected) or "none"
        every = ", ".join(str(r) for r in sorted({number, *matched}))
        lines.insert(1, f"  matched, but the hit policy {table.label} chose row{'s' if len(selected) != 1 else ''} "
                        f"{chosen} (rows matched: {every})")
    return lines


def _table_values(step: NodeTrace, table: Any) -> dict[str, Any]:
    """The values the table saw: what its step read, plus earlier decisions' values in a DMN model."""
    from composite.tables.table import _lookup  # the table's own reading of `a.b.c`, not a copy

    values: dict[str, Any] = dict(step.read)
    for entry in (step.evidence or {}).get("tables") or []:
        if entry.get("table") == table.name:
            break
        output = entry.get("output") or {}
        values[entry.get("table")] = next(iter(output.values())) if len(output) == 1 else output
    return {name: _lookup(values, name) for name in table.reads}


def _negated(condition: str, name: str) -> str:
    """`age in [25..35)` as what the value is instead: `is not in [25..35)`."""
    rest = condition[len(name):].strip() if condition.startswith(name) else condition
    for prefix, instead in (("not in ", "is in "), ("in ", "is not in "), ("!= ", "is "), ("= ", "is not "),
                            ("is not null", "is null"), ("is null", "is not null")):
        if rest.startswith(prefix):
            return instead + rest[len(prefix):]
    return f"is not {rest}"


def _plain(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# -- fuzzy rules ---------------------------------------------------------------------------------


def fuzzy_rule_lines(step: NodeTrace, rule: Any, position: int) -> list[str]:
    """The rule's firing strength, each term's membership, and the term that held it back."""
    from composite.fuzzy.model import And, Not, Or, Proposition, propositions

    evidence = step.evidence or {}
    inputs = evidence.get("inputs") or {}
    strength = next((entry.get("strength") for entry in evidence.get("rules") or [] if entry.get("name") == rule.name),
                    None)
    where = f", line {rule.line}" if rule.line else ""
    lines = [f"fuzzy rule '{rule.name}' (rule {position + 1} of step '{step.name}'{where}): {rule.text}"]
    if strength is None:
        lines.append("  its firing strength is not in the step's evidence (the evidence is unavailable)")
        return lines
    weight = f" (after its weight {rule.weight:g})" if rule.weight != 1.0 else ""
    lines.append(f"  fired at {strength:.2f}{weight}" if strength > 0 else f"  did not fire: strength 0{weight}")
    degrees: list[tuple[float, Proposition]] = []
    for part in propositions(rule.antecedent):
        entry = inputs.get(part.variable) or {}
        degree = _degree(part, entry.get("memberships") or {})
        degrees.append((degree, part))
        value = entry.get("value")
        shown = f"{value:.4g}" if isinstance(value, (int, float)) else "missing"
        term = " ".join((*part.hedges, part.term))
        lines.append(f"  {part.variable} = {shown} is {term}: {degree:.2f}")
    if not degrees:
        return lines
    antecedent = rule.antecedent
    if isinstance(antecedent, (Proposition, And)) or (isinstance(antecedent, Not) and len(degrees) == 1):
        degree, part = min(degrees, key=lambda pair: pair[0])
        if len(degrees) > 1:
            lines.append(f"  held back by '{part.variable} is {' '.join((*part.hedges, part.term))}' "
                         f"({degree:.2f}): the weakest of its conditions")
    elif isinstance(antecedent, Or):
        degree, part = max(degrees, key=lambda pair: pair[0])
        lines.append(f"  its strongest alternative: '{part.variable} is {part.term}' ({degree:.2f})")
    return lines


def _degree(part: Any, memberships: Mapping[str, float]) -> float:
    """The membership of a proposition, its hedges applied right to left, as the evaluator does."""
    from composite.fuzzy.evaluate import _HEDGE_SCALAR  # the evaluator's own arithmetic, not a copy

    degree = float(memberships.get(part.term, 0.0))
    for hedge in reversed(part.hedges):
        degree = _HEDGE_SCALAR[hedge](degree)
    return degree


__all__ = ["FORMS", "Target", "fuzzy_rule_lines", "references", "table_row_lines", "unknown_name", "why_not_lines"]
