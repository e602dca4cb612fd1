"""Rule files load into a RuleSet with every rule and condition located; bad files name file and line."""

from __future__ import annotations

import pytest

from composite.errors import ProjectError
from composite.rules import load_ruleset
from tests.rules.helpers import CREDIT_RULES, rules


def test_a_rule_file_loads_with_reads_writes_and_lines():
    ruleset = load_ruleset(CREDIT_RULES, file="rules/credit_policy.rules.yaml")
    assert ruleset.name == "credit_policy"
    assert ruleset.reads == ("age", "duration_months", "credit_amount", "employment")
    assert ruleset.writes == ("decision", "reason", "risk_flag")
    assert ruleset.chained == frozenset({"risk_flag"})  # written by one rule, tested by another
    assert [r.name for r in ruleset.rules] == ["applicant_is_minor", "long_and_large", "long_large_unemployed"]
    minor = ruleset.rule("applicant_is_minor")
    assert (minor.line, minor.when.line, minor.when.column, minor.priority) == (7, 8, 11, 100)
    assert minor.then == {"decision": "decline", "reason": "applicant is under 18"}
    assert minor.then_lines == {"decision": 9, "reason": 9}
    assert ruleset.rule("long_and_large").priority == 0
    assert ruleset.defaults == {"decision": "none", "reason": None, "risk_flag": None}
    assert ruleset.conflict == "priority"
    assert ruleset.version.startswith("credit_policy@") and len(ruleset.version) == len("credit_policy@") + 12


def test_the_version_changes_with_the_file_content():
    a = load_ruleset(CREDIT_RULES, file="a.rules.yaml")
    b = load_ruleset(CREDIT_RULES.replace("age < 18", "age < 21"), file="a.rules.yaml")
    assert a.version != b.version
    assert a.version == load_ruleset(CREDIT_RULES, file="other.rules.yaml").version


def test_a_name_written_by_only_some_rules_needs_a_default():
    with pytest.raises(ProjectError) as caught:
        rules("""
        ruleset: r
        defaults: {decision: none}
        rules:
          - name: flag_large
            when: amount > 1000
            then: {decision: refer, flag: large}
        """)
    (problem,) = caught.value.problems
    assert problem.code == "rules.missing_default"
    assert (problem.file, problem.line) == ("rules/test.rules.yaml", 6)
    assert "'flag' is written by rule 'flag_large' (line 4) but has no default" in problem.message


def test_a_name_an_unconditional_rule_writes_needs_no_default():
    ruleset = rules("""
    ruleset: r
    rules:
      - {name: base, when: true, then: {score: 0}}
      - {name: bonus, when: vip, then: {score: 10}, priority: 5}
    """)
    assert ruleset.writes == ("score",) and ruleset.defaults == {}


def test_every_problem_of_a_file_is_reported_at_once_with_its_line():
    with pytest.raises(ProjectError) as caught:
        rules("""
        ruleset: r
        conflict: loudest
        defaults: {decision: none, "bad name": 1}
        extra: 1
        rules:
          - name: one
            when: age <
            then: {decision: decline}
          - name: one
            when: age > 1
            then: {decision: [a, b]}
          - name: three
            when: age > 1
            then: {decision: refer}
            priority: high
            unless: never
        """)
    found = {(p.code, p.line) for p in caught.value.problems}
    assert found == {
        ("rules.conflict", 2),
        ("rules.bad_name", 3),
        ("rules.unknown_key", 4),
        ("expression_syntax", 7),
        ("rules.bad_value", 11),
        ("rules.priority", 15),
        ("rules.unknown_key", 16),
    }
    syntax = next(p for p in caught.value.problems if p.code == "expression_syntax")
    assert syntax.file == "rules/test.rules.yaml" and syntax.column is not None


def test_duplicate_rule_names_are_refused():
    with pytest.raises(ProjectError) as caught:
        rules("""
        ruleset: r
        defaults: {d: 0}
        rules:
          - {name: same, when: a > 1, then: {d: 1}}
          - {name: same, when: a > 2, then: {d: 2}}
        """)
    (problem,) = caught.value.problems
    assert problem.code == "rules.duplicate_rule" and problem.line == 5
    assert "first at line 4" in problem.message


def test_a_multi_line_condition_reports_errors_on_its_own_line():
    with pytest.raises(ProjectError) as caught:
        rules("""
        ruleset: r
        defaults: {d: 0}
        rules:
          - name: long
            when: |
              age > 18
              and amount / months > 2
            then: {d: 1}
        """)
    (problem,) = caught.value.problems
    assert problem.code == "rules.unsupported_condition"
    assert (problem.line, problem.column) == (7, 11)


def test_a_file_that_is_not_a_rule_file_says_what_one_looks_like():
    with pytest.raises(ProjectError) as caught:
        rules("- just a list\n")
    assert "'ruleset:', 'rules:'" in str(caught.value)
    with pytest.raises(ProjectError) as caught:
        rules("ruleset: r\nrules: []\n")
    assert caught.value.problems[0].code == "rules.no_rules"
