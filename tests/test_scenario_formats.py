"""Scenario formats and reports: `given:`, the CSV grid, `check_scenarios`, the name filter, JSON and
JUnit; docs/scenarios.md's examples run here as written."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from composite import CompositeEngine, ProjectError
from composite.knowledge import Knowledge
from composite.project import load_project
from composite.scenarios import (Scenario, check_scenarios, load_scenarios, run_scenarios, select_scenarios,
                                 write_junit)
from composite.scenarios import _cell_columns, _typed
from tests.conftest import REPO

TEMPLATE = REPO / "composite" / "templates" / "credit"
DOC = REPO / "docs" / "scenarios.md"
APPLICANT = {"loan_amount": 12000, "term_months": 48, "monthly_income": 2800, "age": 34}


def loans(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """`composite init loans` (the credit template) without its scenarios, plus `files`."""
    root = tmp_path / "loans"
    shutil.copytree(TEMPLATE, root, ignore=shutil.ignore_patterns("__pycache__", ".composite"))
    for path in (root / "scenarios").glob("*.yaml"):
        path.unlink()
    for relative, text in (files or {}).items():
        (root / relative).write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def doc_blocks(kind: str) -> dict[str, str]:
    """The fenced blocks of docs/scenarios.md marked `<!-- KIND: PATH -->`, by path."""
    text = DOC.read_text()
    return {path: body for path, body in
            re.findall(rf"<!-- {kind}: (.+?) -->\n```\w*\n(.*?)```", text, flags=re.DOTALL)}


# -- docs/scenarios.md ------------------------------------------------------------------------------


def test_every_example_of_the_scenarios_doc_passes_and_checks_clean(tmp_path):
    files = doc_blocks("file")
    assert sorted(files) == ["scenarios/affordability.yaml", "scenarios/bands.csv", "scenarios/prescreen.yaml"]
    root = loans(tmp_path, files)
    engine = CompositeEngine.from_path(root, store="memory")
    scenarios = load_scenarios(root)
    report = run_scenarios(engine, scenarios)
    assert [(o.scenario.file, o.passed) for o in report.outcomes] == (
        [("scenarios/affordability.yaml", True)] * 4 + [("scenarios/bands.csv", True)] * 5
        + [("scenarios/prescreen.yaml", True)] * 3), [o.differences for o in report.failed]
    assert check_scenarios(engine.project) == []
    assert [s.name for s in scenarios if s.file == "scenarios/bands.csv"] == [
        "comfortable", "stretched", "strained", "bands.csv:line 5", "an unknown age"]


def test_the_docs_broken_example_gives_the_problems_the_doc_shows(tmp_path):
    broken = doc_blocks("broken")
    shown = doc_blocks("problems")["scenarios/typos.yaml"].strip().splitlines()
    root = loans(tmp_path, broken)
    assert [str(p) for p in check_scenarios(load_project(root))] == shown


# -- given: -----------------------------------------------------------------------------------------


GIVEN = """
    given: {age: 40, monthly_income: 3000, term_months: 36}
    scenarios:
      - name: background only
        expect: {decision: approve}
        inputs: {loan_amount: 9000}
      - name: own term replaces the given one
        inputs: {loan_amount: 30000, term_months: 144}
      - name: nothing of its own
