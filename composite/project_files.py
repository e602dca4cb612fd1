"""Loaders that turn one standalone file (a DMN model, a FuzzyLite engine) into a project.

`CompositeEngine.from_path("x.dmn")` looks the suffix up here; the loader returns the same
structure composite.yaml and knowledge/ would give, so the engine needs no special case.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, Iterable

from composite.errors import ProjectError

# suffix -> "module:function"; the function takes the file's Path and returns
# {"name", "version", "nodes": [composite.yaml node entries], "outputs": [...],
#  "concepts": {name: knowledge concept entry}}
SINGLE_FILE_PROJECTS: dict[str, str] = {
    ".dmn": "composite.nodes.table:dmn_project",
    ".fll": "composite.nodes.fuzzy:fll_project",
}


def single_file_project(path: Path) -> dict[str, Any] | None:
    target = SINGLE_FILE_PROJECTS.get(path.suffix.lower())
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)(path)


_NODE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_single_file(path: Path) -> bytes:
    """The file's bytes; a missing file is a ProjectError naming it, not a traceback."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"file '{path}' does not exist", code="missing_file", file=str(path)) from None


def one_node_project(path: Path, *, kind: str, stem: str, name: str, outputs: Iterable[str],
                     concepts: dict[str, Any]) -> dict[str, Any]:
    """The project a loader returns for a file that is one node of `kind`: the node is named after
    `stem` (the file's name without its suffix), made a valid name (`2024 rates` -> `_2024_rates`).

    >>> one_node_project(Path("rules/2024 rates.dmn"), kind="table", stem="2024 rates", name="Rates",
    ...                  outputs=["rate"], concepts={})["nodes"]
    [{'name': '_2024_rates', 'kind': 'table', 'file': '2024 rates.dmn'}]
    """
    node_name = re.sub(r"\W", "_", stem)
    if not _NODE_NAME.match(node_name):
        node_name = "_" + node_name
    return {
        "name": name,
        "version": "0",
        "nodes": [{"name": node_name, "kind": kind, "file": path.name}],
        "outputs": list(outputs),
        "concepts": concepts,
    }
