"""Training on small data: defaults chosen for a few hundred rows, repeated cross-validation with
honest intervals, out-of-fold predictions, calibration only where the data allows it, and the
training domain; plus the training data itself, with upstream node outputs computed by the project.
"""

from __future__ import annotations

import hashlib
import io
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from composite.errors import CompositeError, Problem, ProjectError
from composite.ml.artifact import allow_untrained_models, untrained_models_allowed  # noqa: F401  (public here too)
from composite.ml.domain import TrainingDomain
from composite.ml.features import FeatureEncoder, as_columns
from composite.ml.predict import BoosterCore, Calibrator, LinearCore, TrainedModel, _sigmoid
from composite.ml.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd

    from composite.knowledge import Knowledge
    from composite.project import Project

__all__ = [
    "CrossValidation",
    "Interval",
    "TrainingData",
    "allow_untrained_models",
    "choose_calibration",
    "chain_inputs",
    "cross_validate",
    "fit_core",
    "load_training_project",
    "lightgbm_parameters",
    "oof_predictions",
    "single_threaded",
    "staleness",
    "train_model",
    "training_data",
    "untrained_models_allowed",
    "upstream_fingerprints",
    "upstream_nodes",
]

Progress = Callable[[str], None]

# Calibration needs enough of the rarer class: below these counts it is left off (auto).
SIGMOID_MIN_MINORITY = 50
ISOTONIC_MIN_MINORITY = 500
LOGISTIC_CS = tuple(float(c) for c in np.logspace(-3, 1, 9))
# An anchored model's grid reaches further down: at C = 1e-4 the corrections vanish and the model
# is the calibrated expert, the answer when the data says nothing beyond the anchor.
ANCHORED_CS = tuple(float(c) for c in np.logspace(-4, 1, 11))


# ------------------------------------------------------------------------------ small-data defaults


def lightgbm_parameters(n: int, overrides: Mapping[str, Any] | None = None, *, seed: int = 0
                        ) -> tuple[dict[str, Any], dict[str, str]]:
    """LightGBM parameters for `n` training rows, and why each default is what it is.

    LightGBM's own defaults (min_data_in_leaf 20, num_leaves 31, min_data_per_group 100) are made
    for large data: below about 40 rows no split is allowed and it predicts a constant.

    >>> params, why = lightgbm_parameters(25)
    >>> params["min_data_in_leaf"], params["num_leaves"]
    (3, 4)
    """
    min_leaf = int(min(20, max(3, round(math.sqrt(n) / 2))))
    params: dict[str, Any] = {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_iterations": 150,
        "num_leaves": 4,
        "max_depth": 3,
        "min_data_in_leaf": min_leaf,
        "min_sum_hessian_in_leaf": 1e-3,
        "min_data_in_bin": 1 if n < 300 else 3,
        "max_bin": 63,
        "lambda_l2": 1.0,
        "feature_fraction": 0.8,
        "bagging_fraction": 1.0,
        "bagging_freq": 0,
        "max_cat_to_onehot": 32,
        "min_data_per_group": min_leaf,
        "cat_smooth": 10.0,
        "monotone_constraints_method": "advanced",
        "monotone_penalty": 0.0,
        "linear_tree": False,
        "boost_from_average": True,
    }
    why = {
        "objective": "binary log loss: the target is 0/1 and scores are log-odds",
        "learning_rate": "small steps, so the ensemble averages over many weak trees instead of chasing noise",
        "num_iterations": "moderate: with learning_rate 0.05 enough to fit a few hundred rows, too few to "
                          "memorise them",
        "num_leaves": "4 leaves: each tree captures an effect or a two-way interaction, not more than small "
                      "data supports",
        "max_depth": "at most 3 splits from root to leaf, for the same reason",
        "min_data_in_leaf": f"scaled to the data: round(sqrt(n) / 2) within [3, 20] = {min_leaf} for n = {n}; "
                            "LightGBM's 20 forbids every split below 40 rows",
        "min_sum_hessian_in_leaf": "LightGBM's default; min_data_in_leaf is the binding limit",
        "min_data_in_bin": "1 below 300 rows so that rare values still get their own bin, else LightGBM's 3",
        "max_bin": "63 candidate thresholds: small data cannot tell more apart, fewer bins mean less noise fitting",
        "lambda_l2": "mild shrinkage of leaf values, which matters most when leaves hold few rows",
        "feature_fraction": "each tree sees 80% of the features (seeded): decorrelates trees on correlated inputs",
        "bagging_fraction": "no row subsampling: with few rows every row is needed",
        "bagging_freq": "0: no bagging (see bagging_fraction)",
        "max_cat_to_onehot": "unordered categories split one value against the rest, never by sorted gradient "
                             "statistics, which overfit when each category has a handful of rows",
        "min_data_per_group": "a category needs as many rows as a leaf (LightGBM's 100 would disable category splits)",
        "cat_smooth": "LightGBM's default smoothing of category statistics",
        "monotone_constraints_method": "'advanced': exact monotonicity with the least loss of fit",
        "monotone_penalty": "0: constrained features may split anywhere in a tree",
        "linear_tree": "off: contributions stay exact TreeSHAP values",
        "boost_from_average": "start from the training log-odds, which becomes the base value of every explanation",
    }
    for key, value in (overrides or {}).items():
        params[key] = value
        why[key] = "set in the model file"
    params.update({"seed": int(seed), "deterministic": True, "force_row_wise": True, "num_threads": 1,
                   "verbose": -1, "feature_pre_filter": False})
    reproducible = ("with seed, deterministic, force_row_wise and one thread, training gives the same model text "
                    "every time")
    why.update({"seed": "the model file's seed (feature_fraction sampling)", "deterministic": reproducible,
                "force_row_wise": reproducible, "num_threads": reproducible, "verbose": "quiet",
                "feature_pre_filter": "off, so that the settings scaled to n apply to every feature"})
    return params, why


