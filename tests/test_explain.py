"""Explanations of the default project and the examples: short by default (the outcome and the steps
that decided it), every step in an expert's words with `full=True`."""

from __future__ import annotations

import json
import re

import pytest

from composite import CompositeEngine
from composite.explain import explain_stored
from tests.conftest import GOOD_LOAN, REPO

SAMPLE = json.loads((REPO / "data" / "sample_application.json").read_text())
# the sample, overdrawn with no savings and the highest instalment rate: a knock-out rule declines it
KNOCKED_OUT = {**SAMPLE, "checking_status": "overdrawn", "savings": "lt_100", "instalment_rate_pct": 4}


@pytest.fixture(scope="module")
def engine():
    return CompositeEngine.from_path(REPO, store="memory")


@pytest.fixture(scope="module")
def decided(engine):
    return engine, engine.decide(SAMPLE)


def lines_after(text: str, heading: str) -> list[str]:
    """The lines of one section of an explanation, from its heading to the blank line that ends it."""
    return text.split(heading, 1)[1].split("\n\n")[0].splitlines()[1:]


# -- the short form, the default -------------------------------------------------------------------


def test_the_short_form_gives_the_outcome_then_the_steps_that_decided_it_last_first(decided):
    engine, decision = decided
    text = engine.explain(decision.id)
    assert re.match(rf"Decision {decision.id}, made \d{{4}}-\d\d-\d\dT[\d:.]+\+00:00\n"
                    r"  project german-credit 0.1.0\n\n", text)
    outcome = lines_after(text, "Outcome")
    assert outcome[0] == "  decision = approve  (Credit decision)"
    assert outcome[5] == ("  expert_score = 81 points  (Expert credit score, the sum of all expert points; "
                          "higher means lower r…)")
    steps = lines_after(text, "Decided by, last step first (--full: all 19 steps, what each read, the artifacts)")
    names = [line.split(" (")[0].strip() for line in steps if not line.startswith("      ")]
    assert names[:6] == ["knockouts", "disagreement", "outcome", "domain_fallback", "risk_blend", "risk_model"]
    assert steps[0] == "  knockouts (guard): no expert override (none); the outcome stands: approve"
    assert "  domain_fallback (fallback): input inside the model's training domain: used blended_probability" in steps
    assert "  scorecard (expression): expert_score = 81 points" in steps
    assert ("  credit_policy (rules): no rule fired; defaults: knockout = none, knockout_reason = null, "
            "risk_flag = null") in steps
    assert ("  affordability_judgement (fuzzy): affordability = 60.2 /100 (fair); strongest rules: little_known 1.00, "
            "moderate_load 0.50, light_load 0.27") in steps
    # the expression writes amount_per_age_year too, but nothing reads it on the way to the outputs
    assert "  instalment (expression): monthly_instalment = 177.8 DM per month" in steps


def test_the_short_form_packs_the_matched_table_rows_in_the_order_they_ran(decided):
    engine, decision = decided
    text = engine.explain(decision.id)
    tables = text.split("  tables: ", 1)[1].split("\n  affordability_judgement")[0]
    items = [item.strip() for item in tables.replace(";\n", "; ").split("; ")]
    assert items == ["checking_points = 10 points (row 2)", "duration_points = 12 points (row 2)",
                     "affordability_points = 9 points (rows 3, 6)", "history_points = 8 points (row 4)",
                     "savings_points = 5 points (row 2)", "employment_points = 12 points (row 4)",
                     "age_points = 10 points (row 4)", "asset_points = 15 points (rows 3, 5)"]
    assert all(len(line) <= 120 for line in text.split("  tables: ", 1)[1].split("\n  affordability")[0].splitlines())


def test_the_short_form_gives_the_models_three_strongest_reasons_in_knowledge_words(decided):
    engine, decision = decided
    text = engine.explain(decision.id)
    assert "  risk_model (model): model 'default_risk': probability of default 0.12, inside its training domain" in text
    line = next(line for line in text.splitlines() if "top reasons" in line)
    reasons = re.findall(r"([^;]+?) \(([+-]\d\.\d\d)\)", line.split("top reasons (+ raises, - lowers): ")[1])
    assert len(reasons) == 3
    assert [abs(float(c)) for _, c in reasons] == sorted((abs(float(c)) for _, c in reasons), reverse=True)
    assert "expert credit score: 81 points" in [text.strip() for text, _ in reasons]


