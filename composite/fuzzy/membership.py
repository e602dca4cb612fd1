"""Membership functions: scikit-fuzzy's shapes with its parameter conventions, and fuzzylite's.

Our own numpy code, written operation for operation as scikit-fuzzy 0.5 writes it, so a universe
discretised here is bit for bit the one scikit-fuzzy builds (tests hold us to that). Every
function takes a 1-d float array and the shape's parameters, and returns memberships.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "INVERSES",
    "SHAPES",
    "Shape",
    "arc",
    "bell",
    "binary",
    "concave",
    "cosine",
    "discrete",
    "dsigmf",
    "gauss2mf",
    "gaussian",
    "gaussmf",
    "gbellmf",
    "pimf",
    "psigmf",
    "ramp",
    "rectangle",
    "semi_ellipse",
    "sigmf",
    "sigmoid_difference",
    "smf",
    "spike",
    "trapezoid",
    "trapmf",
    "triangle",
    "trimf",
    "zmf",
]


def _array(x: object) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# -- scikit-fuzzy's shapes --------------------------------------------------------------------


def trimf(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Triangle rising from `a` to 1 at `b`, falling to 0 at `c` (skfuzzy's trimf, a <= b <= c).

    >>> trimf(np.array([0.0, 2.5, 5.0, 7.5, 10.0]), 0, 5, 10).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    x = _array(x)
    y = np.zeros(len(x))
    if a != b:
        idx = np.nonzero(np.logical_and(a < x, x < b))[0]
        y[idx] = (x[idx] - a) / float(b - a)
    if b != c:
        idx = np.nonzero(np.logical_and(b < x, x < c))[0]
        y[idx] = (c - x[idx]) / float(c - b)
    y[np.nonzero(x == b)] = 1
    return y


def trapmf(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Trapezoid: 0 before `a`, rising to 1 at `b`, 1 up to `c`, 0 again at `d` (skfuzzy's trapmf).

    >>> trapmf(np.array([0.0, 1.0, 2.0, 3.5, 5.0]), 0, 2, 3, 5).tolist()
    [0.0, 0.5, 1.0, 0.75, 0.0]
    """
    x = _array(x)
    y = np.ones(len(x))
    idx = np.nonzero(x <= b)[0]
    y[idx] = trimf(x[idx], a, b, b)
    idx = np.nonzero(x >= c)[0]
    y[idx] = trimf(x[idx], c, c, d)
    y[np.nonzero(x < a)[0]] = 0.0
    y[np.nonzero(x > d)[0]] = 0.0
    return y


def gaussmf(x: np.ndarray, mean: float, sigma: float) -> np.ndarray:
    """Gaussian bell centred on `mean` with standard deviation `sigma` (skfuzzy's gaussmf).

    >>> round(float(gaussmf(np.array([1.0]), 0.0, 1.0)[0]), 6)
    0.606531
    """
    x = _array(x)
    return np.exp(-((x - mean) ** 2.0) / (2 * sigma**2.0))


def gauss2mf(x: np.ndarray, mean1: float, sigma1: float, mean2: float, sigma2: float) -> np.ndarray:
    """Left half of one Gaussian, 1 between `mean1` and `mean2`, right half of another (skfuzzy)."""
    x = _array(x)
    y = np.ones(len(x))
    idx1 = x <= mean1
    idx2 = x > mean2
    y[idx1] = gaussmf(x[idx1], mean1, sigma1)
    y[idx2] = gaussmf(x[idx2], mean2, sigma2)
    return y


