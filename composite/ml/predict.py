"""Prediction with a trained model: probabilities, contributions that add up to the score, reasons
in the words of knowledge/, and the training-domain check; plus the evidence a model step records.

The score is the model's log-odds before calibration; contributions plus the base value add up to
it (LightGBM TreeSHAP via `pred_contrib`, or a linear model's terms coef * (x - mean) / scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from composite.ml.domain import DomainCheck, TrainingDomain
from composite.ml.features import FeatureEncoder, as_columns

if TYPE_CHECKING:
    from composite.ml.train import CrossValidation

__all__ = [
    "BoosterCore",
    "Calibrator",
    "DomainEvidence",
    "DomainIssue",
    "LinearCore",
    "ModelEvidence",
    "Prediction",
    "Reason",
    "TrainedModel",
    "feature_label",
    "render_evidence",
]


# ---------------------------------------------------------------------------------------- cores


class BoosterCore:
    """A LightGBM booster, kept as (and always rebuilt from) its model text.

    It predicts through lib_lightgbm directly (`composite.ml.booster`): the same scores and
    TreeSHAP contributions as `lightgbm.Booster`, without importing the lightgbm package and, with
    it, scikit-learn. `booster` is a `lightgbm.Booster` of the same text, built when first asked.
    """

    algorithm = "lightgbm"

    def __init__(self, text: str) -> None:
        from composite.ml.booster import load_booster

        self.text = text
        self._core = load_booster(text)
        self._booster: Any = None

    @property
    def booster(self) -> Any:
        """The model as a `lightgbm.Booster` (imports the lightgbm package)."""
        if self._booster is None:
            import lightgbm as lgb

            booster = lgb.Booster(model_str=self.text)
            booster.params.pop("num_threads", None)
            self._booster = booster
        return self._booster

    def raw_score(self, matrix: np.ndarray) -> np.ndarray:
        return self._core.raw_score(matrix)

    def column_contributions(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(per-column contributions, per-row base value): TreeSHAP in log-odds."""
        out = self._core.contributions(matrix)
        return out[:, :-1], out[:, -1]


