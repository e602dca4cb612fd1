"""Trained models on disk, in safe formats only, and their model cards.

`<name>.artifact.json` holds the encoding, a linear model or the name and hash of the LightGBM
model text (`<name>.lgb.txt`, LightGBM's own format), the calibrator and the training domain.
Nothing is pickled; loading parses JSON and LightGBM text. `<name>.card.json` / `.card.md`
describe the model for people. The artifact's sha256 is the model's content hash.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from composite._files import read_project_file
from composite.errors import ProjectError
from composite.ml.domain import TrainingDomain
from composite.ml.features import FeatureEncoder
from composite.ml.predict import BoosterCore, Calibrator, LinearCore, TrainedModel
from composite.ml.spec import ModelSpec

# Here rather than in ml.train, which loading a model node must not import (start-up of explain).
_UNTRAINED_OK: contextvars.ContextVar[bool] = contextvars.ContextVar("composite_untrained_models_ok", default=False)


@contextmanager
def allow_untrained_models() -> Iterator[None]:
    """Within this block a project loads even when a model is not trained yet (or is stale): its node
    then stands in with the right reads and writes and refuses to evaluate. Training needs this, since
    the project it computes upstream features with contains the model it is about to train."""
    token = _UNTRAINED_OK.set(True)
    try:
        yield
    finally:
        _UNTRAINED_OK.reset(token)


def untrained_models_allowed() -> bool:
    return _UNTRAINED_OK.get()


__all__ = ["FORMAT", "SavedModel", "artifact_bytes", "card_markdown", "content_hash", "load_model", "load_saved_model",
           "save_model"]

FORMAT = "composite-model/1"


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _clean(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and infinities to null, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(_clean(document), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


@dataclass
class SavedModel:
    """Where a model was written (paths relative to the project root) and its content hash."""

    artifact: str
    booster: str | None
    card: str
    card_json: str
    hash: str


def artifact_bytes(model: TrainedModel, spec: ModelSpec) -> tuple[bytes, str | None]:
    """(artifact JSON, LightGBM model text or None): exactly what `save_model` writes."""
    booster_text = None
    if isinstance(model.core, BoosterCore):
        booster_text = model.core.text
        learner: dict[str, Any] = {"booster_file": PurePosixPath(spec.booster_file).name,
                                   "booster_sha256": content_hash(booster_text.encode("utf-8"))}
    else:
        learner = {"columns": list(model.encoder.columns), **model.core.to_json()}
    document = {
        "format": FORMAT,
        "name": model.name,
        "algorithm": model.algorithm,
        "target": model.target,
        "spec": spec.training_fingerprint(),
        "features": model.encoder.to_json(),
        "model": learner,
        "calibration": model.calibrator.to_json(),
        "domain": model.domain.to_json(),
        "summary": {key: model.card.get(key) for key in ("data", "validation", "baseline")},
    }
    return _dumps(document), booster_text


def save_model(model: TrainedModel, spec: ModelSpec, root: Path) -> SavedModel:
    """Write the artifact, the LightGBM model text (if any) and the model card next to the model file."""
    root = Path(root)
    data, booster_text = artifact_bytes(model, spec)
    digest = content_hash(data)
    (root / spec.artifact_file).parent.mkdir(parents=True, exist_ok=True)
    if booster_text is not None:
        (root / spec.booster_file).write_bytes(booster_text.encode("utf-8"))
    (root / spec.artifact_file).write_bytes(data)
    card = {**model.card, "artifact": {"file": spec.artifact_file, "sha256": digest,
                                       "booster_file": spec.booster_file if booster_text is not None else None}}
    (root / spec.card_json_file).write_bytes(_dumps(card))
    (root / spec.card_file).write_text(card_markdown(card), encoding="utf-8")
    return SavedModel(spec.artifact_file, spec.booster_file if booster_text is not None else None, spec.card_file,
                      spec.card_json_file, digest)


def read_artifact_document(data: bytes, *, file: str, what: str, format: str, code: str) -> Mapping[str, Any]:
    """A trained artifact's JSON, checked to be of `format`; else a located error saying to train again."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProjectError(f"the {what.removeprefix('composite ')} artifact is not valid JSON ({exc}); run "
                           "`composite train` again", code=code, file=file) from None
    if not isinstance(document, Mapping) or document.get("format") != format:
        found = document.get("format") if isinstance(document, Mapping) else None
        raise ProjectError(f"'{file}' is not a {what} artifact of format {format} (found {found!r}); "
                           "run `composite train` again", code=code, file=file)
    return document


