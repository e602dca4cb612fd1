"""The numpy limit of benchmarks/zen_speed.py (Zen's graph written by hand in numpy) decides as the
engine does: outputs and intermediate scores, on a few hundred seeded requests that hit every
table row and switch branch, and on the benchmark's own requests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine
from tests.benchmarks.test_zen_equivalence import INTERMEDIATES, OUTPUTS, PROJECT, random_requests, same

ROOT = Path(__file__).resolve().parents[2]


def zen_speed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_zen_speed", ROOT / "benchmarks" / "zen_speed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def numpy_limit():
    return zen_speed().numpy_limit


@pytest.fixture(scope="module")
def engine() -> CompositeEngine:
    return CompositeEngine.from_path(PROJECT, store="memory")


def compare(engine: CompositeEngine, numpy_limit, frame: pd.DataFrame) -> list[str]:
    limit = numpy_limit(frame)
    found = []
    for i, request in enumerate(frame.to_dict("records")):
        decision = engine.decide(request, record=False)
        wrote = {key: value for step in decision.trace.nodes for key, value in step.wrote.items()}
        ours = {**decision.outputs, **{name: wrote[name] for name in INTERMEDIATES}}
        for name in (*OUTPUTS, *INTERMEDIATES):
            theirs = limit[name][i]
            theirs = theirs.item() if isinstance(theirs, np.generic) else theirs
            if not same(ours[name], theirs):
                found.append(f"row {i} {request}: {name} engine {ours[name]!r}, numpy_limit {theirs!r}")
    return found


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_numpy_limit_equals_the_engine_on_seeded_requests(engine, numpy_limit, seed: int) -> None:
    frame = random_requests(200, seed)  # thresholds, their neighbours and ulp-close ratios included
    found = compare(engine, numpy_limit, frame)
    assert not found, f"{len(found)} difference(s), first ones:\n" + "\n".join(found[:10])


def test_numpy_limit_equals_the_engine_on_the_benchmarks_requests(engine, numpy_limit) -> None:
    module = zen_speed()
    frame = module.requests(300, seed=2)
    assert not compare(engine, numpy_limit, frame)
    batch = engine.decide_batch(frame, record=False)
    limit = module.numpy_limit(frame)
    for name in OUTPUTS:
        assert all(same(a, b.item() if isinstance(b, np.generic) else b)
                   for a, b in zip(batch[name].tolist(), limit[name]))


def test_numpy_limit_takes_every_branch(numpy_limit) -> None:
    limit = numpy_limit(random_requests(600, 11))
    assert set(limit["creditHistoryScore"].tolist()) == {30, 20, 10, 0}
    assert set(limit["incomeStabilityScore"].tolist()) == {25, 20, 15, 5, 0}
    assert set(limit["debtToIncomeScore"].tolist()) == {25, 15, 5, 0}
    assert set(limit["riskCategory"].tolist()) == {"low", "medium", "high"}
