"""fuzzylite's own term types (Ramp to Function), their checks, and the inverses Tsukamoto needs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from composite.fuzzy import membership as mf
from composite.fuzzy.model import Term

X = np.array([0.0, 0.25, 0.5, 0.75, 1.0])


@pytest.mark.parametrize(("shape", "params", "expected"), [
    ("ramp", (0.0, 1.0), [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("ramp", (1.0, 0.0), [1.0, 0.75, 0.5, 0.25, 0.0]),
    ("cosine", (0.5, 1.0), [0.0, 0.5, 1.0, 0.5, 0.0]),
    ("concave", (0.5, 1.0), [1 / 3, 0.4, 0.5, 2 / 3, 1.0]),
    ("concave", (0.5, 0.0), [1.0, 2 / 3, 0.5, 0.4, 1 / 3]),
    ("rectangle", (0.75, 0.25), [0.0, 1.0, 1.0, 1.0, 0.0]),
    ("spike", (0.5, 1.0), [math.exp(-5), math.exp(-2.5), 1.0, math.exp(-2.5), math.exp(-5)]),
    ("arc", (0.0, 1.0), [0.0, math.sqrt(1 - 0.75**2), math.sqrt(0.75), math.sqrt(1 - 0.25**2), 1.0]),
    ("binary", (0.5, math.inf), [0.0, 0.0, 1.0, 1.0, 1.0]),
    ("binary", (0.5, -math.inf), [1.0, 1.0, 1.0, 0.0, 0.0]),
    ("semi_ellipse", (0.0, 1.0), [0.0, math.sqrt(0.75), 1.0, math.sqrt(0.75), 0.0]),
    ("discrete", (0.0, 0.0, 0.5, 1.0, 1.0, 0.0), [0.0, 0.5, 1.0, 0.5, 0.0]),
])
def test_fuzzylite_shapes_follow_fuzzylite_definitions(shape: str, params: tuple, expected: list[float]) -> None:
    assert mf.SHAPES[shape](X, params) == pytest.approx(expected, abs=1e-12)
    assert mf.SHAPES[shape].problem(params) is None


def test_sigmoid_difference_is_the_absolute_difference_as_in_fuzzylite() -> None:
    x = np.array([-10.0, 0.0, 10.0])
    ours = mf.sigmoid_difference(x, 2.0, 3.0, 1.0, -1.0)  # the right sigmoid above the left one
    assert np.array_equal(ours, np.abs(mf.sigmf(x, 2.0, 3.0) - mf.sigmf(x, -1.0, 1.0)))
    assert (ours >= 0).all()


@pytest.mark.parametrize(("shape", "params", "message"), [
    ("ramp", (1.0, 1.0), "needs start != end"),
    ("cosine", (0.5, 0.0), "needs width > 0"),
    ("discrete", (0.0, 0.0, 1.0), "takes pairs of numbers"),
    ("discrete", (1.0, 0.0, 0.0, 1.0), "x values in increasing order"),
])
def test_fuzzylite_shapes_refuse_parameters_that_draw_nothing(shape: str, params: tuple, message: str) -> None:
    assert message in (mf.SHAPES[shape].problem(params) or "")


@pytest.mark.parametrize(("shape", "params"), [
    ("ramp", (0.2, 0.9)), ("ramp", (0.9, 0.2)), ("sigmf", (0.5, 12.0)), ("sigmf", (0.5, -12.0)),
    ("smf", (0.1, 0.8)), ("zmf", (0.1, 0.8)), ("concave", (0.5, 0.9)), ("concave", (0.5, 0.1)),
    ("arc", (0.1, 0.9)), ("arc", (0.9, 0.1)),
])
def test_monotonic_terms_invert_their_membership(shape: str, params: tuple) -> None:
    term = Term("t", shape, params)
    y = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    assert term.is_monotonic
    assert term.membership(term.inverse(y)) == pytest.approx(y, abs=1e-9)


def test_a_function_term_reads_x_and_the_variables_it_names() -> None:
    term = Term("f", "function", (), formula="gt(x, 0.5) * speed / 10")
    assert term.membership(np.array([0.25, 0.75]), {"speed": 4.0}).tolist() == [0.0, 0.4]
    assert not term.is_monotonic and term.is_function
