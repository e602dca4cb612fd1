"""The blend: an expert score and a model's probability joined with a weight the data has earned.

A blend file (`models/<name>.blend.yaml`) names the expert score and the model probability; `composite
train` estimates the weight by cross-validation and writes the parameters as JSON
(`models/<name>.blend.json`, never executable) with a card (`models/<name>.blend.md`).

    spec = read_blend_spec(root, "models/risk_blend.blend.yaml")
    blend = train_project_blend(load_training_project(root), spec)    # after the model is trained
    save_blend(blend, spec, root)
    blend.predict(expert_score, model_probability)                     # blended, expert probabilities

How the weight is earned (`fit_blend`), on the model's own training rows:

1. The expert score becomes a probability by Platt's sigmoid (two parameters, so a few dozen rows
   suffice), its slope's sign fixed by knowledge/ (the expert score's influence on the target).
2. The model's probabilities are out-of-fold (each row predicted by a model that did not see it),
   so the model is judged as it will perform on new applicants, not on rows it has memorised.
3. For each weight w in 0, 0.05, ..., 1 the blended log-odds `w * logit(p_model) + (1 - w) *
   logit(p_expert)` are Platt-calibrated on the other folds and scored by log loss on the held-out
   fold (repeated stratified k-fold; the expert calibration is also refitted inside each fold).
4. The weight minimises the mean log loss plus `caution` (default 1: the one-standard-error rule
   of Breiman et al., 1984) times the standard error of its gain over the expert alone (the
   corrected resampled t of Nadeau and Bengio, 2003). With few rows that
   standard error is large, so the model must beat the expert by a clear margin to earn weight;
   with more rows it shrinks and the weight follows the data. Why shrink toward the expert: its
   score was written from lending practice, not fitted to these rows, so it does not overfit them;
   the lowest cross-validated loss over 21 weights is an optimistic pick that, on a few dozen rows,
   favours whatever fits noise, and a wrongly trusted model costs more than a neglected one.
5. The chosen blend is Platt-calibrated on its out-of-fold blended log-odds.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from composite._yaml import LineDict, load_yaml, pydantic_problems
from composite.errors import ProjectError
from composite.ml.artifact import read_artifact_document

if TYPE_CHECKING:
    import pandas as pd

    from composite.knowledge import Knowledge
    from composite.ml.predict import TrainedModel
    from composite.ml.spec import ModelSpec
    from composite.project import Project

__all__ = [
    "BlendSpec",
    "BlendValidation",
    "CrossValidatedWeight",
    "FORMAT",
    "MIN_SLOPE",
    "SavedBlend",
    "TrainedBlend",
    "WEIGHTS",
    "blend_bytes",
    "blend_card",
    "blend_staleness",
    "fit_blend",
    "load_blend",
    "load_blend_spec",
    "model_oof_probability",
    "platt",
    "read_blend_spec",
    "save_blend",
    "train_blend",
    "train_project_blend",
]

FORMAT = "composite-blend/1"
WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))
MIN_SLOPE = 0.01  # log-odds per standard deviation: the flattest slope a known direction keeps
_EPS = 1e-6


# ------------------------------------------------------------------------------------ the blend file


class BlendValidation(BaseModel):
    """Repeated stratified k-fold: for the model's out-of-fold probabilities and for the weight."""

    model_config = ConfigDict(extra="forbid")

    folds: int = Field(5, ge=2, le=20)
    repeats: int = Field(3, ge=1, le=50)


