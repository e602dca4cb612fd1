"""Render a stored decision in the words of the project's knowledge: short (the steps that decided it) or full.

Works from the store alone: the decision record and the project snapshot saved with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from composite import temporal
from composite.knowledge import Knowledge
from composite.schemas import Decision, NodeTrace
from composite.store._codec import dumps

if TYPE_CHECKING:
    from composite.store import DecisionStore

# The short form packs the matched table rows into lines this wide.
_WIDTH = 120
# A rule set's fired rules and a fuzzy rule base's rules shown in the short form, strongest first.
_SHOWN = 3


def stored_knowledge(snapshot: Mapping[str, Any]) -> Knowledge:
    """The concepts of a stored project snapshot, to word values as the project did."""
    try:
        return Knowledge.from_mapping(snapshot.get("concepts") or {}, file="<stored snapshot>")
    except Exception:  # an explanation must still render if an old snapshot no longer validates
        return Knowledge()


def value_text(knowledge: Knowledge, name: str, value: Any) -> str:
    """A value in its concept's words (unit, labels), or plainly when no concept names it."""
    if value is None:
        return "null"
    concept = knowledge.get(name)
    if concept is None:
        return _plain(value)
    if isinstance(value, float) and value != value:
        return "NaN"
    return concept.format(value) if not isinstance(value, (dict, list)) else _plain(value)


