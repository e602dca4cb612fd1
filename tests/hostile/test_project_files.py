"""Hostile project files: each break of the small project (and a few of the default project) ends
in a ProjectError at its file and line, when loaded, opened on a store, reloaded under a running
engine, and through `composite validate` in its own bounded process; the store never changes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from composite import CompositeEngine, CompositeError, EvaluationError, load_project
from tests.hostile.bounds import assert_clean_failure, bounded, run_cli
from tests.hostile.corpus import (ANY, BAD_PROJECTS, DUPLICATE_LINES, DUPLICATE_ROWS, BadProject, _append, _replace,
                                  _replace_with, billion_laughs)
from tests.hostile.project import GOOD, copy_default_project, stored, write_hostile_project


def _available(needs: str | None) -> bool:
    if needs == "fifo":
        return hasattr(os, "mkfifo")
    if needs == "/dev/zero":
        return Path("/dev/zero").exists()
    return True


def _cases() -> list[Any]:
    return [pytest.param(c, id=c.id, marks=pytest.mark.skipif(not _available(c.needs), reason=f"no {c.needs}"))
            for c in BAD_PROJECTS]


def _broken(tmp_path: Path, case: BadProject) -> Path:
    root = write_hostile_project(tmp_path / "project")
    case.breaks(root)
    return root


def _check_location(error: CompositeError, file: str, line: int | None) -> None:
    problem = error.problems[0]
    assert problem.file == file or (problem.file or "").endswith("/" + file), error.problems
    if line == ANY:
        assert problem.line is not None, error.problems
    elif line is not None:
        assert problem.line == line, error.problems


def _where(file: str, line: int | None) -> list[str]:
    return [file] if line in (None, ANY) else [f"{file}:{line}"]


@pytest.mark.parametrize("case", _cases())
def test_a_bad_project_file_is_a_located_project_error(tmp_path, case: BadProject):
    root = _broken(tmp_path, case)
    with bounded(), pytest.raises(CompositeError) as caught:
        load_project(root)
    assert isinstance(caught.value, case.error), repr(caught.value)[:2000]
    if case.code:
        assert caught.value.problems[0].code == case.code, caught.value.problems
    _check_location(caught.value, case.file, case.line)
    assert len(str(caught.value)) < 5_000


@pytest.mark.parametrize("case", _cases())
def test_a_bad_project_never_opens_on_a_store_and_a_reload_keeps_the_running_version(hostile, tmp_path, case):
    good_root, db = hostile
    root = write_hostile_project(tmp_path / "project")
    before = stored(db)
    with CompositeEngine.from_path(root, store=f"sqlite:///{db}") as running:
        case.breaks(root)
        with bounded(), pytest.raises(case.error):
            running.reload()
        assert running.decide(GOOD).outputs["label"] == "b"  # the version loaded before goes on deciding
        with bounded(), pytest.raises(case.error):
            CompositeEngine.from_path(root, store=f"sqlite:///{db}")
    assert stored(db) == before + 1


@pytest.mark.parametrize("case", _cases())
def test_cli_validate_reports_a_bad_project_file_at_its_file_and_line(tmp_path, case: BadProject):
    root = _broken(tmp_path, case)
    done = run_cli(["validate", "--project", str(root)])
    assert done.returncode == 1
    assert_clean_failure(done, where=_where(case.file, case.line))


def test_cli_decide_on_a_bad_project_stores_nothing(hostile, tmp_path):
    _, db = hostile
    request = tmp_path / "request.json"
    request.write_text('{"amount": 2500, "count": 3, "grade": "b", "flag": true}')
    before = stored(db)
    for case in BAD_PROJECTS:
        if case.id not in ("alias-bomb-composite-yaml", "fifo-as-table", "parentheses-1000-deep"):
            continue
        root = _broken(tmp_path / case.id, case)
        done = run_cli(["decide", "--project", str(root), "--store", f"sqlite:///{db}", "--input", str(request)])
        assert_clean_failure(done, where=_where(case.file, case.line))
    assert stored(db) == before


# -- a table listing a row twice: loads, but validate and decide say where -------------------------


def test_a_table_with_duplicate_rows_is_reported_by_validate_and_refused_by_decide(hostile, tmp_path):
    _, db = hostile
    root = write_hostile_project(tmp_path / "project")
    (root / "rules" / "band.csv").write_text(DUPLICATE_ROWS)
    done = run_cli(["validate", "--project", str(root)])
    assert done.returncode == 1
    assert_clean_failure(done, where=[f"rules/band.csv:{DUPLICATE_LINES[0]}"])
    assert f"rules/band.csv:{DUPLICATE_LINES[1]}" in done.stderr
    before = stored(db)
    with CompositeEngine.from_path(root, store=f"sqlite:///{db}") as engine:
        for call in (lambda: engine.decide({**GOOD, "amount": 500}),
                     lambda: engine.decide_batch([{**GOOD, "amount": 500}, GOOD])):
            with bounded(), pytest.raises(EvaluationError) as caught:
                call()
            assert caught.value.file == "rules/band.csv" and caught.value.line is not None
        assert engine.decide(GOOD).outputs["band_points"] == 2  # rows the duplicates do not match decide
    assert stored(db) == before + 1


# -- the default project, copied ------------------------------------------------------------------------


def _default_breaks() -> list[tuple[str, Callable[[Path], None], str, int | None]]:
    return [
        ("alias-bomb-knowledge", _append("knowledge/credit.yaml", billion_laughs()), "knowledge/credit.yaml", ANY),
        ("non-utf8-policy-rules", _append("rules/credit_policy.rules.yaml", b"# \xff\n"), "rules/credit_policy.rules.yaml",
         ANY),
        ("fifo-as-scorecard-table", _replace_with("rules/scorecard/history.table.yaml", "fifo"), "composite.yaml",
         "name: history_score"),
        # named in the model's artifact (JSON): the problem names that file, at its "booster_file" line
        ("dev-zero-as-lightgbm-text", _replace_with("models/default_risk.lgb.txt", "/dev/zero"),
         "models/default_risk.artifact.json", '"booster_file"'),
        ("directory-as-blend", _replace_with("models/risk_blend.blend.yaml", "dir"), "composite.yaml", "name: risk_blend"),
        ("parentheses-1000-deep-in-scorecard", _replace("composite.yaml", "checking_points + duration_points",
                                                        "(" * 1_000 + "checking_points" + ")" * 1_000
                                                        + " + duration_points"), "composite.yaml", "checking_points"),
    ]


@pytest.fixture(scope="module")
def default_pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_default_project(tmp_path_factory.mktemp("default-pristine") / "project")


@pytest.mark.parametrize("name, breaks, file, line", _default_breaks(), ids=[b[0] for b in _default_breaks()])
def test_a_bad_file_in_the_default_project_is_located(default_pristine, tmp_path, name, breaks, file, line):
    if "fifo" in name and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs")
    root = tmp_path / "project"
    shutil.copytree(default_pristine, root, symlinks=True)
    breaks(root)
    if isinstance(line, str):  # the line of `file` that mentions it
        line = next(i for i, text in enumerate((root / file).read_text().splitlines(), 1) if line in text)
    with bounded(), pytest.raises(CompositeError) as caught:
        CompositeEngine.from_path(root, store=f"sqlite:///{tmp_path / 'd.db'}")
    _check_location(caught.value, file, line)
    assert stored(tmp_path / "d.db") == 0
    done = run_cli(["validate", "--project", str(root)])
    assert done.returncode == 1
    assert_clean_failure(done, where=_where(file, line))
