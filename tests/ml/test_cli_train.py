"""`composite train` on a tiny project: progress, a metrics table, the artifact and the card."""

from __future__ import annotations

import json

import pytest

from composite.cli.train import main as train_main
from composite.cli.train import model_files
from tests.ml.conftest import write_ml_project


def test_train_writes_artifact_and_card_and_prints_metrics(tmp_path, capsys):
    root = write_ml_project(tmp_path / "p", n=150)
    assert train_main(["--project", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "fold 1/3" in err and "fold 3/3" in err and "fitting the final model on all 150 rows" in err
    assert "model risk (lightgbm): 150 rows of data/train.csv" in out
    for label in ("AUC", "Brier score", "log loss"):
        line = next(l for l in out.splitlines() if l.strip().startswith(label))
        assert "[" in line and "]" in line  # an interval
    assert "calibration: none" in out and "too few" in out
    card = json.loads((root / "models" / "risk.card.json").read_text())
    assert f"wrote models/risk.artifact.json ({card['artifact']['sha256']})" in out
    assert (root / "models" / "risk.lgb.txt").is_file() and (root / "models" / "risk.card.md").is_file()
    assert card["data"]["rows"] == 150 and card["validation"]["folds"] == 3


def test_train_by_name_and_unknown_names(tmp_path, capsys):
    root = write_ml_project(tmp_path / "p", n=120)
    assert model_files(root) == {"models/risk.model.yaml": "risk"}
    assert train_main(["--project", str(root), "nope"]) == 1
    err = capsys.readouterr().err
    assert "no model 'nope'" in err and "models: risk" in err
    assert train_main(["--project", str(root), "--quiet", "models/risk.model.yaml"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "wrote models/risk.artifact.json" in out


def test_train_is_part_of_the_composite_command(tmp_path, capsys):
    from composite import cli

    assert "train" in cli.COMMANDS
    root = write_ml_project(tmp_path / "p", n=120)
    assert cli.main(["train", "--project", str(root), "--quiet"]) == 0
    assert "AUC" in capsys.readouterr().out


def test_check_finds_models_whose_upstream_nodes_or_data_changed(tmp_path, capsys):
    root = write_ml_project(tmp_path / "p", n=120)
    assert train_main(["--project", str(root), "--check"]) == 1
    assert "risk: stale: not trained" in capsys.readouterr().out
    assert train_main(["--project", str(root), "--quiet"]) == 0
    capsys.readouterr()
    assert train_main(["--project", str(root), "--check"]) == 0
    assert capsys.readouterr().out.strip() == "risk: up to date"
    project_file = root / "composite.yaml"
    project_file.write_text(project_file.read_text().replace("debt_ratio * 10", "debt_ratio * 12"))
    data_file = root / "data" / "train.csv"
    data_file.write_text(data_file.read_text() + data_file.read_text().splitlines()[1] + "\n")
    assert train_main(["--project", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert "upstream node(s) burden changed since training" in out and "data/train.csv changed" in out
