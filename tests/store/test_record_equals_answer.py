"""What the store keeps is what decide returned: inf and NaN included, in decide and in decide_batch.

Chosen: non-finite outputs are stored exactly (fuzzylite's NaN for "no rule fired" and an
overflow's inf are answers the caller sees), not refused. Equality below treats NaN as equal to NaN and to nothing else.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine, open_store
from tests.store.shared import nonfinite_project, same


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return nonfinite_project(tmp_path_factory.mktemp("nonfinite") / "p")


def test_inf_and_nan_outputs_read_back_exactly_from_a_new_connection(project, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = CompositeEngine.from_path(project, store=url)
    decision = engine.decide({"a": 1e300, "b": 1e300, "x": 5})
    assert decision.outputs["y"] == math.inf and decision.outputs["w"] == -math.inf
    # a NaN output (fuzzylite's "no rule fired", a model's NaN), kept by the same store
    other_id = decision.id[:-1] + ("e" if decision.id.endswith("f") else "f")
    nan = decision.model_copy(update={"id": other_id, "outputs": {**decision.outputs, "g": math.nan}})
    engine.store.save(nan)
    engine.close()
    store = open_store(url)
    back = store.get(decision.id)
    assert same(back.outputs, decision.outputs)
    assert same(back.trace.node("big").wrote, decision.trace.node("big").wrote)
    back_nan = store.get(nan.id)
    assert math.isnan(back_nan.outputs["g"]) and same(back_nan.outputs, nan.outputs)
    assert same({r.id: r.outputs for r in store.recent(2)}, {decision.id: decision.outputs, nan.id: nan.outputs})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.floats(-1e308, 1e308), b=st.floats(-1e308, 1e308), x=st.floats(0, 10))
def test_get_outputs_equal_decide_outputs_always(project, a, b, x):
    for url in ("memory",):
        engine = CompositeEngine.from_path(project, store=url)
        decision = engine.decide({"a": a, "b": b, "x": x})
        assert same(engine.get(decision.id).outputs, decision.outputs)


def test_batch_records_equal_the_returned_frame(project, tmp_path):
    engine = CompositeEngine.from_path(project, store=f"sqlite:///{tmp_path / 'd.db'}")
    frame = pd.DataFrame({"a": [1e300, -1e300, 2.0], "b": [1e300, 1e300, 3.0], "x": [5.0, 9.0, 1.0]})
    out = engine.decide_batch(frame)
    for i, decision_id in enumerate(out["decision_id"]):
        stored = engine.get(decision_id).outputs
        returned = {key: out[key].iloc[i].item() if isinstance(out[key].iloc[i], np.generic) else out[key].iloc[i]
                    for key in ("y", "w", "g")}
        assert same(stored, returned), (i, stored, returned)
        single = engine.decide(frame.iloc[i].to_dict(), record=False)
        assert same(stored, single.outputs)
