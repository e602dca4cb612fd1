"""`validate_project`: what a decision would fail on later, found with file, line, column and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composite.validate import ValidationReport, validate_project
from tests.conftest import REPO, write_project

CONCEPTS = """
    concepts:
      claim_amount: {type: number, unit: EUR, range: [0, 1000000]}
      claim_type: {type: category, values: [auto, home, health]}
      days_to_report: {type: integer, range: [0, 60]}
      police_report: {type: boolean}
      route: {type: category, values: [fast_track, standard, investigate]}
"""

FUZZY = """
    fuzzy: timing
    inputs:
      days_to_report:
        range: [0, 60]
        terms:
          prompt: [trapmf, 0, 0, 3, 10]
          late: [trapmf, 5, 20, 60, 60]
    outputs:
      suspicion:
        range: [0, 100]
        terms:
          low: [trimf, 0, 0, 60]
          high: [trimf, 40, 100, 100]
    rules:
      - {name: prompt, if: days_to_report is prompt, then: suspicion is low}
      - {name: late, if: days_to_report is late, then: suspicion is high}
"""

RULES = """
    ruleset: routing
    defaults: {route: standard}
    rules:
      - name: suspicious
        when: suspicion > 60
        then: {route: investigate}
"""

PROJECT = """
    name: triage
    version: 0.1.0
    outputs: [route]
    nodes:
      - name: facts
        kind: expression
        writes:
          large: claim_amount > 20000
      - {name: timing, kind: fuzzy, file: rules/timing.fuzzy.yaml}
      - {name: routing, kind: rules, file: rules/routing.rules.yaml}
"""


def project(tmp_path: Path, *, composite: str = PROJECT, rules: str = RULES, fuzzy: str = FUZZY,
            extra: dict[str, str] | None = None) -> Path:
    files = {"rules/routing.rules.yaml": rules, "rules/timing.fuzzy.yaml": fuzzy, **(extra or {})}
    return write_project(tmp_path / "p", composite, CONCEPTS, files)


def only(report: ValidationReport, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, [str(p) for p in report.problems]
    return found[0]


def test_a_sound_project_is_ok_with_no_problems(tmp_path):
    report = validate_project(project(tmp_path))
    assert [str(p) for p in report.problems] == []
    assert report.ok is True
    assert report.to_dict() == {"project": "triage", "version": "0.1.0", "ok": True, "errors": 0, "warnings": 0,
                                "problems": []}


def test_a_rule_comparing_a_fuzzy_output_with_text_is_caught_before_any_decision(tmp_path):
    # suspicion has no concept: its type comes from the fuzzy node that writes it
    report = validate_project(project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"')))
    problem = only(report, "type.compare")
    assert (problem.file, problem.line, problem.column) == ("rules/routing.rules.yaml", 5, 11)
    assert problem.message == 'suspicion is a number; "60" is text'
    assert problem.fix == "write suspicion > 60"
    assert report.ok is False


def test_a_rule_comparing_a_fuzzy_output_beyond_its_range_is_a_warning(tmp_path):
    report = validate_project(project(tmp_path, rules=RULES.replace("suspicion > 60", "suspicion > 160")))
    problem = only(report, "type.outside_range")
    assert (problem.severity, problem.file, problem.line, problem.column) == \
        ("warning", "rules/routing.rules.yaml", 5, 11)
    assert problem.message == ("suspicion > 160 is never true: 160 lies outside the range [0, 100] of suspicion "
                               "(node 'timing' (fuzzy))")
    assert report.ok is True


def test_a_rule_on_a_concept_keeps_the_rule_sets_words_with_the_precise_fix(tmp_path):
    rules = RULES.replace("suspicion > 60", 'claim_amount > "20000"')
    report = validate_project(project(tmp_path, rules=rules))
    assert "type.compare" not in [p.code for p in report.problems]  # not reported twice
    problem = only(report, "rules.type_mismatch")
    assert (problem.line, problem.column, problem.fix) == (5, 11, "write claim_amount > 20000")


def test_an_expression_with_a_misspelt_category_value(tmp_path):
    composite = PROJECT.replace("large: claim_amount > 20000", 'large: claim_type == "autoo"')
    problem = only(validate_project(project(tmp_path, composite=composite)), "type.value_not_allowed")
    assert (problem.file, problem.line, problem.column) == ("composite.yaml", 8, 14)
    assert problem.fix == 'did you mean "auto"? write claim_type == "auto"'


def test_an_expression_whose_result_is_not_what_knowledge_says(tmp_path):
    composite = PROJECT.replace("large: claim_amount > 20000", "claim_type: claim_amount * 2").replace(
        "outputs: [route]", "outputs: [route, claim_type]")
    problem = only(validate_project(project(tmp_path, composite=composite)), "type.written")
    assert (problem.file, problem.line, problem.column) == ("composite.yaml", 8, 19)
    assert problem.message.startswith("'claim_type' is text in knowledge/ (knowledge/concepts.yaml:")
    assert problem.message.endswith("but its formula gives a number")


def test_and_on_a_number(tmp_path):
    composite = PROJECT.replace("large: claim_amount > 20000", "large: claim_amount and police_report")
    problem = only(validate_project(project(tmp_path, composite=composite)), "type.not_boolean")
    assert (problem.line, problem.column) == (8, 14)
    assert problem.message == "'and' needs true or false; claim_amount is a number"


TABLE = """
    table: points
    hit_policy: UNIQUE
    inputs:
      - {name: claim_type}
      - {name: claim_amount}
    outputs: [flag_points]
    rules:
      - {claim_type: '"auto"', claim_amount: '> 20000', flag_points: 2}
      - {claim_type: '"home"', claim_amount: '> "20000"', flag_points: 1}
      - {claim_type: '"helth"', claim_amount: '-', flag_points: 0}
