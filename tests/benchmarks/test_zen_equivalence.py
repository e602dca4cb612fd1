"""benchmarks/zen_application_risk decides exactly as GoRules Zen's own graph does.

The Zen graph is read from $COMPOSITE_SHARED_DIR/bench/zen/ (default: ../shared next to the
repository); tests that need it, or the `zen` package (PyPI zen-engine), skip when it is absent.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "benchmarks" / "zen_application_risk"
GRAPH_FILE = "application-risk-assessment.json"
ROWS = 10_000
SEED = 2023

INCOME_VERIFICATION = ("complete", "partial", "none")
BANK_ACCOUNT_STANDING = ("good", "fair", "poor")
OUTPUTS = ("totalRiskScore", "riskCategory", "approvalStatus", "interestRateModifier")
# Our intermediate names and where Zen's result keeps the same value.
INTERMEDIATES = {
    "creditHistoryScore": ("scores", "creditHistory"),
    "incomeStabilityScore": ("scores", "incomeStability"),
    "debtToIncomeScore": ("scores", "debtToIncome"),
    "negativeFactorsCount": ("negativeFactorsCount",),
}

# The upstream snapshot (../shared/bench/README.md, and the graph's own "tests" entry).
SNAPSHOT_INPUT = {"creditScore": 710, "latePayments": 1, "creditHistoryMonths": 48, "employmentMonths": 36,
                  "incomeVerification": "complete", "bankAccountStanding": "good", "debtToIncomeRatio": 0.35,
                  "outstandingLoans": 2}
SNAPSHOT_SCORES = {"creditHistoryScore": 20, "incomeStabilityScore": 20, "debtToIncomeScore": 15}
SNAPSHOT_OUTPUTS = {"totalRiskScore": 55, "riskCategory": "medium", "approvalStatus": "manual-review",
                    "interestRateModifier": 0}


def shared_dir() -> Path:
    return Path(os.environ.get("COMPOSITE_SHARED_DIR") or ROOT.parent / "shared")


@pytest.fixture(scope="module")
def graph_text() -> str:
    path = shared_dir() / "bench" / "zen" / GRAPH_FILE
    if not path.is_file():
        pytest.skip(f"the Zen graph {path} is absent: set COMPOSITE_SHARED_DIR to the folder holding "
                    f"bench/zen/{GRAPH_FILE}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def zen_decision(graph_text: str) -> Any:
    zen = pytest.importorskip("zen", reason="zen-engine is not installed (pip install -e '.[test]')")
    return zen.ZenEngine().create_decision(graph_text)


@pytest.fixture(scope="module")
def engine() -> CompositeEngine:
    return CompositeEngine.from_path(PROJECT, store="memory")


def random_requests(n: int, seed: int) -> pd.DataFrame:
    """Requests that hit every table row and every switch branch: per field, a mix of uniform
    values over the whole domain, typical values, and exact thresholds with their neighbours."""
    rng = np.random.default_rng(seed)

    def mix(whole: np.ndarray, typical: np.ndarray, edges: np.ndarray) -> np.ndarray:
        return np.choose(rng.choice(3, size=n, p=[0.2, 0.3, 0.5]), [whole, typical, edges])

    def integers(low: int, high: int, typical: tuple[int, int], thresholds: Iterable[int]) -> np.ndarray:
        edges = sorted({t + d for t in thresholds for d in (-1, 0, 1)} | {low, high})
        return mix(rng.integers(low, high + 1, n), rng.integers(typical[0], typical[1] + 1, n),
                   rng.choice(edges, n))

    ratio_edges = [0.0, 10.0]
    for t in (0.2, 0.4, 0.6):
        # Exact thresholds, their float neighbours (1 ulp away: exact decimals tell them apart),
        # and a cent away.
        ratio_edges += [t, np.nextafter(t, 0.0), np.nextafter(t, 1.0), round(t - 0.01, 2), round(t + 0.01, 2)]
    typical_ratio = rng.uniform(0.0, 1.0, n)
    typical_ratio = np.where(rng.random(n) < 0.5, typical_ratio.round(2), typical_ratio)
    return pd.DataFrame({
        "creditScore": integers(300, 850, (550, 800), (600, 650, 750)),
        "latePayments": integers(0, 120, (0, 8), (2, 4, 6)),
        "creditHistoryMonths": integers(0, 720, (0, 120), (24, 36, 60)),
        "employmentMonths": integers(0, 720, (0, 120), (6, 12, 24, 60)),
        "incomeVerification": rng.choice(INCOME_VERIFICATION, n),
        "bankAccountStanding": rng.choice(BANK_ACCOUNT_STANDING, n),
        "debtToIncomeRatio": mix(rng.uniform(0.0, 10.0, n), typical_ratio, rng.choice(ratio_edges, n)),
        "outstandingLoans": integers(0, 100, (0, 8), (2, 3, 5)),
    })


def zen_context(request: Mapping[str, Any]) -> str:
    # JSON text, not a dict: Zen reads JSON numbers exactly (0.19999999999999998 stays below 0.2),
    # as composite does; from a Python dict it goes through f64 and keeps only ~15-16 digits.
    return json.dumps({"applicant": dict(request)})


def zen_value(result: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = result
    for key in path:
        value = value[key]
    return value


def same(ours: Any, theirs: Any) -> bool:
    numbers = (int, float, np.integer, np.floating)
    if isinstance(ours, numbers) and isinstance(theirs, numbers) and not isinstance(ours, bool) \
            and not isinstance(theirs, bool):
        return math.isclose(float(ours), float(theirs), rel_tol=0.0, abs_tol=1e-9)
    return type(ours) is type(theirs) and ours == theirs


def differences(rows: Iterable[tuple[int, Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    """(row, request, ours, zen's) -> every field that differs, described."""
    found = []
    for row, request, ours, theirs in rows:
        for name, value in ours.items():
            if not same(value, theirs[name]):
                found.append(f"row {row} {dict(request)}: {name} ours {value!r}, zen {theirs[name]!r}")
    return found


@pytest.fixture(scope="module")
def requests() -> pd.DataFrame:
    return random_requests(ROWS, SEED)


@pytest.fixture(scope="module")
def zen_results(zen_decision: Any, requests: pd.DataFrame) -> list[dict[str, Any]]:
    return [zen_decision.evaluate(zen_context(request))["result"] for request in requests.to_dict("records")]


def expected(result: Mapping[str, Any], *, intermediates: bool) -> dict[str, Any]:
    values = {name: result[name] for name in OUTPUTS}
    if intermediates:
        values.update({name: zen_value(result, path) for name, path in INTERMEDIATES.items()})
    return values


# -- the upstream snapshot ----------------------------------------------------------------------


def test_upstream_snapshot_decides_as_published(engine: CompositeEngine) -> None:
    decision = engine.decide(SNAPSHOT_INPUT)
    assert decision.outputs == SNAPSHOT_OUTPUTS
    wrote = {key: value for step in decision.trace.nodes for key, value in step.wrote.items()}
    assert {name: wrote[name] for name in SNAPSHOT_SCORES} == SNAPSHOT_SCORES
    assert wrote["negativeFactorsCount"] == 0


def test_upstream_snapshot_matches_the_graphs_own_test_and_zen(engine: CompositeEngine, graph_text: str,
                                                               zen_decision: Any) -> None:
    for case in json.loads(graph_text)["tests"]:
        request = case["input"]["applicant"]
        ours = engine.decide(request)
        theirs = zen_decision.evaluate(case["input"])["result"]
        for reference in (case["output"], theirs):
            assert differences([(0, request, ours.outputs, expected(reference, intermediates=False))]) == []
    assert expected(zen_decision.evaluate({"applicant": SNAPSHOT_INPUT})["result"], intermediates=True) == {
        **SNAPSHOT_OUTPUTS, **SNAPSHOT_SCORES, "negativeFactorsCount": 0}


# -- 10,000 random requests ---------------------------------------------------------------------


def test_random_requests_cover_every_table_row_and_switch_branch(zen_results: list[dict[str, Any]]) -> None:
    # Every row of a table gives a distinct score, so seeing all scores means every row was taken.
    scores = {path[1]: {r["scores"][path[1]] for r in zen_results}
              for path in INTERMEDIATES.values() if path[0] == "scores"}
    assert scores == {"creditHistory": {30, 20, 10, 0}, "incomeStability": {25, 20, 15, 5, 0},
                      "debtToIncome": {25, 15, 5, 0}}
    branches = {(r["riskCategory"], r["totalRiskScore"] >= 30, r["negativeFactorsCount"] < 2) for r in zen_results
                if r["totalRiskScore"] >= 20}
    # Statement 2's second clause decides both ways: a total in [20, 30) with fewer than 2 or with
    # 2 or more zero scores.
    assert ("medium", False, True) in branches and ("high", False, False) in branches
    assert {r["riskCategory"] for r in zen_results} == {"low", "medium", "high"}
    assert {r["negativeFactorsCount"] for r in zen_results} == {0, 1, 2, 3}


def test_decide_equals_zen_on_random_requests(engine: CompositeEngine, requests: pd.DataFrame,
                                              zen_results: list[dict[str, Any]]) -> None:
    compared = []
    for row, (request, theirs) in enumerate(zip(requests.to_dict("records"), zen_results)):
        decision = engine.decide(request)
        wrote = {key: value for step in decision.trace.nodes for key, value in step.wrote.items()}
        ours = {**decision.outputs, **{name: wrote[name] for name in INTERMEDIATES}}
        compared.append((row, request, ours, expected(theirs, intermediates=True)))
    found = differences(compared)
    assert not found, f"{len(found)} difference(s) from zen, first ones:\n" + "\n".join(found[:10])
    assert len(engine.history(limit=ROWS + 10)) >= ROWS  # every decision was stored, with its trace


def test_decide_batch_equals_zen_on_random_requests(engine: CompositeEngine, requests: pd.DataFrame,
                                                    zen_results: list[dict[str, Any]]) -> None:
    frame = engine.decide_batch(requests)
    assert list(frame.index) == list(requests.index)
    rows = zip(requests.to_dict("records"), frame[list(OUTPUTS)].to_dict("records"), zen_results)
    found = differences((row, request, ours, expected(theirs, intermediates=False))
                        for row, (request, ours, theirs) in enumerate(rows))
    assert not found, f"{len(found)} difference(s) from zen, first ones:\n" + "\n".join(found[:10])


def test_ratios_one_ulp_below_a_threshold_are_below_it(engine: CompositeEngine) -> None:
    # Exact decimals: the float just under 0.2 is under 0.2 (Zen agrees when given JSON text).
    just_below = float(np.nextafter(0.2, 0.0))
    request = {**SNAPSHOT_INPUT, "debtToIncomeRatio": just_below, "outstandingLoans": 1}
    wrote = {k: v for step in engine.decide(request).trace.nodes for k, v in step.wrote.items()}
    assert wrote["debtToIncomeScore"] == 25
    at = {k: v for step in engine.decide({**request, "debtToIncomeRatio": 0.2}).trace.nodes
          for k, v in step.wrote.items()}
    assert at["debtToIncomeScore"] == 15
