"""The default project, composite end to end: knock-outs, scorecard and fuzzy module, the LightGBM
model, the blend, the fallback, the outcome by probability, the review and the guard."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from composite import CompositeEngine
from composite.cli.train import main as train_main
from composite.ml.blend import read_blend_spec
from composite.nodes.combiners import BlendEvidence
from tests.conftest import REPO

SAMPLE = json.loads((REPO / "data" / "sample_application.json").read_text())
CHAIN = ["credit_policy", "risk_model", "risk_blend", "domain_fallback", "outcome", "disagreement", "knockouts"]


@pytest.fixture(scope="module")
def engine():
    return CompositeEngine.from_path(REPO, store="memory")


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "german_credit.csv")


@pytest.fixture(scope="module")
def batch(engine, credit) -> pd.DataFrame:
    return engine.decide_batch(credit)


def _wrote(decision) -> dict:
    values: dict = {}
    for step in decision.trace.nodes:
        values.update(step.wrote)
    return values


def test_the_chain_runs_model_blend_fallback_outcome_review_and_guard_in_that_order(engine):
    order = [node.name for node in engine.project.graph.order]
    assert [name for name in order if name in CHAIN] == CHAIN
    kinds = {node.name: node.kind for node in engine.project.nodes}
    assert [kinds[name] for name in CHAIN] == ["rules", "model", "blend", "fallback", "expression", "review", "guard"]
    assert engine.project.graph.writer["decision"] == "knockouts"


def test_the_committed_model_and_blend_are_up_to_date(capsys):
    assert train_main(["--project", str(REPO), "--check"]) == 0
    assert capsys.readouterr().out.splitlines() == ["default_risk: up to date", "risk_blend (blend): up to date"]


def test_the_blend_records_its_earned_weight_and_both_probabilities(engine):
    decision = engine.decide(SAMPLE, record=False)
    evidence = BlendEvidence.model_validate(decision.trace.node("risk_blend").evidence)
    artifact = json.loads((REPO / "models" / "risk_blend.blend.json").read_text())
    assert evidence.weight == artifact["weight"] and 0.0 < evidence.weight <= 1.0
    assert evidence.training_rows == 1000 and evidence.target == "default"
    values = _wrote(decision)
    assert evidence.model_probability == values["default_probability"]
    assert evidence.expert_probability == values["expert_probability"]
    assert evidence.probability == values["blended_probability"] == decision.outputs["probability_of_default"]
    losses = evidence.cv_log_loss
    assert losses["blend"] <= losses["expert"] and losses["blend"] <= losses["model"] + 1e-3
    assert decision.trace.artifacts["models/risk_blend.blend.json"] == evidence.artifact
    assert "models/default_risk.artifact.json" in decision.trace.artifacts


def test_outside_the_models_domain_the_expert_probability_decides(engine):
    decision = engine.decide({**SAMPLE, "purpose": "vacation"}, record=False)
    values = _wrote(decision)
    assert values["model_in_domain"] is False and values["probability_source"] == "expert_probability"
    assert decision.outputs["probability_of_default"] == decision.outputs["expert_probability"]
    assert decision.trace.node("domain_fallback").evidence["used"] == "expert_probability"
    assert decision.outputs["reason"].endswith("(by the expert scorecard alone: the application is unlike the data "
                                               "the model learned from)")
    inside = engine.decide(SAMPLE, record=False)
    assert _wrote(inside)["probability_source"] == "blended_probability"


def test_disagreeing_sources_are_referred_with_both_probabilities(engine, credit):
    row = credit.drop(columns=["default"]).iloc[87].to_dict()  # the model: 0.75, the expert: 0.41
    decision = engine.decide(row, record=False)
    values = _wrote(decision)
    assert abs(values["expert_probability"] - values["default_probability"]) > 1 / 3
    assert values["risk_decision"] == "decline" and decision.outputs["decision"] == "refer"
    reason = decision.outputs["reason"]
    assert f"expert_probability = {values['expert_probability']:.3g}" in reason
    assert f"default_probability = {values['default_probability']:.3g}" in reason
    assert decision.trace.node("disagreement").evidence["disagree"] is True


def test_a_knockout_overrides_the_probability_with_its_reason(engine):
    request = {**SAMPLE, "checking_status": "overdrawn", "savings": "lt_100", "instalment_rate_pct": 4}
    decision = engine.decide(request, record=False)
    values = _wrote(decision)
    assert values["knockout"] == "decline" and values["reviewed_decision"] == "refer"
    assert decision.outputs["decision"] == "decline"
    assert decision.outputs["reason"] == "overdrawn account, no savings and the highest instalment burden"
    evidence = decision.trace.node("knockouts").evidence
    assert evidence["overridden"] is True and evidence["expert_outcome"] == "decline"
    assert "expert override: decline: overdrawn account, no savings" in engine.explain(engine.decide(request).id)


def test_outcomes_follow_the_probability_thresholds_on_every_row(batch):
    p = batch["probability_of_default"]
    plain = ~batch["reason"].str.startswith("the sources disagree") & batch["reason"].str.contains("risk: estimated")
    assert plain.sum() > 700
    expected = pd.Series(["approve" if v < 1 / 6 else "refer" if v < 1 / 2 else "decline" for v in p], index=p.index)
    assert (batch.loc[plain, "decision"] == expected[plain]).all()
    assert set(batch["decision"]) == {"approve", "refer", "decline"}


def test_decide_and_decide_batch_agree_on_all_1000_rows_step_by_step(engine, credit, batch):
    assert len(batch) == 1000
    for i, row in enumerate(credit.to_dict("records")):
        single = engine.decide(row, record=False)
        stored = engine.get(batch["decision_id"].iloc[i])
        for name, value in single.outputs.items():
            got = stored.outputs[name]
            assert (math.isclose(got, value, rel_tol=1e-12) if isinstance(value, float) else got == value), (i, name)
        for one, many in zip(single.trace.nodes, stored.trace.nodes):
            if one.name in CHAIN[2:]:
                assert one.wrote == many.wrote and one.evidence == many.evidence, (i, one.name)


def test_explain_shows_model_reasons_blend_weights_and_every_combiner(engine):
    decision = engine.decide(SAMPLE)
    text = engine.explain(decision.id, full=True)
    weight = json.loads((REPO / "models" / "risk_blend.blend.json").read_text())["weight"]
    assert "model 'default_risk' (lightgbm" in text and "raises it: " in text and "lowers it: " in text
    assert f"blend: {weight:.2f} x model (p=" in text and f"+ {1 - weight:.2f} x expert (p=" in text
    assert "the model earned its weight on 1,000 training rows" in text
    assert "input inside the model's training domain: used blended_probability" in text
    assert "sources agree within 0.3333" in text
    assert "no expert override (none); the outcome stands: approve" in text
    assert "inside its training domain (distance" in text


def test_the_blend_in_the_default_project_weighs_the_models_output():
    spec = read_blend_spec(REPO, "models/risk_blend.blend.yaml")
    assert spec.reads == ("expert_score", "default_probability")
    assert spec.writes == ("blended_probability", "expert_probability")
