"""Issue 9, item 5: a project reads only its own regular files, each under a size cap.

Every file a project names resolves inside the project folder after symlinks; anything else
(`../x`, an absolute path, a symlink out, /dev/zero, a FIFO, a directory, an oversize file) is a
ProjectError at the file and line of the reference, raised before anything is read; and so the
stored project snapshot can never hold the text of a file outside the project.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from composite import CompositeEngine, ProjectError, load_project
from composite._files import read_project_file
from tests.conftest import LOAN_CONCEPTS, write_project

SECRET = "SECRET-OUTSIDE-THE-PROJECT"
TABLE = f"# description: {SECRET}\namount, -> points\n< 1000, 1\n>= 1000, 2\n"
PROJECT = """
    name: files
    outputs: [points]
    nodes:
      - {{name: points, kind: table, file: "{file}"}}
"""
NODE_LINE = 4


def project(tmp_path: Path, file: str) -> Path:
    root = write_project(tmp_path / "project", PROJECT.format(file=file), LOAN_CONCEPTS)
    (root / "rules").mkdir(exist_ok=True)
    return root


def refused(root: Path, code: str) -> ProjectError:
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == code, caught.value
    assert (problem.file, problem.line) == ("composite.yaml", NODE_LINE), caught.value
    return caught.value


def test_a_project_file_inside_the_project_loads(tmp_path):
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").write_text(TABLE)
    engine = CompositeEngine.from_path(root, store="memory")
    assert engine.decide({"amount": 500}).outputs["points"] == 1
    assert engine.project.snapshot()["sources"]["rules/points.csv"] == TABLE


def test_a_symlink_inside_the_project_to_a_file_inside_it_is_followed(tmp_path):
    root = project(tmp_path, "rules/alias.csv")
    (root / "rules" / "points.csv").write_text(TABLE)
    (root / "rules" / "alias.csv").symlink_to("points.csv")
    assert load_project(root).artifacts.keys() >= {"rules/points.csv"}


def test_dot_dot_out_of_the_project_is_refused(tmp_path):
    (tmp_path / "outside.csv").write_text(TABLE)
    error = refused(project(tmp_path, "../outside.csv"), "file_outside_project")
    assert "outside the project" in error.problems[0].message


def test_an_absolute_path_is_refused(tmp_path):
    (tmp_path / "outside.csv").write_text(TABLE)
    refused(project(tmp_path, str(tmp_path / "outside.csv")), "file_outside_project")


def test_a_symlink_out_of_the_project_is_refused(tmp_path):
    (tmp_path / "outside.csv").write_text(TABLE)
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").symlink_to(tmp_path / "outside.csv")
    error = refused(root, "file_outside_project")
    assert "symbolic link" in error.problems[0].message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_without_reading_it(tmp_path):
    refused(project(tmp_path, "/dev/zero"), "file_outside_project")
    root = project(tmp_path, "rules/zero.csv")
    (root / "rules" / "zero.csv").symlink_to("/dev/zero")
    refused(root, "file_outside_project")
    # and read from inside a project (the project's root is /dev): still not read, not a hang
    with pytest.raises(ProjectError) as caught:
        read_project_file(Path("/dev"), "zero", referenced_from=("composite.yaml", 7))
    assert caught.value.problems[0].code == "file_not_regular" and caught.value.line == 7


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    root = project(tmp_path, "rules/points.csv")
    os.mkfifo(root / "rules" / "points.csv")  # opening it for reading would block forever
    error = refused(root, "file_not_regular")
    assert "FIFO" in error.problems[0].message


def test_a_directory_given_as_a_file_is_refused(tmp_path):
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").mkdir()
    error = refused(root, "file_not_regular")
    assert "directory" in error.problems[0].message


def test_an_oversize_file_is_refused(tmp_path, monkeypatch):
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").write_text(TABLE + "# padding\n" * 150)
    monkeypatch.setenv("COMPOSITE_MAX_FILE_BYTES", "1000")
    error = refused(root, "file_too_large")
    assert "COMPOSITE_MAX_FILE_BYTES" in error.problems[0].message
    monkeypatch.setenv("COMPOSITE_MAX_FILE_BYTES", "100000")
    assert load_project(root).nodes


def test_a_missing_file_names_the_reference(tmp_path):
    refused(project(tmp_path, "rules/nowhere.csv"), "missing_file")


def test_a_knowledge_file_linking_out_of_the_project_is_refused(tmp_path):
    (tmp_path / "outside.yaml").write_text(f"concepts:\n  secret: {{type: number, description: {SECRET}}}\n")
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").write_text(TABLE)
    (root / "knowledge" / "more.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert (problem.code, problem.file) == ("file_outside_project", "knowledge/more.yaml")


def test_non_utf8_bytes_in_a_project_file_name_the_line(tmp_path):
    root = project(tmp_path, "rules/points.csv")
    (root / "rules" / "points.csv").write_bytes(b"amount, -> points\n< 1000, 1\n>= 1000, \xe9\n")
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert (problem.code, problem.file, problem.line, problem.column) == ("file_encoding", "rules/points.csv", 3, 10)


def test_a_model_file_naming_training_data_outside_the_project_is_refused(tmp_path):
    from tests.ml.conftest import write_ml_project

    root = write_ml_project(tmp_path / "ml")
    model = root / "models" / "risk.model.yaml"
    model.write_text(model.read_text().replace("data: data/train.csv", "data: ../../outside.csv"))
    with pytest.raises(ProjectError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.code == "file_outside_project"
    assert (problem.file, problem.line) == ("models/risk.model.yaml", 6)


@pytest.mark.parametrize("how", ["dot-dot", "absolute", "symlink"])
def test_the_snapshot_never_holds_text_from_outside_the_project(tmp_path, how):
    (tmp_path / "outside.csv").write_text(TABLE)
    file = {"dot-dot": "../outside.csv", "absolute": str(tmp_path / "outside.csv"), "symlink": "rules/points.csv"}[how]
    root = project(tmp_path, file)
    if how == "symlink":
        (root / "rules" / "points.csv").symlink_to(tmp_path / "outside.csv")
    engine = None
    try:
        engine = CompositeEngine.from_path(root, store="memory")
    except ProjectError:
        pass
    if engine is not None:  # it must not have loaded; if it did, nothing of the outside is kept
        snapshot = engine.project.snapshot()
        assert SECRET not in repr(snapshot)
        pytest.fail("a project naming a file outside itself loaded")