def _logistic_settings(spec: ModelSpec) -> dict[str, Any]:
    hyper = spec.hyperparameters
    grid = ANCHORED_CS if spec.anchor else LOGISTIC_CS
    return {"C": hyper.get("C"), "Cs": tuple(float(c) for c in hyper.get("Cs", grid)),
            "inner_folds": int(hyper.get("inner_folds", 5)), "max_iter": int(hyper.get("max_iter", 500))}


# ------------------------------------------------------------------------------------- fitting


def fit_core(spec: ModelSpec, encoder: FeatureEncoder, matrix: np.ndarray, y: np.ndarray
             ) -> tuple[BoosterCore | LinearCore, dict[str, Any]]:
    """Fit the learner on encoded rows; returns the core and the parameters it used."""
    if spec.algorithm == "lightgbm":
        return _fit_lightgbm(spec, encoder, matrix, y)
    return _fit_logistic(spec, encoder, matrix, y)


def _fit_lightgbm(spec: ModelSpec, encoder: FeatureEncoder, matrix: np.ndarray, y: np.ndarray
                  ) -> tuple[BoosterCore, dict[str, Any]]:
    import lightgbm as lgb

    params, _ = lightgbm_parameters(len(y), spec.hyperparameters, seed=spec.seed)
    params["monotone_constraints"] = encoder.monotone_constraints
    rounds = int(params.pop("num_iterations"))
    dataset = lgb.Dataset(matrix, label=y.astype(np.float64), feature_name=list(encoder.columns),
                          categorical_feature=encoder.categorical_columns or "auto", free_raw_data=True)
    booster = lgb.train(params, dataset, num_boost_round=rounds)
    # What is saved is what predicts: rebuild from the model text right away.
    return BoosterCore(booster.model_to_string()), {**params, "num_iterations": rounds}


def _standardisation(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    center = np.nanmean(matrix, axis=0) if len(matrix) else np.zeros(matrix.shape[1])
    center = np.where(np.isnan(center), 0.0, center)
    scale = np.nanstd(matrix, axis=0) if len(matrix) else np.ones(matrix.shape[1])
    scale = np.where(~np.isfinite(scale) | (scale <= 1e-12), 1.0, scale)
    return center, scale


def _logistic_solve(z: np.ndarray, y: np.ndarray, C: float, bounds: list[tuple[float | None, float | None]],
                    start: np.ndarray | None, max_iter: int, free: np.ndarray | None = None) -> np.ndarray:
    """L2-penalised logistic regression with sign bounds (L-BFGS-B): the same optimum as
    scikit-learn's `LogisticRegression(C=C)`, plus monotone directions as coefficient signs.
    Columns marked in `free` (the anchor) are not penalised."""
    from scipy.optimize import minimize

    n, d = z.shape
    penalty = np.full(d, 1.0 / (C * n))
    if free is not None:
        penalty[free] = 0.0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        margin = z @ w + b
        loss = np.mean(np.logaddexp(0.0, margin) - y * margin) + 0.5 * float(penalty @ (w * w))
        residual = _sigmoid(margin) - y
        grad = np.empty(d + 1)
        grad[:d] = z.T @ residual / n + penalty * w
        grad[d] = residual.mean()
        return float(loss), grad

    x0 = start if start is not None else np.zeros(d + 1)
    result = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds + [(None, None)],
                      options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-11})
    return np.asarray(result.x, dtype=np.float64)


