"""The small-data evaluation protocol, for any decision project: the expert alone, models without
knowledge, a fixed blend and the composite, on growing training samples, with a fixed test set.

    from composite.ml.evaluation import Drift, learning_curve

    curve = learning_curve(root, sizes=(25, 50, 100), repeats=20, drift=Drift("age", threshold=35))
    print(curve.markdown())          # or curve.text()
    curve.mean(100, "composite")     # mean test AUC at 100 rows
    curve.paired(100, "rules alone") # composite minus rules alone: (mean, standard error)

The project folder needs a `blend` node in composite.yaml, the `model` node whose probability the
blend reads, both files under models/, and the model file's data with the target. The protocol
(fixed before looking at results; docs/small_data.md applies it to German Credit):

- a fixed stratified test set of round(test_fraction x n) rows (`seed`); nothing is trained, tuned
  or chosen on it;
- training samples of each size, stratified, from the other rows (the pool), `repeats` per size,
  the sample of repeat k at size n drawn with seed `seed + 1000 k + n`; sizes the pool cannot hold
  are skipped; every method is trained on the same sample, so differences are paired;
- on the test set, per method: AUC, Brier score and log loss;
- methods:
  - *rules alone*: the expert score (computed by the project's own nodes) Platt-calibrated on the
    sample, the slope's sign from knowledge/ (`composite.ml.blend.platt`);
  - *LightGBM alone*, *logistic regression alone*: no knowledge: every column of the data that is
    a concept of knowledge/, not the target, not written by a node and not `protected`, with no
    monotone directions and no expert score, composite's small-data settings;
  - *fixed blend*: the calibrated expert log-odds and the composite model's log-odds joined with
    the weight n / (n + 100) on the model, whatever the data says, then Platt-calibrated on the
    sample (on out-of-fold model log-odds, as the blend itself is);
  - *composite model alone*, *composite*, *composite + fallback*: the project's model file and blend
    file trained on the sample exactly as `composite train` trains them (`fit_composite`); the
    model's probability, the blend, and the blend with the expert's probability for test rows
    outside the model's training domain;
- paired differences, composite minus each other method, with standard errors over the repeats;
- drift (optional): trained on the pool rows of a source group (below a threshold, or outside a
  value set) against as many rows of the target group, scored on the test rows of the target
  group: the AUC each method loses;
- design mode: the same protocol on a design split of the pool (30% of the pool held out to score
  on): the test set is never touched, so choices can be made there.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from composite.errors import ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from composite.knowledge import Knowledge
    from composite.ml.blend import BlendSpec, TrainedBlend
    from composite.ml.predict import TrainedModel
    from composite.ml.spec import ModelSpec

__all__ = [
    "BASELINES",
    "CompositePrediction",
    "Drift",
    "DriftResult",
    "EvaluationContext",
    "FIXED_BLEND_ROWS",
    "FittedComposite",
    "LearningCurve",
    "METHODS",
    "METRICS",
    "Run",
    "SIZES",
    "evaluate_sample",
    "fit_composite",
    "fixed_blend",
    "learning_curve",
    "load_context",
    "stratified_split",
]

SIZES = (25, 50, 100, 200, 400)
SEED = 20240601
FIXED_BLEND_ROWS = 100  # the fixed blend's weight on the model is n / (n + FIXED_BLEND_ROWS)
METHODS = ("rules alone", "LightGBM alone", "logistic regression alone", "fixed blend", "composite model alone",
           "composite", "composite + fallback")
BASELINES = ("rules alone", "LightGBM alone", "logistic regression alone")  # what stands alone
METRICS = ("auc", "brier", "log_loss")
METRIC_NAMES = {"auc": "AUC", "brier": "Brier score", "log_loss": "log loss"}
HIGHER_IS_BETTER = {"auc": True, "brier": False, "log_loss": False}
TOLERANCE = 0.005  # target (a): the composite at most this much AUC below the best other method
SMALL = 100  # target (b) applies at this many rows and fewer
_EPS = 1e-6
_FEATURE_TYPES = ("number", "integer", "category", "boolean")

Progress = Callable[[str], None]


# ------------------------------------------------------------------------------------ drift


def _text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Drift:
    """A shift of population: trained on the source group, scored on the target group.

    With `threshold` the target group is `column >= threshold` and the source `column < threshold`;
    with `values` the target group is the rows whose `column` is one of `values` (compared as text,
    booleans as true/false), the source the others. `size` is the number of training rows drawn
    from each group (default: the largest of the learning curve's sizes both groups can hold).
    """

    column: str
    threshold: float | None = None
    values: tuple[Any, ...] | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if (self.threshold is None) == (self.values is None):
            raise ValueError("a drift needs either a threshold or a set of values, not both")
        if self.values is not None:
            object.__setattr__(self, "values", tuple(self.values))

    @classmethod
    def parse(cls, text: str, *, size: int | None = None) -> "Drift":
        """`COLUMN:THRESHOLD` (e.g. `age:35`) or `COLUMN=v1,v2` (e.g. `housing=rent,free`)."""
        if "=" in text:
            column, _, values = text.partition("=")
            items = tuple(v.strip() for v in values.split(",") if v.strip())
            if not column.strip() or not items:
                raise ValueError(f"drift '{text}': write COLUMN=v1,v2")
            return cls(column.strip(), values=items, size=size)
        column, sep, threshold = text.partition(":")
        if not sep or not column.strip():
            raise ValueError(f"drift '{text}': write COLUMN:THRESHOLD or COLUMN=v1,v2")
        try:
            value = float(threshold)
        except ValueError:
            raise ValueError(f"drift '{text}': the threshold '{threshold}' is not a number") from None
        return cls(column.strip(), threshold=value, size=size)

    def target_mask(self, values: Any) -> np.ndarray:
        array = np.asarray(values)
        if self.threshold is not None:
            numbers = np.asarray(array, dtype=np.float64)
            return numbers >= self.threshold
        wanted = {_text(v) for v in self.values or ()}
        return np.array([_text(v) in wanted for v in array], dtype=bool)

    @property
    def source_label(self) -> str:
        if self.threshold is not None:
            return f"{self.column} < {_text(self.threshold)}"
        return f"{self.column} not in {{{', '.join(_text(v) for v in self.values or ())}}}"

    @property
    def target_label(self) -> str:
        if self.threshold is not None:
            return f"{self.column} >= {_text(self.threshold)}"
        return f"{self.column} in {{{', '.join(_text(v) for v in self.values or ())}}}"


# ------------------------------------------------------------------------------------ the project


@dataclass
class EvaluationContext:
    """A project prepared for evaluation: its model and blend files, every row of its data with the
    expert score and the model's features computed by the project's own nodes, and the
    knowledge-free baselines' specs."""

    root: Path
    name: str
    model_spec: "ModelSpec"
    blend_spec: "BlendSpec"
    knowledge: "Knowledge"
    free_knowledge: "Knowledge"  # knowledge/ without influences: no monotone directions
    frame: "pd.DataFrame"  # every row: model features, expert score, baseline columns, target
    y: np.ndarray
    expert_sign: int
    baseline_features: tuple[str, ...]
    protected: tuple[str, ...]
    lightgbm_alone: "ModelSpec"
    logistic_alone: "ModelSpec"
    domain_inputs: tuple[str, ...] = ()  # the chain's request inputs, checked by the model's domain

    @property
    def target(self) -> str:
        return self.model_spec.target

    @property
    def composite_columns(self) -> list[str]:
        """The columns `composite train` trains the model and the blend on, in its order."""
        return list(dict.fromkeys([*self.model_spec.features, self.blend_spec.expert, *self.domain_inputs,
                                   self.target]))


def _read_data(root: Path, spec: "ModelSpec") -> "pd.DataFrame":
    import pandas as pd

    path = root / spec.data
    if not path.is_file():
        raise ProjectError(f"the model's data '{spec.data}' does not exist", code="missing_file", file=spec.file,
                           line=spec.line_of("data"), field="data")
    return pd.read_csv(path) if path.suffix.lower() != ".json" else pd.read_json(path)


def load_context(root: Path | str, *, blend: str | None = None, columns: Iterable[str] = ()) -> EvaluationContext:
    """Find the project's blend node (the only one, or the one named `blend`) and the model node whose
    probability it reads; compute every row's features; build the baselines' specs. `columns`
    adds concepts the evaluation needs (a drift column)."""
    from composite.knowledge import Knowledge
    from composite.ml.train import chain_inputs, load_training_project, training_data

    root = Path(root)
    project = load_training_project(root)
    blends = [node for node in project.nodes if getattr(node, "kind", None) == "blend"]
    if blend is not None:
        blends = [node for node in blends if blend in (node.name, node.spec.name, node.spec.file)]
    if len(blends) != 1:
        names = ", ".join(node.name for node in blends) or "none"
        raise ProjectError(f"the evaluation needs one blend node in {root / 'composite.yaml'} (found: {names}); "
                           "name one with blend=", code="evaluation_project", file="composite.yaml")
    blend_spec = blends[0].spec
    writer = project.graph.writer.get(blend_spec.model)
    model_node = next((n for n in project.nodes if n.name == writer and getattr(n, "kind", None) == "model"), None)
    if model_node is None:
        raise ProjectError(f"blend '{blend_spec.name}' reads '{blend_spec.model}', which no model node writes",
                           code="evaluation_project", file=blend_spec.file, line=blend_spec.line_of("model"))
    model_spec = model_node.spec
    knowledge = project.knowledge
    raw = _read_data(root, model_spec)
    if model_spec.target not in raw.columns:
        raise ProjectError(f"{model_spec.data} has no column '{model_spec.target}' (the target)",
                           code="model_data", file=model_spec.file, line=model_spec.line_of("target"))
    written = set(project.graph.writer)
    protected = tuple(name for name, concept in knowledge.concepts.items() if concept.protected)
    baseline = []
    for column in raw.columns:
        concept = knowledge.get(column)
        if (concept is None or column == model_spec.target or column in written or concept.protected
                or concept.type not in _FEATURE_TYPES or (concept.type == "category" and not concept.values)):
            continue
        baseline.append(str(column))
    if not baseline:
        raise ProjectError(f"{model_spec.data} has no column a knowledge-free model could read",
                           code="evaluation_project", file=model_spec.data)
    extra = [c for c in columns if c != model_spec.target]
    features = list(dict.fromkeys([*model_spec.features, blend_spec.expert, *baseline, *extra]))
    frame = training_data(project, model_spec.model_copy(update={"features": features}), frame=raw).frame
    from composite.ml.train import binary_target

    y = binary_target(frame[model_spec.target].to_numpy(), name=model_spec.target, where=model_spec.data)
    expert = knowledge.get(blend_spec.expert)
    sign = expert.sign(model_spec.target) if expert is not None else 0
    free = Knowledge({name: c.model_copy(update={"influences": {}}) for name, c in knowledge.concepts.items()})
    alone: dict[str, Any] = {"name": f"{model_spec.name}_lightgbm_alone", "algorithm": "lightgbm",
                             "features": baseline, "hyperparameters": {}}
    # no knowledge may reach the baselines through the model file either (an expert anchor, if the
    # model file format has one)
    alone.update({key: None for key in ("anchor",) if key in type(model_spec).model_fields})
    lightgbm_alone = model_spec.model_copy(update=alone)
    logistic_alone = lightgbm_alone.model_copy(update={"name": f"{model_spec.name}_logistic_alone",
                                                       "algorithm": "logistic_regression"})
    name = getattr(project, "name", None) or root.resolve().name
    return EvaluationContext(root, str(name), model_spec, blend_spec, knowledge, free, frame, y, sign,
                             tuple(baseline), protected, lightgbm_alone, logistic_alone,
                             tuple(n for n in chain_inputs(project) if n in frame.columns))


# ------------------------------------------------------------------------------------ the composite


@dataclass
class CompositePrediction:
    """The composite on some rows: the model's probability, the blend, the expert's probability, and
    whether each row lies inside the model's training domain."""

    model_probability: np.ndarray
    blended: np.ndarray
    expert_probability: np.ndarray
    inside: np.ndarray
    weight: float

    @property
    def fallback(self) -> np.ndarray:
        """The whole chain: the blend inside the domain, the expert's probability outside it."""
        return np.where(self.inside, self.blended, self.expert_probability)


@dataclass
class FittedComposite:
    """The project's model and blend trained on some rows, as `composite train` trains them."""

    model: "TrainedModel"
    blend: "TrainedBlend"
    expert: str
    seconds_model: float = 0.0
    seconds_blend: float = 0.0

    @property
    def weight(self) -> float:
        return float(self.blend.weight)

    def predict(self, frame: "pd.DataFrame") -> CompositePrediction:
        prediction = self.model.predict(frame, contributions=False, domain=True)
        blended, expert = self.blend.predict(frame[self.expert].to_numpy(dtype=np.float64), prediction.probability)
        inside = np.asarray(prediction.domain.inside, dtype=bool)
        return CompositePrediction(np.asarray(prediction.probability, dtype=np.float64), np.asarray(blended),
                                   np.asarray(expert), inside, self.weight)


def fit_composite(context: EvaluationContext, frame: "pd.DataFrame") -> FittedComposite:
    """Train the project's model file and blend file on `frame` exactly as `composite train` does
    (composite/cli/train.py: `train_model` on the model's training rows, then `train_project_blend`,
    which is `train_blend` on the same rows with the trained model's calibration method). The only
    difference is a shortcut that gives the same model: see below."""
    from composite.ml.blend import train_blend
    from composite.ml.train import binary_target, choose_calibration, train_model

    spec, knowledge = context.model_spec, context.knowledge
    frame = frame[context.composite_columns]
    y = binary_target(frame[spec.target].to_numpy(), name=spec.target)
    positives = int(y.sum())
    method, _ = choose_calibration(spec.calibration, positives, len(y) - positives)
    # Exact shortcut: `composite train` calls train_model(validate=True), whose cross-validation changes
    # the final model only through its calibration. When the data allows no calibration ("none"),
    # validate=False gives the identical model (same fit, no calibrator), so the CV is skipped then.
    # Otherwise the model is validated (and calibrated where that helps) as `composite train` does it.
    started = time.perf_counter()
    model = train_model(spec, frame, knowledge, validate=method != "none", domain_inputs=context.domain_inputs)
    trained = time.perf_counter()
    blend = train_blend(context.blend_spec, frame, spec, knowledge, model=model)
    return FittedComposite(model, blend, context.blend_spec.expert, trained - started, time.perf_counter() - trained)


# ------------------------------------------------------------------------------------ arithmetic


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, Brier score and log loss of probabilities `p` for 0/1 outcomes `y`."""
    from sklearn.metrics import roc_auc_score

    p = np.asarray(p, dtype=np.float64)
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return {"auc": float(roc_auc_score(y, p)), "brier": float(np.mean((p - y) ** 2)),
            "log_loss": float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))}


def stratified_split(y: np.ndarray, rows: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` of `rows` drawn stratified by `y` (seeded), and the rest; both sorted."""
    from sklearn.model_selection import train_test_split

    chosen, rest = train_test_split(np.asarray(rows), train_size=size, stratify=y[rows], random_state=seed)
    return np.sort(chosen), np.sort(rest)


def _rows_key(frame: "pd.DataFrame") -> str:
    """A fingerprint of the rows a method was trained on (their positions in the data)."""
    return hashlib.sha1(np.sort(np.asarray(frame.index, dtype=np.int64)).tobytes()).hexdigest()[:16]


def fixed_blend(context: EvaluationContext, train: "pd.DataFrame", fitted: FittedComposite,
                test_expert: np.ndarray, test_model_probability: np.ndarray) -> tuple[np.ndarray, float]:
    """The blend with a weight fixed in advance, w = n / (n + 100) on the model: the expert's log-odds
    (Platt on the sample, sign from knowledge/) and the composite model's log-odds joined, then
    Platt-calibrated on the sample. As in the blend, that last calibration is fitted on the model's
    out-of-fold log-odds (`model_oof_probability` with the blend file's folds), since its log-odds on
    its own training rows are optimistic. Returns (test probabilities, w)."""
    from composite.ml.blend import model_oof_probability, platt

    spec, blend_spec = context.model_spec, context.blend_spec
    y = train[spec.target].to_numpy().astype(np.int64)
    n = len(y)
    w = n / (n + FIXED_BLEND_ROWS)
    score = train[blend_spec.expert].to_numpy(dtype=np.float64)
    ea, eb = platt(score, y, sign=context.expert_sign)
    oof = model_oof_probability(spec, train[context.composite_columns], context.knowledge,
                                calibration=fitted.model.calibrator.method, folds=blend_spec.validation.folds,
                                repeats=blend_spec.validation.repeats)
    z = w * _logit(oof) + (1 - w) * (ea * score + eb)
    a, b = platt(z, y, sign=1)
    z_test = w * _logit(test_model_probability) + (1 - w) * (ea * np.asarray(test_expert, dtype=np.float64) + eb)
    return _sigmoid(a * z_test + b), w


# ------------------------------------------------------------------------------------ one sample


@dataclass
class Run:
    """Every method trained on one sample and scored on the scoring rows."""

    size: int
    repeat: int
    rows: np.ndarray  # positions of the training rows in the data
    metrics: dict[str, dict[str, float]]  # method -> metric -> value
    weight: float = math.nan  # the blend's weight on the model
    inside: float = math.nan  # share of scoring rows inside the model's training domain
    fixed_weight: float = math.nan
    seconds: dict[str, float] = field(default_factory=dict)  # training time per method
    trained_on: dict[str, str] = field(default_factory=dict)  # method -> fingerprint of its training rows


def evaluate_sample(context: EvaluationContext, train_rows: np.ndarray, score_rows: np.ndarray, *,
                    size: int = 0, repeat: int = 0, methods: Sequence[str] = METHODS) -> Run:
    """Train every method of `methods` on `train_rows` (the same rows for all) and score them on
    `score_rows`."""
    from composite.ml.blend import platt
    from composite.ml.train import train_model

    wanted = set(methods)
    overlap = np.intersect1d(train_rows, score_rows)
    if len(overlap):
        raise ValueError(f"{len(overlap)} training rows are also scoring rows")
    train, test = context.frame.iloc[train_rows], context.frame.iloc[score_rows]
    y, yt = context.y[train_rows], context.y[score_rows]
    expert_name = context.blend_spec.expert
    probabilities: dict[str, np.ndarray] = {}
    run = Run(size or len(train_rows), repeat, np.asarray(train_rows), {})

    started = time.perf_counter()
    a, b = platt(train[expert_name].to_numpy(dtype=np.float64), y, sign=context.expert_sign)
    probabilities["rules alone"] = _sigmoid(a * test[expert_name].to_numpy(dtype=np.float64) + b)
    run.seconds["rules alone"] = time.perf_counter() - started
    run.trained_on["rules alone"] = _rows_key(train)
    for method, spec in (("LightGBM alone", context.lightgbm_alone),
                         ("logistic regression alone", context.logistic_alone)):
        if method in wanted:
            started = time.perf_counter()
            model = train_model(spec, train, context.free_knowledge, validate=False)
            probabilities[method] = model.predict_proba(test)
            run.seconds[method] = time.perf_counter() - started
            run.trained_on[method] = _rows_key(train)
    composite_methods = {"fixed blend", "composite model alone", "composite", "composite + fallback"}
    if wanted & composite_methods:
        fitted = fit_composite(context, train)
        prediction = fitted.predict(test)
        for method, p in (("composite model alone", prediction.model_probability), ("composite", prediction.blended),
                          ("composite + fallback", prediction.fallback)):
            probabilities[method] = p
            run.trained_on[method] = _rows_key(train)
        run.weight, run.inside = fitted.weight, float(np.mean(prediction.inside))
        run.seconds.update({"composite model": fitted.seconds_model, "blend": fitted.seconds_blend,
                            "composite": fitted.seconds_model + fitted.seconds_blend})
        if "fixed blend" in wanted:
            started = time.perf_counter()
            probabilities["fixed blend"], run.fixed_weight = fixed_blend(
                context, train, fitted, test[expert_name].to_numpy(dtype=np.float64), prediction.model_probability)
            run.seconds["fixed blend"] = time.perf_counter() - started + fitted.seconds_model
            run.trained_on["fixed blend"] = _rows_key(train)
    run.metrics = {method: metrics(yt, p) for method, p in probabilities.items() if method in wanted}
    return run


# ------------------------------------------------------------------------------------ results


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sd(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _se(values: Sequence[float]) -> float:
    return _sd(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan


@dataclass
class DriftResult:
    """Each method trained on `size` rows of the source group and, paired, on as many of the target
    group; scored on the scoring rows of the target group."""

    drift: Drift
    size: int
    source_pool: int  # rows of the pool in the source group
    target_pool: int
    scored_rows: np.ndarray  # scoring rows in the target group
    source: list[Run]
    target: list[Run]

    def values(self, group: str, method: str, metric: str = "auc") -> np.ndarray:
        runs = self.source if group == "source" else self.target
        return np.array([r.metrics[method][metric] for r in runs if method in r.metrics])

    def lost(self, method: str, metric: str = "auc") -> tuple[float, float]:
        """AUC lost by training on the source group: target-trained minus source-trained (mean, se)."""
        diff = self.values("target", method, metric) - self.values("source", method, metric)
        return _mean(diff), _se(diff)


@dataclass
class LearningCurve:
    """The results of `learning_curve`, with Markdown and text renderings."""

    project: str
    root: str
    model_file: str
    blend_file: str
    data_file: str
    target: str
    rows: int
    positives: int
    seed: int
    repeats: int
    design: bool
    test_rows: np.ndarray  # the fixed test set (in design mode: held out, never used)
    pool_rows: np.ndarray  # rows samples are drawn from
    scored_rows: np.ndarray  # rows the methods are scored on (the test set, or the design split's)
    sizes: tuple[int, ...]
    skipped_sizes: tuple[int, ...]
    baseline_features: tuple[str, ...]
    protected: tuple[str, ...]
    runs: dict[int, list[Run]]
    drift: DriftResult | None = None
    seconds: float = 0.0
    methods: tuple[str, ...] = METHODS

    # -- numbers -------------------------------------------------------------------------------

    def values(self, size: int, method: str, metric: str = "auc") -> np.ndarray:
        return np.array([r.metrics[method][metric] for r in self.runs[size] if method in r.metrics])

    def mean(self, size: int, method: str, metric: str = "auc") -> float:
        return _mean(self.values(size, method, metric))

    def sd(self, size: int, method: str, metric: str = "auc") -> float:
        return _sd(self.values(size, method, metric))

    def paired(self, size: int, other: str, metric: str = "auc", method: str = "composite") -> tuple[float, float]:
        """`method` minus `other` on the same samples: (mean, standard error)."""
        diff = self.values(size, method, metric) - self.values(size, other, metric)
        return _mean(diff), _se(diff)

    def best_alone(self, size: int, metric: str = "auc") -> str:
        """The best of rules alone, LightGBM alone and logistic regression alone at `size`."""
        pick = max if HIGHER_IS_BETTER[metric] else min
        return pick(BASELINES, key=lambda m: self.mean(size, m, metric))

    def weight(self, size: int) -> float:
        return _mean([r.weight for r in self.runs[size]])

    def inside(self, size: int) -> float:
        return _mean([r.inside for r in self.runs[size]])

    def seconds_per_sample(self, size: int, what: str) -> float:
        return _mean([r.seconds[what] for r in self.runs[size] if what in r.seconds])

    def targets(self, size: int) -> dict[str, bool | None]:
        """(a) composite AUC >= the best of rules, LightGBM, logistic regression and the fixed blend
        minus 0.005; (b) at 100 rows or fewer, composite AUC > the best of the three alone (None above)."""
        composite = self.mean(size, "composite")
        a = composite >= max(self.mean(size, m) for m in (*BASELINES, "fixed blend")) - TOLERANCE
        b = composite > max(self.mean(size, m) for m in BASELINES) if size <= SMALL else None
        return {"a": bool(a), "b": None if b is None else bool(b)}

    # -- tables --------------------------------------------------------------------------------

    def tables(self) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]], list[str]]]:
        """(title, header, rows, notes) of every table."""
        out = []
        scored = "design rows" if self.design else "test rows"
        for metric in METRICS:
            header = ("rows", *self.methods, "composite − best alone (paired ± se)",
                      "composite − fixed blend (paired ± se)")
            if metric == "auc":
                header += ("target (a)", "target (b)", "mean weight", "share in domain")
            body = []
            for size in self.runs:
                cells = [str(size)] + [f"{_f(self.mean(size, m, metric))} ± {_f(self.sd(size, m, metric))}"
                                       for m in self.methods]
                best = self.best_alone(size, metric)
                d, se = self.paired(size, best, metric)
                fd, fse = self.paired(size, "fixed blend", metric)
                cells += [f"{best}: {_signed(d)} ± {_f(se)}", f"{_signed(fd)} ± {_f(fse)}"]
                if metric == "auc":
                    t = self.targets(size)
                    cells += ["met" if t["a"] else "missed", "n/a" if t["b"] is None else "met" if t["b"] else "missed",
                              f"{self.weight(size):.2f}", f"{self.inside(size):.2f}"]
                body.append(tuple(cells))
            better = "higher" if HIGHER_IS_BETTER[metric] else "lower"
            title = (f"{METRIC_NAMES[metric]} on the {len(self.scored_rows)} {scored} ({better} is better), mean ± "
                     f"standard deviation over {self.repeats} samples per size")
            notes = []
            if metric == "auc":
                notes = [f"target (a): composite AUC >= max(rules alone, LightGBM alone, logistic regression alone, "
                         f"fixed blend) − {TOLERANCE}; target (b), at {SMALL} rows and fewer: composite AUC > max(rules "
                         "alone, LightGBM alone, logistic regression alone). Mean weight: the blend's weight on the "
                         f"model; share in domain: of the {scored} inside the model's training domain."]
            out.append((title, header, body, notes))
        if self.drift is not None:
            d = self.drift
            body = []
            for m in self.methods:
                lost, se = d.lost(m)
                body.append((m, f"{_f(_mean(d.values('target', m)))} ± {_f(_sd(d.values('target', m)))}",
                             f"{_f(_mean(d.values('source', m)))} ± {_f(_sd(d.values('source', m)))}",
                             f"{_signed(lost)} ± {_f(se)}"))
            title = (f"Drift: AUC on the {len(d.scored_rows)} {scored} with {d.drift.target_label}; {d.size} training "
                     f"rows drawn from the {d.target_pool} pool rows with {d.drift.target_label} or the "
                     f"{d.source_pool} with {d.drift.source_label}; {len(d.source)} repeats")
            notes = [f"composite weight trained on {d.drift.source_label}: {_mean([r.weight for r in d.source]):.2f}, "
                     f"on {d.drift.target_label}: {_mean([r.weight for r in d.target]):.2f}; share of the scored rows "
                     f"inside the domain of the model trained on {d.drift.source_label}: "
                     f"{_mean([r.inside for r in d.source]):.2f}"]
            out.append((title, ("method", f"trained on {d.drift.target_label}", f"trained on {d.drift.source_label}",
                                "AUC lost (paired mean ± se)"), body, notes))
        return out

    def summary(self) -> str:
        where = (f"design split of the {self.rows - len(self.test_rows)} non-test rows: "
                 f"samples from {len(self.pool_rows)}, scored on {len(self.scored_rows)}; the "
                 f"{len(self.test_rows)} test rows are not used" if self.design else
                 f"test set {len(self.scored_rows)} rows (stratified, seed {self.seed}), samples from the other "
                 f"{len(self.pool_rows)}")
        skipped = f"; sizes {', '.join(map(str, self.skipped_sizes))} skipped (the pool is too small)" \
            if self.skipped_sizes else ""
        return (f"{self.project}: {self.model_file} + {self.blend_file} on {self.data_file}, {self.rows} rows "
                f"({self.positives} with {self.target} = 1); {where}; {self.repeats} repeats per size{skipped}. "
                f"Knowledge-free baselines read {len(self.baseline_features)} columns"
                + (f" (protected, excluded: {', '.join(self.protected)})" if self.protected else "") + ".")

    def markdown(self) -> str:
        parts = [self.summary(), ""]
        for title, header, body, notes in self.tables():
            parts += [f"**{title}**", "", _markdown(header, body), ""]
            parts += [*notes, ""] if notes else []
        return "\n".join(parts).rstrip() + "\n"

    def text(self) -> str:
        parts = [self.summary(), ""]
        for title, header, body, notes in self.tables():
            parts += [title, _text_table(header, body), ""]
            parts += [*notes, ""] if notes else []
        return "\n".join(parts).rstrip() + "\n"


