"""Fuzzy checks for `composite validate`: terms outside their range, ranges narrower than the
concept's, rules that can never fire, inputs for which no rule fires and no default is set."""

from __future__ import annotations

import textwrap

from composite.fuzzy import read_fuzzy_yaml
from composite.fuzzy.check import check_fuzzy
from composite.knowledge import Knowledge

FILE = "rules/risk.fuzzy.yaml"


def check(text: str, concepts: dict | None = None):
    text = textwrap.dedent(text).lstrip()
    knowledge = Knowledge.from_mapping(concepts, file="knowledge/concepts.yaml") if concepts else None
    return check_fuzzy(read_fuzzy_yaml(text, file=FILE), knowledge=knowledge, text=text)


SOUND = textwrap.dedent("""
    fuzzy: risk
    inputs:
      load:
        range: [0, 10]
        terms:
          low: [trapmf, 0, 0, 3, 6]
          high: [trapmf, 4, 7, 10, 10]
    outputs:
      risk:
        range: [0, 100]
        terms:
          small: [trimf, 0, 0, 60]
          large: [trimf, 40, 100, 100]
    rules:
      - {name: calm, if: load is low, then: risk is small}
      - {name: busy, if: load is high, then: risk is large}
""").lstrip()


def test_a_sound_rule_base_has_no_findings():
    assert check(SOUND, {"load": {"type": "number", "range": [0, 10]}}) == []


def test_a_term_outside_its_range_is_an_error_at_the_term_naming_the_rules_that_use_it():
    text = SOUND.replace("high: [trapmf, 4, 7, 10, 10]", "high: [trapmf, 14, 17, 20, 20]")
    problem, gap = check(text)  # with 'high' gone, no rule covers loads above 6
    assert gap.code == "fuzzy.no_rule_fires"
    assert (problem.code, problem.severity) == ("fuzzy.term_outside", "error")
    assert (problem.file, problem.line, problem.column) == (FILE, 7, 7)
    assert problem.message == ("term 'high' of 'load' lies outside its range [0, 10]: its membership is 0 for every "
                               "value in the range; rule busy can never fire")
    assert problem.fix == "draw 'high' inside [0, 10] (its parameters are 14, 17, 20, 20), or widen the range of 'load'"


def test_a_range_narrower_than_the_concept_is_a_warning_at_the_range_line():
    # the upper end is no shoulder here: 'high' falls off again before 10
    text = SOUND.replace("high: [trapmf, 4, 7, 10, 10]", "high: [trimf, 4, 7, 10]")
    found = [p for p in check(text, {"load": {"type": "number", "range": [0, 50]}})
             if p.code == "fuzzy.universe_narrower"]
    [problem] = found
    assert (problem.severity, problem.line, problem.column) == ("warning", 4, 5)
    assert problem.message.startswith("the range [0, 10] of input 'load' is narrower than knowledge/ allows, [0, 50]: "
                                      "values from 10 up to 50 are clipped")
    assert problem.fix.startswith("widen the range of 'load' to [0, 50]")


def test_a_range_ending_in_a_shoulder_reads_clipped_values_as_the_author_drew_them():
    assert check(SOUND, {"load": {"type": "number", "range": [0, 50]}}) == []


def test_a_rejecting_input_narrower_than_the_concept_is_reported_even_with_a_shoulder():
    text = SOUND.replace("range: [0, 10]\n", "range: [0, 10]\n    out_of_range: reject\n", 1)
    [problem] = check(text, {"load": {"type": "number", "range": [0, 50]}})
    assert problem.code == "fuzzy.universe_narrower"
    assert "are rejected (out_of_range: reject), though knowledge/ allows them" in problem.message


def test_contradictory_antecedents_never_fire():
    text = SOUND + "  - {name: both, if: load is low and load is high, then: risk is large}\n"
    text = text.replace("low: [trapmf, 0, 0, 3, 6]", "low: [trapmf, 0, 0, 2, 3]")
    text = text.replace("large: [trimf, 40, 100, 100]\n", "large: [trimf, 40, 100, 100]\n    default: 50\n")
    [problem] = check(text)
    assert (problem.code, problem.severity) == ("fuzzy.rule_never_fires", "error")
    assert (problem.line, problem.column) == (18, 12)
    assert problem.message == ("fuzzy rule 'both' can never fire: its condition is 0 for every value of load in its "
                               "range: 'load is low' and 'load is high' never hold together")


def test_overlapping_terms_joined_by_and_can_fire():
    text = SOUND + "  - {name: both, if: load is low and load is high, then: risk is large}\n"
    assert check(text) == []


def test_inputs_where_no_rule_fires_and_no_default_is_set_are_a_warning_with_a_witness():
    text = SOUND.replace("low: [trapmf, 0, 0, 3, 6]", "low: [trapmf, 0, 0, 2, 3]")
    [problem] = check(text)
    assert (problem.code, problem.severity) == ("fuzzy.no_rule_fires", "warning")
    assert (problem.line, problem.column) == (9, 3)
    assert problem.message.startswith("no rule gives 'risk' a value when load = 3 (")
    assert problem.message.endswith("and 'risk' has no default: it is null then")
    assert problem.fix == "add a rule that covers load = 3, or give 'risk' a default (e.g. default: 50)"


def test_a_default_closes_the_gap():
    text = SOUND.replace("low: [trapmf, 0, 0, 3, 6]", "low: [trapmf, 0, 0, 2, 3]")
    text = text.replace("large: [trimf, 40, 100, 100]\n", "large: [trimf, 40, 100, 100]\n    default: 50\n")
    assert check(text) == []


def test_a_term_between_the_sampled_points_never_fires_and_says_why():
    text = SOUND.replace("range: [0, 10]\n", "range: [0, 10]\n    resolution: 3\n", 1)
    text += "  - {name: spike, if: load is near_two, then: risk is large}\n"
    text = text.replace("high: [trapmf, 4, 7, 10, 10]\n",
                        "high: [trapmf, 4, 7, 10, 10]\n      near_two: [trimf, 1.5, 2, 2.5]\n")
    [problem] = check(text)
    assert problem.code == "fuzzy.rule_never_fires"
    assert problem.message.endswith("'load is near_two' lies between the 3 points its range is sampled at "
                                    "(resolution: 3), so it is 0 at every one of them; raise the resolution or "
                                    "widen the term")
