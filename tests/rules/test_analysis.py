"""`composite validate` on rule files: unknown names, type mismatches, disallowed values, dead rules."""

from __future__ import annotations

from pathlib import Path

from composite._yaml import load_yaml
from composite.cli import main
from composite.knowledge import Knowledge
from composite.rules import load_ruleset
from composite.rules.analysis import validate
from tests.conftest import write_project
from tests.rules.helpers import CREDIT_CONCEPTS, CREDIT_PROJECT, CREDIT_RULES, rules

KNOWLEDGE = Knowledge.from_mapping(load_yaml(CREDIT_CONCEPTS, file="knowledge/concepts.yaml")["concepts"],
                                   file="knowledge/concepts.yaml")

FAULTY = """
ruleset: faulty
defaults: {decision: maybe, risk_flag: none, note: none}
rules:
  - {name: typo_name, when: agee > 18, then: {note: a}}
  - {name: category_vs_number, when: employment == 3, then: {note: b}}
  - {name: unknown_value, when: 'employment == "unemploy"', then: {note: c}}
  - {name: number_vs_text, when: 'age == "old"', then: {note: d}}
  - {name: below_range, when: age < 0, then: {note: e}}
  - {name: contradiction, when: age < 30 and age > 40, then: {risk_flag: contradictory}}
  - {name: flag_typo, when: 'risk_flag == "long_and_lage"', then: {note: f}}
  - {name: flag_number, when: risk_flag == 3, then: {note: g}}
  - {name: long_and_large, when: duration_months > 36, then: {risk_flag: long_and_large, decision: decln}}
  - {name: needs_dead_flag, when: 'risk_flag == "contradictory"', then: {note: h}}
  - {name: text_order, when: 'employment < "m"', then: {note: i}}
  - {name: fine, when: 'age >= 18 and employment in ["employed", "self_employed"]', then: {decision: approve}}
"""


def findings(ruleset, **kwargs) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for problem in validate(ruleset, KNOWLEDGE, **kwargs):
        rule = (problem.field or "").split(".")[1]
        out.setdefault(rule, set()).add(problem.code)
    return out


def test_validate_finds_names_types_values_and_rules_that_can_never_fire():
    ruleset = rules(FAULTY, file="rules/faulty.rules.yaml")
    assert findings(ruleset, defined={"credit_amount"}) == {
        "typo_name": {"rules.unknown_name"},
        "category_vs_number": {"rules.type_mismatch", "rules.never_fires"},
        "unknown_value": {"rules.value_not_allowed", "rules.never_fires"},
        "number_vs_text": {"rules.type_mismatch", "rules.never_fires"},
        "below_range": {"rules.never_fires"},
        "contradiction": {"rules.never_fires"},
        "flag_typo": {"rules.never_fires"},
        "flag_number": {"rules.type_mismatch", "rules.never_fires"},
        "long_and_large": {"rules.assigned_value"},
        "needs_dead_flag": {"rules.never_fires"},  # only `contradiction`, which never fires, assigns that flag
        "text_order": {"rules.text_order"},
        "decision": {"rules.default_value"},
    }


def test_validate_messages_say_where_and_why():
    ruleset = rules(FAULTY, file="rules/faulty.rules.yaml")
    problems = {(p.field, p.code): p for p in validate(ruleset, KNOWLEDGE, defined=())}
    unknown = problems[("rules.typo_name.when", "rules.unknown_name")]
    assert (unknown.file, unknown.line, unknown.column) == ("rules/faulty.rules.yaml", 4, 29)
    assert unknown.message.endswith("tests 'agee', which neither knowledge/ defines nor any node writes; "
                                    "did you mean 'age'?")
    assert unknown.fix == "age"
    mismatch = problems[("rules.category_vs_number.when", "rules.type_mismatch")]
    assert mismatch.message == "'employment' is a category but rule 'category_vs_number' compares it with a number 3"
    below = problems[("rules.below_range.when", "rules.never_fires")]
    assert below.message == ("rule 'below_range' can never fire: no value of 'age' satisfies age < 0 "
                             "(knowledge/concepts.yaml:3 allows [0, 120])")
    contradiction = problems[("rules.contradiction.when", "rules.never_fires")]
    assert "no value of 'age' satisfies age < 30 and age > 40" in contradiction.message
    typo = problems[("rules.flag_typo.when", "rules.never_fires")]
    assert 'the rules only ever assign it "long_and_large"' in typo.message
    order = problems[("rules.text_order.when", "rules.text_order")]
    assert order.severity == "warning" and not order.is_error


def test_a_sound_rule_file_has_no_findings():
    ruleset = load_ruleset(CREDIT_RULES, file="rules/credit_policy.rules.yaml")
    assert validate(ruleset, KNOWLEDGE, defined=()) == []
    assert validate(ruleset, None) == []  # without knowledge only the rules' own consistency is checked


def test_composite_validate_reports_rule_findings_and_fails(tmp_path: Path, capsys):
    project = write_project(tmp_path / "v", CREDIT_PROJECT, CREDIT_CONCEPTS,
                            {"rules/credit_policy.rules.yaml": CREDIT_RULES.replace("age < 18", "age < -1")})
    assert main(["validate", "--project", str(project)]) == 1
    err = capsys.readouterr().err
    assert "rules/credit_policy.rules.yaml:7" in err and "rule 'applicant_is_minor' can never fire" in err
    project = write_project(tmp_path / "w", CREDIT_PROJECT, CREDIT_CONCEPTS,
                            {"rules/credit_policy.rules.yaml": CREDIT_RULES})
    assert main(["validate", "--project", str(project)]) == 0
