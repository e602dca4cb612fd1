"""The small-data evaluation protocol (composite.ml.evaluation) on the default project with tiny
sizes, and on a small synthetic project: the methods, paired samples, a test set nothing trains on,
knowledge-free baselines without protected concepts, drift split by its threshold, design mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from composite.cli.train import main as train_main
from composite.errors import ProjectError
from composite.ml.evaluation import (
    METHODS,
    Drift,
    evaluate_sample,
    learning_curve,
    load_context,
    stratified_split,
)
from composite.ml.evaluation import _rows_key
from tests.conftest import REPO
from tests.ml.test_blend import write_blend_project


@pytest.fixture(scope="module")
def context():
    return load_context(REPO, columns=["age"])


@pytest.fixture(scope="module")
def curve(context):
    return learning_curve(REPO, sizes=(25, 5000), repeats=2, drift=Drift("age", threshold=35, size=25),
                          context=context)


@pytest.fixture(scope="module")
def design(context):
    return learning_curve(REPO, sizes=(25,), repeats=1, design=True, drift=Drift("age", threshold=35, size=25),
                          context=context)


def test_every_method_is_scored_with_every_metric(curve):
    assert curve.sizes == (25,) and curve.skipped_sizes == (5000,)  # the pool holds 700 rows
    assert len(curve.runs[25]) == 2
    for run in curve.runs[25]:
        assert tuple(run.metrics) == METHODS or set(run.metrics) == set(METHODS)
        for values in run.metrics.values():
            assert set(values) == {"auc", "brier", "log_loss"}
            assert 0 <= values["auc"] <= 1 and 0 <= values["brier"] <= 1 and values["log_loss"] > 0
        assert 0 <= run.weight <= 1 and 0 <= run.inside <= 1
        assert run.fixed_weight == pytest.approx(25 / 125)


def test_all_methods_see_the_same_sample(curve, context):
    from composite.ml.train import train_model

    for run in curve.runs[25]:
        assert len(run.rows) == 25
        assert set(run.trained_on) == set(METHODS)
        assert set(run.trained_on.values()) == {_rows_key(context.frame.iloc[run.rows])}
        # retrained on the recorded sample, a baseline scores what the run recorded
        model = train_model(context.lightgbm_alone, context.frame.iloc[run.rows], context.free_knowledge,
                            validate=False)
        p = model.predict_proba(context.frame.iloc[curve.scored_rows])
        assert roc_auc_score(context.y[curve.scored_rows], p) == pytest.approx(run.metrics["LightGBM alone"]["auc"])
    first, second = curve.runs[25]
    assert not np.array_equal(first.rows, second.rows)  # repeats draw different samples


def test_the_test_set_is_fixed_stratified_and_never_trained_on(curve, context):
    y = context.y
    assert len(curve.test_rows) == 300 and np.array_equal(curve.scored_rows, curve.test_rows)
    assert int(y[curve.test_rows].sum()) == 90  # stratified: 30% of 300
    assert np.array_equal(np.sort(np.concatenate([curve.pool_rows, curve.test_rows])), np.arange(1000))
    for run in [*curve.runs[25], *curve.drift.source, *curve.drift.target]:
        assert not np.intersect1d(run.rows, curve.test_rows).size
    for run in curve.runs[25]:
        assert int(y[run.rows].sum()) in (7, 8)  # stratified: 30% of 25
    again = learning_curve(REPO, sizes=(25,), repeats=1, context=context)
    assert np.array_equal(again.test_rows, curve.test_rows) and np.array_equal(again.runs[25][0].rows,
                                                                                curve.runs[25][0].rows)


def test_rules_alone_scores_the_raw_expert_score(curve, context):
    test = curve.test_rows
    score = context.frame[context.blend_spec.expert].to_numpy(float)[test]
    assert context.expert_sign == -1  # a higher expert score lowers the risk of default
    raw = roc_auc_score(context.y[test], context.expert_sign * score)
    assert raw == pytest.approx(0.725, abs=0.001)
    for run in curve.runs[25]:
        assert run.metrics["rules alone"]["auc"] == pytest.approx(raw, abs=1e-12)


def test_protected_concepts_are_excluded_from_the_knowledge_free_baselines(curve, context):
    assert set(curve.protected) == {"personal_status_sex", "foreign_worker"}
    for spec in (context.lightgbm_alone, context.logistic_alone):
        assert not set(spec.features) & {"personal_status_sex", "foreign_worker", "default", "expert_score"}
        assert spec.hyperparameters == {}
    assert len(curve.baseline_features) == 18 and "age" in curve.baseline_features
    assert context.lightgbm_alone.algorithm == "lightgbm"
    assert context.logistic_alone.algorithm == "logistic_regression"
    assert all(not c.influences for c in context.free_knowledge.concepts.values())


def test_drift_trains_below_the_threshold_and_scores_at_or_above(curve, context):
    age = context.frame["age"].to_numpy()
    d = curve.drift
    assert d.size == 25 and len(d.source) == len(d.target) == 2
    assert (age[d.scored_rows] >= 35).all() and set(d.scored_rows) <= set(curve.test_rows)
    assert len(d.scored_rows) == int((age[curve.test_rows] >= 35).sum())
    assert d.source_pool + d.target_pool == len(curve.pool_rows)
    for run in d.source:
        assert (age[run.rows] < 35).all()
    for run in d.target:
        assert (age[run.rows] >= 35).all()
    lost, se = d.lost("rules alone")
    assert math.isfinite(lost) and se >= 0
    assert d.lost("composite")[0] == pytest.approx(
        np.mean(d.values("target", "composite") - d.values("source", "composite")))


def test_drift_parses_thresholds_and_value_sets():
    assert Drift.parse("age:35") == Drift("age", threshold=35.0)
    housing = Drift.parse("housing=rent,for_free")
    assert housing.values == ("rent", "for_free")
    assert housing.target_mask(np.array(["own", "rent", "for_free"], dtype=object)).tolist() == [False, True, True]
    assert Drift.parse("telephone=true").target_mask(np.array([True, False])).tolist() == [True, False]
    for bad in ("age", "age:old", "=x"):
        with pytest.raises(ValueError):
            Drift.parse(bad)
    with pytest.raises(ValueError):
        Drift("age", threshold=35, values=("a",))


def test_design_mode_never_uses_a_test_row(design, curve):
    assert design.design and np.array_equal(design.test_rows, curve.test_rows)
    assert len(design.scored_rows) == 210 and len(design.pool_rows) == 490  # 30% of the 700 non-test rows
    assert not np.intersect1d(design.scored_rows, design.test_rows).size
    for run in [*design.runs[25], *design.drift.source, *design.drift.target]:
        assert not np.intersect1d(run.rows, design.test_rows).size
        assert not np.intersect1d(run.rows, design.scored_rows).size
    assert set(design.drift.scored_rows) <= set(design.scored_rows)
    assert "design rows" in design.text() and "the 300 test rows are not used" in design.text()


def test_a_sample_overlapping_the_scored_rows_is_refused(context):
    with pytest.raises(ValueError, match="also scoring rows"):
        evaluate_sample(context, np.arange(30), np.arange(20, 60))


def test_renderings_show_means_paired_differences_and_targets(curve):
    markdown = curve.markdown()
    for text in ("| rows | rules alone | LightGBM alone | logistic regression alone | fixed blend |",
                 "composite − best alone (paired ± se)", "composite − fixed blend (paired ± se)", "target (a)",
                 "Brier score on the 300 test rows", "log loss on the 300 test rows", "Drift: AUC on the",
                 "age >= 35", "sizes 5000 skipped"):
        assert text in markdown, text
    row = next(line for line in markdown.splitlines() if line.startswith("| 25 |"))
    assert f"{curve.mean(25, 'composite'):.3f} ± {curve.sd(25, 'composite'):.3f}" in row
    targets = curve.targets(25)
    assert set(targets) == {"a", "b"} and isinstance(targets["b"], bool)
    best = max(curve.mean(25, m) for m in ("rules alone", "LightGBM alone", "logistic regression alone"))
    assert targets["b"] == (curve.mean(25, "composite") > best)
    assert "rows  rules alone" in curve.text()


def test_any_project_with_a_blend_node(tmp_path):
    root = write_blend_project(tmp_path / "p", n=200)
    assert train_main(["--project", str(root), "--quiet"]) == 0
    small = learning_curve(root, sizes=(40, 500), repeats=2, drift=Drift("region", values=("north", "south")))
    assert small.project == "blended" and small.model_file == "models/risk.model.yaml"
    assert small.sizes == (40,) and small.skipped_sizes == (500,)
    assert small.baseline_features == ("income", "debt_ratio", "grade", "region", "homeowner")
    assert len(small.test_rows) == 60
    assert set(small.runs[40][0].metrics) == set(METHODS)
    region = load_context(root, columns=["region"]).frame["region"].to_numpy()
    assert all(set(region[r.rows]) <= {"east", "west"} for r in small.drift.source)
    assert all(set(region[r.rows]) <= {"north", "south"} for r in small.drift.target)


def test_a_project_without_a_blend_is_a_clear_error(tmp_path):
    from tests.ml.conftest import write_ml_project

    root = write_ml_project(tmp_path / "p", n=60)
    with pytest.raises(ProjectError, match="one blend node"):
        learning_curve(root, sizes=(25,), repeats=1)


def test_stratified_split_is_seeded():
    y = np.array([0, 1] * 50)
    a, rest = stratified_split(y, np.arange(100), 20, 3)
    b, _ = stratified_split(y, np.arange(100), 20, 3)
    assert np.array_equal(a, b) and int(y[a].sum()) == 10 and len(rest) == 80


@pytest.mark.parametrize("rows", [120, 400])  # calibration: "none" (CV skipped), then validated as composite train
def test_fit_composite_trains_what_composite_train_trains(tmp_path, rows):
    import json

    from composite.ml import load_saved_model, read_model_spec
    from composite.ml.evaluation import fit_composite
    from composite.ml.train import choose_calibration

    root = write_blend_project(tmp_path / "p", n=rows)
    assert train_main(["--project", str(root), "--quiet"]) == 0
    context = load_context(root)
    fitted = fit_composite(context, context.frame)
    saved = load_saved_model(root, read_model_spec(root, "models/risk.model.yaml"))
    positives = int(context.y.sum())
    method, _ = choose_calibration(context.model_spec.calibration, positives, rows - positives)
    assert (method == "none") == (rows == 120)
    assert fitted.model.calibrator.method == saved.calibrator.method
    np.testing.assert_allclose(fitted.model.predict_proba(context.frame), saved.predict_proba(context.frame),
                               rtol=0, atol=1e-12)
    blend = json.loads((root / "models" / "mix.blend.json").read_text())
    assert fitted.weight == blend["weight"]
    assert fitted.blend.a == pytest.approx(blend["calibration"]["a"], abs=1e-9)
    assert fitted.blend.expert_a == pytest.approx(blend["expert"]["a"], abs=1e-9)
    prediction = fitted.predict(context.frame)
    assert prediction.blended.shape == prediction.inside.shape == (rows,)
