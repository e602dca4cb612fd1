"""The `model` node: single and batch agree, evidence adds up and validates, a missing or stale
artifact is a load error saying to train, and a project with a model decides and explains."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from composite import CompositeEngine, load_project
from composite.errors import EvaluationError, ProjectError
from composite.ml import allow_untrained_models, load_training_project, read_model_spec, training_data
from composite.nodes.base import LoadContext, NodeSpec
from composite.nodes.model import ModelEvidence, ModelNode
from composite.cli.train import main as train_main
from tests.conftest import REPO
from tests.ml.conftest import make_data, write_ml_project


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory) -> Path:
    root = write_ml_project(tmp_path_factory.mktemp("node") / "p")
    assert train_main(["--project", str(root), "--quiet"]) == 0
    return root


def test_the_default_model_agrees_between_evaluate_and_evaluate_batch_row_for_row():
    project = load_training_project(REPO)
    spec = read_model_spec(REPO, "models/default_risk.model.yaml")
    data = training_data(project, spec)
    context = LoadContext(root=REPO, knowledge=project.knowledge)
    node = ModelNode.from_spec(NodeSpec(name="risk_model", kind="model", options={}, file=spec.file), context)
    assert context.artifacts["models/default_risk.artifact.json"] == node.artifact_hash
    assert "models/default_risk.lgb.txt" in context.artifacts
    rows = data.frame.iloc[:150]
    columns = {name: rows[name].to_numpy() for name in node.reads}
    batch = node.evaluate_batch(columns, len(rows))
    for i, row in enumerate(rows[list(node.reads)].to_dict("records")):
        single = node.evaluate(row)
        assert _same(single.outputs, {k: v[i].item() for k, v in batch.outputs.items()}), i
        assert _same(single.evidence, batch.evidence[i]), i
        evidence = ModelEvidence.model_validate(single.evidence)
        assert abs(evidence.base_value + sum(evidence.contributions.values()) - evidence.score) < 1e-6
        assert evidence.probability == single.outputs["default_probability"]
        assert single.outputs["model_in_domain"] is evidence.domain.inside
    described = node.describe()
    # the features, then the inputs the domain check reads besides them
    assert described["kind"] == "model" and described["reads"] == [*spec.features, *data.domain_inputs]
    assert described["writes"] == ["default_probability", "model_in_domain"]
    assert "CV AUC" in described["summary"] and described["monotone"]["expert_score"] == "decreasing"


def test_a_project_with_expression_and_model_nodes_decides_and_explains(trained_project):
    engine = CompositeEngine.from_path(trained_project, store="memory")
    assert [n.kind for n in engine.project.graph.order] == ["expression", "model", "expression"]
    assert "models/risk.artifact.json" in engine.project.artifacts
    request = {"income": 2500.0, "debt_ratio": 1.4, "grade": "C", "region": "south", "homeowner": False}
    decision = engine.decide(request)
    p = decision.outputs["bad_probability"]
    assert 0 < p < 1 and decision.outputs["decision"] == ("decline" if p > 0.5 else "approve")
    assert decision.outputs["in_domain"] is True
    step = next(s for s in decision.trace.nodes if s.kind == "model")
    evidence = ModelEvidence.model_validate(step.evidence)
    assert evidence.artifact == decision.trace.artifacts["models/risk.artifact.json"]
    assert set(evidence.contributions) == {"income", "grade", "region", "homeowner", "burden"}
    text = engine.explain(decision.id, full=True)
    assert f"model 'risk' (lightgbm, {evidence.artifact[7:15]}…): probability of bad {p:.2f}" in text
    assert "raises it:" in text and "inside its training domain" in text
    assert "debt burden: 14 points" in text or "monthly net income: 2500 EUR" in text
    outside = engine.decide({**request, "region": "islands", "income": 90000.0 - 40001})
    assert outside.outputs["in_domain"] is False
    text = engine.explain(outside.id, full=True)
    assert "OUTSIDE its training domain" in text and "region of residence: islands never occurred" in text
    assert "monthly net income: 49999 EUR is above the training maximum" in text


def test_decide_batch_matches_decide_for_the_model_step(trained_project):
    engine = CompositeEngine.from_path(trained_project, store="memory")
    rows = make_data(40, seed=3).drop(columns=["bad"])
    rows.loc[0, "region"] = "islands"
    batch = engine.decide_batch(rows)
    for i, row in enumerate(rows.to_dict("records")):
        single = engine.decide(row, record=False)
        stored = engine.get(batch["decision_id"].iloc[i])
        assert _same(stored.outputs, single.outputs), i
        for one, many in zip(single.trace.nodes, stored.trace.nodes):
            assert _same(one.wrote, many.wrote) and _same(one.evidence, many.evidence), (i, one.name)


def test_a_missing_artifact_is_a_load_error_saying_to_train(tmp_path):
    root = write_ml_project(tmp_path / "p")
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    (problem,) = caught.value.problems
    assert problem.code == "model_not_trained" and problem.file == "composite.yaml" and problem.line == 9
    assert "run `composite train risk`" in problem.message and "models/risk.artifact.json" in problem.message
    with allow_untrained_models():
        project = load_project(root)
    node = next(n for n in project.nodes if n.kind == "model")
    assert node.untrained and node.writes == ("bad_probability", "in_domain")
    with pytest.raises(EvaluationError, match="composite train"):
        node.evaluate({"income": 1.0})


def test_a_model_trained_from_another_spec_or_other_knowledge_is_stale(trained_project, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(trained_project, root)
    model_file = root / "models" / "risk.model.yaml"
    original = model_file.read_text()
    model_file.write_text(original.replace("seed: 7", "seed: 8"))
    stale = r"different version of models/risk.model.yaml \(changed: seed\).*composite train"
    with pytest.raises(ProjectError, match=stale):
        load_project(root)
    model_file.write_text(original.replace("Synthetic default risk", "A new description"))
    assert load_project(root)  # a description is not training: still current
    concepts = root / "knowledge" / "concepts.yaml"
    concepts.write_text(concepts.read_text().replace("influences: {bad: decreases}}", "}", 1))
    with pytest.raises(ProjectError, match=r"'income' direction was decreasing, knowledge/ now says free"):
        load_project(root)


def test_unknown_node_options_point_to_the_model_file(trained_project, tmp_path):
    project_file = trained_project / "composite.yaml"
    text = project_file.read_text().replace("file: models/risk.model.yaml}", "file: models/risk.model.yaml, "
                                                                             "learning_rate: 0.1}")
    root = tmp_path / "p2"
    import shutil

    shutil.copytree(trained_project, root)
    (root / "composite.yaml").write_text(text)
    with pytest.raises(ProjectError, match="goes in models/risk.model.yaml"):
        load_project(root)


def test_evidence_renders_from_the_stored_trace_alone():
    evidence = {"model": "risk", "algorithm": "lightgbm", "artifact": "sha256:3f2a9c1d" + "0" * 56, "target": "bad",
                "score": 0.4, "base_value": -0.6, "probability": 0.6, "calibration": "sigmoid",
                "contributions": {"a": 0.7, "b": 0.3}, "reasons": [
                    {"feature": "a", "value": 3, "contribution": 0.7, "direction": "raises", "text": "a: 3"},
                    {"feature": "b", "value": "x", "contribution": 0.3, "direction": "raises", "text": "b: x"}],
                "domain": {"inside": False, "distance": 9.0, "distance_p99": 4.5, "issues": [
                    {"feature": None, "kind": "far_from_training", "value": 9.0, "limit": 4.5, "excess": 4.5,
                     "ratio": 2.0}]}}
    lines = ModelNode.render(evidence, read={}, wrote={}, knowledge=None)
    assert lines[0] == "model 'risk' (lightgbm, 3f2a9c1d…): probability of bad 0.60"
    assert lines[1] == "raises it: a: 3 (+0.70), b: x (+0.30)"
    assert "base -0.60 + contributions +1.00" in lines[2] and "sigmoid calibration" in lines[2]
    assert lines[3].startswith("OUTSIDE its training domain: distance 9.00") and "2.00x" in lines[3]
