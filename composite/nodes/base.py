"""The protocol every node kind meets, and the context a node is built in.

A node declares the names it reads and writes; the engine derives the graph from them, hands
each node only what it declared, and records what it returns as evidence.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from composite.errors import ProjectError

if TYPE_CHECKING:
    from composite.knowledge import Knowledge


@dataclass(slots=True)
class NodeResult:
    """What one node produced for one decision.

    `outputs` holds exactly the node's declared `writes`; `evidence` is a JSON-ready dict whose
    shape is the node kind's evidence model (see `Node.evidence_model`).
    """

    outputs: dict[str, Any]
    # the kind's evidence; asked with `evaluate(values, evidence=False)`, its witness (or {})
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BatchResult:
    """What one node produced for many decisions at once.

    `outputs` maps each declared write to an array of length `size`. `evidence` is one dict per
    row, or None when the kind has no evidence beyond the values it read and wrote, or when it was
    asked for outputs only (`evaluate_batch(..., evidence=False)`).
    """

    outputs: dict[str, np.ndarray]
    evidence: Sequence[dict[str, Any]] | None = None
    # Asked without evidence, a kind may still give a compact witness per row, as columns: what a
    # decision stored with evidence on demand keeps so that the evidence built later can be checked
    # against it (a model's score). Keys are evidence keys: the evidence must say the same.
    witness: dict[str, np.ndarray] | None = None


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One entry of composite.yaml's `nodes:` list, as written, with where it was written."""

    name: str
    kind: str
    options: Mapping[str, Any]
    file: str | None = None  # the artifact the node is built from, relative to the project root
    reads: tuple[str, ...] | None = None  # as declared in composite.yaml, if declared
    writes: tuple[str, ...] | None = None
    source: str = "composite.yaml"
    line: int | None = None


@dataclass
class LoadContext:
    """What a node may use while it is built: the project root, knowledge, artifact hashing."""

    root: Path
    knowledge: "Knowledge | None" = None
    artifacts: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    contents: dict[str, bytes] = field(default_factory=dict, repr=False)  # relative path -> bytes read

    def read_artifact(self, relative: str, *, spec: NodeSpec | None = None,
                      referenced_from: tuple[str | None, int | None] | None = None,
                      data_file: bool = False) -> tuple[Path, bytes]:
        """Read a file the node is built from and record its content hash for every decision.

        The file must lie inside the project, be a regular file and be under the size cap
        (`composite._files.read_project_file`); errors name `referenced_from`, by default the
        node's line in composite.yaml."""
        from composite._files import read_project_file

        if referenced_from is None:
            referenced_from = (spec.source, spec.line) if spec else (relative, None)
        path, data = read_project_file(self.root, relative, referenced_from=referenced_from,
                                       field=f"nodes.{spec.name}.file" if spec else None, data_file=data_file)
        relative_path = self.relative(path)
        self.artifacts[relative_path] = content_hash(data)
        self.contents[relative_path] = data
        return path, data

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def typed_column(values: Sequence[Any]) -> np.ndarray:
    """Python values as one column: bool, int64 or float64 when that loses nothing, else object.

    Ints outside int64, or mixed with floats beyond 2**53, stay objects rather than round.
    """
    kinds = {type(value) for value in values}
    if values and kinds == {bool}:
        return np.array(values, dtype=bool)
    if values and kinds == {int} and all(-(2**63) <= value < 2**63 for value in values):
        return np.array(values, dtype=np.int64)
    if values and kinds <= {int, float} and float in kinds and all(abs(v) < 2**53 for v in values
                                                                   if type(v) is int):
        return np.array(values, dtype=np.float64)
    column = np.empty(len(values), dtype=object)
    for position, value in enumerate(values):
        column[position] = value
    return column


def require_file(spec: NodeSpec, *, what: str, example: str, allowed: tuple[str, ...] = ("description",)) -> None:
    """For kinds built from one file (a model, a blend): the node names it, and takes no option
    that belongs in that file. Errors name composite.yaml's line."""
    where = {"file": spec.source, "line": spec.line}
    if not spec.file:
        raise ProjectError(f"a {spec.kind} node needs 'file:', its {what} ({example})",
                           code=f"{spec.kind}_needs_file", field=f"nodes.{spec.name}.file", **where)
    unknown = [key for key in spec.options if key not in allowed]
    if unknown:
        raise ProjectError(f"unknown option(s) {', '.join(map(repr, unknown))} for a {spec.kind} node; everything "
                           f"about the {spec.kind} goes in {spec.file}", code=f"{spec.kind}_option",
                           field=f"nodes.{spec.name}.{unknown[0]}", **where)


def accepts_evidence_keyword(node: Any, method: str = "evaluate_batch") -> bool:
    """Whether `node.evaluate_batch` (or `node.evaluate`) takes `evidence=` (every built-in kind's
    evaluate_batch does; an older plugin kind may not: the engine then calls it without and drops
    the evidence). Inspected once per node."""
    import inspect

    try:
        parameters = inspect.signature(getattr(node, method)).parameters
    except (TypeError, ValueError):
        return False
    return "evidence" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def describe_node(node: Any, summary: str, **details: Any) -> dict[str, Any]:
    """What every kind's `describe()` starts with (kind, name, reads, writes, the author's
    description and a one-line summary), then `details`, the kind's own fields.

    >>> class Double:
    ...     kind, name, reads, writes, description = "expression", "twice", ("x",), ("y",), None
    >>> describe_node(Double(), "1 formula", formulas={"y": "2 * x"})["formulas"]
    {'y': '2 * x'}
    """
    return {"kind": node.kind, "name": node.name, "reads": list(node.reads), "writes": list(node.writes),
            "description": node.description, "summary": summary, **details}


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@runtime_checkable
class Node(Protocol):
    """One step of a decision graph.

    `evaluate` and `evaluate_batch` must agree row for row (outputs and evidence); a shared
    conformance test holds every kind to it. `evaluate_batch(..., evidence=False)` returns the same
    outputs with `evidence=None` and builds no per-row Python object for evidence (the engine's
    `decide_batch(record=False, trace="off")`); a plugin kind whose `evaluate_batch` does not take
    the keyword is called without it and its evidence dropped.
    """

    kind: ClassVar[str]
    # pydantic model describing this kind's evidence dict (tests validate every evidence with it)
    evidence_model: ClassVar[type[Any] | None]
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "Node": ...

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult: ...
    # A kind may also take `evaluate(values, *, evidence=False)`: the outputs and its witness only
    # (the engine's single path with evidence on demand); the engine inspects the signature once.

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult: ...

    def describe(self) -> dict[str, Any]:
        """{"kind", "name", "reads", "writes", "summary", ...}: for `composite graph` and explain."""
        ...

    # Optional, found by `getattr`:
    #   validate(knowledge, *, defined) -> list[Problem]   extra checks for `composite validate`
    #   coverage_items() -> list[str]; covered_items(evidence) -> set[str]   for `composite test`
    #   explain_why_not(description, rule, *, read, wrote, evidence) -> list[str]   (rule kinds)

    @staticmethod
    def render(
        evidence: Mapping[str, Any],
        *,
        read: Mapping[str, Any],
        wrote: Mapping[str, Any],
        knowledge: "Knowledge | None",
    ) -> list[str]:
        """The stored evidence in an expert's words, one line each, for `composite explain`.

        Works from the stored trace alone (the artifact may have changed since the decision).
        """
        ...
