"""The blend: Platt calibration, a weight the data earns by cross-validation (none for a useless
model, more with more rows), a JSON artifact whose absence or staleness is a load error saying to
train, and `composite train` training the blend after its model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from composite import CompositeEngine, ProjectError
from composite.cli.train import blend_files
from composite.cli.train import main as train_main
from composite.ml.blend import (
    MIN_SLOPE,
    BlendSpec,
    fit_blend,
    load_blend,
    load_blend_spec,
    platt,
)
from composite.ml.train import _platt
from composite.nodes.combiners import BlendEvidence, BlendNode
from tests.conftest import write_project
from tests.ml.conftest import make_data

CONCEPTS = """
    concepts:
      income: {type: number, unit: EUR, range: [0, 50000], description: Monthly net income,
               influences: {bad: decreases}}
      debt_ratio: {type: number, range: [0, 5], description: Debt relative to yearly income}
      grade: {type: category, values: [A, B, C, D], ordered: true, description: Internal risk grade,
              influences: {bad: increases}}
      region: {type: category, values: [north, south, east, west, islands], description: Region of residence}
      homeowner: {type: boolean, description: Owns a home, influences: {bad: decreases}}
      expert_points: {type: number, unit: points, description: "Expert score, higher is safer",
                      influences: {bad: decreases}}
      bad: {type: integer, range: [0, 1], description: Defaulted (1) or repaid (0)}
      bad_probability: {type: number, range: [0, 1], description: Probability of default by the model}
      in_domain: {type: boolean, description: Inside the model's training domain}
      blended: {type: number, range: [0, 1], description: Blended probability of default}
      expert_p: {type: number, range: [0, 1], description: The expert's probability of default}
"""

PROJECT = """
    name: blended
    version: 1.0.0
    outputs: [blended, expert_p, bad_probability]
    nodes:
      - name: expert
        kind: expression
        writes:
          expert_points: "income / 100 - debt_ratio * 20 + (if homeowner then 10 else 0)"
      - {name: risk, kind: model, file: models/risk.model.yaml}
      - {name: mix, kind: blend, file: models/mix.blend.yaml}
"""

MODEL = """
    algorithm: lightgbm
    target: bad
    output: bad_probability
    domain_output: in_domain
    data: data/train.csv
    features: [income, debt_ratio, grade, region, homeowner]
    validation: {folds: 3, repeats: 1}
    seed: 7
"""

BLEND = """
    description: Expert points and the model
    expert: expert_points
    model: bad_probability
    output: blended
    expert_output: expert_p
    validation: {folds: 3, repeats: 2}
    seed: 3
"""


def write_blend_project(root: Path, n: int = 300) -> Path:
    write_project(root, PROJECT, CONCEPTS, {"models/risk.model.yaml": MODEL, "models/mix.blend.yaml": BLEND})
    (root / "data").mkdir(exist_ok=True)
    make_data(n, seed=1).to_csv(root / "data" / "train.csv", index=False)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    root = write_blend_project(tmp_path_factory.mktemp("blend") / "p")
    assert train_main(["--project", str(root), "--quiet"]) == 0
    return root


# ------------------------------------------------------------------------------------ arithmetic


def test_platt_matches_the_reference_fit_and_respects_the_known_direction():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(int)
    a, b = platt(x, y, sign=1)
    ra, rb = _platt(x, y)  # scipy L-BFGS-B on the same smoothed targets
    assert a == pytest.approx(ra, abs=1e-5) and b == pytest.approx(rb, abs=1e-5)
    # Told that x lowers the outcome while the data says it raises it: nearly the prevalence for all,
    # in the order the known direction gives.
    a, b = platt(x, y, sign=-1)
    assert a == pytest.approx(-MIN_SLOPE / x.std()) and a < 0
    assert 1 / (1 + math.exp(-b)) == pytest.approx(y.mean(), abs=0.02)


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes, an expert score that sees half the risk, and a good model's probabilities."""
    rng = np.random.default_rng(seed)
    known, hidden = rng.normal(size=n), rng.normal(size=n)
    risk = known + hidden
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.8 * risk - 0.8)))).astype(int)
    expert = -known * 10 + 50  # points: higher is safer
    model = 1 / (1 + np.exp(-(1.8 * risk - 0.8 + rng.normal(scale=0.4, size=n))))
    return y, expert, model


