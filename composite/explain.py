"""Render a stored decision as its chain of steps, in the words of the project's knowledge.

Works from the store alone: the decision record and the project snapshot saved with it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Mapping

from composite.knowledge import Knowledge
from composite.schemas import Decision
from composite.store._codec import dumps

if TYPE_CHECKING:
    from composite.store import DecisionStore


def _knowledge(snapshot: Mapping[str, Any]) -> Knowledge:
    try:
        return Knowledge.from_mapping(snapshot.get("concepts") or {}, file="<stored snapshot>")
    except Exception:  # an explanation must still render if an old snapshot no longer validates
        return Knowledge()


def _value(knowledge: Knowledge, name: str, value: Any) -> str:
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


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _evidence_lines(kind: str, step: Any, knowledge: Knowledge) -> list[str]:
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
    """Why `rule` did (or did not) fire in this decision, from the stored decision alone."""
    from composite.nodes import node_class

    described = {n["name"]: n for n in snapshot.get("nodes", [])}
    known: list[str] = []
    for step in decision.trace.nodes:
        info = described.get(step.name, {})
        names = [r.get("name") for r in info.get("rules", []) if isinstance(r, Mapping)]
        known += names
        if rule in names:
            explain = getattr(node_class(step.kind), "explain_why_not", None)
            if explain is None:
                break
            return [f"in step '{step.name}':"] + [f"  {line}" for line in
                                                  explain(info, rule, read=step.read, wrote=step.wrote,
                                                          evidence=step.evidence)]
    choices = ", ".join(sorted(set(known))) or "this decision has no rule sets"
    return [f"no rule named '{rule}' in this decision's rule sets; rules: {choices}"]


def explain_text(decision: Decision, snapshot: Mapping[str, Any], *, why_not: str | None = None) -> str:
    knowledge = _knowledge(snapshot)
    described = {n["name"]: n for n in snapshot.get("nodes", [])}
    out: list[str] = []
    add = out.append
    add(f"Decision {decision.id}")
    add(f"  project   {decision.project} {decision.project_version} ({decision.project_hash[:19]}…)")
    add(f"  made      {decision.created_at.isoformat(timespec='milliseconds')}"
        f" in {decision.duration_us:.0f} µs" + (f", batch {decision.batch_id}" if decision.batch_id else ""))
    add("")
    add("Outcome")
    for name, value in decision.outputs.items():
        concept = knowledge.get(name)
        label = f"  ({_short(concept.description)})" if concept and concept.description else ""
        add(f"  {name} = {_value(knowledge, name, value)}{label}")
    add("")
    add("Inputs")
    width = max((len(n) for n in decision.inputs), default=0)
    for name, value in decision.inputs.items():
        concept = knowledge.get(name)
        label = f"  ({_short(concept.description)})" if concept and concept.description else ""
        add(f"  {name.ljust(width)}  {_value(knowledge, name, value)}{label}")
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
            add("     read   " + ", ".join(f"{k} = {_value(knowledge, k, v)}" for k, v in step.read.items()))
        formulas = info.get("formulas") or {}
        for name, value in step.wrote.items():
            formula = f"   [{_one_line(formulas[name])}]" if name in formulas else ""
            add(f"     wrote  {name} = {_value(knowledge, name, value)}{formula}")
        for line in _evidence_lines(step.kind, step, knowledge):
            add(f"     {line}")
    if why_not:
        add("")
        add(f"Why not '{why_not}'?")
        for line in why_not_lines(decision, snapshot, why_not):
            add(f"  {line}")
    add("")
    add("Artifacts (content hashes at decision time)")
    for path, digest in decision.trace.artifacts.items():
        add(f"  {path}  {digest}")
    return "\n".join(out) + "\n"


def explain_json(decision: Decision, snapshot: Mapping[str, Any]) -> str:
    document = decision.model_dump(mode="json")
    document["project_snapshot"] = {
        key: snapshot.get(key) for key in ("hash", "name", "version", "description", "inputs", "outputs", "nodes")
    }
    return dumps(document)


def explain_stored(store: "DecisionStore", decision_id: str, *, format: str = "text",
                   why_not: str | None = None,
                   current_artifacts: "Mapping[str, str] | Callable[[Mapping[str, str]], Mapping[str, str]] | None"
                   = None) -> str:
    """A stored decision rendered from `store` alone (the record and its project snapshot).

    `current_artifacts` (path -> content hash of the project files now, or a function of the
    snapshot's own such mapping that gives it): when given and the decision's project files
    differ, the explanation names the changed, added and removed files."""
    decision = store.get(decision_id)
    snapshot = store.project(decision.project_hash) if decision.project_hash else {}
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
    text = explain_text(decision, snapshot, why_not=why_not)
    if changes:
        text += ("\nThe project files differ from the ones this decision was made with\n"
                 + "\n".join(changes.lines()) + "\n")
    return text
