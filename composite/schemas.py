"""The records that cross a boundary: a Decision, its Trace and each step's NodeTrace.

They are what `decide` returns, what the store keeps and what `explain` reads back a year later,
so they are plain JSON underneath and validated when they come back in.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Callable, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WrapSerializer


BaseModelT = TypeVar("BaseModelT", bound=BaseModel)


def _value_json(value: Any, handler: Callable[[Any], Any]) -> Any:
    # A duration is a dataclass, which pydantic would write field by field: JSON gets its ISO text.
    if type(value).__name__ in ("DayTimeDuration", "YearMonthDuration"):
        return value.iso()
    return handler(value)


# The values a decision reads and writes, by name; in JSON a duration is its ISO text (P90D).
Values = dict[str, Annotated[Any, WrapSerializer(_value_json, when_used="json")]]


class NodeTrace(BaseModel):
    """One step of one decision: what the node read, what it wrote, and why."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    read: Values = Field(default_factory=dict)
    wrote: Values = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    duration_us: float = 0.0


class Trace(BaseModel):
    """The ordered steps of a decision and the exact version of every artifact they used."""

    model_config = ConfigDict(extra="forbid")

    nodes: list[NodeTrace] = Field(default_factory=list)
    artifacts: dict[str, str] = Field(default_factory=dict)  # relative path -> "sha256:..."
    # Set when the evidence could not be derived again (the project snapshot no longer loads): the
    # steps then carry what was read and written, and this says why their evidence is missing.
    note: str | None = None

    def node(self, name: str) -> NodeTrace:
        for step in self.nodes:
            if step.name == name:
                return step
        raise KeyError(f"no step named '{name}' in this trace; steps: {[n.name for n in self.nodes]}")


class Decision(BaseModel):
    """One decision, complete enough to be explained without the project that made it.

    With evidence on demand (the engine's default, `evidence="lazy"`) the decision is made without
    its evidence and `trace` is built the first time it is read: each node runs again on the values
    it read, from the same project version, and only its evidence is kept (what it wrote is what
    was decided). `node_timings()` and every other field never build it.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    created_at: datetime
    project: str
    project_version: str
    project_hash: str = ""
    inputs: Values
    outputs: Values
    trace: Trace
    batch_id: str | None = None
    duration_us: float = 0.0
    schema_version: int = 1

    def node_timings(self) -> list[tuple[str, str, float]]:
        """(node name, node kind, duration in µs) per step, in order: for metrics and monitoring.
        Cheap: it never builds the trace's evidence."""
        if "trace" not in self.__dict__:
            return list(self.__pydantic_private__["timings"])
        return [(step.name, step.kind, step.duration_us) for step in self.trace.nodes]

    @property
    def trace_built(self) -> bool:
        """Whether `trace` exists yet (False for a decision made or read with evidence on demand)."""
        return "trace" in self.__dict__

    if not TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            if name == "trace":
                private = self.__pydantic_private__ or {}
                build = private.get("build")
                if build is not None:
                    trace = build()
                    fields = {**self.__dict__, "trace": trace}  # in the order of the fields, as validated
                    _set(self, "__dict__", {key: fields[key] for key in type(self).model_fields if key in fields})
                    private["build"] = None  # what it held (values, nodes) is no longer needed
                    return trace
            return super().__getattr__(name)

    def _built(self) -> "Decision":
        self.trace  # noqa: B018 (builds it when it is built on demand)
        return self

    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return super(Decision, self._built()).model_dump(*args, **kwargs)

    def model_dump_json(self, *args: Any, **kwargs: Any) -> str:
        return super(Decision, self._built()).model_dump_json(*args, **kwargs)

    def model_copy(self, *args: Any, **kwargs: Any) -> "Decision":
        return super(Decision, self._built()).model_copy(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        # the same fields, whether or not either was made with evidence on demand (which keeps
        # private values for its record: they are not part of what the decision is)
        if not isinstance(other, Decision):
            return NotImplemented
        return self._built().__dict__ == other._built().__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr_args__(self) -> Any:
        return super(Decision, self._built()).__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        return super(Decision, self._built()).__getstate__()


# 1: every step's evidence stored; 2: evidence on demand (inputs, derived values, per-step durations
# and witnesses; the trace is derived from them and the project snapshot when it is asked for).
SCHEMA_VERSION = 1
LAZY_SCHEMA_VERSION = 2

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


def on_demand(values: dict[str, Any], timings: list[tuple[str, str, float]],
              build: Callable[[], Trace]) -> Decision:
    """A Decision made without its trace: `build()` makes it the first time `trace` is read.

    `values` holds every field but `trace`; `timings` is what `node_timings()` returns meanwhile."""
    decision = Decision.__new__(Decision)
    _set(decision, "__dict__", values)
    _set(decision, "__pydantic_fields_set__", set(values) | {"trace"})
    _set(decision, "__pydantic_extra__", None)
    _set(decision, "__pydantic_private__", {"build": build, "timings": timings})
    return decision

__all__ = ["Decision", "LAZY_SCHEMA_VERSION", "NodeTrace", "SCHEMA_VERSION", "Trace", "on_demand"]
