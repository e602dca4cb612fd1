"""composite: a decision engine that joins expert rules, fuzzy logic and small models.

Every decision is stored with the evidence of every step, so it can be explained later.
"""

from __future__ import annotations

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

__all__ = [
    "BatchOutcome",
    "CompositeEngine",
    "CompositeError",
    "Concept",
    "Decision",
    "DecisionNotFound",
    "DecisionStore",
    "EvaluationError",
    "ExpressionSyntaxError",
    "GraphError",
    "Knowledge",
    "Limits",
    "NodeTrace",
    "Problem",
    "Project",
    "ProjectError",
    "RequestError",
    "StoreError",
    "Trace",
    "load_project",
    "open_store",
]
