"""The `fuzzy` node: an expert-written fuzzy rule base (`*.fuzzy.yaml` or FuzzyLite `.fll`).

It reads the rule base's input variables and writes its output variables; the evidence holds
every membership, rule strength and aggregated output. `fll_project` turns a lone `.fll` file
into a project of its own (see composite.project_files).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel

from composite.errors import EvaluationError, ProjectError
from composite.fuzzy.evaluate import FuzzyEvaluator
from composite.fuzzy.evidence import FuzzyEvidence, render
from composite.fuzzy.fll import read_fll
from composite.fuzzy.model import NUMERICS, FuzzyRuleBase
from composite.fuzzy.yamlformat import read_fuzzy_yaml
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node

__all__ = ["FuzzyNode", "fll_project", "read_rule_base"]


def read_rule_base(data: str | bytes, *, file: str) -> FuzzyRuleBase:
    """A rule base from the text of a `.fll` or `*.fuzzy.yaml` file (chosen by `file`'s suffix)."""
    if file.lower().endswith(".fll"):
        return read_fll(data, file=file)
    if file.lower().endswith((".yaml", ".yml")):
        return read_fuzzy_yaml(data, file=file)
    raise ProjectError(f"'{file}' is neither a fuzzy rule base (*.fuzzy.yaml) nor a FuzzyLite engine (*.fll)",
                       code="fuzzy_file_type", file=file)


class FuzzyNode:
    kind: ClassVar[str] = "fuzzy"
    evidence_model: ClassVar[type[BaseModel]] = FuzzyEvidence

    def __init__(self, name: str, rule_base: FuzzyRuleBase, *, numerics: str | None = None,
                 file: str | None = None, description: str | None = None) -> None:
        self.name = name
        self.rule_base = rule_base
        self.numerics = numerics or rule_base.numerics or "skfuzzy"
        self.file = file
        self.description = description or rule_base.description or None
        self.evaluator = FuzzyEvaluator(rule_base, numerics=self.numerics)
        self.reads: tuple[str, ...] = rule_base.input_names
        self.writes: tuple[str, ...] = rule_base.output_names

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "FuzzyNode":
        where = {"file": spec.source, "line": spec.line}
        if not spec.file:
            raise ProjectError("a fuzzy node needs 'file:', a rules/*.fuzzy.yaml or .fll file",
                               code="fuzzy_needs_file", field=f"nodes.{spec.name}.file", **where)
        if not spec.file.lower().endswith((".fll", ".yaml", ".yml")):
            raise ProjectError(f"'{spec.file}' is neither a *.fuzzy.yaml rule base nor a .fll FuzzyLite engine",
                               code="fuzzy_file_type", field=f"nodes.{spec.name}.file", **where)
        numerics = spec.options.get("numerics")
        if numerics is not None and numerics not in NUMERICS:
            raise ProjectError(f"numerics must be one of {', '.join(NUMERICS)}, not {numerics!r}",
                               code="fuzzy_numerics", field=f"nodes.{spec.name}.numerics", **where)
        _, data = context.read_artifact(spec.file, spec=spec)
        rule_base = read_rule_base(data, file=spec.file)
        node = cls(spec.name, rule_base, numerics=numerics, file=spec.file,
                   description=spec.options.get("description"))
        for what, declared, actual in (("reads", spec.reads, node.reads), ("writes", spec.writes, node.writes)):
            if declared is not None and set(declared) != set(actual):
                raise ProjectError(f"node '{spec.name}' declares {what} {sorted(declared)} but {spec.file} "
                                   f"{'has the inputs' if what == 'reads' else 'has the outputs'} {sorted(actual)}",
                                   code=f"declared_{what}", field=f"nodes.{spec.name}.{what}", **where)
        return node

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        for name in self.reads:
            if name in values and values[name] is None:
                raise self._null_input(name, None)
        result = self.evaluator.evaluate(values)
        return NodeResult(result.outputs, result.evidence)

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        for name in self.reads:
            column = columns.get(name)
            if isinstance(column, np.ndarray) and column.dtype == object:
                nulls = [i for i, v in enumerate(column.tolist()) if v is None]
                if nulls:
                    raise self._null_input(name, nulls)
        result = self.evaluator.evaluate_batch(columns, size, evidence=evidence)
        return BatchResult(result.outputs, result.evidence)

    def _null_input(self, name: str, rows: list[int] | None) -> EvaluationError:
        """A null input: the rule base needs a number for every input (the missing-value rule)."""
        where = ""
        if rows:
            listed = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            where = f" (row{'s' if len(rows) > 1 else ''} {listed})"
        error = EvaluationError(f"fuzzy node '{self.name}': input '{name}' is null (a missing value); a fuzzy rule "
                                f"base needs a number for every input{where}", code="null_input",
                                file=self.file, field=name)
        error.rows = tuple(rows or ())  # type: ignore[attr-defined]
        error.missing = name  # type: ignore[attr-defined]
        return error

    def describe(self) -> dict[str, Any]:
        return describe_node(self, self.rule_base.summary(), file=self.file, numerics=self.numerics)

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        return render(evidence, read=read, wrote=wrote, knowledge=knowledge)


def _node_name(stem: str) -> str:
    name = re.sub(r"\W", "_", stem)
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def fll_project(path: Path) -> dict[str, Any]:
    """A lone FuzzyLite engine as a project: one fuzzy node, its variables as concepts."""
    path = Path(path)
    rule_base = read_fll(path.read_bytes(), file=path.name)
    concepts: dict[str, Any] = {}
    for var in rule_base.inputs:
        concepts[var.name] = {"type": "number", "range": [var.lo, var.hi]}
        if var.description:
            concepts[var.name]["description"] = var.description
    for var in rule_base.outputs:
        concepts[var.name] = {"type": "number"}
        if var.description:
            concepts[var.name]["description"] = var.description
    project: dict[str, Any] = {
        "name": path.stem,
        "version": "0",
        "nodes": [{"name": _node_name(path.stem), "kind": "fuzzy", "file": path.name,
                   "numerics": rule_base.numerics or "fuzzylite"}],
        "outputs": list(rule_base.output_names),
        "concepts": concepts,
    }
    if rule_base.description:
        project["description"] = rule_base.description
    return project
