"""The records that cross a boundary: a Decision, its Trace and each step's NodeTrace.

They are what `decide` returns, what the store keeps and what `explain` reads back a year later,
so they are plain JSON underneath and validated when they come back in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field


BaseModelT = TypeVar("BaseModelT", bound=BaseModel)


class NodeTrace(BaseModel):
    """One step of one decision: what the node read, what it wrote, and why."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    read: dict[str, Any] = Field(default_factory=dict)
    wrote: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    duration_us: float = 0.0


class Trace(BaseModel):
    """The ordered steps of a decision and the exact version of every artifact they used."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeTrace] = Field(default_factory=list)
    artifacts: dict[str, str] = Field(default_factory=dict)  # relative path -> "sha256:..."

    def node(self, name: str) -> NodeTrace:
        for step in self.nodes:
            if step.name == name:
                return step
        raise KeyError(f"no step named '{name}' in this trace; steps: {[n.name for n in self.nodes]}")


class Decision(BaseModel):
    """One decision, complete enough to be explained without the project that made it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: datetime
    project: str
    project_version: str
    project_hash: str = ""
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    trace: Trace
    batch_id: str | None = None
    duration_us: float = 0.0
    schema_version: int = 1

    def node_timings(self) -> list[tuple[str, str, float]]:
        """(node name, node kind, duration in µs) per step, in order: for metrics and monitoring.
        Cheap: it never asks for the steps' evidence."""
        return [(step.name, step.kind, step.duration_us) for step in self.trace.nodes]


SCHEMA_VERSION = 1

_set = object.__setattr__


def trusted(cls: type[BaseModelT], values: dict[str, Any]) -> BaseModelT:
    """Build a model from values the engine made itself, skipping validation.

    The same object pydantic's `model_construct` makes, without its per-field bookkeeping: the
    decision path builds one per node, so this is a measurable part of the engine's overhead.
    `values` must hold every field.
    """
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model

__all__ = ["Decision", "NodeTrace", "SCHEMA_VERSION", "Trace"]
