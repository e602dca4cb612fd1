"""Feature encoding from knowledge/: how each concept becomes model columns, and its monotone direction.

Numbers and integers go in as they are, booleans as 0/1, ordered categories as ordinal codes (so
a monotone constraint means something), unordered categories as LightGBM categorical codes or, for
linear models, one-hot columns. Directions come only from each concept's influence on the target.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from composite.errors import ProjectError

if TYPE_CHECKING:
    from composite.knowledge import Knowledge
    from composite.ml.spec import ModelSpec

__all__ = ["FeatureEncoder", "FeatureEncoding", "as_columns", "to_numbers"]

EncodingKind = Literal["number", "boolean", "ordinal", "categorical", "onehot"]
_DICT_LOOKUP_BELOW = 2048  # rows; above this, pandas' vectorised lookup is faster


@dataclass(frozen=True)
class FeatureEncoding:
    """One feature: how it is encoded, its columns, and the direction knowledge/ gives it."""

    name: str
    kind: EncodingKind
    values: tuple[Any, ...] | None = None  # categories in code order (ordinal, categorical, onehot)
    monotone: int = 0  # +1 the target rises with it, -1 falls, 0 free
    source: str | None = None  # where the direction was written, "knowledge/credit.yaml:27"
    note: str | None = None  # why a concept's sign was not used, if it was not

    @property
    def columns(self) -> tuple[str, ...]:
        if self.kind == "onehot":
            return tuple(f"{self.name}={value}" for value in self.values or ())
        return (self.name,)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "monotone": self.monotone}
        if self.values is not None:
            out["values"] = list(self.values)
        if self.source:
            out["source"] = self.source
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FeatureEncoding":
        values = data.get("values")
        return cls(name=data["name"], kind=data["kind"], values=tuple(values) if values is not None else None,
                   monotone=int(data.get("monotone", 0)), source=data.get("source"), note=data.get("note"))

    def same_as(self, other: "FeatureEncoding") -> bool:
        """Equal in everything that changes what the model computes (not where the sign was written)."""
        return (self.name, self.kind, self.values, self.monotone) == (other.name, other.kind, other.values,
                                                                        other.monotone)


def _encoding(name: str, concept: Any, target: str, algorithm: str) -> FeatureEncoding:
    sign = concept.sign(target)
    where = f"{concept.file}:{concept.line}" if concept.file and concept.line else concept.file
    source = where if sign else None
    if concept.type in ("number", "integer"):
        return FeatureEncoding(name, "number", None, sign, source)
    if concept.type == "boolean":
        # true counts as 1, so "increases" means true raises the target
        return FeatureEncoding(name, "boolean", None, sign, source)
    values = tuple(concept.values or ())
    if concept.ordered:
        return FeatureEncoding(name, "ordinal", values, sign, source)
    kind: EncodingKind = "categorical" if algorithm == "lightgbm" else "onehot"
    note = None
    if sign:
        note = (f"knowledge/ gives '{name}' a direction on '{target}' but its values are not ordered "
                "(ordered: true); an unordered category cannot be monotone, so it is left free")
    return FeatureEncoding(name, kind, values, 0, None, note)


def as_columns(data: Any) -> tuple[dict[str, np.ndarray], int]:
    """A DataFrame, a mapping of columns or one row (a mapping of scalars) as (columns, size)."""
    # A DataFrame exists only once pandas is imported: do not import it (0.3 s) to find out.
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        return {str(c): data[c].to_numpy() for c in data.columns}, len(data)
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a DataFrame or a mapping of columns, got {type(data).__name__}")
    columns: dict[str, np.ndarray] = {}
    size: int | None = None
    for key, value in data.items():
        if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
            array = np.asarray(value) if not isinstance(value, np.ndarray) else value
            if array.ndim == 0:
                array = array.reshape(1)
        elif hasattr(value, "to_numpy"):
            array = value.to_numpy()
        else:
            array = np.empty(1, dtype=object)
            array[0] = value
        columns[key] = array
        size = len(array) if size is None else size
        if len(array) != size:
            raise ValueError(f"column '{key}' has {len(array)} values, others {size}")
    return columns, size or 0


class FeatureEncoder:
    """The encoding of every feature of one model, in the model file's order."""

    def __init__(self, features: Sequence[FeatureEncoding]) -> None:
        self.features: tuple[FeatureEncoding, ...] = tuple(features)
        self.names: tuple[str, ...] = tuple(f.name for f in self.features)
        self.columns: tuple[str, ...] = tuple(c for f in self.features for c in f.columns)
        # column position -> feature position, for summing one-hot contributions per feature
        self.column_feature = np.array([i for i, f in enumerate(self.features) for _ in f.columns], dtype=np.int64)
        self._lookups = [
            {value: float(code) for code, value in enumerate(f.values)} if f.values is not None else None
            for f in self.features
        ]

    @classmethod
    def from_knowledge(cls, spec: "ModelSpec", knowledge: "Knowledge | None") -> "FeatureEncoder":
        from composite.ml.spec import check_features

        problems = check_features(spec, knowledge)
        if problems:
            raise ProjectError(f"{spec.file}: features do not match knowledge/", problems=problems)
        assert knowledge is not None
        return cls([_encoding(name, knowledge[name], spec.target, spec.algorithm) for name in spec.features])

    # -- what the learners need --------------------------------------------------------------

    @property
    def monotone_constraints(self) -> list[int]:
        """Per column: +1, -1 or 0 (one-hot columns are never constrained)."""
        return [f.monotone if f.kind != "onehot" else 0 for f in self.features for _ in f.columns]

    @property
    def categorical_columns(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "categorical"]

    def encode(self, columns: Mapping[str, Any], size: int | None = None) -> np.ndarray:
        """Encoded float64 matrix (rows x columns); a missing value or unknown category becomes NaN
        (LightGBM's missing value), or all-zero one-hot columns."""
        if size is None:
            columns, size = as_columns(columns)
        out = np.empty((size, len(self.columns)), dtype=np.float64)
        position = 0
        for feature, lookup in zip(self.features, self._lookups):
            if feature.name not in columns:
                raise KeyError(f"feature '{feature.name}' is missing from the data")
            raw = columns[feature.name]
            if feature.kind == "number":
                out[:, position] = to_numbers(raw, size)
                position += 1
            elif feature.kind == "boolean":
                out[:, position] = _booleans(raw, size)
                position += 1
            else:
                codes = _codes(raw, size, lookup or {}, feature.values or ())
                if feature.kind == "onehot":
                    width = len(feature.values or ())
                    block = np.zeros((size, width), dtype=np.float64)
                    known = ~np.isnan(codes)
                    block[np.flatnonzero(known), codes[known].astype(np.int64)] = 1.0
                    out[:, position:position + width] = block
                    position += width
                else:
                    out[:, position] = codes
                    position += 1
        return out

    def to_json(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self.features]

    @classmethod
    def from_json(cls, data: Sequence[Mapping[str, Any]]) -> "FeatureEncoder":
        return cls([FeatureEncoding.from_json(item) for item in data])

    def differences(self, other: "FeatureEncoder") -> list[str]:
        """How `other` (e.g. what knowledge/ says now) differs from this encoding, in words."""
        mine = {f.name: f for f in self.features}
        theirs = {f.name: f for f in other.features}
        if list(mine) != list(theirs):
            return [f"features were {list(mine)}, now {list(theirs)}"]
        found = []
        for name, before in mine.items():
            after = theirs[name]
            if before.same_as(after):
                continue
            if before.monotone != after.monotone:
                found.append(f"'{name}' direction was {_direction(before.monotone)}, knowledge/ now says "
                             f"{_direction(after.monotone)}")
            if before.kind != after.kind:
                found.append(f"'{name}' was encoded as {before.kind}, now {after.kind}")
            if before.values != after.values:
                found.append(f"'{name}' values were {list(before.values or ())}, now {list(after.values or ())}")
        return found


