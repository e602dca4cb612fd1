"""The `expression` node: derived values written as formulas in the safe expression language.

One node may write several names; a later formula may use an earlier one of the same node.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from composite._yaml import LineDict
from composite.errors import CompositeError, EvaluationError, Problem, ProjectError
from composite.expr import Expression, NameUse, first_use, parse
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node


class ExpressionEvidence(BaseModel):
    """Expressions need no evidence beyond the values they read and wrote (kept in the trace)."""

    model_config = ConfigDict(extra="forbid")


class ExpressionNode:
    kind: ClassVar[str] = "expression"
    evidence_model: ClassVar[type[BaseModel]] = ExpressionEvidence

    def __init__(self, name: str, formulas: Mapping[str, Expression], *, description: str | None = None,
                 source: str = "composite.yaml", line: int | None = None) -> None:
        self.name = name
        self.description = description
        self.source = source
        self.line = line
        self.formulas = dict(formulas)
        written: set[str] = set()
        reads: list[str] = []
        for target, expression in self.formulas.items():
            for used in sorted(expression.names):
                if used not in written and used not in reads:
                    reads.append(used)
            written.add(target)
        self.reads: tuple[str, ...] = tuple(reads)
        self.writes: tuple[str, ...] = tuple(self.formulas)
        self._steps = [(target, expression.evaluate) for target, expression in self.formulas.items()]
        self._single = self._steps[0] if len(self._steps) == 1 else None

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "ExpressionNode":
        formulas_spec = spec.options.get("writes")
        if not isinstance(formulas_spec, Mapping) or not formulas_spec:
            raise ProjectError(
                "an expression node needs 'writes:', a mapping of each name it writes to its formula, "
                "e.g. writes: {monthly_instalment: credit_amount / duration_months}",
                code="expression_needs_writes",
                file=spec.source,
                line=spec.line,
                field=f"nodes.{spec.name}.writes",
            )
        problems: list[Problem] = []
        formulas: dict[str, Expression] = {}
        for target, text in formulas_spec.items():
            written = None
            if isinstance(formulas_spec, LineDict):
                line, column = formulas_spec.position_of_value(target)
                if isinstance(text, str):  # over several lines: as written, so that later lines map to the file
                    written, line, column = formulas_spec.source_of_value(target)
            else:
                line, column = spec.line, None
            if not isinstance(text, (str, int, float)):
                problems.append(Problem("expression_type", f"the formula of '{target}' must be text or a number",
                                        file=spec.source, line=line, field=f"nodes.{spec.name}.writes.{target}"))
                continue
            if isinstance(text, bool):
                text = "true" if text else "false"
            try:
                formulas[str(target)] = parse(str(text), source=spec.source, line=line or 1, column=column or 1,
                                              written=written)
            except CompositeError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ProjectError(problems=problems)
        return cls(spec.name, formulas, description=spec.options.get("description"), source=spec.source, line=spec.line)

    def where_read(self, name: str) -> NameUse | None:
        """Where the first formula using `name` uses it: load errors point there, not at the node."""
        for target, expression in self.formulas.items():
            use = first_use(expression, name, field=f"nodes.{self.name}.writes.{target}")
            if use is not None:
                return use
        return None

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        try:
            if self._single is not None:
                target, fn = self._single
                return NodeResult({target: fn(values)}, {})
            local = dict(values)
            outputs = {}
            for target, fn in self._steps:
                local[target] = outputs[target] = fn(local)
            return NodeResult(outputs, {})
        except EvaluationError as exc:
            raise self._located(exc) from None

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        # No evidence either way: the values read and written are all an expression has.
        local = dict(columns)
        outputs: dict[str, np.ndarray] = {}
        try:
            for target, expression in self.formulas.items():
                local[target] = outputs[target] = expression.evaluate_columns(local, size)
        except EvaluationError as exc:
            raise self._located(exc) from None
        return BatchResult(outputs, None)

    def _located(self, exc: EvaluationError) -> EvaluationError:
        error = EvaluationError(
            f"node '{self.name}': {exc.message}",
            code=exc.code,
            file=exc.file or self.source,
            line=exc.line or self.line,
            column=exc.column,
            field=exc.field,
        )
        error.rows = getattr(exc, "rows", ())  # type: ignore[attr-defined]  # the failing rows of a batch
        error.missing = getattr(exc, "missing", None)  # type: ignore[attr-defined]  # the name that was null
        return error

    def describe(self) -> dict[str, Any]:
        return describe_node(self, f"{len(self.formulas)} formula{'s' if len(self.formulas) != 1 else ''}",
                             formulas={target: expression.text for target, expression in self.formulas.items()})

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        return []
