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


def test_composite_test_filter_runs_only_the_scenarios_it_names(loan_project):
    (loan_project / "scenarios").mkdir()
    (loan_project / "scenarios" / "cases.yaml").write_text(textwrap.dedent(SCENARIOS).lstrip())
    result = run("test", "--project", str(loan_project), "--filter", "APPROVES", "--filter", "minors*")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split("  ")[1] for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL"))] == [
        "low burden approves", "minors are rejected by the schema"]
    assert "2 passed, 0 failed (selected by --filter from 3)" in result.stdout
    assert "not exercised" not in result.stdout
    nothing = run("test", "--project", str(loan_project), "--filter", "no such scenario")
    assert nothing.returncode == 1
    assert "no scenario name matches --filter 'no such scenario' (3 scenarios in" in nothing.stdout


def test_composite_test_json_and_junit_report_the_same_outcomes(loan_project, tmp_path):
    import json
    import xml.etree.ElementTree as ET

    (loan_project / "scenarios").mkdir()
    (loan_project / "scenarios" / "cases.yaml").write_text(textwrap.dedent(SCENARIOS).lstrip())
    junit = tmp_path / "junit.xml"
    result = run("test", "--project", str(loan_project), "--json", "--junit", str(junit))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["totals"] == {"scenarios": 3, "passed": 2, "failed": 1}
    assert [(s["name"], s["line"], s["passed"]) for s in report["scenarios"]] == [
        ("low burden approves", 2, True), ("wrong expectation", 5, False), ("minors are rejected by the schema", 8, True)]
    assert report["scenarios"][1]["differences"] == [
        "decision: expected 'decline', got 'approve'", "instalment: expected 251, got 250.0"]
    suite = ET.parse(junit).getroot()
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("loan", "3", "1")
    assert [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None] == [
        "wrong expectation"]


def test_composite_test_runs_a_csv_grid_with_a_given_background_beside_it(loan_project):
    (loan_project / "scenarios").mkdir()
    (loan_project / "scenarios" / "grid.csv").write_text(
        "name,amount,months,income,age,expect.decision,expect.ratio~0.001\n"
        "cheap,6000,24,2000,40,approve,0.125\n"
        ",6000,24,800,40,refer,0.3125\n")
    (loan_project / "scenarios" / "given.yaml").write_text(
        "given: {months: 24, income: 2000, age: 40}\n"
        "scenarios:\n"
        "  - name: the background approves\n"
        "    inputs: {amount: 6000}\n"
        "    expect: {decision: approve}\n"
        "  - name: a lower income declines\n"
        "    inputs: {amount: 6000, income: 500}\n"
        "    expect: {decision: decline}\n")
    result = run("test", "--project", str(loan_project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  grid.csv:line 3  (scenarios/grid.csv:3)" in result.stdout
    assert "PASS  a lower income declines  (scenarios/given.yaml:6)" in result.stdout
    assert "4 passed, 0 failed" in result.stdout
