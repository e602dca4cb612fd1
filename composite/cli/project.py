"""`composite validate`, `graph` and `init`: check a project, draw its graph, start a new one.

Exit codes: 0 valid / drawn / created, 1 an invalid project or a folder that is not empty, 2 wrong usage.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

import click

from composite.cli._common import command, project_options

__all__ = ["SAMPLES", "TEMPLATES", "graph", "init", "validate"]

TEMPLATES = {
    "credit": "a loan pre-screen: an expression, a fuzzy rule base, a decision table, a rule set with a chain",
    "triage": "insurance claim triage: an expression, a fuzzy rule base, a COLLECT table, a rule set with a chain",
    "blank": "one expression node and one scenario file, to fill in",
}
SAMPLES = {"credit": "data/sample_application.json", "triage": "data/sample_claim.json", "blank": "data/sample.json"}


@command("validate")
@project_options(store=False)
def validate(project: str) -> int:
    from composite.missing import missing_value_paths
    from composite.project import load_project

    loaded = load_project(project)
    problems = []
    defined = set(loaded.graph.writer) | set(loaded.knowledge.concepts)
    for node in loaded.graph.order:
        check = getattr(node, "validate", None)
        if callable(check):
            problems.extend(check(loaded.knowledge, defined=defined) or [])
    problems.extend(missing_value_paths(loaded))  # where a null can reach a node that cannot take it
    errors = [p for p in problems if p.is_error]
    for problem in problems:
        print(f"{problem}", file=sys.stderr if problem.is_error else sys.stdout)
    if errors:
        print(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s) in project '{loaded.name}'",
              file=sys.stderr)
        return 1
    print(f"ok: project '{loaded.name}' {loaded.version}: {len(loaded.nodes)} nodes, "
          f"{len(loaded.graph.inputs)} inputs, outputs {', '.join(loaded.outputs)}")
    return 0


@command("graph")
@project_options(store=False)
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot")), default="mermaid",
              help="mermaid or dot (default: mermaid)")
def graph(project: str, fmt: str) -> int:
    from composite.project import load_project

    decision_graph = load_project(project).graph
    print(decision_graph.to_dot() if fmt == "dot" else decision_graph.to_mermaid(), end="")
    return 0


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
