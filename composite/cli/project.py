"""`composite validate`, `graph` and `init`: check a project, draw its graph, start a new one.

Exit codes: 0 valid / drawn / created, 1 an invalid project or a folder that is not empty, 2 wrong usage.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click

from composite.cli._common import command, project_options

__all__ = ["SAMPLES", "TEMPLATES", "graph", "graph_document", "init", "validate"]

TEMPLATES = {
    "credit": "a loan pre-screen: an expression, a fuzzy rule base, a decision table, a rule set with a chain",
    "triage": "insurance claim triage: an expression, a fuzzy rule base, a COLLECT table, a rule set with a chain",
    "blank": "one expression node and one scenario file, to fill in",
}
SAMPLES = {"credit": "data/sample_application.json", "triage": "data/sample_claim.json", "blank": "data/sample.json"}


@command("validate")
@project_options(store=False)
@click.option("--json", "as_json", is_flag=True,
              help="one JSON object: ok, counts, and each problem's severity, code, message, file, line, column, fix")
def validate(project: str, as_json: bool) -> int:
    from composite.validate import validate_project

    if as_json:
        # a project that does not load is a report too, so CI always gets one object to annotate from
        report = validate_project(project)
        from composite.cli._output import print_json

        print_json(report.to_dict())
        return 0 if report.ok else 1
    from composite.project import load_project

    report = validate_project(load_project(project))  # load errors: the usual one-headline report
    for problem in report.problems:
        stream = sys.stderr if problem.is_error else sys.stdout
        print(f"{problem}", file=stream)
        if problem.fix:
            print(f"  fix: {problem.fix}", file=stream)
    if not report.ok:
        print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) in project '{report.project}'",
              file=sys.stderr)
        return 1
    print(f"ok: project '{report.project}' {report.version}: {report.summary}")
    return 0


@command("graph")
@project_options(store=False)
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot")), default="mermaid",
              help="mermaid or dot (default: mermaid)")
@click.option("--json", "as_json", is_flag=True,
              help="the graph as one JSON object: inputs, outputs, nodes (in the order they run) and edges")
def graph(project: str, fmt: str, as_json: bool) -> int:
    from composite.project import load_project

    decision_graph = load_project(project).graph
    if as_json:
        from composite.cli._output import print_json

        print_json(graph_document(decision_graph))
        return 0
    print(decision_graph.to_dot() if fmt == "dot" else decision_graph.to_mermaid(), end="")
    return 0


def graph_document(decision_graph: Any) -> dict[str, Any]:
    """The decision graph as JSON: each edge carries one value from the node that writes it (`from`,
    null for a value of the request) to a node that reads it, as the Mermaid and DOT drawings do."""
    return {
        "inputs": list(decision_graph.inputs),
        "outputs": list(decision_graph.outputs),
        "nodes": [{"name": node.name, "kind": node.kind, "reads": list(node.reads), "writes": list(node.writes)}
                  for node in decision_graph.order],
        "edges": [{"from": decision_graph.writer.get(name), "to": node.name, "value": name}
                  for node in decision_graph.order for name in node.reads],
    }


@command("init", "Create a new decision project that validates, passes its scenarios and decides.\n\nTemplates: "
                 + "; ".join(f"{name}: {what}" for name, what in TEMPLATES.items()))
@click.argument("directory")
@click.option("--template", type=click.Choice(sorted(TEMPLATES)), default="credit",
              help="what the project starts from (default: credit)")
def init(directory: str, template: str) -> int:
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        print(f"error: {target} exists and is not empty; choose a new folder", file=sys.stderr)
        return 1
    source_files = resources.files("composite") / "templates" / template
    with resources.as_file(source_files) as source:
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".composite", "__pycache__"))
    print(f"created a decision project in {target} ({TEMPLATES[template]})")
    print(f"  try: composite validate --project {target}")
    print(f"       composite test --project {target}")
    print(f"       composite decide --project {target} --input {target}/{SAMPLES[template]} --explain")
    return 0
