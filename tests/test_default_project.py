"""The default credit project at the repository root: loads, decides, agrees with its batch."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from composite import CompositeEngine, load_project
from tests.conftest import REPO


@pytest.fixture(scope="module")
def engine():
    return CompositeEngine.from_path(REPO, store="memory")


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "german_credit.csv")


def test_default_project_loads_with_knowledge_for_every_input():
    project = load_project(REPO)
    assert project.name == "german-credit"
    for name in project.graph.inputs:
        concept = project.knowledge.get(name)
        assert concept is not None and concept.description, name
    assert "decision" in project.outputs


def test_sample_application_is_decided_and_explained(engine):
    request = json.loads((REPO / "data" / "sample_application.json").read_text())
    decision = engine.decide(request)
    assert decision.outputs["decision"] in ("approve", "refer", "decline")
    text = engine.explain(decision.id, full=True)
    assert "Outcome" in text and "decision = " in text
    concept = engine.project.knowledge.get("duration_months")
    assert concept.description in text


def test_decide_and_decide_batch_agree_on_all_1000_rows(engine, credit):
    batch = engine.decide_batch(credit, record=False)
    assert len(batch) == 1000
    for i, row in enumerate(credit.to_dict("records")):
        single = engine.decide(row, record=False)
        for name, value in single.outputs.items():
            got = batch[name].iloc[i]
            if isinstance(value, float):
                assert math.isclose(got, value, rel_tol=1e-12), (i, name)
            else:
                assert got == value, (i, name)


def test_the_expert_score_ranks_defaulters_lower(engine, credit):
    batch = engine.decide_batch(credit, record=False)
    bad = batch["expert_score"][credit["default"] == 1].mean()
    good = batch["expert_score"][credit["default"] == 0].mean()
    assert good > bad
