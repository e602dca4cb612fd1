"""Rule files, projects and rows shared by the rule-set tests."""

from __future__ import annotations

import textwrap

from composite.rules import RuleSet, load_ruleset

CREDIT_RULES = """
ruleset: credit_policy
description: Knock-out and referral rules
defaults: {decision: none, reason: null, risk_flag: null}
conflict: priority
rules:
  - name: applicant_is_minor
    when: age < 18
    then: {decision: decline, reason: "applicant is under 18"}
    priority: 100
  - name: long_and_large
    when: duration_months > 36 and credit_amount > 10000
    then: {risk_flag: long_and_large}
  - name: long_large_unemployed
    when: risk_flag == "long_and_large" and employment == "unemployed"
    then: {decision: refer, reason: "long, large credit without employment"}
"""

CREDIT_CONCEPTS = """
concepts:
  age: {type: integer, unit: years, range: [0, 120], description: Age of the applicant}
  duration_months: {type: integer, unit: months, range: [1, 120]}
  credit_amount: {type: number, unit: EUR, range: [0, 1000000]}
  employment: {type: category, values: [unemployed, employed, self_employed]}
  decision: {type: category, values: [none, decline, refer, approve]}
  reason: {type: string, required: false}
  risk_flag: {type: string, required: false}
"""

CREDIT_PROJECT = """
name: credit
version: "1"
outputs: [decision, reason]
nodes:
  - {name: policy, kind: rules, file: rules/credit_policy.rules.yaml}
"""

MINOR = {"age": 17, "duration_months": 12, "credit_amount": 1000, "employment": "employed"}
LONG_LARGE_UNEMPLOYED = {"age": 30, "duration_months": 48, "credit_amount": 20000, "employment": "unemployed"}
PLAIN = {"age": 40, "duration_months": 12, "credit_amount": 1000, "employment": "employed"}


def rules(text: str, file: str = "rules/test.rules.yaml") -> RuleSet:
    return load_ruleset(textwrap.dedent(text).lstrip(), file=file)


def random_rows(n: int, seed: int = 0) -> list[dict]:
    """Applicants across every branch of CREDIT_RULES (minors, long and large credits, unemployed)."""
    import random

    rng = random.Random(seed)
    return [
        {
            "age": rng.randint(15, 80),
            "duration_months": rng.choice([6, 12, 24, 36, 37, 48, 60]),
            "credit_amount": rng.choice([500, 2500.5, 9999.99, 10000, 10000.01, 25000]),
            "employment": rng.choice(["unemployed", "employed", "self_employed"]),
        }
        for _ in range(n)
    ]


def facts_are_own(row: dict, outputs: dict, evidence: dict) -> bool:
    """Every fact a fired rule matched is this decision's own: an input of the row or a value it wrote."""
    written = {}
    for fired in evidence["fired"]:
        for name, value in fired["matched"].items():
            if name in row:
                if row[name] != value or type(row[name]) is not type(value):
                    return False
            elif value is not None and written.get(name) != value:
                return False
        written.update(fired["then"])
    return True


def decide_in_process(project: str, rows: list[dict], barrier) -> list[tuple[dict, dict]]:
    """Run in a child process: load the project, wait for the sibling, decide every row."""
    from composite import CompositeEngine

    engine = CompositeEngine.from_path(project, store="memory")
    node = engine.project.nodes[0]
    barrier.wait(timeout=60)
    out = []
    for row in rows:
        result = node.evaluate(row)
        out.append((result.outputs, result.evidence))
    return out


def process_worker(project: str, index: int, rows: list[dict], barrier, queue) -> None:
    try:
        queue.put((index, "ok", decide_in_process(project, rows, barrier)))
    except BaseException as exc:  # report, never hang the parent
        queue.put((index, "error", repr(exc)))
