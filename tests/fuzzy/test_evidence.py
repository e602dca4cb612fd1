"""Fuzzy evidence: its model, and the expert's wording of it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from composite.fuzzy.evidence import FuzzyEvidence, render

EVIDENCE = {
    "kind": "mamdani",
    "numerics": "skfuzzy",
    "inputs": {"instalment_rate_pct": {"value": 3.6, "given": 3.6, "clipped": False,
                                       "memberships": {"low": 0.0, "high": 0.8}}},
    "rules": [{"name": "strained", "strength": 0.8}, {"name": "calm", "strength": 0.0},
              {"name": "faint", "strength": 0.0004}],
    "outputs": {"affordability": {"value": 31.2, "default_used": False, "support": [0.0, 45.0], "peak": 0.8,
                                  "term": "poor", "term_membership": 0.55}},
}


def test_evidence_model_accepts_our_evidence_and_refuses_unknown_keys() -> None:
    assert FuzzyEvidence.model_validate(EVIDENCE).outputs["affordability"].support == (0.0, 45.0)
    with pytest.raises(ValidationError):
        FuzzyEvidence.model_validate({**EVIDENCE, "extra": 1})


def test_render_reads_like_the_issue_asks() -> None:
    assert render(EVIDENCE, read={}, wrote={}, knowledge=None) == [
        "instalment_rate_pct 3.6 is high (0.80) and low (0.00)",
        "rule 'strained' fired at 0.80",
        "rule 'faint' fired at 4.0e-04",
        "affordability = 31.2 (poor)",
    ]


def test_render_uses_units_from_knowledge_and_survives_odd_knowledge_objects() -> None:
    concepts = {"affordability": SimpleNamespace(unit="%", description="Affordability")}
    knowledge = SimpleNamespace(get=concepts.get)
    assert render(EVIDENCE, read={}, wrote={}, knowledge=knowledge)[-1] == "affordability = 31.2 % (poor)"
    assert render(EVIDENCE, read={}, wrote={}, knowledge=object())[-1] == "affordability = 31.2 (poor)"
    concepts = SimpleNamespace(concepts={"instalment_rate_pct": SimpleNamespace(unit="code")})
    assert render(EVIDENCE, read={}, wrote={}, knowledge=concepts)[0].startswith("instalment_rate_pct 3.6 code is high")


def test_render_shortens_long_lists_of_fired_rules() -> None:
    many = {**EVIDENCE, "rules": [{"name": f"r{i}", "strength": 0.5 + i / 100} for i in range(20)]}
    lines = render(many, read={}, wrote={}, knowledge=None)
    assert lines[1] == "rule 'r19' fired at 0.69"
    assert "... and 8 more rules fired, more weakly" in lines