class BlendSpec(BaseModel):
    """A blend file, validated. `file` is its path relative to the project root."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str | None = None
    expert: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="the expert's score (a number)")
    model: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="a probability a model node writes")
    output: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="the blended probability")
    expert_output: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                                      description="optionally also write the expert's calibrated probability")
    validation: BlendValidation = Field(default_factory=BlendValidation)
    caution: float = Field(1.0, ge=0.0, le=5.0, description="standard errors of the gain the model must show")
    seed: int = Field(0, ge=0, lt=2**31)
    file: str = Field(default="", exclude=True)

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        return self._lines.get(key) or self._lines.get("")

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.expert, self.model)

    @property
    def writes(self) -> tuple[str, ...]:
        return (self.output,) + ((self.expert_output,) if self.expert_output else ())

    def training_fingerprint(self) -> dict[str, Any]:
        """What training depends on; an artifact trained from a different fingerprint is stale."""
        return self.model_dump(mode="json", include={"expert", "model", "validation", "caution", "seed"})

    def sibling(self, suffix: str) -> str:
        folder = PurePosixPath(self.file).parent if self.file else PurePosixPath("models")
        return str(folder / f"{self.name}{suffix}")

    @property
    def artifact_file(self) -> str:
        return self.sibling(".blend.json")

    @property
    def card_file(self) -> str:
        return self.sibling(".blend.md")


def load_blend_spec(data: str | bytes, *, file: str) -> BlendSpec:
    """Parse and validate a blend file; a ProjectError lists every problem with its line.

    >>> spec = load_blend_spec('''
    ... expert: expert_score
    ... model: default_probability
    ... output: blended_probability
    ... ''', file="models/risk_blend.blend.yaml")
    >>> spec.name, spec.artifact_file, spec.reads
    ('risk_blend', 'models/risk_blend.blend.json', ('expert_score', 'default_probability'))
    """
    document = load_yaml(data, file=file)
    if not isinstance(document, Mapping):
        raise ProjectError("a blend file is a mapping: expert, model, output, ...", code="blend_schema",
                           file=file, line=1)
    content = dict(document)
    name = PurePosixPath(file).name
    for suffix in (".blend.yaml", ".blend.yml", ".yaml", ".yml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    content.setdefault("name", name)
    try:
        spec = BlendSpec.model_validate({**content, "file": file})
    except ValidationError as exc:
        raise ProjectError(f"{file} is invalid", problems=pydantic_problems(exc, document, file=file)) from None
    lines = {"": getattr(document, "line", None) or 1}
    if isinstance(document, LineDict):
        lines.update({str(k): v for k in document if (v := document.line_of(k)) is not None})
    spec._lines = lines
    names = [spec.expert, spec.model, *spec.writes]
    if len(set(names)) != len(names):
        raise ProjectError(f"{file}: expert, model, output and expert_output must be four different names",
                           code="blend_names", file=file, line=spec.line_of("output"), field="output")
    return spec


def read_blend_spec(root: Path, relative: str) -> BlendSpec:
    """The blend file at `root / relative`; a missing file is a located error."""
    from composite._files import read_project_file

    _, data = read_project_file(Path(root), relative, referenced_from=(relative, None), what="blend file")
    return load_blend_spec(data, file=relative)


# ------------------------------------------------------------------------------------- arithmetic


def _sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def platt(x: np.ndarray, y: np.ndarray, *, sign: int = 0) -> tuple[float, float]:
    """Platt's sigmoid `p = 1 / (1 + exp(-(a * x + b)))` fitted by Newton's method, with Platt's
    smoothed targets (so a perfectly separated sample still has finite parameters). `sign` +1 / -1
    fixes the direction of the slope (0 leaves it free). A sample pointing the other way gets the
    flattest slope in the known direction (`MIN_SLOPE` log-odds per standard deviation of x):
    probabilities close to the prevalence, as the sample says, but still in the order the known
    direction gives, since a small sample that contradicts knowledge is more likely noise than news.

    >>> a, b = platt(np.array([0.0, 1, 2, 3, 4, 5]), np.array([0, 0, 1, 0, 1, 1]), sign=1)
    >>> a > 0
    True
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    center = float(x.mean()) if len(x) else 0.0
    scale = float(x.std()) if len(x) else 1.0
    scale = scale if scale > 1e-12 else 1.0
    u = (x - center) / scale
    alpha, beta = 0.0, float(_logit(np.array([target.mean()]))[0])

    def loss(al: float, be: float) -> float:
        m = al * u + be
        return float(np.mean(np.logaddexp(0.0, m) - target * m))

    current = loss(alpha, beta)
    for _ in range(100):
        p = _sigmoid(alpha * u + beta)
        r = p - target
        w = p * (1 - p)
        g = np.array([np.mean(r * u), np.mean(r)])
        h = np.array([[np.mean(w * u * u), np.mean(w * u)], [np.mean(w * u), np.mean(w)]]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(h, g)
        t = 1.0
        while t >= 1e-8:  # damped Newton: only steps that lower the loss
            new = loss(alpha - t * step[0], beta - t * step[1])
            if new <= current:
                break
            t *= 0.5
        else:
            break
        alpha, beta, current = alpha - t * step[0], beta - t * step[1], new
        if max(abs(step[0]), abs(step[1])) * t < 1e-10:
            break
    if sign and alpha * sign < MIN_SLOPE:  # against the known direction: the flattest slope along it
        alpha = sign * MIN_SLOPE
        for _ in range(100):  # the intercept for that slope (one-dimensional Newton)
            p = _sigmoid(alpha * u + beta)
            step = float(np.mean(p - target)) / max(float(np.mean(p * (1 - p))), 1e-12)
            beta -= step
            if abs(step) < 1e-12:
                break
    a = alpha / scale
    return float(a), float(beta - a * center)


# ------------------------------------------------------------------------------------ the weight


@dataclass
class CrossValidatedWeight:
    """The weight search: mean held-out log loss and the standard error of its gain over the
    expert, for each weight of `weights`, and the weight chosen."""

    weights: tuple[float, ...]
    log_loss: np.ndarray  # (weights,)
    gain_se: np.ndarray  # (weights,): corrected standard error of log_loss[w] - log_loss[0]
    chosen: int
    folds: int
    repeats: int
    caution: float

    @property
    def weight(self) -> float:
        return self.weights[self.chosen]

    @property
    def expert_log_loss(self) -> float:
        return float(self.log_loss[0])

    @property
    def model_log_loss(self) -> float:
        return float(self.log_loss[-1])

    @property
    def blend_log_loss(self) -> float:
        return float(self.log_loss[self.chosen])

    @property
    def best(self) -> int:
        return int(np.argmin(self.log_loss))

    def to_json(self) -> dict[str, Any]:
        return {"weights": list(self.weights), "log_loss": [round(float(v), 6) for v in self.log_loss],
                "gain_se": [round(float(v), 6) for v in self.gain_se], "chosen": self.weight,
                "lowest_log_loss_at": self.weights[self.best], "folds": self.folds, "repeats": self.repeats,
                "caution": self.caution,
                "method": f"repeated stratified {self.folds}-fold cross-validation, {self.repeats} repeat(s); "
                          f"weight minimising mean log loss + {self.caution:g} x the corrected standard error "
                          "(Nadeau & Bengio 2003) of its gain over the expert"}


def fit_blend(y: Any, expert_score: Any, model_probability: Any, *, sign: int, folds: int = 5, repeats: int = 3,
              seed: int = 0, caution: float = 1.0) -> tuple[dict[str, float], CrossValidatedWeight]:
    """Estimate the blend from 0/1 outcomes, expert scores and OUT-OF-FOLD model probabilities.

    Returns the parameters (`expert_a`, `expert_b`: Platt on the expert score; `weight`;
    `a`, `b`: Platt on the blended log-odds) and the weight search. See the module docstring.

    >>> rng = np.random.default_rng(0)
    >>> s = rng.normal(size=400); y = (rng.random(400) < 1 / (1 + np.exp(s))).astype(int)
    >>> params, search = fit_blend(y, s, np.full(400, 0.5), sign=-1)   # a model that knows nothing
    >>> params["weight"], params["expert_a"] < 0
    (0.0, True)
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    y = np.asarray(y).astype(np.int64)
    s = np.asarray(expert_score, dtype=np.float64)
    lm = _logit(np.asarray(model_probability, dtype=np.float64))
    n = len(y)
    positives = int(y.sum())
    minority = min(positives, n - positives)
    k = min(folds, minority)
    if k < 2:
        raise ProjectError(f"a blend needs at least 2 rows of each outcome to cross-validate its weight; the data "
                           f"has {positives} positive and {n - positives} negative", code="blend_data_too_small")
    weights = np.asarray(WEIGHTS)
    splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed)
    losses = []
    test_fraction = []
    for train, test in splitter.split(s.reshape(-1, 1), y):
        ea, eb = platt(s[train], y[train], sign=sign)
        le = ea * s + eb
        row = []
        for w in weights:
            z = w * lm + (1 - w) * le
            a, b = platt(z[train], y[train], sign=1)
            row.append(_log_loss(y[test], _sigmoid(a * z[test] + b)))
        losses.append(row)
        test_fraction.append(len(test) / n)
    table = np.asarray(losses)
    mean = table.mean(axis=0)
    gain = table - table[:, [0]]
    fraction = float(np.mean(test_fraction))
    j = len(table)
    se = (gain.std(axis=0, ddof=1) if j > 1 else np.zeros(len(weights))) * math.sqrt(1 / j + fraction / (1 - fraction))
    # Rounded so that ties (a model adding nothing) go to the smaller weight, the expert's side.
    chosen = int(np.argmin(np.round(mean + caution * se, 12)))
    search = CrossValidatedWeight(tuple(float(w) for w in weights), mean, se, chosen, k, repeats, caution)
    ea, eb = platt(s, y, sign=sign)
    w = float(weights[chosen])
    a, b = platt(w * lm + (1 - w) * (ea * s + eb), y, sign=1)
    return {"expert_a": ea, "expert_b": eb, "weight": w, "a": a, "b": b}, search


# ------------------------------------------------------------------------------------ trained blend


@dataclass
class TrainedBlend:
    """A blend as saved and loaded: the parameters, and a summary for the card and the evidence."""

    name: str
    expert: str
    model: str
    target: str
    expert_sign: int
    expert_a: float
    expert_b: float
    weight: float
    a: float
    b: float
    summary: dict[str, Any] = field(default_factory=dict)
    search: CrossValidatedWeight | None = None  # only right after training

    def predict(self, expert_score: Any, model_probability: Any) -> tuple[np.ndarray, np.ndarray]:
        """(blended probability, expert probability) for arrays of expert scores and model probabilities."""
        s = np.asarray(expert_score, dtype=np.float64)
        expert_logit = self.expert_a * s + self.expert_b
        z = self.weight * _logit(model_probability) + (1 - self.weight) * expert_logit
        return _sigmoid(self.a * z + self.b), _sigmoid(expert_logit)

    @property
    def rows(self) -> int | None:
        return (self.summary.get("data") or {}).get("rows")

    @property
    def cv_log_loss(self) -> dict[str, float | None]:
        return dict((self.summary.get("cross_validation") or {}).get("summary") or {})

    def to_json(self, spec: BlendSpec) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "spec": spec.training_fingerprint(),
            "target": self.target,
            "expert": {"name": self.expert, "sign": self.expert_sign, "a": self.expert_a, "b": self.expert_b,
                       "method": "Platt sigmoid p = 1 / (1 + exp(-(a * score + b))), slope sign from knowledge/"},
            "model": {"name": self.model},
            "weight": self.weight,
            "calibration": {"a": self.a, "b": self.b,
                            "method": "Platt sigmoid on the out-of-fold blended log-odds"},
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> "TrainedBlend":
        expert, calibration = document["expert"], document["calibration"]
        return cls(document["name"], expert["name"], document["model"]["name"], document["target"],
                   int(expert["sign"]), float(expert["a"]), float(expert["b"]), float(document["weight"]),
                   float(calibration["a"]), float(calibration["b"]), dict(document.get("summary") or {}))


def model_oof_probability(model_spec: "ModelSpec", frame: "pd.DataFrame", knowledge: "Knowledge", *,
                          calibration: str = "none", folds: int = 5, repeats: int = 3) -> np.ndarray:
    """Each row's out-of-fold probability from the model of `model_spec` (the mean over repeats),
    calibrated the way the trained model calibrates (`calibration`, cross-fitted), so that it
    stands for what the model node writes for an applicant it has not seen."""
    from composite.ml.features import FeatureEncoder, as_columns
    from composite.ml.train import binary_target, cross_validate, single_threaded

    encoder = FeatureEncoder.from_knowledge(model_spec, knowledge)
    columns, size = as_columns(frame[list(model_spec.features)])
    y = binary_target(frame[model_spec.target].to_numpy(), name=model_spec.target)
    with single_threaded():
        cv = cross_validate(model_spec, encoder, encoder.encode(columns, size), y, folds=folds, repeats=repeats,
                            calibration=calibration, metrics=False)
    return cv.oof_probability.mean(axis=0)


def _expert_sign(spec: BlendSpec, target: str, knowledge: "Knowledge | None") -> int:
    concept = knowledge.get(spec.expert) if knowledge is not None else None
    if concept is None:
        raise ProjectError(f"the blend's expert score '{spec.expert}' is not a concept in knowledge/; define it "
                           f"there with influences: {{{target}: increases|decreases}}", code="blend_expert",
                           file=spec.file, line=spec.line_of("expert"), field="expert")
    return concept.sign(target)


def train_blend(spec: BlendSpec, frame: "pd.DataFrame", model_spec: "ModelSpec", knowledge: "Knowledge", *,
                model: "TrainedModel | None" = None, calibration: str | None = None, model_probability: Any = None,
                data: Mapping[str, Any] | None = None) -> TrainedBlend:
    """Train the blend on `frame` (the model's features, the expert score and the target), as
    `composite train` does: out-of-fold model probabilities (unless given), then `fit_blend`.

    The out-of-fold probabilities must be calibrated as the trained `model` calibrates (so that
    they stand for what the model node writes): the blend reads that from the model itself.
    `calibration` names the method instead, for callers that hold only out-of-fold probabilities.
    """
    from composite.ml.train import binary_target

    if model is not None:
        calibration = model.calibrator.method
    if calibration is None and model_probability is None:
        raise TypeError("train_blend needs the trained model (or its calibration method) to compute the model's "
                        "out-of-fold probabilities as the model node writes them")

    target = model_spec.target
    sign = _expert_sign(spec, target, knowledge)
    y = binary_target(frame[target].to_numpy(), name=target)
    if model_probability is None:
        model_probability = model_oof_probability(model_spec, frame, knowledge, calibration=calibration or "none",
                                                  folds=spec.validation.folds, repeats=spec.validation.repeats)
    params, search = fit_blend(y, frame[spec.expert].to_numpy(dtype=np.float64), model_probability, sign=sign,
                               folds=spec.validation.folds, repeats=spec.validation.repeats, seed=spec.seed,
                               caution=spec.caution)
    positives = int(y.sum())
    summary = {
        "data": {**(data or {}), "rows": len(y), "positives": positives},
        "model": {"name": model_spec.name, "calibration": calibration or "none"},
        "cross_validation": {**search.to_json(), "summary": {
            "expert": search.expert_log_loss, "model": search.model_log_loss, "blend": search.blend_log_loss}},
        "weight_reason": _weight_reason(search, len(y)),
    }
    return TrainedBlend(spec.name, spec.expert, spec.model, target, sign, params["expert_a"], params["expert_b"],
                        params["weight"], params["a"], params["b"], summary, search)


def _weight_reason(search: CrossValidatedWeight, rows: int) -> str:
    w, best = search.weight, search.weights[search.best]
    losses = (f"cross-validated log loss: expert alone {search.expert_log_loss:.4f}, model alone "
              f"{search.model_log_loss:.4f}, blend {search.blend_log_loss:.4f}")
    if w == 0.0:
        why = (f"the model earned no weight on {rows:,} rows: its gain over the expert is not larger than "
               f"{search.caution:g} standard error(s)")
    elif w == best:
        why = f"the model earned weight {w:.2f} on {rows:,} rows, where the cross-validated log loss is lowest"
    else:
        why = (f"the model earned weight {w:.2f} on {rows:,} rows (the lowest log loss is at {best:.2f}; the "
               f"difference is kept on the expert's side because the gain is uncertain)")
    return f"{why}; {losses}"


def _fitting_frame_spec(model_spec: "ModelSpec", spec: BlendSpec) -> "ModelSpec":
    features = list(dict.fromkeys([*model_spec.features, spec.expert]))
    return model_spec.model_copy(update={"features": features})


def _expert_upstream(project: "Project", model_spec: "ModelSpec", spec: BlendSpec) -> list[Any]:
    """The nodes that compute the expert score: when one changes, the score means something else."""
    from composite.ml.train import upstream_nodes

    return upstream_nodes(project, model_spec.model_copy(update={"features": [spec.expert]}))


def _model_node(project: "Project", spec: BlendSpec) -> Any:
    writer = project.graph.writer.get(spec.model)
    node = next((n for n in project.nodes if n.name == writer), None)
    if node is None or getattr(node, "kind", None) != "model":
        raise ProjectError(f"blend '{spec.name}': '{spec.model}' must be the probability a model node writes "
                           f"(it is written by {writer or 'no node'})", code="blend_model", file=spec.file,
                           line=spec.line_of("model"), field="model")
    if spec.model != node.spec.output:
        raise ProjectError(f"blend '{spec.name}': '{spec.model}' is not the probability of model "
                           f"'{node.spec.name}' (that is '{node.spec.output}')", code="blend_model",
                           file=spec.file, line=spec.line_of("model"), field="model")
    return node


def train_project_blend(project: "Project", spec: BlendSpec) -> TrainedBlend:
    """Train a project's blend on its model's training data, the model already trained."""
    from composite.ml.train import training_data, upstream_fingerprints

    node = _model_node(project, spec)
    if node.model is None:
        raise ProjectError(f"blend '{spec.name}' needs model '{node.spec.name}' trained first: "
                           f"run `composite train {node.spec.name}`", code="model_not_trained", file=spec.file)
    data = training_data(project, _fitting_frame_spec(node.spec, spec))
    info = {"file": data.source, "sha256": data.sha256, "model_artifact": node.spec.artifact_file,
            "model_artifact_sha256": node.artifact_hash,
            "upstream_hashes": upstream_fingerprints(project, _expert_upstream(project, node.spec, spec))}
    return train_blend(spec, data.frame, node.spec, project.knowledge, model=node.model, data=info)


def blend_staleness(project: "Project", spec: BlendSpec) -> list[str]:
    """Why the saved blend no longer matches the project (empty when it is current)."""
    from composite.ml.train import upstream_fingerprints

    path = project.root / spec.artifact_file
    if not path.is_file():
        return [f"not trained: {spec.artifact_file} does not exist"]
    document = json.loads(path.read_bytes())
    reasons = []
    if document.get("spec") != spec.training_fingerprint():
        reasons.append(f"{spec.file} changed since training")
    data = (document.get("summary") or {}).get("data") or {}
    try:
        node = _model_node(project, spec)
    except ProjectError as exc:
        return reasons + [exc.message]
    model_file = project.root / node.spec.artifact_file
    current = "sha256:" + hashlib.sha256(model_file.read_bytes()).hexdigest() if model_file.is_file() else None
    if data.get("model_artifact_sha256") != current:
        reasons.append(f"model '{node.spec.name}' was retrained since the blend was, so its weight was earned by "
                       "another model")
    data_file = project.root / node.spec.data
    if data.get("sha256") and data_file.is_file():
        if "sha256:" + hashlib.sha256(data_file.read_bytes()).hexdigest() != data["sha256"]:
            reasons.append(f"the training data {node.spec.data} changed since training")
    if _expert_sign(spec, node.spec.target, project.knowledge) != (document.get("expert") or {}).get("sign"):
        reasons.append(f"knowledge/ gives '{spec.expert}' another direction than at training")
    now = upstream_fingerprints(project, _expert_upstream(project, node.spec, spec))
    before = data.get("upstream_hashes") or {}
    changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
    if changed:
        reasons.append(f"upstream node(s) {', '.join(changed)} changed since training, so '{spec.expert}' means "
                       "something else")
    return reasons


# ------------------------------------------------------------------------------------ on disk


@dataclass
class SavedBlend:
    artifact: str
    card: str
    hash: str


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def blend_bytes(blend: TrainedBlend, spec: BlendSpec) -> bytes:
    return (json.dumps(_clean(blend.to_json(spec)), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()


def save_blend(blend: TrainedBlend, spec: BlendSpec, root: Path) -> SavedBlend:
    """Write the artifact (JSON) and the card next to the blend file."""
    root = Path(root)
    data = blend_bytes(blend, spec)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (root / spec.artifact_file).parent.mkdir(parents=True, exist_ok=True)
    (root / spec.artifact_file).write_bytes(data)
    (root / spec.card_file).write_text(blend_card(blend, spec, digest), encoding="utf-8")
    return SavedBlend(spec.artifact_file, spec.card_file, digest)


def load_blend(data: bytes, *, file: str) -> TrainedBlend:
    """A blend from its artifact bytes; damaged files are located errors that say to train again."""
    document = read_artifact_document(data, file=file, what="blend", format=FORMAT, code="blend_artifact")
    try:
        blend = TrainedBlend.from_json(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProjectError(f"the blend artifact is incomplete or damaged ({type(exc).__name__}: {exc}); run "
                           "`composite train` again", code="blend_artifact", file=file) from None
    if not (0.0 <= blend.weight <= 1.0) or not all(math.isfinite(v) for v in
                                                   (blend.expert_a, blend.expert_b, blend.a, blend.b)):
        raise ProjectError("the blend artifact holds a weight outside [0, 1] or a non-finite parameter; run "
                           "`composite train` again", code="blend_artifact", file=file)
    return blend


def blend_card(blend: TrainedBlend, spec: BlendSpec, digest: str) -> str:
    """The blend's card for people: what it joins, the weight and why, the weight search."""
    summary = blend.summary
    data = summary.get("data") or {}
    cv = summary.get("cross_validation") or {}
    direction = {1: "raises", -1: "lowers", 0: "has no known effect on"}[blend.expert_sign]
    out = [f"# Blend card: {blend.name}", ""]
    if spec.description:
        out += [spec.description, ""]
    out += [
        f"- joins the expert score `{blend.expert}` and the model probability `{blend.model}` "
        f"(model `{(summary.get('model') or {}).get('name')}`) into `{spec.output}`"
        + (f", and writes the expert's own probability as `{spec.expert_output}`" if spec.expert_output else ""),
        f"- blend file: `{spec.file}`; artifact: `{spec.artifact_file}`, content hash `{digest}`",
        f"- trained on {data.get('rows')} rows of `{data.get('file')}` ({data.get('positives')} with "
        f"`{blend.target}` = 1), the model's own training data; model artifact `{data.get('model_artifact')}` "
        f"({data.get('model_artifact_sha256')})",
        "",
        "## The blend",
        "",
        f"- expert probability = 1 / (1 + exp(-({blend.expert_a:.5f} * {blend.expert} + {blend.expert_b:.4f}))); "
        f"a higher {blend.expert} {direction} the risk (knowledge/)",
        f"- blended log-odds z = {blend.weight:.2f} * logit({blend.model}) + {1 - blend.weight:.2f} * "
        "logit(expert probability)",
        f"- {spec.output} = 1 / (1 + exp(-({blend.a:.4f} * z + {blend.b:.4f})))",
        "",
        "## Why this weight",
        "",
        _sentence(str(summary.get("weight_reason", ""))),
        "",
        str(cv.get("method", "")) + ". Each row's model probability is out-of-fold: predicted by a model "
        "that did not see the row.",
        "",
        "| weight on the model | held-out log loss | standard error of the gain over the expert |",
        "|---|---|---|",
    ]
    for w, loss, se in zip(cv.get("weights") or [], cv.get("log_loss") or [], cv.get("gain_se") or []):
        mark = " (chosen)" if w == blend.weight else ""
        out.append(f"| {w:.2f}{mark} | {loss:.4f} | {se:.4f} |")
    out.append("")
    return "\n".join(out)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("." if text and not text.endswith(".") else "")