def _f(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def _signed(x: float) -> str:
    return "n/a" if x != x else f"{x:+.3f}"


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *[line(r) for r in rows]])


# ------------------------------------------------------------------------------------ the protocol


def learning_curve(root: Path | str, *, sizes: Sequence[int] = SIZES, repeats: int = 20, test_fraction: float = 0.3,
                   seed: int = SEED, drift: Drift | None = None, progress: Progress | None = None,
                   design: bool = False, blend: str | None = None,
                   context: EvaluationContext | None = None) -> LearningCurve:
    """Run the protocol (module docstring) on the project at `root`. `context` reuses a prepared
    project (`load_context`); `blend` names the blend node when the project has several.

    Runs with BLAS limited to one thread: the learners are single-threaded, and on a shared machine
    BLAS threads spinning against each other made logistic regression ten times slower."""
    from composite.ml.train import single_threaded

    with single_threaded():
        return _learning_curve(root, sizes=sizes, repeats=repeats, test_fraction=test_fraction, seed=seed,
                               drift=drift, progress=progress, design=design, blend=blend, context=context)


def _learning_curve(root: Path | str, *, sizes: Sequence[int], repeats: int, test_fraction: float, seed: int,
                    drift: Drift | None, progress: Progress | None, design: bool, blend: str | None,
                    context: EvaluationContext | None) -> LearningCurve:
    say = progress or (lambda message: None)
    started = time.perf_counter()
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must lie between 0 and 1")
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    context = context or load_context(root, blend=blend, columns=[drift.column] if drift else [])
    if drift is not None and drift.column not in context.frame.columns:
        raise ProjectError(f"the drift column '{drift.column}' is not a concept the project's data gives",
                           code="evaluation_drift")
    y = context.y
    rows = np.arange(len(context.frame))
    test_size = int(round(test_fraction * len(rows)))
    pool, test = stratified_split(y, rows, len(rows) - test_size, seed)
    if design:
        held_out = int(round(test_fraction * len(pool)))
        sample_pool, scored = stratified_split(y, pool, len(pool) - held_out, seed + 1)
    else:
        sample_pool, scored = pool, test
    wanted = sorted(dict.fromkeys(int(n) for n in sizes))
    usable = tuple(n for n in wanted if 2 <= n <= len(sample_pool) - 2)
    skipped = tuple(n for n in wanted if n not in usable)
    runs: dict[int, list[Run]] = {}
    for n in usable:
        runs[n] = []
        for k in range(repeats):
            train_rows, _ = stratified_split(y, sample_pool, n, seed + 1000 * k + n)
            runs[n].append(evaluate_sample(context, train_rows, scored, size=n, repeat=k))
        say(f"{n} rows: {repeats} repeats done")
    drift_result = None
    if drift is not None:
        drift_result = _drift(context, drift, usable or tuple(wanted), repeats, sample_pool, scored, seed, say)
    return LearningCurve(
        project=context.name, root=str(context.root), model_file=context.model_spec.file,
        blend_file=context.blend_spec.file, data_file=context.model_spec.data, target=context.target,
        rows=len(rows), positives=int(y.sum()), seed=seed, repeats=repeats, design=design, test_rows=test,
        pool_rows=sample_pool, scored_rows=scored, sizes=usable, skipped_sizes=skipped,
        baseline_features=context.baseline_features, protected=context.protected, runs=runs, drift=drift_result,
        seconds=time.perf_counter() - started)