def _fit_logistic(spec: ModelSpec, encoder: FeatureEncoder, matrix: np.ndarray, y: np.ndarray
                  ) -> tuple[LinearCore, dict[str, Any]]:
    from sklearn.model_selection import StratifiedKFold

    settings = _logistic_settings(spec)
    bounds: list[tuple[float | None, float | None]] = [
        (0.0, None) if sign > 0 else (None, 0.0) if sign < 0 else (None, None) for sign in encoder.monotone_constraints]
    y = y.astype(np.float64)
    free = np.array([spec.anchor is not None and encoder.names[i] == spec.anchor for i in encoder.column_feature])
    free = free if free.any() else None
    minority = int(min(y.sum(), len(y) - y.sum()))
    chosen = settings["C"]
    how = "set in the model file" if chosen is not None else ""
    if chosen is None:
        folds = min(settings["inner_folds"], minority)
        if folds < 2:
            chosen, how = 1.0, f"C = 1: too few of the rarer class ({minority}) for an inner cross-validation"
        else:
            losses = np.zeros(len(settings["Cs"]))
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=spec.seed)
            for train, test in splitter.split(matrix, y):
                center, scale = _standardisation(matrix[train])
                z_train = np.where(np.isnan(matrix[train]), center, matrix[train])
                z_train = (z_train - center) / scale
                z_test = (np.where(np.isnan(matrix[test]), center, matrix[test]) - center) / scale
                start = None
                for k, C in enumerate(sorted(settings["Cs"])):  # warm start along the path
                    theta = _logistic_solve(z_train, y[train], C, bounds, start, settings["max_iter"], free)
                    start = theta
                    p = np.clip(_sigmoid(z_test @ theta[:-1] + theta[-1]), 1e-15, 1 - 1e-15)
                    losses[k] += -np.mean(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p))
            best = int(np.argmin(np.round(losses / folds, 12)))  # ties go to the smaller C
            chosen = sorted(settings["Cs"])[best]
            how = f"chosen by {folds}-fold inner cross-validation (log loss) from {len(settings['Cs'])} values"
    center, scale = _standardisation(matrix)
    z = (np.where(np.isnan(matrix), center, matrix) - center) / scale
    theta = _logistic_solve(z, y, float(chosen), bounds, None, settings["max_iter"], free)
    core = LinearCore(center, scale, theta[:-1], float(theta[-1]), C=float(chosen))
    return core, {"C": float(chosen), "C_choice": how, "penalty": "l2", "standardised": True,
                  "monotone": "coefficient signs bounded by knowledge/ directions"}


# ------------------------------------------------------------------------------------ calibration


def choose_calibration(requested: str, positives: int, negatives: int) -> tuple[str, str]:
    """The calibration method the data allows, and why, in words for the model card."""
    minority = min(positives, negatives)
    if requested == "none":
        return "none", "turned off in the model file"
    if minority < SIGMOID_MIN_MINORITY:
        return "none", (f"too few rows of the rarer class ({minority}; calibration needs at least "
                        f"{SIGMOID_MIN_MINORITY}): probabilities are the model's own log-odds")
    if requested == "isotonic" or (requested == "auto" and minority >= ISOTONIC_MIN_MINORITY):
        if minority >= ISOTONIC_MIN_MINORITY:
            return "isotonic", (f"isotonic on out-of-fold scores: {minority} rows of the rarer class "
                                f"(isotonic needs at least {ISOTONIC_MIN_MINORITY})")
        return "sigmoid", (f"sigmoid (Platt) on out-of-fold scores instead of the requested isotonic: "
                           f"{minority} rows of the rarer class, isotonic needs at least {ISOTONIC_MIN_MINORITY}")
    return "sigmoid", (f"sigmoid (Platt) on out-of-fold scores: {minority} rows of the rarer class, enough for "
                       f"two parameters, too few for isotonic ({ISOTONIC_MIN_MINORITY})")


