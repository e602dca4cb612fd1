"""Explanations of the default project: every step in an expert's words, and why a rule did not fire."""

from __future__ import annotations

import json

import pytest

from composite import CompositeEngine
from tests.conftest import REPO


@pytest.fixture(scope="module")
def decided():
    engine = CompositeEngine.from_path(REPO, store="memory")
    request = json.loads((REPO / "data" / "sample_application.json").read_text())
    return engine, engine.decide(request)


def test_each_kind_explains_its_evidence(decided):
    engine, decision = decided
    text = engine.explain(decision.id)
    assert "table 'checking_points' (UNIQUE): row 2 matched (checking_status = \"low\")" in text
    assert "rule 'little_known' fired at 1.00" in text
    assert "no rule fired; defaults: knockout = none" in text
    assert "wrote  knockout_reason = null" in text


def test_why_not_names_the_failed_condition(decided):
    engine, decision = decided
    text = engine.explain(decision.id, why_not="very_large_credit")
    section = text.split("Why not 'very_large_credit'?")[1]
    assert "credit_amount > 15000" in section and "3200" in section


def test_why_not_an_unknown_rule_lists_the_rules(decided):
    engine, decision = decided
    text = engine.explain(decision.id, why_not="no_such_rule")
    assert "no rule named 'no_such_rule'" in text and "very_large_credit" in text


def test_the_command_line_explain_names_the_project_files_changed_since_the_decision(tmp_path, capsys):
    """`composite explain` compares the files the decision was made with to the project folder now,
    by hashing them (it does not load the project), and names what changed, was added or removed."""
    import shutil

    from composite.cli import main

    root = tmp_path / "p"
    shutil.copytree(REPO / "composite" / "templates" / "credit", root)
    store = f"sqlite:///{tmp_path / 'd.db'}"
    assert main(["decide", "--project", str(root), "--store", store, "--input",
                 str(root / "data" / "sample_application.json"), "--json"]) == 0
    decision_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["explain", decision_id, "--project", str(root), "--store", store]) == 0
    assert "differ from the ones" not in capsys.readouterr().out
    band = root / "rules" / "band.table.yaml"
    band.write_text(band.read_text().replace("'>= 60'", "'>= 65'").replace("'[40..60)'", "'[40..65)'"))
    (root / "knowledge" / "extra.yaml").write_text("concepts:\n  note: {type: string}\n")
    assert main(["explain", decision_id, "--project", str(root), "--store", store]) == 0
    out = capsys.readouterr().out
    assert "differ from the ones this decision was made with" in out
    assert "rules/band.table.yaml" in out and "knowledge/extra.yaml" in out
    assert "decision = approve" in out  # the explanation itself is the stored decision's, unchanged
