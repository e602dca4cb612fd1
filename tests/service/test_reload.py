"""--reload: a good edit of the project's files is swapped in, a bad one is reported and the running
version kept."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import pytest

from composite import CompositeEngine
from composite.service import create_app
from tests.conftest import GOOD_LOAN
from tests.service.conftest import TestClient


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_good_edit_is_served_and_a_bad_one_reported_on_ready_keeping_the_version(
        loan_project: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project = tmp_path / "copy"
    shutil.copytree(loan_project, project)
    engine = CompositeEngine.from_path(project, store="memory")
    first = engine.project.hash
    with TestClient(create_app(engine, reload=True, reload_interval=0.05)) as client:
        assert client.post("/decisions", json=GOOD_LOAN).json()["outputs"]["decision"] == "approve"

        _edit(project / "composite.yaml", "version: 1.2.0", "version: 1.3.0")
        _edit(project / "composite.yaml", 'else "approve"', 'else "refer"')
        assert _until(lambda: client.get("/health").headers["x-composite-project-version"] == "1.3.0")
        second = engine.project.hash
        assert second != first
        response = client.post("/decisions", json=GOOD_LOAN)
        assert response.json()["outputs"]["decision"] == "refer"
        assert response.headers["x-composite-project-hash"] == second
        assert client.get("/ready").json()["reload"]["status"] == "ok"

        _edit(project / "knowledge" / "concepts.yaml", "type: integer, unit: months", "type: whole, unit: months")
        assert _until(lambda: client.get("/ready").json()["reload"]["status"] == "failed")
        ready = client.get("/ready")
        assert ready.status_code == 200  # still serving: the kept version
        report = ready.json()
        assert report["project"]["version"] == "1.3.0" and report["project"]["hash"] == second
        assert report["reload"]["serving"]["hash"] == second
        assert "concepts.yaml" in report["reload"]["error"]
        assert any(p.get("file") == "knowledge/concepts.yaml" for p in report["reload"]["problems"])
        assert client.post("/decisions", json=GOOD_LOAN).json()["outputs"]["decision"] == "refer"
        assert 'composite_reloads_total{result="failed"} 1' in client.get("/metrics").text
        logged = [r for r in caplog.records if r.name == "composite.service" and r.levelname == "ERROR"]
        assert logged and "still serving project 'loan' 1.3.0" in logged[0].getMessage()

        _edit(project / "knowledge" / "concepts.yaml", "type: whole, unit: months", "type: integer, unit: months")
        assert _until(lambda: client.get("/ready").json()["reload"]["status"] == "ok")
        assert engine.project.hash == second