def _short(text: str, limit: int = 72) -> str:
    """The first clause of a description: enough to recognise the concept in a list."""
    first = text.split(". ")[0].split(": ")[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _gloss(knowledge: Knowledge, name: str) -> str:
    """`  (what the concept is)`, to follow a name in a list; empty when knowledge/ does not describe it."""
    concept = knowledge.get(name)
    return f"  ({_short(concept.description)})" if concept and concept.description else ""


def _outcome_lines(knowledge: Knowledge, outputs: Mapping[str, Any]) -> list[str]:
    return [f"  {name} = {value_text(knowledge, name, value)}{_gloss(knowledge, name)}"
            for name, value in outputs.items()]


def _why_not_section(decision: Decision, snapshot: Mapping[str, Any], rule: str) -> list[str]:
    return ["", f"Why not '{rule}'?", *(f"  {line}" for line in why_not_lines(decision, snapshot, rule))]


def one_line(text: str) -> str:
    return " ".join(text.split())


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    if temporal.is_temporal(value):
        return temporal.iso(value)  # a date or duration no concept names: its ISO text, unquoted
    return json.dumps(value, default=str)


def evidence_lines(kind: str, step: Any, knowledge: Knowledge) -> list[str]:
    if not step.evidence:
        return []
    differs = step.evidence.get("replay_differs")
    if isinstance(differs, Mapping) and len(step.evidence) == 1:
        # evidence derived on demand: the node, run again on what it read, did not give what was stored
        return [f"NOT REPRODUCED: run again on what it read, the step gives {key} = {_plain(change.get('replay'))}, "
                f"but the decision stored {_plain(change.get('stored'))}"
                for key, change in differs.items() if isinstance(change, Mapping)]
    if set(step.evidence) == {"unavailable"}:
        return [f"evidence unavailable: {step.evidence['unavailable']}"]
    try:
        from composite.nodes import node_class

        render = node_class(kind).render
        lines = render(step.evidence, read=step.read, wrote=step.wrote, knowledge=knowledge)
        if lines is not None:
            return list(lines)
    except Exception:  # an old or unknown kind: show the evidence as stored
        pass
    return [f"evidence: {dumps(step.evidence)}"]


def why_not_lines(decision: Decision, snapshot: Mapping[str, Any], rule: str) -> list[str]:
    """Why `rule` (a rule, a table row or a fuzzy rule: see composite.why_not) did or did not decide
    this decision, from the stored decision alone; CompositeError `unknown_name` for an unknown name."""
    from composite.why_not import why_not_lines as lines

    return lines(decision, snapshot, rule)


def explain_text(decision: Decision, snapshot: Mapping[str, Any], *, why_not: str | None = None) -> str:
    knowledge = stored_knowledge(snapshot)
    described = {n["name"]: n for n in snapshot.get("nodes", [])}
    out: list[str] = []
    add = out.append
    add(f"Decision {decision.id}")
    add(f"  project   {decision.project} {decision.project_version} ({decision.project_hash[:19]}…)")
    add(f"  made      {decision.created_at.isoformat(timespec='milliseconds')}"
        f" in {decision.duration_us:.0f} µs" + (f", batch {decision.batch_id}" if decision.batch_id else ""))
    add("")
    add("Outcome")
    out.extend(_outcome_lines(knowledge, decision.outputs))
    add("")
    add("Inputs")
    width = max((len(n) for n in decision.inputs), default=0)
    for name, value in decision.inputs.items():
        add(f"  {name.ljust(width)}  {value_text(knowledge, name, value)}{_gloss(knowledge, name)}")
    add("")
    add("Steps, in the order they ran")
    if decision.trace.note:
        add(f"  ({decision.trace.note})")
    for index, step in enumerate(decision.trace.nodes, 1):
        info = described.get(step.name, {})
        title = f"  {index}. {step.name} ({step.kind})"
        if info.get("description"):
            title += f": {info['description']}"
        elif info.get("summary"):
            title += f": {info['summary']}"
        add(title)
        if step.read:
            add("     read   " + ", ".join(f"{k} = {value_text(knowledge, k, v)}" for k, v in step.read.items()))
        formulas = info.get("formulas") or {}
        for name, value in step.wrote.items():
            formula = f"   [{one_line(formulas[name])}]" if name in formulas else ""
            add(f"     wrote  {name} = {value_text(knowledge, name, value)}{formula}")
        for line in evidence_lines(step.kind, step, knowledge):
            add(f"     {line}")
    if why_not:
        out.extend(_why_not_section(decision, snapshot, why_not))
    add("")
    add("Artifacts (content hashes at decision time)")
    for path, digest in decision.trace.artifacts.items():
        add(f"  {path}  {digest}")
    return "\n".join(out) + "\n"


@dataclass
class DecidingSteps:
    """The steps whose values reached a decision's outputs, last step first.

    `order` pairs each shown step with None (it decided) or the name of the step that did not take
    its value (a guard that did not override, a fallback not used); `omitted` are the steps whose
    values reached no output, or only through a step not taken."""

    order: list[tuple[NodeTrace, str | None]] = field(default_factory=list)
    needed: set[str] = field(default_factory=set)
    omitted: list[str] = field(default_factory=list)


def deciding_steps(decision: Decision, snapshot: Mapping[str, Any]) -> DecidingSteps:
    """Walk the derived graph back from the outputs: a step decided when a value it wrote reached them.

    The trace is in run order, so walking it backwards meets every reader of a name before its
    writer: by then it is settled whether the name mattered."""
    nodes = _loaded_nodes(snapshot) if not decision.trace.note else {}
    found = DecidingSteps(needed=set(decision.outputs))
    skipped: dict[str, str] = {}  # a name -> the step that read it but did not take its value
    for step in reversed(decision.trace.nodes):
        writes = list(step.wrote)
        if any(name in found.needed for name in writes):
            unused = _not_taken(nodes.get(step.name), step)
            for name in step.read:
                if name in unused:
                    skipped.setdefault(name, step.name)
                else:
                    found.needed.add(name)
            found.order.append((step, None))
        elif any(name in skipped for name in writes):
            found.order.append((step, skipped[next(name for name in writes if name in skipped)]))
        else:
            found.omitted.append(step.name)
    found.omitted.reverse()
    return found


def _loaded_nodes(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The decision's project version's nodes by name: the combiners' options say which read is which."""
    try:
        from composite.evidence import project_for

        return dict(project_for(snapshot).graph.nodes)
    except Exception:  # an old snapshot that no longer loads: every read counts as taken
        return {}


def _not_taken(node: Any, step: NodeTrace) -> set[str]:
    """The names a combiner read but whose values did not reach what it wrote, by its evidence."""
    options, evidence = getattr(node, "options", None), step.evidence or {}
    if options is None or node.kind != step.kind:
        return set()
    unused: tuple[str | None, ...] = ()
    if step.kind == "guard" and "overridden" in evidence:
        unused = ((options.otherwise, options.otherwise_reason) if evidence["overridden"]
                  else (options.override_reason,))
    elif step.kind == "fallback" and "in_domain" in evidence:
        unused = (options.fallback,) if evidence["in_domain"] else (options.primary,)
    elif step.kind == "review" and evidence.get("disagree"):
        unused = (options.outcome_reason,)  # the referral gives its own reason
    return {name for name in unused if name}


def explain_short(decision: Decision, snapshot: Mapping[str, Any], *, why_not: str | None = None) -> str:
    """The outcome and the steps that decided it, one or two lines each; `explain_text` has every step."""
    knowledge = stored_knowledge(snapshot)
    out: list[str] = []
    add = out.append
    # what differs between two records of one decision (its id, its time) stays on the first line
    add(f"Decision {decision.id}, made {decision.created_at.isoformat(timespec='milliseconds')}"
        + (f", batch {decision.batch_id}" if decision.batch_id else ""))
    add(f"  project {decision.project} {decision.project_version}")
    add("")
    add("Outcome")
    out.extend(_outcome_lines(knowledge, decision.outputs))
    add("")
    found = deciding_steps(decision, snapshot)
    total = len(decision.trace.nodes)
    every = f"all {total} steps" if total != 1 else "the step"
    add(f"Decided by, last step first (--full: {every}, what each read, the artifacts)")
    if decision.trace.note:
        add(f"  ({decision.trace.note})")
    tables: list[str] = []
    table_block = -1
    for step, by in found.order:
        if by is not None:
            add(f"  {step.name} ({step.kind}): not taken by {by}")
            continue
        items = _table_items(step, knowledge) if step.kind == "table" else None
        if items is not None:
            if table_block < 0:
                table_block = len(out)
                add("")  # the tables' lines go here, once all are known
            tables[:0] = items  # the walk goes backwards; the tables read best in the order they ran
            continue
        # one logical line each, as the full form has them: a terminal or a pager wraps them
        lines = _step_summary(step, knowledge, found.needed)
        add(f"  {step.name} ({step.kind}): {lines[0] if lines else ''}".rstrip())
        out.extend(f"      {line}" for line in lines[1:])
    if table_block >= 0:
        out[table_block] = _pack("  tables: ", tables)
    if found.omitted:
        add(f"  (not shown, their values did not reach the outputs: {', '.join(found.omitted)})")
    if why_not:
        out.extend(_why_not_section(decision, snapshot, why_not))
    return "\n".join(out) + "\n"


def _pack(head: str, items: Sequence[str]) -> str:
    """Items joined with '; ' into lines of at most `_WIDTH`, an item never split."""
    lines, current = [], head
    pad = " " * len(head)
    for item in items:
        if current not in (head, pad) and len(current) + 2 + len(item) > _WIDTH:
            lines.append(current + ";")
            current = pad
        current += item if current in (head, pad) else "; " + item
    lines.append(current)
    return "\n".join(lines)


def _unusable(step: NodeTrace) -> bool:
    evidence = step.evidence or {}
    return not evidence or set(evidence) in ({"unavailable"}, {"replay_differs"})


def _table_items(step: NodeTrace, knowledge: Knowledge) -> list[str] | None:
    """Each table of a table step as `node: row 2 (id) -> points = 10 points`; None without evidence."""
    if _unusable(step):
        return None
    tables = step.evidence.get("tables") or []
    items = []
    for entry in tables:
        name = step.name if len(tables) == 1 else f"{step.name}/{entry.get('table')}"
        output = ", ".join(f"{key} = {value_text(knowledge, key, value)}"
                           for key, value in (entry.get("output") or {}).items())
        matched = entry.get("matched") or []
        if not matched:
            items.append(f"{output} ({name}: no row matched{', the default' if entry.get('default') else ''})")
            continue
        selected = entry.get("selected") or [hit.get("row") for hit in matched]
        rows = [hit for hit in matched if hit.get("row") in selected] or matched
        listed = ", ".join(str(hit.get("row")) for hit in rows)
        items.append(f"{output} (row{'s' if len(rows) > 1 else ''} {listed})")
    return items


def _step_summary(step: NodeTrace, knowledge: Knowledge, needed: set[str]) -> list[str]:
    """A step in one or two lines: what decided in it, in the words of its kind."""
    shown = [key for key in step.wrote if key in needed] or list(step.wrote)
    wrote = ", ".join(f"{key} = {_brief(value_text(knowledge, key, step.wrote[key]))}" for key in shown)
    if step.kind == "expression" and not step.evidence:
        return [wrote]  # an expression's evidence is what it wrote
    if _unusable(step):
        return [wrote] + evidence_lines(step.kind, step, knowledge)
    evidence = step.evidence
    if step.kind == "blend":
        return [_blend_summary(evidence)]
    if step.kind == "review":
        return [_review_summary(evidence)]
    if step.kind == "fuzzy":
        return [_fuzzy_summary(evidence, knowledge)]
    if step.kind == "model":
        return _model_summary(step, knowledge)
    if step.kind == "rules":
        return _rules_summary(step, needed)
    return evidence_lines(step.kind, step, knowledge)[:1] or [wrote]


def _rules_summary(step: NodeTrace, needed: set[str]) -> list[str]:
    """The fired rules whose writes were kept, with the facts that matched; the others by name only."""
    from composite.nodes.rules import condition_with_values, format_value

    evidence = step.evidence
    fired = evidence.get("fired") or []
    lost = {(entry.get("loser"), entry.get("name")) for entry in evidence.get("overridden") or []}
    kept = [entry for entry in fired
            if any((entry.get("rule"), key) not in lost for key in entry.get("then") or {}) or not entry.get("then")]
    lines = [f"rule '{entry.get('rule')}' fired: "
             f"{condition_with_values(entry.get('when', ''), entry.get('matched') or {})} -> "
             + ", ".join(f"{key} = {format_value(value)}" for key, value in (entry.get("then") or {}).items())
             for entry in kept[:_SHOWN]]
    others = [str(entry.get("rule")) for entry in fired if entry not in kept[:_SHOWN]]
    if others:
        lines.append(f"also fired (overridden, or more of the same): {', '.join(others)}")
    defaults = [name for name in evidence.get("defaults_used") or [] if name in needed or not fired]
    if defaults:
        shown = ", ".join(f"{name} = {format_value(step.wrote.get(name))}" for name in defaults)
        lines.append(("no rule fired; defaults: " if not fired else "defaults: ") + shown)
    return lines or ["no rule fired"]


def _brief(text: str, limit: int = 48) -> str:
    """A long value (a reason in words) cut short: the outcome above shows it whole when it matters."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _review_summary(evidence: Mapping[str, Any]) -> str:
    """`sources agree: expert_probability 0.17, default_probability 0.117 (difference 0.0531 <= 0.3333)`."""
    scores = ", ".join(f"{key} {value:.3g}" if isinstance(value, (int, float)) else f"{key} {value}"
                       for key, value in (evidence.get("scores") or {}).items())
    difference, threshold = evidence.get("difference"), evidence.get("threshold")
    gap = f"{difference:.3g}" if isinstance(difference, (int, float)) else "n/a"
    if evidence.get("disagree"):
        return f"sources disagree: {scores} (difference {gap} > {threshold:g}): referred to a person"
    if isinstance(difference, (int, float)) and difference > threshold:
        # apart beyond the threshold, but the outcome is one `keep` lists (a knock-out): not referred
        return f"sources differ: {scores} (difference {gap} > {threshold:g}), but the outcome {evidence.get('outcome')} is kept"
    return f"sources agree: {scores} (difference {gap} <= {threshold:g}); the outcome stands"


def _blend_summary(evidence: Mapping[str, Any]) -> str:
    """`0.80 x model (p=0.12) + 0.20 x expert (p=0.17) -> p(default) = 0.12`."""
    def show(value: Any) -> str:
        return f"{value:.2f}" if isinstance(value, (int, float)) else "n/a"

    weight = float(evidence.get("weight", 0.0))
    return (f"{weight:.2f} x model (p={show(evidence.get('model_probability'))}) + {1 - weight:.2f} x expert "
            f"(p={show(evidence.get('expert_probability'))}) -> p({evidence.get('target')}) = "
            f"{show(evidence.get('probability'))}")


def _fuzzy_summary(evidence: Mapping[str, Any], knowledge: Knowledge) -> str:
    """`affordability = 60.2 /100 (fair); strongest rules: little_known 1.00, moderate_load 0.50`."""
    parts = []
    for name, entry in (evidence.get("outputs") or {}).items():
        text = f"{name} = {value_text(knowledge, name, entry.get('value'))}"
        if entry.get("default_used"):
            text += " (the default: no rule fired)"
        elif entry.get("term"):
            text += f" ({entry['term']})"
        parts.append(text)
    fired = sorted((rule for rule in evidence.get("rules") or [] if (rule.get("strength") or 0.0) > 0.0),
                   key=lambda rule: -rule["strength"])
    if fired:
        shown = ", ".join(f"{rule['name']} {rule['strength']:.2f}" for rule in fired[:_SHOWN])
        more = f" (+{len(fired) - _SHOWN} weaker)" if len(fired) > _SHOWN else ""
        parts.append(f"strongest rules: {shown}{more}")
    return "; ".join(parts)


def _model_summary(step: NodeTrace, knowledge: Knowledge) -> list[str]:
    """The model's probability and domain, then its three strongest reasons in knowledge's words."""
    lines = evidence_lines(step.kind, step, knowledge)
    evidence = step.evidence
    head = (f"model '{evidence.get('model')}': " + lines[0].split("): ", 1)[-1]) if lines else ", ".join(
        f"{key} = {_plain(value)}" for key, value in step.wrote.items())
    domain = evidence.get("domain") or {}
    if domain and (domain.get("inside", True) and not domain.get("issues")):
        head += ", inside its training domain"
    elif domain and lines:
        head += "; " + lines[-1]  # the render's last line says how it lies outside
    reasons = sorted(evidence.get("reasons") or [], key=lambda reason: -abs(reason.get("contribution") or 0.0))
    if not reasons:
        return [head]
    top = "; ".join(f"{reason.get('text')} ({reason.get('contribution', 0.0):+.2f})" for reason in reasons[:_SHOWN])
    return [head, f"top reasons (+ raises, - lowers): {top}"]


def explain_json(decision: Decision, snapshot: Mapping[str, Any]) -> str:
    document = decision.model_dump(mode="json")
    document["project_snapshot"] = {
        key: snapshot.get(key) for key in ("hash", "name", "version", "description", "inputs", "outputs", "nodes")
    }
    return dumps(document)


def explain_stored(store: "DecisionStore", decision_id: str, *, format: str = "text",
                   why_not: str | None = None,
                   current_artifacts: "Mapping[str, str] | Callable[[Mapping[str, str]], Mapping[str, str]] | None"
                   = None, full: bool = False) -> str:
    """A stored decision rendered from `store` alone (the record and its project snapshot).

    The text is short by default: the outcome and the steps that decided it (`explain_short`);
    `full=True` gives every step with what it read and wrote, and the artifacts (`explain_text`).
    The JSON is the same document either way: the decision with its whole trace.
    `why_not` names a rule, a table row (`node:3`, `table:3`, `node:row-id`) or a fuzzy rule
    (`node:rule`, `node:3`, or its name): the explanation then says why it did (not) decide;
    a name the decision does not know raises CompositeError `unknown_name` with the closest names.
    `current_artifacts` (path -> content hash of the project files now, or a function of the
    snapshot's own such mapping that gives it): when given and the decision's project files
    differ, the explanation names the changed, added and removed files."""
    decision, snapshot = stored_decision(store, decision_id)
    return explain_decision(decision, snapshot, format=format, why_not=why_not, current_artifacts=current_artifacts,
                            full=full)


def stored_decision(store: "DecisionStore", decision_id: str) -> tuple[Decision, dict[str, Any]]:
    """The stored decision `decision_id` and the project snapshot it was made with ({} when it has none)."""
    decision = store.get(decision_id)
    return decision, store.project(decision.project_hash) if decision.project_hash else {}


def explain_decision(decision: Decision, snapshot: Mapping[str, Any], *, format: str = "text",
                     why_not: str | None = None,
                     current_artifacts: "Mapping[str, str] | Callable[[Mapping[str, str]], Mapping[str, str]] | None"
                     = None, full: bool = False) -> str:
    """`explain_stored` for a decision and snapshot already read (see there)."""
    changes = None
    if current_artifacts is not None:
        from composite.audit import file_changes

        stored = snapshot.get("artifacts") or {}
        now = current_artifacts(stored) if callable(current_artifacts) else current_artifacts
        changes = file_changes(stored, now) or None
    if format == "json":
        text = explain_json(decision, snapshot)
        if changes:
            document = json.loads(text)
            document["project_files_changed"] = {"changed": changes.changed, "added": changes.added,
                                                 "removed": changes.removed}
            text = dumps(document)
        return text
    if why_not:
        # an unknown name fails before anything renders, so the command line says only that
        why_not_lines(decision, snapshot, why_not)
    render = explain_text if full else explain_short
    text = render(decision, snapshot, why_not=why_not)
    if changes:
        text += ("\nThe project files differ from the ones this decision was made with\n"
                 + "\n".join(changes.lines()) + "\n")
    return text
