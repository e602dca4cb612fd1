"""A 20-rule rule set alone: decisions per second on one thread, through RuleSetNode.evaluate.

Run by hand: `python benchmarks/rules_speed.py`; CI smoke-runs it with --smoke (tiny sizes).
Target (issue 3, part E): at least 20,000 decisions/s on one thread. Baselines measured in the
same run:
  - python loop: the same rules as expression-language conditions, forward-chained in plain
    Python (at each step the highest-priority rule that holds and has not fired fires);
  - durable raw, warm session: one bare assert / drain / retract round in the C core (no
    chaining, conflicts or evidence): the floor under any durable-rules path;
  - durable raw, session per decision: the same round in a session created and deleted for
    each decision, which is why the engine keeps its sessions warm.
Every outcome of the node is checked against the python loop before anything is timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import table  # noqa: E402
from composite.nodes.rules import RuleSetNode  # noqa: E402
from composite.rules import load_ruleset  # noqa: E402

TARGET = 20_000

RULES = """
ruleset: bench_policy
description: A 20-rule knock-out and referral policy with two chained flags
defaults: {decision: approve, reason: "no rule applies", risk_flag: none, affordability: ok}
rules:
  - {name: young_applicant, when: age < 21, then: {decision: decline, reason: "applicant is under 21"}, priority: 100}
  - {name: overdrawn_and_large, when: checking_status == "overdrawn" and credit_amount > 5000,
     then: {decision: decline, reason: "overdrawn account, large credit"}, priority: 90}
  - {name: unemployed_long, when: employment == "unemployed" and duration_months > 24,
     then: {decision: decline, reason: "no employment, long credit"}, priority: 90}
  - {name: long_and_large, when: duration_months > 36 and credit_amount > 10000,
     then: {risk_flag: long_and_large}, priority: 50}
  - {name: high_rate, when: instalment_rate_pct >= 4 and credit_amount > 8000,
     then: {affordability: strained}, priority: 50}
  - {name: moderate_rate_large, when: instalment_rate_pct == 3 and credit_amount > 12000,
     then: {affordability: tight}, priority: 45}
  - {name: many_credits, when: existing_credits >= 3, then: {risk_flag: many_credits}, priority: 40}
  - {name: long_large_saver, when: risk_flag == "long_and_large" and savings == "ge_1000",
     then: {decision: approve, reason: "long and large, covered by savings"}, priority: 35}
  - {name: risky_short_employment, when: 'risk_flag == "long_and_large" and employment in ["unemployed", "lt_1y"]',
     then: {decision: refer, reason: "long, large credit with short employment"}, priority: 30}
  - {name: strained_renter, when: affordability == "strained" and housing == "rent",
     then: {decision: refer, reason: "strained budget, renting"}, priority: 30}
  - {name: strained_no_savings, when: 'affordability == "strained" and savings in ["lt_100", "unknown_none"]',
     then: {decision: refer, reason: "strained budget, no savings"}, priority: 25}
  - {name: many_credits_low_balance, when: 'risk_flag == "many_credits" and checking_status in ["overdrawn", "low"]',
     then: {decision: refer, reason: "many credits, low balance"}, priority: 25}
  - {name: young_and_long, when: age < 25 and duration_months > 48,
     then: {decision: refer, reason: "young applicant, very long credit"}, priority: 20}
  - {name: senior_long, when: age > 70 and duration_months > 36,
     then: {decision: refer, reason: "credit runs past the usual retirement horizon"}, priority: 20}
  - {name: no_account_large, when: checking_status == "none" and credit_amount > 15000,
     then: {decision: refer, reason: "no account, very large credit"}, priority: 20}
  - {name: free_housing_unemployed, when: housing == "free" and employment == "unemployed",
     then: {decision: refer, reason: "no housing cost but no income"}, priority: 15}
  - {name: tight_new_job, when: affordability == "tight" and employment == "lt_1y",
     then: {decision: refer, reason: "tight budget, new job"}, priority: 15}
  - {name: tiny_credit, when: credit_amount < 500 and duration_months <= 12,
     then: {decision: approve, reason: "small, short credit"}, priority: 10}
  - {name: solid_saver, when: savings == "ge_1000" and checking_status == "high",
     then: {decision: approve, reason: "solid savings and balance"}, priority: 10}
  - {name: homeowner_long_employed, when: housing == "own" and employment == "ge_7y",
     then: {decision: approve, reason: "homeowner, long employment"}, priority: 5}