def fit_calibrator(method: str, scores: np.ndarray, y: np.ndarray, reason: str = "") -> Calibrator:
    if method == "sigmoid":
        a, b = _platt(scores, y)
        return Calibrator("sigmoid", a=a, b=b, reason=reason)
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y)
        return Calibrator("isotonic", x=iso.X_thresholds_, y=iso.y_thresholds_, reason=reason)
    return Calibrator("none", reason=reason)


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt (1999) with his smoothed targets, so a perfectly separated fold cannot give infinite slopes."""
    from scipy.optimize import minimize

    positives = float(y.sum())
    negatives = float(len(y) - positives)
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        margin = theta[0] * scores + theta[1]
        loss = np.mean(np.logaddexp(0.0, margin) - target * margin)
        residual = _sigmoid(margin) - target
        return float(loss), np.array([np.mean(residual * scores), residual.mean()])

    result = minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
                      bounds=[(0.0, None), (None, None)], options={"gtol": 1e-10, "ftol": 1e-14})
    return float(result.x[0]), float(result.x[1])


# ------------------------------------------------------------------------------- cross-validation


@dataclass
class Interval:
    """A metric's mean over folds with a 95% interval (corrected resampled t, Nadeau & Bengio 2003:
    the fold variance inflated by n_test / n_train because repeated folds share training rows)."""

    mean: float
    low: float
    high: float
    sd: float
    folds: int
    method: str = "corrected resampled t (Nadeau & Bengio 2003), 95%"

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "sd": self.sd, "folds": self.folds,
                "method": self.method}


def _interval(values: Sequence[float], test_fraction: float, bounds: tuple[float, float]) -> Interval | None:
    from scipy.stats import t

    data = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    if len(data) == 0:
        return None
    mean = float(data.mean())
    if len(data) < 2:
        return Interval(mean, math.nan, math.nan, math.nan, len(data))
    sd = float(data.std(ddof=1))
    half = float(t.ppf(0.975, len(data) - 1)) * math.sqrt((1 / len(data) + test_fraction / (1 - test_fraction))) * sd
    return Interval(mean, max(bounds[0], mean - half), min(bounds[1], mean + half), sd, len(data))


@dataclass
class CrossValidation:
    """Repeated stratified k-fold results. Rows are in the training data's order.

    `oof_score[r, i]` is row i's log-odds from the fold model of repeat r that did not see it;
    `oof_probability` the same through the cross-fitted calibrator (the logistic function when
    calibration is off). `metrics` describe those probabilities, `raw_metrics` the uncalibrated ones.
    """

    folds: int
    repeats: int
    seed: int
    y: np.ndarray
    oof_score: np.ndarray
    oof_probability: np.ndarray
    fold_of: np.ndarray  # (repeats, n): the fold that held each row out
    per_fold: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, Interval | None] = field(default_factory=dict)
    raw_metrics: dict[str, Interval | None] = field(default_factory=dict)
    calibration: str = "none"

    def uncalibrated(self) -> "CrossValidation":
        """The same folds with calibration off: probabilities are the logistic function of the scores."""
        return CrossValidation(self.folds, self.repeats, self.seed, self.y, self.oof_score, _sigmoid(self.oof_score),
                               self.fold_of, [], dict(self.raw_metrics), dict(self.raw_metrics), "none")

    @property
    def mean_oof_probability(self) -> np.ndarray:
        """Each row's out-of-fold probability averaged over the repeats."""
        return self.oof_probability.mean(axis=0)

    @property
    def mean_oof_score(self) -> np.ndarray:
        return self.oof_score.mean(axis=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": f"repeated stratified {self.folds}-fold cross-validation, {self.repeats} repeat(s), "
                      f"seed {self.seed}",
            "folds": self.folds, "repeats": self.repeats, "seed": self.seed,
            "calibration_in_folds": self.calibration,
            "metrics": {k: v.to_json() if v else None for k, v in self.metrics.items()},
            "uncalibrated_metrics": {k: v.to_json() if v else None for k, v in self.raw_metrics.items()},
        }


def _fold_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    both = 0 < y.sum() < len(y)
    return {
        "auc": float(roc_auc_score(y, p)) if both else math.nan,
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
    }