def _drift(context: EvaluationContext, drift: Drift, sizes: Sequence[int], repeats: int, pool: np.ndarray,
           scored: np.ndarray, seed: int, say: Progress) -> DriftResult:
    column = context.frame[drift.column].to_numpy()
    in_target = drift.target_mask(column)
    source, target = pool[~in_target[pool]], pool[in_target[pool]]
    scored_target = scored[in_target[scored]]
    y = context.y
    room = min(len(source), len(target)) - 2
    size = drift.size or max((n for n in sizes if n <= room), default=0)
    problems = []
    if size < 2 or size > room:
        problems.append(f"{size} training rows from groups of {len(source)} ({drift.source_label}) and {len(target)} "
                        f"({drift.target_label})")
    if len(np.unique(y[scored_target])) < 2:
        problems.append(f"the scored rows with {drift.target_label} hold one outcome only")
    for group in (source, target):
        if len(group) and min(int(y[group].sum()), int(len(group) - y[group].sum())) < 2:
            problems.append("a group has fewer than 2 rows of an outcome")
    if problems:
        raise ProjectError(f"drift on '{drift.column}' cannot run: {'; '.join(problems)}", code="evaluation_drift")
    result = DriftResult(drift, size, len(source), len(target), scored_target, [], [])
    for k in range(repeats):
        for runs, group in ((result.source, source), (result.target, target)):
            train_rows, _ = stratified_split(y, group, size, seed + 7000 + 1000 * k)
            runs.append(evaluate_sample(context, train_rows, scored_target, size=size, repeat=k))
    say(f"drift: {repeats} repeats done ({len(source)} rows with {drift.source_label} and {len(target)} with "
        f"{drift.target_label} to draw {size} from; {len(scored_target)} scored rows with {drift.target_label})")
    return result
