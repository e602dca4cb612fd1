"""Model files: every problem is reported with its file and line, and directions belong in knowledge/."""

from __future__ import annotations

import textwrap

import pytest

from composite.errors import ProjectError
from composite.knowledge import Knowledge
from composite.ml.spec import check_features, load_model_spec

FILE = "models/risk.model.yaml"


def load(text: str):
    return load_model_spec(textwrap.dedent(text).lstrip(), file=FILE)


def problems(text: str):
    with pytest.raises(ProjectError) as caught:
        load(text)
    return caught.value.problems


def test_a_valid_file_takes_its_name_and_artifact_paths_from_the_file_name():
    spec = load("""
        algorithm: logistic_regression
        target: bad
        output: bad_probability
        data: data/train.csv
        features: [income, grade]
    """)
    assert spec.name == "risk"
    assert (spec.artifact_file, spec.card_file) == ("models/risk.artifact.json", "models/risk.card.md")
    assert spec.validation.folds == 5 and spec.validation.repeats == 5 and spec.calibration == "auto"
    assert spec.writes == ("bad_probability",)


def test_missing_and_unknown_keys_are_located():
    found = problems("""
        algorithm: lightgbm
        target: bad
        data: data/train.csv
        features: [income]
        learning_rat: 0.1
    """)
    by_code = {p.code: p for p in found}
    assert by_code["schema.missing"].field == "output" and by_code["schema.missing"].file == FILE
    assert by_code["schema.extra_forbidden"].line == 5 and "learning_rat" in by_code["schema.extra_forbidden"].message


def test_an_unknown_algorithm_names_the_line():
    (problem,) = problems("""
        algorithm: random_forest
        target: bad
        output: p
        data: d.csv
        features: [income]
    """)
    assert problem.line == 1 and problem.field == "algorithm" and "lightgbm" in problem.message


@pytest.mark.parametrize("text, line", [
    ("""
        algorithm: lightgbm
        target: bad
        output: p
        data: d.csv
        features: [income]
        monotone: {income: decreasing}
    """, 6),
    ("""
        algorithm: lightgbm
        target: bad
        output: p
        data: d.csv
        features:
          - income
          - {grade: {monotone: increasing}}
    """, 7),
    ("""
        algorithm: lightgbm
        target: bad
        output: p
        data: d.csv
        features: [income]
        hyperparameters:
          learning_rate: 0.1
          monotone_constraints: [-1]
    """, 8),
])
def test_a_model_file_that_states_monotone_directions_is_told_to_use_knowledge(text, line):
    found = problems(text)
    assert [p.code for p in found] == ["model_monotone_in_model_file"]
    assert found[0].line == line and found[0].file == FILE
    assert "knowledge/" in found[0].message and "influences" in found[0].message


def test_hyperparameters_are_checked_by_name_with_a_suggestion():
    found = problems("""
        algorithm: lightgbm
        target: bad
        output: p
        data: d.csv
        features: [income]
        hyperparameters:
          num_leave: 8
          objective: regression
          n_estimators: 50
    """)
    messages = {p.line: p.message for p in found}
    assert "did you mean 'num_leaves'" in messages[7]
    assert "cannot be set" in messages[8]
    assert "num_iterations" in messages[9]


def test_the_target_cannot_be_a_feature_and_outputs_need_new_names():
    found = problems("""
        algorithm: lightgbm
        target: bad
        output: income
        data: d.csv
        features: [income, bad, income]
    """)
    codes = sorted(p.code for p in found)
    assert codes == ["model_feature_twice", "model_output_name", "model_target_is_feature"]
    assert all(p.line is not None for p in found)


def test_a_yaml_syntax_error_names_the_line():
    with pytest.raises(ProjectError) as caught:
        load_model_spec("algorithm: lightgbm\nfeatures: [a, b\ntarget: x\n", file=FILE)
    assert caught.value.problems[0].code == "yaml_syntax" and caught.value.line is not None


def test_features_must_be_concepts_of_a_usable_type_located_at_their_line():
    spec = load("""
        algorithm: lightgbm
        target: bad
        output: p
        data: d.csv
        features:
          - income
          - nickname
          - shoe_size
    """)
    knowledge = Knowledge.from_mapping({"income": {"type": "number"}, "nickname": {"type": "string"}},
                                       file="knowledge/k.yaml")
    found = check_features(spec, knowledge)
    assert [(p.code, p.line) for p in found] == [("model_feature_type", 7), ("model_feature_unknown", 8)]
    assert "knowledge/" in found[1].message
