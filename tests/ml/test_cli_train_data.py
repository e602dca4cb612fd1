"""`composite train --data FILE`: the same model and blend files trained on another data file; the
artifacts and cards record that file and its hash, and `--check` compares against it."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from composite import CompositeEngine
from composite.cli.train import main as train_main
from tests.ml.test_blend import write_blend_project


def _sha(path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_train_on_another_data_file_records_it(tmp_path, capsys):
    root = write_blend_project(tmp_path / "p", n=200)
    assert train_main(["--project", str(root), "--quiet"]) == 0
    full_artifact = (root / "models" / "risk.artifact.json").read_bytes()
    full_blend = (root / "models" / "mix.blend.json").read_bytes()
    rows = pd.read_csv(root / "data" / "train.csv")
    rows.iloc[::4].to_csv(root / "data" / "fewer.csv", index=False)  # 150 of the 200 rows dropped
    capsys.readouterr()

    assert train_main(["--project", str(root), "--quiet", "--data", "data/fewer.csv"]) == 0
    out = capsys.readouterr().out
    assert "50 rows of data/fewer.csv" in out
    artifact = (root / "models" / "risk.artifact.json").read_bytes()
    assert artifact != full_artifact and (root / "models" / "mix.blend.json").read_bytes() != full_blend
    card = json.loads((root / "models" / "risk.card.json").read_text())
    assert card["data"]["file"] == "data/fewer.csv" and card["data"]["rows"] == 50
    assert card["data"]["sha256"] == _sha(root / "data" / "fewer.csv")
    blend = json.loads((root / "models" / "mix.blend.json").read_text())
    assert blend["summary"]["data"]["file"] == "data/fewer.csv" and blend["summary"]["data"]["rows"] == 50
    assert blend["summary"]["data"]["sha256"] == _sha(root / "data" / "fewer.csv")
    assert "data/fewer.csv" in (root / "models" / "risk.card.md").read_text()
    assert "data/fewer.csv" in (root / "models" / "mix.blend.md").read_text()
    # the model file did not change, so the project loads the model trained on the other file
    CompositeEngine.from_path(root, store="memory")

    # --check compares against the file trained on, not the one the model file names
    assert train_main(["--project", str(root), "--check"]) == 0
    assert capsys.readouterr().out.split() == ["risk:", "up", "to", "date", "mix", "(blend):", "up", "to", "date"]
    rows.iloc[1::4].to_csv(root / "data" / "fewer.csv", index=False)
    assert train_main(["--project", str(root), "--check"]) == 1
    out = capsys.readouterr().out
    assert out.count("the training data data/fewer.csv (given with --data) changed since training") == 2

    # without --data: back to the model file's data, the same bytes as before
    assert train_main(["--project", str(root), "--quiet"]) == 0
    assert (root / "models" / "risk.artifact.json").read_bytes() == full_artifact
    assert (root / "models" / "mix.blend.json").read_bytes() == full_blend


def test_data_outside_the_project_or_missing_is_refused(tmp_path, capsys):
    root = write_blend_project(tmp_path / "p", n=120)
    pd.read_csv(root / "data" / "train.csv").to_csv(tmp_path / "outside.csv", index=False)
    assert train_main(["--project", str(root), "--quiet", "--data", str(tmp_path / "outside.csv")]) == 1
    assert "outside the project folder" in capsys.readouterr().err
    assert train_main(["--project", str(root), "--quiet", "--data", "data/nope.csv"]) == 1
    assert "does not exist" in capsys.readouterr().err