class LinearCore:
    """A logistic regression on standardised columns: score = intercept + sum(coef * (x - center) / scale).

    A missing value sits at the training mean (its term is zero). The intercept is the score of
    the average applicant, so each term is that feature's push away from it.
    """

    algorithm = "logistic_regression"

    def __init__(self, center: Sequence[float], scale: Sequence[float], coef: Sequence[float], intercept: float,
                 C: float | None = None) -> None:
        self.center = np.asarray(center, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.C = C

    def standardise(self, matrix: np.ndarray) -> np.ndarray:
        z = (matrix - self.center) / self.scale
        return np.where(np.isnan(z), 0.0, z)

    def column_contributions(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terms = self.standardise(matrix) * self.coef
        return terms, np.full(len(matrix), self.intercept)

    def raw_score(self, matrix: np.ndarray) -> np.ndarray:
        terms, base = self.column_contributions(matrix)
        return base + terms.sum(axis=1)

    def to_json(self) -> dict[str, Any]:
        return {"center": self.center.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "C": self.C}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LinearCore":
        return cls(data["center"], data["scale"], data["coef"], data["intercept"], data.get("C"))


# ----------------------------------------------------------------------------------- calibration


class Calibrator:
    """Maps the model's log-odds to a probability: the logistic function itself ("none"), Platt's
    sigmoid `1 / (1 + exp(-(a * score + b)))`, or an isotonic step function."""

    def __init__(self, method: str = "none", *, a: float = 1.0, b: float = 0.0,
                 x: Sequence[float] | None = None, y: Sequence[float] | None = None, reason: str = "") -> None:
        self.method = method
        self.a, self.b = float(a), float(b)
        self.x = np.asarray(x if x is not None else [], dtype=np.float64)
        self.y = np.asarray(y if y is not None else [], dtype=np.float64)
        self.reason = reason

    def __call__(self, score: np.ndarray) -> np.ndarray:
        score = np.asarray(score, dtype=np.float64)
        if self.method == "sigmoid":
            return _sigmoid(self.a * score + self.b)
        if self.method == "isotonic":
            return np.clip(np.interp(score, self.x, self.y), 1e-6, 1 - 1e-6)
        return _sigmoid(score)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "reason": self.reason}
        if self.method == "sigmoid":
            out.update(a=self.a, b=self.b)
        elif self.method == "isotonic":
            out.update(x=self.x.tolist(), y=self.y.tolist())
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Calibrator":
        return cls(data.get("method", "none"), a=data.get("a", 1.0), b=data.get("b", 0.0), x=data.get("x"),
                   y=data.get("y"), reason=data.get("reason", ""))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exact and overflow-free on both tails
    out = np.empty_like(z, dtype=np.float64)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


# ------------------------------------------------------------------------------------ prediction


@dataclass
class Prediction:
    """Model outputs for n rows; `contributions[i]` + `base_value[i]` add up to `score[i]`."""

    features: tuple[str, ...]
    score: np.ndarray
    probability: np.ndarray
    base_value: np.ndarray | None = None
    contributions: np.ndarray | None = None  # (n, features)
    domain: DomainCheck | None = None

    def __len__(self) -> int:
        return len(self.score)


@dataclass
class TrainedModel:
    """A trained model as it is saved and loaded: the encoding, the learner, the calibrator and the
    training domain, plus `card` (what the model card shows). `cross_validation` is only set right
    after training (it holds the out-of-fold predictions and is never saved)."""

    name: str
    algorithm: str
    target: str
    encoder: FeatureEncoder
    core: BoosterCore | LinearCore
    calibrator: Calibrator
    domain: TrainingDomain
    card: dict[str, Any] = field(default_factory=dict)
    cross_validation: "CrossValidation | None" = None

    @property
    def features(self) -> tuple[str, ...]:
        return self.encoder.names

    def predict(self, data: Any, *, contributions: bool = True, domain: bool = True,
                issues: bool = True) -> Prediction:
        """Predict every row of a DataFrame or a mapping of columns (or one row as a mapping of values).

        `issues=False`: the domain check as the inside mask and distances only, no issue listed.

        >>> model.predict(frame).probability        # doctest: +SKIP
        """
        columns, size = as_columns(data)
        matrix = self.encoder.encode(columns, size)
        base = contrib = None
        # The score is the model's own prediction, asked for or not the contributions: a decision
        # made without evidence and its evidence derived later give the same score, bit for bit.
        # (The contributions add up to it to ~1e-15: TreeSHAP sums in another order.)
        score = self.core.raw_score(matrix)
        if contributions:
            per_column, base = self.core.column_contributions(matrix)
            if per_column.shape[1] == len(self.encoder.names):
                contrib = per_column
            else:  # one-hot columns: one contribution per feature
                contrib = np.zeros((size, len(self.encoder.names)), dtype=np.float64)
                for j, feature in enumerate(self.encoder.column_feature):
                    contrib[:, feature] += per_column[:, j]
        check = self.domain.check(self.encoder, columns, size, encoded=matrix, issues=issues) if domain else None
        return Prediction(self.encoder.names, score, self.calibrator(score), base, contrib, check)

    def predict_proba(self, data: Any) -> np.ndarray:
        """Calibrated probabilities only (the fast path: no contributions, no domain check)."""
        return self.predict(data, contributions=False, domain=False).probability


# ---------------------------------------------------------------------------------------- evidence


class Reason(BaseModel):
    """One feature's push on the score, in the words of knowledge/."""

    model_config = ConfigDict(extra="forbid")

    feature: str
    value: Any = None
    contribution: float
    direction: Literal["raises", "lowers"]
    text: str


class DomainIssue(BaseModel):
    """One way the input lies outside the training domain, and how far."""

    model_config = ConfigDict(extra="forbid")

    feature: str | None = None  # None for the distance check
    kind: Literal["below_range", "above_range", "unseen_category", "missing_value", "far_from_training"]
    value: Any = None
    limit: Any = None  # the training minimum / maximum, the seen categories, or the distance's 99th percentile
    excess: float | None = None  # how far beyond the limit, in the feature's unit (or distance units)
    excess_sd: float | None = None  # the same in training standard deviations
    ratio: float | None = None  # distance / its training 99th percentile


class DomainEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inside: bool
    distance: float | None = None
    distance_p99: float | None = None
    issues: list[DomainIssue] = Field(default_factory=list)


class ModelEvidence(BaseModel):
    """What a model step records: the score and how each feature built it, the top reasons, and
    whether the input lay inside the training domain."""

    model_config = ConfigDict(extra="forbid")

    model: str
    algorithm: str
    artifact: str  # content hash of the trained artifact
    target: str
    score: float  # log-odds before calibration
    base_value: float
    probability: float
    calibration: str
    contributions: dict[str, float]  # per feature; base_value + their sum == score (to ~1e-15)
    reasons: list[Reason]
    domain: DomainEvidence


def feature_label(name: str, knowledge: Any) -> str:
    """A short phrase for a feature: the first clause of its concept's description, else its name."""
    concept = knowledge.get(name) if knowledge is not None and hasattr(knowledge, "get") else None
    text = (getattr(concept, "description", None) or "").strip()
    if not text:
        return name.replace("_", " ")
    cut = len(text)
    for mark in (":", ";", ",", ". ", " ("):
        at = text.find(mark)
        if 0 < at < cut:
            cut = at
    text = " ".join(text[:cut].split())
    return text[0].lower() + text[1:] if text[:2] != text[:2].upper() else text


def format_value(name: str, value: Any, knowledge: Any) -> str:
    concept = knowledge.get(name) if knowledge is not None and hasattr(knowledge, "get") else None
    if value is None:
        return "missing"
    if concept is not None and hasattr(concept, "format"):
        try:
            return str(concept.format(value))
        except Exception:  # a value the concept cannot format: show it plain
            pass
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def reasons_for(features: Sequence[str], values: Sequence[Any], contributions: np.ndarray, knowledge: Any,
                per_direction: int) -> list[dict[str, Any]]:
    """The `per_direction` strongest raising and lowering features, strongest first."""
    if per_direction <= 0:
        return []
    order = np.argsort(-np.abs(contributions), kind="stable")
    ups: list[dict[str, Any]] = []
    downs: list[dict[str, Any]] = []
    for j in order:
        c = float(contributions[j])
        if c == 0.0 or (len(ups) >= per_direction and len(downs) >= per_direction):
            continue
        bucket = ups if c > 0 else downs
        if len(bucket) >= per_direction:
            continue
        name = features[j]
        bucket.append({"feature": name, "value": values[j], "contribution": c,
                       "direction": "raises" if c > 0 else "lowers",
                       "text": f"{feature_label(name, knowledge)}: {format_value(name, values[j], knowledge)}"})
    return ups + downs


_ROW_BY_ROW_BELOW = 8  # rows


def batch_reasons(features: Sequence[str], values: Sequence[Sequence[Any]], contributions: np.ndarray,
                  knowledge: Any, per_direction: int, *, labels: Sequence[str] | None = None) -> list[list[dict[str, Any]]]:
    """`reasons_for` of every row at once: `values[j]` is feature j's column (plain Python values,
    None for missing), `contributions` the (rows, features) matrix. The same dicts as `reasons_for`
    row by row, value for value and string for string.

    The ranking is one stable argsort of the whole matrix (as `reasons_for` sorts each row); the
    strongest `per_direction` of each sign are picked by a running count. Labels are computed once
    per feature (or given, as `labels`), a value's text once per distinct value of a feature; per
    row only the picked reasons' dicts are assembled.
    """
    contributions = np.asarray(contributions, dtype=np.float64)
    size = contributions.shape[0]
    out: list[list[dict[str, Any]]] = [[] for _ in range(size)]
    if per_direction <= 0 or size == 0 or contributions.shape[1] == 0:
        return out
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")
    ranked = np.take_along_axis(contributions, order, axis=1)
    raising = ranked > 0
    lowering = ~raising & (ranked != 0)  # negative, or NaN (which `reasons_for` counts as lowering)
    if labels is None:
        labels = [feature_label(name, knowledge) for name in features]
    texts: list[dict[Any, str]] = [{} for _ in features]

    def text(j: int, value: Any) -> str:
        cls = value.__class__
        if cls is float and value == 0.0:  # 0.0 and -0.0 are one key but two texts
            return f"{labels[j]}: {format_value(features[j], value, knowledge)}"
        key = (cls, value)  # 1, 1.0 and True are one dict key but three texts
        cache = texts[j]
        try:
            return cache[key]
        except KeyError:
            found = cache[key] = f"{labels[j]}: {format_value(features[j], value, knowledge)}"
            return found
        except TypeError:  # unhashable
            return f"{labels[j]}: {format_value(features[j], value, knowledge)}"

    if size <= _ROW_BY_ROW_BELOW:  # a handful of rows: the row loop costs less than the array calls
        for i, row in enumerate(contributions.tolist()):
            ups: list[dict[str, Any]] = []
            downs: list[dict[str, Any]] = []
            # stable and NaN last, as argsort(-abs(row), kind="stable")
            for j in sorted(range(len(row)), key=lambda j: (row[j] != row[j], -abs(row[j]))):
                c = row[j]
                if c == 0.0:
                    continue
                bucket = ups if c > 0 else downs
                if len(bucket) >= per_direction:
                    if len(ups) >= per_direction and len(downs) >= per_direction:
                        break
                    continue
                value = values[j][i]
                bucket.append({"feature": features[j], "value": value, "contribution": c,
                               "direction": "raises" if c > 0 else "lowers", "text": text(j, value)})
            out[i] = ups + downs
        return out
    # all raising reasons of every row first, then the lowering ones: each row's list is ups + downs
    for mask, direction in ((raising, "raises"), (lowering, "lowers")):
        picked = mask & (np.cumsum(mask, axis=1) <= per_direction)
        rows, slots = np.nonzero(picked)
        if not rows.size:
            continue
        for i, j, c in zip(rows.tolist(), order[rows, slots].tolist(), ranked[rows, slots].tolist()):
            value = values[j][i]
            out[i].append({"feature": features[j], "value": value, "contribution": c, "direction": direction,
                           "text": text(j, value)})
    return out


def evidence_rows(model: TrainedModel, prediction: Prediction, columns: Mapping[str, Any], *, artifact: str,
                  knowledge: Any, reasons: int, labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One JSON-ready `ModelEvidence` dict per predicted row, built from columns: reasons by
    `batch_reasons`, the domain by `DomainCheck.rows`; per row only the dicts are assembled.
    `labels` are the features' `feature_label`s if already at hand."""
    size = len(prediction)
    features = prediction.features
    values = [_python_list(columns[name], size) for name in features]
    contributions = prediction.contributions
    assert contributions is not None and prediction.base_value is not None and prediction.domain is not None
    reason_rows = batch_reasons(features, values, contributions, knowledge, reasons, labels=labels)
    domains = prediction.domain.rows()
    head = {"model": model.name, "algorithm": model.algorithm, "artifact": artifact, "target": model.target}
    calibration = model.calibrator.method
    return [{**head, "score": score, "base_value": base, "probability": probability, "calibration": calibration,
             "contributions": dict(zip(features, contribution)), "reasons": reason, "domain": domain}
            for score, base, probability, contribution, reason, domain in zip(
                np.asarray(prediction.score, dtype=np.float64).tolist(),
                np.asarray(prediction.base_value, dtype=np.float64).tolist(),
                np.asarray(prediction.probability, dtype=np.float64).tolist(),
                contributions.tolist(), reason_rows, domains)]


def evidence_rows_reference(model: TrainedModel, prediction: Prediction, columns: Mapping[str, Any], *,
                            artifact: str, knowledge: Any, reasons: int) -> list[dict[str, Any]]:
    """`evidence_rows` row by row with `reasons_for` and `DomainCheck.row`: the reference the tests
    hold the column-wise path to."""
    size = len(prediction)
    features = prediction.features
    values = [_python_list(columns[name], size) for name in features]
    contributions = prediction.contributions
    assert contributions is not None and prediction.base_value is not None and prediction.domain is not None
    rows = []
    contribution_lists = contributions.tolist()
    for i in range(size):
        row_values = [column[i] for column in values]
        rows.append({
            "model": model.name,
            "algorithm": model.algorithm,
            "artifact": artifact,
            "target": model.target,
            "score": float(prediction.score[i]),
            "base_value": float(prediction.base_value[i]),
            "probability": float(prediction.probability[i]),
            "calibration": model.calibrator.method,
            "contributions": dict(zip(features, contribution_lists[i])),
            "reasons": reasons_for(features, row_values, contributions[i], knowledge, reasons),
            "domain": prediction.domain.row(i),
        })
    return rows


def _python_list(raw: Any, size: int) -> list[Any]:
    """A column as plain Python values, NaN as None."""
    if isinstance(raw, list):
        return [None if isinstance(v, float) and math.isnan(v) else v for v in raw]
    array = np.asarray(raw).reshape(size)
    values = array.tolist()
    if array.dtype.kind == "f":
        for i in np.flatnonzero(np.isnan(array)).tolist():
            values[i] = None
        return values
    if array.dtype.kind != "O" or not any(issubclass(t, float) for t in set(map(type, values))):
        return values  # ints, booleans, strings: no NaN
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


# --------------------------------------------------------------------------------------- render


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def describe_issue(issue: Mapping[str, Any], knowledge: Any) -> str:
    kind = issue.get("kind")
    name = issue.get("feature")
    if kind == "far_from_training":
        ratio = issue.get("ratio")
        times = f", {ratio:.2f}x" if ratio else ""
        return (f"distance {issue.get('value', 0):.2f} from the training data is beyond its 99th percentile "
                f"{issue.get('limit', 0):.2f}{times}")
    label = feature_label(name or "", knowledge)
    value = format_value(name or "", issue.get("value"), knowledge)
    if kind in ("below_range", "above_range"):
        side = "minimum" if kind == "below_range" else "maximum"
        where = "below" if kind == "below_range" else "above"
        excess = issue.get("excess")
        sd = issue.get("excess_sd")
        by = f" by {format_value(name or '', _tidy(excess), knowledge)}" if excess is not None else ""
        sds = f" ({sd:.1f} SD)" if sd is not None else ""
        limit = format_value(name or "", issue.get("limit"), knowledge)
        return f"{label}: {value} is {where} the training {side} {limit}{by}{sds}"
    if kind == "unseen_category":
        return f"{label}: {value} never occurred in the training data"
    if kind == "missing_value":
        return f"{label}: missing, and never missing in the training data"
    return f"{label}: {kind}"


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def render_evidence(evidence: Mapping[str, Any], *, read: Mapping[str, Any], wrote: Mapping[str, Any],
                    knowledge: Any) -> list[str]:
    """A model step in an expert's words.

    >>> render_evidence({"model": "risk", "algorithm": "lightgbm", "artifact": "sha256:3f2a9c1d00",
    ...     "target": "default", "score": -1.0, "base_value": -0.8, "probability": 0.27, "calibration": "none",
    ...     "contributions": {"age": -0.2}, "reasons": [{"feature": "age", "value": 50, "contribution": -0.2,
    ...     "direction": "lowers", "text": "age: 50"}], "domain": {"inside": True, "distance": 1.5,
    ...     "distance_p99": 4.0, "issues": []}}, read={}, wrote={}, knowledge=None)[:2]
    ["model 'risk' (lightgbm, 3f2a9c1d…): probability of default 0.27", 'lowers it: age: 50 (-0.20)']
    """
    digest = str(evidence.get("artifact", "")).split(":")[-1][:8]
    target = str(evidence.get("target", "the target")).replace("_", " ")
    head = (f"model '{evidence.get('model')}' ({evidence.get('algorithm')}, {digest}…): "
            f"probability of {target} {float(evidence.get('probability', math.nan)):.2f}")
    lines = [head]
    reasons = evidence.get("reasons") or []
    for direction in ("raises", "lowers"):
        picked = [r for r in reasons if r.get("direction") == direction]
        if picked:
            lines.append(f"{direction} it: " + ", ".join(f"{r.get('text')} ({_signed(r.get('contribution', 0.0))})"
                                                        for r in picked))
    score, base = evidence.get("score"), evidence.get("base_value")
    if score is not None and base is not None:
        calibration = evidence.get("calibration") or "none"
        how = "the logistic function" if calibration == "none" else f"{calibration} calibration"
        lines.append(f"score {_signed(score)} log-odds = base {_signed(base)} + contributions "
                     f"{_signed(score - base)}; probability by {how}")
    domain = evidence.get("domain") or {}
    issues = domain.get("issues") or []
    distance, p99 = domain.get("distance"), domain.get("distance_p99")
    where = f" (distance {distance:.2f}, training 99th percentile {p99:.2f})" if distance is not None and p99 else ""
    if domain.get("inside", True) and not issues:
        lines.append(f"inside its training domain{where}")
    else:
        lines.append("OUTSIDE its training domain: " + "; ".join(describe_issue(i, knowledge) for i in issues))
    return lines
