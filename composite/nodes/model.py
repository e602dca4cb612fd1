"""The `model` node: a trained model (models/<name>.model.yaml and its artifact) in a decision graph.

It reads the model's features and writes its probability (and, when the model file names
`domain_output`, whether the input lay inside the training domain). Its evidence holds the
contributions that add up to the score, the top reasons and the domain check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np
from pydantic import BaseModel

from composite._files import project_file_exists, resolve_project_path
from composite.errors import EvaluationError, ProjectError
from composite.ml.artifact import load_model, read_fingerprint
from composite.ml.features import FeatureEncoder
from composite.ml.predict import ModelEvidence, TrainedModel, evidence_rows, feature_label, render_evidence
from composite.ml.spec import ModelSpec, check_features, load_model_spec
from composite.ml.artifact import untrained_models_allowed
from composite.nodes.base import BatchResult, LoadContext, NodeResult, NodeSpec, describe_node, require_file

if TYPE_CHECKING:
    from composite.knowledge import Knowledge

__all__ = ["ModelEvidence", "ModelNode"]

_OPTIONS = ("description",)


class ModelNode:
    """A `model` node. `model` is None while the model is not trained (only when a project is
    loaded for training, see `composite.ml.train.allow_untrained_models`)."""

    kind: ClassVar[str] = "model"
    evidence_model: ClassVar[type[BaseModel]] = ModelEvidence

    def __init__(self, name: str, spec: ModelSpec, model: TrainedModel | None, *, artifact_hash: str | None = None,
                 knowledge: "Knowledge | None" = None, description: str | None = None,
                 untrained_reason: str | None = None) -> None:
        self.name = name
        self.spec = spec
        self.model = model
        self.artifact_hash = artifact_hash or ""
        self.knowledge = knowledge
        self.description = description or spec.description
        self.untrained_reason = untrained_reason
        # The domain check also reads the chain's request inputs the model does not use, so the
        # expert fallback fires when the population moves on any of them.
        extra = model.domain.input_names if model is not None else ()
        self.reads: tuple[str, ...] = tuple(dict.fromkeys([*spec.features, *extra]))
        self.writes: tuple[str, ...] = spec.writes
        self.file = spec.file

    @property
    def untrained(self) -> bool:
        return self.model is None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: NodeSpec, context: LoadContext) -> "ModelNode":
        where = {"file": spec.source, "line": spec.line}
        require_file(spec, what="model file", example="models/<name>.model.yaml", allowed=_OPTIONS)
        _, data = context.read_artifact(spec.file, spec=spec)
        model_spec = load_model_spec(data, file=spec.file)
        problems = check_features(model_spec, context.knowledge)
        if problems:
            raise ProjectError(f"{spec.file}: features do not match knowledge/", problems=problems)
        expected = FeatureEncoder.from_knowledge(model_spec, context.knowledge)
        description = spec.options.get("description")

        def untrained(reason: str, code: str) -> "ModelNode":
            if untrained_models_allowed():
                return cls(spec.name, model_spec, None, knowledge=context.knowledge, description=description,
                           untrained_reason=reason)
            raise ProjectError(f"model '{model_spec.name}' ({spec.file}) {reason}; run `composite train "
                               f"{model_spec.name}`", code=code, field=f"nodes.{spec.name}.file", **where)

        # The training data stays inside the project too (it is read by `composite train`).
        resolve_project_path(context.root, model_spec.data, referenced_from=(spec.file, model_spec.line_of("data")),
                             field="data")
        artifact_file = model_spec.artifact_file
        if not project_file_exists(context.root, artifact_file, referenced_from=(spec.source, spec.line)):
            return untrained(f"is not trained: {artifact_file} does not exist", "model_not_trained")
        _, artifact = context.read_artifact(artifact_file, spec=spec)
        fingerprint = read_fingerprint(artifact)
        current = model_spec.training_fingerprint()
        if fingerprint != current:
            changed = sorted(k for k in current
                             if not isinstance(fingerprint, Mapping) or fingerprint.get(k) != current[k])
            return untrained(f"was trained from a different version of {spec.file} (changed: {', '.join(changed)})",
                             "model_stale")
        # a booster file the artifact names is located at the artifact's "booster_file" line
        booster_named_at = (artifact_file, _line_of(artifact, b'"booster_file"'))
        model = load_model(artifact, file=artifact_file, root=context.root,
                           read_booster=lambda relative: context.read_artifact(
                               relative, spec=spec, referenced_from=booster_named_at)[1])
        differences = model.encoder.differences(expected)
        if differences:
            return untrained("was trained with other knowledge/ than the project's now: " + "; ".join(differences),
                             "model_stale")
        artifact_hash = context.artifacts.get(context.relative(context.root / artifact_file), "")
        return cls(spec.name, model_spec, model, artifact_hash=artifact_hash, knowledge=context.knowledge,
                   description=description)

    # -- deciding ------------------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any], *, evidence: bool = True) -> NodeResult:
        """One row. `evidence=False`: the outputs and the witness `{"score": ...}` alone (the score
        the evidence, built later on demand, must repeat: composite.evidence checks it)."""
        columns = {}
        for name in self.reads:
            column = np.empty(1, dtype=object)
            column[0] = values.get(name)
            columns[name] = column
        batch = self.evaluate_batch(columns, 1, evidence=evidence)
        outputs = {key: column[0].item() if isinstance(column[0], np.generic) else column[0]
                   for key, column in batch.outputs.items()}
        if not evidence:
            return NodeResult(outputs, {key: float(column[0]) for key, column in (batch.witness or {}).items()})
        assert batch.evidence is not None
        return NodeResult(outputs, batch.evidence[0])

    def evaluate_batch(self, columns: Mapping[str, np.ndarray], size: int, *,
                       evidence: bool = True) -> BatchResult:
        """Probabilities (and the domain flag) for every row, with one evidence dict per row.

        `evidence=False`: the same outputs and no evidence: no reasons, no contributions (no
        TreeSHAP matrix), and the domain check only as a mask, only when `domain_output` is
        written; the witness is the score. Both paths score with LightGBM's own raw score, so they
        give the same values bit for bit."""
        if self.model is None:
            raise EvaluationError(f"model node '{self.name}': the model {self.untrained_reason}; "
                                  f"run `composite train {self.spec.name}`", code="model_not_trained",
                                  file=self.spec.file)
        inputs = {name: columns[name] for name in self.reads}
        self._refuse_missing_required({name: inputs[name] for name in self.spec.features}, size)
        if not evidence:
            prediction = self.model.predict(inputs, contributions=False, domain=bool(self.spec.domain_output),
                                            issues=False)
        else:
            prediction = self.model.predict(inputs)
        outputs: dict[str, np.ndarray] = {self.spec.output: prediction.probability}
        if self.spec.domain_output:
            assert prediction.domain is not None
            outputs[self.spec.domain_output] = prediction.domain.inside
        if not evidence:
            return BatchResult(outputs, None, witness={"score": prediction.score})
        rows = evidence_rows(self.model, prediction, inputs, artifact=self.artifact_hash,
                             knowledge=self.knowledge, reasons=self.spec.reasons, labels=self._labels())
        return BatchResult(outputs, rows)

    def _labels(self) -> tuple[str, ...]:
        """The reasons' label of every feature, from knowledge/: computed once per node."""
        labels = getattr(self, "_feature_labels", None)
        if labels is None:
            assert self.model is not None
            labels = self._feature_labels = tuple(feature_label(name, self.knowledge) for name in self.model.features)
        return labels

    def _refuse_missing_required(self, inputs: Mapping[str, Any], size: int) -> None:
        """The missing-value rule for models: a model may learn what a missing value means, but
        not for a feature whose concept in knowledge/ says it is required; that is an error."""
        knowledge = self.knowledge
        if knowledge is None or not hasattr(knowledge, "get"):
            return
        for name, column in inputs.items():
            concept = knowledge.get(name)
            if concept is None or not getattr(concept, "required", False):
                continue
            array = np.asarray(column)
            if array.dtype.kind == "f":
                rows = np.flatnonzero(np.isnan(array)).tolist()
            elif array.dtype == object:
                values = array.tolist()
                if None not in values and not any(issubclass(t, float) for t in set(map(type, values))):
                    continue  # no None and no float that could be NaN: nothing is missing
                rows = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and v != v)]
            else:
                continue
            if rows:
                listed = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
                where = f" (row{'s' if len(rows) > 1 else ''} {listed})" if size > 1 else ""
                error = EvaluationError(f"model node '{self.name}': feature '{name}' is null (a missing value), but "
                                        f"knowledge/ says '{name}' is required{where}", code="null_input",
                                        file=self.file, field=name)
                error.rows = tuple(rows)  # type: ignore[attr-defined]
                error.missing = name  # type: ignore[attr-defined]
                raise error

    # -- describing ----------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        monotone = {f.name: ("increasing" if f.monotone > 0 else "decreasing")
                    for f in (self.model.encoder.features if self.model else ()) if f.monotone}
        return describe_node(
            self, self._summary(),
            file=self.file,
            model=self.spec.name,
            algorithm=self.spec.algorithm,
            target=self.spec.target,
            artifact=self.spec.artifact_file,
            artifact_hash=self.artifact_hash or None,
            monotone=monotone,
            calibration=self.model.calibrator.method if self.model else None,
            card=self.spec.card_file,
        )

    def _summary(self) -> str:
        spec = self.spec
        if self.model is None:
            return f"{spec.algorithm} model '{spec.name}', not trained ({self.untrained_reason})"
        card = self.model.card
        data = card.get("data") or {}
        monotone = sum(1 for f in self.model.encoder.features if f.monotone)
        text = (f"{spec.algorithm} model '{spec.name}' for P({spec.target}), {len(spec.features)} features "
                f"({monotone} monotone from knowledge/), trained on {data.get('rows')} rows")
        auc = ((card.get("validation") or {}).get("metrics") or {}).get("auc")
        if auc and auc.get("mean") is not None:
            text += f"; CV AUC {auc['mean']:.3f}"
            if auc.get("low") is not None:
                text += f" [{auc['low']:.3f}, {auc['high']:.3f}]"
        return text

    @staticmethod
    def render(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
               knowledge: "Knowledge | None") -> list[str]:
        """`model 'default_risk' (lightgbm, 3f2a9c1d…): probability of default 0.23`, then what raises
        and lowers it, how the score adds up, and whether the input lay inside the training domain."""
        return render_evidence(evidence, read=read, wrote=wrote, knowledge=knowledge)


def _line_of(text: bytes, needle: bytes) -> int | None:
    """The 1-based line of the first `needle` in `text` (where an artifact names a file), or None."""
    at = text.find(needle)
    return None if at < 0 else text.count(b"\n", 0, at) + 1
