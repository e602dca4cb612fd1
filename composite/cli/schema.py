"""`composite schema`: the JSON Schema of a project's request (or of its outputs), generated from knowledge/;
with --files, a JSON Schema of every project file type, for editors (docs/editors.md).

Exit codes: 0 printed or written, 1 a project that cannot be loaded, 2 wrong usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from composite.cli._common import command, project_option

__all__ = ["schema"]


@command("schema", "Print the JSON Schema of a request, generated from knowledge/ (--outputs: of a decision's "
                   "outputs).\n\nWith --files DIR, write instead a JSON Schema for every project file type "
                   "(composite.yaml, knowledge/, rules, tables, fuzzy rule bases, models, blends, scenarios) into "
                   "DIR, for an editor's completion and checks (docs/editors.md).")
@project_option()
@click.option("--output", default=None, metavar="FILE", help="write it to FILE instead of standard output")
@click.option("--outputs", is_flag=True, help="the schema of a decision's outputs instead")
@click.option("--files", "files", default=None, metavar="DIR",
              help="write a JSON Schema for every project file type into DIR (no project needed)")
def schema(project: str, output: str | None, outputs: bool, files: str | None) -> int:
    if files is not None:
        if output or outputs:
            raise click.UsageError("--files writes one schema per file type into DIR; it takes no --output or "
                                   "--outputs")
        from composite.file_schemas import write_file_schemas

        for path in write_file_schemas(files):
            print(path)
        print("point your editor at them: docs/editors.md", file=sys.stderr)
        return 0
    from composite.jsonschema import outputs_schema, request_schema
    from composite.project import load_project

    loaded = load_project(project)
    document = outputs_schema(loaded) if outputs else request_schema(loaded)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0
