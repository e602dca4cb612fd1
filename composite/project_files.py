"""Loaders that turn one standalone file (a DMN model, a FuzzyLite engine) into a project.

`CompositeEngine.from_path("x.dmn")` looks the suffix up here; the loader returns the same
structure composite.yaml and knowledge/ would give, so the engine needs no special case.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

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
