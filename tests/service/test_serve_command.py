"""`composite serve` for real: a uvicorn process on 127.0.0.1 storing into the project's SQLite store;
and `composite schema`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from composite.cli import main
from tests.conftest import REPO

STARTER = REPO / "composite" / "templates" / "credit"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_decides_and_stores_in_sqlite(tmp_path: Path) -> None:
    project = tmp_path / "starter"
    shutil.copytree(STARTER, project)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("COMPOSITE_STORE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "composite", "serve", "--project", str(project), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the service did not start in 30 s"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        request = json.loads((project / "data" / "sample_application.json").read_text())
        response = httpx.post(f"{base}/decisions", json=request, timeout=10)
        assert response.status_code == 201
        decision_id = response.json()["id"]
        assert response.headers["x-composite-project-version"] == "0.1.0"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    # uvicorn shuts down cleanly, then ends by the signal it was sent (as its docs say it does)
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert f"on http://127.0.0.1:{port}" in output
    with sqlite3.connect(project / ".composite" / "decisions.db") as db:
        rows = db.execute("SELECT id, outputs FROM decisions").fetchall()
    assert [row[0] for row in rows] == [decision_id]
    assert json.loads(rows[0][1]) == response.json()["outputs"]


def test_schema_command_prints_the_request_schema(tmp_path: Path, capsys) -> None:
    assert main(["schema", "--project", str(STARTER)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["term_months"]["maximum"] == 480
    assert sorted(schema["required"]) == ["age", "loan_amount", "monthly_income", "term_months"]
    target = tmp_path / "schema.json"
    assert main(["schema", "--project", str(STARTER), "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == schema


def test_serve_without_the_extra_says_how_to_install_it_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", "--project", str(STARTER)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'composite-decisions[serve]'" in error