def gbellmf(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Generalised bell 1 / (1 + |(x - c) / a|^(2b)): width `a`, slope `b`, centre `c` (skfuzzy)."""
    x = _array(x)
    return 1.0 / (1.0 + np.abs((x - c) / a) ** (2 * b))


def sigmf(x: np.ndarray, b: float, c: float) -> np.ndarray:
    """Sigmoid 1 / (1 + exp(-c (x - b))): centre `b`, slope and side `c` (skfuzzy's order)."""
    x = _array(x)
    return 1.0 / (1.0 + np.exp(-c * (x - b)))


def dsigmf(x: np.ndarray, b1: float, c1: float, b2: float, c2: float) -> np.ndarray:
    """Difference of two sigmoids, sigmf(b1, c1) - sigmf(b2, c2) (skfuzzy)."""
    return sigmf(x, b1, c1) - sigmf(x, b2, c2)


def psigmf(x: np.ndarray, b1: float, c1: float, b2: float, c2: float) -> np.ndarray:
    """Product of two sigmoids, sigmf(b1, c1) * sigmf(b2, c2) (skfuzzy)."""
    return sigmf(x, b1, c1) * sigmf(x, b2, c2)


def smf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """S-curve from 0 at `a` to 1 at `b` (skfuzzy's smf)."""
    x = _array(x)
    y = np.ones(len(x))
    y[x <= a] = 0
    idx = np.logical_and(a <= x, x <= (a + b) / 2.0)
    y[idx] = 2.0 * ((x[idx] - a) / (b - a)) ** 2.0
    idx = np.logical_and((a + b) / 2.0 <= x, x <= b)
    y[idx] = 1 - 2.0 * ((x[idx] - b) / (b - a)) ** 2.0
    return y


def zmf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Z-curve from 1 at `a` to 0 at `b` (skfuzzy's zmf)."""
    x = _array(x)
    y = np.ones(len(x))
    idx = np.logical_and(a <= x, x < (a + b) / 2.0)
    y[idx] = 1 - 2.0 * ((x[idx] - a) / (b - a)) ** 2.0
    idx = np.logical_and((a + b) / 2.0 <= x, x <= b)
    y[idx] = 2.0 * ((x[idx] - b) / (b - a)) ** 2.0
    y[x >= b] = 0
    return y


def pimf(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Pi-curve: S-curve up from `a` to `b`, 1 to `c`, Z-curve down to `d` (skfuzzy's pimf)."""
    x = _array(x)
    y = np.ones(len(x))
    y[x <= a] = 0
    idx = np.logical_and(a <= x, x <= (a + b) / 2.0)
    y[idx] = 2.0 * ((x[idx] - a) / (b - a)) ** 2.0
    idx = np.logical_and((a + b) / 2.0 < x, x <= b)
    y[idx] = 1 - 2.0 * ((x[idx] - b) / (b - a)) ** 2.0
    idx = np.logical_and(c <= x, x < (c + d) / 2.0)
    y[idx] = 1 - 2.0 * ((x[idx] - c) / (d - c)) ** 2.0
    idx = np.logical_and((c + d) / 2.0 <= x, x <= d)
    y[idx] = 2.0 * ((x[idx] - d) / (d - c)) ** 2.0
    y[x >= d] = 0
    return y


# -- fuzzylite's shapes (FuzzyLite Language terms) ----------------------------------------------


def triangle(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """fuzzylite's Triangle: equal vertices make a shoulder, infinite ones an open edge.

    >>> triangle(np.array([0.0, 0.5, 1.0]), 0, 0, 1).tolist()
    [1.0, 0.5, 0.0]
    """
    x = _array(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            (x < a) | (x > c),
            0.0,
            np.where(
                (x == b) | ((a == -math.inf) & (x < b)) | ((c == math.inf) & (x > b)),
                1.0,
                np.where(x < b, (x - a) / (b - a), np.where(x > b, (c - x) / (c - b), np.nan)),
            ),
        )


def trapezoid(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """fuzzylite's Trapezoid: 1 on [b, c], linear edges to 0 at `a` and `d`, shoulders allowed."""
    x = _array(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            (x < a) | (x > d),
            0.0,
            np.where(
                ((b <= x) & (x <= c)) | ((a == -math.inf) & (x < b)) | ((d == math.inf) & (x > c)),
                1.0,
                np.where(x < b, (x - a) / (b - a), np.where(x > c, (d - x) / (d - c), np.nan)),
            ),
        )


def bell(x: np.ndarray, center: float, width: float, slope: float) -> np.ndarray:
    """fuzzylite's Bell: 1 / (1 + |(x - center) / width|^(2 slope))."""
    x = _array(x)
    return 1.0 / (1.0 + np.abs((x - center) / width) ** (2.0 * slope))


def gaussian(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """fuzzylite's Gaussian, exp(-(x - mean)^2 / (2 sd^2)), in gaussmf's arithmetic.

    fuzzylite orders the operations differently (a last-bit difference); computing it as gaussmf
    does keeps FLL export and import exact.
    """
    return gaussmf(x, mean, sd)


def ramp(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """fuzzylite's Ramp: 0 at `start`, 1 at `end` (falling when end < start), flat beyond.

    >>> ramp(np.array([0.0, 0.5, 1.0, 2.0]), 0, 1).tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    x = _array(x)
    increasing = start < end
    decreasing = start > end
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(increasing & (end > x) & (x > start), (x - start) / (end - start),
                        np.where(decreasing & (end < x) & (x < start), (start - x) / (start - end),
                                 np.where((increasing & (x >= end)) | (decreasing & (x <= end)), 1.0, 0.0)))


def cosine(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """fuzzylite's Cosine: a raised cosine `width` wide, 1 at `center`."""
    x = _array(x)
    within = (x >= center - 0.5 * width) & (x <= center + 0.5 * width)
    return np.where(np.isfinite(x) & within, 0.5 * (1.0 + np.cos(2.0 / width * np.pi * (x - center))), 0.0)


def concave(x: np.ndarray, inflection: float, end: float) -> np.ndarray:
    """fuzzylite's Concave: 0.5 at `inflection`, 1 from `end` on (or up to `end` when end < inflection)."""
    x = _array(x)
    i, e = inflection, end
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((i <= e) & (x < e), (e - i) / (2.0 * e - i - x),
                        np.where((i >= e) & (x > e), (i - e) / (i - 2.0 * e + x), 1.0))


def rectangle(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """fuzzylite's Rectangle: 1 on [start, end], 0 elsewhere."""
    x = _array(x)
    lo, hi = min(start, end), max(start, end)
    return np.where((lo <= x) & (x <= hi), 1.0, 0.0)


def spike(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """fuzzylite's Spike: exp(-|10 / width (x - center)|)."""
    x = _array(x)
    return np.exp(-np.abs(10.0 / width * (x - center)))


def arc(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """fuzzylite's Arc: a quarter circle from 0 at `start` to 1 at `end`, flat 1 beyond `end`."""
    x = _array(x)
    r = end - start
    c = start + r
    left = start > end
    right = start < end
    with np.errstate(invalid="ignore"):
        return np.where((left & (c <= x) & (x <= start)) | (right & (start <= x) & (x <= c)),
                        np.sqrt(np.maximum(r**2 - np.square(x - c), 0.0)) / abs(r),
                        np.where((left & (x < end)) | (right & (x > end)), 1.0, 0.0))


def binary(x: np.ndarray, start: float, direction: float) -> np.ndarray:
    """fuzzylite's Binary: 1 from `start` on towards `direction` (above it when direction > start)."""
    x = _array(x)
    return np.where(((direction > start) & (x >= start)) | ((direction < start) & (x <= start)), 1.0, 0.0)


def semi_ellipse(x: np.ndarray, start: float, end: float) -> np.ndarray:
    """fuzzylite's SemiEllipse: half an ellipse over [start, end], 1 at the middle."""
    x = _array(x)
    lo, hi = min(start, end), max(start, end)
    r = (hi - lo) / 2
    c = lo + r
    with np.errstate(invalid="ignore"):
        # at the ends r^2 - (x - c)^2 may round below 0: the ellipse is 0 there, not nan
        return np.where((x >= lo) & (x <= hi), np.sqrt(np.maximum(r**2 - np.square(x - c), 0.0)) / r, 0.0)


def sigmoid_difference(x: np.ndarray, left: float, rising: float, falling: float, right: float) -> np.ndarray:
    """fuzzylite's SigmoidDifference: |sigmoid(left, rising) - sigmoid(right, falling)|."""
    return np.abs(sigmf(x, left, rising) - sigmf(x, right, falling))


def discrete(x: np.ndarray, *xy: float) -> np.ndarray:
    """fuzzylite's Discrete: straight lines between the points x1 y1 x2 y2 ..., flat beyond the ends.

    >>> discrete(np.array([-1.0, 0.5, 3.0]), 0, 0, 1, 1).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.interp(_array(x), np.asarray(xy[0::2], dtype=np.float64), np.asarray(xy[1::2], dtype=np.float64))


# fuzzylite's inverses of monotonic terms (Term.tsukamoto): the x at which a term reaches degree y
def _ramp_inverse(y: np.ndarray, h: float, start: float, end: float) -> np.ndarray:
    return start + (end - start) * y / h


def _sigmoid_inverse(y: np.ndarray, h: float, inflection: float, slope: float) -> np.ndarray:
    return inflection + np.log(h / y - 1.0) / -slope


def _s_inverse(y: np.ndarray, h: float, start: float, end: float) -> np.ndarray:
    return np.where(y <= h / 2.0, start + (end - start) * np.sqrt(y / (2 * h)),
                    end - (end - start) * np.sqrt((h - y) / (2 * h)))


def _z_inverse(y: np.ndarray, h: float, start: float, end: float) -> np.ndarray:
    return np.where(y <= h / 2.0, end - (end - start) * np.sqrt(y / (2 * h)),
                    start + (end - start) * np.sqrt((h - y) / (2 * h)))


def _concave_inverse(y: np.ndarray, h: float, inflection: float, end: float) -> np.ndarray:
    return h * (inflection - end) / y + 2 * end - inflection


def _arc_inverse(y: np.ndarray, h: float, start: float, end: float) -> np.ndarray:
    r = end - start
    c = start + r
    sign = -1 if start < end else 1
    return c + sign * np.sqrt(r**2 - np.square(y * r / h))


INVERSES: dict[str, Callable[..., np.ndarray]] = {
    "ramp": _ramp_inverse,
    "sigmf": _sigmoid_inverse,
    "smf": _s_inverse,
    "zmf": _z_inverse,
    "concave": _concave_inverse,
    "arc": _arc_inverse,
}
"""Monotonic shapes and their inverses, for Tsukamoto outputs: inverse(y, height, *params)."""


# -- the registry ----------------------------------------------------------------------------


def _ordered(*names: str) -> Callable[[tuple[float, ...]], str | None]:
    def check(params: tuple[float, ...]) -> str | None:
        if any(params[i] > params[i + 1] for i in range(len(params) - 1)):
            return f"needs {' <= '.join(names)}, got {', '.join(_fmt(p) for p in params)}"
        return None

    return check


def _strictly_ordered(*names: str) -> Callable[[tuple[float, ...]], str | None]:
    def check(params: tuple[float, ...]) -> str | None:
        if any(params[i] >= params[i + 1] for i in range(len(params) - 1)):
            return f"needs {' < '.join(names)}, got {', '.join(_fmt(p) for p in params)}"
        return None

    return check


def _nonzero(index: int, name: str) -> Callable[[tuple[float, ...]], str | None]:
    def check(params: tuple[float, ...]) -> str | None:
        return f"needs {name} != 0" if params[index] == 0 else None

    return check


def _different(first: str, second: str) -> Callable[[tuple[float, ...]], str | None]:
    def check(params: tuple[float, ...]) -> str | None:
        return f"needs {first} != {second}, got {_fmt(params[0])} for both" if params[0] == params[1] else None

    return check


def _positive(index: int, name: str) -> Callable[[tuple[float, ...]], str | None]:
    def check(params: tuple[float, ...]) -> str | None:
        return f"needs {name} > 0, got {_fmt(params[index])}" if not params[index] > 0 else None

    return check


def _discrete_check(params: tuple[float, ...]) -> str | None:
    xs = params[0::2]
    if any(xs[i] > xs[i + 1] for i in range(len(xs) - 1)):
        return f"needs its x values in increasing order, got {', '.join(_fmt(v) for v in xs)}"
    return None


def _pimf_check(params: tuple[float, ...]) -> str | None:
    a, b, c, d = params
    if not (a < b <= c < d):
        return f"needs a < b <= c < d, got {', '.join(_fmt(p) for p in params)}"
    return None


def _gauss2_check(params: tuple[float, ...]) -> str | None:
    m1, s1, m2, s2 = params
    if s1 == 0 or s2 == 0:
        return "needs sigma1 != 0 and sigma2 != 0"
    if m1 > m2:
        return f"needs mean1 <= mean2, got {_fmt(m1)} > {_fmt(m2)}"
    return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


@dataclass(frozen=True)
class Shape:
    """A membership-function family: its parameter names, function and parameter check."""

    name: str
    params: tuple[str, ...]
    function: Callable[..., np.ndarray]
    check: Callable[[tuple[float, ...]], str | None] | None = None
    finite: bool = True  # parameters must be finite numbers
    variadic: bool = False  # any number of (x, y) pairs, as Discrete takes

    def __call__(self, x: np.ndarray, params: tuple[float, ...]) -> np.ndarray:
        return self.function(x, *params)

    def problem(self, params: tuple[float, ...]) -> str | None:
        """What is wrong with `params` for this shape, or None."""
        if self.variadic:
            if len(params) < 2 or len(params) % 2:
                return f"{self.name} takes pairs of numbers x1 y1 x2 y2 ..., got {len(params)} number(s)"
        elif len(params) != len(self.params):
            return f"{self.name} takes {len(self.params)} parameters ({', '.join(self.params)}), got {len(params)}"
        if any(math.isnan(p) for p in params):
            return f"{self.name} parameters must be numbers, not nan"
        if self.finite and any(math.isinf(p) for p in params):
            return f"{self.name} parameters must be finite"
        return self.check(params) if self.check else None


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape("trimf", ("a", "b", "c"), trimf, _ordered("a", "b", "c")),
        Shape("trapmf", ("a", "b", "c", "d"), trapmf, _ordered("a", "b", "c", "d")),
        Shape("gaussmf", ("mean", "sigma"), gaussmf, _nonzero(1, "sigma")),
        Shape("gauss2mf", ("mean1", "sigma1", "mean2", "sigma2"), gauss2mf, _gauss2_check),
        Shape("gbellmf", ("a", "b", "c"), gbellmf, _nonzero(0, "a")),
        Shape("sigmf", ("b", "c"), sigmf),
        Shape("dsigmf", ("b1", "c1", "b2", "c2"), dsigmf),
        Shape("psigmf", ("b1", "c1", "b2", "c2"), psigmf),
        Shape("smf", ("a", "b"), smf, _strictly_ordered("a", "b")),
        Shape("zmf", ("a", "b"), zmf, _strictly_ordered("a", "b")),
        Shape("pimf", ("a", "b", "c", "d"), pimf, _pimf_check),
        Shape("triangle", ("a", "b", "c"), triangle, _ordered("a", "b", "c"), finite=False),
        Shape("trapezoid", ("a", "b", "c", "d"), trapezoid, _ordered("a", "b", "c", "d"), finite=False),
        Shape("bell", ("center", "width", "slope"), bell, _nonzero(1, "width")),
        Shape("gaussian", ("mean", "sd"), gaussian, _nonzero(1, "sd")),
        Shape("ramp", ("start", "end"), ramp, _different("start", "end")),
        Shape("cosine", ("center", "width"), cosine, _positive(1, "width")),
        Shape("concave", ("inflection", "end"), concave, _different("inflection", "end")),
        Shape("rectangle", ("start", "end"), rectangle),
        Shape("spike", ("center", "width"), spike, _positive(1, "width")),
        Shape("arc", ("start", "end"), arc, _different("start", "end")),
        Shape("binary", ("start", "direction"), binary, _different("start", "direction"), finite=False),
        Shape("semi_ellipse", ("start", "end"), semi_ellipse, _different("start", "end")),
        Shape("sigmoid_difference", ("left", "rising", "falling", "right"), sigmoid_difference),
        Shape("discrete", ("x1", "y1", "x2", "y2", "..."), discrete, _discrete_check, variadic=True),
    )
}
