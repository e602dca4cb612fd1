"""`composite schema`: the JSON Schema of a project's request (or of its outputs), generated from knowledge/.

Exit codes: 0 printed or written, 1 a project that cannot be loaded, 2 wrong usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from composite.cli._common import command, project_option

__all__ = ["schema"]


@command("schema")
@project_option()
@click.option("--output", default=None, metavar="FILE", help="write it to FILE instead of standard output")
@click.option("--outputs", is_flag=True, help="the schema of a decision's outputs instead")
def schema(project: str, output: str | None, outputs: bool) -> int:
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
