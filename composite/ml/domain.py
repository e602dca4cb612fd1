"""The training domain of a model: where its training data lay, and whether a new input lies there too.

Three checks, each saying how far outside: a value beyond the training range, a category (or a
missing value) training never saw, and a Mahalanobis distance beyond the training 99th percentile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from composite.ml.features import FeatureEncoder

__all__ = ["DomainCheck", "TrainingDomain"]

QUANTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass
class DomainCheck:
    """Per row: inside or not, the distance, and every issue found (JSON-ready dicts)."""

    inside: np.ndarray  # bool, (n,)
    distance: np.ndarray  # float, (n,)
    issues: list[list[dict[str, Any]]] = field(default_factory=list)
    reference: float | None = None  # the training 99th percentile of the distance

    def row(self, i: int) -> dict[str, Any]:
        distance = float(self.distance[i])
        return {
            "inside": bool(self.inside[i]),
            "distance": None if math.isnan(distance) else distance,
            "distance_p99": self.reference,
            "issues": self.issues[i],
        }

    def rows(self) -> list[dict[str, Any]]:
        """`row(i)` of every row, built from the columns at once."""
        distances = [None if d != d else d for d in np.asarray(self.distance, dtype=np.float64).tolist()]
        reference = self.reference
        return [{"inside": inside, "distance": distance, "distance_p99": reference, "issues": issues}
                for inside, distance, issues in zip(np.asarray(self.inside, dtype=bool).tolist(), distances,
                                                    self.issues)]


class TrainingDomain:
    """Ranges, seen categories and a distance reference, computed once on the training rows.

    The distance is Mahalanobis in a space where every feature is standardised and unordered
    categories are one-hot, with a Ledoit-Wolf shrunk covariance (well-conditioned even with
    fewer rows than columns). Unlike k-nearest-neighbour distances it needs no training rows in
    the artifact, so an artifact never carries personal data.
    """

    def __init__(self, summary: Mapping[str, Any]) -> None:
        self.summary = dict(summary)
        self.features: dict[str, dict[str, Any]] = {f["name"]: f for f in self.summary["features"]}
        distance = self.summary.get("distance") or {}
        self._columns: list[tuple[str, Any]] = [tuple(c) for c in distance.get("columns", [])]  # type: ignore[misc]
        self._center = np.asarray(distance.get("center", []), dtype=np.float64)
        self._scale = np.asarray(distance.get("scale", []), dtype=np.float64)
        self._precision = np.asarray(distance.get("precision", []), dtype=np.float64)
        quantiles = distance.get("quantiles") or {}
        self.reference: float | None = quantiles.get("0.99")
        self.inputs: list[dict[str, Any]] = list(self.summary.get("inputs") or [])

    @property
    def input_names(self) -> tuple[str, ...]:
        """Request inputs checked besides the features (ranges and categories only)."""
        return tuple(entry["name"] for entry in self.inputs)

    # -- building -------------------------------------------------------------------------------

    @classmethod
    def fit(cls, encoder: FeatureEncoder, columns: Mapping[str, Any], size: int,
            inputs: Mapping[str, tuple[str, Sequence[Any] | None]] | None = None) -> "TrainingDomain":
        """The domain of the training rows. `inputs` adds request inputs the model does not read,
        name -> (kind, values) with kind "number", "boolean" or "category": their ranges and seen
        categories are checked too (not the distance), so that a population that moved on an input
        only the expert reads still leaves the domain."""
        from sklearn.covariance import LedoitWolf

        features = []
        layout: list[tuple[str, Any]] = []
        for feature in encoder.features:
            entry = _summarise(feature.name, feature.kind, feature.values, columns[feature.name], size)
            if feature.kind == "number":
                layout.append((feature.name, None))
            elif feature.kind in ("categorical", "onehot"):
                order = list(feature.values) if feature.values is not None else []
                counted = {_key(v) for v in entry["seen"]}
                layout.extend((feature.name, v) for v in order if _key(v) in counted)
            else:
                layout.append((feature.name, None))
            features.append(entry)
        summary: dict[str, Any] = {"rows": size, "features": features}
        if inputs:
            summary["inputs"] = [_summarise(name, kind, values, columns[name], size)
                                 for name, (kind, values) in inputs.items()]
        domain = cls(summary)
        domain._columns = layout
        if layout and size >= 2:
            raw_matrix = domain._space(encoder, columns, size)
            center = np.nanmean(raw_matrix, axis=0)
            center = np.where(np.isnan(center), 0.0, center)
            scale = np.nanstd(raw_matrix, axis=0)
            scale = np.where(~np.isfinite(scale) | (scale <= 1e-12), 1.0, scale)
            domain._center, domain._scale = center, scale
            z = domain._standardise(raw_matrix)
            precision = LedoitWolf(assume_centered=True).fit(z).precision_
            domain._precision = precision
            distances = domain._distance(z)
            summary["distance"] = {
                "method": "Mahalanobis distance on standardised features (unordered categories one-hot), "
                          "Ledoit-Wolf shrunk covariance",
                "columns": [[name, _jsonable(value)] for name, value in layout],
                "center": center.tolist(),
                "scale": scale.tolist(),
                "precision": precision.tolist(),
                "quantiles": {str(q): float(np.quantile(distances, q)) for q in QUANTILES}
                | {"max": float(distances.max())},
            }
            domain.reference = summary["distance"]["quantiles"]["0.99"]
            domain.summary = summary
        return domain

    def to_json(self) -> dict[str, Any]:
        return self.summary

    # -- checking -------------------------------------------------------------------------------

    def check(self, encoder: FeatureEncoder, columns: Mapping[str, Any], size: int, *,
              encoded: np.ndarray | None = None, issues: bool = True) -> DomainCheck:
        """Check rows against the domain; `encoded` is `encoder.encode(columns)` if already at hand.

        `issues=False`: the inside mask and the distances only (`DomainCheck.issues` empty), no
        issue built for any row: what a batch without evidence needs."""
        if encoded is None:
            encoded = encoder.encode(columns, size)
        listed: list[list[dict[str, Any]]] | None = [[] for _ in range(size)] if issues else None
        flagged = np.zeros(size, dtype=bool)
        for entry, raw, numbers in self._checked_columns(encoder, columns, encoded):
            found = _check_column(entry, raw, size, listed, numbers=numbers)
            if found is not None:
                flagged |= found
        distance = np.full(size, math.nan)
        if self._columns and self._precision.size and size:
            # In blocks of rows: the distance space's (rows x columns) temporaries stay small (a row's
            # distance does not depend on the others, `_distance`).
            for start in range(0, size, _DISTANCE_BLOCK):
                stop = min(size, start + _DISTANCE_BLOCK)
                z = self._standardise(self._space(encoder, columns, stop - start, encoded=encoded[start:stop]))
                distance[start:stop] = self._distance(z)
            if self.reference is not None:
                far = np.flatnonzero(distance > self.reference)
                flagged[far] = True
                for i, d in zip(far.tolist() if listed is not None else (), distance[far].tolist()):
                    listed[i].append(_issue(None, "far_from_training", d, self.reference, d - self.reference,
                                            None, ratio=d / self.reference if self.reference else None))
        return DomainCheck(inside=~flagged, distance=distance, issues=listed if listed is not None else [],
                           reference=self.reference)

    def _checked_columns(self, encoder: FeatureEncoder, columns: Mapping[str, Any], encoded: np.ndarray
                         ) -> Iterator[tuple[Mapping[str, Any], Any, np.ndarray | None]]:
        """Each column the domain checks: (its training entry, the raw column, the encoded numbers for
        a numeric feature, else None); the features first, then the chain's other inputs given."""
        start = 0
        for feature in encoder.features:
            position, start = start, start + len(feature.columns)
            entry = self.features.get(feature.name)
            if entry is not None:
                yield entry, columns[feature.name], encoded[:, position] if feature.kind == "number" else None
        for entry in self.inputs:
            if entry["name"] in columns:
                yield entry, columns[entry["name"]], None

    def check_reference(self, encoder: FeatureEncoder, columns: Mapping[str, Any], size: int, *,
                        encoded: np.ndarray | None = None) -> DomainCheck:
        """`check` value by value (`_check_entry`): the reference the tests hold `check` to."""
        if encoded is None:
            encoded = encoder.encode(columns, size)
        issues: list[list[dict[str, Any]]] = [[] for _ in range(size)]
        for entry, raw, numbers in self._checked_columns(encoder, columns, encoded):
            _check_entry(entry, raw, size, issues, numbers=numbers)
        distance = np.full(size, math.nan)
        if self._columns and self._precision.size and size:
            z = self._standardise(self._space(encoder, columns, size, encoded=encoded))
            distance = self._distance(z)
            if self.reference is not None:
                for i in np.flatnonzero(distance > self.reference):
                    d = float(distance[i])
                    issues[i].append(_issue(None, "far_from_training", d, self.reference, d - self.reference,
                                            None, ratio=d / self.reference if self.reference else None))
        inside = np.array([not found for found in issues], dtype=bool)
        return DomainCheck(inside=inside, distance=distance, issues=issues, reference=self.reference)

    # -- the distance space ---------------------------------------------------------------------

    def _space(self, encoder: FeatureEncoder, columns: Mapping[str, Any], size: int, *,
               encoded: np.ndarray | None = None) -> np.ndarray:
        """Rows in the distance space, before standardising: values, codes, and 0/1 per seen category."""
        matrix = encoder.encode(columns, size) if encoded is None else encoded
        plan = self._plan(encoder)
        sources = np.array([max(source, 0) for source, _ in plan], dtype=np.int64)
        codes = np.array([math.nan if code is None else code for _, code in plan], dtype=np.float64)
        taken = matrix[:, sources] if len(plan) else np.empty((size, 0))
        is_code = ~np.isnan(codes)
        out = np.where(is_code, np.where(np.isnan(taken), math.nan, (taken == codes).astype(np.float64)), taken)
        out[:, [j for j, (source, _) in enumerate(plan) if source < 0]] = 0.0  # categories the encoder lost
        return out

    def _plan(self, encoder: FeatureEncoder) -> list[tuple[int, float | None]]:
        """For each distance column: (encoded column it comes from, category code or None)."""
        cached = getattr(self, "_plan_cache", None)
        if cached is not None and cached[0] is encoder:
            return cached[1]
        starts: dict[str, int] = {}
        position = 0
        for feature in encoder.features:
            starts[feature.name] = position
            position += len(feature.columns)
        by_name = {f.name: f for f in encoder.features}
        plan: list[tuple[int, float | None]] = []
        for name, value in self._columns:
            feature = by_name[name]
            values = list(feature.values or ())
            if value is None:
                plan.append((starts[name], None))
            elif value not in values:
                plan.append((-1, None))
            elif feature.kind == "onehot":
                plan.append((starts[name] + values.index(value), None))
            else:
                plan.append((starts[name], float(values.index(value))))
        self._plan_cache = (encoder, plan)
        return plan

    def _standardise(self, matrix: np.ndarray) -> np.ndarray:
        z = (matrix - self._center) / self._scale
        return np.where(np.isnan(z), 0.0, z)  # a missing value sits at the training mean

    def _distance(self, z: np.ndarray) -> np.ndarray:
        # einsum without BLAS: each row's distance is computed the same way whatever the batch size
        squared = np.einsum("ij,jk,ik->i", z, self._precision, z, optimize=False)
        return np.sqrt(np.maximum(squared, 0.0))