def cross_validate(spec: ModelSpec, encoder: FeatureEncoder, matrix: np.ndarray, y: np.ndarray, *,
                   folds: int | None = None, repeats: int | None = None, calibration: str | None = None,
                   progress: Progress | None = None, metrics: bool = True) -> CrossValidation:
    """Repeated stratified k-fold on encoded rows: out-of-fold scores, calibrated probabilities and
    per-fold metrics with intervals. Folds shrink to the rarer class's count when it is smaller.
    `metrics=False` computes the out-of-fold predictions only (a blend needs nothing else)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    y = np.asarray(y).astype(np.int64)
    n = len(y)
    positives = int(y.sum())
    minority = min(positives, n - positives)
    k = min(folds or spec.validation.folds, minority)
    r = repeats or spec.validation.repeats
    if k < 2:
        raise ProjectError(f"model '{spec.name}': cross-validation needs at least 2 rows of each class, "
                           f"the data has {positives} positive and {n - positives} negative",
                           code="model_data_too_small", file=spec.file)
    if calibration is None:
        calibration, _ = choose_calibration(spec.calibration, positives, n - positives)
    groups = duplicate_groups(matrix)
    if groups is None:
        splits = RepeatedStratifiedKFold(n_splits=k, n_repeats=r, random_state=spec.seed).split(matrix, y)
    else:
        # Rows that are the same applicant twice (a store's data, a resample) stay on one side of
        # every split: a copy on both sides would let a fold score rows it trained on.
        splits = _grouped_splits(matrix, y, groups, k, r, spec.seed)
    scores = np.full((r, n), math.nan)
    fold_of = np.full((r, n), -1, dtype=np.int64)
    total = k * r
    for index, (train, test) in enumerate(splits):
        repeat, fold = divmod(index, k)
        core, _ = fit_core(spec, encoder, matrix[train], y[train])
        scores[repeat, test] = core.raw_score(matrix[test])
        fold_of[repeat, test] = fold
        if progress:
            raw = _fold_metrics(y[test], _sigmoid(scores[repeat, test]))
            progress(f"fold {index + 1}/{total} (repeat {repeat + 1}, fold {fold + 1}): "
                     f"{len(train)} rows in, {len(test)} out, AUC {raw['auc']:.3f}, log loss {raw['log_loss']:.3f}")
    probabilities = np.empty_like(scores)
    per_fold: list[dict[str, float]] = []
    raw_fold: list[dict[str, float]] = []
    for repeat in range(r):
        for fold in range(k):
            held = fold_of[repeat] == fold
            if calibration == "none":
                probabilities[repeat, held] = _sigmoid(scores[repeat, held])
            else:  # cross-fitted: the calibrator never saw the fold it calibrates
                calibrator = fit_calibrator(calibration, scores[repeat, ~held], y[~held])
                probabilities[repeat, held] = calibrator(scores[repeat, held])
            if metrics:
                per_fold.append({"repeat": repeat, "fold": fold,
                                 **_fold_metrics(y[held], probabilities[repeat, held])})
                raw_fold.append(_fold_metrics(y[held], _sigmoid(scores[repeat, held])))
    fraction = 1.0 / k

    def summarise(rows: list[dict[str, float]]) -> dict[str, Interval | None]:
        return {"auc": _interval([f["auc"] for f in rows], fraction, (0.0, 1.0)),
                "brier": _interval([f["brier"] for f in rows], fraction, (0.0, 1.0)),
                "log_loss": _interval([f["log_loss"] for f in rows], fraction, (0.0, math.inf))}

    return CrossValidation(folds=k, repeats=r, seed=spec.seed, y=y, oof_score=scores, oof_probability=probabilities,
                           fold_of=fold_of, per_fold=per_fold, metrics=summarise(per_fold) if metrics else {},
                           raw_metrics=summarise(raw_fold) if metrics else {}, calibration=calibration)


def duplicate_groups(matrix: np.ndarray) -> np.ndarray | None:
    """A group number per row, equal for rows with the same encoded features (compared bit for bit,
    so two missing values match), or None when every row is distinct."""
    rows = np.ascontiguousarray(matrix, dtype=np.float64)
    if rows.ndim != 2 or len(rows) == 0:
        return None
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, groups = np.unique(keys, return_inverse=True)
    return None if groups.max() + 1 == len(rows) else groups.astype(np.int64)


def _grouped_splits(matrix: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int, repeats: int,
                    seed: int) -> Any:
    """Repeated stratified k-fold that keeps each group of identical rows in one fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    distinct = int(groups.max()) + 1
    if distinct < k:
        raise ProjectError(f"cross-validation needs at least {k} distinct rows, the data has {distinct}",
                           code="model_data_too_small")
    for repeat in range(repeats):
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed + repeat)
        yield from splitter.split(matrix, y, groups)


# ------------------------------------------------------------------------------------ training data


@dataclass
class TrainingData:
    """The rows a model learns from: every feature (inputs and upstream outputs) and the target."""

    frame: "pd.DataFrame"
    source: str | None = None  # the data file, relative to the project root
    sha256: str | None = None  # of the data file's bytes
    upstream: tuple[str, ...] = ()  # nodes run to compute features
    upstream_hashes: dict[str, str] = field(default_factory=dict)  # node -> fingerprint of its definition
    domain_inputs: tuple[str, ...] = ()  # request inputs of the chain that are not features (domain check)

    @property
    def size(self) -> int:
        return len(self.frame)


def load_training_project(root: Path) -> "Project":
    from composite.project import load_project

    with allow_untrained_models():
        return load_project(root)


