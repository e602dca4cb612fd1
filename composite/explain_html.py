"""`composite explain ID --html FILE`: one stored decision as a self-contained page.

The decision graph drawn, each step's evidence (derived from the store as `composite explain`
derives it) with charts: fuzzy memberships, model contributions, table hits, fired rules. Inline
CSS and SVG only: nothing is fetched, and every text from a project or a request is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from composite.explain import deciding_steps, evidence_lines, one_line, stored_decision, stored_knowledge, value_text
from composite.report_html import Section, bar_chart, diverging_bar_chart, page, table

if TYPE_CHECKING:
    from composite.knowledge import Knowledge
    from composite.schemas import Decision, NodeTrace
    from composite.store import DecisionStore

__all__ = ["explain_html", "graph_svg", "render_html"]

MAX_CONTRIBUTIONS = 20  # bars in a model's chart; the rest are summed into one
_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _PER_ROW = 150, 40, 12, 46, 8
_STYLE = """
h3 { font-size: 1em; margin: 1.2em 0 0.3em; }
.io { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
section[id^="step-"] tr.crossed td { background: #e3edff; }
svg.decision-graph { max-width: 100%; height: auto; }
"""


def explain_html(store: "DecisionStore", decision_id: str) -> str:
    """The page for the stored decision `decision_id` (a full id), from `store` alone."""
    return render_html(*stored_decision(store, decision_id))


def render_html(decision: "Decision", snapshot: Mapping[str, Any]) -> str:
    """The page for `decision` and the project snapshot it was made with."""
    knowledge = stored_knowledge(snapshot)
    steps = decision.trace.nodes  # derived on demand, as `composite explain` derives them
    nodes = _loaded_nodes(snapshot) if not decision.trace.note else {}
    decided, not_taken = _deciding(decision, snapshot)
    outcome = [[name, value_text(knowledge, name, value), _meaning(knowledge, name)]
               for name, value in decision.outputs.items()]
    sections = [
        Section("Decision", table(["field", "value"], _header_rows(decision, snapshot), table_id="header"),
                ident="summary"),
        Section("Outcome", table(["output", "value", "meaning"], outcome, table_id="outputs"), ident="outcome"),
        Section("Decision graph", graph_svg(snapshot.get("nodes") or [], decided=decided, not_taken=not_taken,
                                            links={s.name: f"step-{i}" for i, s in enumerate(steps, 1)}),
                _GRAPH_LEGEND, ident="graph",
                note="Each box is a step, in the order the values flow (top to bottom); an arrow carries the values "
                     "one step writes to a step that reads them. Click a step for its evidence."),
        Section("Inputs", table(["input", "value", "meaning"], [
            [name, value_text(knowledge, name, value), _meaning(knowledge, name)] for name, value in decision.inputs.items()
        ], table_id="inputs"), ident="inputs"),
    ]
    described = {n.get("name"): n for n in snapshot.get("nodes") or [] if isinstance(n, Mapping)}
    for index, step in enumerate(steps, 1):
        sections.append(_step_section(index, step, described.get(step.name) or {}, nodes.get(step.name), knowledge,
                                      decided=step.name in decided, not_taken=not_taken.get(step.name)))
    sections.append(Section("Artifacts", table(["file", "content hash at decision time"],
                                               [[path, digest] for path, digest in decision.trace.artifacts.items()],
                                               table_id="artifacts"), ident="artifacts"))
    first = next(iter(decision.outputs.items()), None)
    summary = f"{decision.project} {decision.project_version}, made {_when(decision)}"
    if first is not None:
        summary += f": {first[0]} = {value_text(knowledge, first[0], first[1])}"
    if decision.trace.note:
        summary += f" ({decision.trace.note})"
    return page(f"Decision {decision.id}", sections, summary=summary, style=_STYLE)


# -- header ----------------------------------------------------------------------------------


def _when(decision: "Decision") -> str:
    return decision.created_at.isoformat(timespec="milliseconds")


def _header_rows(decision: "Decision", snapshot: Mapping[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [["id", decision.id], ["made", _when(decision)],
                             ["took", f"{decision.duration_us:.0f} µs"],
                             ["project", f"{decision.project} {decision.project_version}"],
                             ["project hash", decision.project_hash or "not recorded"]]
    if snapshot.get("description"):
        rows.append(["project description", str(snapshot["description"])])
    if decision.batch_id:
        rows.append(["batch", decision.batch_id])
    return rows


def _meaning(knowledge: "Knowledge", name: str) -> str:
    concept = knowledge.get(name)
    return one_line(concept.description) if concept is not None and concept.description else ""


# -- the graph -------------------------------------------------------------------------------


def _deciding(decision: "Decision", snapshot: Mapping[str, Any]) -> tuple[set[str], dict[str, str]]:
    """The steps that decided (their values reached an output) and those whose value a later step
    did not take (name -> that step): the walk `composite explain` shows, when it has one."""
    found = deciding_steps(decision, snapshot)
    decided = {step.name for step, skipped_by in found.order if skipped_by is None}
    not_taken = {step.name: skipped_by for step, skipped_by in found.order if skipped_by is not None}
    return decided, not_taken


def _loaded_nodes(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The decision's project version's nodes by name (for the fuzzy terms), or {} if it no longer loads."""
    try:
        from composite.evidence import project_for

        return dict(project_for(snapshot).graph.nodes)
    except Exception:  # noqa: BLE001 (the page still renders, with the charts the evidence alone allows)
        return {}


def _layers(nodes: Sequence[Mapping[str, Any]]) -> tuple[list[list[str]], list[tuple[str, str, list[str]]]]:
    """Nodes in rows, each node as late as its readers allow (inputs-only steps sit just above the
    step that needs them), and the edges (writer, reader, names carried)."""
    names = [str(n.get("name")) for n in nodes]
    writer = {w: str(n.get("name")) for n in nodes for w in n.get("writes") or []}
    carried: dict[tuple[str, str], list[str]] = {}
    for n in nodes:
        for r in n.get("reads") or []:
            if r in writer and writer[r] != n.get("name"):
                carried.setdefault((writer[r], str(n.get("name"))), []).append(str(r))
    readers: dict[str, list[str]] = {name: [] for name in names}
    for (a, b) in carried:
        readers.setdefault(a, []).append(b)
    depth: dict[str, int] = {}  # longest path down to a sink

    def down(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            below = [down(r, seen | {name}) for r in readers.get(name, []) if r not in seen]
            depth[name] = 1 + max(below) if below else 0
        return depth[name]

    for name in names:
        down(name)
    top = max(depth.values(), default=0)
    rows: list[list[str]] = [[] for _ in range(top + 1)]
    for name in names:  # the snapshot's order (the run order) within a row
        rows[top - depth[name]].append(name)
    return rows, [(a, b, names_) for (a, b), names_ in carried.items()]


def graph_svg(nodes: Sequence[Mapping[str, Any]], *, decided: set[str] | None = None,
              not_taken: Mapping[str, str] | None = None, links: Mapping[str, str] | None = None) -> str:
    """The decision graph as SVG: a box per step in layered rows, an arrow per writer -> reader.

    Steps in `decided` are highlighted (and the arrows between them); those in `not_taken`
    dashed; `links` maps a step to the id of its section."""
    decided = decided or set()
    not_taken = not_taken or {}
    links = links or {}
    rows, edges = _layers(nodes)
    info = {str(n.get("name")): n for n in nodes}
    # a row wider than the page wraps; order each row by where its writers are, to cross fewer lines
    x_of: dict[str, float] = {}
    y_of: dict[str, float] = {}
    writers_of: dict[str, list[str]] = {}
    for a, b, _ in edges:
        writers_of.setdefault(b, []).append(a)
    width = _PER_ROW * (_BOX_W + _GAP_X) + _GAP_X
    lines: list[list[str]] = []
    for row in rows:
        # steps fed by steps above sit under them (by the mean x of their writers); the others
        # flank them, half on each side, in run order
        fed = {n: [x_of[w] for w in writers_of.get(n, []) if w in x_of] for n in row}
        inner = sorted((n for n in row if fed[n]), key=lambda n: sum(fed[n]) / len(fed[n]))
        outer = [n for n in row if not fed[n]]
        row = outer[: len(outer) // 2] + inner + outer[len(outer) // 2:]
        for start in range(0, len(row), _PER_ROW):
            chunk = row[start:start + _PER_ROW]
            used = len(chunk) * (_BOX_W + _GAP_X) - _GAP_X
            x0 = (width - used) / 2
            for i, name in enumerate(chunk):
                x_of[name] = x0 + i * (_BOX_W + _GAP_X)
                y_of[name] = 12 + len(lines) * (_BOX_H + _GAP_Y)
            lines.append(chunk)
    height = 12 + len(lines) * (_BOX_H + _GAP_Y) - _GAP_Y + 12
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart decision-graph" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="decision graph"><title>decision graph</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#999"/></marker>'
           '<marker id="arrow-deciding" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#3366cc"/></marker></defs>']
    # the highlighted arrows last, on top of the grey ones
    for k, (a, b, carried) in enumerate(sorted(edges, key=lambda e: (e[0] in decided and e[1] in decided))):
        if a not in x_of or b not in x_of:
            continue
        x1, y1 = x_of[a] + _BOX_W / 2, y_of[a] + _BOX_H
        x2, y2 = x_of[b] + _BOX_W / 2, y_of[b]
        bend = max(20.0, (y2 - y1) / 2)
        if y2 - y1 > _BOX_H + _GAP_Y:  # past a row of boxes: swing out beside them, not through them
            side = max(x1, x2) + _BOX_W / 2 + 24 + 7 * (k % 4)
            path = f"M{x1:.1f},{y1:.1f} C{side:.1f},{y1 + 10:.1f} {side:.1f},{y2 - 10:.1f} {x2:.1f},{y2:.1f}"
        else:
            path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}"
        on_path = a in decided and b in decided
        style = ('stroke="#3366cc" stroke-width="2.2" marker-end="url(#arrow-deciding)"' if on_path
                 else 'stroke="#bbb" stroke-width="1.2" marker-end="url(#arrow)"')
        out.append(f'<path class="edge{" deciding" if on_path else ""}" d="{path}" fill="none" {style}>'
                   f"<title>{escape(a)} → {escape(b)}: {escape(', '.join(carried))}</title></path>")
    for name in x_of:
        n = info.get(name, {})
        kind = str(n.get("kind", ""))
        if name in decided:
            cls, box = "node deciding", 'fill="#dbe8ff" stroke="#3366cc" stroke-width="2"'
        elif name in not_taken:
            cls, box = "node not-taken", 'fill="#ffffff" stroke="#888" stroke-width="1.5" stroke-dasharray="5 3"'
        else:
            cls, box = "node", 'fill="#f4f4f4" stroke="#bbb" stroke-width="1"'
        label = name if len(name) <= 23 else name[:22] + "…"
        tip = name + (f" ({kind})" if kind else "")
        if n.get("description") or n.get("summary"):
            tip += f": {n.get('description') or n.get('summary')}"
        if name in not_taken:
            tip += f" (its value was not taken by {not_taken[name]})"
        x, y = x_of[name], y_of[name]
        body = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{_BOX_W}" height="{_BOX_H}" rx="6" {box}/>'
                f'<text x="{x + _BOX_W / 2:.1f}" y="{y + 17:.1f}" text-anchor="middle" font-size="11" '
                f'font-weight="{"bold" if name in decided else "normal"}" fill="#222">{escape(label)}</text>'
                f'<text x="{x + _BOX_W / 2:.1f}" y="{y + 32:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#555">{escape(kind)}</text><title>{escape(tip)}</title>')
        if name in links:
            body = f'<a href="#{escape(links[name])}">{body}</a>'
        out.append(f'<g class="{cls}" data-step="{escape(name)}">{body}</g>')
    out.append("</svg>")
    return "".join(out)


_GRAPH_LEGEND = (
    '<p class="note"><svg xmlns="http://www.w3.org/2000/svg" width="720" height="22" role="img" '
    'aria-label="legend"><rect x="1" y="3" width="28" height="16" rx="4" fill="#dbe8ff" stroke="#3366cc" '
    'stroke-width="2"/><text x="36" y="15" font-size="12">decided: its values reached an output</text>'
    '<rect x="300" y="3" width="28" height="16" rx="4" fill="#fff" stroke="#888" stroke-dasharray="5 3"/>'
    '<text x="335" y="15" font-size="12">not taken by a later step</text><rect x="520" y="3" width="28" '
    'height="16" rx="4" fill="#f4f4f4" stroke="#bbb"/><text x="555" y="15" font-size="12">reached no output</text>'
    '</svg></p>')


# -- the steps -------------------------------------------------------------------------------


def _step_section(index: int, step: "NodeTrace", described: Mapping[str, Any], node: Any, knowledge: "Knowledge",
                  *, decided: bool, not_taken: str | None) -> Section:
    io: list[str] = []
    if step.read:
        io.append(table(["read", "value"], [[k, value_text(knowledge, k, v)] for k, v in step.read.items()]))
    formulas = described.get("formulas") or {}
    if step.wrote:
        rows = [[k, value_text(knowledge, k, v)] + ([one_line(formulas[k])] if formulas else [])
                for k, v in step.wrote.items()]
        headers = ["wrote", "value"] + (["formula"] if formulas else [])
        io.append(table(headers, [r + [""] * (len(headers) - len(r)) for r in rows]))
    parts = [f'<div class="io">{"".join(io)}</div>'] if io else []
    lines = evidence_lines(step.kind, step, knowledge)
    if lines:
        parts.append('<ul class="evidence">' + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
    evidence = step.evidence or {}
    usable = evidence and not ({"replay_differs", "unavailable"} & set(evidence))
    if usable:
        try:
            parts.extend(_charts(step, node, knowledge))
        except Exception as exc:  # noqa: BLE001 (a chart that cannot be drawn must not cost the page)
            parts.append(f'<p class="note">no chart for this step: {escape(type(exc).__name__)}: '
                         f"{escape(str(exc))}</p>")
    title = f"{index}. {step.name} ({step.kind})"
    note = described.get("description") or described.get("summary") or None
    status = ("decided: its values reached an output" if decided
              else f"not taken: {not_taken} did not use its value" if not_taken
              else "its values reached no output")
    note = f"{note} — {status}" if note else status
    return Section(title, *parts, note=note, ident=f"step-{index}")


def _charts(step: "NodeTrace", node: Any, knowledge: "Knowledge") -> list[str]:
    if step.kind == "fuzzy":
        return _fuzzy_charts(step, node, knowledge)
    if step.kind == "model":
        return _model_charts(step)
    if step.kind == "table":
        return _table_hits(step)
    if step.kind == "rules":
        return _fired_rules(step)
    if step.kind == "blend":
        return _blend_chart(step)
    if step.kind == "review":
        return _review_chart(step)
    return []


def _blend_chart(step: "NodeTrace") -> list[str]:
    evidence = step.evidence
    parts = [(f"expert ({1 - evidence['weight']:.2f})", evidence.get("expert_probability")),
             (f"model ({evidence['weight']:.2f})", evidence.get("model_probability")),
             ("blend", evidence.get("probability"))] if _number(evidence.get("weight")) else []
    shown = [(label, value) for label, value in parts if _number(value)]
    if not shown:
        return []
    return [bar_chart([label for label, _ in shown], [value for _, value in shown],
                      title="the expert's and the model's probabilities (weight) and their blend")]


def _review_chart(step: "NodeTrace") -> list[str]:
    evidence = step.evidence
    difference, threshold = evidence.get("difference"), evidence.get("threshold")
    if not (_number(difference) and _number(threshold)):
        return []
    names = " and ".join(str(k) for k in evidence.get("scores") or {})
    return [bar_chart(["difference"], [difference], threshold=threshold,
                      title=f"how far apart {names} are; past the threshold, a person decides")]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _fuzzy_charts(step: "NodeTrace", node: Any, knowledge: "Knowledge") -> list[str]:
    from composite.plot import aggregated_curve, term_curves, variable_svg

    evidence = step.evidence
    rule_base = getattr(node, "rule_base", None)
    numerics = str(evidence.get("numerics") or getattr(node, "numerics", "skfuzzy"))
    parts: list[str] = ['<h3>Memberships</h3>']
    for name, entry in (evidence.get("inputs") or {}).items():
        memberships = {str(k): float(v) for k, v in (entry.get("memberships") or {}).items()}
        concept = knowledge.get(name)
        unit = getattr(concept, "unit", None) or None
        var = rule_base.input(name) if rule_base is not None else None
        value = entry.get("value")
        if var is not None:
            parts.append(variable_svg(var, numerics=numerics, unit=unit, value=value, degrees=memberships,
                                      width=720, height=240))
        else:  # the rule base no longer loads: the degrees the decision read, as bars
            parts.append(bar_chart(list(memberships), list(memberships.values()),
                                   title=f"{name} = {value}: membership of each term", value_format="{:.2f}"))
        if entry.get("clipped"):
            parts.append(f'<p class="note">{escape(name)} was given as {escape(str(entry.get("given")))}, outside '
                         "its range: the rules saw the clipped value.</p>")
    rules = evidence.get("rules") or []
    strengths = {str(r.get("name")): float(r.get("strength") or 0.0) for r in rules}
    fired = sorted(((n, s) for n, s in strengths.items() if s > 0), key=lambda item: -item[1])
    parts.append("<h3>Rules</h3>")
    if fired:
        parts.append(bar_chart([n for n, _ in fired], [s for _, s in fired], title="firing strength of the rules "
                               "that fired", value_format="{:.3f}"))
    texts = {rule.name: rule.text for rule in rule_base.rules} if rule_base is not None else {}
    parts.append(table(["rule", "strength", "if ... then ..."],
                       [[n, s, texts.get(n, "")] for n, s in strengths.items()],
                       crossed=[s > 0 for s in strengths.values()], table_id=None))
    parts.append('<p class="note">Highlighted: the rules that fired.</p>' if fired else
                 '<p class="note">No rule fired.</p>')
    parts.append("<h3>Output</h3>")
    for name, entry in (evidence.get("outputs") or {}).items():
        concept = knowledge.get(name)
        unit = getattr(concept, "unit", None) or None
        var = rule_base.output(name) if rule_base is not None else None
        value = entry.get("value")
        if var is not None and evidence.get("kind") == "mamdani":
            xs, curves = term_curves(var, numerics)
            aggregated = aggregated_curve(rule_base, name, strengths, xs, curves)
            parts.append(variable_svg(var, numerics=numerics, unit=unit, aggregated=aggregated,
                                      defuzzified=value if isinstance(value, (int, float)) else None,
                                      width=720, height=260))
        rows = [["value", value if value is not None else "none"], ["best term", entry.get("term") or ""],
                ["its membership", entry.get("term_membership")], ["default used", _yes(entry.get("default_used"))]]
        if entry.get("support"):
            lo, hi = entry["support"]
            rows.append(["aggregated set above zero from", f"{lo:.4g} to {hi:.4g}"])
        parts.append(table([name, "value"], rows))
    return parts


def _model_charts(step: "NodeTrace") -> list[str]:
    evidence = step.evidence
    parts: list[str] = []
    contributions = evidence.get("contributions")
    if isinstance(contributions, Mapping) and contributions:
        items = [(str(k), float(v)) for k, v in contributions.items()
                 if isinstance(v, (int, float)) and not isinstance(v, bool)]
        items.sort(key=lambda kv: -abs(kv[1]))
        if len(items) > MAX_CONTRIBUTIONS:
            rest = sum(v for _, v in items[MAX_CONTRIBUTIONS:])
            items = items[:MAX_CONTRIBUTIONS] + [(f"{len(items) - MAX_CONTRIBUTIONS} others", rest)]
        shown = {str(k): v for k, v in step.read.items()}
        labels = [f"{k} = {_short(shown[k])}" if k in shown else k for k, _ in items]
        parts.append("<h3>Contributions</h3>")
        parts.append(diverging_bar_chart(labels, [v for _, v in items],
                                         title=f"contributions to the score of model {evidence.get('model', '')}",
                                         positive="raises the score", negative="lowers the score"))
    rows = [[key, evidence[key]] for key in ("model", "algorithm", "base_value", "score", "probability",
                                              "calibration") if key in evidence and not isinstance(evidence[key],
                                                                                                  (dict, list))]
    domain = evidence.get("domain")
    if isinstance(domain, Mapping):
        rows.append(["inside its training domain", _yes(domain.get("inside"))])
        for key in ("distance", "distance_p99"):
            if isinstance(domain.get(key), (int, float)):
                rows.append([f"domain {key.replace('_', ' ')}", domain[key]])
    if rows:
        parts.append(table(["evidence", "value"], rows))
    return parts


def _yes(flag: Any) -> str:
    return "yes" if flag else "no"


def _short(value: Any, limit: int = 24) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table_hits(step: "NodeTrace") -> list[str]:
    parts: list[str] = []
    for entry in step.evidence.get("tables") or []:
        if not isinstance(entry, Mapping):
            continue
        matched = [m for m in entry.get("matched") or [] if isinstance(m, Mapping)]
        selected = set(entry.get("selected") or [])
        rows = [[m.get("row"), m.get("id") or "", "; ".join(str(c) for c in m.get("conditions") or []),
                 m.get("annotation") or "", "yes" if m.get("row") in selected else "no"] for m in matched]
        output = ", ".join(f"{k} = {v}" for k, v in (entry.get("output") or {}).items())
        parts.append(f"<h3>Table {escape(str(entry.get('table', '')))} ({escape(str(entry.get('hit_policy', '')))})"
                     "</h3>")
        if rows:
            parts.append(table(["row", "id", "conditions that matched", "annotation", "selected"], rows,
                               crossed=[r[4] == "yes" for r in rows]))
        else:
            parts.append('<p class="note">No row matched.</p>')
        default = " (the table's default: no row matched)" if entry.get("default") else ""
        parts.append(f"<p>Output: {escape(output)}{escape(default)}</p>")
    return parts


def _fired_rules(step: "NodeTrace") -> list[str]:
    evidence = step.evidence
    fired = [f for f in evidence.get("fired") or [] if isinstance(f, Mapping)]
    parts = ["<h3>Fired rules</h3>"]
    if fired:
        parts.append(table(["rule", "priority", "when", "then"], [
            [f.get("rule"), f.get("priority"), one_line(str(f.get("when", ""))),
             ", ".join(f"{k} = {v}" for k, v in (f.get("then") or {}).items())] for f in fired]))
    else:
        parts.append('<p class="note">No rule fired.</p>')
    overridden = [o for o in evidence.get("overridden") or [] if isinstance(o, Mapping)]
    if overridden:
        parts.append(table(["value", "set by", "overridden by", "kept"], [
            [f"{o.get('name')} = {o.get('value')}", o.get("loser"), o.get("winner"), o.get("kept")]
            for o in overridden]))
    if evidence.get("defaults_used"):
        parts.append(f"<p>Defaults used: {escape(', '.join(map(str, evidence['defaults_used'])))}</p>")
    return parts
