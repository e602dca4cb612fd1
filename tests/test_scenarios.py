"""`composite test`: scenarios pass or fail with a readable diff; a bad scenario file names its line."""

from __future__ import annotations

import textwrap

import pytest

from composite import CompositeEngine, ProjectError
from composite.scenarios import load_scenarios, run_scenarios
from tests.conftest import REPO, write_project
from tests.test_cli import run

SCENARIOS = """
    scenarios:
      - name: low burden approves
        inputs: {amount: 6000, months: 24, income: 2000, age: 40}
        expect: {decision: approve, ratio: {approx: 0.125, tol: 0.001}}
      - name: wrong expectation
        inputs: {amount: 6000, months: 24, income: 2000, age: 40}
        expect: {decision: decline, instalment: 251}
      - name: minors are rejected by the schema
        inputs: {amount: 6000, months: 24, income: 2000, age: -3}
        rejected: true
"""


def test_scenarios_report_pass_fail_and_a_diff(loan_project):
    (loan_project / "scenarios").mkdir()
    (loan_project / "scenarios" / "cases.yaml").write_text(textwrap.dedent(SCENARIOS).lstrip())
    engine = CompositeEngine.from_path(loan_project, store="memory")
    report = run_scenarios(engine, load_scenarios(loan_project))
    assert [o.passed for o in report.outcomes] == [True, False, True]
    assert report.failed[0].differences == [
        "decision: expected 'decline', got 'approve'",
        "instalment: expected 251, got 250.0",
    ]
    assert engine.store.count() == 0


def test_composite_test_exits_1_on_failure_and_prints_the_diff(loan_project):
    (loan_project / "scenarios").mkdir()
    (loan_project / "scenarios" / "cases.yaml").write_text(textwrap.dedent(SCENARIOS).lstrip())
    result = run("test", "--project", str(loan_project))
    assert result.returncode == 1
    assert "FAIL  wrong expectation  (scenarios/cases.yaml:5)" in result.stdout
    assert "decision: expected 'decline', got 'approve'" in result.stdout
    assert "2 passed, 1 failed" in result.stdout


def test_a_scenario_with_an_unknown_key_names_file_and_line(tmp_path):
    root = write_project(tmp_path, "name: x\nnodes: []\n", "concepts: {}\n",
                         {"scenarios/a.yaml": "scenarios:\n  - name: a\n    inputs: {}\n    expected: {x: 1}\n"})
    with pytest.raises(ProjectError) as caught:
        load_scenarios(root)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == ("scenarios/a.yaml", 4) and "unknown key 'expected'" in problem.message


def test_the_default_project_scenarios_pass():
    result = run("test", "--project", str(REPO))
    assert result.returncode == 0, result.stdout
    assert ", 0 failed" in result.stdout
