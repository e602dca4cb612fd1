"""decide_batch checks every row as decide checks one request: no coercion, integers exact."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine, RequestError
from tests.conftest import GOOD_LOAN, write_project

PROJECT = """
    name: kinds
    outputs: [k_out, n_out, s_out]
    nodes:
      - {name: pass, kind: expression, writes: {k_out: k, n_out: n, s_out: s}}
"""
CONCEPTS = """
    concepts:
      k: {type: integer}
      n: {type: number, range: [-1000000, 1000000]}
      s: {type: category, values: [a, b]}
      flag: {type: boolean, required: false}
      opt: {type: integer, required: false, range: [0, 100]}
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("kinds") / "p", PROJECT, CONCEPTS)
    return CompositeEngine.from_path(root, store=f"sqlite:///{root / 'd.db'}")


def test_a_string_or_a_boolean_deep_in_a_batch_is_refused_as_decide_refuses_it(loan_project):
    engine = CompositeEngine.from_path(loan_project, store="memory")
    for bad in ("5", True):
        rows = [dict(GOOD_LOAN) for _ in range(1_500)]
        rows[1_400]["age"] = bad
        with pytest.raises(RequestError):
            engine.decide(rows[1_400])
        with pytest.raises(RequestError) as caught:
            engine.decide_batch(pd.DataFrame(rows))
        assert caught.value.problems[0].field == "age"
        assert "expected an integer in row 1400" in str(caught.value)
    assert engine.store.count() == 0


def test_integers_stay_exact_or_are_refused(kinds):
    before = kinds.store.count()
    exact = 2**53 + 1
    frame = kinds.decide_batch(pd.DataFrame({"k": np.array([exact, 2**63 - 1, -(2**63)], dtype=np.int64),
                                             "n": [1.0, 2.0, 3.0], "s": ["a", "a", "b"]}))
    stored = [kinds.get(i).inputs["k"] for i in frame["decision_id"]]
    assert stored == [exact, 2**63 - 1, -(2**63)]
    assert all(type(v) is int for v in stored)
    for k in (2**63, 2**64, 10**400):  # beyond int64: refused by both, never wrapped or rounded
        row = {"k": k, "n": 1.0, "s": "a"}
        with pytest.raises(RequestError, match="outside the 64-bit integer range"):
            kinds.decide(row)
        with pytest.raises(RequestError, match="'k' is outside the 64-bit integer range in row 0"):
            kinds.decide_batch([row])
    with pytest.raises(RequestError, match="outside the 64-bit integer range"):
        kinds.decide_batch(pd.DataFrame({"k": np.array([2**63], dtype=np.uint64), "n": [1.0], "s": ["a"]}))
    with pytest.raises(RequestError, match="cannot hold exactly"):  # a number is a float: 2**53+1 would round
        kinds.decide({"k": 1, "n": exact, "s": "a"})
    assert kinds.store.count() == before + 3


def _null(cell) -> bool:
    return cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell))


def _same(a, b) -> bool:
    """Equal and of the same kind: an int is not a float, and NaN equals only NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) and bool(a) == bool(b)
    return a == b


values = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 5, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 24.0, 2.0**63, 1e20, -1e7]),
    st.booleans(),
    st.sampled_from(["a", "b", "c", "5", "", "a" * 20_000]),
    st.none(),
)


@st.composite
def columns(draw, size: int):
    """A column as a caller gives it: a typed numpy column, or any values in an object column."""
    family = draw(st.sampled_from(["int64", "float64", "bool", "object", "string"]))
    if family == "int64":
        return np.array(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=size, max_size=size)), dtype=np.int64)
    if family == "float64":
        return np.array(draw(st.lists(st.floats(), min_size=size, max_size=size)), dtype=np.float64)
    if family == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)
    if family == "string":
        return pd.array(draw(st.lists(st.sampled_from(["a", "b", "z"]), min_size=size, max_size=size)), dtype="str")
    return pd.Series(draw(st.lists(values, min_size=size, max_size=size)), dtype=object)


@st.composite
def frames(draw):
    size = draw(st.integers(1, 8))
    data = {name: draw(columns(size)) for name in ("k", "n", "s", "flag", "opt") if name in ("k", "n", "s") or draw(st.booleans())}
    return pd.DataFrame(data, index=pd.Index(draw(st.permutations(range(100, 100 + size)))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(frame=frames())
def test_decide_batch_accepts_exactly_the_rows_decide_accepts_with_the_same_values(kinds, frame):
    singles = []
    for i in range(len(frame)):
        request = {name: None if _null(frame[name].iat[i]) else frame[name].iat[i] for name in frame.columns}
        try:
            singles.append(kinds.decide(request, record=False))
        except RequestError:
            singles.append(None)
    accepted = [i for i, s in enumerate(singles) if s is not None]

    if len(accepted) < len(frame):  # all or nothing by default
        with pytest.raises(RequestError):
            kinds.decide_batch(frame, record=False)

    decided, rejected = kinds.decide_batch(frame, on_error="collect")
    assert sorted(set(rejected["row"])) == [i for i, s in enumerate(singles) if s is None]
    assert list(decided.index) == [frame.index[i] for i in accepted]
    for i, decision_id in zip(accepted, decided["decision_id"]):
        stored = kinds.get(decision_id)
        single = singles[i]
        assert stored.inputs.keys() == single.inputs.keys()
        for name, value in single.inputs.items():
            assert _same(stored.inputs[name], value), (name, stored.inputs[name], value)
            if isinstance(value, int) and not isinstance(value, bool) and name in ("k", "opt"):
                assert type(stored.inputs[name]) is int and stored.inputs[name] == value
        assert stored.outputs["s_out"] == single.outputs["s_out"]
        assert stored.outputs["k_out"] == single.outputs["k_out"]
