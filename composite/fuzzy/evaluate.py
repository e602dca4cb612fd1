"""Our fuzzy inference: stateless, thread-safe and vectorised, with two numerics.

"skfuzzy" reproduces `skfuzzy.control.ControlSystemSimulation` (inputs interpolated on the
discretised universe; the aggregated output sampled on the universe plus the points where each
term crosses its activation level, integrated as a piecewise-linear curve, quirks included).
"fuzzylite" reproduces fuzzylite 8 (exact memberships; midpoint rule with `resolution` points), with
its rule blocks, chained rules, activation methods, weighted (Takagi-Sugeno, Tsukamoto) outputs and locks.

Everything is precomputed when the evaluator is built and never mutated afterwards, so one
evaluator serves any number of threads. `evaluate` (one row, plain Python where numpy's call
overhead would dominate) and `evaluate_batch` (numpy over columns) perform the same floating-point
operations in the same order, so they agree bit for bit.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from functools import reduce
from typing import Any, Callable, Mapping

import numpy as np

from composite.errors import Problem, RequestError
from composite.fuzzy.model import (
    NUMERICS,
    And,
    Expr,
    FuzzyRuleBase,
    InputVariable,
    Not,
    OutputVariable,
    Proposition,
    parse_activation,
    propositions,
)
from composite.fuzzy.norms import AND_SCALAR, AND_VECTOR, HEDGE_SCALAR, HEDGE_VECTOR, OR_SCALAR, OR_VECTOR

__all__ = ["BatchEvaluation", "FuzzyEvaluator", "RowEvaluation"]

EPS = float(np.finfo(float).eps)


_HEDGE_SCALAR = HEDGE_SCALAR  # why_not reads it under this name (composite.fuzzy.norms holds the hedges now)


class _Compiled:
    """An antecedent compiled for rows (floats) and for columns (arrays)."""

    def __init__(self, expr: Expr, index: Mapping[tuple[str, str], int], and_: str, or_: str) -> None:
        self.scalar = self._scalar(expr, index, and_, or_)
        self.vector = self._vector(expr, index, and_, or_)

    def _scalar(self, expr: Expr, index: Mapping[tuple[str, str], int], and_: str,
                or_: str) -> Callable[[list[float]], float]:
        if isinstance(expr, Proposition):
            if expr.hedges and expr.hedges[-1] == "any":
                value = 1.0
                for name in reversed(expr.hedges[:-1]):
                    value = HEDGE_SCALAR[name](value)
                return lambda m, value=value: value
            k = index[(expr.variable, expr.term)]
            if not expr.hedges:
                return operator.itemgetter(k)
            hedges = [HEDGE_SCALAR[h] for h in reversed(expr.hedges)]

            def hedged(m: list[float]) -> float:
                v = m[k]
                for hedge in hedges:
                    v = hedge(v)
                return v

            return hedged
        if isinstance(expr, Not):
            inner = self._scalar(expr.operand, index, and_, or_)
            return lambda m: 1.0 - inner(m)
        is_and = isinstance(expr, And)
        name = and_ if is_and else or_
        fold = (AND_SCALAR if is_and else OR_SCALAR)[name]
        plain = [e for e in expr.operands if isinstance(e, Proposition) and not e.hedges]
        if len(plain) == len(expr.operands):
            getter = operator.itemgetter(*(index[(e.variable, e.term)] for e in plain))
            if name in ("min", "max"):  # exact whatever the order
                pick = min if name == "min" else max
                return lambda m: pick(getter(m))
            return lambda m: reduce(fold, getter(m))  # left fold, as skfuzzy nests (a & b) & c
        parts = [self._scalar(e, index, and_, or_) for e in expr.operands]

        def combined(m: list[float]) -> float:
            value = parts[0](m)
            for part in parts[1:]:
                value = fold(value, part(m))
            return value

        return combined

    def _vector(self, expr: Expr, index: Mapping[tuple[str, str], int], and_: str,
                or_: str) -> Callable[[list[np.ndarray]], np.ndarray]:
        if isinstance(expr, Proposition):
            if expr.hedges and expr.hedges[-1] == "any":
                value = 1.0
                for name in reversed(expr.hedges[:-1]):
                    value = HEDGE_SCALAR[name](value)
                return lambda m, value=value: np.float64(value)
            k = index[(expr.variable, expr.term)]
            hedges = [HEDGE_VECTOR[h] for h in reversed(expr.hedges)]

            def prop(m: list[np.ndarray]) -> np.ndarray:
                v = m[k]
                for hedge in hedges:
                    v = hedge(v)
                return v

            return prop
        if isinstance(expr, Not):
            inner = self._vector(expr.operand, index, and_, or_)
            return lambda m: 1.0 - inner(m)
        is_and = isinstance(expr, And)
        fold = (AND_VECTOR if is_and else OR_VECTOR)[and_ if is_and else or_]
        parts = [self._vector(e, index, and_, or_) for e in expr.operands]

        def combined(m: list[np.ndarray]) -> np.ndarray:
            value = parts[0](m)
            for part in parts[1:]:
                value = fold(value, part(m))
            return value

        return combined


# -- inputs ------------------------------------------------------------------------------------


class _Interpolant:
    """np.interp(x, grid, mf, left=0, right=0) for one x, in plain Python, bit for bit."""

    __slots__ = ("grid", "mf", "slopes", "n", "lo", "hi")

    def __init__(self, grid: list[float], mf: list[float]) -> None:
        self.grid = grid
        self.mf = mf
        self.n = len(grid)
        # numpy computes the slope the same way, on the fly or precomputed
        self.slopes = [(mf[j + 1] - mf[j]) / (grid[j + 1] - grid[j]) for j in range(self.n - 1)]
        self.lo = grid[0]
        self.hi = grid[-1]

    def at(self, x: float, j: int) -> float:
        """Value at `x`, where j = bisect_right(grid, x) - 1 (shared by every term of a variable)."""
        if j < 0 or x > self.hi:
            return 0.0
        if j >= self.n - 1:
            return self.mf[-1]
        if x == self.grid[j]:
            return self.mf[j]
        return self.slopes[j] * (x - self.grid[j]) + self.mf[j]


class _Input:
    def __init__(self, var: InputVariable, numerics: str) -> None:
        self.name = var.name
        self.lo = float(var.lo)
        self.hi = float(var.hi)
        self.reject = var.out_of_range == "reject"
        self.terms = var.terms
        self.term_names = var.term_names
        self.skfuzzy = numerics == "skfuzzy"
        if self.skfuzzy:
            self.grid = var.universe()
            self.grid_list = self.grid.tolist()
            self.mfs = [t.membership(self.grid) for t in var.terms]
            self.interpolants = [_Interpolant(self.grid_list, mf.tolist()) for mf in self.mfs]

    def memberships(self, x: float) -> list[float]:
        if self.skfuzzy:
            j = bisect_right(self.grid_list, x) - 1
            return [ip.at(x, j) for ip in self.interpolants]
        return [float(t.membership(np.array([x]))[0]) for t in self.terms]

    def memberships_batch(self, x: np.ndarray) -> list[np.ndarray]:
        if self.skfuzzy:
            return [np.interp(x, self.grid, mf, left=0.0, right=0.0) for mf in self.mfs]
        return [t.membership(x) for t in self.terms]


# -- defuzzification on one row: scikit-fuzzy's arithmetic, operation for operation -------------


def _sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0.0 else math.nan  # np.sqrt gives nan where math.sqrt raises


def _sk_centroid(xs: list[float], ys: list[float]) -> float:
    sum_moment_area = 0.0
    sum_area = 0.0
    x1 = xs[0]
    y1 = ys[0]
    for i in range(1, len(xs)):
        x2 = xs[i]
        y2 = ys[i]
        if not (y1 == y2 == 0.0 or x1 == x2):
            if y1 == y2:
                moment = 0.5 * (x1 + x2)
                area = (x2 - x1) * y1
            elif y1 == 0.0 and y2 != 0.0:
                moment = 2.0 / 3.0 * (x2 - x1) + x1
                area = 0.5 * (x2 - x1) * y2
            elif y2 == 0.0 and y1 != 0.0:
                moment = 1.0 / 3.0 * (x2 - x1) + x1
                area = 0.5 * (x2 - x1) * y1
            else:
                moment = (2.0 / 3.0 * (x2 - x1) * (y2 + 0.5 * y1)) / (y1 + y2) + x1
                area = 0.5 * (x2 - x1) * (y1 + y2)
            sum_moment_area += moment * area
            sum_area += area
        x1 = x2
        y1 = y2
    return sum_moment_area / max(sum_area, EPS)


def _sk_bisector(xs: list[float], ys: list[float]) -> float:
    # scikit-fuzzy records the running area only for segments with area, and takes the area
    # before the bisecting segment from the previous entry: 0 after an empty segment. Kept.
    sum_area = 0.0
    accum = [0.0] * (len(xs) - 1)
    for i in range(1, len(xs)):
        x1 = xs[i - 1]
        x2 = xs[i]
        y1 = ys[i - 1]
        y2 = ys[i]
        if not (y1 == y2 == 0.0 or x1 == x2):
            if y1 == y2:
                area = (x2 - x1) * y1
            elif y1 == 0.0 and y2 != 0.0:
                area = 0.5 * (x2 - x1) * y2
            elif y2 == 0.0 and y1 != 0.0:
                area = 0.5 * (x2 - x1) * y1
            else:
                area = 0.5 * (x2 - x1) * (y1 + y2)
            sum_area += area
            accum[i - 1] = sum_area
    half = sum_area / 2.0
    index = next((i for i, a in enumerate(accum) if a >= half), 0)  # 0 as np.argmax of no hit
    subarea = half - (accum[index - 1] if index > 0 else 0.0)
    x1 = xs[index]
    x2 = xs[index + 1]
    y1 = ys[index]
    y2 = ys[index + 1]
    dx = x2 - x1
    if y1 == y2:
        return subarea / y1 + x1
    if y1 == 0.0 and y2 != 0.0:
        return x1 + _sqrt(2.0 * subarea * dx / y2)
    if y2 == 0.0 and y1 != 0.0:
        return x2 - _sqrt(dx * dx - (2.0 * subarea * dx / y1))
    m = (y2 - y1) / dx
    root = _sqrt(y1 * y1 + 2.0 * m * subarea)
    return x1 - (y1 - root) / m


def _of_maximum(method: str, xs: list[float], ys: list[float]) -> float:
    top = max(ys)
    chosen = [x for x, y in zip(xs, ys) if y == top]
    if method == "som":
        return chosen[0]
    if method == "lom":
        return chosen[-1]
    return sum(chosen) / len(chosen)


def _sk_defuzz(method: str, xs: list[float], ys: list[float]) -> float:
    if method == "centroid":
        return _sk_centroid(xs, ys)
    if method == "bisector":
        return _sk_bisector(xs, ys)
    return _of_maximum(method, xs, ys)


# -- defuzzification on columns ----------------------------------------------------------------


def _total(values: np.ndarray) -> np.ndarray:
    """Row sums added left to right (as the one-row path does), not numpy's pairwise sum."""
    if values.shape[1] == 0:
        return np.zeros(values.shape[0])
    return np.cumsum(values, axis=1)[:, -1]