"""


def test_given_is_merged_shallowly_per_input_name_under_each_scenarios_inputs(tmp_path):
    root = loans(tmp_path, {"scenarios/g.yaml": GIVEN.replace("      - name: nothing of its own\n", "")})
    first, second = load_scenarios(root)
    assert first.inputs == {"age": 40, "monthly_income": 3000, "term_months": 36, "loan_amount": 9000}
    assert second.inputs == {"age": 40, "monthly_income": 3000, "term_months": 144, "loan_amount": 30000}
    assert second.given == {"age", "monthly_income"}  # term_months is the scenario's own


def test_a_scenario_without_inputs_decides_the_background_and_the_missing_input_is_named(tmp_path):
    root = loans(tmp_path, {"scenarios/g.yaml": GIVEN})
    third = load_scenarios(root)[2]
    assert third.inputs == {"age": 40, "monthly_income": 3000, "term_months": 36}
    problems = check_scenarios(load_project(root))
    assert [(p.code, p.line, p.field) for p in problems] == [("scenario.missing_input", 8, "inputs.loan_amount")]
    assert "missing required field 'loan_amount'" in problems[0].message


def test_a_bad_given_value_is_reported_once_at_the_given_line(tmp_path):
    text = "given: {age: 240, monthly_income: 3000, term_months: 36}\nscenarios:\n" + "".join(
        f"  - name: s{i}\n    inputs: {{loan_amount: 9000}}\n" for i in range(3))
    root = loans(tmp_path, {"scenarios/g.yaml": text})
    problems = check_scenarios(load_project(root))
    assert [(p.code, p.line, p.column, p.field) for p in problems] == [("scenario.bad_input", 1, 14, "inputs.age")]
    assert problems[0].message == "given:: 'age' is 240, above the maximum 120 years"


def test_without_given_inputs_stay_required(tmp_path):
    root = loans(tmp_path, {"scenarios/a.yaml": "scenarios:\n  - name: a\n    expect: {decision: approve}\n"})
    with pytest.raises(ProjectError) as caught:
        load_scenarios(root)
    assert [(p.line, p.message) for p in caught.value.problems] == [(2, "missing required key 'inputs'")]


# -- the CSV grid -----------------------------------------------------------------------------------


def test_grid_cells_are_typed_by_their_concepts():
    knowledge = Knowledge.from_mapping({
        "amount": {"type": "number"}, "months": {"type": "integer"}, "savings": {"type": "category",
                                                                                "values": ["100_500", "lt_100"]},
        "grade": {"type": "category", "values": [1, 2, 3]}, "phone": {"type": "boolean"},
        "note": {"type": "string"}}, file="k.yaml")
    get = knowledge.get
    assert [_typed("12000", get("amount")), _typed("0.25", get("amount")), _typed("1e3", get("amount"))] == [
        12000, 0.25, 1000.0]
    assert [_typed("24", get("months")), _typed("24.0", get("months")), _typed("2.5", get("months"))] == [24, 24, 2.5]
    assert [_typed("100_500", get("savings")), _typed("2", get("grade")), _typed("true", get("note"))] == [
        "100_500", 2, "true"]
    assert [_typed("TRUE", get("phone")), _typed("false", get("phone")), _typed("yes", get("phone"))] == [
        True, False, "yes"]
    # no concept: booleans, plain decimal numbers, else text (never Python's "1_000" or "nan")
    assert [_typed(cell, None) for cell in ("true", "7", "-0.5", "1_000", "nan", "refer")] == [
        True, 7, -0.5, "1_000", "nan", "refer"]
    assert _typed("abc", get("amount")) == "abc"  # left for the schema to name, with the cell's place


def test_cell_columns_respect_quotes_and_doubled_quotes():
    assert _cell_columns('a,"b, c",d') == [1, 3, 10]
    assert _cell_columns('"x "",y",z') == [1, 10]
    assert _cell_columns("") == [1]


GRID = """\
name,loan_amount,term_months,monthly_income,age,expect.decision,expect.affordability~0.5,fired,rejected,description
stretched,30000,36,2500,40,refer,50,stretched; refer_stretched,,why

