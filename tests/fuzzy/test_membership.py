"""Membership functions: bit for bit scikit-fuzzy's, and fuzzylite's shapes with shoulders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import skfuzzy
from hypothesis import given, settings
from hypothesis import strategies as st

from composite.fuzzy import membership as mf

GRIDS = [np.linspace(-3.0, 7.0, 41), np.linspace(0.0, 10.0, 11), np.array([0.0, 0.25, 2.5, 5.0, 9.999, 10.0])]

SKFUZZY_CASES = [
    ("trimf", (0.0, 2.5, 5.0), lambda x, p: skfuzzy.trimf(x, list(p))),
    ("trimf", (0.0, 0.0, 5.0), lambda x, p: skfuzzy.trimf(x, list(p))),
    ("trimf", (5.0, 10.0, 10.0), lambda x, p: skfuzzy.trimf(x, list(p))),
    ("trapmf", (-1.0, 1.0, 3.0, 8.0), lambda x, p: skfuzzy.trapmf(x, list(p))),
    ("trapmf", (0.0, 0.0, 2.0, 4.5), lambda x, p: skfuzzy.trapmf(x, list(p))),
    ("gaussmf", (2.0, 1.3), lambda x, p: skfuzzy.gaussmf(x, *p)),
    ("gauss2mf", (1.0, 0.7, 4.0, 2.0), lambda x, p: skfuzzy.gauss2mf(x, *p)),
    ("gbellmf", (2.0, 3.0, 4.0), lambda x, p: skfuzzy.gbellmf(x, *p)),
    ("sigmf", (4.0, 1.5), lambda x, p: skfuzzy.sigmf(x, *p)),
    ("sigmf", (4.0, -2.0), lambda x, p: skfuzzy.sigmf(x, *p)),
    ("dsigmf", (2.0, 3.0, 6.0, 3.0), lambda x, p: skfuzzy.dsigmf(x, *p)),
    ("psigmf", (2.0, 3.0, 6.0, -3.0), lambda x, p: skfuzzy.psigmf(x, *p)),
    ("smf", (1.0, 6.0), lambda x, p: skfuzzy.smf(x, *p)),
    ("zmf", (1.0, 6.0), lambda x, p: skfuzzy.zmf(x, *p)),
    ("pimf", (0.0, 2.0, 5.0, 9.0), lambda x, p: skfuzzy.pimf(x, *p)),
]


@pytest.mark.parametrize(("shape", "params", "reference"), SKFUZZY_CASES)
@pytest.mark.parametrize("grid", GRIDS, ids=["fine", "integers", "odd"])
def test_skfuzzy_shapes_equal_skfuzzy_membership_bit_for_bit(shape: str, params: tuple, reference: object,
                                                             grid: np.ndarray) -> None:
    ours = mf.SHAPES[shape](grid, params)
    assert np.array_equal(ours, reference(grid, params))


@settings(max_examples=150, deadline=None)
@given(points=st.lists(st.floats(-5, 15, allow_nan=False), min_size=3, max_size=4).map(sorted),
       resolution=st.integers(2, 60))
def test_trimf_and_trapmf_equal_skfuzzy_for_any_vertices_and_universe(points: list[float], resolution: int) -> None:
    grid = np.linspace(0.0, 10.0, resolution)
    if len(points) == 3:
        assert np.array_equal(mf.trimf(grid, *points), skfuzzy.trimf(grid, points))
    else:
        assert np.array_equal(mf.trapmf(grid, *points), skfuzzy.trapmf(grid, points))


def test_fuzzylite_triangle_and_trapezoid_treat_equal_vertices_as_shoulders() -> None:
    x = np.array([0.0, 0.5, 1.0, 3.0, 4.0])
    assert mf.triangle(x, 0, 0, 1).tolist() == [1.0, 0.5, 0.0, 0.0, 0.0]
    assert mf.trapezoid(x, 0, 0, 1, 3).tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert mf.trapezoid(x, 1, 3, 4, 4).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_fuzzylite_shapes_accept_infinite_vertices_as_open_edges() -> None:
    x = np.array([-100.0, 0.0, 1.0, 2.0])
    assert mf.triangle(x, -math.inf, 0, 2).tolist() == [1.0, 1.0, 0.5, 0.0]
    assert mf.trapezoid(x, 0, 1, 2, math.inf).tolist() == [0.0, 0.0, 1.0, 1.0]


def test_fuzzylite_bell_and_gaussian_follow_their_formulas() -> None:
    x = np.array([0.2, 0.333, 0.6])
    assert mf.bell(x, 0.333, 0.167, 3.0) == pytest.approx(1 / (1 + np.abs((x - 0.333) / 0.167) ** 6), abs=1e-15)
    assert mf.gaussian(x, 0.333, 0.143) == pytest.approx(np.exp(-((x - 0.333) ** 2) / (2 * 0.143**2)), abs=1e-15)
    # fuzzylite's shapes equal skfuzzy's on the same parameters, bit for bit
    assert np.array_equal(mf.triangle(GRIDS[0], 0, 2.5, 5), mf.trimf(GRIDS[0], 0, 2.5, 5))
    assert np.array_equal(mf.trapezoid(GRIDS[0], -1, 1, 3, 8), mf.trapmf(GRIDS[0], -1, 1, 3, 8))
    assert np.array_equal(mf.bell(GRIDS[0], 4.0, 2.0, 3.0), mf.gbellmf(GRIDS[0], 2.0, 3.0, 4.0))


@pytest.mark.parametrize(("shape", "params", "message"), [
    ("trimf", (3, 2, 1), "needs a <= b <= c"),
    ("trapmf", (0, 1, 2), "takes 4 parameters"),
    ("gaussmf", (1, 0), "sigma != 0"),
    ("smf", (2, 2), "needs a < b"),
    ("pimf", (0, 0, 1, 2), "needs a < b <= c < d"),
    ("gauss2mf", (3, 1, 1, 1), "mean1 <= mean2"),
    ("trimf", (0, math.nan, 1), "not nan"),
])
def test_shape_problems_say_what_the_parameters_need(shape: str, params: tuple, message: str) -> None:
    problem = mf.SHAPES[shape].problem(tuple(float(p) for p in params))
    assert problem is not None and message in problem


def test_every_skfuzzy_membership_function_of_the_issue_is_registered() -> None:
    wanted = {"trimf", "trapmf", "gaussmf", "gauss2mf", "gbellmf", "sigmf", "dsigmf", "psigmf", "smf", "zmf", "pimf"}
    assert wanted <= set(mf.SHAPES)
    assert {"triangle", "trapezoid", "bell", "gaussian"} <= set(mf.SHAPES)