def _segments(P: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each segment's moment and area, with scikit-fuzzy's case analysis (and its arithmetic).

    The general trapezoid formula is computed everywhere and the rarer cases (flat tops, edges
    rising from or falling to zero) are patched in where they apply; skipped segments (flat at
    zero, or of zero width) contribute exactly 0.
    """
    x1 = np.ascontiguousarray(P[:, :-1])
    x2 = np.ascontiguousarray(P[:, 1:])
    y1 = np.ascontiguousarray(F[:, :-1])
    y2 = np.ascontiguousarray(F[:, 1:])
    with np.errstate(all="ignore"):
        dx = x2 - x1
        half_dx = 0.5 * dx
        total = y1 + y2
        moment = 2.0 / 3.0 * dx * (y2 + 0.5 * y1) / total + x1
        area = half_dx * total
        zero1 = y1 == 0.0
        zero2 = y2 == 0.0
        rect = (y1 == y2) & ~zero1  # flat tops are common (clipped terms): patch them densely
        np.copyto(moment, 0.5 * (x1 + x2), where=rect)
        np.copyto(area, dx * y1, where=rect)
        m, a = moment.reshape(-1), area.reshape(-1)
        fx1, fdx, fhalf, fy1, fy2 = (v.reshape(-1) for v in (x1, dx, half_dx, y1, y2))
        up = np.flatnonzero(zero1 & ~zero2)
        m[up] = 2.0 / 3.0 * fdx[up] + fx1[up]
        a[up] = fhalf[up] * fy2[up]
        down = np.flatnonzero(zero2 & ~zero1)
        m[down] = 1.0 / 3.0 * fdx[down] + fx1[down]
        a[down] = fhalf[down] * fy1[down]
        skip = (zero1 & zero2) | (dx == 0.0)
        np.putmask(area, skip, 0.0)
        np.putmask(moment, skip, 0.0)
    return x1, x2, y1, y2, moment, area, skip


def _sk_centroid_batch(P: np.ndarray, F: np.ndarray) -> np.ndarray:
    _, _, _, _, moment, area, _ = _segments(P, F)
    sum_moment_area = _total(moment * area)
    sum_area = _total(area)
    return sum_moment_area / np.maximum(sum_area, EPS)


def _sk_bisector_batch(P: np.ndarray, F: np.ndarray) -> np.ndarray:
    rows, width = P.shape
    x1, x2, y1, y2, _, area, skip = _segments(P, F)
    with np.errstate(all="ignore"):
        running = np.cumsum(area, axis=1)
        accum = np.where(skip, 0.0, running)
        half = running[:, -1] / 2.0
        index = np.argmax(accum >= half[:, None], axis=1)
        r = np.arange(rows)
        # the previous segment of the de-duplicated universe: the last one of non-zero width
        valid = x2 != x1
        last_valid = np.maximum.accumulate(np.where(valid, np.arange(width - 1)[None, :], -1), axis=1)
        previous = np.where(index > 0, last_valid[r, np.maximum(index - 1, 0)], -1)
        before = np.where(previous >= 0, accum[r, np.maximum(previous, 0)], 0.0)
        subarea = half - before
        a1 = x1[r, index]
        a2 = x2[r, index]
        b1 = y1[r, index]
        b2 = y2[r, index]
        dx = a2 - a1
        m = (b2 - b1) / dx
        return np.where(
            b1 == b2, subarea / b1 + a1,
            np.where((b1 == 0.0) & (b2 != 0.0), a1 + np.sqrt(2.0 * subarea * dx / b2),
                     np.where((b2 == 0.0) & (b1 != 0.0), a2 - np.sqrt(dx * dx - (2.0 * subarea * dx / b1)),
                              a1 - (b1 - np.sqrt(b1 * b1 + 2.0 * m * subarea)) / m)))


def _of_maximum_batch(method: str, P: np.ndarray, F: np.ndarray) -> np.ndarray:
    top = F.max(axis=1)
    chosen = F == top[:, None]
    chosen[:, 1:] &= P[:, 1:] != P[:, :-1]  # each universe point once, as np.union1d keeps it
    if method == "som":
        return np.where(chosen, P, np.inf).min(axis=1)
    if method == "lom":
        return np.where(chosen, P, -np.inf).max(axis=1)
    with np.errstate(all="ignore"):
        return _total(np.where(chosen, P, 0.0)) / chosen.sum(axis=1)


def _sk_defuzz_batch(method: str, P: np.ndarray, F: np.ndarray) -> np.ndarray:
    if method == "centroid":
        return _sk_centroid_batch(P, F)
    if method == "bisector":
        return _sk_bisector_batch(P, F)
    return _of_maximum_batch(method, P, F)


def _fl_defuzz_batch(method: str, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """fuzzylite 8's integral defuzzifiers on midpoints X (1-d) of rows Y."""
    with np.errstate(all="ignore"):
        if method == "centroid":
            return _total(X[None, :] * Y) / _total(Y)
        if method == "bisector":
            area = np.cumsum(Y, axis=1)
            distance = np.abs(area / area[:, -1:] - 0.5)
            chosen = distance == distance.min(axis=1, keepdims=True)
            return _total(np.where(chosen, X[None, :], 0.0)) / chosen.sum(axis=1)
        top = Y.max(axis=1, keepdims=True)
        chosen = (Y > 0.0) & (Y == top)
        if method == "som":
            return np.where(chosen, X[None, :], np.inf).min(axis=1)
        if method == "lom":
            return np.where(chosen, X[None, :], -np.inf).max(axis=1)
        return _total(np.where(chosen, X[None, :], 0.0)) / chosen.sum(axis=1)


# -- outputs -----------------------------------------------------------------------------------


_BLOCK_CELLS = 32_768  # rows x points per block of a batch: about 256 kB a temporary
_RESULT_ARRAYS = ("value", "default_used", "lo", "hi", "peak")


class _OutputResult:
    """One output's numbers for a batch: columns, turned into evidence only when asked."""

    def __init__(self, value: np.ndarray, default_used: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 peak: np.ndarray, term: list[str | None], degree: np.ndarray) -> None:
        self.value = value
        self.default_used = default_used
        self.lo = lo
        self.hi = hi
        self.peak = peak
        self.term = term
        self.degree = degree


def _values_only(value: np.ndarray) -> _OutputResult:
    """An output's values alone (`evaluate_batch(..., evidence=False)`): nothing for the evidence."""
    empty = np.zeros(0)
    return _OutputResult(value, empty, empty, empty, empty, [], empty)


class _Output:
    """Shared by both kinds: the variable, its rules, its default, its best-term lookup."""

    def __init__(self, var: OutputVariable, rule_base: FuzzyRuleBase, numerics: str) -> None:
        self.var = var
        self.name = var.name
        self.method = var.defuzzify
        # under lock-previous the evaluator fills a row without rules from the row before, then defaults
        self.default = math.nan if var.lock_previous else float(var.default)
        self.numerics = numerics
        self.aggregation = var.aggregation or rule_base.operators.aggregation
        self.implication = rule_base.operators.implication
        # (rule index, term index) in rule order: every activation of this output
        self.pairs: list[tuple[int, int]] = []
        self.pair_hedges: list[tuple[str, ...]] = []
        self.pair_implications: list[str] = []
        for r, rule in enumerate(rule_base.rules):
            for cons in rule.consequents:
                if cons.variable == var.name:
                    self.pairs.append((r, var.term_names.index(cons.term)))
                    self.pair_hedges.append(cons.hedges)
                    self.pair_implications.append(rule_base.operators_of(rule).implication)
        # FuzzyLite's rule blocks may imply differently, and consequents may carry hedges
        self.uniform = all(i == self.implication for i in self.pair_implications) and not any(self.pair_hedges)
        used = sorted({t for _, t in self.pairs})
        self.active = used  # term indices referenced by some rule, in declaration order
        self.rules_of = [tuple(r for r, t in self.pairs if t == term) for term in used]
        self.term_names = var.term_names

    def _evidence(self, value: float, default_used: bool, lo: float | None, hi: float | None, peak: float,
                  term: str | None, degree: float | None) -> dict[str, Any]:
        return {
            "value": None if math.isnan(value) else value,
            "default_used": default_used,
            "support": None if lo is None else [lo, hi],
            "peak": peak,
            "term": term,
            "term_membership": degree,
        }


class _Mamdani(_Output):
    def __init__(self, var: OutputVariable, rule_base: FuzzyRuleBase, numerics: str) -> None:
        super().__init__(var, rule_base, numerics)
        terms = var.terms
        if numerics == "skfuzzy":
            self.grid = var.universe()
            self.grid_list = self.grid.tolist()
            self.grid_set = frozenset(self.grid_list)
            self.mfs = np.array([t.membership(self.grid) for t in terms]).reshape(len(terms), -1)
            self.interpolants = [_Interpolant(self.grid_list, mf.tolist()) for mf in self.mfs]
            self.active_mf = self.mfs[self.active] if self.active else np.zeros((0, len(self.grid)))
            self.active_interp = [self.interpolants[t] for t in self.active]
            self.shapes = [_unimodal(self.mfs[t].tolist()) for t in self.active]
            self.shapes_np = [None if shape is None else (np.array(shape[0]), np.array(shape[1]), shape[2])
                              for shape in self.shapes]
        else:
            n = var.resolution
            self.midpoints = var.lo + (np.arange(n) + 0.5) * (var.hi - var.lo) / n
            self.mfs = np.array([t.membership(self.midpoints) for t in terms]).reshape(len(terms), -1)
        self.fast = numerics == "skfuzzy" and self.aggregation == "max" and bool(self.active) and self.uniform \
            and self.implication in ("min", "product")

    # one row ----------------------------------------------------------------------------------

    def row(self, acts: list[float]) -> tuple[float, dict[str, Any]]:
        if not self.fast:
            result = self.batch([np.array([a]) for a in acts], 1)
            return float(result.value[0]), self._evidence(
                float(result.value[0]), bool(result.default_used[0]),
                None if math.isnan(result.lo[0]) else float(result.lo[0]),
                None if math.isnan(result.hi[0]) else float(result.hi[0]),
                float(result.peak[0]), result.term[0],
                None if math.isnan(result.degree[0]) else float(result.degree[0]))
        cuts = [max(map(acts.__getitem__, rules)) if len(rules) > 1 else acts[rules[0]] for rules in self.rules_of]
        if self.implication == "min":
            values = np.minimum(np.array(cuts)[:, None], self.active_mf).max(axis=0).tolist()
        else:
            values = (np.array(cuts)[:, None] * self.active_mf).max(axis=0).tolist()
        if not max(values) > 0.0:  # nothing fired: crossings cannot add area either
            return self._row_default(0.0)
        points = self.grid_list
        if self.implication == "min":
            extra = set()
            for (ip, shape), cut in zip(zip(self.active_interp, self.shapes), cuts):
                extra.update(_crossings(ip.grid, ip.mf, shape, cut))
            extra.difference_update(self.grid_set)
            if extra:
                points = list(points)
                for x in sorted(extra):
                    j = bisect_right(self.grid_list, x) - 1
                    v = 0.0
                    for ip, cut in zip(self.active_interp, cuts):
                        level = ip.at(x, j)
                        level = cut if cut < level else level
                        if level > v:
                            v = level
                    at = bisect_right(points, x)
                    points.insert(at, x)
                    values.insert(at, v)
        value = _sk_defuzz(self.method, points, values)
        peak = max(values)
        lo = next(x for x, y in zip(points, values) if y > 0.0)
        hi = next(x for x, y in zip(reversed(points), reversed(values)) if y > 0.0)
        term, degree = self._best_row(value)
        return value, self._evidence(value, False, lo, hi, peak, term, degree)

    def _row_default(self, peak: float) -> tuple[float, dict[str, Any]]:
        value = self.default
        term, degree = self._best_row(value)
        return value, self._evidence(value, True, None, None, peak, term, degree)

    def _best_row(self, value: float) -> tuple[str | None, float | None]:
        if math.isnan(value):
            return None, None
        if self.numerics == "skfuzzy":
            j = bisect_right(self.grid_list, value) - 1
            degrees = [ip.at(value, j) for ip in self.interpolants]
        else:
            degrees = [float(t.membership(np.array([value]))[0]) for t in self.var.terms]
        best = max(range(len(degrees)), key=degrees.__getitem__)
        return self.term_names[best], degrees[best]

    # many rows --------------------------------------------------------------------------------

    def batch(self, acts: list[np.ndarray], rows: int, *, values_only: bool = False) -> _OutputResult:
        # Rows are independent: blocks of rows keep the (rows x points) temporaries in cache.
        block = max(1, _BLOCK_CELLS // max(1, self.mfs.shape[1] + 2 * len(self.active)))
        if rows <= block:
            return self._batch(acts, rows, values_only=values_only)
        parts = [self._batch([a[start:start + block] for a in acts], min(block, rows - start), values_only=values_only)
                 for start in range(0, rows, block)]
        if values_only:
            return _values_only(np.concatenate([p.value for p in parts]))
        return _OutputResult(*(np.concatenate([getattr(p, f) for p in parts]) for f in _RESULT_ARRAYS[:5]),
                             [t for p in parts for t in p.term], np.concatenate([p.degree for p in parts]))

    def _batch(self, acts: list[np.ndarray], rows: int, *, values_only: bool = False) -> _OutputResult:
        if self.numerics == "skfuzzy":
            P, F = self._sk_curve(acts, rows)
            method = _sk_defuzz_batch
        else:
            P, F = np.broadcast_to(self.midpoints, (rows, len(self.midpoints))), self._fl_curve(acts, rows)
            method = None
        peak = F.max(axis=1) if F.shape[1] else np.zeros(rows)
        empty = ~(peak > 0.0)
        with np.errstate(all="ignore"):
            if method is not None:
                value = method(self.method, P, F)
            else:
                value = _fl_defuzz_batch(self.method, self.midpoints, F)
        value = np.where(empty, self.default, value)
        if values_only:
            return _values_only(value)
        positive = F > 0.0
        lo = np.where(empty, np.nan, np.where(positive, P, np.inf).min(axis=1))
        hi = np.where(empty, np.nan, np.where(positive, P, -np.inf).max(axis=1))
        term, degree = self._best_batch(value)
        return _OutputResult(value, empty, lo, hi, peak, term, degree)

    def _levels(self, acts: list[np.ndarray]) -> list[tuple[int, np.ndarray, str]]:
        """(active position, activation, implication) to aggregate: one per term when max, else one per rule.

        Under max, the rules of one term merge before implication: every T-norm is monotonic, so
        t(max(a, b), y) is exactly the larger of t(a, y) and t(b, y)."""
        position = {t: i for i, t in enumerate(self.active)}
        if self.aggregation == "max" and self.uniform:
            return [(i, reduce(np.fmax, [acts[r] for r in rules]), self.implication)
                    for i, rules in enumerate(self.rules_of)]
        levels = []
        for (r, t), hedges, implication in zip(self.pairs, self.pair_hedges, self.pair_implications):
            level = acts[r]
            for hedge in reversed(hedges):
                level = HEDGE_VECTOR[hedge](level)
            levels.append((position[t], np.nan_to_num(level, nan=0.0, posinf=1.0, neginf=0.0), implication))
        return levels

    def _aggregate(self, F: np.ndarray, v: np.ndarray) -> np.ndarray:
        if self.aggregation == "max":
            return np.maximum(F, v, out=F)
        if self.aggregation == "sum":
            return F + v
        if self.aggregation == "probor":
            return F + v - F * v
        with np.errstate(all="ignore"):
            return OR_VECTOR[self.aggregation](F, v)

    def _implied(self, level: np.ndarray, curve: np.ndarray, implication: str | None = None) -> np.ndarray:
        implication = implication or self.implication
        if implication == "min":
            return np.minimum(level[:, None], curve)
        if implication == "product":
            return level[:, None] * curve
        with np.errstate(all="ignore"):
            return AND_VECTOR[implication](level[:, None], curve)

    def _sk_curve(self, acts: list[np.ndarray], rows: int) -> tuple[np.ndarray, np.ndarray]:
        levels = self._levels(acts)
        parts = [np.broadcast_to(self.grid, (rows, len(self.grid)))]
        if self.implication == "min" and self.uniform:
            for i, level, _ in levels:
                parts.append(_crossings_batch(self.grid, self.active_mf[i], level, self.shapes_np[i]))
        P = np.sort(np.concatenate(parts, axis=1), axis=1) if len(parts) > 1 else np.array(parts[0])
        curves: dict[int, np.ndarray] = {}
        F = np.zeros(P.shape)
        for i, level, implication in levels:
            if i not in curves:
                curves[i] = np.interp(P, self.grid, self.active_mf[i], left=0.0, right=0.0)
            F = self._aggregate(F, self._implied(level, curves[i], implication))
        return P, F

    def _fl_curve(self, acts: list[np.ndarray], rows: int) -> np.ndarray:
        F = np.zeros((rows, len(self.midpoints)))
        for i, level, implication in self._levels(acts):
            F = self._aggregate(F, self._implied(level, self.mfs[self.active[i]][None, :], implication))
        return F

    def _best_batch(self, value: np.ndarray) -> tuple[list[str | None], np.ndarray]:
        finite = ~np.isnan(value)
        safe = np.where(finite, value, self.var.lo)
        if self.numerics == "skfuzzy":
            degrees = np.array([np.interp(safe, self.grid, mf, left=0.0, right=0.0) for mf in self.mfs])
        else:
            degrees = np.array([t.membership(safe) for t in self.var.terms])
        best = degrees.argmax(axis=0)
        degree = np.where(finite, degrees[best, np.arange(len(value))], np.nan)
        names = [self.term_names[b] if f else None for b, f in zip(best.tolist(), finite.tolist())]
        return names, degree


def _unimodal(mf: list[float]) -> tuple[list[float], list[float], int] | None:
    """(rising part, negated falling part, peak index) when mf rises then falls, else None."""
    peak = max(range(len(mf)), key=mf.__getitem__)
    if all(mf[i] <= mf[i + 1] for i in range(peak)) and all(mf[i] >= mf[i + 1] for i in range(peak, len(mf) - 1)):
        return mf[: peak + 1], [-v for v in mf[peak:]], peak
    return None


def _crossings(grid: list[float], mf: list[float], shape: Any, cut: float) -> list[float]:
    """Where the piecewise-linear term crosses `cut`, as skfuzzy's _interp_universe_fast finds them."""
    n = len(mf)
    if shape is not None:
        rising, falling, peak = shape
        if cut == 0.0:  # skfuzzy's special case: strictly above zero
            if not mf[peak] > 0.0:
                return []
            first = bisect_right(rising, 0.0)
            last = peak + _count_below(falling, -0.0, strict=True) - 1
        else:
            if not mf[peak] >= cut:
                return []
            first = _first_at_least(rising, cut)
            last = peak + _count_below(falling, -cut, strict=False) - 1
        segments = []
        if first > 0:
            segments.append(first - 1)
        if last < n - 1:
            segments.append(last)
    else:
        if cut == 0.0:
            inside = [v > 0.0 for v in mf]
        else:
            inside = [v >= cut for v in mf]
        segments = [k for k in range(n - 1) if inside[k] != inside[k + 1]]
    return [grid[k] + (cut - mf[k]) * (grid[k + 1] - grid[k]) / (mf[k + 1] - mf[k]) for k in segments]


def _first_at_least(rising: list[float], cut: float) -> int:
    return bisect_left(rising, cut)


def _count_below(negated: list[float], bound: float, *, strict: bool) -> int:
    """How many leading values of the (non-decreasing) negated falling part are <= bound (< if strict)."""
    return bisect_left(negated, bound) if strict else bisect_right(negated, bound)


def _crossings_batch(grid: np.ndarray, mf: np.ndarray, cut: np.ndarray, shape: Any = None) -> np.ndarray:
    """Crossing points of one term for every row, padded with grid[0] (a duplicate, which is harmless)."""
    rows = len(cut)
    if shape is not None:  # rises then falls: at most one crossing on each side, found by bisection
        rising, falling, peak = shape
        n = len(mf)
        above = cut > 0.0
        nonempty = np.where(above, mf[peak] >= cut, mf[peak] > 0.0)
        first = np.where(above, np.searchsorted(rising, cut, "left"), np.searchsorted(rising, 0.0, "right"))
        count = np.where(above, np.searchsorted(falling, -cut, "right"), np.searchsorted(falling, 0.0, "left"))
        last = peak + count - 1
        out = np.full((rows, 2), grid[0])
        with np.errstate(all="ignore"):
            for column, valid, k in ((0, nonempty & (first > 0), first - 1), (1, nonempty & (last < n - 1), last)):
                k = np.clip(k, 0, n - 2)
                x = grid[k] + (cut - mf[k]) * (grid[k + 1] - grid[k]) / (mf[k + 1] - mf[k])
                out[:, column] = np.where(valid, x, grid[0])
        return out
    inside = np.where((cut == 0.0)[:, None], mf[None, :] > 0.0, mf[None, :] >= cut[:, None])
    r, k = np.nonzero(inside[:, 1:] != inside[:, :-1])
    if r.size == 0:
        return np.empty((rows, 0))
    counts = np.bincount(r, minlength=rows)
    slot = np.arange(r.size) - (np.cumsum(counts) - counts)[r]
    out = np.full((rows, int(counts.max())), grid[0])
    out[r, slot] = grid[k] + (cut[r] - mf[k]) * (grid[k + 1] - grid[k]) / (mf[k + 1] - mf[k])
    return out


class _TakagiSugeno(_Output):
    """A weighted output: Takagi-Sugeno (constant, linear, function terms) or Tsukamoto (monotonic terms)."""

    def __init__(self, var: OutputVariable, rule_base: FuzzyRuleBase, numerics: str) -> None:
        super().__init__(var, rule_base, numerics)
        inputs = len(rule_base.inputs)
        self.functions: list[tuple[tuple[float, ...], float]] = []
        for term in var.terms:
            if term.shape == "constant":
                self.functions.append(((), term.params[0]))
            elif term.shape == "linear":
                # FuzzyLite's constant is optional: one coefficient per input alone means + 0
                constant = term.params[-1] if len(term.params) > inputs else 0.0
                self.functions.append((term.params[:inputs], constant))
            else:
                self.functions.append(((), math.nan))
        # the general path: FuzzyLite's grouping of a term's rules, formulas, Tsukamoto, hedges
        self.general = (numerics == "fuzzylite" or var.aggregation is not None or var.defuzzify != "weighted_average"
                        or any(not t.is_function or t.shape == "function" for t in var.terms) or not self.uniform
                        or any(b.activation != "general" for b in (rule_base.operators, *rule_base.blocks)))
        self.grouping = OR_VECTOR[var.aggregation or "sum"]  # FuzzyLite's `aggregation: none` adds them up
        # one row in plain Python, where numpy's call overhead would dominate (the same operations)
        self.row_fast = all(t.shape in ("constant", "linear") for t in var.terms) and \
            (var.aggregation or "sum") in ("sum", "max")

    def _z_general(self, t: int, w: np.ndarray, inputs: list[np.ndarray], rows: int,
                   env: Mapping[str, Any]) -> np.ndarray:
        term = self.var.terms[t]
        with np.errstate(all="ignore"):
            if term.shape in ("constant", "linear"):
                return self._z_batch(t, inputs, rows)
            if term.shape == "function":
                return np.broadcast_to(term.membership(w, env), (rows,))
            if term.is_monotonic:  # Tsukamoto: where the term reaches the rule's strength
                return term.inverse(w)
            return term.membership(w)

    def general_row(self, acts: list[float], inputs: list[float]) -> tuple[float, dict[str, Any]]:
        """`general_batch` on one row, operation for operation, for constant and linear terms."""
        groups: dict[int, float] = {}
        add = self.var.aggregation in (None, "sum")
        for (r, t), hedges in zip(self.pairs, self.pair_hedges):
            level = acts[r]
            for hedge in reversed(hedges):
                level = HEDGE_SCALAR[hedge](level)
            level = 0.0 if level != level else 1.0 if level == math.inf else 0.0 if level == -math.inf else level
            if t not in groups:
                groups[t] = level
            else:
                groups[t] = groups[t] + level if add else max(groups[t], level)
        num = 0.0 if groups else math.nan
        den = 0.0
        lo, hi, peak = math.inf, -math.inf, 0.0
        for t, w in groups.items():
            z = self._z_row(t, inputs)
            num = num + w * z
            den = den + w
            if w > 0.0:
                lo, hi = min(lo, z), max(hi, z)
            peak = max(peak, w)
        empty = not den > 0.0
        value = math.nan
        if not empty:
            value = num / den
            if self.method == "weighted_sum":
                value = value * den
        if value != value:
            value = self.default
        if empty:
            return value, self._evidence(value, True, None, None, peak, None, None)
        order = list(groups)
        best = max(range(len(order)), key=lambda k: groups[order[k]])
        return value, self._evidence(value, False, lo, hi, peak, self.term_names[order[best]], groups[order[best]])

    def general_batch(self, acts: list[np.ndarray], inputs: list[np.ndarray], rows: int, env: Mapping[str, Any], *,
                      values_only: bool = False,
                      triggered: Sequence[np.ndarray | None] | None = None) -> _OutputResult:
        """FuzzyLite's weighted average (or sum): each term's rules grouped, then sum(w z) / sum(w).

        `triggered`: per rule, where it took effect (None: everywhere); a term no rule of which took
        effect is left out of the average, as fuzzylite leaves it out of the output."""
        groups: dict[int, np.ndarray] = {}
        present: dict[int, np.ndarray | None] = {}
        for (r, t), hedges in zip(self.pairs, self.pair_hedges):
            level = acts[r]
            for hedge in reversed(hedges):
                level = HEDGE_VECTOR[hedge](level)
            level = np.nan_to_num(level, nan=0.0, posinf=1.0, neginf=0.0)
            took = triggered[r] if triggered is not None else None
            if took is not None:
                level = np.where(took, level, 0.0)
            if t not in groups:
                groups[t], present[t] = level, took
            else:
                groups[t] = self.grouping(groups[t], level)
                known = present[t]
                present[t] = None if known is None or took is None else known | took
        num = np.zeros(rows) if groups else np.full(rows, np.nan)
        den = np.zeros(rows)
        lo = np.full(rows, np.inf)
        hi = np.full(rows, -np.inf)
        peak = np.zeros(rows)
        with np.errstate(all="ignore"):
            for t, w in groups.items():
                z = self._z_general(t, w, inputs, rows, env)
                mask = present[t]
                num = num + (w * z if mask is None else np.where(mask, w * z, 0.0))
                den = den + (w if mask is None else np.where(mask, w, 0.0))
                fired = w > 0.0
                lo = np.where(fired, np.fmin(lo, z), lo)
                hi = np.where(fired, np.fmax(hi, z), hi)
                peak = np.maximum(peak, w)
            value = num / den
            if self.method == "weighted_sum":
                value = value * den
        empty = ~(den > 0.0)
        value = np.where(empty, np.nan, value)
        value = np.where(np.isnan(value), self.default, value)
        if values_only:
            return _values_only(value)
        lo = np.where(empty, np.nan, lo)
        hi = np.where(empty, np.nan, hi)
        if groups:
            order = list(groups)
            strengths = np.array([groups[t] for t in order])
            best = strengths.argmax(axis=0)
            degree = np.where(empty, np.nan, strengths[best, np.arange(rows)])
            names = [None if e else self.term_names[order[b]] for b, e in zip(best.tolist(), empty.tolist())]
        else:
            degree = np.full(rows, np.nan)
            names = [None] * rows
        return _OutputResult(value, empty, lo, hi, peak, names, degree)

    def _z_row(self, t: int, inputs: list[float]) -> float:
        coefficients, constant = self.functions[t]
        if not coefficients:
            return constant
        s = 0.0
        for c, v in zip(coefficients, inputs):
            s += c * v
        return s + constant

    def _z_batch(self, t: int, inputs: list[np.ndarray], rows: int) -> np.ndarray:
        coefficients, constant = self.functions[t]
        if not coefficients:
            return np.full(rows, constant)
        s = np.zeros(rows)
        for c, v in zip(coefficients, inputs):
            s = s + c * v
        return s + constant

    def row(self, acts: list[float], inputs: list[float]) -> tuple[float, dict[str, Any]]:
        num = 0.0
        den = 0.0
        zs = []
        for r, t in self.pairs:
            w = acts[r]
            z = self._z_row(t, inputs)
            num += w * z
            den += w
            zs.append((w, z))
        peak = max((w for w, _ in zs), default=0.0)
        if not den > 0.0:
            value = self.default
            return value, self._evidence(value, True, None, None, peak, None, None)
        value = num / den
        fired = [z for w, z in zs if w > 0.0]
        best = self._best([max((acts[r] for r in rules), default=0.0) for rules in self.rules_of])
        return value, self._evidence(value, False, min(fired), max(fired), peak, best[0], best[1])

    def _best(self, strengths: list[float]) -> tuple[str | None, float | None]:
        if not strengths:
            return None, None
        i = max(range(len(strengths)), key=strengths.__getitem__)
        return self.term_names[self.active[i]], strengths[i]

    def batch(self, acts: list[np.ndarray], inputs: list[np.ndarray], rows: int, *,
              values_only: bool = False) -> _OutputResult:
        num = np.zeros(rows)
        den = np.zeros(rows)
        lo = np.full(rows, np.inf)
        hi = np.full(rows, -np.inf)
        peak = np.zeros(rows)
        for r, t in self.pairs:
            w = acts[r]
            z = self._z_batch(t, inputs, rows)
            num = num + w * z
            den = den + w
            fired = w > 0.0
            lo = np.where(fired, np.minimum(lo, z), lo)
            hi = np.where(fired, np.maximum(hi, z), hi)
            peak = np.maximum(peak, w)
        empty = ~(den > 0.0)
        with np.errstate(all="ignore"):
            value = np.where(empty, self.default, num / den)
        if values_only:
            return _values_only(value)
        lo = np.where(empty, np.nan, lo)
        hi = np.where(empty, np.nan, hi)
        if self.rules_of:
            strengths = np.array([reduce(np.fmax, [acts[r] for r in rules]) for rules in self.rules_of])
            best = strengths.argmax(axis=0)
            degree = np.where(empty, np.nan, strengths[best, np.arange(rows)])
            names = [None if e else self.term_names[self.active[b]] for b, e in zip(best.tolist(), empty.tolist())]
        else:
            degree = np.full(rows, np.nan)
            names = [None] * rows
        return _OutputResult(value, empty, lo, hi, peak, names, degree)


def _row_of(out: _Output, result: _OutputResult) -> tuple[float, dict[str, Any]]:
    """The one row of a one-row batch result, as `row` methods return it."""
    value = float(result.value[0])
    return value, out._evidence(value, bool(result.default_used[0]),
                                None if math.isnan(result.lo[0]) else float(result.lo[0]),
                                None if math.isnan(result.hi[0]) else float(result.hi[0]),
                                float(result.peak[0]), result.term[0],
                                None if math.isnan(result.degree[0]) else float(result.degree[0]))


# -- the evaluator -----------------------------------------------------------------------------


class RowEvaluation:
    __slots__ = ("outputs", "evidence")

    def __init__(self, outputs: dict[str, float], evidence: dict[str, Any]) -> None:
        self.outputs = outputs
        self.evidence = evidence


class BatchEvaluation:
    __slots__ = ("outputs", "evidence")

    def __init__(self, outputs: dict[str, np.ndarray], evidence: "BatchEvidence | None") -> None:
        self.outputs = outputs
        self.evidence = evidence


class BatchEvidence(Sequence):
    """One evidence dict per row, computed column-wise and assembled only when a row is read."""

    def __init__(self, evaluator: "FuzzyEvaluator", rows: int, given: list[list[float]], used: list[list[float]],
                 memberships: list[list[float]], strengths: list[list[float]], outputs: list[_OutputResult]) -> None:
        self._evaluator = evaluator
        self._rows = rows
        columns: list[Any] = []
        layout = []
        k = 0
        for n, inp in enumerate(evaluator._inputs):
            start = len(columns) + 2
            columns += [given[n], used[n], *memberships[k:k + len(inp.term_names)]]
            k += len(inp.term_names)
            layout.append((inp.name, inp.term_names, start - 2, start, len(columns)))
        self._layout = layout
        self._rules = (len(columns), len(columns) + len(strengths))
        columns += strengths
        self._outputs_at = len(columns)
        for o in outputs:
            columns += [o.value.tolist(), o.default_used.tolist(), o.lo.tolist(), o.hi.tolist(), o.peak.tolist(),
                        o.term, o.degree.tolist()]
        self._columns = columns
        self._table: list[tuple[Any, ...]] | None = None  # rows, zipped on first read

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._rows))]
        if index < 0:
            index += self._rows
        if not 0 <= index < self._rows:
            raise IndexError(index)
        table = self._table
        if table is None:
            table = self._table = list(zip(*self._columns)) if self._columns else [()] * self._rows
        row = table[index]
        ev = self._evaluator
        inputs = {}
        for name, term_names, at, start, stop in self._layout:
            given, used = row[at], row[at + 1]
            inputs[name] = {"value": used, "given": given, "clipped": used != given,
                            "memberships": dict(zip(term_names, row[start:stop]))}
        start, stop = self._rules
        rules = [{"name": name, "strength": strength} for name, strength in zip(ev._rule_names, row[start:stop])]
        outputs = {}
        at = self._outputs_at
        for out in ev._outputs:
            value, default_used, lo, hi, peak, term, degree = row[at:at + 7]
            at += 7
            outputs[out.name] = out._evidence(value, default_used, None if lo != lo else lo, None if hi != hi else hi,
                                              peak, term, None if degree != degree else degree)
        return ev._wrap(inputs, rules, outputs)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in range(self._rows):
            yield self[index]


