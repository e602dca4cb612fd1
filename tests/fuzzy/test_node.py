"""The `fuzzy` node kind: loading from a project, evidence, explanation, the example projects."""

from __future__ import annotations

import math
import shutil
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from composite.errors import ProjectError, RequestError
from composite.fuzzy.evidence import FuzzyEvidence
from composite.nodes import node_class
from composite.nodes.base import LoadContext, Node, NodeSpec
from composite.nodes.fuzzy import FuzzyNode, fll_project

REPO = Path(__file__).resolve().parents[2]
TIPPING_PROJECT = REPO / "examples" / "tipping"
TIPPING = TIPPING_PROJECT / "rules" / "tipping.fuzzy.yaml"
AFFORDABILITY = REPO / "rules" / "affordability.fuzzy.yaml"


def _node(root: Path, file: str, **spec: object) -> FuzzyNode:
    defaults = {"name": "f", "kind": "fuzzy", "options": {}, "file": file, "line": 7}
    defaults.update(spec)
    return FuzzyNode.from_spec(NodeSpec(**defaults), LoadContext(root=root))  # type: ignore[arg-type]


def test_fuzzy_is_the_node_kind_registered_for_fuzzy_and_meets_the_node_protocol() -> None:
    assert node_class("fuzzy") is FuzzyNode
    assert isinstance(_node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml"), Node)
    assert FuzzyNode.kind == "fuzzy" and FuzzyNode.evidence_model is FuzzyEvidence


def test_node_reads_the_inputs_and_writes_the_outputs_of_its_rule_base_and_hashes_the_file() -> None:
    context = LoadContext(root=TIPPING_PROJECT)
    node = FuzzyNode.from_spec(NodeSpec("tipping", "fuzzy", {}, file="rules/tipping.fuzzy.yaml"), context)
    assert node.reads == ("food", "service")
    assert node.writes == ("tip",)
    assert list(context.artifacts) == ["rules/tipping.fuzzy.yaml"]
    assert context.artifacts["rules/tipping.fuzzy.yaml"].startswith("sha256:")
    assert node.describe() == {
        "kind": "fuzzy", "name": "tipping", "reads": ["food", "service"], "writes": ["tip"],
        "description": "Tip as a share of the bill, from the quality of the food and of the service.",
        "summary": "Mamdani, 3 rules, centroid", "file": "rules/tipping.fuzzy.yaml", "numerics": "skfuzzy",
    }


def test_evaluate_returns_the_output_and_evidence_that_validates_against_the_evidence_model() -> None:
    node = _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml")
    result = node.evaluate({"food": 6.5, "service": 9.8})
    assert result.outputs == {"tip": pytest.approx(19.8476, abs=1e-4)}
    evidence = FuzzyEvidence.model_validate(result.evidence)
    assert evidence.inputs["service"].memberships["good"] == pytest.approx(0.96)
    assert [(r.name, round(r.strength, 2)) for r in evidence.rules] == [
        ("bad_experience", 0.0), ("ordinary_service", 0.04), ("great_experience", 0.96)]
    tip = evidence.outputs["tip"]
    # 'medium' (0, 13, 25) clipped at 0.04 starts where it crosses 0.04: 0.52
    assert (tip.term, tip.default_used, round(tip.support[0], 9), tip.support[1], round(tip.peak, 2)) == (
        "high", False, 0.52, 25.0, 0.96)


def test_declared_reads_that_differ_from_the_rule_base_are_a_project_error_at_the_composite_yaml_line() -> None:
    with pytest.raises(ProjectError) as error:
        _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml", reads=("food", "mood"))
    problem = error.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("composite.yaml", 7, "nodes.f.reads")
    assert "['food', 'mood']" in problem.message and "['food', 'service']" in problem.message
    with pytest.raises(ProjectError) as error:
        _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml", writes=("gratuity",))
    assert error.value.field == "nodes.f.writes"


def test_unknown_numerics_option_and_missing_file_are_project_errors_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as error:
        _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml", options={"numerics": "matlab"})
    assert error.value.field == "nodes.f.numerics" and "skfuzzy, fuzzylite" in error.value.message
    with pytest.raises(ProjectError) as error:
        _node(tmp_path, "rules/none.fuzzy.yaml")
    assert error.value.code == "missing_file"
    with pytest.raises(ProjectError) as error:
        _node(tmp_path, "rules/table.csv")
    assert error.value.field == "nodes.f.file"


def test_numerics_option_switches_to_fuzzylite_integration() -> None:
    sk = _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml")
    fl = _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml", options={"numerics": "fuzzylite"})
    assert fl.describe()["numerics"] == "fuzzylite"
    a = sk.evaluate({"food": 6.5, "service": 9.8}).outputs["tip"]
    b = fl.evaluate({"food": 6.5, "service": 9.8}).outputs["tip"]
    assert a != b and abs(a - b) < 0.5  # the same system, integrated differently


def test_a_fll_file_is_a_node_too_with_fuzzylite_numerics_by_default(shared_fuzzylite: Path, tmp_path: Path) -> None:
    shutil.copy(shared_fuzzylite / "tipper.fll", tmp_path / "tipper.fll")
    node = _node(tmp_path, "tipper.fll")
    assert node.numerics == "fuzzylite"
    assert node.reads == ("service", "food") and node.writes == ("tip",)
    assert node.evaluate({"service": 0.0, "food": 0.0}).outputs["tip"] == pytest.approx(5.076528676, abs=1e-6)


def test_render_speaks_like_an_expert_with_the_units_of_the_knowledge() -> None:
    node = _node(REPO, "rules/affordability.fuzzy.yaml")
    result = node.evaluate({"instalment_rate_pct": 3.6, "savings_level": 1, "checking_level": 1})
    knowledge = SimpleNamespace(get=lambda name: {
        "affordability": SimpleNamespace(description="Affordability", unit="points")}.get(name))
    lines = FuzzyNode.render(result.evidence, read={}, wrote=result.outputs, knowledge=knowledge)
    assert lines[0] == "instalment_rate_pct 3.6 is high (0.80) and low (0.00) and moderate (0.00)"
    assert "rule 'strained' fired at 0.80" in lines
    assert lines[-1] == f"affordability = {result.outputs['affordability']:.4g} points (poor)"
    assert FuzzyNode.render(result.evidence, read={}, wrote={}, knowledge=None)[-1].endswith("(poor)")


def test_render_says_when_the_default_was_used_and_when_an_input_was_clipped() -> None:
    node = _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml")
    evidence = node.evaluate({"food": 12, "service": 5}).evidence
    lines = FuzzyNode.render(evidence, read={}, wrote={}, knowledge=None)
    assert lines[0] == ("food 10 is good (1.00) and poor (0.00) and average (0.00) "
                        "(given 12, outside the range: clipped)")
    empty = {"inputs": {}, "rules": [{"name": "r", "strength": 0.0}],
             "outputs": {"y": {"value": None, "default_used": True, "term": None}}}
    assert FuzzyNode.render(empty, read={}, wrote={}, knowledge=None) == [
        "no rule fired", "y = nan (no rule fired and there is no default)"]


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.floats(-2, 12), st.floats(-2, 12)), min_size=1, max_size=20))
def test_node_evaluate_batch_equals_evaluate_row_for_row(rows: list[tuple[float, float]]) -> None:
    node = _TIPPING_NODE
    batch = node.evaluate_batch({"food": np.array([r[0] for r in rows]), "service": np.array([r[1] for r in rows])},
                                len(rows))
    for i, (food, service) in enumerate(rows):
        single = node.evaluate({"food": food, "service": service})
        assert batch.outputs["tip"][i] == single.outputs["tip"]
        assert batch.evidence[i] == single.evidence


