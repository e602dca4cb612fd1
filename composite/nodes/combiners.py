"""Combiner nodes, the joints of a composite decision: guard, fallback, review (and blend).

Each takes the outputs of expert and learned nodes and writes one result, with its reasons and
weights in the evidence.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from composite._yaml import pydantic_problems
from composite.errors import ProjectError
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _options(model: type[BaseModel], spec: NodeSpec) -> Any:
    """The node's options from composite.yaml, validated; errors name the file and line."""
    raw = {k: v for k, v in spec.options.items() if k != "description"}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [replace(p, line=p.line or spec.line)
                    for p in pydantic_problems(exc, raw, file=spec.source, prefix=("nodes", spec.name))]
        raise ProjectError(f"node '{spec.name}' ({spec.kind}) is misconfigured", problems=problems) from None


class _Combiner:
    kind: ClassVar[str]
    evidence_model: ClassVar[type[BaseModel]]

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    description: str | None

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int) -> BatchResult:
        # Combiners are a handful of comparisons per row: the row path is the reference, and a
        # batch is that path applied per row, so the two cannot disagree.
        names = self.reads
        lists = {name: np.asarray(columns[name]).tolist() for name in names}
        results = [self.evaluate({name: lists[name][i] for name in names}) for i in range(size)]
        outputs = {name: _column([r.outputs[name] for r in results]) for name in self.writes}
        return BatchResult(outputs, [r.evidence for r in results])

    def _describe(self, summary: str) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "reads": list(self.reads), "writes": list(self.writes),
                "description": self.description, "summary": summary}


def _column(values: list[Any]) -> np.ndarray:
    kinds = {type(v) for v in values}
    if kinds <= {bool} and values:
        return np.array(values, dtype=bool)
    if kinds <= {int} and values:
        return np.array(values, dtype=np.int64)
    if kinds <= {int, float} and values:
        return np.array(values, dtype=np.float64)
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


# -- guard ------------------------------------------------------------------------------------


class GuardOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    override: str = Field(pattern=_NAME, description="the expert outcome that may override")
    override_reason: str | None = Field(default=None, pattern=_NAME)
    passes: list[Any] = Field(default_factory=lambda: ["none", None],
                              description="override values that let the decision through")
    otherwise: str = Field(pattern=_NAME, description="the outcome when the expert does not override")
    otherwise_reason: str | None = Field(default=None, pattern=_NAME)
    output: str = Field(pattern=_NAME)
    output_reason: str | None = Field(default=None, pattern=_NAME)


class GuardEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overridden: bool
    expert_outcome: Any
    expert_reason: Any = None
    outcome: Any
    reason: Any = None


class GuardNode(_Combiner):
    """An expert outcome (a knock-out) overrides everything downstream of it, with its reason."""

    kind: ClassVar[str] = "guard"
    evidence_model: ClassVar[type[BaseModel]] = GuardEvidence

    def __init__(self, name: str, options: GuardOptions, description: str | None = None) -> None:
        self.name, self.options, self.description = name, options, description
        o = options
        self.reads = tuple(n for n in (o.override, o.override_reason, o.otherwise, o.otherwise_reason) if n)
        self.writes = tuple(n for n in (o.output, o.output_reason) if n)
        if o.output_reason and not (o.override_reason or o.otherwise_reason):
            raise ProjectError(f"guard '{name}' writes '{o.output_reason}' but reads no reason to write into it",
                               code="guard_reason")

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "GuardNode":
        return cls(spec.name, _options(GuardOptions, spec), spec.options.get("description"))

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        o = self.options
        expert = values[o.override]
        overridden = expert not in o.passes
        outcome = expert if overridden else values[o.otherwise]
        reason = (values.get(o.override_reason) if overridden else values.get(o.otherwise_reason)) \
            if (o.override_reason or o.otherwise_reason) else None
        outputs = {o.output: outcome}
        if o.output_reason:
            outputs[o.output_reason] = reason
        evidence = {"overridden": overridden, "expert_outcome": expert,
                    "expert_reason": values.get(o.override_reason) if o.override_reason else None,
                    "outcome": outcome, "reason": reason}
        return NodeResult(outputs, evidence)

    def describe(self) -> dict[str, Any]:
        o = self.options
        return self._describe(f"{o.override} overrides {o.otherwise} unless it is one of {o.passes}")

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        if evidence.get("overridden"):
            why = f": {evidence['expert_reason']}" if evidence.get("expert_reason") else ""
            return [f"expert override: {evidence.get('outcome')}{why}"]
        return [f"no expert override ({evidence.get('expert_outcome')}); the outcome stands: {evidence.get('outcome')}"]


# -- fallback ---------------------------------------------------------------------------------


class FallbackOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    in_domain: str = Field(pattern=_NAME, description="a boolean: is the model's input inside its training domain")
    primary: str = Field(pattern=_NAME, description="used when in_domain is true (the learned path)")
    fallback: str = Field(pattern=_NAME, description="used otherwise (the expert path)")
    output: str = Field(pattern=_NAME)
    output_source: str | None = Field(default=None, pattern=_NAME, description="optionally write which path was used")


class FallbackEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    used: str
    in_domain: bool
    primary: Any
    fallback: Any


class FallbackNode(_Combiner):
    """The expert path decides when the model's input lies outside its training domain."""

    kind: ClassVar[str] = "fallback"
    evidence_model: ClassVar[type[BaseModel]] = FallbackEvidence

    def __init__(self, name: str, options: FallbackOptions, description: str | None = None) -> None:
        self.name, self.options, self.description = name, options, description
        self.reads = (options.in_domain, options.primary, options.fallback)
        self.writes = tuple(n for n in (options.output, options.output_source) if n)

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "FallbackNode":
        return cls(spec.name, _options(FallbackOptions, spec), spec.options.get("description"))

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        o = self.options
        inside = bool(values[o.in_domain])
        used = o.primary if inside else o.fallback
        outputs = {o.output: values[used]}
        if o.output_source:
            outputs[o.output_source] = used
        return NodeResult(outputs, {"used": used, "in_domain": inside, "primary": values[o.primary],
                                    "fallback": values[o.fallback]})

    def describe(self) -> dict[str, Any]:
        o = self.options
        return self._describe(f"{o.primary} inside the training domain ({o.in_domain}), else {o.fallback}")

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        if evidence.get("in_domain"):
            return [f"input inside the model's training domain: used {evidence.get('used')}"]
        return [f"input outside the model's training domain: fell back to {evidence.get('used')}"]


# -- review -----------------------------------------------------------------------------------


class ReviewOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    compare: tuple[str, str] = Field(description="two scores on one scale, e.g. expert and model probabilities")
    threshold: float = Field(gt=0, description="the largest difference that is not a disagreement")
    outcome: str = Field(pattern=_NAME, description="the outcome that stands when they agree")
    outcome_reason: str | None = Field(default=None, pattern=_NAME)
    refer: Any = "refer"
    output: str = Field(pattern=_NAME)
    output_reason: str | None = Field(default=None, pattern=_NAME)
    keep: list[Any] = Field(default_factory=lambda: ["decline"],
                            description="outcomes a disagreement does not turn into a referral (knock-outs)")


class ReviewEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, Any]
    difference: float | None
    threshold: float
    disagree: bool
    outcome: Any
    reason: Any = None


class ReviewNode(_Combiner):
    """When expert and model disagree beyond a threshold, a person decides: the outcome is 'refer'."""

    kind: ClassVar[str] = "review"
    evidence_model: ClassVar[type[BaseModel]] = ReviewEvidence

    def __init__(self, name: str, options: ReviewOptions, description: str | None = None) -> None:
        self.name, self.options, self.description = name, options, description
        o = options
        self.reads = tuple(dict.fromkeys(n for n in (*o.compare, o.outcome, o.outcome_reason) if n))
        self.writes = tuple(n for n in (o.output, o.output_reason) if n)

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "ReviewNode":
        return cls(spec.name, _options(ReviewOptions, spec), spec.options.get("description"))

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        o = self.options
        a, b = (values[n] for n in o.compare)
        difference = None
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (math.isnan(a) or math.isnan(b)):
            difference = abs(float(a) - float(b))
        disagree = difference is not None and difference > o.threshold and values[o.outcome] not in o.keep
        outcome = o.refer if disagree else values[o.outcome]
        if disagree:
            reason = (f"the sources disagree: {o.compare[0]} = {a:.3g}, {o.compare[1]} = {b:.3g} "
                      f"(difference {difference:.3g} > {o.threshold:g}); a credit officer decides")
        else:
            reason = values.get(o.outcome_reason) if o.outcome_reason else None
        outputs = {o.output: outcome}
        if o.output_reason:
            outputs[o.output_reason] = reason
        return NodeResult(outputs, {"scores": {o.compare[0]: a, o.compare[1]: b}, "difference": difference,
                                    "threshold": o.threshold, "disagree": disagree, "outcome": outcome,
                                    "reason": reason})

    def describe(self) -> dict[str, Any]:
        o = self.options
        return self._describe(f"refer when |{o.compare[0]} - {o.compare[1]}| > {o.threshold:g}")

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        scores = ", ".join(f"{k} = {v:.3g}" if isinstance(v, (int, float)) else f"{k} = {v}"
                           for k, v in (evidence.get("scores") or {}).items())
        if evidence.get("disagree"):
            return [f"sources disagree ({scores}; difference {evidence.get('difference'):.3g} > "
                    f"{evidence.get('threshold'):g}): referred to a person"]
        diff = evidence.get("difference")
        shown = f"{diff:.3g}" if isinstance(diff, (int, float)) else "n/a"
        return [f"sources agree within {evidence.get('threshold'):g} ({scores}; difference {shown})"]
