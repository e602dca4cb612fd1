"""`explain --why-not`: why a rule, a decision-table row or a fuzzy rule did (not) decide a stored decision."""

from __future__ import annotations

import json

import pytest

from composite import CompositeEngine
from composite.errors import CompositeError
from tests.conftest import REPO, write_project

BANDS = """
    name: bands
    version: 1.0.0
    outputs: [band]
    nodes:
      - {name: banding, kind: table, file: rules/band.table.yaml}
"""

BAND_CONCEPTS = """
    concepts:
      score: {type: number, description: Score}
      region: {type: category, values: [north, south], description: Region}
      band: {type: category, values: [high, low, none], description: Band}
"""

BAND_TABLE = """
    table: band
    hit_policy: FIRST
    inputs: [score, region]
    outputs: [band]
    rules:
      - ['>= 50', '"north"', '"high"']
      - ['>= 0', '-', '"low"']
      - {score: '< 0', band: '"none"', id: negative, annotation: below zero}
"""


@pytest.fixture(scope="module")
def credit():
    engine = CompositeEngine.from_path(REPO, store="memory")
    request = json.loads((REPO / "data" / "sample_application.json").read_text())
    return engine, engine.decide(request)


@pytest.fixture
def bands(tmp_path):
    root = write_project(tmp_path / "bands", BANDS, BAND_CONCEPTS, {"rules/band.table.yaml": BAND_TABLE})
    return CompositeEngine.from_path(root, store="memory")


def section(text: str, name: str) -> list[str]:
    """The lines of the why-not section, up to the blank line that ends it."""
    return [line.strip() for line in text.split(f"Why not '{name}'?\n")[1].split("\n\n")[0].splitlines()]


# -- table rows ----------------------------------------------------------------------------------


def test_a_row_that_failed_names_the_entry_and_the_value(credit):
    engine, decision = credit
    lines = section(engine.explain(decision.id, why_not="age_score:3"), "age_score:3")
    assert lines[0] == ("row 3 (under_35) of table 'age_points' (UNIQUE) in step 'age_score', "
                        "line 11 of rules/scorecard/age.table.yaml: gives age_points = 7")
    assert lines[1] == "did not match: 1 of its entries failed"
    assert lines[2] == "FAILED:  age = 36 is not in [30..35)"


def test_the_row_that_decided_says_so_by_number_table_name_or_id(credit):
    engine, decision = credit
    for name in ("age_score:4", "age_points:4", "age_score:under_45", "under_45"):
        lines = section(engine.explain(decision.id, why_not=name), name)
        assert lines[1] == "matched and was used: it decided age_points = 10", name
        assert lines[2] == "matched: age in [35..45) (age = 36)", name


def test_a_row_of_a_collect_sum_table_names_the_rows_it_was_summed_with(credit):
    engine, decision = credit
    lines = section(engine.explain(decision.id, why_not="affordability_score:3"), "affordability_score:3")
    assert lines[1] == "matched and was used with row 6 (COLLECT SUM): affordability_points = 9"


def test_a_row_that_matched_but_lost_to_the_hit_policy(bands):
    decision = bands.decide({"score": 70, "region": "north"})
    lines = section(bands.explain(decision.id, why_not="banding:2"), "banding:2")
    assert lines[0] == ("row 2 of table 'band' (FIRST) in step 'banding', line 7 of rules/band.table.yaml: "
                        "gives band = \"low\"")
    assert lines[1] == "matched, but the hit policy FIRST chose row 1 (rows matched: 1, 2)"
    assert lines[2] == "matched: score >= 0 (score = 70)"


def test_a_row_with_two_entries_shows_the_one_that_matched_and_the_one_that_failed(bands):
    decision = bands.decide({"score": 70, "region": "south"})
    assert decision.outputs["band"] == "low"
    lines = section(bands.explain(decision.id, why_not="band:1", full=True), "band:1")
    assert lines[1:] == ["did not match: 1 of its entries failed", "matched: score >= 50 (score = 70)",
                         'FAILED:  region = "south" is not "north"']