def load_model(data: bytes, *, file: str, root: Path | None = None,
               read_booster: Callable[[str], bytes] | None = None) -> TrainedModel:
    """A model from its artifact bytes (`file` is its path relative to `root`); `read_booster(path)`
    supplies the LightGBM text (default: read from `root`). Damaged or mismatched files are located
    errors that say to train again."""
    document = read_artifact_document(data, file=file, what="composite model", format=FORMAT,
                                      code="model_artifact")
    try:
        encoder = FeatureEncoder.from_json(document["features"])
        learner = document["model"]
        if document["algorithm"] == "lightgbm":
            booster_file = str(PurePosixPath(file).parent / learner["booster_file"])
            try:
                if read_booster is not None:
                    text = read_booster(booster_file)
                else:
                    text = read_project_file(Path(root or "."), booster_file, referenced_from=(file, None))[1]
            except ProjectError as exc:
                if read_booster is not None or exc.code != "missing_file":
                    raise
                raise ProjectError(f"the LightGBM model text '{booster_file}' is missing; run `composite train`",
                                   code="model_not_trained", file=file) from None
            except FileNotFoundError:
                raise ProjectError(f"the LightGBM model text '{booster_file}' is missing; run `composite train`",
                                   code="model_not_trained", file=file) from None
            if content_hash(text) != learner["booster_sha256"]:
                raise ProjectError(f"'{booster_file}' does not match its artifact (hash differs); it was changed "
                                   "after training: run `composite train` again", code="model_artifact", file=file)
            core: BoosterCore | LinearCore = BoosterCore(text.decode("utf-8"))
        elif document["algorithm"] == "logistic_regression":
            core = LinearCore.from_json(learner)
            if len(core.coef) != len(encoder.columns):
                raise ValueError("coefficients do not match the encoded columns")
        else:
            raise ValueError(f"unknown algorithm {document['algorithm']!r}")
        calibrator = Calibrator.from_json(document["calibration"])
        domain = TrainingDomain(document["domain"])
    except ProjectError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ProjectError(f"the model artifact is incomplete or damaged ({type(exc).__name__}: {exc}); "
                           "run `composite train` again", code="model_artifact", file=file) from None
    summary = document.get("summary") or {}
    card = {"name": document["name"], "algorithm": document["algorithm"], "target": document["target"],
            "spec": document.get("spec"), **summary}
    return TrainedModel(document["name"], document["algorithm"], document["target"], encoder, core, calibrator,
                        domain, card)


def read_fingerprint(data: bytes) -> dict[str, Any] | None:
    try:
        return json.loads(data).get("spec")
    except (ValueError, AttributeError):
        return None


# ------------------------------------------------------------------------------------ the card