"""


def test_table_entries_of_the_wrong_type_or_outside_the_allowed_values(tmp_path):
    composite = PROJECT + "      - {name: points, kind: table, file: rules/points.table.yaml}\n"
    report = validate_project(project(tmp_path, composite=composite, extra={"rules/points.table.yaml": TABLE}))
    typed = [p for p in report.problems if p.code == "type.table_entry"]
    assert [(p.file, p.line, p.column) for p in typed] == [("rules/points.table.yaml", 9, 43),
                                                          ("rules/points.table.yaml", 10, 19)]
    assert typed[0].message == ('table \'points\' row 2: the entry > "20000" for claim_amount holds text "20000", but '
                                "claim_amount is a number (knowledge/concepts.yaml:2): the row never matches")
    assert typed[0].fix == "write 20000 without quotes"
    assert typed[1].fix == 'did you mean "health"? write "health"'
    # the table analysis' vaguer "row never matches" for the same rows is left out
    assert not [p for p in report.problems if p.code == "table_row_never_matches"]


def test_a_table_entry_against_the_tables_own_type_when_nothing_else_says(tmp_path):
    table = """
        table: bands
        hit_policy: FIRST
        inputs: [{name: level, type: number}]
        outputs: [band]
        rules:
          - {level: '> "2"', band: '"high"'}
          - {level: '-', band: '"low"'}
    """
    composite = PROJECT.replace("large: claim_amount > 20000", 'level: if police_report then 1 else "unknown"') \
        + "      - {name: bands, kind: table, file: rules/bands.table.yaml}\n"
    report = validate_project(project(tmp_path, composite=composite, extra={"rules/bands.table.yaml": table}))
    problem = only(report, "type.table_entry")
    assert (problem.line, problem.column, problem.fix) == (6, 14, "write 2 without quotes")
    assert "but level is a number: the row never matches" in problem.message


def test_a_table_output_outside_the_concepts_values(tmp_path):
    table = """
        table: routes
        hit_policy: FIRST
        inputs: [police_report]
        outputs: [route]
        rules:
          - {police_report: 'true', route: '"standard"'}
          - {police_report: '-', route: '"investgate"'}
    """
    composite = PROJECT.replace("      - {name: routing, kind: rules, file: rules/routing.rules.yaml}\n",
                                "      - {name: routes, kind: table, file: rules/routes.table.yaml}\n")
    report = validate_project(project(tmp_path, composite=composite, extra={"rules/routes.table.yaml": table}))
    problem = only(report, "type.table_entry")
    assert (problem.file, problem.line, problem.column) == ("rules/routes.table.yaml", 7, 34)
    assert problem.fix == 'did you mean "investigate"? write "investigate"'


def test_a_table_output_computing_with_text(tmp_path):
    table = """
        table: points
        hit_policy: FIRST
        inputs: [police_report]
        outputs: [flag_points]
        rules:
          - {police_report: 'true', flag_points: 0}
          - {police_report: '-', flag_points: 'claim_type * 2'}
    """
    composite = PROJECT + "      - {name: points, kind: table, file: rules/points.table.yaml}\n"
    report = validate_project(project(tmp_path, composite=composite, extra={"rules/points.table.yaml": table}))
    problem = only(report, "type.table_entry")
    assert (problem.file, problem.line, problem.column) == ("rules/points.table.yaml", 7, 40)
    assert problem.message.startswith("table 'points' row 2: the output entry claim_type * 2 for flag_points computes "
                                      "with claim_type, which is text (knowledge/concepts.yaml:")
    assert problem.message.endswith("): the result is always null")


def test_a_fuzzy_engine_file_validates_as_a_project_of_its_own(tmp_path):
    engine = tmp_path / "dimmer.fll"
    engine.write_text(
        "Engine: dimmer\n"
        "InputVariable: ambient\n"
        "  range: 0.000 1.000\n"
        "  term: DARK Triangle 0.000 0.250 0.500\n"
        "  term: BRIGHT Triangle 0.500 0.750 1.000\n"
        "OutputVariable: power\n"
        "  range: 0.000 1.000\n"
        "  defuzzifier: Centroid\n"
        "  default: nan\n"
        "  term: LOW Triangle 0.000 0.250 0.500\n"
        "  term: HIGH Triangle 0.500 0.750 1.000\n"
        "RuleBlock:\n"
        "  rule: if ambient is DARK then power is HIGH\n"
        "  rule: if ambient is BRIGHT then power is LOW\n")
    report = validate_project(engine)
    problem = only(report, "fuzzy.no_rule_fires")
    assert (problem.file, problem.line, problem.column) == ("dimmer.fll", 6, 17)
    assert problem.message.startswith("no rule gives 'power' a value when ambient = 0 (")
    assert report.ok is True


def test_a_fuzzy_node_reading_text(tmp_path):
    concepts_fuzzy = FUZZY.replace("days_to_report", "claim_type").replace("range: [0, 60]", "range: [0, 3]", 1)
    problem = only(validate_project(project(tmp_path, fuzzy=concepts_fuzzy)), "type.node_input")
    assert (problem.file, problem.line) == ("composite.yaml", 9)
    assert problem.message.startswith("fuzzy node 'timing' reads 'claim_type', which is text")


def test_fuzzy_findings_join_the_report_at_their_own_file(tmp_path):
    fuzzy = FUZZY.replace("prompt: [trapmf, 0, 0, 3, 10]", "prompt: [trapmf, 0, 0, 1, 2]")
    problem = only(validate_project(project(tmp_path, fuzzy=fuzzy)), "fuzzy.no_rule_fires")
    assert (problem.file, problem.line, problem.column, problem.severity) == \
        ("rules/timing.fuzzy.yaml", 9, 3, "warning")
    assert problem.fix == ("add a rule that covers days_to_report = 2.4, or give 'suspicion' a default "
                           "(e.g. default: 50)")


def test_a_guard_passing_a_value_the_override_never_takes(tmp_path):
    composite = PROJECT + """\
      - name: knockouts
        kind: guard
        override: route
        passes: [standrd]
        otherwise: large
        output: decision
    """
    problem = only(validate_project(project(tmp_path, composite=composite)), "type.combiner_value")
    assert (problem.file, problem.line, problem.severity) == ("composite.yaml", 11, "warning")
    assert problem.fix == 'did you mean "standard"? write "standard"'


def test_older_checks_get_a_fix_and_the_report_is_sorted_by_file_and_line(tmp_path):
    rules = RULES + "      - {name: never, when: claim_amount > 5 and claim_amount < 2, then: {route: investigate}}\n"
    report = validate_project(project(tmp_path, rules=rules))
    problem = only(report, "rules.never_fires")
    assert problem.fix == "correct the condition so that some allowed values satisfy it, or delete the rule"
    keys = [(p.file or "", p.line or 0, p.column or 0) for p in report.problems]
    assert keys == sorted(keys)


def test_scenario_problems_join_the_report(tmp_path):
    scenarios = pytest.importorskip("composite.scenarios")
    if not hasattr(scenarios, "check_scenarios"):
        pytest.skip("composite.scenarios has no check_scenarios yet")
    scenario = """
        scenarios:
          - name: a late claim
            inputs: {claim_amount: 1200, claim_type: autoo, days_to_report: 40, police_report: true}
            expect: {route: investigate}
    """
    report = validate_project(project(tmp_path, extra={"scenarios/late.yaml": scenario}))
    found = [p for p in report.problems if p.file == "scenarios/late.yaml"]
    assert found and all(p.is_error for p in found)
    assert found[0].line == 3
    assert report.ok is False


def test_a_project_that_does_not_load_is_a_report_of_its_load_errors(tmp_path):
    root = project(tmp_path, composite=PROJECT.replace("kind: rules", "kind: ruels"))
    report = validate_project(root)
    assert report.ok is False
    assert report.version is None
    assert report.problems and all(p.is_error for p in report.problems)
    assert report.to_dict()["project"] == str(root)


def test_json_has_the_documented_shape(tmp_path):
    report = validate_project(project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"')))
    data = json.loads(report.to_json())
    assert list(data) == ["project", "version", "ok", "errors", "warnings", "problems"]
    assert (data["ok"], data["errors"], data["warnings"]) == (False, 1, 0)
    assert data["problems"] == [{"severity": "error", "code": "type.compare",
                                 "message": 'suspicion is a number; "60" is text', "file": "rules/routing.rules.yaml",
                                 "line": 5, "column": 11, "fix": "write suspicion > 60"}]


def test_the_json_on_docs_validate_md_is_what_the_example_project_gives(tmp_path):
    page = (REPO / "docs" / "validate.md").read_text(encoding="utf-8")
    block = page.split("<!-- validate-json -->", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    report = validate_project(project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"')))
    assert json.loads(report.to_json()) == json.loads(block)


def test_text_lines_show_the_fix_under_the_problem(tmp_path):
    report = validate_project(project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"')))
    assert report.lines() == [
        "rules/routing.rules.yaml:5:11, field 'rules.suspicious.when': suspicion is a number; \"60\" is text "
        "[type.compare]",
        "  fix: write suspicion > 60",
        "1 error(s), 0 warning(s) in project 'triage'",
    ]


SHIPPED = sorted({REPO} | {path.parent for path in (REPO / "examples").glob("*/composite.yaml")}
                 | {path.parent for path in (REPO / "composite" / "templates").glob("*/composite.yaml")})


@pytest.mark.parametrize("root", SHIPPED, ids=lambda path: str(path.relative_to(REPO)) or ".")
def test_every_shipped_project_validates_without_errors_or_warnings(root):
    report = validate_project(root)
    assert [str(p) for p in report.problems] == []
    assert report.ok is True


# -- the command ---------------------------------------------------------------------------------


def test_composite_validate_json_prints_the_report_and_exits_1_on_an_error(tmp_path, capsys):
    from composite.cli import main

    root = project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"'))
    assert main(["validate", "--project", str(root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == validate_project(root).to_dict()
    assert (data["ok"], data["problems"][0]["fix"]) == (False, "write suspicion > 60")


def test_composite_validate_json_reports_a_project_that_does_not_load(tmp_path, capsys):
    from composite.cli import main

    assert main(["validate", "--project", str(tmp_path / "missing"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["ok"], data["version"], data["problems"][0]["code"]) == (False, None, "not_a_project")


def test_composite_validate_prints_each_fix_under_its_problem_on_the_problems_stream(tmp_path, capsys):
    from composite.cli import main

    root = project(tmp_path, rules=RULES.replace("suspicion > 60", 'suspicion > "60"'))
    assert main(["validate", "--project", str(root)]) == 1
    printed = capsys.readouterr()
    assert printed.err.splitlines() == [
        "rules/routing.rules.yaml:5:11, field 'rules.suspicious.when': suspicion is a number; \"60\" is text "
        "[type.compare]",
        "  fix: write suspicion > 60",
        "1 error(s), 0 warning(s) in project 'triage'",
    ]
    assert main(["validate", "--project", str(project(tmp_path / "ok"))]) == 0
    assert capsys.readouterr().out == ("ok: project 'triage' 0.1.0: 3 nodes, 2 inputs, outputs route\n")