def test_a_model_that_knows_nothing_earns_no_weight():
    y, expert, _ = _synthetic(400, 1)
    noise = np.random.default_rng(2).uniform(0.2, 0.4, size=400)
    params, search = fit_blend(y, expert, noise, sign=-1, repeats=2)
    assert params["weight"] == 0.0 and params["expert_a"] < 0
    assert search.blend_log_loss == search.expert_log_loss < search.model_log_loss


def test_the_model_earns_weight_as_the_data_supports_it():
    weights = {}
    for n in (40, 1500):
        y, expert, model = _synthetic(n, 5)
        params, search = fit_blend(y, expert, model, sign=-1, repeats=2)
        weights[n] = params["weight"]
        assert search.blend_log_loss <= search.expert_log_loss + 1e-12
    assert weights[1500] >= 0.7
    assert weights[40] < weights[1500]


def test_caution_shrinks_the_weight_toward_the_expert():
    y, expert, model = _synthetic(120, 9)
    bold, search = fit_blend(y, expert, model, sign=-1, caution=0.0)
    careful, _ = fit_blend(y, expert, model, sign=-1, caution=3.0)
    assert careful["weight"] <= bold["weight"]
    assert bold["weight"] == search.weights[search.best]


def test_the_blend_file_is_validated_with_its_line(tmp_path):
    spec = load_blend_spec("expert: e\nmodel: m\noutput: o\n", file="models/x.blend.yaml")
    assert isinstance(spec, BlendSpec) and spec.writes == ("o",) and spec.validation.repeats == 3
    with pytest.raises(ProjectError) as caught:
        load_blend_spec("expert: e\nmodel: m\noutput: o\nweight: 0.5\n", file="models/x.blend.yaml")
    problem = caught.value.problems[0]
    assert problem.line == 4 and "weight" in problem.message
    with pytest.raises(ProjectError, match="four different names"):
        load_blend_spec("expert: e\nmodel: m\noutput: m\n", file="models/x.blend.yaml")


# ------------------------------------------------------------------------------ in a project