_TIPPING_NODE = _node(TIPPING_PROJECT, "rules/tipping.fuzzy.yaml")


def test_tipping_example_scenarios_hold() -> None:
    scenarios = yaml.safe_load((TIPPING_PROJECT / "scenarios" / "tipping.yaml").read_text())["scenarios"]
    assert len(scenarios) >= 3
    for scenario in scenarios:
        got = _TIPPING_NODE.evaluate(scenario["inputs"]).outputs
        for name, expect in scenario["expect"].items():
            assert abs(got[name] - expect["approx"]) <= expect["tol"], scenario["name"]


def test_tipping_example_is_a_project_the_engine_decides_and_explains() -> None:
    engine_module = pytest.importorskip("composite.engine", reason="composite.engine is not written yet")
    engine = engine_module.CompositeEngine.from_path(TIPPING_PROJECT, store="memory")
    decision = engine.decide({"food": 6.5, "service": 9.8})
    assert decision.outputs["tip"] == pytest.approx(19.8476, abs=1e-4)
    text = engine.explain(decision.id, full=True)
    assert "rule 'great_experience' fired at 0.96" in text


def test_affordability_module_follows_its_expert_rationale() -> None:
    node = _node(REPO, "rules/affordability.fuzzy.yaml")
    assert node.describe()["summary"] == "Mamdani, 9 rules, centroid"
    assert node.reads == ("instalment_rate_pct", "savings_level", "checking_level")
    rate, savings, checking = np.meshgrid([1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3], indexing="ij")
    score = node.evaluate_batch({"instalment_rate_pct": rate.ravel(), "savings_level": savings.ravel(),
                                 "checking_level": checking.ravel()}, rate.size).outputs["affordability"]
    score = score.reshape(rate.shape)
    assert np.all((score >= 0) & (score <= 100))
    assert np.all(np.diff(score, axis=0) <= 1e-9)  # a larger instalment share never helps
    assert np.all(score[:, :, 1] == score.min(axis=2))  # an overdrawn account is the worst
    assert np.all(score[:, 4, :] >= score[:, 0, :])  # large savings beat none
    assert score[0, 4, 3] > 80 and score[3, 1, 1] < 20
    with pytest.raises(RequestError) as error:
        node.evaluate({"instalment_rate_pct": 5, "savings_level": 1, "checking_level": 1})
    assert error.value.field == "instalment_rate_pct"


