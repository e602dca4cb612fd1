"""`composite train` on a shipped project gives the committed artifacts back, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from composite.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [ROOT, ROOT / "examples" / "credit_card", ROOT / "examples" / "credit_data", ROOT / "examples" / "birthwt"]
ARTIFACTS = ("*.artifact.json", "*.lgb.txt", "*.card.json", "*.card.md", "*.blend.json", "*.blend.md")


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name if p != ROOT else "default")
def test_training_a_shipped_project_again_gives_the_committed_bytes(project, tmp_path, capsys):
    copy = tmp_path / "p"
    ignore = shutil.ignore_patterns(".composite", "examples", "tests", "benchmarks", "docs", ".venv", ".git",
                                    "__pycache__", "*.egg-info", "composite")
    shutil.copytree(project, copy, ignore=ignore)
    committed = {path.name: path.read_bytes() for pattern in ARTIFACTS for path in (project / "models").glob(pattern)}
    assert committed
    for name in committed:
        (copy / "models" / name).unlink()
    assert main(["train", "--project", str(copy), "--quiet"]) == 0
    again = {path.name: path.read_bytes() for pattern in ARTIFACTS for path in (copy / "models").glob(pattern)}
    assert sorted(again) == sorted(committed)
    different = [name for name in committed if again[name] != committed[name]]
    assert different == []
