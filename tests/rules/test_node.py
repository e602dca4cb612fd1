"""The `rules` node: evidence, rendering, batch agreement, why-not, loading and reload in a project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composite import CompositeEngine
from composite.errors import ProjectError
from composite.nodes import node_class
from composite.nodes.rules import RuleSetEvidence, RuleSetNode, condition_with_values
from composite.rules import RuleSet
from tests.conftest import write_project
from tests.rules.helpers import (
    CREDIT_CONCEPTS,
    CREDIT_PROJECT,
    CREDIT_RULES,
    LONG_LARGE_UNEMPLOYED,
    MINOR,
    PLAIN,
    rules,
)


@pytest.fixture(scope="module")
def node() -> RuleSetNode:
    return RuleSetNode("policy", rules(CREDIT_RULES, file="rules/credit_policy.rules.yaml"))


def test_the_node_kind_is_registered_and_declares_reads_and_writes(node: RuleSetNode):
    assert node_class("rules") is RuleSetNode
    assert node.reads == ("age", "duration_months", "credit_amount", "employment")  # not risk_flag: it writes it
    assert node.writes == ("decision", "reason", "risk_flag")


def test_evidence_lists_fired_rules_in_order_with_the_facts_they_matched(node: RuleSetNode):
    result = node.evaluate({**LONG_LARGE_UNEMPLOYED, "age": 17})
    evidence = RuleSetEvidence.model_validate(result.evidence)
    assert evidence.ruleset == node.version
    assert [(f.rule, f.priority, f.line, f.matched) for f in evidence.fired] == [
        ("applicant_is_minor", 100, 6, {"age": 17}),
        ("long_and_large", 0, 10, {"duration_months": 48, "credit_amount": 20000}),
        ("long_large_unemployed", 0, 13, {"risk_flag": "long_and_large", "employment": "unemployed"}),
    ]
    assert [(o.name, o.loser, o.value, o.winner, o.kept) for o in evidence.overridden] == [
        ("decision", "long_large_unemployed", "refer", "applicant_is_minor", "decline"),
        ("reason", "long_large_unemployed", "long, large credit without employment", "applicant_is_minor",
         "applicant is under 18"),
    ]
    assert evidence.defaults_used == []
    assert result.outputs == {"decision": "decline", "reason": "applicant is under 18", "risk_flag": "long_and_large"}


def test_render_says_which_rule_fired_on_which_facts(node: RuleSetNode):
    result = node.evaluate(MINOR)
    lines = RuleSetNode.render(result.evidence, read=MINOR, wrote=result.outputs, knowledge=None)
    assert lines == [
        "rule 'applicant_is_minor' fired (priority 100): age = 17 < 18 -> decision = decline, "
        'reason = "applicant is under 18"',
        "defaults: risk_flag = null",
    ]
    result = node.evaluate({**LONG_LARGE_UNEMPLOYED, "age": 17})
    lines = RuleSetNode.render(result.evidence, read={}, wrote=result.outputs, knowledge=None)
    assert lines[1] == ("rule 'long_and_large' fired (priority 0): duration_months = 48 > 36 and "
                        "credit_amount = 20000 > 10000 -> risk_flag = long_and_large")
    assert lines[3] == ("rule 'long_large_unemployed' also set decision = refer, overridden by rule "
                        "'applicant_is_minor': decision = decline")


def test_no_rule_firing_renders_the_defaults(node: RuleSetNode):
    result = node.evaluate(PLAIN)
    assert result.evidence["fired"] == [] and result.evidence["defaults_used"] == ["decision", "reason", "risk_flag"]
    assert RuleSetNode.render(result.evidence, read=PLAIN, wrote=result.outputs, knowledge=None) == [
        "no rule fired; defaults: decision = none, reason = null, risk_flag = null"]


def test_condition_with_values_follows_each_name_with_its_value():
    shown = condition_with_values('a > 1 and b in ["x", "y"]', {"a": 2, "b": "x"})
    assert shown == 'a = 2 > 1 and b = "x" in ["x", "y"]'
    assert condition_with_values("flag", {"flag": True}) == "flag = true"


def test_describe_carries_enough_to_rebuild_the_rule_set(node: RuleSetNode):
    described = node.describe()
    assert described["kind"] == "rules" and described["summary"].startswith("3 rules (credit_policy@")
    rebuilt = RuleSet.from_description(described)
    assert [r.name for r in rebuilt.rules] == [r.name for r in node.ruleset.rules]
    assert [r.condition for r in rebuilt.rules] == [r.condition for r in node.ruleset.rules]
    assert rebuilt.version == node.version and rebuilt.reads == node.reads


def test_why_not_names_the_condition_that_failed(node: RuleSetNode):
    answer = node.why_not("long_large_unemployed", {**LONG_LARGE_UNEMPLOYED, "employment": "employed",
                                                    "risk_flag": "long_and_large"})
    assert answer.holds is False
    assert [(f.text, f.line, f.values) for f in answer.failed] == [
        ('employment == "unemployed"', 14, {"employment": "employed"})]
    assert answer.lines() == [
        "rule 'long_large_unemployed' (line 13) did not fire:",
        '  `employment == "unemployed"` (line 14) is false: employment = "employed"',
    ]
    both = node.why_not("long_and_large", {"duration_months": 12, "credit_amount": 50})
    assert [f.text for f in both.failed] == ["duration_months > 36", "credit_amount > 10000"]
    assert node.why_not("applicant_is_minor", MINOR).holds is True
    with pytest.raises(KeyError, match="has no rule 'nope'"):
        node.why_not("nope", {})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({
    "age": st.integers(10, 90),
    "duration_months": st.sampled_from([6, 36, 37, 48]),
    "credit_amount": st.one_of(st.sampled_from([10000, 10000.0, 10000.5]), st.floats(0, 50000, allow_nan=False)),
    "employment": st.sampled_from(["unemployed", "employed", "self_employed"]),
}), min_size=1, max_size=40))
def test_evaluate_and_evaluate_batch_agree_row_for_row(node: RuleSetNode, rows):
    columns = {name: np.array([row[name] for row in rows], dtype=object) for name in node.reads}
    columns["age"] = columns["age"].astype(np.int64)  # numpy scalars must decide like Python ones
    batch = node.evaluate_batch(columns, len(rows))
    for i, row in enumerate(rows):
        single = node.evaluate(row)
        assert {name: column[i] for name, column in batch.outputs.items()} == single.outputs
        assert batch.evidence[i] == single.evidence


# -- in a project ----------------------------------------------------------------------------


def test_a_project_decides_and_explains_with_a_rules_node(credit_project: Path):
    engine = CompositeEngine.from_path(credit_project, store="memory")
    decision = engine.decide(MINOR)
    assert decision.outputs == {"decision": "decline", "reason": "applicant is under 18"}
    assert "rules/credit_policy.rules.yaml" in decision.trace.artifacts
    text = engine.explain(decision.id, full=True)
    assert "rule 'applicant_is_minor' fired (priority 100): age = 17 < 18" in text
    frame = engine.decide_batch(pd.DataFrame([MINOR, LONG_LARGE_UNEMPLOYED, PLAIN]))
    assert frame["decision"].tolist() == ["decline", "refer", "none"]


def test_why_not_works_from_the_stored_decision_alone(credit_project: Path):
    engine = CompositeEngine.from_path(credit_project, store="memory")
    decision = engine.decide({**LONG_LARGE_UNEMPLOYED, "employment": "employed"})
    (rules_file,) = [p for p in decision.trace.artifacts if p.endswith(".rules.yaml")]
    (credit_project / rules_file).write_text("ruleset: gone\n")  # the file may change after the decision
    stored = engine.get(decision.id)
    step = stored.trace.nodes[0]
    snapshot = engine.store.project(stored.project_hash)
    description = next(n for n in snapshot["nodes"] if n["name"] == step.name)
    lines = RuleSetNode.explain_why_not(description, "long_large_unemployed", read=step.read, wrote=step.wrote,
                                        evidence=step.evidence)
    assert lines == ["rule 'long_large_unemployed' (line 13) did not fire:",
                     '  `employment == "unemployed"` (line 14) is false: employment = "employed"']
    fired = RuleSetNode.explain_why_not(description, "long_and_large", read=step.read, wrote=step.wrote,
                                        evidence=step.evidence)
    assert fired == ["rule 'long_and_large' fired (priority 0): duration_months = 48 > 36 and "
                     "credit_amount = 20000 > 10000"]


def test_reload_picks_up_a_changed_rule_file_while_the_old_node_keeps_its_version(credit_project: Path):
    engine = CompositeEngine.from_path(credit_project, store="memory")
    nineteen = {**PLAIN, "age": 19}
    old_node = engine.project.nodes[0]
    first = engine.decide(nineteen)
    assert first.outputs["decision"] == "none"
    rules_file = credit_project / "rules" / "credit_policy.rules.yaml"
    rules_file.write_text(CREDIT_RULES.replace("age < 18", "age < 21").replace("under 18", "under 21"))
    assert engine.reload() is True
    second = engine.decide(nineteen)
    assert second.outputs == {"decision": "decline", "reason": "applicant is under 21"}
    new_version = second.trace.nodes[0].evidence["ruleset"]
    assert new_version != first.trace.nodes[0].evidence["ruleset"]
    assert new_version.startswith("credit_policy@")
    path = "rules/credit_policy.rules.yaml"
    assert second.trace.artifacts[path] != first.trace.artifacts[path]
    # a decision still holding the old node finishes on the old version
    assert old_node.evaluate(nineteen).outputs["decision"] == "none"
    assert old_node.evaluate(nineteen).evidence["ruleset"] == first.trace.nodes[0].evidence["ruleset"]
    assert engine.reload() is False  # nothing changed since


def test_a_rules_node_without_a_file_or_with_unknown_options_is_a_load_error(tmp_path: Path):
    project = write_project(tmp_path / "p", CREDIT_PROJECT.replace(", file: rules/credit_policy.rules.yaml", ""),
                            CREDIT_CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        CompositeEngine.from_path(project, store="memory")
    assert caught.value.problems[0].code == "rules_needs_file"
    project = write_project(tmp_path / "q", CREDIT_PROJECT.replace("}", ", rule: x}"), CREDIT_CONCEPTS,
                            {"rules/credit_policy.rules.yaml": CREDIT_RULES})
    with pytest.raises(ProjectError) as caught:
        CompositeEngine.from_path(project, store="memory")
    assert caught.value.problems[0].code == "rules_options"
    project = write_project(tmp_path / "r", CREDIT_PROJECT, CREDIT_CONCEPTS,
                            {"rules/credit_policy.rules.yaml": CREDIT_RULES.replace("age < 18", "age < ")})
    with pytest.raises(ProjectError) as caught:
        CompositeEngine.from_path(project, store="memory")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == ("rules/credit_policy.rules.yaml", 7)