,5000,24,1500,17,decline,,minor,false,
"quoted, name",5000,24,-10,30,,,,TRUE,
"""


def test_a_grid_row_becomes_a_scenario_with_approx_fired_and_rejected(tmp_path):
    root = loans(tmp_path, {"scenarios/grid.csv": GRID})
    first, second, third = load_scenarios(root)
    assert first.model_dump() == {
        "name": "stretched", "description": "why",
        "inputs": {"loan_amount": 30000, "term_months": 36, "monthly_income": 2500, "age": 40},
        "expect": {"decision": "refer", "affordability": {"approx": 50, "tol": 0.5}},
        "fired": ["stretched", "refer_stretched"], "rejected": False}
    assert (first.file, first.line, first.places["inputs.age"]) == ("scenarios/grid.csv", 2, (1, 45, 2, 25))
    assert (second.name, second.line, second.rejected) == ("grid.csv:line 4", 4, False)
    assert (third.name, third.rejected, third.expect) == ("quoted, name", True, {})
    report = run_scenarios(CompositeEngine.from_path(root, store="memory"), [first, second, third])
    assert [o.passed for o in report.outcomes] == [True, True, True]


@pytest.mark.parametrize(("header", "row", "problem"), [
    ("loan_amount,expect.decision~x", "1,2", (
        1, 13, "scenario.bad_column", "'expect.decision~x': the tolerance after '~' must be a number >= 0, not 'x'")),
    ("loan_amount,expect.decision~", "1,2", (
        1, 13, "scenario.bad_column",
        "'expect.decision~' has no tolerance after '~'; write e.g. expect.decision~0.01")),
    ("loan_amount,=decision", "1,2", (1, 13, "scenario.bad_column",
                                      "'=decision': an expected output is written expect.decision")),
    ("age,loan_amount,age", "1,2,3", (1, 17, "scenario.duplicate_column",
                                      "column 'age' appears twice (also column 1); keep one")),
    ("age,,x", "1,2,3", (1, 5, "scenario.bad_column",
                         "a column without a name; name it after an input, or expect.OUTPUT")),
    ("expect.", "1", (1, 1, "scenario.bad_column", "'expect.' names no output; write expect.OUTPUT")),
    ("age,loan_amount", "1,2,3", (2, None, "scenario.row_length", "this row has 3 cells, the header 2; every row "
                                  "needs a cell for each column (leave it blank: not given, not checked)")),
    ("age,rejected", "30, maybe", (2, 4, "scenario.bad_cell", "'rejected' is true or false, not 'maybe'")),
    ("age,expect.affordability~1", "30,high", (
        2, 4, "scenario.bad_cell", "'expect.affordability~1' expects a number within 1; 'high' is not a number")),
])
def test_a_bad_grid_names_file_line_and_column(tmp_path, header, row, problem):
    root = loans(tmp_path, {"scenarios/bad.csv": f"{header}\n{row}\n"})
    with pytest.raises(ProjectError) as caught:
        load_scenarios(root)
    assert [(p.file, p.line, p.column, p.code, p.message) for p in caught.value.problems] == [
        ("scenarios/bad.csv", *problem)]


def test_an_unknown_grid_column_is_named_once_at_its_header_cell_with_a_did_you_mean(tmp_path):
    row = "9000,36,3000,40,approve\n"
    root = loans(tmp_path, {"scenarios/grid.csv": "loan_amount,term_months,monthly_incom,age,expect.decison\n"
                                                  + row * 3})
    problems = check_scenarios(load_project(root))
    assert [(p.line, p.column, p.code, p.message) for p in problems] == [
        (1, 25, "scenario.unknown_input",
         "unknown input 'monthly_incom' in the grid's header; did you mean 'monthly_income'?"),
        (1, 43, "scenario.unknown_output", "the grid's column 'expect.decison' expects 'decison', which no node "
         "writes and no input is; did you mean 'decision'?")]


def test_a_grid_cell_of_the_wrong_type_is_named_at_its_cell(tmp_path):
    root = loans(tmp_path, {"scenarios/grid.csv": "name,loan_amount,term_months,monthly_income,age\n"
                                                  "x,9000,three,3000,40\n"})
    problems = check_scenarios(load_project(root))
    assert [(p.line, p.column, p.field, p.message) for p in problems] == [
        (2, 8, "inputs.term_months", "scenario 'x': 'term_months' expected an integer, got str 'three'")]


def test_an_empty_grid_is_an_error_and_a_header_only_grid_has_no_scenarios(tmp_path):
    root = loans(tmp_path, {"scenarios/empty.csv": ""})
    with pytest.raises(ProjectError, match="the CSV grid is empty"):
        load_scenarios(root)
    (root / "scenarios" / "empty.csv").write_text("loan_amount,age\n")
    assert load_scenarios(root) == []


# -- check_scenarios ----------------------------------------------------------------------------------


CHECKED = """
    scenarios:
      - name: typos
        inputs: {loan_amount: 30000, term_months: 0, monthly_income: "2500", age: 40, decision: refer}
        expect: {decision: refer, affordability: {approx: 50, tolerance: 1}, reason: {approx: 1}}
        fired: [young_and_stretched, "affordability_band row 2 (stretched)", band_row]
      - name: typos
        inputs: {loan_amount: 30000, term_months: 36, monthly_income: 2500, age: 40}
        expect: {affordability: {approx: 50, tol: -1}, affordability_band: {approx: "x"}}
      - name: refused, with expectations never checked
        inputs: {loan_amount: 30000, term_months: 36, monthly_income: 2500, age: 40}
        expect: {decision: refer}
        rejected: true
