"""Training: encodings and directions from knowledge/, small-data defaults, honest validation,
calibration only where the data allows, and contributions that add up to the score."""

from __future__ import annotations

import math
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from composite.ml import (
    FeatureEncoder,
    choose_calibration,
    lightgbm_parameters,
    load_training_project,
    read_model_spec,
    train_model,
    training_data,
)
from tests.conftest import REPO
from tests.ml.conftest import make_data, write_ml_project


def _setup(root: Path, **options):
    write_ml_project(root, **options)
    project = load_training_project(root)
    spec = read_model_spec(root, "models/risk.model.yaml")
    return spec, project, training_data(project, spec)


@pytest.fixture(scope="module")
def lgb_trained(tmp_path_factory):
    spec, project, data = _setup(tmp_path_factory.mktemp("lgb") / "p")
    return spec, project, data, train_model(spec, data, project.knowledge)


@pytest.fixture(scope="module")
def logit_trained(tmp_path_factory):
    spec, project, data = _setup(tmp_path_factory.mktemp("logit") / "p", algorithm="logistic_regression",
                                 extra="hyperparameters: {Cs: [0.01, 0.1, 1.0], inner_folds: 3}")
    return spec, project, data, train_model(spec, data, project.knowledge)


@pytest.fixture(scope="module")
def german():
    """The default project's training rows, expert_score computed by the project's own nodes."""
    project = load_training_project(REPO)
    spec = read_model_spec(REPO, "models/default_risk.model.yaml")
    return spec, project, training_data(project, spec)


# -- encoding and directions ---------------------------------------------------------------------


def test_encodings_and_directions_come_from_knowledge(lgb_trained):
    spec, project, _, model = lgb_trained
    by_name = {f.name: f for f in model.encoder.features}
    assert {name: (f.kind, f.monotone) for name, f in by_name.items()} == {
        "income": ("number", -1), "grade": ("ordinal", 1), "region": ("categorical", 0),
        "homeowner": ("boolean", -1), "burden": ("number", 1)}
    assert by_name["income"].source == "knowledge/concepts.yaml:2"
    assert by_name["region"].values == ("north", "south", "east", "west", "islands")
    logit = FeatureEncoder.from_knowledge(spec.model_copy(update={"algorithm": "logistic_regression"}),
                                          project.knowledge)
    assert [c for c in logit.columns if c.startswith("region")] == [
        "region=north", "region=south", "region=east", "region=west", "region=islands"]
    row = logit.encode({"income": [3000], "grade": ["C"], "region": ["east"], "homeowner": [True], "burden": [5.0]})
    assert row.tolist() == [[3000.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 5.0]]


def test_an_unordered_category_with_a_sign_stays_free_and_says_why(tmp_path):
    spec, project, _ = _setup(tmp_path / "p")
    concepts = dict(project.knowledge.concepts)
    concepts["region"] = concepts["region"].model_copy(update={"influences": {"bad": "increases"}})
    from composite.knowledge import Knowledge

    encoder = FeatureEncoder.from_knowledge(spec, Knowledge(concepts))
    region = encoder.features[spec.features.index("region")]
    assert region.monotone == 0 and "not ordered" in region.note


@pytest.mark.parametrize("fixture", ["lgb_trained", "logit_trained"])
def test_predictions_move_monotonically_along_every_constrained_feature(fixture, request):
    spec, _, data, model = request.getfixturevalue(fixture)
    base = data.frame.iloc[:40]
    sweeps = {"income": np.linspace(500, 12000, 25), "burden": np.linspace(0, 40, 25),
              "grade": ["A", "B", "C", "D"], "homeowner": [False, True]}
    for feature, grid in sweeps.items():
        sign = {f.name: f.monotone for f in model.encoder.features}[feature]
        curves = []
        for value in grid:
            rows = base.copy()
            rows[feature] = [value] * len(rows)
            curves.append(model.predict_proba(rows))
        steps = np.diff(np.array(curves), axis=0) * sign
        assert (steps >= -1e-12).all(), (fixture, feature)
        assert np.abs(np.array(curves)[-1] - np.array(curves)[0]).max() > 1e-3, (fixture, feature)  # not flat


@pytest.mark.parametrize("fixture", ["lgb_trained", "logit_trained"])
def test_contributions_add_up_to_the_score(fixture, request):
    spec, _, data, model = request.getfixturevalue(fixture)
    prediction = model.predict(data.frame)
    total = prediction.base_value + prediction.contributions.sum(axis=1)
    assert np.abs(total - prediction.score).max() < 1e-6
    assert np.abs(model.core.raw_score(model.encoder.encode(data.frame)) - prediction.score).max() < 1e-6
    assert prediction.contributions.shape == (len(data.frame), len(spec.features))
    assert np.allclose(prediction.probability, model.calibrator(prediction.score))


