"""benchmarks/default_peer.py's Zen + LightGBM peer decides exactly as the default project does.

The peer is only a fair baseline if it makes the same decision: on generated requests (valid by
knowledge/, many outside the model's training domain), on the data's own applications, on every
combination the fuzzy rule base can see and on the project's scenarios, its decision, reason and
expert score equal composite's and its probabilities agree within 1e-9. No time is asserted.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("zen", reason="the peer needs zen-engine (PyPI zen-engine)")
pytest.importorskip("lightgbm")
pytest.importorskip("skfuzzy")

from benchmarks.default_peer import OUTPUTS, Peer, differences  # noqa: E402
from composite import CompositeEngine, RequestError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261129


@pytest.fixture(scope="module")
def engine() -> CompositeEngine:
    return CompositeEngine.from_path(ROOT, store="memory")


@pytest.fixture(scope="module")
def peer() -> Peer:
    return Peer(ROOT)


@pytest.fixture(scope="module")
def concepts() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "knowledge" / "credit.yaml").read_text())["concepts"]


def generated(concepts: dict[str, Any], rows: int, seed: int) -> pd.DataFrame:
    """Requests valid by knowledge/: every category (also those training never saw), numbers over
    their whole domain range (so many rows lie outside the model's training domain)."""
    rng = np.random.default_rng(seed)
    credit = pd.read_csv(ROOT / "data" / "german_credit.csv").drop(columns=["default"])
    columns: dict[str, Any] = {}
    for name in credit.columns:
        concept = concepts[name]
        if concept["type"] == "category":
            columns[name] = rng.choice(np.array(concept["values"], dtype=object), rows)
        elif concept["type"] == "boolean":
            columns[name] = rng.random(rows) < 0.5
        elif name == "credit_amount":  # log-uniform: small and large credits alike
            low, high = concept["range"]
            columns[name] = np.exp(rng.uniform(np.log(low), np.log(high), rows)).round().astype(np.int64)
        else:
            low, high = concept["range"]
            columns[name] = rng.integers(low, high + 1, rows)
    return pd.DataFrame(columns)[list(credit.columns)]


def requests(concepts: dict[str, Any]) -> pd.DataFrame:
    credit = pd.read_csv(ROOT / "data" / "german_credit.csv").drop(columns=["default"])
    return pd.concat([generated(concepts, 300, SEED), credit.sample(300, random_state=SEED)], ignore_index=True)


def test_peer_batch_equals_decide_batch(engine, peer, concepts):
    frame = requests(concepts)
    ours = engine.decide_batch(frame, record=False)
    for path in ("evaluate", "evaluate_batch"):
        assert differences(ours, peer.decide_batch(frame, path=path)) == []
    # the requests reach every branch of the decision, so equality means something
    reasons = ours["reason"].tolist()
    assert set(ours["decision"]) == {"approve", "refer", "decline"}
    assert any("unlike the data the model learned from" in r for r in reasons)
    assert any(r.startswith("the sources disagree") for r in reasons)
    assert any(r.startswith("low risk") for r in reasons)
    for knockout in ("overdrawn account, no savings", "long, large credit without", "above the automated approval",
                     "record of payment problems", "long and large credit: a credit officer"):
        assert any(r.startswith(knockout) or knockout in r for r in reasons), knockout


def test_peer_batch_equals_the_trace_free_batch(engine, peer, concepts):
    frame = requests(concepts).iloc[:200]
    assert differences(engine.decide_batch(frame, record=False, trace="off"), peer.decide_batch(frame)) == []


def test_peer_single_equals_decide(engine, peer, concepts):
    frame = requests(concepts).iloc[::6]
    for request in frame.to_dict("records"):
        ours = engine.decide(request, record=False).outputs
        assert differences(pd.DataFrame([{n: ours[n] for n in OUTPUTS}]),
                           {n: [v] for n, v in peer.decide(request).items()}) == []


def test_every_fuzzy_input_combination_is_decided_alike(engine, peer, concepts):
    """The fuzzy rule base sees 4 x 5 x 4 combinations of its coded inputs; the peer's numpy Mamdani
    must give composite's affordability on each, bit for bit (it is compared at 25, 50 and 75)."""
    base = pd.read_csv(ROOT / "data" / "german_credit.csv").drop(columns=["default"]).iloc[0].to_dict()
    rows = [{**base, "instalment_rate_pct": rate, "savings": savings, "checking_status": checking}
            for rate, savings, checking in itertools.product(range(1, 5), concepts["savings"]["values"],
                                                            concepts["checking_status"]["values"])]
    frame = pd.DataFrame(rows)
    ours = engine.decide_batch(frame, record=False)
    theirs = peer.decide_batch(frame)
    assert len(frame) == 80
    assert ours["affordability"].tolist() == np.asarray(theirs["affordability"]).tolist()
    assert differences(ours, theirs) == []


def test_scenario_inputs_are_decided_alike(engine, peer):
    decided = 0
    for file in sorted((ROOT / "scenarios").glob("*.yaml")):
        for scenario in yaml.safe_load(file.read_text())["scenarios"]:
            request = scenario["inputs"]
            try:
                ours = engine.decide(request, record=False).outputs
            except RequestError:
                continue  # a scenario of a rejected request: the peer validates nothing
            expected = pd.DataFrame([{n: ours[n] for n in OUTPUTS}])
            assert differences(expected, {n: [v] for n, v in peer.decide(request).items()}) == [], scenario["name"]
            assert differences(expected, peer.decide_batch(pd.DataFrame([request]))) == [], scenario["name"]
            decided += 1
    assert decided >= 15
