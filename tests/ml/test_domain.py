"""The training-domain check: out-of-range values, unseen categories and far-away rows, with how far."""

from __future__ import annotations

import numpy as np
import pytest

from composite.ml import load_training_project, read_model_spec, train_model, training_data
from tests.ml.conftest import write_ml_project


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = write_ml_project(tmp_path_factory.mktemp("domain") / "p")
    project = load_training_project(root)
    spec = read_model_spec(root, "models/risk.model.yaml")
    data = training_data(project, spec)
    return data, train_model(spec, data, project.knowledge, validate=False)


def _row(data, **changes):
    row = data.frame.iloc[[0]].copy()
    for key, value in changes.items():
        row[key] = [value]
    return row


def test_almost_every_training_row_is_inside(trained):
    data, model = trained
    check = model.predict(data.frame).domain
    assert check.inside.mean() >= 0.98
    assert all(issue["kind"] == "far_from_training" for row in check.issues for issue in row)


def test_a_value_beyond_the_training_range_is_flagged_with_how_far(trained):
    data, model = trained
    top = data.frame["income"].max()
    check = model.predict(_row(data, income=top + 1000.0)).domain
    assert not check.inside[0]
    (issue,) = [i for i in check.issues[0] if i["feature"] == "income"]
    assert issue["kind"] == "above_range" and issue["limit"] == top
    assert issue["excess"] == pytest.approx(1000.0) and issue["excess_sd"] > 0
    low = model.predict(_row(data, burden=-5.0)).domain.issues[0]
    assert [(i["feature"], i["kind"], i["excess"]) for i in low if i["feature"]] == [
        ("burden", "below_range", pytest.approx(5.0 + data.frame["burden"].min()))]


def test_a_category_never_seen_in_training_is_flagged(trained):
    data, model = trained
    check = model.predict(_row(data, region="islands")).domain
    assert not check.inside[0]
    (issue,) = [i for i in check.issues[0] if i["feature"] == "region"]
    assert issue["kind"] == "unseen_category" and issue["value"] == "islands"
    assert sorted(issue["limit"]) == ["east", "north", "south", "west"]


def test_a_row_far_from_the_training_data_is_flagged_even_when_each_value_is_in_range(trained):
    data, model = trained
    frame = data.frame
    # each value occurs in training, but not together: a rich applicant with a huge debt burden and grade A
    odd = _row(data, income=frame["income"].max(), burden=frame["burden"].max(), grade="A", homeowner=False)
    check = model.predict(odd).domain
    assert not [i for i in check.issues[0] if i["feature"]]
    (far,) = check.issues[0]
    assert far["kind"] == "far_from_training" and far["value"] > far["limit"] == check.reference
    assert far["ratio"] == pytest.approx(far["value"] / far["limit"])
    typical = model.predict(frame).domain.distance
    assert check.distance[0] > np.quantile(typical, 0.99)
