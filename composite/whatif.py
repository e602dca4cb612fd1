"""What-if: stored decisions made again by a candidate project version, and what would change.

The stored inputs go through the candidate in one batch without evidence; each changed decision is
then decided singly to find the first node (in the candidate's graph order) whose written value
differs from what was stored. `what_if(...)` returns a `WhatIfReport`; `composite whatif` prints it.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from composite.engine import CompositeEngine
    from composite.schemas import Decision
    from composite.store import DecisionStore

__all__ = ["WhatIfReport", "sample_decisions", "stored_values", "what_if"]

MAX_CATEGORIES = 50  # an output with more distinct values (free text) gets no transition matrix
MATRIX_CATEGORIES = 12  # a larger matrix is shown as its most frequent changes


def stored_values(decision: "Decision") -> dict[str, Any]:
    """Inputs and every derived value of a stored decision: kept with a decision made with evidence on
    demand; otherwise what each step of its trace wrote."""
    private = decision.__pydantic_private__ or {}
    values = private.get("values")
    if values is not None:
        return dict(values)
    found = dict(decision.inputs)
    for step in decision.trace.nodes:
        found.update(step.wrote)
    return found


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is type(b) and a == b)
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class WhatIfReport:
    """What a candidate version would have decided for stored decisions.

    compared      decisions decided by both
    changed       how many have any output that differs
    per_output    output -> how many differ
    transitions   categorical output -> {(before, after): count}, over all compared decisions
    numeric       numeric output -> {mean_before, mean_after, mean_shift, largest: [(id, before, after)]}
    first_node    node -> how many changed decisions first diverge there
    examples      up to `examples` changed decisions: id, the inputs that matter, before and after
    rejected      id -> why the candidate could not decide the stored inputs
    """

    current: str
    candidate: str
    compared: int
    changed: int
    per_output: dict[str, int]
    transitions: dict[str, dict[tuple[str, str], int]]
    numeric: dict[str, dict[str, Any]]
    first_node: dict[str, int]
    examples: list[dict[str, Any]]
    rejected: dict[str, str] = field(default_factory=dict)
    changed_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current, "candidate": self.candidate, "compared": self.compared,
            "changed": self.changed, "per_output": self.per_output,
            "transitions": {name: [{"before": b, "after": a, "count": n} for (b, a), n in matrix.items()]
                            for name, matrix in self.transitions.items()},
            "numeric": self.numeric, "first_node": self.first_node, "examples": self.examples,
            "rejected": self.rejected,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def to_text(self) -> str:
        share = f" ({self.changed / self.compared:.1%})" if self.compared else ""
        lines = [f"current:   {self.current}", f"candidate: {self.candidate}",
                 f"{self.compared} decisions compared, {self.changed} change{share}"]
        if self.rejected:
            lines.append(f"{len(self.rejected)} stored requests the candidate refuses (see --json)")
        lines.append("")
        for name, count in self.per_output.items():
            lines.append(f"  {name:<28} {count:>7} changed")
        for name, matrix in self.transitions.items():
            lines.append("")
            lines.extend(_matrix_text(name, matrix))
        for name, shift in self.numeric.items():
            if not shift["largest"]:
                continue  # no decision's value changed
            lines.append("")
            lines.append(f"{name}: mean {shift['mean_before']:.4g} -> {shift['mean_after']:.4g} "
                         f"(shift {shift['mean_shift']:+.4g})")
            for decision_id, before, after in shift["largest"][:5]:
                lines.append(f"  {decision_id}  {before:.4g} -> {after:.4g}")
        if self.first_node:
            lines.append("")
            lines.append("first node where changed decisions diverge:")
            for node, count in sorted(self.first_node.items(), key=lambda kv: -kv[1]):
                lines.append(f"  {node:<28} {count:>7}")
        if self.examples:
            lines.append("")
            lines.append("examples:")
            for example in self.examples:
                lines.append(f"  {example['id']} (diverges at {example['first_node']})")
                lines.append(f"    inputs: {json.dumps(example['inputs'], default=str)}")
                for name, (before, after) in example["changes"].items():
                    lines.append(f"    {name}: {before!r} -> {after!r}")
        return "\n".join(lines)

    def to_html(self) -> str:
        from composite.report_html import Section, bar_chart, page, table

        sections = [Section("Summary", table(["output", "changed", "share"],
                                             [[k, v, f"{v / self.compared:.1%}" if self.compared else ""]
                                              for k, v in self.per_output.items()], table_id="per-output"),
                            bar_chart(list(self.per_output), list(self.per_output.values()),
                                      title="changed decisions per output", value_format="{:.0f}"),
                            note=f"current: {self.current}; candidate: {self.candidate}")]
        for name, matrix in self.transitions.items():
            if not _small(matrix):
                sections.append(Section(f"Transitions of {name}: the most frequent changes",
                                        table(["current", "candidate", "decisions"], _moves(matrix))))
                continue
            before = sorted({b for b, _ in matrix})
            after = sorted({a for _, a in matrix})
            rows = [[b, *[matrix.get((b, a), 0) for a in after]] for b in before]
            sections.append(Section(f"Transitions of {name} (rows: current, columns: candidate)",
                                    table([f"{name}", *after], rows)))
        for name, shift in self.numeric.items():
            if not shift["largest"]:
                continue
            sections.append(Section(f"{name}: mean shift {shift['mean_shift']:+.4g}",
                                    table(["decision", "current", "candidate"], shift["largest"])))
        if self.first_node:
            nodes = sorted(self.first_node.items(), key=lambda kv: -kv[1])
            sections.append(Section("First diverging node", bar_chart([n for n, _ in nodes], [c for _, c in nodes],
                                                                      title="first diverging node",
                                                                      value_format="{:.0f}")))
        if self.examples:
            sections.append(Section("Examples", table(
                ["decision", "first node", "inputs", "changes"],
                [[e["id"], e["first_node"], json.dumps(e["inputs"], default=str),
                  "; ".join(f"{k}: {b!r} -> {a!r}" for k, (b, a) in e["changes"].items())] for e in self.examples])))
        summary = f"{self.compared} decisions compared, {self.changed} change"
        return page("composite whatif", sections, summary=summary)


def _small(matrix: Mapping[tuple[str, str], int]) -> bool:
    """Whether a transition matrix is small enough to print as a grid (else: its largest moves)."""
    labels = {b for b, _ in matrix} | {a for _, a in matrix}
    return len(labels) <= MATRIX_CATEGORIES and all(len(label) <= 40 for label in labels)


def _moves(matrix: Mapping[tuple[str, str], int], most: int = 10) -> list[tuple[str, str, int]]:
    return sorted(((b, a, n) for (b, a), n in matrix.items() if b != a), key=lambda m: -m[2])[:most]


def _matrix_text(name: str, matrix: Mapping[tuple[str, str], int]) -> list[str]:
    if not _small(matrix):
        moves = _moves(matrix)
        lines = [f"{name}: {sum(matrix.values()) - sum(n for (b, a), n in matrix.items() if b != a)} unchanged; "
                 f"most frequent changes:"]
        lines.extend(f"  {n:>6}  {b!r} -> {a!r}" for b, a, n in moves)
        return lines
    before = sorted({b for b, _ in matrix})
    after = sorted({a for _, a in matrix})
    width = max([len(name), *map(len, before)]) + 2
    cells = max([8, *map(len, after)]) + 2
    lines = [f"{name} (rows: current, columns: candidate)",
             f"{'':<{width}}" + "".join(f"{a:>{cells}}" for a in after)]
    for b in before:
        lines.append(f"{b:<{width}}" + "".join(f"{matrix.get((b, a), 0):>{cells}}" for a in after))
    return lines


def sample_decisions(decisions: Iterable["Decision"], size: int, *, seed: int = 0) -> list["Decision"]:
    """At most `size` decisions, a uniform random sample (reservoir, seeded), in their order."""
    rng = random.Random(seed)
    kept: list[tuple[int, "Decision"]] = []
    for i, decision in enumerate(decisions):
        if len(kept) < size:
            kept.append((i, decision))
        else:
            j = rng.randint(0, i)
            if j < size:
                kept[j] = (i, decision)
    return [d for _, d in sorted(kept, key=lambda pair: pair[0])]


def _upstream_inputs(engine: "CompositeEngine", node_name: str | None) -> set[str]:
    """The request inputs that reach `node_name` through the graph (all inputs when None)."""
    project = engine.project
    if node_name is None:
        return set(project.graph.inputs)
    nodes = {node.name: node for node in project.graph.order}
    writer = {key: node.name for node in project.graph.order for key in node.writes}
    seen: set[str] = set()
    needed = set(nodes[node_name].reads)
    while needed:
        key = needed.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in writer:
            needed.update(nodes[writer[key]].reads)
    return seen & set(project.graph.inputs)


def what_if(engine_or_store: "CompositeEngine | DecisionStore", candidate_path: str | os.PathLike[str],
            decisions: Iterable["Decision"] | None = None, *, examples: int = 5, largest: int = 10,
            ) -> WhatIfReport:
    """Decide the stored inputs of `decisions` (default: every decision of the store) with the candidate
    project at `candidate_path`, and report what changes against what was stored.

    Examples
    --------
    >>> report = what_if(engine, "candidate/", engine.store.select(since="2026-01-01"))  # doctest: +SKIP
    >>> print(report.to_text())                                                         # doctest: +SKIP
    """
    from composite.engine import CompositeEngine

    store = getattr(engine_or_store, "store", engine_or_store)
    if decisions is None:
        from composite.monitor import select

        decisions = select(store)  # type: ignore[arg-type]
    stored = list(decisions)
    candidate = CompositeEngine.from_path(candidate_path, store="memory")
    current_name = {f"{d.project} {d.project_version} ({d.project_hash[7:19]})" for d in stored}
    current = ", ".join(sorted(current_name)) or "no stored decisions"
    project = candidate.project
    candidate_name = f"{project.name} {project.version} ({project.hash[7:19]}) from {candidate_path}"
    outputs = [name for name in project.outputs if any(name in d.outputs for d in stored[:1])]
    rejected: dict[str, str] = {}
    if not stored:
        return WhatIfReport(current, candidate_name, 0, 0, {}, {}, {}, {}, [], {})
    known = set(project.knowledge.concepts) | set(project.graph.inputs)
    requests = [{k: v for k, v in d.inputs.items() if k in known} for d in stored]
    result = candidate.decide_batch(requests, record=False, trace="off", on_error="collect")
    decided, refused = result  # type: ignore[misc]
    for row in refused.itertuples():
        rejected.setdefault(stored[int(row.row)].id, f"{row.field}: {row.message}")
    positions = [int(label) for label in decided.index]
    per_output: dict[str, int] = {name: 0 for name in outputs}
    transitions: dict[str, Counter[tuple[str, str]]] = {}
    numeric_rows: dict[str, list[tuple[str, float, float]]] = {}
    categorical = {name for name in outputs
                   if not all(_is_number(d.outputs.get(name)) or d.outputs.get(name) is None for d in stored)}
    changed_positions: list[int] = []
    columns = {name: decided[name].tolist() for name in outputs}
    for row, position in enumerate(positions):
        decision = stored[position]
        differs = False
        for name in outputs:
            before, after = decision.outputs.get(name), columns[name][row]
            if hasattr(after, "item"):
                after = after.item()
            if not _same(before, after):
                per_output[name] += 1
                differs = True
            if name in categorical:
                transitions.setdefault(name, Counter())[(outcome_label(before), outcome_label(after))] += 1
            elif _is_number(before) and _is_number(after):
                numeric_rows.setdefault(name, []).append((decision.id, float(before), float(after)))
        if differs:
            changed_positions.append(position)
    transitions = {k: v for k, v in transitions.items() if len({b for b, _ in v} | {a for _, a in v}) <= MAX_CATEGORIES}
    numeric = {}
    for name, rows in numeric_rows.items():
        finite = [(i, b, a) for i, b, a in rows if math.isfinite(b) and math.isfinite(a)]
        if not finite:
            continue
        mean_before = sum(b for _, b, _ in finite) / len(finite)
        mean_after = sum(a for _, _, a in finite) / len(finite)
        top = sorted((r for r in finite if r[1] != r[2]), key=lambda r: -abs(r[2] - r[1]))[:largest]
        numeric[name] = {"mean_before": mean_before, "mean_after": mean_after, "mean_shift": mean_after - mean_before,
                         "largest": [list(r) for r in top]}
    first_node: Counter[str] = Counter()
    example_rows: list[dict[str, Any]] = []
    order = [node for node in project.graph.order]
    for position in changed_positions:
        decision = stored[position]
        before_values = stored_values(decision)
        again = candidate.decide(requests[position], record=False)
        after_values = stored_values(again)
        diverged = None
        for node in order:
            keys = [key for key in node.writes if key in before_values]
            if any(not _same(before_values[key], after_values.get(key)) for key in keys):
                diverged = node.name
                break
        first_node[diverged or "(outputs only)"] += 1
        if len(example_rows) < examples:
            matter = _upstream_inputs(candidate, diverged)
            example_rows.append({
                "id": decision.id, "first_node": diverged,
                "inputs": {k: v for k, v in decision.inputs.items() if k in matter},
                "changes": {name: (decision.outputs.get(name), again.outputs.get(name)) for name in outputs
                            if not _same(decision.outputs.get(name), again.outputs.get(name))},
            })
    return WhatIfReport(current, candidate_name, len(positions), len(changed_positions), per_output,
                        {k: dict(v) for k, v in transitions.items()}, numeric, dict(first_node), example_rows,
                        rejected, [stored[p].id for p in changed_positions])


def outcome_label(value: Any, *, missing: str = "(none)") -> str:
    """An output value as a row or column of a transition matrix (what-if, compare)."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