class FuzzyEvaluator:
    """A compiled `FuzzyRuleBase`: evaluate one row or many.

    >>> from composite.fuzzy.yamlformat import read_fuzzy_yaml
    >>> rb = read_fuzzy_yaml('''
    ... fuzzy: demo
    ... inputs: {x: {range: [0, 10], terms: {low: [trimf, 0, 0, 10], high: [trimf, 0, 10, 10]}}}
    ... outputs: {y: {range: [0, 1], terms: {low: [trimf, 0, 0, 1], high: [trimf, 0, 1, 1]}}}
    ... rules: [{name: up, if: x is high, then: y is high}, {name: down, if: x is low, then: y is low}]
    ... ''', file="demo.fuzzy.yaml")
    >>> round(FuzzyEvaluator(rb).evaluate({"x": 10.0}).outputs["y"], 4)
    0.6667
    """

    def __init__(self, rule_base: FuzzyRuleBase, *, numerics: str = "skfuzzy") -> None:
        if numerics not in NUMERICS:
            raise ValueError(f"numerics must be one of {', '.join(NUMERICS)}, not {numerics!r}")
        self.rule_base = rule_base
        self.numerics = numerics
        self.kind = rule_base.kind
        self._inputs = [_Input(var, numerics) for var in rule_base.inputs]
        index: dict[tuple[str, str], int] = {}
        for inp in self._inputs:
            for term in inp.term_names:
                index[(inp.name, term)] = len(index)
        self._memberships = len(index)
        # Chained rule blocks: a rule may read an output's term, whose degree is what the earlier
        # rules gave it so far (FuzzyLite). Each such (output, term) gets a slot after the inputs'.
        for rule in rule_base.rules:
            for prop in propositions(rule.antecedent):
                out = rule_base.output(prop.variable)
                if out is not None and rule_base.input(prop.variable) is None and prop.term \
                        and (prop.variable, prop.term) not in index:
                    index[(prop.variable, prop.term)] = len(index)
        self._writes: list[list[tuple[int, Callable[[Any], Any], tuple[str, ...]]]] = []
        for rule in rule_base.rules:
            writes = []
            for cons in rule.consequents:
                if (cons.variable, cons.term) in index:
                    out = rule_base.output(cons.variable)
                    aggregation = (out.aggregation if out is not None and out.aggregation else
                                   "sum" if out is not None and out.weighted else rule_base.operators.aggregation)
                    writes.append((index[(cons.variable, cons.term)], OR_VECTOR[aggregation], cons.hedges))
            self._writes.append(writes)
        self._chained = any(self._writes)
        # FuzzyLite's activation methods other than general: (method, parameters, the block's rule indices)
        self._activations: list[tuple[str, tuple[Any, ...], list[int]]] = []
        for ops in (rule_base.blocks or (rule_base.operators,)):
            method, params = parse_activation(ops.activation)
            members = [r for r, rule in enumerate(rule_base.rules) if rule_base.operators_of(rule) is ops]
            if method != "general" and members:
                self._activations.append((method, params, members))
        self._slot_count = len(index)
        self._rule_names = [rule.name for rule in rule_base.rules]
        compiled = []
        for rule in rule_base.rules:
            ops = rule_base.operators_of(rule)
            compiled.append(_Compiled(rule.antecedent, index, ops.and_, ops.or_))
        self._rule_scalar = [c.scalar for c in compiled]
        self._rule_vector = [c.vector for c in compiled]
        self._weights = [float(rule.weight) for rule in rule_base.rules]
        self._outputs: list[_Output] = [(_TakagiSugeno if var.weighted else _Mamdani)(var, rule_base, numerics)
                                        for var in rule_base.outputs]
        self._env = any(isinstance(out, _TakagiSugeno) and out.general and not out.row_fast for out in self._outputs)
        self.input_names: tuple[str, ...] = rule_base.input_names
        self.output_names: tuple[str, ...] = rule_base.output_names

    # -- inputs ---------------------------------------------------------------------------------

    def _row_inputs(self, values: Mapping[str, Any]) -> tuple[list[float], list[float]]:
        given: list[float] = []
        used: list[float] = []
        problems: list[Problem] = []
        for inp in self._inputs:
            if inp.name not in values:
                problems.append(Problem("missing_input", f"'{inp.name}' is required by the fuzzy rule base",
                                        field=inp.name))
                continue
            raw = values[inp.name]
            if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
                problems.append(Problem("not_a_number", f"'{inp.name}' must be a number, got {raw!r}", field=inp.name))
                continue
            x = float(raw)
            if math.isnan(x):
                problems.append(Problem("not_a_number", f"'{inp.name}' is nan; a number is required", field=inp.name))
                continue
            clipped = inp.lo if x < inp.lo else inp.hi if x > inp.hi else x
            if clipped != x and inp.reject:
                problems.append(Problem("out_of_range", f"'{inp.name}' is {x:g}, outside its range "
                                        f"[{inp.lo:g}, {inp.hi:g}]", field=inp.name))
                continue
            given.append(x)
            used.append(clipped)
        if problems:
            raise RequestError(problems[0].message if len(problems) == 1 else f"{len(problems)} invalid inputs",
                               problems=problems)
        return given, used

    def _batch_inputs(self, columns: Mapping[str, Any], rows: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        given: list[np.ndarray] = []
        used: list[np.ndarray] = []
        problems: list[Problem] = []
        for inp in self._inputs:
            if inp.name not in columns:
                problems.append(Problem("missing_input", f"column '{inp.name}' is required by the fuzzy rule base",
                                        field=inp.name))
                continue
            try:
                x = np.asarray(columns[inp.name], dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                problems.append(Problem("not_a_number", f"column '{inp.name}' must hold numbers", field=inp.name))
                continue
            if len(x) != rows:
                problems.append(Problem("bad_column", f"column '{inp.name}' has {len(x)} values, expected {rows}",
                                        field=inp.name))
                continue
            bad = np.flatnonzero(np.isnan(x))
            if bad.size:
                problems.append(Problem("not_a_number", f"'{inp.name}' is nan in {bad.size} row(s), first row "
                                        f"{int(bad[0])}", field=inp.name))
                continue
            clipped = np.clip(x, inp.lo, inp.hi)
            if inp.reject:
                outside = np.flatnonzero(clipped != x)
                if outside.size:
                    problems.append(Problem("out_of_range", f"'{inp.name}' is outside its range [{inp.lo:g}, "
                                            f"{inp.hi:g}] in {outside.size} row(s), first row {int(outside[0])} "
                                            f"({x[outside[0]]:g})", field=inp.name))
                    continue
            given.append(x)
            used.append(clipped)
        if problems:
            raise RequestError(problems[0].message if len(problems) == 1 else f"{len(problems)} invalid input columns",
                               problems=problems)
        return given, used

    # -- one row --------------------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any]) -> RowEvaluation:
        """Outputs and evidence for one decision; RequestError for a missing or rejected input."""
        given, used = self._row_inputs(values)
        m: list[float] = []
        inputs: dict[str, Any] = {}
        for inp, g, x in zip(self._inputs, given, used):
            memberships = inp.memberships(x)
            m.extend(memberships)
            inputs[inp.name] = {"value": x, "given": g, "clipped": x != g,
                                "memberships": dict(zip(inp.term_names, memberships))}
        weights = self._weights
        if self._chained:
            acts = self._chain(self._rule_scalar, m, lambda v: float(np.nan_to_num(v, nan=0.0, posinf=1.0,
                                                                                     neginf=0.0)), 0.0)
        else:
            acts = [fn(m) * w for fn, w in zip(self._rule_scalar, weights)]
        # a strength that is not a number (a hedge of a strength above 1, say) takes no effect, as the
        # degree of fuzzylite's activated term; +inf counts as 1
        acts = [a if math.isfinite(a) else 0.0 if a != a or a < 0 else 1.0 for a in acts]
        triggered: list[np.ndarray | None] = [None] * len(acts)
        if self._activations:  # the batch's arithmetic on one row, so both agree bit for bit
            columns, triggered = self._activate([np.array([float(a)]) for a in acts])
            acts = [float(a[0]) for a in columns]
        rules = [{"name": name, "strength": a} for name, a in zip(self._rule_names, acts)]
        outputs: dict[str, float] = {}
        evidence_outputs: dict[str, Any] = {}
        # the values formulas read; built only for rule bases whose weighted outputs need it
        env: dict[str, Any] = {inp.name: np.array([x]) for inp, x in zip(self._inputs, used)} if self._env else {}
        for out in self._outputs:
            if isinstance(out, _TakagiSugeno) and out.general and out.row_fast and not self._activations:
                value, ev = out.general_row(acts, used)
            elif isinstance(out, _TakagiSugeno) and out.general:
                result = out.general_batch([np.array([a]) for a in acts], [np.array([x]) for x in used], 1, env,
                                           triggered=triggered)
                value, ev = _row_of(out, result)
            elif isinstance(out, _TakagiSugeno):
                value, ev = out.row(acts, used)
            else:
                value, ev = out.row(acts)
            var = out.var
            if var.lock_previous or var.lock_range:
                finished = float(self._finish(out, np.array([value]))[0])
                if finished != value and not (math.isnan(finished) and math.isnan(value)):
                    value, ev = finished, {**ev, "value": None if math.isnan(finished) else finished}
            outputs[out.name] = value
            evidence_outputs[out.name] = ev
            if self._env:
                env[out.name] = np.array([value])
        return RowEvaluation(outputs, self._wrap(inputs, rules, evidence_outputs))

    def _strengths(self, m: list[np.ndarray], size: int) -> list[np.ndarray]:
        """Every rule's strength on columns of input memberships (in the evaluator's term order)."""
        if self._chained:
            acts = self._chain(self._rule_vector, list(m), lambda v: np.nan_to_num(v, nan=0.0, posinf=1.0,
                                                                                     neginf=0.0), np.zeros(size))
        else:
            acts = [fn(m) * w for fn, w in zip(self._rule_vector, self._weights)]
        columns = [np.broadcast_to(np.asarray(a, dtype=np.float64), (size,)) for a in acts]
        return [c if np.isfinite(c).all() else np.nan_to_num(c, nan=0.0, posinf=1.0, neginf=0.0) for c in columns]

    def _activate(self, acts: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """FuzzyLite's activation methods: the strengths that take effect, and which rules took effect
        (None: every one, as under general). A rule that does not is absent from its outputs."""
        triggered: list[np.ndarray | None] = [None] * len(acts)
        if not self._activations:
            return acts, triggered
        acts = list(acts)
        for method, params, members in self._activations:
            block = np.array([acts[r] for r in members]).reshape(len(members), -1)
            positive = block > 0.0
            if method in ("first", "last"):
                count, threshold = params
                eligible = positive & (block >= threshold)
                order = eligible if method == "first" else eligible[::-1]
                before = np.cumsum(order, axis=0) - order  # eligible rules met earlier in the order
                chosen = order & (before < count)
                chosen = chosen if method == "first" else chosen[::-1]
            elif method in ("highest", "lowest"):
                (count,) = params
                key = -block if method == "highest" else block
                index = np.arange(len(members))[:, None, None]
                # ahead: an eligible rule ranked before (stronger, or as strong and earlier)
                ahead = positive[None, :, :] & ((key[None, :, :] < key[:, None, :]) |
                                                ((key[None, :, :] == key[:, None, :]) &
                                                 (index.transpose(1, 0, 2) < index)))
                chosen = positive & (ahead.sum(axis=1) < count)
            elif method == "proportional":
                chosen = positive
                with np.errstate(all="ignore"):
                    block = np.where(positive, block / np.where(positive, block, 0.0).sum(axis=0), block)
            else:  # threshold
                comparator, value = params
                chosen = {"<": np.less, "<=": np.less_equal, "==": np.equal, "!=": np.not_equal,
                          ">=": np.greater_equal, ">": np.greater}[comparator](block, value)
            for k, r in enumerate(members):
                acts[r] = np.where(chosen[k], block[k], 0.0)
                triggered[r] = chosen[k]
        return acts, triggered

    @staticmethod
    def _finish(out: "_Output", value: np.ndarray) -> np.ndarray:
        """FuzzyLite's last steps: lock-previous (rows in order), then the default, then lock-range."""
        var = out.var
        if var.lock_previous:
            value = np.array(value, dtype=np.float64)
            missing = np.isnan(value)
            if missing.any():
                # each row without a value takes the last value before it (forward fill)
                last = np.where(~missing, np.arange(len(value)), -1)
                np.maximum.accumulate(last, out=last)
                value = np.where(last >= 0, value[np.maximum(last, 0)], np.nan)
            if not math.isnan(var.default):
                value = np.where(np.isnan(value), float(var.default), value)
        if var.lock_range:
            value = np.clip(value, var.lo, var.hi)
        return value

    def _chain(self, functions: list[Callable[[Any], Any]], m: list[Any], finite: Callable[[Any], Any],
               zero: Any) -> list[Any]:
        """Rule strengths in rule order, each rule's consequents adding to the slots later rules read."""
        m.extend([zero] * (self._slot_count - len(m)))
        acts = []
        for fn, w, writes in zip(functions, self._weights, self._writes):
            act = fn(m) * w
            acts.append(act)
            for slot, aggregate, hedges in writes:
                level = act
                for hedge in reversed(hedges):
                    level = HEDGE_SCALAR[hedge](level) if isinstance(zero, float) else HEDGE_VECTOR[hedge](level)
                if isinstance(zero, float):  # numpy scalars: the batch's arithmetic, nan where it divides by 0
                    m[slot] = float(aggregate(np.float64(m[slot]), np.float64(finite(level))))
                else:
                    m[slot] = aggregate(m[slot], finite(level))
        del m[self._memberships:]
        return acts

    def _wrap(self, inputs: dict[str, Any], rules: list[dict[str, Any]], outputs: dict[str, Any]) -> dict[str, Any]:
        return {"kind": self.kind, "numerics": self.numerics, "inputs": inputs, "rules": rules, "outputs": outputs}

    # -- many rows ------------------------------------------------------------------------------

    def evaluate_batch(self, columns: Mapping[str, Any], size: int | None = None, *,
                       evidence: bool = True) -> BatchEvaluation:
        """Outputs (arrays) and per-row evidence for many decisions, equal row for row to `evaluate`.

        `evidence=False`: the same outputs and `evidence` None; no membership, strength or support
        is turned into Python values, and no output's best term is looked up."""
        if size is None:
            size = len(next(iter(columns.values()))) if columns else 0
        given, used = self._batch_inputs(columns, size)
        m: list[np.ndarray] = []
        for inp, x in zip(self._inputs, used):
            m.extend(inp.memberships_batch(x))
        acts, triggered = self._activate(self._strengths(m, size))
        results = []
        outputs = {}
        env: dict[str, Any] = {inp.name: x for inp, x in zip(self._inputs, used)}
        for out in self._outputs:
            if isinstance(out, _TakagiSugeno) and out.general:
                result = out.general_batch(acts, used, size, env, values_only=not evidence, triggered=triggered)
            elif isinstance(out, _TakagiSugeno):
                result = out.batch(acts, used, size, values_only=not evidence)
            else:
                result = out.batch(acts, size, values_only=not evidence)
            result.value = self._finish(out, result.value)
            results.append(result)
            outputs[out.name] = result.value
            env[out.name] = result.value
        if not evidence:
            return BatchEvaluation(outputs, None)
        evidence_rows = BatchEvidence(self, size, [g.tolist() for g in given], [u.tolist() for u in used],
                                      [x.tolist() for x in m], [a.tolist() for a in acts], results)
        return BatchEvaluation(outputs, evidence_rows)