def _summarise(name: str, kind: str, order: Sequence[Any] | None, raw: Any, size: int) -> dict[str, Any]:
    """Range (numbers) or seen values (categories, booleans) of one column, and how many were missing."""
    values = _plain_values(raw, size)
    present = [v for v in values if v is not None]
    entry: dict[str, Any] = {"name": name, "kind": kind, "missing": len(values) - len(present)}
    if kind == "number":
        numbers = np.asarray(present, dtype=np.float64)
        if len(numbers):
            entry.update(min=_num(numbers.min()), max=_num(numbers.max()), mean=float(numbers.mean()),
                         sd=float(numbers.std()), q01=float(np.quantile(numbers, 0.01)),
                         q99=float(np.quantile(numbers, 0.99)))
        return entry
    counts: dict[Any, int] = {}
    for v in present:
        key = bool(v) if kind == "boolean" else v
        counts[key] = counts.get(key, 0) + 1
    listed = list(order) if order is not None else ([False, True] if kind == "boolean" else sorted(counts, key=str))
    entry["seen"] = {_key(v): counts[v] for v in listed if v in counts}
    return entry


def _check_entry(entry: Mapping[str, Any], raw: Any, size: int, issues: list[list[dict[str, Any]]], *,
                 numbers: np.ndarray | None = None) -> None:
    """Add this column's issues per row: outside the training range, unseen, or missing where training
    had no missing value. `numbers` is the column already encoded as floats (a feature's)."""
    name = entry["name"]
    missing_seen = entry.get("missing", 0) > 0
    if entry["kind"] == "number":
        if numbers is None:
            numbers = np.array([math.nan if v is None else float(v) for v in _plain_values(raw, size)],
                               dtype=np.float64)
        low, high, sd = entry.get("min"), entry.get("max"), entry.get("sd") or 0.0
        missing = np.isnan(numbers)
        below = numbers < low if low is not None else np.zeros(size, dtype=bool)
        above = numbers > high if high is not None else np.zeros(size, dtype=bool)
        for i in np.flatnonzero(missing | below | above):
            value = float(numbers[i])
            if missing[i]:
                if not missing_seen:
                    issues[i].append(_issue(name, "missing_value", None))
            elif below[i]:
                issues[i].append(_issue(name, "below_range", _num(value), low, low - value, sd))
            else:
                issues[i].append(_issue(name, "above_range", _num(value), high, value - high, sd))
        return
    seen = entry.get("seen") or {}
    for i, value in enumerate(_plain_values(raw, size)):
        if value is None:
            if not missing_seen:
                issues[i].append(_issue(name, "missing_value", None))
            continue
        key = _key(bool(value) if entry["kind"] == "boolean" else value)
        if key not in seen:
            issues[i].append(_issue(name, "unseen_category", _jsonable(value), list(seen)))