def training_data(project: "Project", spec: ModelSpec, *, frame: "pd.DataFrame | None" = None) -> TrainingData:
    """The model's training rows: its data file (or `frame`), validated against knowledge/, with
    every feature that another node writes computed by running those nodes (and only those, in
    graph order) column-wise over the rows."""
    import pandas as pd

    from composite.knowledge import InputSchema

    source = sha = None
    if frame is None:
        from composite._files import read_project_file

        path, data = read_project_file(project.root, spec.data, referenced_from=(spec.file, spec.line_of("data")),
                                       field="data", data_file=True, what="training data")
        sha = "sha256:" + hashlib.sha256(data).hexdigest()
        source = spec.data
        try:
            buffer = io.BytesIO(data)  # the bytes checked and hashed, not the path read again
            frame = pd.read_csv(buffer) if path.suffix.lower() != ".json" else pd.read_json(buffer)
        except Exception as exc:
            raise ProjectError(f"cannot read '{spec.data}': {exc}", code="model_data", file=spec.data) from None
    assert frame is not None
    where = source or "the training frame"
    if spec.target not in frame.columns:
        raise ProjectError(f"{where} has no column '{spec.target}' (the target)", code="model_data",
                           file=spec.file, line=spec.line_of("target"), field="target")
    writer = project.graph.writer
    nodes = upstream_nodes(project, spec)
    inputs: list[str] = []
    for name in [n for node in nodes for n in node.reads] + list(spec.features):
        if name not in writer and name not in inputs:
            inputs.append(name)
    missing = [name for name in inputs if name not in frame.columns]
    domain = [name for name in chain_inputs(project) if name not in spec.features and name in frame.columns]
    inputs += [name for name in domain if name not in inputs]
    if missing:
        raise ProjectError(f"{where} lacks column(s) {', '.join(missing)} that the model "
                           f"{'or its upstream nodes ' if nodes else ''}need", code="model_data",
                           file=spec.file, line=spec.line_of("data"), field="data")
    schema = InputSchema(project.knowledge, inputs)
    try:
        columns = schema.validate_frame(frame[inputs])
    except CompositeError as exc:
        raise ProjectError(f"{where} does not fit knowledge/", code="model_data",
                           problems=[Problem(p.code, f"{where}: {p.message}", file=source or spec.file,
                                             field=p.field) for p in exc.problems]) from None
    values: dict[str, np.ndarray] = dict(columns)
    size = len(frame)
    for node in nodes:
        if getattr(node, "untrained", False):
            raise ProjectError(f"feature(s) of model '{spec.name}' come from model node '{node.name}', which is "
                               f"not trained yet: run `composite train` for it first", code="model_not_trained",
                               file=spec.file, line=spec.line_of("features"))
        result = node.evaluate_batch({key: values[key] for key in node.reads}, size)
        for key, column in result.outputs.items():
            values[key] = np.asarray(column)
    out = pd.DataFrame({name: values[name] for name in [*spec.features, *domain]}, index=frame.index)
    out[spec.target] = frame[spec.target].to_numpy()
    return TrainingData(out, source, sha, tuple(node.name for node in nodes), upstream_fingerprints(project, nodes),
                        tuple(domain))


def chain_inputs(project: "Project") -> list[str]:
    """The request inputs the decision chain reads (in graph order), for the models' domain check:
    when the population moves on any of them, not only on a model's features, the model is outside
    what it learned from. Protected concepts are left out (nothing may decide on them), and so are
    free-text strings (no range or category to check)."""
    writer = project.graph.writer
    out: list[str] = []
    for node in project.graph.order:
        for name in node.reads:
            concept = project.knowledge.get(name)
            if (name in writer or name in out or concept is None or concept.protected
                    or concept.type not in ("number", "integer", "boolean", "category")):
                continue
            out.append(name)
    return out


def _domain_inputs(names: Sequence[str], spec: ModelSpec, knowledge: "Knowledge",
                   frame: "pd.DataFrame") -> dict[str, tuple[str, Sequence[Any] | None]]:
    """Inputs the domain checks besides the features: name -> (kind, values) from knowledge/."""
    out: dict[str, tuple[str, Sequence[Any] | None]] = {}
    for name in names:
        concept = knowledge.get(name)
        if name in spec.features or name not in frame.columns or concept is None:
            continue
        if concept.type in ("number", "integer"):
            out[name] = ("number", None)
        elif concept.type == "boolean":
            out[name] = ("boolean", None)
        elif concept.type == "category" and concept.values:
            out[name] = ("category", tuple(concept.values))
    return out


def upstream_fingerprints(project: "Project", nodes: Sequence[Any]) -> dict[str, str]:
    """A hash per upstream node of what defines its outputs (its description and its file's content):
    when one changes, the features the model was trained on mean something else."""
    import json

    out = {}
    for node in nodes:
        file = getattr(node, "file", None)
        payload = {"describe": node.describe(), "file": project.artifacts.get(file) if isinstance(file, str) else None}
        text = json.dumps(payload, sort_keys=True, default=str)
        out[node.name] = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return out


def upstream_nodes(project: "Project", spec: ModelSpec) -> list[Any]:
    """The nodes that must run, in graph order, to compute the model's features from its inputs."""
    import networkx as nx

    writer = project.graph.writer
    needed: set[str] = set()
    for feature in spec.features:
        if feature in writer:
            needed.add(writer[feature])
            needed |= nx.ancestors(project.graph.graph, writer[feature])
    return [node for node in project.graph.order if node.name in needed]