"""


def test_check_scenarios_names_each_problem_at_its_key_or_value(tmp_path):
    root = loans(tmp_path, {"scenarios/c.yaml": CHECKED})
    found = [(p.line, p.column, p.severity, p.code, p.message) for p in check_scenarios(load_project(root))]
    assert found == [
        (3, 47, "error", "scenario.bad_input",
         "scenario 'typos': 'term_months' is 0, below the minimum 1 months"),
        (3, 67, "error", "scenario.bad_input", "scenario 'typos': 'monthly_income' expected a number, got str '2500'"),
        (3, 83, "error", "scenario.input_is_output",
         "'decision' in scenario 'typos' is written by node 'policy', not an input; check it under expect:"),
        (4, 46, "error", "scenario.bad_approx",
         "'affordability': unknown key 'tolerance' in an approx expectation; write {approx: VALUE, tol: TOLERANCE}"),
        (4, 82, "error", "scenario.bad_approx",
         "'reason' is a string, not a number: approx does not apply; expect the value itself"),
        (5, 74, "error", "scenario.unknown_fired",
         "scenario 'typos': 'band_row' is no rule or table row of the project"),
        (6, None, "warning", "scenario.duplicate_name", "scenario name 'typos' is also used at scenarios/c.yaml:2; "
         "give each scenario its own name (reports and --filter go by name)"),
        (8, 29, "error", "scenario.bad_approx", "'affordability': tol must be >= 0"),
        (8, 72, "error", "scenario.bad_approx", "'affordability_band': approx must be a number, got 'x'"),
        (9, None, "warning", "scenario.not_rejected", "scenario 'refused, with expectations never checked' is expected "
         "to be rejected, but its inputs pass the input schema: it passes only if a node fails on them"),
        (9, None, "warning", "scenario.rejected_expects", "scenario 'refused, with expectations never checked' is "
         "expected to be rejected, so its expect: and fired: are never checked; remove them or remove rejected: true"),
    ]


def test_check_scenarios_returns_a_broken_files_problems_instead_of_raising(tmp_path):
    root = loans(tmp_path, {"scenarios/a.yaml": "scenarios:\n  - name: a\n    inputs: {}\n    expected: {x: 1}\n"})
    problems = check_scenarios(load_project(root))
    assert [(p.file, p.line, p.message) for p in problems] == [("scenarios/a.yaml", 4, "unknown key 'expected'")]


@pytest.mark.parametrize(("project", "count"), [
    (REPO, 17), (REPO / "examples" / "tipping", 5), (REPO / "examples" / "birthwt", 8),
    (REPO / "examples" / "credit_card", 13), (REPO / "examples" / "credit_data", 50),
    (TEMPLATE, 6), (REPO / "composite" / "templates" / "triage", 5), (REPO / "composite" / "templates" / "blank", 2),
])
def test_every_shipped_scenario_still_loads_and_checks_clean(project, count):
    loaded = load_project(project)
    assert len(load_scenarios(project)) == count
    assert check_scenarios(loaded) == []


# -- running: filter, JSON, JUnit --------------------------------------------------------------------


def _named(*names: str) -> list[Scenario]:
    return [Scenario(name=name, inputs={}) for name in names]


def test_select_scenarios_by_substring_or_glob_ignoring_case():
    scenarios = _named("A minor is declined", "a stretched budget is referred", "minor detail")
    assert [s.name for s in select_scenarios(scenarios, "MINOR")] == ["A minor is declined", "minor detail"]
    assert [s.name for s in select_scenarios(scenarios, "a minor*")] == ["A minor is declined"]
    assert [s.name for s in select_scenarios(scenarios, "*referred")] == ["a stretched budget is referred"]
    assert [s.name for s in select_scenarios(scenarios, ["detail", "stretched"])] == [
        "a stretched budget is referred", "minor detail"]
    assert select_scenarios(scenarios, "nothing like it") == []
    assert select_scenarios(scenarios, None) == scenarios == select_scenarios(scenarios, [])


REPORTED = """
    scenarios:
      - name: approved
        inputs: {loan_amount: 12000, term_months: 48, monthly_income: 2800, age: 34}
        expect: {decision: approve}
      - name: wrongly expected
        inputs: {loan_amount: 12000, term_months: 48, monthly_income: 2800, age: 34}
        expect: {decision: refer}
        fired: [minor]
