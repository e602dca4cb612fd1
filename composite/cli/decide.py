"""`composite decide`: make one decision from a JSON request, store it, print its outputs (or JSON).

Exit codes: 0 decided, 1 a rejected request or a project that cannot be loaded, 2 wrong usage.
"""

from __future__ import annotations

import click

from composite.cli._common import command, engine_of, project_options, read_input

__all__ = ["decide"]


@command("decide")
@project_options()
@click.option("--input", "input_", required=True, metavar="INPUT",
              help="JSON file with the request, or - for standard input")
@click.option("--json", "as_json", is_flag=True, help="print the whole decision as one JSON object")
@click.option("--explain", is_flag=True, help="also print its explanation")
def decide(project: str, store: str | None, input_: str, as_json: bool, explain: bool) -> int:
    engine = engine_of(project, store)
    request = read_input(input_)
    decision = engine.decide(request)
    if as_json:
        from composite.cli._output import print_json

        print_json(decision.model_dump(mode="json"))
        return 0
    print(f"decision {decision.id}")
    knowledge = engine.project.knowledge
    for name, value in decision.outputs.items():
        concept = knowledge.get(name)
        shown = "null" if value is None else concept.format(value) if concept else value
        print(f"  {name} = {shown}")
    if explain:
        print()
        print(engine.explain(decision.id), end="")
    else:
        print(f"explain it with: composite explain {decision.id}" + (f" --project {project}" if project != "." else ""))
    return 0