def test_train_trains_the_blend_after_its_model_and_writes_json(tmp_path, capsys):
    root = write_blend_project(tmp_path / "p", n=240)
    assert blend_files(root) == {"models/mix.blend.yaml": "mix"}
    assert train_main(["--project", str(root), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.index("model risk (lightgbm)") < out.index("blend mix: expert_points (expert) with bad_probability")
    assert "weight on the model: " in out and "cross-validated log loss: expert " in out
    document = json.loads((root / "models" / "mix.blend.json").read_text())
    assert document["format"] == "composite-blend/1" and 0.0 <= document["weight"] <= 1.0
    assert document["expert"]["sign"] == -1 and document["expert"]["a"] <= 0
    assert document["summary"]["data"]["rows"] == 240
    model_hash = json.loads((root / "models" / "risk.card.json").read_text())["artifact"]["sha256"]
    assert document["summary"]["data"]["model_artifact_sha256"] == model_hash
    assert "## Why this weight" in (root / "models" / "mix.blend.md").read_text()
    assert train_main(["--project", str(root), "--check"]) == 0
    assert capsys.readouterr().out.splitlines() == ["risk: up to date", "mix (blend): up to date"]


def test_the_blend_node_decides_single_and_batch_alike_with_evidence(trained):
    engine = CompositeEngine.from_path(trained, store="memory")
    assert "models/mix.blend.json" in engine.project.artifacts
    rows = make_data(40, seed=11).drop(columns=["bad"])
    batch = engine.decide_batch(rows)
    node = next(n for n in engine.project.nodes if n.name == "mix")
    blend = node.blend
    for i, row in enumerate(rows.to_dict("records")):
        single = engine.decide(row, record=False)
        stored = engine.get(batch["decision_id"].iloc[i])
        assert single.outputs == stored.outputs
        step = single.trace.node("mix")
        evidence = BlendEvidence.model_validate(step.evidence)
        assert step.evidence == stored.trace.node("mix").evidence
        assert evidence.weight == blend.weight and evidence.training_rows == 300
        assert evidence.probability == single.outputs["blended"]
        assert evidence.expert_probability == single.outputs["expert_p"]
        assert evidence.model_probability == single.outputs["bad_probability"]
        expected, expert = blend.predict([row_points(row)], [single.outputs["bad_probability"]])
        assert evidence.probability == pytest.approx(float(expected[0]), rel=1e-12)
        assert set(evidence.cv_log_loss) == {"expert", "model", "blend"}
    assert single.trace.artifacts["models/mix.blend.json"] == node.artifact_hash


def row_points(row: dict) -> float:
    return row["income"] / 100 - row["debt_ratio"] * 20 + (10 if row["homeowner"] else 0)


def test_the_blend_renders_its_weights_in_an_experts_words():
    lines = BlendNode.render({
        "blend": "mix", "artifact": "sha256:00", "target": "default", "weight": 0.62, "model_probability": 0.31,
        "expert_score": 70, "expert_probability": 0.18, "probability": 0.26, "training_rows": 1000,
        "cv_log_loss": {"expert": 0.55, "model": 0.52, "blend": 0.5}}, read={}, wrote={}, knowledge=None)
    assert lines[0] == ("blend: 0.62 x model (p=0.31) + 0.38 x expert (p=0.18) -> p(default) = 0.26; "
                        "the model earned its weight on 1,000 training rows")
    assert "cross-validated log loss expert 0.550, model 0.520, blend 0.500" in lines[1]
    none = BlendNode.render({"weight": 0.0, "target": "default", "training_rows": 25, "probability": 0.2,
                             "expert_probability": 0.2, "model_probability": 0.5}, read={}, wrote={}, knowledge=None)
    assert none[0].endswith("the model earned no weight on 25 training rows: the expert decides")


def test_a_missing_blend_artifact_is_a_load_error_saying_to_train(tmp_path):
    root = write_blend_project(tmp_path / "p", n=150)
    assert train_main(["--project", str(root), "--quiet", "risk"]) == 0  # trains the model and its blend
    (root / "models" / "mix.blend.json").unlink()
    with pytest.raises(ProjectError) as caught:
        CompositeEngine.from_path(root, store="memory")
    problem = caught.value.problems[0]
    assert problem.code == "blend_not_trained" and "run `composite train`" in problem.message
    assert problem.file == "composite.yaml" and problem.line == 10


def test_retraining_the_model_makes_the_blend_stale(trained, tmp_path, capsys):
    import shutil

    root = shutil.copytree(trained, tmp_path / "copy")
    assert train_main(["--project", str(root), "--check"]) == 0
    model_file = root / "models" / "risk.model.yaml"
    model_file.write_text(model_file.read_text().replace("seed: 7", "seed: 8"))
    assert train_main(["--project", str(root), "--quiet", "models/risk.model.yaml"]) == 0
    capsys.readouterr()
    assert train_main(["--project", str(root), "--check"]) == 0  # the blend was trained again with it
    shutil.copy(trained / "models" / "mix.blend.json", root / "models" / "mix.blend.json")
    assert train_main(["--project", str(root), "--check"]) == 1
    assert "mix (blend): stale: model 'risk' was retrained since the blend was" in capsys.readouterr().out
    with pytest.raises(ProjectError, match="another version of the model"):
        CompositeEngine.from_path(root, store="memory")


def test_a_damaged_artifact_says_to_train_again():
    with pytest.raises(ProjectError, match="composite train"):
        load_blend(b"\x80\x04not json", file="models/x.blend.json")
    with pytest.raises(ProjectError, match="composite train"):
        load_blend(b'{"format": "composite-blend/1", "weight": 2}', file="models/x.blend.json")
