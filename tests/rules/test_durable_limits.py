"""durable-rules' fixed limits (issue 9, item 9): what each one is, and that rule files past them
still decide (cut into several durable rulesets) or are refused when they load, located.

Each test below failed on main before the chunking: with a durable-rules error code at load
(106, 107, 108), at every decision (302, 303), or by hanging in the C core (512 distinct tests).
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from composite.errors import CompositeError, EvaluationError, ProjectError
from composite.rules import limits, load_ruleset
from composite.rules.compile import holds
from composite.rules.durable import RuleEngine
from tests.conftest import write_project


def ruleset(lines: list[str], *, defaults: str = "{out: null}", conflict: str = "priority", name: str = "big"):
    text = "\n".join([f"ruleset: {name}", f"defaults: {defaults}", f"conflict: {conflict}", "rules:", *lines])
    return load_ruleset(text, file="rules/big.rules.yaml")


def reference(rs, facts: dict) -> dict:
    """The rule set's outputs in plain Python: the highest-ranked unfired rule that holds fires, repeat."""
    asserted = set(rs.asserted)
    current = {name: facts.get(name) for name in rs.reads}
    written: dict = {}
    writer: dict = {}
    done: set = set()
    order = sorted(rs.rules, key=lambda r: (-r.priority, r.index))
    while True:  # readiness is worked out again only after a write to a name conditions test
        view = {**current, **{n: v for n, v in written.items() if n in asserted}}
        ready = [r for r in order if r.index not in done and holds(r.condition, view)]
        rewrote = False
        for rule in ready:
            done.add(rule.index)
            for name, value in rule.then.items():
                if name in writer:
                    if written[name] == value and type(written[name]) is type(value):
                        continue
                    if rs.conflict == "priority" and not rule.priority > writer[name].priority:
                        continue
                    if rs.conflict == "first":
                        continue
                written[name] = value
                writer[name] = rule
                rewrote = rewrote or name in rs.chained
            if rewrote:
                break
        if not rewrote:
            break
    return {name: written[name] if name in written else rs.defaults.get(name) for name in rs.writes}


def same(outcome_a, outcome_b) -> None:
    assert outcome_a.values == outcome_b.values
    assert [(i, m) for i, m in outcome_a.fired] == [(i, m) for i, m in outcome_b.fired]
    assert outcome_a.overridden == outcome_b.overridden
    assert outcome_a.defaults_used == outcome_b.defaults_used


# -- each limit ----------------------------------------------------------------------------


def test_more_than_256_rules_with_one_condition_decide():
    """108 (BETA_LIST_LENGTH): 257 rules ending on one alpha node fail to register (256 misbehave)."""
    rs = ruleset([f"  - {{name: r{i}, when: 'x > 5', then: {{out: {i}}}, priority: {i % 5}}}" for i in range(800)])
    engine = RuleEngine(rs)
    assert engine.chunk_count >= 4
    outcome = engine.decide({"x": 6})
    assert outcome.values == {"out": 4} and len(outcome.fired) == 800
    assert engine.decide({"x": 5}).values == {"out": None}


def test_overlapping_conditions_past_the_match_stack_decide():
    """303 (MAX_STACK_SIZE 64 in events.c): 65 tests matching one fact at once failed every decision."""
    rs = ruleset([f"  - {{name: r{i}, when: 'x >= {i}', then: {{out: {i}}}, priority: {i}}}" for i in range(150)])
    engine = RuleEngine(rs)
    assert engine.chunk_count > 2
    for x in (-1, 0, 64, 65, 149, 1000):
        outcome = engine.decide({"x": x})
        assert outcome.values == reference(rs, {"x": x})
        assert len(outcome.fired) == max(0, min(x + 1, 150))


def test_limits_match_the_c_core():
    """Exactly at each limit the network model says it fits; one past, it does not."""
    def fit(conditions):
        return limits.fits([limits.Entry(str(i), limits.wrap(c), i, frozenset()) for i, c in enumerate(conditions)],
                           fact_names=1)

    assert fit([{"$gte": {"x": i}} for i in range(63)])  # + the ~ node: 64 pending at most
    assert not fit([{"$gte": {"x": i}} for i in range(65)])
    assert fit([{"x": 1}] * 255) and not fit([{"x": 1}] * 256)  # 256 register, and offer a stray rule
    assert fit([{"x": i} for i in range(511)]) and not fit([{"x": i} for i in range(512)])
    not_equal = [limits.compact(load_ruleset(f"ruleset: t\nrules:\n  - {{name: a, when: 'x != {i}', then: {{o: 1}}}}\n"
                                             "defaults: {o: 0}", file="t").rules[0].condition) for i in range(129)]
    # `x != i` and `x == null` cannot both match, the bound counts both: safe, about twice the need
    assert fit(not_equal[:31]) and not fit(not_equal[:32])
    assert limits.MAX_NEX_CHILDREN == 127 and limits.MAX_ACTIONS == 4096 and limits.MAX_FACT_PROPERTIES == 254