_VALUE_BY_VALUE_BELOW = 32  # rows
_DISTANCE_BLOCK = 2048  # rows per block of the distance computation


def _check_column(entry: Mapping[str, Any], raw: Any, size: int, issues: list[list[dict[str, Any]]] | None, *,
                  numbers: np.ndarray | None = None) -> np.ndarray | None:
    """`_check_entry` on whole columns: the same issues, appended to the rows that have one (found
    by vectorised range comparisons, or by checking each distinct category once). Returns the rows
    given an issue as a mask (None: none). A handful of rows is checked value by value.
    `issues` None: the mask alone, no issue built."""
    name = entry["name"]
    missing_seen = entry.get("missing", 0) > 0
    if entry["kind"] == "number":
        if numbers is None:
            array = np.asarray(raw)
            if array.dtype.kind in "fiub":
                numbers = array.astype(np.float64).reshape(size)
            else:
                numbers = np.array([math.nan if v is None else float(v) for v in _plain_values(raw, size)],
                                   dtype=np.float64)
        low, high, sd = entry.get("min"), entry.get("max"), entry.get("sd") or 0.0
        if size <= _VALUE_BY_VALUE_BELOW:
            rows = []
            for i, value in enumerate(numbers.tolist()):
                if value != value:
                    if not missing_seen:
                        if issues is not None:
                            issues[i].append(_issue(name, "missing_value", None))
                        rows.append(i)
                elif low is not None and value < low:
                    if issues is not None:
                        issues[i].append(_issue(name, "below_range", _num(value), low, low - value, sd))
                    rows.append(i)
                elif high is not None and value > high:
                    if issues is not None:
                        issues[i].append(_issue(name, "above_range", _num(value), high, value - high, sd))
                    rows.append(i)
            return _mask(rows, size)
        missing = np.isnan(numbers)
        flagged = np.zeros(size, dtype=bool)
        if low is not None:
            flagged |= numbers < low
        if high is not None:
            flagged |= numbers > high
        if not missing_seen:
            flagged |= missing
        if issues is None:
            return flagged
        rows = np.flatnonzero(flagged)
        for i, value in zip(rows.tolist(), numbers[rows].tolist()):
            if value != value:
                issues[i].append(_issue(name, "missing_value", None))
            elif low is not None and value < low:
                issues[i].append(_issue(name, "below_range", _num(value), low, low - value, sd))
            else:
                issues[i].append(_issue(name, "above_range", _num(value), high, value - high, sd))
        return flagged
    if size <= _VALUE_BY_VALUE_BELOW:  # a handful of rows: checking each value costs less than the array calls
        return _check_values(entry, _plain_values(raw, size), issues)
    seen = entry.get("seen") or {}
    boolean = entry["kind"] == "boolean"
    array = np.asarray(raw).reshape(size)
    kind = array.dtype.kind
    values: list[Any] | None = None
    if kind in "biuU":
        # no missing value; each distinct value is checked once
        missing = np.zeros(size, dtype=bool)
        distinct, inverse = np.unique(array, return_inverse=True)
        bad = np.array([_key(bool(v) if boolean else v) not in seen for v in distinct.tolist()], dtype=bool)
        unseen = bad[inverse.reshape(size)] if bad.any() else np.zeros(size, dtype=bool)
    elif kind == "O" and set(map(type, values := array.tolist())) <= {str, type(None)}:
        missing = np.equal(array, None).astype(bool) if None in values else np.zeros(size, dtype=bool)
        distinct = set(values)
        distinct.discard(None)
        bad_values = [v for v in distinct if _key(bool(v) if boolean else v) not in seen]
        unseen = np.zeros(size, dtype=bool)
        if len(bad_values) <= 16:
            for v in bad_values:
                unseen |= np.equal(array, v).astype(bool)
        else:
            bad_set = set(bad_values)
            unseen = np.fromiter((v in bad_set for v in values), dtype=bool, count=size)
    else:  # floats as categories, mixed objects: value by value, as `_check_entry`
        return _check_values(entry, _plain_values(raw, size), issues)
    flagged = unseen if missing_seen else unseen | missing
    if issues is None:
        return flagged
    rows = np.flatnonzero(flagged).tolist()
    if rows:
        if values is None:
            values = array.tolist()
        listed = list(seen)
        for i in rows:
            if missing[i]:
                issues[i].append(_issue(name, "missing_value", None))
            else:
                issues[i].append(_issue(name, "unseen_category", _jsonable(values[i]), list(listed)))
    return flagged


