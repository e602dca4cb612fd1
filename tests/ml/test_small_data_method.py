"""Issue 8's training changes: the domain covers every input the chain reads, the expert as the
anchor of a logistic regression, the blend reading its model's calibration, and training hygiene."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from composite import CompositeEngine
from composite.errors import ProjectError
from composite.ml import load_training_project, read_model_spec, train_model, training_data
from composite.ml.blend import platt, read_blend_spec, train_blend
from composite.ml.features import FeatureEncoder, as_columns
from composite.ml.spec import load_model_spec
from composite.ml.train import binary_target, chain_inputs, cross_validate, single_threaded

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "data" / "sample_application.json").read_text())


@pytest.fixture(scope="module")
def german():
    project = load_training_project(ROOT)
    spec = read_model_spec(ROOT, "models/default_risk.model.yaml")
    return project, spec, training_data(project, spec)


def test_training_data_carries_every_chain_input_the_model_does_not_read(german):
    project, spec, data = german
    assert "age" in data.domain_inputs and "housing" in data.domain_inputs
    assert not set(data.domain_inputs) & set(spec.features)
    assert "personal_status_sex" not in chain_inputs(project)  # protected: nothing decides on it
    assert set(data.domain_inputs) <= set(data.frame.columns)


def test_the_default_model_checks_age_although_it_does_not_read_it():
    engine = CompositeEngine.from_path(ROOT, store="memory")
    node = next(n for n in engine.project.nodes if n.name == "risk_model")
    assert "age" in node.reads and "age" not in node.spec.features
    inside = engine.decide(SAMPLE, record=False)
    old = engine.decide({**SAMPLE, "age": 80}, record=False)
    model_in, model_old = inside.trace.node("risk_model"), old.trace.node("risk_model")
    assert model_in.read["age"] == 36 and model_in.wrote["model_in_domain"] is True
    assert model_old.wrote["model_in_domain"] is False
    assert old.trace.node("domain_fallback").wrote["probability_source"] == "expert_probability"
    issues = model_old.evidence["domain"]["issues"]
    assert [(i["feature"], i["kind"], i["limit"]) for i in issues] == [("age", "above_range", 75)]
    # the model's own probability does not depend on an input it does not read
    assert model_old.wrote["default_probability"] == model_in.wrote["default_probability"]


def test_a_model_trained_on_the_young_sends_older_applicants_to_the_expert(german):
    project, spec, data = german
    young = data.frame[data.frame["age"] < 35]
    old = data.frame[data.frame["age"] >= 35]
    with_inputs = train_model(spec, young, project.knowledge, validate=False, domain_inputs=data.domain_inputs)
    features_only = train_model(spec, young, project.knowledge, validate=False, domain_inputs=())
    checked = with_inputs.predict(old)
    assert not checked.domain.inside.any()
    assert all(any(i["feature"] == "age" and i["kind"] == "above_range" for i in row) for row in checked.domain.issues)
    assert features_only.predict(old).domain.inside.mean() > 0.5
    np.testing.assert_array_equal(checked.probability, features_only.predict(old).probability)


MODEL = """
algorithm: {algorithm}
target: default
output: p
data: data/german_credit.csv
features: [duration_months, credit_amount, checking_status, expert_score]
anchor: {anchor}
hyperparameters: {hyper}
"""


def _spec(algorithm="logistic_regression", anchor="expert_score", hyper="{}"):
    return load_model_spec(MODEL.format(algorithm=algorithm, anchor=anchor, hyper=hyper), file="models/a.model.yaml")


def test_an_anchor_must_be_a_feature_of_a_logistic_regression():
    with pytest.raises(ProjectError) as lightgbm:
        _spec(algorithm="lightgbm")
    assert lightgbm.value.problems[0].code == "model_anchor" and lightgbm.value.problems[0].line == 7
    with pytest.raises(ProjectError) as missing:
        _spec(anchor="age")
    assert "must be one of the features" in missing.value.problems[0].message


def test_an_anchored_model_on_a_tiny_penalty_is_the_calibrated_expert(german):
    project, _, data = german
    spec = _spec(hyper="{C: 1.0e-6}")
    sample = data.frame.iloc[:60]
    model = train_model(spec, sample, project.knowledge, validate=False)
    y = sample["default"].to_numpy()
    a, _ = platt(sample["expert_score"].to_numpy(float), y, sign=-1)
    corrections = np.delete(model.core.coef, model.encoder.columns.index("expert_score"))
    assert np.abs(corrections).max() < 1e-3
    # the anchor is not shrunk: the model's log-odds are an affine function of the expert score
    # with the expert's own calibrated slope (Platt's, up to his smoothing of the targets)
    score = data.frame["expert_score"].to_numpy(float)
    p = model.predict_proba(data.frame)
    slope, intercept = np.polyfit(score, np.log(p / (1 - p)), 1)
    np.testing.assert_allclose(np.log(p / (1 - p)), slope * score + intercept, atol=1e-3)
    assert slope < 0 and slope == pytest.approx(a, rel=0.25)


def test_an_anchored_model_learns_corrections_when_the_data_supports_them(german):
    project, _, data = german
    model = train_model(_spec(), data.frame, project.knowledge, validate=False)
    assert model.card["hyperparameters"]["C"]["value"] > 1e-4  # cross-validation chose corrections on 1,000 rows
    corrections = np.delete(model.core.coef, model.encoder.columns.index("expert_score"))
    assert np.abs(corrections).max() > 0.05


def test_the_blend_reads_its_model_calibration_itself(german):
    project, spec, data = german
    blend_spec = read_blend_spec(ROOT, "models/risk_blend.blend.yaml")
    frame = training_data(project, spec.model_copy(update={"features": [*spec.features]})).frame.iloc[:150]
    with pytest.raises(TypeError, match="calibration"):
        train_blend(blend_spec, frame, spec, project.knowledge)
    model = train_model(spec, frame, project.knowledge, validate=False)
    blend = train_blend(blend_spec, frame, spec, project.knowledge, model=model)
    assert blend.summary["model"]["calibration"] == model.calibrator.method == "none"


def test_cross_validation_for_a_blend_computes_no_metrics_but_the_same_predictions(german):
    project, spec, data = german
    encoder = FeatureEncoder.from_knowledge(spec, project.knowledge)
    frame = data.frame.iloc[:120]
    columns, size = as_columns(frame[list(spec.features)])
    matrix = encoder.encode(columns, size)
    y = binary_target(frame["default"].to_numpy(), name="default")
    full = cross_validate(spec, encoder, matrix, y, folds=3, repeats=1, calibration="none")
    lean = cross_validate(spec, encoder, matrix, y, folds=3, repeats=1, calibration="none", metrics=False)
    np.testing.assert_array_equal(full.oof_probability, lean.oof_probability)
    assert full.metrics["auc"] is not None and lean.metrics == {} and lean.per_fold == []


def test_training_runs_its_linear_algebra_on_one_thread():
    from threadpoolctl import threadpool_info

    with single_threaded():
        pools = threadpool_info()
    assert pools and all(pool["num_threads"] == 1 for pool in pools)