def staleness(project: "Project", spec: ModelSpec) -> list[str]:
    """Why the saved model of `spec` no longer matches the project (empty when it is current):
    not trained, another model file, other knowledge/, other training data, or upstream nodes that
    changed since training (so a feature such as an expert score now means something else)."""
    import json

    from composite.ml.artifact import load_saved_model

    path = project.root / spec.artifact_file
    if not path.is_file():
        return [f"not trained: {spec.artifact_file} does not exist"]
    document = json.loads(path.read_bytes())
    reasons = []
    if document.get("spec") != spec.training_fingerprint():
        reasons.append(f"{spec.file} changed since training")
    model = load_saved_model(project.root, spec)
    if not reasons:
        reasons.extend(model.encoder.differences(FeatureEncoder.from_knowledge(spec, project.knowledge)))
    data = (document.get("summary") or {}).get("data") or {}
    data_file = project.root / spec.data
    if data.get("sha256") and data_file.is_file():
        if "sha256:" + hashlib.sha256(data_file.read_bytes()).hexdigest() != data["sha256"]:
            reasons.append(f"the training data {spec.data} changed since training")
    before = data.get("upstream_hashes") or {}
    now = upstream_fingerprints(project, upstream_nodes(project, spec))
    changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
    if changed:
        reasons.append(f"upstream node(s) {', '.join(changed)} changed since training, so the features they "
                       "compute mean something else")
    return reasons


def binary_target(values: Any, *, name: str, where: str | None = None) -> np.ndarray:
    """0/1 from 0/1 numbers or booleans; anything else is a located error."""
    array = np.asarray(values)
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    try:
        numbers = array.astype(np.float64)
    except (TypeError, ValueError):
        numbers = np.array([math.nan])
    if np.isnan(numbers).any() or not np.isin(numbers, (0.0, 1.0)).all():
        bad = sorted({str(v) for v in array.tolist() if v not in (0, 1, True, False)})[:5]
        raise ProjectError(f"the target '{name}' must be 0/1 or true/false in every row; found {', '.join(bad)}",
                           code="model_target", file=where)
    return numbers.astype(np.int64)


# ------------------------------------------------------------------------------------ training


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS and OpenMP limited to one thread while training. The learners are single-threaded by
    design (reproducible bytes); the linear algebra around them (logistic regression's solver, the
    domain's covariance) gains nothing from threads on matrices this small, and on a busy machine
    threads spinning against each other made training 5 to 40 times slower. Results are identical."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        yield
        return
    import scipy.optimize  # noqa: F401  - load the BLAS libraries first: the limit applies to those loaded
    import sklearn.covariance  # noqa: F401

    with threadpool_limits(limits=1):
        yield


def train_model(spec: ModelSpec, data: "TrainingData | pd.DataFrame | Mapping[str, Any]", knowledge: "Knowledge",
                *, progress: Progress | None = None, folds: int | None = None, repeats: int | None = None,
                validate: bool = True, domain_inputs: Sequence[str] | None = None) -> TrainedModel:
    """Cross-validate, calibrate on the out-of-fold scores where the data allows, fit on every row,
    and summarise the training domain. `data` holds the features and the target (use
    `training_data` to compute upstream features). With `validate=False` no cross-validation runs
    (so no metrics and no calibration): the quick path for benchmarks that score on their own test set.

    >>> model = train_model(spec, training_data(project, spec), project.knowledge)   # doctest: +SKIP
    >>> model.cross_validation.mean_oof_probability                                   # doctest: +SKIP
    """
    with single_threaded():
        return _train_model(spec, data, knowledge, progress=progress, folds=folds, repeats=repeats,
                            validate=validate, domain_inputs=domain_inputs)


def _train_model(spec: ModelSpec, data: "TrainingData | pd.DataFrame | Mapping[str, Any]", knowledge: "Knowledge",
                 *, progress: Progress | None, folds: int | None, repeats: int | None, validate: bool,
                 domain_inputs: Sequence[str] | None) -> TrainedModel:
    if not isinstance(data, TrainingData):
        import pandas as pd

        data = TrainingData(data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data)))
    say = progress or (lambda message: None)
    encoder = FeatureEncoder.from_knowledge(spec, knowledge)
    frame = data.frame
    columns, size = as_columns(frame[list(spec.features)])
    y = binary_target(frame[spec.target].to_numpy(), name=spec.target, where=data.source or spec.file)
    positives = int(y.sum())
    negatives = size - positives
    if positives == 0 or negatives == 0:
        raise ProjectError(f"model '{spec.name}' needs both outcomes in its training data; "
                           f"'{spec.target}' is {'1' if negatives == 0 else '0'} in all {size} rows",
                           code="model_target", file=data.source or spec.file)
    matrix = encoder.encode(columns, size)
    say(f"model '{spec.name}' ({spec.algorithm}): {size} rows ({positives} with {spec.target} = 1), "
        f"{len(encoder.names)} features, {sum(1 for f in encoder.features if f.monotone)} monotone")
    method, reason = choose_calibration(spec.calibration, positives, negatives)
    cv: CrossValidation | None = None
    if validate:
        cv = cross_validate(spec, encoder, matrix, y, folds=folds, repeats=repeats, calibration=method, progress=say)
        with_, without = cv.metrics.get("log_loss"), cv.raw_metrics.get("log_loss")
        if spec.calibration == "auto" and method != "none" and with_ and without and with_.mean >= without.mean:
            reason = (f"left off: {method} calibration would not lower the cross-fitted out-of-fold log loss "
                      f"({with_.mean:.4f} with it, {without.mean:.4f} without), so the model's own log-odds are used")
            method = "none"
            cv = cv.uncalibrated()
        say(f"calibration: {method}")
        calibrator = fit_calibrator(method, cv.oof_score.reshape(-1), np.tile(y, cv.repeats), reason)
    else:
        calibrator = Calibrator("none", reason="not validated, so not calibrated")
    say(f"fitting the final model on all {size} rows")
    core, used = fit_core(spec, encoder, matrix, y)
    extra = _domain_inputs(data.domain_inputs if domain_inputs is None else domain_inputs, spec, knowledge, frame)
    domain = TrainingDomain.fit(encoder, {**columns, **{name: frame[name].to_numpy() for name in extra}}, size,
                                inputs=extra)
    card = _card(spec, data, encoder, used, calibrator, cv, domain, size, positives)
    return TrainedModel(spec.name, spec.algorithm, spec.target, encoder, core, calibrator, domain, card, cv)