def _f(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _metric_row(name: str, entry: Mapping[str, Any] | None, baseline: Any) -> str:
    if not entry:
        return f"| {name} | n/a | n/a | {_f(baseline)} |"
    return (f"| {name} | {_f(entry.get('mean'))} | [{_f(entry.get('low'))}, {_f(entry.get('high'))}] "
            f"| {_f(baseline)} |")


def metrics_table(card: Mapping[str, Any]) -> list[str]:
    """The metrics as a Markdown table: mean, 95% interval, and the prevalence-only baseline."""
    validation = card.get("validation") or {}
    metrics = validation.get("metrics") or {}
    baseline = card.get("baseline") or {}
    lines = ["| metric | mean | 95% interval | baseline (prevalence only) |", "|---|---|---|---|"]
    for key, label in (("auc", "AUC"), ("brier", "Brier score"), ("log_loss", "log loss")):
        lines.append(_metric_row(label, metrics.get(key), baseline.get(key)))
    return lines


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card for people: data, features and directions, settings, metrics, calibration, domain."""
    out: list[str] = []
    add = out.append
    data = card.get("data") or {}
    artifact = card.get("artifact") or {}
    add(f"# Model card: {card.get('name')}")
    add("")
    if card.get("description"):
        add(str(card["description"]))
        add("")
    add(f"- algorithm: {card.get('algorithm')}")
    add(f"- predicts: probability that `{card.get('target')}` = 1, written as `{card.get('output')}`")
    add(f"- model file: `{card.get('spec_file')}`")
    if artifact:
        add(f"- artifact: `{artifact.get('file')}`, content hash `{artifact.get('sha256')}`")
        if artifact.get("booster_file"):
            add(f"- LightGBM model text: `{artifact.get('booster_file')}`")
    add("")
    add("## Training data")
    add("")
    add(f"- file: `{data.get('file')}` ({data.get('sha256')})")
    add(f"- rows: {data.get('rows')}, of which {data.get('positives')} with `{card.get('target')}` = 1 "
        f"({_f(data.get('prevalence'))} prevalence)")
    if data.get("upstream_nodes"):
        add(f"- features computed by running the project's nodes: {', '.join(data['upstream_nodes'])}")
    add("")
    add("## Features")
    add("")
    add("| feature | encoding | direction (from knowledge/) |")
    add("|---|---|---|")
    for feature in card.get("features") or []:
        sign = {1: "increasing", -1: "decreasing"}.get(feature.get("monotone"), "free")
        where = f" ({feature['source']})" if feature.get("source") else ""
        note = f" — {feature['note']}" if feature.get("note") else ""
        encoding = feature.get("kind")
        if feature.get("values") is not None:
            encoding += ": " + ", ".join(str(v) for v in feature["values"])
        add(f"| {feature.get('name')} | {encoding} | {sign}{where}{note} |")
    add("")
    add("## Settings")
    add("")
    for key, entry in (card.get("hyperparameters") or {}).items():
        why = f": {entry['why']}" if entry.get("why") else ""
        add(f"- `{key}` = {entry.get('value')}{why}")
    add("")
    add("## Validation")
    add("")
    validation = card.get("validation")
    if validation:
        add(f"{validation.get('method')}; metrics of the calibrated out-of-fold probabilities "
            f"(calibration cross-fitted: `{validation.get('calibration_in_folds')}`), 95% intervals by the "
            "corrected resampled t (Nadeau & Bengio 2003).")
        add("")
        out.extend(metrics_table(card))
        raw = validation.get("uncalibrated_metrics") or {}
        if validation.get("calibration_in_folds") != "none" and raw:
            add("")
            add("Uncalibrated: " + ", ".join(f"{label} {_f((raw.get(key) or {}).get('mean'))}" for key, label in
                                             (("auc", "AUC"), ("brier", "Brier"), ("log_loss", "log loss"))))
    else:
        add("Not validated: trained without cross-validation, so no metrics.")
    add("")
    add("## Calibration")
    add("")
    calibration = card.get("calibration") or {}
    add(f"- method: {calibration.get('method')}")
    if calibration.get("reason"):
        add(f"- why: {calibration['reason']}")
    if calibration.get("method") == "sigmoid":
        add(f"- probability = 1 / (1 + exp(-({_f(calibration.get('a'), 4)} * score + {_f(calibration.get('b'), 4)})))")
    add("")
    add("## Training domain")
    add("")
    domain = card.get("domain") or {}

    def describe(feature: Mapping[str, Any]) -> None:
        missing = f", {feature['missing']} missing" if feature.get("missing") else ""
        if "min" in feature:
            add(f"- {feature['name']}: {feature['min']} to {feature['max']} (mean {_f(feature.get('mean'), 2)}, "
                f"sd {_f(feature.get('sd'), 2)}){missing}")
        elif "seen" in feature:
            add(f"- {feature['name']}: " + ", ".join(f"{k} ({v})" for k, v in feature["seen"].items()) + missing)

    for feature in domain.get("features") or []:
        describe(feature)
    distance = domain.get("distance") or {}
    if distance.get("quantiles"):
        q = distance["quantiles"]
        add(f"- distance: {distance.get('method')}; training quantiles 50% {_f(q.get('0.5'), 2)}, "
            f"90% {_f(q.get('0.9'), 2)}, 95% {_f(q.get('0.95'), 2)}, 99% {_f(q.get('0.99'), 2)}, "
            f"max {_f(q.get('max'), 2)}. An input beyond the 99th percentile is reported as outside the domain.")
    if domain.get("inputs"):
        add("")
        add("Request inputs the decision chain reads but the model does not; an input outside these ranges or "
            "categories is outside the domain too, so that the expert path decides when the population moves:")
        add("")
        for feature in domain["inputs"]:
            describe(feature)
    add("")
    versions = card.get("versions") or {}
    if versions:
        add("Trained with " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
        add("")
    return "\n".join(out)


def load_saved_model(root: Path, spec: ModelSpec) -> TrainedModel:
    """The trained model of `spec` as saved under the project `root` (outside a project load)."""
    try:
        _, data = read_project_file(Path(root), spec.artifact_file, referenced_from=(spec.file, None))
    except ProjectError as exc:
        if exc.code != "missing_file":
            raise
        raise ProjectError(f"model '{spec.name}' is not trained: {spec.artifact_file} does not exist; "
                           f"run `composite train {spec.name}`", code="model_not_trained", file=spec.file) from None
    return load_model(data, file=spec.artifact_file, root=Path(root))