def _check_values(entry: Mapping[str, Any], values: list[Any],
                  issues: list[list[dict[str, Any]]] | None) -> np.ndarray | None:
    """The categories of `_check_entry`, value by value, returning the rows given an issue
    (`issues` None: the rows alone)."""
    name = entry["name"]
    missing_seen = entry.get("missing", 0) > 0
    seen = entry.get("seen") or {}
    rows = []
    for i, value in enumerate(values):
        if value is None:
            if not missing_seen:
                if issues is not None:
                    issues[i].append(_issue(name, "missing_value", None))
                rows.append(i)
            continue
        key = _key(bool(value) if entry["kind"] == "boolean" else value)
        if key not in seen:
            if issues is not None:
                issues[i].append(_issue(name, "unseen_category", _jsonable(value), list(seen)))
            rows.append(i)
    return _mask(rows, len(values))


def _mask(rows: list[int], size: int) -> np.ndarray | None:
    """The rows given an issue as a mask, or None for none."""
    if not rows:
        return None
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask


def _issue(feature: str | None, kind: str, value: Any, limit: Any = None, excess: float | None = None,
           sd: float | None = None, ratio: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"feature": feature, "kind": kind, "value": value}
    if limit is not None:
        out["limit"] = limit
    if excess is not None:
        out["excess"] = float(excess)
    if sd:
        out["excess_sd"] = float(excess) / sd if excess is not None else None
    if ratio is not None:
        out["ratio"] = float(ratio)
    return out


def _plain_values(raw: Any, size: int) -> list[Any]:
    array = np.asarray(raw)
    if array.dtype.kind in "fiu":
        values = array.reshape(size).tolist()
        return [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    if array.dtype.kind == "b":
        return array.reshape(size).tolist()
    out = []
    for v in np.asarray(raw, dtype=object).reshape(size):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(_jsonable(v))
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _key(value: Any) -> str:
    """Categories as JSON object keys: strings as they are, booleans and numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_jsonable(value))


def _num(value: Any) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
