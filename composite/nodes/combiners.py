"""Combiner nodes, the joints of a composite decision: guard, blend, fallback, review.

Each takes the outputs of expert and learned nodes and writes one result, with its reasons and
weights in the evidence.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from composite._files import project_file_exists
from composite._yaml import pydantic_problems
from composite.errors import EvaluationError, ProjectError
from composite.nodes.base import (BatchResult, LoadContext, NodeResult, NodeSpec, content_hash, describe_node,
                                  require_file, typed_column)

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


def _objects(column: Any, size: int) -> np.ndarray:
    """A column as an object array of plain Python values (what the row path reads)."""
    array = np.asarray(column).reshape(size)
    return array if array.dtype == object else array.astype(object)


def _typed(column: np.ndarray) -> np.ndarray:
    """`typed_column` of an object array's values, without a Python loop per value where the
    types allow: bool, int64 or float64 when that loses nothing, else the object array itself."""
    values = column.tolist()
    kinds = set(map(type, values))
    if values and kinds == {bool}:
        return column.astype(bool)
    if values and kinds == {float}:
        return column.astype(np.float64)
    if values and kinds <= {int, float, bool} or not values:
        return typed_column(values)
    out = np.empty(len(values), dtype=object)
    out[:] = column
    return out


def _member(column: np.ndarray, listed: list[Any]) -> np.ndarray:
    """Per value of an object column: `value in listed`, by the same comparisons (identity, then ==)."""
    found = np.zeros(len(column), dtype=bool)
    for item in listed:
        if not isinstance(item, (str, int, float, type(None))):  # a list or a mapping: no broadcasting
            found |= np.fromiter((value is item or value == item for value in column.tolist()), dtype=bool,
                                 count=len(column))
            continue
        equal = np.equal(column, item)
        if equal.dtype != bool:
            equal = np.fromiter((bool(e) for e in equal.tolist()), dtype=bool, count=len(column))
        found |= equal
        if item is not item or (isinstance(item, float) and item != item):  # NaN: only itself is in
            found |= np.fromiter((value is item for value in column.tolist()), dtype=bool, count=len(column))
    return found


class _Combiner:
    kind: ClassVar[str]
    evidence_model: ClassVar[type[BaseModel]]

    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    description: str | None

    def evaluate_batch_reference(self, columns: Mapping[str, np.ndarray], size: int, *,
                                 evidence: bool = True) -> BatchResult:
        """The row path applied per row: the reference the column-wise `evaluate_batch` is held to."""
        names = self.reads
        lists = {name: np.asarray(columns[name]).tolist() for name in names}
        results = [self.evaluate({name: lists[name][i] for name in names}) for i in range(size)]
        outputs = {name: typed_column([r.outputs[name] for r in results]) for name in self.writes}
        return BatchResult(outputs, [r.evidence for r in results] if evidence else None)


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

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """`evaluate` on columns: the override mask by one comparison per passing value, outputs by
        `np.where`, the evidence dicts assembled from the columns (none with `evidence=False`)."""
        if not size:
            return self.evaluate_batch_reference(columns, size, evidence=evidence)
        o = self.options
        expert = _objects(columns[o.override], size)
        overridden = ~_member(expert, list(o.passes))
        outcome = np.where(overridden, expert, _objects(columns[o.otherwise], size))
        none = np.full(size, None, dtype=object)
        expert_reason = _objects(columns[o.override_reason], size) if o.override_reason else none
        if o.override_reason or o.otherwise_reason:
            otherwise_reason = _objects(columns[o.otherwise_reason], size) if o.otherwise_reason else none
            reason = np.where(overridden, expert_reason, otherwise_reason)
        else:
            reason = none
        outputs = {o.output: _typed(outcome)}
        if o.output_reason:
            outputs[o.output_reason] = _typed(reason)
        if not evidence:
            return BatchResult(outputs, None)
        rows = [{"overridden": flag, "expert_outcome": e, "expert_reason": r, "outcome": out, "reason": why}
                for flag, e, r, out, why in zip(overridden.tolist(), expert.tolist(), expert_reason.tolist(),
                                                outcome.tolist(), reason.tolist())]
        return BatchResult(outputs, rows)

    def describe(self) -> dict[str, Any]:
        o = self.options
        return describe_node(self, f"{o.override} overrides {o.otherwise} unless it is one of {o.passes}")

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

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """`evaluate` on columns: the path by the in-domain mask, outputs by `np.where`."""
        if not size:
            return self.evaluate_batch_reference(columns, size, evidence=evidence)
        o = self.options
        flags = np.asarray(columns[o.in_domain]).reshape(size)
        inside = flags if flags.dtype == bool else flags.astype(object).astype(bool)  # bool() of each value
        primary = np.asarray(columns[o.primary]).reshape(size)
        fallback = np.asarray(columns[o.fallback]).reshape(size)
        if primary.dtype == fallback.dtype and primary.dtype in (np.float64, np.int64, np.bool_):
            output = np.where(inside, primary, fallback)  # what typed_column gives for these values
        else:
            output = _typed(np.where(inside, _objects(primary, size), _objects(fallback, size)))
        used = np.where(inside, o.primary, o.fallback).astype(object)
        outputs = {o.output: output}
        if o.output_source:
            outputs[o.output_source] = used
        if not evidence:
            return BatchResult(outputs, None)
        rows = [{"used": path, "in_domain": flag, "primary": p, "fallback": f}
                for path, flag, p, f in zip(used.tolist(), inside.tolist(), primary.tolist(), fallback.tolist())]
        return BatchResult(outputs, rows)

    def describe(self) -> dict[str, Any]:
        o = self.options
        return describe_node(self, f"{o.primary} inside the training domain ({o.in_domain}), else {o.fallback}")

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

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """`evaluate` on columns: the differences by array arithmetic where both scores are numeric
        columns, the disagreement mask, and a reason text only for the rows that disagree (and no
        evidence dict with `evidence=False`)."""
        if not size:
            return self.evaluate_batch_reference(columns, size, evidence=evidence)
        o = self.options
        first, second = (np.asarray(columns[n]).reshape(size) for n in o.compare)
        a_values: list[Any] | None = None
        b_values: list[Any] | None = None
        if first.dtype.kind in "fiub" and second.dtype.kind in "fiub":
            with np.errstate(invalid="ignore"):
                gap = np.abs(first.astype(np.float64) - second.astype(np.float64))
            valid = ~(np.isnan(first.astype(np.float64)) | np.isnan(second.astype(np.float64)))
        else:
            a_values, b_values = first.tolist(), second.tolist()
            gap = np.full(size, math.nan)
            valid = np.zeros(size, dtype=bool)
            for i, (a, b) in enumerate(zip(a_values, b_values)):
                if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (math.isnan(a) or math.isnan(b)):
                    gap[i] = abs(float(a) - float(b))
                    valid[i] = True
        stands = _objects(columns[o.outcome], size)
        with np.errstate(invalid="ignore"):
            disagree = valid & (gap > o.threshold)
        if disagree.any() and o.keep:
            disagree &= ~_member(stands, list(o.keep))
        outcome = stands.copy()
        rows = np.flatnonzero(disagree)
        for i in rows.tolist():
            outcome[i] = o.refer
        reason = (_objects(columns[o.outcome_reason], size).copy() if o.outcome_reason
                  else np.full(size, None, dtype=object))
        # a disagreeing row is valid: its difference is its gap
        for i, a, b, difference in zip(rows.tolist(), first[rows].tolist(), second[rows].tolist(),
                                       gap[rows].tolist()):
            reason[i] = (f"the sources disagree: {o.compare[0]} = {a:.3g}, {o.compare[1]} = {b:.3g} "
                         f"(difference {difference:.3g} > {o.threshold:g}); a credit officer decides")
        outputs = {o.output: _typed(outcome)}
        if o.output_reason:
            outputs[o.output_reason] = _typed(reason)
        if not evidence:
            return BatchResult(outputs, None)
        if a_values is None or b_values is None:
            a_values, b_values = first.tolist(), second.tolist()
        left, right = o.compare
        threshold = o.threshold
        differences = [d if ok else None for d, ok in zip(gap.tolist(), valid.tolist())]
        found = [{"scores": {left: a, right: b}, "difference": d, "threshold": threshold, "disagree": flag,
                  "outcome": out, "reason": why}
                 for a, b, d, flag, out, why in zip(a_values, b_values, differences, disagree.tolist(),
                                                    outcome.tolist(), reason.tolist())]
        return BatchResult(outputs, found)

    def describe(self) -> dict[str, Any]:
        o = self.options
        return describe_node(self, f"refer when |{o.compare[0]} - {o.compare[1]}| > {o.threshold:g}")

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
        if isinstance(diff, (int, float)) and diff > evidence.get("threshold", float("inf")):
            # apart beyond the threshold, but the outcome is one `keep` lists (a knock-out): not referred
            return [f"sources differ ({scores}; difference {shown} > {evidence.get('threshold'):g}), but the "
                    f"outcome {evidence.get('outcome')} is kept: not referred"]
        return [f"sources agree within {evidence.get('threshold'):g} ({scores}; difference {shown})"]


# -- blend ------------------------------------------------------------------------------------


class BlendEvidence(BaseModel):
    """What a blend step records: the weight the model earned, both input probabilities and the
    blended one, the training size and the cross-validated log loss of each source."""

    model_config = ConfigDict(extra="forbid")
    blend: str
    artifact: str  # content hash of the trained blend
    target: str
    weight: float  # on the model's log-odds; 1 - weight on the expert's
    model_probability: float | None
    expert_score: float | None
    expert_probability: float | None
    probability: float | None
    training_rows: int | None
    cv_log_loss: dict[str, float | None]  # expert, model, blend


def _floats(column: Any, size: int) -> np.ndarray:
    """A numeric column as float64, None as NaN (an array cast where the column is numeric)."""
    array = np.asarray(column)
    if array.dtype.kind in "fiub":
        return array.astype(np.float64).reshape(size)
    return np.array([math.nan if v is None else v for v in array.tolist()], dtype=np.float64).reshape(size)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class BlendNode:
    """Expert score and model probability joined with a weight earned on the training data
    (`composite.ml.blend`), calibrated to a probability. `blend` is None while untrained (only
    when a project is loaded for training)."""

    kind: ClassVar[str] = "blend"
    evidence_model: ClassVar[type[BaseModel]] = BlendEvidence

    def __init__(self, name: str, spec: Any, blend: Any, *, artifact_hash: str = "", description: str | None = None,
                 untrained_reason: str | None = None) -> None:
        self.name, self.spec, self.blend = name, spec, blend
        self.artifact_hash = artifact_hash
        self.description = description or spec.description
        self.untrained_reason = untrained_reason
        self.reads: tuple[str, ...] = spec.reads
        self.writes: tuple[str, ...] = spec.writes
        self.file = spec.file

    @property
    def untrained(self) -> bool:
        return self.blend is None

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "BlendNode":
        from composite.ml.blend import load_blend, load_blend_spec
        from composite.ml.artifact import untrained_models_allowed

        where = {"file": spec.source, "line": spec.line}
        require_file(spec, what="blend file", example="models/<name>.blend.yaml")
        _, data = context.read_artifact(spec.file, spec=spec)
        blend_spec = load_blend_spec(data, file=spec.file)
        description = spec.options.get("description")

        def untrained(reason: str, code: str) -> "BlendNode":
            if untrained_models_allowed():
                return cls(spec.name, blend_spec, None, description=description, untrained_reason=reason)
            raise ProjectError(f"blend '{blend_spec.name}' ({spec.file}) {reason}; run `composite train`",
                               code=code, field=f"nodes.{spec.name}.file", **where)

        artifact_file = blend_spec.artifact_file
        if not project_file_exists(context.root, artifact_file, referenced_from=(spec.source, spec.line)):
            return untrained(f"is not trained: {artifact_file} does not exist", "blend_not_trained")
        _, artifact = context.read_artifact(artifact_file, spec=spec)
        blend = load_blend(artifact, file=artifact_file)
        if json.loads(artifact).get("spec") != blend_spec.training_fingerprint():
            return untrained(f"was trained from a different version of {spec.file}", "blend_stale")
        data = blend.summary.get("data") or {}
        model_artifact = data.get("model_artifact")
        if model_artifact:
            if not project_file_exists(context.root, model_artifact, referenced_from=(artifact_file, None)):
                return untrained(f"was trained with the model in {model_artifact}, which does not exist",
                                 "blend_stale")
            _, model_bytes = context.read_artifact(model_artifact, spec=spec, referenced_from=(artifact_file, None))
            if content_hash(model_bytes) != data.get("model_artifact_sha256"):
                return untrained(f"was trained with another version of the model ({model_artifact} changed since)",
                                 "blend_stale")
        concept = context.knowledge.get(blend_spec.expert) if context.knowledge is not None else None
        if concept is not None and concept.sign(blend.target) != blend.expert_sign:
            return untrained(f"was trained when knowledge/ gave '{blend_spec.expert}' another direction",
                             "blend_stale")
        digest = context.artifacts.get(context.relative(context.root / artifact_file), "")
        return cls(spec.name, blend_spec, blend, artifact_hash=digest, description=description)

    def evaluate(self, values: Mapping[str, Any]) -> NodeResult:
        columns = {}
        for name in self.reads:
            column = np.empty(1, dtype=object)
            column[0] = values.get(name)
            columns[name] = column
        batch = self.evaluate_batch(columns, 1)
        assert batch.evidence is not None
        return NodeResult({key: column[0].item() for key, column in batch.outputs.items()}, batch.evidence[0])

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        spec, blend = self.spec, self.blend
        if blend is None:
            raise EvaluationError(f"blend node '{self.name}': the blend {self.untrained_reason}; run `composite train`",
                                  code="blend_not_trained", file=spec.file)
        score = _floats(columns[spec.expert], size)
        model = _floats(columns[spec.model], size)
        probability, expert = blend.predict(score, model)
        outputs = {spec.output: probability}
        if spec.expert_output:
            outputs[spec.expert_output] = expert
        if not evidence:
            return BatchResult(outputs, None)
        rows, losses = blend.rows, blend.cv_log_loss
        head = {"blend": blend.name, "artifact": self.artifact_hash, "target": blend.target, "weight": blend.weight}
        found = [{**head, "model_probability": _finite(m), "expert_score": _finite(s),
                  "expert_probability": _finite(e), "probability": _finite(p), "training_rows": rows,
                  "cv_log_loss": dict(losses)}
                 for m, s, e, p in zip(model.tolist(), score.tolist(), expert.tolist(), probability.tolist())]
        return BatchResult(outputs, found)

    def describe(self) -> dict[str, Any]:
        spec = self.spec
        if self.blend is None:
            summary = f"blend of {spec.expert} and {spec.model}, not trained ({self.untrained_reason})"
        else:
            b = self.blend
            summary = (f"blend of {spec.expert} (expert) and {spec.model} (model): weight {b.weight:.2f} on the "
                       f"model, earned on {b.rows:,} rows by cross-validation, then calibrated")
        return describe_node(self, summary, file=self.file, artifact=spec.artifact_file,
                             artifact_hash=self.artifact_hash or None,
                             weight=self.blend.weight if self.blend else None)

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: Any) -> list[str]:
        """`blend: 0.62 x model (p=0.31) + 0.38 x expert (p=0.18) -> p(default) = 0.26; ...`"""

        def show(value: Any) -> str:
            return f"{value:.2f}" if isinstance(value, (int, float)) else "n/a"

        w = float(evidence.get("weight", 0.0))
        rows = evidence.get("training_rows")
        on = f"{rows:,} training rows" if isinstance(rows, int) else "its training rows"
        if w > 0:
            earned = f"the model earned its weight on {on}"
        else:
            earned = f"the model earned no weight on {on}: the expert decides"
        lines = [f"blend: {w:.2f} x model (p={show(evidence.get('model_probability'))}) + {1 - w:.2f} x expert "
                 f"(p={show(evidence.get('expert_probability'))}) -> p({evidence.get('target')}) = "
                 f"{show(evidence.get('probability'))}; {earned}"]
        score = evidence.get("expert_score")
        losses = evidence.get("cv_log_loss") or {}
        shown = ", ".join(f"{k} {v:.3f}" for k, v in losses.items() if isinstance(v, (int, float)))
        score_text = f"{score:g}" if isinstance(score, (int, float)) else "n/a"
        expert = show(evidence.get("expert_probability"))
        lines.append(f"expert score {score_text} calibrated to p={expert}; the weights apply to log-odds and the "
                     f"blend is calibrated; cross-validated log loss {shown} (lower is better)")
        return lines