"""

CATEGORIES = {
    "employment": ["unemployed", "lt_1y", "1_4y", "4_7y", "ge_7y"],
    "housing": ["own", "rent", "free"],
    "checking_status": ["none", "overdrawn", "low", "high"],
    "savings": ["lt_100", "100_500", "500_1000", "ge_1000", "unknown_none"],
}


def rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    columns: dict[str, list[Any]] = {
        "age": rng.integers(18, 80, n).tolist(),
        "duration_months": rng.integers(4, 72, n).tolist(),
        "credit_amount": np.round(rng.lognormal(8.3, 0.9, n), 2).tolist(),
        "instalment_rate_pct": rng.integers(1, 5, n).tolist(),
        "existing_credits": rng.integers(1, 5, n).tolist(),
    }
    for name, values in CATEGORIES.items():
        columns[name] = [values[i] for i in rng.integers(0, len(values), n)]
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


class PythonLoop:
    """The baseline: the same rules and semantics, conditions evaluated by the expression language."""

    def __init__(self, ruleset: Any) -> None:
        self.order = sorted(ruleset.rules, key=lambda r: (-r.priority, r.index))
        self.asserted = ruleset.asserted
        self.defaults = ruleset.defaults
        self.writes = ruleset.writes

    def decide(self, row: dict[str, Any]) -> dict[str, Any]:
        values = dict(row)
        for name in self.asserted:
            values[name] = None
        written: dict[str, Any] = {}
        writer: dict[str, Any] = {}
        fired: set[int] = set()
        while True:
            for rule in self.order:
                if rule.index not in fired and rule.when.evaluate(values):
                    fired.add(rule.index)
                    for name, value in rule.then.items():
                        if name in writer and (written[name] == value or writer[name].priority >= rule.priority):
                            continue
                        written[name] = values[name] = value
                        writer[name] = rule
                    break
            else:
                break
        return {name: written.get(name, self.defaults.get(name)) for name in self.writes}


def rate(fn, data: list[dict[str, Any]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for row in data:
            fn(row)
        best = min(best, time.perf_counter() - start)
    return len(data) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check it runs, not how fast")
    parser.add_argument("--rows", type=int, default=20_000, help="decisions per timing sample")
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (best is kept)")
    args = parser.parse_args()
    n, repeat = (200, 1) if args.smoke else (args.rows, args.repeat)

    ruleset = load_ruleset(RULES, file="bench_policy.rules.yaml")
    assert len(ruleset.rules) == 20
    node = RuleSetNode("policy", ruleset)
    engine = node._engine
    baseline = PythonLoop(ruleset)
    data = rows(n)

    # Same answers first: the node against the plain-Python loop, on every row.
    mismatches = sum(node.evaluate(row).outputs != baseline.decide(row) for row in data)
    fired = sum(len(node.evaluate(row).evidence["fired"]) for row in data) / len(data)
    batch_columns = {name: np.array([row[name] for row in data], dtype=object) for name in node.reads}

    measured = [
        ("RuleSetNode.evaluate (durable-rules)", rate(node.evaluate, data, repeat)),
        ("python loop, expression language (baseline)", rate(baseline.decide, data, repeat)),
        ("durable raw round, warm session", rate(engine.raw_cycle, data, repeat)),
        ("durable raw round, session per decision",
         rate(lambda row: engine.raw_cycle(row, fresh_session=True), data[: max(50, n // 10)], repeat)),
    ]
    start = time.perf_counter()
    node.evaluate_batch(batch_columns, len(data))
    measured.append(("RuleSetNode.evaluate_batch (rows/s)", len(data) / (time.perf_counter() - start)))

    ours = measured[0][1]
    out = []
    for label, per_second in measured:
        out.append((label, f"{per_second:,.0f}", f"{per_second / TARGET:.2f}x", f"{ours / per_second:.2f}x"))
    print(f"20-rule rule set, {len(data):,} random decisions per sample, best of {repeat}; "
          f"{fired:.2f} rules fire per decision on average; {mismatches} outcome mismatches vs the python loop")
    print(table(out, ("path", "decisions/s", "vs 20k target", "evaluate is")))
    verdict = "meets" if ours >= TARGET else "misses"
    print(f"\nRuleSetNode.evaluate {verdict} the {TARGET:,} decisions/s target ({ours:,.0f}/s, one thread)")
    if mismatches:
        sys.exit("the node and the python loop disagree")


if __name__ == "__main__":
    main()