def test_fll_project_describes_a_lone_engine_as_a_project(shared_fuzzylite: Path) -> None:
    project = fll_project(shared_fuzzylite / "tipper.fll")
    assert project == {
        "name": "tipper", "version": "0",
        "nodes": [{"name": "tipper", "kind": "fuzzy", "file": "tipper.fll", "numerics": "fuzzylite"}],
        "outputs": ["tip"],
        "concepts": {"service": {"type": "number", "range": [0.0, 10.0]},
                     "food": {"type": "number", "range": [0.0, 10.0]},
                     "tip": {"type": "number"}},
    }
    described = fll_project(shared_fuzzylite / "bell.fll")
    assert described["concepts"]["obstacle"]["description"] == "location of obstacle relative to vehicle"
    assert described["description"] == "obstacle avoidance for self-driving cars"


def test_a_fuzzy_node_in_a_project_with_other_nodes(tmp_path: Path) -> None:
    engine_module = pytest.importorskip("composite.engine", reason="composite.engine is not written yet")
    root = tmp_path / "p"
    (root / "rules").mkdir(parents=True)
    (root / "knowledge").mkdir()
    shutil.copy(AFFORDABILITY, root / "rules" / "affordability.fuzzy.yaml")
    (root / "composite.yaml").write_text(textwrap.dedent("""
        name: afford
        version: 1.0.0
        outputs: [verdict]
        nodes:
          - name: affordability
            kind: fuzzy
            file: rules/affordability.fuzzy.yaml
          - name: verdict
            kind: expression
            writes:
              verdict: if affordability >= 50 then "ok" else "strained"
    """))
    (root / "knowledge" / "concepts.yaml").write_text(textwrap.dedent("""
        concepts:
          instalment_rate_pct: {type: number, range: [1, 4]}
          savings_level: {type: integer, range: [0, 4]}
          checking_level: {type: integer, range: [0, 3]}
    """))
    engine = engine_module.CompositeEngine.from_path(root, store="memory")
    assert engine.decide({"instalment_rate_pct": 1, "savings_level": 4, "checking_level": 3}).outputs["verdict"] == "ok"
    strained = engine.decide({"instalment_rate_pct": 4, "savings_level": 1, "checking_level": 1})
    assert strained.outputs["verdict"] == "strained"


def test_nan_output_when_no_rule_fires_and_no_default(tmp_path: Path) -> None:
    (tmp_path / "gap.fuzzy.yaml").write_text(textwrap.dedent("""
        fuzzy: gap
        inputs: {x: {range: [0, 10], terms: {low: [trimf, 0, 0, 4], high: [trimf, 6, 10, 10]}}}
        outputs: {y: {range: [0, 1], terms: {on: [trimf, 0, 1, 1]}}}
        rules: [{name: r, if: x is high, then: y is on}]
    """))
    result = _node(tmp_path, "gap.fuzzy.yaml").evaluate({"x": 5})
    assert math.isnan(result.outputs["y"])
    assert result.evidence["outputs"]["y"]["value"] is None and result.evidence["outputs"]["y"]["default_used"]
