"""The `composite` command in real subprocesses: decide, explain later, history, validate, init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import GOOD_LOAN, write_project


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "COMPOSITE_STORE_URL"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "composite", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=environment, timeout=120)


def test_decide_then_explain_in_a_new_process_shows_the_same_decision(loan_project, tmp_path):
    request = tmp_path / "req.json"
    request.write_text(json.dumps(GOOD_LOAN))
    decided = run("decide", "--project", str(loan_project), "--input", str(request), "--json")
    assert decided.returncode == 0, decided.stderr
    decision = json.loads(decided.stdout)
    assert decision["outputs"]["decision"] == "approve"
    explained = run("explain", decision["id"], "--project", str(loan_project), "--json")
    assert explained.returncode == 0, explained.stderr
    back = json.loads(explained.stdout)
    assert back["id"] == decision["id"]
    assert back["outputs"] == decision["outputs"] and back["inputs"] == decision["inputs"]
    assert back["trace"]["artifacts"] == decision["trace"]["artifacts"]
    assert [n["wrote"] for n in back["trace"]["nodes"]] == [n["wrote"] for n in decision["trace"]["nodes"]]
    text = run("explain", decision["id"], "--project", str(loan_project))
    # the short form by default: the outcome and the steps that decided it (`--full` has every step)
    assert "Decided by, last step first" in text.stdout and "  screen (expression): decision = approve" in text.stdout


def test_bad_request_exits_nonzero_names_every_field_and_history_shows_nothing_new(loan_project):
    good = run("decide", "--project", str(loan_project), "--input", "-", stdin=json.dumps(GOOD_LOAN))
    assert good.returncode == 0
    before = run("history", "--project", str(loan_project)).stdout
    bad = run("decide", "--project", str(loan_project), "--input", "-",
              stdin=json.dumps({"amount": -5, "months": "x", "age": 30}))
    assert bad.returncode == 1
    for field in ("amount", "months", "income"):
        assert f"field '{field}'" in bad.stderr
    assert run("history", "--project", str(loan_project)).stdout == before
    assert len(before.strip().splitlines()) == 1


def test_input_that_is_not_json_names_the_line(loan_project):
    bad = run("decide", "--project", str(loan_project), "--input", "-", stdin='{"amount": 5,\n oops}')
    assert bad.returncode == 1 and "standard input:2" in bad.stderr


def test_validate_reports_file_and_line_and_exits_1(tmp_path):
    root = write_project(tmp_path / "p", """
        name: p
        nodes:
          - {name: a, kind: expression, writes: {x: y + 1}}
          - {name: b, kind: expression, writes: {y: x + 1}}
          - {name: c, kind: expression, writes: {z: nobody * 2}}
    """, """
        concepts: {}
    """)
    result = run("validate", "--project", str(root))
    assert result.returncode == 1
    assert "composite.yaml:5" in result.stderr and "'nobody'" in result.stderr
    ok = run("validate", "--project", str(tmp_path / "missing"))
    assert ok.returncode == 1 and "composite init" in ok.stderr


def test_init_creates_a_project_that_validates_and_decides(tmp_path):
    target = tmp_path / "new"
    assert run("init", str(target)).returncode == 0
    assert run("validate", "--project", str(target)).returncode == 0
    decided = run("decide", "--project", str(target), "--input", str(target / "data/sample_application.json"),
                  "--explain")
    assert decided.returncode == 0, decided.stderr
    assert "decision = approve" in decided.stdout and "Decided by, last step first" in decided.stdout


def test_graph_prints_mermaid_and_dot(loan_project):
    mermaid = run("graph", "--project", str(loan_project))
    assert mermaid.returncode == 0 and mermaid.stdout.startswith("flowchart LR")
    assert "burden -->|ratio| screen" in mermaid.stdout
    dot = run("graph", "--project", str(loan_project), "--format", "dot")
    assert dot.stdout.startswith("digraph decision {")
