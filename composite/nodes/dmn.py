"""The `dmn` node: a whole DMN model (literal expressions, contexts, BKMs, services, imports) in a graph;
decision-table-only models keep the `table` node, with its rule-level evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from composite.errors import Problem, ProjectError
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node
from composite.project_files import one_node_project, read_single_file

# A DMN type (its FEEL base type) -> a knowledge concept type, for the request schema.
_CONCEPT_TYPES = {
    "number": "number", "string": "string", "boolean": "boolean", "date": "date", "time": "time",
    "date and time": "datetime", "days and time duration": "duration", "years and months duration": "years_months",
    "context": "context", "list": "list",
}


class DmnEvidence(BaseModel):
    """What evaluation noted: null results and why (a value of the wrong type, no rule matched...)."""

    model_config = ConfigDict(extra="forbid")

    notes: list[str] = []


class DmnModelNode:
    """A `dmn` node: every decision of a DMN model, written under its own name."""

    kind: ClassVar[str] = "dmn"
    evidence_model: ClassVar[type[BaseModel]] = DmnEvidence

    def __init__(self, name: str, model: Any, *, file: str | None = None, description: str | None = None) -> None:
        self.name = name
        self.model = model
        self.file = file
        self.description = description
        self.reads: tuple[str, ...] = tuple(model_inputs(model))
        self.writes: tuple[str, ...] = tuple(model.decisions)

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "DmnModelNode":
        from composite.dmn import read_model

        if not spec.file:
            raise ProjectError("a dmn node needs 'file:', the DMN model it runs (rules/<name>.dmn)",
                               code="dmn_needs_file", file=spec.source, line=spec.line, field=f"nodes.{spec.name}.file")
        path, data = context.read_artifact(spec.file, spec=spec)

        def read_import(imported: Path) -> bytes:
            return context.read_artifact(context.relative(imported), spec=spec)[1]

        model = read_model(data, file=spec.file, folder=path.parent, read=read_import)
        return cls(spec.name, model, file=spec.file, description=spec.options.get("description"))

    def validate(self, knowledge: Any = None, *, defined: Iterable[str] | None = None) -> list[Problem]:
        """The model's warnings for `composite validate` (a decision reading one it does not require, a
        function kind composite does not run): loading refused its errors already."""
        return [problem for problem in self.model.problems if problem.severity == "warning"]

    def _decide(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        from composite.feel.values import from_feel, to_feel

        notes: list[str] = []
        inputs = {name: to_feel(values.get(name)) for name in self.reads}
        results = self.model.evaluate(inputs, notes=notes)
        return {name: from_feel(value) for name, value in results.items()}, notes

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        outputs, notes = self._decide(values)
        return NodeResult(outputs, {"notes": notes} if notes else {})

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *, evidence: bool = True) -> BatchResult:
        # A DMN model's values are contexts, lists and temporals: rows are evaluated one by one.
        outputs = {name: np.empty(size, dtype=object) for name in self.writes}
        rows: list[dict[str, Any]] = []
        for row in range(size):
            values, notes = self._decide({name: _cell(columns[name][row]) for name in self.reads if name in columns})
            for name in self.writes:
                outputs[name][row] = values.get(name)
            rows.append({"notes": notes} if notes else {})
        return BatchResult(outputs, rows if evidence else None)

    def describe(self) -> dict[str, Any]:
        return describe_node(self, f"DMN model '{self.model.name}': {len(self.writes)} decision"
                                   f"{'s' if len(self.writes) != 1 else ''}")

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        return [str(note) for note in evidence.get("notes", [])]


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:  # pandas' missing value in an object column
        return None
    return value


def model_inputs(model: Any) -> list[str]:
    """What a request gives: the input data, or for a Camunda 7 style model the names its expressions read."""
    names = [] if model.decorative_inputs else list(model.inputs)
    seen = {id(model)}
    pending = list(model.imports.values())
    while pending:  # imports of imports too: their input data are the request's as well
        imported = pending.pop(0)
        if id(imported) in seen:
            continue
        seen.add(id(imported))
        names.extend(name for name in imported.inputs if name not in names)
        pending.extend(imported.imports.values())
    names.extend(name for name in model.free_names if name not in names and name not in model.decisions)
    return names


def _input_data(model: Any, name: str, seen: set[int] | None = None) -> Any:
    """The <inputData> called `name` in the model or any model it imports."""
    seen = seen if seen is not None else set()
    if id(model) in seen:
        return None
    seen.add(id(model))
    if name in model.inputs:
        return model.inputs[name]
    return next((found for imported in model.imports.values()
                 if (found := _input_data(imported, name, seen)) is not None), None)


def concept_for(kind: Any) -> dict[str, Any]:
    """A knowledge concept entry for an input of DMN type `kind` (None: any value)."""
    concept: dict[str, Any] = {"required": False}
    if kind is None:
        concept["type"] = "any"
        return concept
    if kind.is_collection:
        concept["type"] = "list"
    elif kind.components is not None:
        concept["type"] = "context"
    else:
        concept["type"] = _CONCEPT_TYPES.get(kind.base or "", "any")
    return concept


def dmn_model_project(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """A whole DMN model as a project of its own: one `dmn` node; inputs are its input data (or, for a
    Camunda 7 style model, the request fields its expressions read), outputs its decisions. `data`: the
    file's bytes, when the caller has read them already."""
    from composite.dmn import read_model

    path = Path(path)
    model = read_model(read_single_file(path) if data is None else data, file=path.name, folder=path.parent)
    concepts: dict[str, Any] = {}
    for name in model_inputs(model):
        data_item = _input_data(model, name)
        concepts[name] = concept_for(data_item.type if data_item is not None else model.free_types.get(name))
    return one_node_project(path, kind="dmn", stem=path.stem, name=model.name, outputs=model.decisions,
                            concepts=concepts)


__all__ = ["DmnEvidence", "DmnModelNode", "concept_for", "dmn_model_project", "model_inputs"]
