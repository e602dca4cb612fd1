"""Forward chaining on durable-rules: firing order, priorities, conflicts, defaults, sessions, versions."""

from __future__ import annotations

import gc

import pytest

from composite.errors import EvaluationError
from composite.rules.durable import RuleEngine, engine_for, registered_count
from tests.rules.helpers import CREDIT_RULES, LONG_LARGE_UNEMPLOYED, MINOR, PLAIN, rules

CHAIN = """
ruleset: chain
defaults: {stage: none, level: 0, result: none}
rules:
  - name: third
    when: level == 2
    then: {result: done}
    priority: 50
  - name: first
    when: amount > 100
    then: {stage: checked}
  - name: second
    when: stage == "checked"
    then: {level: 2}
    priority: 10
"""


def names(engine: RuleEngine, outcome) -> list[str]:
    return [engine.ruleset.rules[i].name for i, _ in outcome.fired]


def test_forward_chaining_across_three_rules_reaches_the_fixpoint():
    engine = engine_for(rules(CHAIN))
    outcome = engine.decide({"amount": 500})
    assert names(engine, outcome) == ["first", "second", "third"]
    assert outcome.values == {"stage": "checked", "level": 2, "result": "done"}
    assert outcome.defaults_used == []
    # each rule saw the facts of its moment: `second` saw the stage `first` wrote
    assert [facts for _, facts in outcome.fired] == [{"amount": 500}, {"stage": "checked"}, {"level": 2}]
    assert engine.decide({"amount": 5}).values == {"stage": "none", "level": 0, "result": "none"}


def test_higher_priority_fires_first_whatever_the_file_order():
    engine = engine_for(rules("""
    ruleset: order
    defaults: {log: none}
    rules:
      - {name: low, when: x > 0, then: {a: 1}, priority: 1}
      - {name: high, when: x > 0, then: {b: 1}, priority: 9}
      - {name: mid_first_in_file, when: x > 0, then: {c: 1}, priority: 5}
      - {name: mid_second_in_file, when: x > 0, then: {d: 1}, priority: 5}
    """.replace("defaults: {log: none}", "defaults: {a: 0, b: 0, c: 0, d: 0}")))
    outcome = engine.decide({"x": 1})
    assert names(engine, outcome) == ["high", "mid_first_in_file", "mid_second_in_file", "low"]


def test_priority_conflict_keeps_the_higher_priority_value_and_records_the_loser():
    engine = engine_for(rules(CREDIT_RULES))
    outcome = engine.decide({"age": 17, "duration_months": 48, "credit_amount": 20000, "employment": "unemployed"})
    assert names(engine, outcome) == ["applicant_is_minor", "long_and_large", "long_large_unemployed"]
    assert outcome.values == {"decision": "decline", "reason": "applicant is under 18", "risk_flag": "long_and_large"}
    index = {r.name: r.index for r in engine.ruleset.rules}
    assert outcome.overridden == [
        ("decision", index["long_large_unemployed"], "refer", index["applicant_is_minor"], "decline"),
        ("reason", index["long_large_unemployed"], "long, large credit without employment",
         index["applicant_is_minor"], "applicant is under 18"),
    ]


def test_a_higher_priority_rule_that_becomes_ready_later_overrides_and_the_earlier_write_is_recorded():
    engine = engine_for(rules("""
    ruleset: late
    defaults: {decision: none, flagged: false}
    rules:
      - {name: refer_big, when: amount > 100, then: {decision: refer, flagged: true}, priority: 1}
      - {name: decline_flagged, when: flagged and amount > 1000, then: {decision: decline}, priority: 90}
    """))
    outcome = engine.decide({"amount": 5000})
    assert names(engine, outcome) == ["refer_big", "decline_flagged"]
    assert outcome.values["decision"] == "decline"
    assert outcome.overridden == [("decision", 0, "refer", 1, "decline")]


@pytest.mark.parametrize("policy, decision, loser", [("first", "refer", "second"), ("last", "decline", "first"),
                                                      ("priority", "refer", "second")])
def test_conflict_policies_first_last_and_priority(policy, decision, loser):
    engine = engine_for(rules(f"""
    ruleset: policies_{policy}
    conflict: {policy}
    defaults: {{decision: none}}
    rules:
      - {{name: first, when: x > 0, then: {{decision: refer}}}}
      - {{name: second, when: x > 0, then: {{decision: decline}}}}
    """))
    outcome = engine.decide({"x": 1})
    assert outcome.values["decision"] == decision
    assert [engine.ruleset.rules[o[1]].name for o in outcome.overridden] == [loser]


def test_conflict_policy_error_names_both_rules_and_the_session_recovers():
    engine = engine_for(rules("""
    ruleset: strict
    conflict: error
    defaults: {decision: none}
    rules:
      - {name: refer_it, when: x > 0, then: {decision: refer}}
      - {name: decline_it, when: x > 5, then: {decision: decline}}
    """))
    with pytest.raises(EvaluationError) as caught:
        engine.decide({"x": 9})
    assert "'refer_it' (line 5) and 'decline_it' (line 6)" in caught.value.message
    assert caught.value.code == "rules.conflict"
    # the failed decision's session was deleted; the next decision runs in a clean one
    assert engine.decide({"x": 1}).values == {"decision": "refer"}
    assert engine.live_facts() == []


def test_no_rule_firing_returns_the_defaults():
    engine = engine_for(rules(CREDIT_RULES))
    outcome = engine.decide(PLAIN)
    assert outcome.fired == [] and outcome.overridden == []
    assert outcome.values == {"decision": "none", "reason": None, "risk_flag": None}
    assert outcome.defaults_used == ["decision", "reason", "risk_flag"]