def test_many_rules_testing_not_equal_decide():
    """107 (NEXT_LIST_LENGTH): 129 `x != ...` rules hang 129 'missing' branches off one node (128 crash)."""
    rs = ruleset([f"  - {{name: r{i}, when: 'x != {i}', then: {{out: {i}}}}}" for i in range(300)],
                 conflict="last")
    engine = RuleEngine(rs)
    assert engine.chunk_count > 1
    assert engine.decide({"x": 299}).values == {"out": 298}
    assert engine.decide({}).values == {"out": 299}
    assert len(engine.decide({"x": 5}).fired) == 299


def test_more_than_511_distinct_tests_of_one_name_decide():
    """A 512-bucket hash table per node: 512 distinct `x == i` hang every decision, 513 hang loading.

    Run in a child process with a timeout: on a build without chunking it never returns."""
    script = textwrap.dedent("""
        from composite.rules import load_ruleset
        from composite.rules.durable import RuleEngine
        lines = ["ruleset: eq", "defaults: {out: null}", "rules:"]
        lines += [f"  - {{name: r{i}, when: 'x == {i}', then: {{out: {i}}}}}" for i in range(1200)]
        engine = RuleEngine(load_ruleset("\\n".join(lines), file="eq.rules.yaml"))
        print(engine.chunk_count, [engine.decide({"x": x}).values["out"] for x in (0, 600, 1199, 1200)])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1)[1].strip() == "[0, 600, 1199, None]"
    assert int(result.stdout.split()[0]) >= 3


def test_more_names_than_a_fact_holds_decide():
    """302 (MAX_OBJECT_PROPERTIES): a fact holds 254 properties; each chunk's facts carry only its names."""
    rs = ruleset([f"  - {{name: r{i}, when: 'n{i} == 1', then: {{out: {i}}}, priority: {i}}}" for i in range(400)])
    engine = RuleEngine(rs)
    assert engine.chunk_count >= 2
    facts = {f"n{i}": 1 for i in range(400)}
    outcome = engine.decide(facts)
    assert outcome.values == {"out": 399} and len(outcome.fired) == 400
    assert engine.decide({"n17": 1}).values == {"out": 17}


def test_more_rules_than_one_ruleset_holds_decide():
    """106 (MAX_ACTIONS): 4,096 rules per durable ruleset."""
    lines = [f"  - {{name: r{i}, when: 'g{i // 300} == 1 and x == {i % 300}', then: {{out: {i}}}}}"
             for i in range(4200)]
    rs = ruleset(lines)
    engine = RuleEngine(rs)
    assert engine.chunk_count >= 2
    assert engine.decide({"g13": 1, "x": 299}).values == {"out": 4199}
    assert engine.decide({"g0": 1, "x": 0}).values == {"out": 0}


# -- what cannot be cut, refused at load -------------------------------------------------------


def test_not_equal_tests_of_one_name_are_merged():
    """113 (MAX_SEQUENCE_EXPRESSIONS): each `!=` was an `$or`; 16 of them failed to register."""
    values = ", ".join(f'"v{i}"' for i in range(40))
    rs = ruleset([f"  - {{name: a, when: 'x not in [{values}] and y != 1 and y != 2', then: {{out: yes}}}}"])
    engine = RuleEngine(rs)
    assert engine.decide({"x": "w", "y": 3}).values == {"out": "yes"}
    assert engine.decide({}).values == {"out": "yes"}
    assert engine.decide({"x": "v39"}).values == {"out": None}
    assert engine.decide({"y": 2}).values == {"out": None}


def test_an_or_too_large_for_one_rule_is_split_into_alternatives():
    parts = " or ".join(f"(a{i} != 1 and b{i} == 2)" for i in range(20))
    rs = ruleset([f"  - {{name: a, when: '{parts}', then: {{out: yes}}}}"])
    engine = RuleEngine(rs)
    assert engine.decide({f"a{i}": 1 for i in range(20)}).values == {"out": None}
    assert engine.decide({**{f"a{i}": 1 for i in range(20)}, "b7": 2}).values == {"out": None}
    assert engine.decide({**{f"a{i}": 1 for i in range(20) if i != 7}, "b7": 2}).values == {"out": "yes"}
    outcome = engine.decide({f"b{i}": 2 for i in range(20)})
    assert outcome.values == {"out": "yes"} and len(outcome.fired) == 1


def test_a_condition_durable_rules_cannot_hold_is_refused_at_load_with_its_location():
    """16 `!=` tests of different names need 16 `$or`s in one rule: more than 31 operators."""
    when = " and ".join(f"n{i} != 1" for i in range(16))
    text = f"ruleset: t\ndefaults: {{out: null}}\nrules:\n  - name: wide\n    when: {when}\n    then: {{out: 1}}\n"
    with pytest.raises(ProjectError) as caught:
        load_ruleset(text, file="rules/t.rules.yaml")
    problem = caught.value.problems[0]
    assert problem.code == limits.TOO_COMPLEX
    assert (problem.file, problem.line, problem.column) == ("rules/t.rules.yaml", 5, 11)
    # 14 fit in one rule (2 operators for the `and`, 2 per `!=`)
    fits = " and ".join(f"n{i} != 1" for i in range(14))
    rs = load_ruleset(text.replace(when, fits), file="rules/t.rules.yaml")
    assert RuleEngine(rs).decide({}).values == {"out": 1}


def test_composite_validate_reports_a_refused_condition_with_file_and_line(tmp_path):
    when = " and ".join(f"n{i} != 1" for i in range(16))
    concepts = "concepts:\n" + "".join(f"  n{i}: {{type: integer}}\n" for i in range(16)) + \
        "  out: {type: integer, required: false}\n"
    root = write_project(tmp_path / "p", """
        name: p
        version: "1"
        outputs: [out]
        nodes:
          - {name: policy, kind: rules, file: rules/t.rules.yaml}
    """, concepts, {"rules/t.rules.yaml": f"ruleset: t\ndefaults: {{out: null}}\nrules:\n"
                                          f"  - name: wide\n    when: {when}\n    then: {{out: 1}}\n"})
    result = subprocess.run([sys.executable, "-m", "composite", "validate", "--project", str(root)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "t.rules.yaml:5" in result.stderr and "too large for durable-rules" in result.stderr


# -- split and unsplit agree ---------------------------------------------------------------


def _random_condition(rng: random.Random, depth: int = 0) -> str:
    kind = rng.random()
    if depth < 2 and kind < 0.25:
        joiner = rng.choice([" and ", " or "])
        return "(" + joiner.join(_random_condition(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"
    if depth < 2 and kind < 0.3:
        return "not " + _random_condition(rng, depth + 1)
    name = rng.choice(["a", "b", "c", "s", "t", "f", "g"])
    if name in ("s", "t"):
        choice = rng.random()
        if choice < 0.3:
            return f'{name} in ["p", "q"]'
        if choice < 0.45:
            return f'{name} not in ["p", "r"]'
        if choice < 0.55:
            return f"{name} == null"
        return f'{name} {rng.choice(["==", "!="])} "{rng.choice("pqr")}"'
    if name in ("f", "g"):  # assigned by the rules: chaining
        return f'{name} {rng.choice(["==", "!="])} "{rng.choice(["x", "y"])}"'
    return f"{name} {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {rng.randint(0, 5)}"


def _random_ruleset(rng: random.Random, size: int):
    lines = []
    for i in range(size):
        when = "true" if rng.random() < 0.03 else _random_condition(rng)
        then = {}
        for name in rng.sample(["out", "f", "g", "h"], rng.randint(1, 2)):
            then[name] = rng.choice(["x", "y"]) if name in ("f", "g") else rng.randint(0, 3)
        then_text = ", ".join(f'{k}: {v if isinstance(v, int) else chr(34) + v + chr(34)}' for k, v in then.items())
        when_text = when.replace("'", "''")
        lines.append(f"  - {{name: r{i}, when: '{when_text}', then: {{{then_text}}}, priority: {rng.randint(0, 3)}}}")
    conflict = rng.choice(["priority", "priority", "first", "last", "error"])
    return ruleset(lines, defaults="{out: null, f: null, g: null, h: null}", conflict=conflict,
                   name=f"r{rng.randint(0, 10**9)}")


def _random_facts(rng: random.Random) -> dict:
    facts = {}
    for name in ("a", "b", "c"):
        if rng.random() < 0.85:
            facts[name] = rng.choice([rng.randint(-1, 6), rng.randint(0, 5) + 0.5])
    for name in ("s", "t"):
        if rng.random() < 0.8:
            facts[name] = rng.choice("pqr")
    return facts


def _outcome(engine: RuleEngine, facts: dict):
    try:
        return engine.decide(facts)
    except EvaluationError as exc:
        return str(exc)


@pytest.mark.parametrize("seed", range(12))
def test_split_and_unsplit_decide_identically(seed):
    """Random rule sets of 10-60 rules, cut into chunks of 1-4 durable rules, against one ruleset:
    the same outputs, fired rules in the same order with the same facts, overrides, defaults."""
    rng = random.Random(seed)
    for _ in range(3):
        rs = _random_ruleset(rng, rng.randint(10, 60))
        whole = RuleEngine(rs)
        assert not whole.split and whole.chunk_count == 1
        size = rng.randint(1, 4)
        split = RuleEngine(rs, chunk_rules=size)
        assert split.split and split.chunk_count >= len(rs.rules) // size
        rows = [_random_facts(rng) for _ in range(40)]
        for facts in rows:
            a, b = _outcome(whole, facts), _outcome(split, facts)
            if isinstance(a, str) or isinstance(b, str):
                assert a == b
            else:
                same(a, b)
                if rs.conflict != "error":
                    assert a.values == reference(rs, facts)
        if rs.conflict != "error":
            assert [o.values for o in split.decide_many(rows)] == [o.values for o in whole.decide_many(rows)]
        assert split.live_facts() == [] and whole.live_facts() == []


# -- 2,000 rules ---------------------------------------------------------------------------


def _thresholds(count: int) -> str:
    """Overlapping thresholds on two scores, a tier chained from them, and knock-outs."""
    rng = random.Random(7)
    lines = ["ruleset: thresholds", "defaults: {tier: 0, band: none, decision: review, flags: 0}",
             "conflict: priority", "rules:"]
    for i in range(count):
        kind = i % 4
        if kind == 0:
            when, then = f"score >= {i // 4}", f"tier: {i // 4}"
        elif kind == 1:
            when, then = f"income > {i * 10} and score >= {rng.randint(0, 400)}", f"band: b{i % 9}"
        elif kind == 2:
            when, then = f"tier >= {rng.randint(0, 500)} and region != \"r{i % 5}\"", f"flags: {i}"
        else:
            when, then = f'tier < {rng.randint(0, 500)} and region in ["r{i % 5}", "r{(i + 1) % 5}"]', \
                f"decision: d{i % 13}"
        priority = i // 4 if kind == 0 else rng.randint(0, 50)  # the highest threshold reached wins
        lines.append(f"  - {{name: rule_{i}, when: '{when}', then: {{{then}}}, priority: {priority}}}")
    return "\n".join(lines) + "\n"


def _rows(count: int) -> list[dict]:
    rng = random.Random(11)
    return [{"score": rng.randint(-5, 520), "income": rng.choice([0, 500, 5000, 12000, 25000]),
             "region": rng.choice(["r0", "r1", "r2", "r3", "r4"])} for _ in range(count)]


def test_two_thousand_overlapping_rules_decide_like_plain_python(tmp_path):
    text = _thresholds(2000)
    rs = load_ruleset(text, file="rules/thresholds.rules.yaml")
    root = write_project(tmp_path / "big", """
        name: big
        version: "1"
        outputs: [tier, band, decision, flags]
        nodes:
          - {name: policy, kind: rules, file: rules/thresholds.rules.yaml}
    """, """
        concepts:
          score: {type: integer}
          income: {type: number}
          region: {type: category, values: [r0, r1, r2, r3, r4]}
          tier: {type: integer}
          band: {type: string}
          decision: {type: string}
          flags: {type: integer}
    """, {"rules/thresholds.rules.yaml": text})
    from composite import CompositeEngine

    engine = CompositeEngine.from_path(root, store="memory")
    node = engine.project.nodes[0]
    assert node._engine.chunk_count > 20
    rows = _rows(300)
    expected = [reference(rs, row) for row in rows]
    assert len({tuple(e.values()) for e in expected}) > 50  # the rows reach many different outcomes
    for row, want in zip(rows[:150], expected):
        assert engine.decide(row, record=False).outputs == want
    frame = engine.decide_batch(rows, record=False)
    for (_, got), want in zip(frame.iterrows(), expected):
        assert {k: (got[k].item() if hasattr(got[k], "item") else got[k]) for k in want} == want