"""


@pytest.fixture
def reported(tmp_path):
    root = loans(tmp_path, {"scenarios/r.yaml": REPORTED, "scenarios/grid.csv": "name,age,loan_amount,term_months,"
                            "monthly_income,expect.decision\nminor,17,5000,24,1500,decline\n"})
    engine = CompositeEngine.from_path(root, store="memory")
    return engine, load_scenarios(root)


def test_a_name_filter_runs_the_selected_scenarios_and_coverage_counts_them_alone(reported):
    engine, scenarios = reported
    report = run_scenarios(engine, scenarios, name_filter="MINOR")
    assert [o.scenario.name for o in report.outcomes] == ["minor"]
    assert report.selected and report.total_items == 8
    assert "policy:minor" not in report.uncovered and len(report.uncovered) == 6  # minor and row 1 exercised
    assert run_scenarios(engine, scenarios).selected is False


def test_the_json_report_has_each_scenario_the_totals_and_the_coverage(reported):
    engine, scenarios = reported
    data = json.loads(run_scenarios(engine, scenarios).to_json())
    assert [{k: v for k, v in s.items() if k != "seconds"} for s in data["scenarios"]] == [
        {"name": "minor", "file": "scenarios/grid.csv", "line": 2, "passed": True, "differences": []},
        {"name": "approved", "file": "scenarios/r.yaml", "line": 2, "passed": True, "differences": []},
        {"name": "wrongly expected", "file": "scenarios/r.yaml", "line": 5, "passed": False, "differences": [
            "decision: expected 'refer', got 'approve'",
            "expected 'minor' to fire; fired: ['affordability_band:affordability_band row 1 (comfortable)']"]},
    ]
    assert all(s["seconds"] >= 0 for s in data["scenarios"])
    assert data["totals"] == {"scenarios": 3, "passed": 2, "failed": 1}
    assert data["coverage"] == {"items": 8, "exercised": 2, "filtered": False, "not_exercised": [
        "affordability_band:affordability_band row 2 (stretched)",
        "affordability_band:affordability_band row 3 (strained)",
        "policy:strained", "policy:young_and_stretched", "policy:refer_flagged", "policy:refer_stretched"]}


def test_the_junit_report_parses_and_its_counts_match(reported, tmp_path):
    engine, scenarios = reported
    report = run_scenarios(engine, scenarios)
    path = tmp_path / "out" / "scenarios.xml"
    path.parent.mkdir()
    write_junit(report, path, suite="loan-prescreen")
    root = ET.parse(path).getroot()
    assert (root.tag, root.get("name"), root.get("tests"), root.get("failures")) == (
        "testsuites", "loan-prescreen", "3", "1")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("scenarios/grid.csv", "1", "0"), ("scenarios/r.yaml", "2", "1")]
    cases = root.iter("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("line"), c.find("failure") is not None) for c in cases] == [
        ("scenarios/grid.csv", "minor", "2", False), ("scenarios/r.yaml", "approved", "2", False),
        ("scenarios/r.yaml", "wrongly expected", "5", True)]
    failure = root.find(".//failure")
    assert failure.get("message") == ("decision: expected 'refer', got 'approve'; expected 'minor' to fire; fired: "
                                      "['affordability_band:affordability_band row 1 (comfortable)']")
    assert failure.text.splitlines()[0] == "decision: expected 'refer', got 'approve'"


def test_composite_test_prints_what_the_scenarios_doc_shows(tmp_path):
    from tests.test_cli import run

    files = {"scenarios/prescreen.yaml": doc_blocks("file")["scenarios/prescreen.yaml"], **doc_blocks("run")}
    root = loans(tmp_path, files)
    result = run("test", "--project", str(root), env={"NO_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    assert result.stdout == doc_blocks("output")["composite test"]


def test_json_mode_keeps_standard_output_json_when_nothing_is_selected(tmp_path, capsys):
    import json

    from composite.cli import main

    project = tmp_path / "p"
    assert main(["init", str(project), "--template", "blank"]) == 0
    capsys.readouterr()
    assert main(["test", "--project", str(project), "--json", "--filter", "no such scenario"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["totals"] == {"scenarios": 0, "passed": 0, "failed": 0}
    assert "no scenario name matches --filter 'no such scenario'" in report["error"]