def test_a_write_can_stop_a_ready_rule_from_firing():
    engine = engine_for(rules("""
    ruleset: retract
    defaults: {checked: false, note: none}
    rules:
      - {name: check, when: x > 0, then: {checked: true}, priority: 10}
      - {name: unchecked_note, when: not checked, then: {note: unchecked}, priority: 1}
    """))
    outcome = engine.decide({"x": 1})
    assert names(engine, outcome) == ["check"]  # `not checked` held until `check` fired
    assert engine.decide({"x": -1}).fired == []  # `checked` is null, not false, before any rule writes it


def test_each_rule_fires_at_most_once_per_decision():
    engine = engine_for(rules("""
    ruleset: once
    defaults: {count: 0, seen: none}
    rules:
      - {name: bump, when: x > 0, then: {count: 1}}
      - {name: see, when: count == 1, then: {seen: yes_}}
      - {name: again, when: seen == "yes_" or x > 0, then: {count: 2}, priority: -1}
    """))
    outcome = engine.decide({"x": 3})
    assert names(engine, outcome) == ["bump", "see", "again"]
    assert outcome.values == {"count": 1, "seen": "yes_"}  # equal priorities: the first write stays
    assert outcome.overridden == [("count", 2, 2, 0, 1)]


def test_missing_and_null_values_behave_as_null():
    engine = engine_for(rules("""
    ruleset: nulls
    defaults: {a: false, b: false, c: false}
    rules:
      - {name: differs, when: 'kind != "x"', then: {a: true}}
      - {name: absent, when: kind == null, then: {b: true}}
      - {name: small, when: size < 10, then: {c: true}}
    """))
    assert engine.decide({}).values == {"a": True, "b": True, "c": False}
    assert engine.decide({"kind": None, "size": None}).values == {"a": True, "b": True, "c": False}
    assert engine.decide({"kind": "x", "size": 3}).values == {"a": False, "b": False, "c": True}


def test_sessions_are_left_empty_between_decisions():
    engine = engine_for(rules(CREDIT_RULES))
    for row in (MINOR, LONG_LARGE_UNEMPLOYED, PLAIN, MINOR):
        engine.decide(row)
        assert engine.live_facts() == []


def test_bad_values_are_an_evaluation_error_and_leave_the_engine_usable():
    engine = engine_for(rules(CREDIT_RULES))
    with pytest.raises(EvaluationError) as caught:
        engine.decide({**PLAIN, "age": float("nan")})
    assert "not a finite number" in caught.value.message
    with pytest.raises(EvaluationError):
        engine.decide({**PLAIN, "employment": ["a list"]})
    assert engine.decide(MINOR).values["decision"] == "decline"


def test_the_same_file_shares_one_registration_and_a_changed_file_is_a_new_version():
    first = engine_for(rules(CREDIT_RULES, file="rules/v.rules.yaml"))
    again = engine_for(rules(CREDIT_RULES, file="rules/v.rules.yaml"))
    changed = engine_for(rules(CREDIT_RULES.replace("age < 18", "age < 21"), file="rules/v.rules.yaml"))
    assert again is first
    assert changed.version != first.version and changed.name != first.name
    young = {**PLAIN, "age": 19}
    assert first.decide(young).values["decision"] == "none"  # the old version keeps deciding as before
    assert changed.decide(young).values["decision"] == "decline"


def test_rule_set_versions_nobody_holds_are_freed():
    gc.collect()
    before = registered_count()
    engines = [engine_for(rules(CREDIT_RULES.replace("age < 18", f"age < {n}"), file="rules/f.rules.yaml"))
               for n in range(20, 60)]
    for engine in engines:
        engine.decide(MINOR)
    assert registered_count() == before + 40
    del engines, engine
    gc.collect()
    assert registered_count() == before
    # the core still works after freeing them
    assert engine_for(rules(CHAIN)).decide({"amount": 500}).values["result"] == "done"


def test_text_and_numbers_reach_durable_rules_exactly():
    engine = engine_for(rules(r"""
    ruleset: exact
    defaults: {quoted: false, huge: false, tiny: false, big_int: false}
    rules:
      - {name: quoted, when: 'note == "a \"quoted\" é \\ text"', then: {quoted: true}}
      - {name: huge, when: amount > 1e15, then: {huge: true}}
      - {name: tiny, when: amount < 0.001 and amount > 0, then: {tiny: true}}
      - {name: big_int, when: count > 9007199254740992, then: {big_int: true}}
    """))
    assert engine.decide({"note": 'a "quoted" é \\ text'}).values["quoted"] is True
    assert engine.decide({"note": 'a "quoted" e \\ text'}).values["quoted"] is False
    assert engine.decide({"amount": 1e20}).values["huge"] is True  # Python writes it 1e+20
    assert engine.decide({"amount": 1e-7}).values["tiny"] is True
    assert engine.decide({"count": 9007199254740993}).values["big_int"] is True
    assert engine.decide({"count": 9007199254740992}).values["big_int"] is False
    with pytest.raises(EvaluationError, match="does not fit in 64 bits"):
        engine.decide({"count": 2**64})


def test_only_the_durable_module_touches_durable_rules():
    from pathlib import Path

    import composite

    package = Path(composite.__file__).parent
    touching = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if any(marker in path.read_text(encoding="utf-8")
               for marker in ("import durable", "from durable", "durable_rules_engine"))
    )
    assert touching == ["rules/durable.py"]