def _direction(sign: int) -> str:
    return {1: "increasing", -1: "decreasing"}.get(sign, "free")


def to_numbers(raw: Any, size: int) -> np.ndarray:
    array = np.asarray(raw)
    if array.dtype.kind in "fiu":
        return array.astype(np.float64, copy=False).reshape(size)
    if array.dtype.kind == "b":
        raise TypeError("expected numbers, got booleans")
    return np.array([math.nan if v is None else float(v) for v in array.reshape(size)], dtype=np.float64)


def _booleans(raw: Any, size: int) -> np.ndarray:
    array = np.asarray(raw)
    if array.dtype.kind == "b":
        return array.astype(np.float64).reshape(size)
    out = np.empty(size, dtype=np.float64)
    for i, value in enumerate(array.reshape(size)):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out[i] = math.nan
        elif isinstance(value, (bool, np.bool_)):
            out[i] = float(value)
        elif isinstance(value, str) and value.lower() in ("true", "false"):
            out[i] = 1.0 if value.lower() == "true" else 0.0
        else:
            out[i] = float(bool(value))
    return out


def _codes(raw: Any, size: int, lookup: Mapping[Any, float], values: Sequence[Any]) -> np.ndarray:
    array = np.asarray(raw, dtype=object).reshape(size)
    if size < _DICT_LOOKUP_BELOW:
        return np.array([lookup.get(value, math.nan) if _hashable(value) else math.nan for value in array],
                        dtype=np.float64)
    import pandas as pd

    codes = pd.Categorical(array, categories=list(values)).codes.astype(np.float64)
    codes[codes < 0] = math.nan
    return codes


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
