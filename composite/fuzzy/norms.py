"""Hedges and fuzzy norms (fuzzylite's T-norms and S-norms), each in a scalar and a vector form.

Both forms do the same floating-point operations, so one row and a batch agree bit for bit.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np

__all__ = ["AND_SCALAR", "AND_VECTOR", "HEDGE_SCALAR", "HEDGE_VECTOR", "OR_SCALAR", "OR_VECTOR", "probor"]



def _quiet_where(condition: Any, yes: Callable[[], Any], no: Callable[[], Any]) -> Any:
    with np.errstate(all="ignore"):
        return np.where(condition, yes(), no())


def _extremely(v: float) -> float:
    return 2.0 * v * v if v <= 0.5 else 1.0 - 2.0 * (1.0 - v) * (1.0 - v)


def _sqrt(v: float) -> float:
    """math.sqrt, but nan below 0 as np.sqrt gives (a strength above 1, from an unbounded `or`)."""
    return math.sqrt(v) if v >= 0.0 else math.nan


def _seldom(v: float) -> float:
    return _sqrt(0.5 * v) if v <= 0.5 else 1.0 - _sqrt(0.5 * (1.0 - v))


HEDGE_SCALAR: dict[str, Callable[[float], float]] = {
    "not": lambda v: 1.0 - v,
    "very": lambda v: v * v,
    "somewhat": _sqrt,
    "extremely": _extremely,
    "seldom": _seldom,
    "any": lambda v: 1.0,  # fuzzylite's `any`: holds whatever the value
}

HEDGE_VECTOR: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "not": lambda v: 1.0 - v,
    "very": lambda v: v * v,
    "somewhat": lambda v: _quiet(np.sqrt, v),
    "extremely": lambda v: np.where(v <= 0.5, 2.0 * v * v, 1.0 - 2.0 * (1.0 - v) * (1.0 - v)),
    # both branches are computed: a strength above 1 (an unbounded `or`) must not warn here
    "seldom": lambda v: _quiet_where(v <= 0.5, lambda: np.sqrt(0.5 * v), lambda: 1.0 - np.sqrt(0.5 * (1.0 - v))),
    "any": lambda v: np.ones_like(np.asarray(v, dtype=np.float64)),
}


def probor(a: Any, b: Any) -> Any:
    return a + b - a * b


# fuzzylite's T-norms and S-norms; each scalar form does the vector form's arithmetic
def _quiet(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` without numpy's warnings: nan where fuzzylite gives nan, silently."""
    with np.errstate(all="ignore"):
        return function(*args)


def _v_bounded_difference(a: Any, b: Any) -> Any:
    return np.maximum(0.0, a + b - 1.0)


def _v_drastic_product(a: Any, b: Any) -> Any:
    return np.where(np.maximum(a, b) == 1.0, np.minimum(a, b), 0.0)


def _v_einstein_product(a: Any, b: Any) -> Any:
    return _quiet(lambda: a * b / (2.0 - (a + b - a * b)))


def _v_hamacher_product(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):  # the branch not taken may divide by zero
        return np.where(a + b != 0.0, a * b / (a + b - a * b), 0.0)


def _v_nilpotent_min(a: Any, b: Any) -> Any:
    return np.where(a + b > 1.0, np.minimum(a, b), 0.0)


def _v_bounded_sum(a: Any, b: Any) -> Any:
    return np.minimum(1.0, a + b)


def _v_drastic_sum(a: Any, b: Any) -> Any:
    return np.where(np.minimum(a, b) == 0.0, np.maximum(a, b), 1.0)


def _v_einstein_sum(a: Any, b: Any) -> Any:
    return _quiet(lambda: (a + b) / (1.0 + a * b))


def _v_hamacher_sum(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):  # the branch not taken may divide by zero
        return np.where(a * b != 1.0, (a + b - 2.0 * a * b) / (1.0 - a * b), 1.0)


def _v_nilpotent_max(a: Any, b: Any) -> Any:
    return np.where(a + b < 1.0, np.maximum(a, b), 1.0)


def _v_normalized_sum(a: Any, b: Any) -> Any:
    return _quiet(lambda: (a + b) / np.maximum(1.0, a + b))


def _sum(a: Any, b: Any) -> Any:
    return a + b


def _scalar_of(vector: Callable[[Any, Any], Any]) -> Callable[[float, float], float]:
    def scalar(a: float, b: float) -> float:
        return float(vector(np.float64(a), np.float64(b)))

    return scalar


AND_VECTOR: dict[str, Callable[[Any, Any], Any]] = {
    "min": np.fmin, "product": np.multiply, "bounded_difference": _v_bounded_difference,
    "drastic_product": _v_drastic_product, "einstein_product": _v_einstein_product,
    "hamacher_product": _v_hamacher_product, "nilpotent_min": _v_nilpotent_min,
}
OR_VECTOR: dict[str, Callable[[Any, Any], Any]] = {
    "max": np.fmax, "probor": probor, "bounded_sum": _v_bounded_sum, "drastic_sum": _v_drastic_sum,
    "einstein_sum": _v_einstein_sum, "hamacher_sum": _v_hamacher_sum, "nilpotent_max": _v_nilpotent_max,
    "normalized_sum": _v_normalized_sum, "sum": _sum,
}
# numpy float64 scalars do IEEE arithmetic as arrays do, so the row path agrees bit for bit
AND_SCALAR: dict[str, Callable[[float, float], float]] = {
    "min": min, "product": operator.mul, **{k: _scalar_of(f) for k, f in AND_VECTOR.items()
                                            if k not in ("min", "product")}}
OR_SCALAR: dict[str, Callable[[float, float], float]] = {
    "max": max, "probor": probor, "sum": _sum, **{k: _scalar_of(f) for k, f in OR_VECTOR.items()
                                                  if k not in ("max", "probor", "sum")}}
