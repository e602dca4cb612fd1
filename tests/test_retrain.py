"""`composite train --from-store --candidate DIR`: the stored decisions that have outcomes train a candidate
project version; the running project is only read."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from composite import CompositeEngine
from composite.cli import main

REPOSITORY = Path(__file__).resolve().parents[1]
PROJECT_ENTRIES = ("composite.yaml", "knowledge", "rules", "models", "data", "scenarios")
ROWS = 600


def _copy_default_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for entry in PROJECT_ENTRIES:
        source = REPOSITORY / entry
        if source.is_dir():
            shutil.copytree(source, target / entry, ignore=shutil.ignore_patterns("__pycache__", ".composite"))
        else:
            shutil.copy2(source, target / entry)
    return target


def _decide_with_outcomes(project: Path, store: str, frame: pd.DataFrame, outcomes: list[int]) -> None:
    with CompositeEngine.from_path(project, store=store) as engine:
        decided = engine.decide_batch(frame)
        for decision_id, outcome in zip(decided["decision_id"], outcomes):
            engine.record_outcome(decision_id, outcome)


def _fingerprint(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    """600 rows of data/german_credit.csv decided into a SQLite store, each with its `default` as the outcome;
    then `composite train --from-store`."""
    tmp = tmp_path_factory.mktemp("retrain")
    project = _copy_default_project(tmp / "project")
    store = f"sqlite:///{(tmp / 'decisions.db').as_posix()}"
    data = pd.read_csv(REPOSITORY / "data" / "german_credit.csv").head(ROWS)
    _decide_with_outcomes(project, store, data.drop(columns=["default"]), [int(v) for v in data["default"]])
    before = _fingerprint(project)
    candidate = tmp / "candidate"
    code = main(["train", "--project", str(project), "--store", store, "--from-store", "--candidate", str(candidate),
                 "--quiet"])
    return {"code": code, "project": project, "candidate": candidate, "store": store, "before": before,
            "data": data}


def test_from_store_writes_a_candidate_that_loads_validates_and_decides(retrained, capsys):
    assert retrained["code"] == 0
    candidate = retrained["candidate"]
    assert main(["validate", "--project", str(candidate)]) == 0
    with CompositeEngine.from_path(candidate, store="memory") as engine:
        assert engine.project.version == "0.1.0+store.600"
        request = json.loads((REPOSITORY / "data" / "sample_application.json").read_text())
        assert engine.decide(request).outputs["decision"] in {"approve", "refer", "decline"}


def test_candidate_model_is_trained_on_the_store_rows_not_the_running_models_data(retrained):
    project, candidate = retrained["project"], retrained["candidate"]
    running = json.loads((project / "models" / "default_risk.artifact.json").read_bytes())
    trained = json.loads((candidate / "models" / "default_risk.artifact.json").read_bytes())
    booster = Path("models") / "default_risk.lgb.txt"
    assert (candidate / booster).read_bytes() != (project / booster).read_bytes()
    assert running["summary"]["data"]["file"] == "data/german_credit.csv"
    source = trained["summary"]["data"]
    assert source["file"] == "data/from_store.csv"
    assert source["rows"] == ROWS and source["positives"] == int(retrained["data"]["default"].sum())
    blend = json.loads((candidate / "models" / "risk_blend.blend.json").read_bytes())
    assert json.dumps(blend).count("data/from_store.csv") >= 1
    # the model file still names the project's data file: --from-store trains as `--data` does
    assert (candidate / "models" / "default_risk.model.yaml").read_bytes() == \
        (project / "models" / "default_risk.model.yaml").read_bytes()


def test_store_data_file_holds_the_stored_inputs_and_outcomes_with_its_provenance(retrained):
    candidate, data = retrained["candidate"], retrained["data"]
    written = pd.read_csv(candidate / "data" / "from_store.csv")
    assert len(written) == ROWS
    assert written["default"].tolist() == data["default"].tolist()  # id order is decision order
    assert written["credit_amount"].tolist() == data["credit_amount"].tolist()
    assert "personal_status_sex" not in written.columns  # only the inputs the project reads
    readme = (candidate / "data" / "from_store.README.md").read_text()
    assert retrained["store"] in readme
    assert f"{ROWS} stored decisions with a recorded outcome" in readme
    assert "all stored decisions" in readme and "outcome recorded" in readme


def test_candidate_copies_every_project_file_and_bumps_only_the_version(retrained):
    project, candidate = retrained["project"], retrained["candidate"]
    copied = _fingerprint(candidate)
    for name, digest in retrained["before"].items():
        if name.startswith("models/") and (".artifact." in name or ".card." in name or name.endswith(
                (".lgb.txt", ".blend.json", ".blend.md"))):
            continue  # retrained
        if name == "composite.yaml":
            continue
        assert copied.get(name) == digest, name
    old = (project / "composite.yaml").read_text().splitlines()
    new = (candidate / "composite.yaml").read_text().splitlines()
    assert [(a, b) for a, b in zip(old, new) if a != b] == [("version: 0.1.0", "version: '0.1.0+store.600'")]


def test_running_project_is_byte_for_byte_unchanged(retrained):
    assert _fingerprint(retrained["project"]) == retrained["before"]


def test_too_few_outcomes_refuses_in_one_line(tmp_path, capsys):
    project = _copy_default_project(tmp_path / "project")
    store = f"sqlite:///{(tmp_path / 'few.db').as_posix()}"
    data = pd.read_csv(REPOSITORY / "data" / "german_credit.csv").head(80)
    with CompositeEngine.from_path(project, store=store) as engine:
        decided = engine.decide_batch(data.drop(columns=["default"]))
        for decision_id, outcome in list(zip(decided["decision_id"], data["default"]))[:49]:
            engine.record_outcome(decision_id, int(outcome))
    capsys.readouterr()
    code = main(["train", "--project", str(project), "--store", store, "--from-store",
                 "--candidate", str(tmp_path / "candidate")])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0
    assert err.startswith("error: too few decisions with outcomes to train on: 49 in ")
    assert "at least 50 needed" in err
    assert not (tmp_path / "candidate").exists()


def test_a_single_outcome_class_refuses(tmp_path, capsys):
    project = _copy_default_project(tmp_path / "project")
    store = f"sqlite:///{(tmp_path / 'one.db').as_posix()}"
    data = pd.read_csv(REPOSITORY / "data" / "german_credit.csv").head(60)
    _decide_with_outcomes(project, store, data.drop(columns=["default"]), [0] * 60)
    capsys.readouterr()
    code = main(["train", "--project", str(project), "--store", store, "--from-store",
                 "--candidate", str(tmp_path / "candidate")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0
    assert "every one of the 60 decisions with outcomes" in err and "one class" in err


def test_since_keeps_only_later_decisions_and_an_existing_candidate_is_refused(tmp_path, capsys):
    from composite.retrain import store_training_frame
    from composite.ml.spec import read_model_spec
    from composite.ml.train import load_training_project
    from composite.store import open_store

    project = _copy_default_project(tmp_path / "project")
    store_url = f"sqlite:///{(tmp_path / 's.db').as_posix()}"
    data = pd.read_csv(REPOSITORY / "data" / "german_credit.csv").head(120)
    inputs = data.drop(columns=["default"])
    _decide_with_outcomes(project, store_url, inputs.head(60), data["default"].head(60).tolist())
    middle = datetime.now(timezone.utc).isoformat()
    _decide_with_outcomes(project, store_url, inputs.tail(60), data["default"].tail(60).tolist())
    store = open_store(store_url)
    loaded = load_training_project(project)
    spec = read_model_spec(project, "models/default_risk.model.yaml")
    rows = store_training_frame(store, loaded, [spec], since=middle)
    store.close()
    assert rows.frame["credit_amount"].tolist() == data["credit_amount"].tail(60).tolist()
    assert rows.since == middle and rows.with_outcomes == 60

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    capsys.readouterr()
    assert main(["train", "--project", str(project), "--store", store_url, "--from-store",
                 "--candidate", str(tmp_path / "taken")]) == 1
    assert "already exists and is not empty" in capsys.readouterr().err
    assert main(["train", "--project", str(project), "--candidate", str(tmp_path / "c")]) == 1
    assert "--from-store and --candidate DIR go together" in capsys.readouterr().err


def test_a_missing_store_is_refused_and_not_created(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMPOSITE_STORE_URL", raising=False)
    project = _copy_default_project(tmp_path / "project")
    capsys.readouterr()
    code = main(["train", "--project", str(project), "--from-store", "--candidate", str(tmp_path / "candidate")])
    assert code == 1
    assert "there is no store at" in capsys.readouterr().err
    assert not (project / ".composite").exists() and not (tmp_path / "candidate").exists()
