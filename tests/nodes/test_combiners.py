"""guard, fallback and review: the joints of a composite decision, with their reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from composite import CompositeEngine, ProjectError
from tests.conftest import write_project

CONCEPTS = """
    concepts:
      knockout: {type: category, values: [none, refer, decline]}
      knockout_reason: {type: string, required: false}
      score_decision: {type: category, values: [approve, refer, decline]}
      in_domain: {type: boolean}
      model_p: {type: number, range: [0, 1]}
      expert_p: {type: number, range: [0, 1]}
"""

PROJECT = """
    name: combiners
    outputs: [decision, reason, p, path]
    nodes:
      - name: choose
        kind: fallback
        in_domain: in_domain
        primary: model_p
        fallback: expert_p
        output: p
        output_source: path
      - name: scored
        kind: expression
        writes:
          scored_decision: if p > 0.5 then "decline" else if p > 0.3 then "refer" else "approve"
      - name: knockouts
        kind: guard
        override: knockout
        override_reason: knockout_reason
        otherwise: scored_decision
        output: guarded
        output_reason: guarded_reason
      - name: disagreement
        kind: review
        compare: [expert_p, model_p]
        threshold: 0.3
        outcome: guarded
        outcome_reason: guarded_reason
        output: decision
        output_reason: reason
"""

BASE = {"knockout": "none", "knockout_reason": None, "in_domain": True, "model_p": 0.2, "expert_p": 0.25,
        "score_decision": "approve"}


@pytest.fixture
def engine(tmp_path):
    return CompositeEngine.from_path(write_project(tmp_path, PROJECT, CONCEPTS), store="memory")


def test_the_model_decides_inside_its_domain_and_the_expert_outside(engine):
    inside = engine.decide(BASE)
    assert inside.outputs["p"] == 0.2 and inside.outputs["path"] == "model_p"
    outside = engine.decide({**BASE, "in_domain": False, "expert_p": 0.4})
    assert outside.outputs["p"] == 0.4 and outside.outputs["path"] == "expert_p"
    assert outside.outputs["decision"] == "refer"
    assert outside.trace.node("choose").evidence == {"used": "expert_p", "in_domain": False, "primary": 0.2,
                                                     "fallback": 0.4}


def test_a_knockout_overrides_with_its_reason(engine):
    decision = engine.decide({**BASE, "knockout": "decline", "knockout_reason": "applicant is under 18"})
    assert decision.outputs["decision"] == "decline"
    assert decision.outputs["reason"] == "applicant is under 18"
    evidence = decision.trace.node("knockouts").evidence
    assert evidence["overridden"] is True and evidence["expert_outcome"] == "decline"
    assert "expert override: decline: applicant is under 18" in engine.explain(decision.id)


def test_disagreement_beyond_the_threshold_refers_with_both_sides(engine):
    decision = engine.decide({**BASE, "model_p": 0.1, "expert_p": 0.6})
    assert decision.outputs["decision"] == "refer"
    assert "expert_p = 0.6, model_p = 0.1 (difference 0.5 > 0.3)" in decision.outputs["reason"]
    evidence = decision.trace.node("disagreement").evidence
    assert evidence["disagree"] is True and evidence["difference"] == pytest.approx(0.5)


def test_a_knockout_decline_is_not_softened_by_a_disagreement(engine):
    decision = engine.decide({**BASE, "knockout": "decline", "knockout_reason": "fraud", "model_p": 0.1,
                              "expert_p": 0.9})
    assert decision.outputs["decision"] == "decline" and decision.outputs["reason"] == "fraud"
    # the sources are 0.8 apart: the explanation says so, and that the knock-out is kept, not "agree"
    full = engine.explain(decision.id, full=True)
    assert "sources differ (expert_p = 0.9, model_p = 0.1; difference 0.8 > 0.3), but the outcome decline is kept" in full
    assert "sources agree" not in full
    assert "sources agree" not in engine.explain(decision.id)


def test_batch_agrees_with_single(engine):
    rows = [BASE, {**BASE, "in_domain": False, "expert_p": 0.4},
            {**BASE, "knockout": "refer", "knockout_reason": "large"}, {**BASE, "model_p": 0.9, "expert_p": 0.1}]
    batch = engine.decide_batch(pd.DataFrame(rows))
    for i, row in enumerate(rows):
        single = engine.decide(row, record=False)
        assert engine.get(batch["decision_id"].iloc[i]).outputs == single.outputs


def test_a_misconfigured_combiner_names_the_key_and_line(tmp_path):
    root = write_project(tmp_path, """
        name: bad
        nodes:
          - name: choose
            kind: fallback
            in_domain: in_domain
            primary: model_p
            output: p
    """, CONCEPTS)
    with pytest.raises(ProjectError) as caught:
        CompositeEngine.from_path(root, store="memory")
    problem = caught.value.problems[0]
    assert "missing required key 'fallback'" in problem.message and problem.line == 3
