"""`protected: true` in knowledge/: a characteristic no model may read; a model file that lists
one does not load, and the error names the file and the feature's line."""

from __future__ import annotations

import pytest

from composite.errors import ProjectError
from composite.knowledge import Knowledge
from composite.ml import load_training_project, read_model_spec
from composite.ml.features import FeatureEncoder
from composite.ml.spec import check_features
from tests.conftest import REPO
from tests.ml.conftest import write_ml_project


def _protect(root, concept: str) -> None:
    path = root / "knowledge" / "concepts.yaml"
    text = path.read_text()
    assert f"\n  {concept}: {{" in text
    path.write_text(text.replace(f"\n  {concept}: {{", f"\n  {concept}: {{protected: true, ", 1))


def test_protected_is_optional_and_false_by_default():
    knowledge = Knowledge.from_mapping({"a": {"type": "number"}, "b": {"type": "boolean", "protected": True}},
                                       file="k.yaml")
    assert knowledge["a"].protected is False and knowledge["b"].protected is True


def test_a_model_reading_a_protected_concept_does_not_load(tmp_path):
    root = write_ml_project(tmp_path / "p", n=60)
    _protect(root, "region")
    with pytest.raises(ProjectError) as caught:
        load_training_project(root)
    problems = [p for p in caught.value.problems if p.code == "model_feature_protected"]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == "models/risk.model.yaml" and "region" in problem.message
    assert "protected" in problem.message
    lines = (root / "models" / "risk.model.yaml").read_text().splitlines()
    assert "region" in lines[problem.line - 1]  # the features line that lists it


def test_training_refuses_a_protected_feature_too(tmp_path):
    root = write_ml_project(tmp_path / "p", n=60)
    spec = read_model_spec(root, "models/risk.model.yaml")
    knowledge = Knowledge.from_mapping({
        "income": {"type": "number"}, "grade": {"type": "category", "values": ["A", "B", "C", "D"]},
        "region": {"type": "category", "values": ["north", "south"]}, "homeowner": {"type": "boolean",
                                                                                   "protected": True},
        "burden": {"type": "number"}}, file="k.yaml")
    assert [p.code for p in check_features(spec, knowledge)] == ["model_feature_protected"]
    with pytest.raises(ProjectError, match="homeowner.*protected characteristic"):
        FeatureEncoder.from_knowledge(spec, knowledge)


def test_the_default_project_protects_two_characteristics_that_no_model_reads():
    project = load_training_project(REPO)
    protected = {name for name, c in project.knowledge.concepts.items() if c.protected}
    assert protected == {"personal_status_sex", "foreign_worker"}
    spec = read_model_spec(REPO, "models/default_risk.model.yaml")
    assert not protected & set(spec.features)
