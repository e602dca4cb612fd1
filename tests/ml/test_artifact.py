"""Artifacts: safe formats only, identical predictions after a round trip, damage is a clear error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import composite
from composite.errors import ProjectError
from composite.ml import (
    load_saved_model,
    load_training_project,
    read_model_spec,
    save_model,
    train_model,
    training_data,
)
from composite.ml.artifact import load_model
from tests.ml.conftest import write_ml_project


@pytest.mark.parametrize("algorithm", ["lightgbm", "logistic_regression"])
def test_a_saved_model_predicts_identically_after_loading(tmp_path, algorithm):
    root = write_ml_project(tmp_path / "p", algorithm=algorithm, extra="hyperparameters: {}" if algorithm ==
                            "lightgbm" else "hyperparameters: {C: 0.5}")
    project = load_training_project(root)
    spec = read_model_spec(root, "models/risk.model.yaml")
    data = training_data(project, spec)
    model = train_model(spec, data, project.knowledge)
    saved = save_model(model, spec, root)
    loaded = load_saved_model(root, spec)
    before, after = model.predict(data.frame), loaded.predict(data.frame)
    assert np.array_equal(before.score, after.score) and np.array_equal(before.probability, after.probability)
    assert np.array_equal(before.contributions, after.contributions)
    assert np.array_equal(before.domain.distance, after.domain.distance)
    assert [i for i in before.domain.issues] == [i for i in after.domain.issues]
    # safe formats: JSON and (for LightGBM) its own model text
    document = json.loads((root / saved.artifact).read_text())
    assert document["format"] == "composite-model/1" and document["spec"] == spec.training_fingerprint()
    if algorithm == "lightgbm":
        assert (root / saved.booster).read_text().startswith("tree\nversion=v4")
    else:
        assert saved.booster is None and len(document["model"]["coef"]) == len(model.encoder.columns)
    card = json.loads((root / saved.card_json).read_text())
    assert card["artifact"]["sha256"] == saved.hash
    assert set(card["validation"]["metrics"]) == {"auc", "brier", "log_loss"}
    text = (root / saved.card).read_text()
    for heading in ("## Training data", "## Features", "## Validation", "## Calibration", "## Training domain"):
        assert heading in text
    assert "decreasing (knowledge/concepts.yaml:2)" in text  # income's direction and where it was written


def test_training_again_writes_the_same_bytes(tmp_path):
    root = write_ml_project(tmp_path / "p")
    hashes = []
    for _ in range(2):
        project = load_training_project(root)
        spec = read_model_spec(root, "models/risk.model.yaml")
        saved = save_model(train_model(spec, training_data(project, spec), project.knowledge), spec, root)
        hashes.append((saved.hash, (root / saved.booster).read_bytes(), (root / saved.card).read_bytes()))
    assert hashes[0] == hashes[1]


def test_a_damaged_or_foreign_artifact_says_to_train_again(tmp_path):
    with pytest.raises(ProjectError, match="composite train"):
        load_model(b"{not json", file="models/x.artifact.json")
    with pytest.raises(ProjectError, match="composite train"):
        load_model(b'{"format": "pickle"}', file="models/x.artifact.json")
    root = write_ml_project(tmp_path / "p")
    project = load_training_project(root)
    spec = read_model_spec(root, "models/risk.model.yaml")
    saved = save_model(train_model(spec, training_data(project, spec), project.knowledge, validate=False), spec, root)
    booster = root / saved.booster
    booster.write_text(booster.read_text().replace("leaf_value=", "leaf_value=1", 1))
    with pytest.raises(ProjectError, match="does not match its artifact"):
        load_saved_model(root, spec)


def test_no_pickle_anywhere_in_the_model_code():
    package = Path(composite.__file__).parent
    files = [*sorted((package / "ml").glob("*.py")), package / "nodes" / "model.py", package / "cli" / "train.py"]
    forbidden = re.compile(r"\b(pickle|joblib|cloudpickle|dill|marshal|shelve)\b|\beval\(|\bexec\(")
    for file in files:
        code = "\n".join(line for line in file.read_text().splitlines() if not line.lstrip().startswith("#"))
        code = re.sub(r'"""[\s\S]*?"""', "", code)  # docstrings may say "never pickled"
        assert not forbidden.search(code), file