def test_the_short_form_of_the_default_project_is_a_fifth_of_the_full_one(decided):
    engine, decision = decided
    short, full = engine.explain(decision.id), engine.explain(decision.id, full=True)
    assert len(short.splitlines()) <= 30 and len(full.splitlines()) >= 140
    assert "Artifacts (content hashes at decision time)" not in short and "Inputs" not in short


def test_a_knock_out_leaves_the_review_not_taken_and_the_outcome_unshown(engine):
    decision = engine.decide(KNOCKED_OUT)
    assert decision.outputs["decision"] == "decline"
    text = engine.explain(decision.id)
    steps = lines_after(text, "Decided by")
    assert steps[0] == ("  knockouts (guard): expert override: decline: overdrawn account, no savings and the "
                        "highest instalment burden")
    assert steps[1] == "  disagreement (review): not taken by knockouts"
    assert steps[-1] == "  (not shown, their values did not reach the outputs: outcome)"
    policy = next(line for line in steps if line.startswith("  credit_policy (rules): "))
    assert policy.startswith("  credit_policy (rules): rule 'overdrawn_and_stretched' fired: checking_status = "
                             "\"overdrawn\" == \"overdrawn\"")


def test_the_short_form_of_an_example_project():
    root = REPO / "examples" / "credit_card"
    engine = CompositeEngine.from_path(root, store="memory")
    decision = engine.decide(json.loads((root / "data" / "sample.json").read_text()))
    text = engine.explain(decision.id)
    assert "  decision = accept  (Credit card decision)" in text
    assert "  card_policy (rules): no rule fired; defaults: knockout = none, knockout_reason = null" in text
    assert ("  affordability_judgement (fuzzy): affordability = 82.95 /100 (good); strongest rules: "
            "high_income 1.00") in text
    assert "record_points = 35 points (row 1)" in text
    assert len(text.splitlines()) <= 26


def test_a_one_step_project_explains_in_a_few_lines():
    engine = CompositeEngine.from_path(REPO / "examples" / "tipping", store="memory")
    decision = engine.decide({"food": 6.5, "service": 9.8})
    assert engine.explain(decision.id).splitlines()[3:] == [
        "Outcome", "  tip = 19.85 %  (Tip as a share of the bill)", "",
        "Decided by, last step first (--full: the step, what each read, the artifacts)",
        "  tipping (fuzzy): tip = 19.85 % (high); strongest rules: great_experience 0.96, ordinary_service 0.04"]


def test_the_json_is_the_whole_decision_in_either_form(decided):
    engine, decision = decided
    short = engine.explain(decision.id, format="json")
    assert short == engine.explain(decision.id, format="json", full=True)
    assert len(json.loads(short)["trace"]["nodes"]) == 19


def test_the_service_gives_the_short_form_unless_asked_for_the_full_one(loan_project):
    pytest.importorskip("fastapi")
    import warnings

    with warnings.catch_warnings():  # starlette's note about httpx versions, not about this code
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from composite.service import create_app

    engine = CompositeEngine.from_path(loan_project, store="memory")
    decision = engine.decide(GOOD_LOAN)
    with TestClient(create_app(engine)) as client:
        short = client.get(f"/decisions/{decision.id}/explain").text
        full = client.get(f"/decisions/{decision.id}/explain", params={"full": "true"}).text
        unknown = client.get(f"/decisions/{decision.id}/explain", params={"why_not": "no_such_rule"})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["code"] == "unknown_name"
    assert short == engine.explain(decision.id) and "Decided by" in short
    assert full == engine.explain(decision.id, full=True) and "1. burden (expression): Monthly burden" in full


def test_explain_stored_takes_full(decided):
    engine, decision = decided
    assert explain_stored(engine.store, decision.id, full=True).startswith(f"Decision {decision.id}\n  project   ")
    assert "Steps, in the order they ran" not in explain_stored(engine.store, decision.id)


# -- the full form ---------------------------------------------------------------------------------


def test_each_kind_explains_its_evidence(decided):
    engine, decision = decided
    text = engine.explain(decision.id, full=True)
    assert "table 'checking_points' (UNIQUE): row 2 matched (checking_status = \"low\")" in text
    assert "rule 'little_known' fired at 1.00" in text
    assert "no rule fired; defaults: knockout = none" in text
    assert "wrote  knockout_reason = null" in text


def test_why_not_names_the_failed_condition(decided):
    engine, decision = decided
    text = engine.explain(decision.id, why_not="very_large_credit", full=True)
    section = text.split("Why not 'very_large_credit'?")[1]
    assert "credit_amount > 15000" in section and "3200" in section


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