def test_a_row_asked_for_by_its_id_shows_its_annotation(bands):
    decision = bands.decide({"score": 70, "region": "south"})
    lines = section(bands.explain(decision.id, why_not="negative"), "negative")
    assert lines[:4] == ["row 3 (negative) of table 'band' (FIRST) in step 'banding', line 8 of "
                         "rules/band.table.yaml: gives band = \"none\"", "did not match: 1 of its entries failed",
                         "[below zero]", "FAILED:  score = 70 is not < 0"]


# -- fuzzy rules ---------------------------------------------------------------------------------


def test_a_fuzzy_rule_that_did_not_fire_names_the_term_that_held_it_back(credit):
    engine, decision = credit
    lines = section(engine.explain(decision.id, why_not="strained"), "strained")
    assert lines == [
        "fuzzy rule 'strained' (rule 1 of step 'affordability_judgement', line 56): "
        "if instalment_rate_pct is high and savings_level is low then affordability is poor",
        "did not fire: strength 0",
        "instalment_rate_pct = 2 is high: 0.00",
        "savings_level = 2 is low: 0.33",
        "held back by 'instalment_rate_pct is high' (0.00): the weakest of its conditions",
    ]


def test_a_fuzzy_rule_by_number_or_text_and_its_hedges(credit):
    engine, decision = credit
    by_number = section(engine.explain(decision.id, why_not="affordability_judgement:8"), "affordability_judgement:8")
    text = "If instalment_rate_pct is not high and savings_level is high then affordability is good"
    by_text = section(engine.explain(decision.id, why_not=text), text)
    assert by_number == by_text
    assert by_number[0].startswith("fuzzy rule 'comfortable' (rule 8 of step 'affordability_judgement'")
    assert by_number[2:] == ["instalment_rate_pct = 2 is not high: 1.00", "savings_level = 2 is high: 0.00",
                             "held back by 'savings_level is high' (0.00): the weakest of its conditions"]


def test_a_fuzzy_rule_that_fired_gives_its_strength(credit):
    engine, decision = credit
    lines = section(engine.explain(decision.id, why_not="affordability_judgement:moderate_load"),
                    "affordability_judgement:moderate_load")
    assert lines[1:] == ["fired at 0.50", "instalment_rate_pct = 2 is moderate: 0.50"]


# -- rules and unknown names ---------------------------------------------------------------------


def test_a_rule_still_names_its_failed_condition_in_both_forms(credit):
    engine, decision = credit
    for full in (False, True):
        lines = section(engine.explain(decision.id, why_not="very_large_credit", full=full), "very_large_credit")
        assert lines == ["in step 'credit_policy':", "rule 'very_large_credit' (line 39) did not fire:",
                         "`credit_amount > 15000` (line 41) is false: credit_amount = 3200"]


def test_an_unknown_name_is_an_error_with_the_closest_names(credit):
    engine, decision = credit
    for full in (False, True):
        with pytest.raises(CompositeError) as raised:
            engine.explain(decision.id, why_not="agescore:3", full=full)
        problem = raised.value.problems[0]
        assert problem.code == "unknown_name" and problem.field == "why_not"
        assert problem.message.startswith("no rule, table row or fuzzy rule named 'agescore:3' in this decision; "
                                          "did you mean 'age_score:3'")


def test_an_unknown_name_like_nothing_says_how_names_are_written(credit):
    engine, decision = credit
    with pytest.raises(CompositeError) as raised:
        engine.explain(decision.id, why_not="qqqq")
    assert raised.value.problems[0].message == (
        "no rule, table row or fuzzy rule named 'qqqq' in this decision; write a rule's name, or "
        "<table node or table>:<row number or row id>, or <fuzzy node>:<rule number or name> "
        "(or a fuzzy rule's name or text)")


def test_a_rule_name_wins_over_a_row_id_of_the_same_name(tmp_path):
    """Rules were the only names before tables and fuzzy rules: a rule keeps its name."""
    from composite.schemas import Decision
    from composite.why_not import references

    engine = CompositeEngine.from_path(REPO, store="memory")
    decision: Decision = engine.decide(json.loads((REPO / "data" / "sample_application.json").read_text()))
    targets, problem = references(decision, engine.store.project(decision.project_hash))
    assert problem is None
    assert targets["very_large_credit"].kind == "rule"
    assert targets["under_45"].kind == "row" and targets["little_known"].kind == "fuzzy"
    assert targets["checking_score:2"] is targets["checking_points:2"]