# -- small data ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [25, 50])
def test_small_data_defaults_do_not_predict_a_constant(german, n):
    spec, project, data = german
    y = data.frame["default"]
    rows = pd.concat([data.frame[y == 1].sample(round(n * 0.3), random_state=n),
                      data.frame[y == 0].sample(n - round(n * 0.3), random_state=n)])
    model = train_model(spec, rows, project.knowledge, validate=False)
    p = model.predict_proba(data.frame)
    assert len(np.unique(np.round(p, 6))) > 20 and np.ptp(p) > 0.1
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, p) > 0.6  # better than chance on all 1,000 rows
    if n < 40:  # LightGBM's own defaults (20 rows per leaf) cannot split at all: a constant
        encoded = model.encoder.encode(rows)
        plain = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(encoded, rows["default"].to_numpy()),
                          num_boost_round=50)
        assert np.ptp(plain.predict(model.encoder.encode(data.frame))) == 0.0


def test_lightgbm_defaults_scale_with_n_and_explain_themselves():
    small, why = lightgbm_parameters(25)
    large, _ = lightgbm_parameters(1000)
    assert small["min_data_in_leaf"] == 3 and large["min_data_in_leaf"] == 16
    assert small["min_data_in_bin"] == 1 and small["linear_tree"] is False
    assert small["monotone_constraints_method"] in ("advanced", "intermediate")
    assert all(why.get(key) for key in small if key not in ("monotone_constraints",))
    overridden, why = lightgbm_parameters(25, {"num_leaves": 8})
    assert overridden["num_leaves"] == 8 and why["num_leaves"] == "set in the model file"


@pytest.mark.parametrize("positives, negatives, method", [
    (20, 40, "none"), (49, 200, "none"), (300, 700, "sigmoid"), (600, 1400, "isotonic")])
def test_calibration_needs_enough_of_the_rarer_class(positives, negatives, method):
    chosen, reason = choose_calibration("auto", positives, negatives)
    assert chosen == method and reason
    assert choose_calibration("none", positives, negatives)[0] == "none"


def test_requested_isotonic_falls_back_when_the_data_is_too_small():
    assert choose_calibration("isotonic", 300, 700)[0] == "sigmoid"
    assert choose_calibration("sigmoid", 10, 30)[0] == "none"


def test_calibration_is_kept_off_on_small_data_and_the_card_says_why(tmp_path):
    spec, project, data = _setup(tmp_path / "p", n=80, extra="calibration: sigmoid")
    model = train_model(spec, data, project.knowledge)
    assert model.calibrator.method == "none"
    assert "too few" in model.card["calibration"]["reason"]
    assert np.allclose(model.predict_proba(data.frame), 1 / (1 + np.exp(-model.predict(data.frame).score)))


def test_auto_calibration_is_used_only_where_it_lowers_out_of_fold_log_loss(tmp_path):
    spec, project, data = _setup(tmp_path / "p", n=700)
    model = train_model(spec, data, project.knowledge, repeats=1)
    cv = model.cross_validation
    if model.calibrator.method == "sigmoid":
        assert cv.metrics["log_loss"].mean < cv.raw_metrics["log_loss"].mean
    else:
        assert "would not lower" in model.calibrator.reason or "too few" in model.calibrator.reason


# -- validation ----------------------------------------------------------------------------------


def test_cross_validation_gives_out_of_fold_predictions_and_intervals(lgb_trained):
    spec, _, data, model = lgb_trained
    cv = model.cross_validation
    n = len(data.frame)
    assert cv.oof_score.shape == (1, n) and not np.isnan(cv.oof_score).any()
    oof = cv.mean_oof_probability
    assert oof.shape == (n,) and ((oof > 0) & (oof < 1)).all()
    assert sorted(set(cv.fold_of[0].tolist())) == [0, 1, 2]
    for name in ("auc", "brier", "log_loss"):
        interval = cv.metrics[name]
        assert interval.low <= interval.mean <= interval.high and interval.folds == 3
    assert cv.metrics["auc"].mean > 0.65
    assert model.card["validation"]["metrics"]["auc"]["mean"] == cv.metrics["auc"].mean
    assert model.card["data"]["rows"] == n and model.card["data"]["sha256"].startswith("sha256:")


def test_logistic_regression_chooses_C_by_inner_cross_validation(logit_trained):
    _, _, _, model = logit_trained
    assert model.core.C in (0.01, 0.1, 1.0)
    assert "inner cross-validation" in model.card["hyperparameters"]["C_choice"]["value"]


def test_training_data_runs_only_the_nodes_upstream_of_the_features(lgb_trained):
    spec, _, data, _ = lgb_trained
    assert data.upstream == ("burden",)
    assert np.allclose(data.frame["burden"], make_data(240)["debt_ratio"] * 10)
    # debt_ratio: read by the chain (the burden expression), not by the model: its domain checks it
    assert data.domain_inputs == ("debt_ratio",)
    assert list(data.frame.columns) == [*spec.features, "debt_ratio", "bad"]


def test_a_target_that_is_not_binary_is_a_clear_error(tmp_path):
    spec, project, data = _setup(tmp_path / "p")
    frame = data.frame.copy()
    frame["bad"] = frame["bad"] * 2
    from composite.errors import ProjectError

    with pytest.raises(ProjectError, match="must be 0/1"):
        train_model(spec, frame, project.knowledge, validate=False)
    assert not math.isnan(frame["bad"].sum())