def oof_predictions(spec: ModelSpec, data: "TrainingData | pd.DataFrame", knowledge: "Knowledge", *,
                    folds: int | None = None, repeats: int | None = None) -> CrossValidation:
    """Out-of-fold predictions only (no final model): for estimating how much weight a model has
    earned against another source on the same rows. `CrossValidation.mean_oof_probability` is one
    out-of-fold probability per row."""
    frame = data.frame if isinstance(data, TrainingData) else data
    encoder = FeatureEncoder.from_knowledge(spec, knowledge)
    columns, size = as_columns(frame[list(spec.features)])
    y = binary_target(frame[spec.target].to_numpy(), name=spec.target)
    return cross_validate(spec, encoder, encoder.encode(columns, size), y, folds=folds, repeats=repeats)


def _card(spec: ModelSpec, data: TrainingData, encoder: FeatureEncoder, used: Mapping[str, Any],
          calibrator: Calibrator, cv: CrossValidation | None, domain: TrainingDomain, size: int,
          positives: int) -> dict[str, Any]:
    import lightgbm
    import sklearn

    import composite

    prevalence = positives / size
    baseline = {
        "auc": 0.5,
        "brier": prevalence * (1 - prevalence),
        "log_loss": -(prevalence * math.log(prevalence) + (1 - prevalence) * math.log(1 - prevalence)),
    }
    if spec.algorithm == "lightgbm":
        _, why = lightgbm_parameters(size, spec.hyperparameters, seed=spec.seed)
        hyper = {key: {"value": used[key], "why": why.get(key, "")}
                 for key in ["num_iterations", *used] if key in used and key != "monotone_constraints"}
    else:
        hyper = {key: {"value": value} for key, value in used.items()}
    return {
        "name": spec.name,
        "description": spec.description,
        "algorithm": spec.algorithm,
        "target": spec.target,
        "output": spec.output,
        "spec_file": spec.file,
        "data": {"file": data.source, "sha256": data.sha256, "rows": size, "positives": positives,
                 "negatives": size - positives, "prevalence": prevalence, "upstream_nodes": list(data.upstream),
                 "upstream_hashes": data.upstream_hashes},
        "features": [
            {**f.to_json(), "columns": list(f.columns)} for f in encoder.features
        ],
        "hyperparameters": hyper,
        "validation": cv.to_json() if cv else None,
        "baseline": {"method": "predict the training prevalence for everyone", **baseline},
        "calibration": calibrator.to_json(),
        "domain": {"rows": domain.summary.get("rows"), "features": domain.summary.get("features"),
                   **({"inputs": domain.summary["inputs"]} if domain.summary.get("inputs") else {}),
                   "distance": {k: v for k, v in (domain.summary.get("distance") or {}).items()
                                if k in ("method", "quantiles")}},
        "versions": {"composite": composite.__version__, "lightgbm": lightgbm.__version__,
                     "scikit-learn": sklearn.__version__, "numpy": np.__version__},
    }
