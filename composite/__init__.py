"""composite: a decision engine that joins expert rules, fuzzy logic and small models.

Every decision is stored with the evidence of every step, so it can be explained later.

The names below are imported when first used (PEP 562), so that `import composite` and the
commands that only read the store (`composite explain`, `composite history`) start fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import typing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composite.engine import BatchOutcome, CompositeEngine
    from composite.errors import (
        CompositeError,
        DecisionNotFound,
        EvaluationError,
        ExpressionSyntaxError,
        GraphError,
        Problem,
        ProjectError,
        RequestError,
        StoreError,
    )
    from composite.knowledge import Concept, Knowledge
    from composite.limits import Limits
    from composite.project import Project, load_project
    from composite.schemas import Decision, NodeTrace, Trace
    from composite.store import DecisionStore, open_store

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "BatchOutcome": "composite.engine",
    "CompositeEngine": "composite.engine",
    "CompositeError": "composite.errors",
    "Concept": "composite.knowledge",
    "Decision": "composite.schemas",
    "DecisionNotFound": "composite.errors",
    "DecisionStore": "composite.store",
    "EvaluationError": "composite.errors",
    "ExpressionSyntaxError": "composite.errors",
    "GraphError": "composite.errors",
    "Knowledge": "composite.knowledge",
    "Limits": "composite.limits",
    "NodeTrace": "composite.schemas",
    "Problem": "composite.errors",
    "Project": "composite.project",
    "ProjectError": "composite.errors",
    "RequestError": "composite.errors",
    "StoreError": "composite.errors",
    "Trace": "composite.schemas",
    "load_project": "composite.project",
    "open_store": "composite.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        # `composite.engine` after a bare `import composite`, as when the package imported it
        if not name.startswith("_") and importlib.util.find_spec(f"composite.{name}") is not None:
            return importlib.import_module(f"composite.{name}")
        raise AttributeError(f"module 'composite' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
